"""What the engine would say if it answered everything: the ceiling the decision works under.

The decision declines most questions, so `eval` cannot show whether a declined question would have
been answered right. Asking every dev question with the decision switched off (decide.ANSWER_ANYWAY)
can: of the answerable ones, how many answers state the right fact from the right document, how often
that document was ranked first or among the first five, and which answers came out wrong although
their document was ranked first (the sentence chosen, a rule that declined it). Every answer fix of the
tenth session was found in that list, and most rules of the eleventh in the other one (`--answered`: the
questions no document answers, answered anyway). `python -m knowledge forced --set dev`; the held-out set
is refused, because its failures must not be read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from . import decide
from .base import KnowledgeBase
from .evalset import Case
from .evaluate import Grader

TOP = 5


@dataclass(frozen=True)
class Forced:
    """One question asked with the decision switched off."""

    case: Case
    verdict: str  # right | wrong | declined (a rule: decide.gate or answer_gate) | none (no passage)
    because: str  # the rule's reason when declined
    first: bool  # the answering document ranked first (answerable questions only)
    among: bool  # ... among the first TOP
    text: str


def ask_all(kb: KnowledgeBase, cases: list[Case]) -> list[Forced]:
    grade = Grader(kb)
    out = []
    for case in cases:
        query, hits = kb.passages(case.q)
        docs = [h.doc_id for h in hits]
        first = bool(docs) and docs[0] in case.accepted_docs
        among = bool(set(docs[:TOP]) & case.accepted_docs)
        if not hits:
            out.append(Forced(case, "none", "", first, among, ""))
            continue
        why = decide.gate(query, hits)
        answer = kb.respond(query, hits, decide.ANSWER_ANYWAY)
        if why or answer.abstained:
            out.append(Forced(case, "declined", why or answer.declined_because, first, among, ""))
            continue
        out.append(Forced(case, grade(case, answer), "", first, among, answer.text))
    return out


def summary(rows: list[Forced]) -> str:
    answerable = [r for r in rows if r.case.kind == "answerable"]
    verdicts = Counter(r.verdict for r in answerable)
    lines = [
        f"answerable {len(answerable)}: right {verdicts['right']}, wrong {verdicts['wrong']}, "
        f"declined by a rule {verdicts['declined']}, no passage {verdicts['none']}; answering document "
        f"ranked first {sum(r.first for r in answerable)}, among the first {TOP} {sum(r.among for r in answerable)}",
    ]
    english = [r for r in answerable if r.case.style == "english"]
    chinese = [r for r in answerable if r.case.style != "english"]
    # The most a decision could reach: every right answer kept, every other one declined. The acceptance
    # asks for 90 % (English 75 %) of answerable questions right, so this says whether the decision or
    # what it decides on stands in the way.
    lines.append(f"ceiling, a perfect decision: right Chinese {_right(chinese)}, English {_right(english)}")
    others = [r for r in rows if r.case.kind != "answerable"]
    answered = sum(r.verdict == "wrong" for r in others)
    lines.append(f"unanswerable {len(others)}: answered anyway {answered}, declined by a rule {len(others) - answered}")
    return "\n".join(lines)


def _right(rows: list[Forced]) -> str:
    right = sum(r.verdict == "right" for r in rows)
    return f"{right} of {len(rows)} ({100 * right / len(rows):.1f} %)" if rows else "0 of 0"


def misses(rows: list[Forced]) -> list[str]:
    """The answerable questions not answered right although their document was ranked first."""
    out = []
    for r in rows:
        if r.case.kind == "answerable" and r.first and r.verdict != "right":
            said = f"declined: {r.because}" if r.verdict == "declined" else r.text[:100].replace("\n", " / ")
            out.append(f"  {r.case.q}\n    expected {r.case.expect}; {said}")
    return out


def answered(rows: list[Forced]) -> list[str]:
    """The questions no document answers that were answered anyway, with what was said: the list most
    of the eleventh session's rules came from (a hotline asked, the location entry given)."""
    return [
        f"  {r.case.q}\n    said: {r.text[:100].replace(chr(10), ' / ')}"
        for r in rows
        if r.case.kind != "answerable" and r.verdict == "wrong"
    ]
