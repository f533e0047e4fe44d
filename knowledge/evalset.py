"""Evaluation questions and how one answer is judged.

A question set is YAML: a list of questions, or {questions: [...]} (the seed
dev set's form). Each question says whether the documents answer it, which
document does, and spans a right answer must contain (evaluation/corpus/
README.md). An answer is

- right: answerable, answered, one expected span in the text, no `wrong`
  string, and the cited document states the span and applies to the place
  the question asks about (or is one the question lists);
- declined: the bot said it does not know;
- wrong: anything else that was answered — the worst outcome, since it comes
  with a citation.

An unknown or out-of-scope question is right only when declined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import safe_yaml
from .text import normalize

KINDS = ("answerable", "unknown", "out_of_scope")
STYLES = ("plain", "paraphrase", "colloquial", "typo", "traditional", "english")


@dataclass
class Case:
    q: str
    kind: str
    style: str = "plain"
    doc: str = ""
    expect: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    place: str = ""
    trap: bool = False
    wrong: list[str] = field(default_factory=list)

    @property
    def should_abstain(self) -> bool:
        return self.kind != "answerable"

    @property
    def accepted_docs(self) -> set[str]:
        return {self.doc, *self.docs} - {""}


def load_cases(path: Path) -> list[Case]:
    data = safe_yaml.load(Path(path).read_text("utf-8")) or []
    rows = data.get("questions", []) if isinstance(data, dict) else data
    cases = []
    for row in rows:
        unknown = set(row) - set(Case.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{row.get('q')!r}: unknown fields {', '.join(sorted(unknown))}")
        case = Case(**row)
        if case.kind not in KINDS:
            raise ValueError(f"{case.q!r}: kind must be one of {', '.join(KINDS)}")
        if case.kind == "answerable" and not (case.doc and case.expect):
            raise ValueError(f"{case.q!r}: an answerable question needs doc and expect")
        case.expect = [str(e) for e in case.expect]
        case.wrong = [str(e) for e in case.wrong]
        case.docs = [str(d) for d in case.docs]
        cases.append(case)
    return cases


_LEADING_ZERO = re.compile(r"(?<![\d.])0(\d)(?=[月日])")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")


def _folded(text: str) -> str:
    """Normalised, without spaces, one way of writing a date: 2023-11-22, 2023/11/22 and
    2024年05月07日 read as 2023年11月22日 and 2024年5月7日 (the same day, in another format)."""
    text = _NUMERIC_DATE.sub(r"\1年\3月\4日", normalize(text).replace(" ", ""))
    return _LEADING_ZERO.sub(r"\1", text)


def states(case: Case, text: str) -> bool:
    body = _folded(text)
    return any(_folded(e) in body for e in case.expect)


def verdict(case: Case, answer, doc_text: dict[str, str], applies) -> str:
    """right | declined | wrong, for one answer (knowledge.answer.Answer).

    doc_text maps doc_id -> its text; applies(doc_id, case) says whether the
    document's scope fits the place the question asks about.
    """
    if answer.abstained:
        return "declined"
    if case.should_abstain:
        return "wrong"
    text = answer.text
    if case.wrong and any(_folded(w) in _folded(text) for w in case.wrong):
        return "wrong"
    cited = answer.hits[0].doc_id if answer.hits else ""
    if not states(case, text):
        return "wrong"
    if cited in case.accepted_docs:
        return "right"
    if states(case, doc_text.get(cited, "")) and applies(cited, case):
        return "right"
    return "wrong"
