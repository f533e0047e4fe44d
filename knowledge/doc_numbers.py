"""Which document a question names by its 文号.

A 文号 (杭政办函〔2022〕59号) names one document and nothing else. A question that
gives one (按现行的杭政办函〔2022〕59号，一类新药能奖多少) asks about that
document, and a passage of another one, however many of the question's words it
shares (the 2018 policy on the same subject), must not answer for it. The rule
applies only when a document in the index carries the number: a 文号 that a
document merely cites (国发〔2020〕10号 inside the 萧山 plan) narrows nothing.
"""

from __future__ import annotations

import re

from .text import normalize

# The bracketed year and the number, which every 文号 ends with; what comes before is the issuer's
# abbreviation, which a question may run into its own words (按现行的杭政办函〔2022〕59号).
_TAIL = re.compile(r"[〔\[【(（]\s*(\d{4})\s*[〕\]】)）]\s*(\d{1,4})\s*号")
_SPACE = re.compile(r"\s+")


def _compact(text: str) -> str:
    return _SPACE.sub("", normalize(text))


class DocNumbers:
    """The index's documents by 文号."""

    def __init__(self, rows: list[dict]):
        # (year, number) -> {(the issuer's abbreviation before it, doc_id)}
        self._by_tail: dict[tuple[str, ...], set[tuple[str, str]]] = {}
        self._rows: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            self._rows.setdefault(row["doc_id"], []).append(i)
            number = _compact(row.get("doc_number") or "")
            tail = _TAIL.search(number)
            if tail:
                self._by_tail.setdefault(tail.groups(), set()).add((number[: tail.start()], row["doc_id"]))

    def matches(self, question: str) -> list[tuple[str, str]]:
        """Each 文号 the question gives that a document carries, as written there (compact), with that
        document; empty when it gives none the index knows. The issuer's abbreviation may run into the
        question's own words before it."""
        text = _compact(question)
        found = []
        for tail in _TAIL.finditer(text):
            before = text[: tail.start()]
            found.extend(
                (prefix + tail.group(), doc)
                for prefix, doc in self._by_tail.get(tail.groups(), ())
                if before.endswith(prefix)
            )
        return found

    def read(self, query) -> None:
        """Note the documents the question names by 文号 (query.Query.documents: search keeps to them)
        and take the number's words out of its concepts, unless the question uses them elsewhere too:
        the passage that answers (力争用3年时间…翻番) seldom repeats its 文号: they name the document and are
        not what is asked, so their words count neither as coverage nor as a number the answer must state."""
        matches = self.matches(query.text)
        query.documents = frozenset(doc for _, doc in matches)
        numbered = list(dict.fromkeys(span for span, _ in matches))
        if not numbered:
            return
        rest = _compact(query.text)
        for number in numbered:
            rest = rest.replace(number, " ")

        def asked(concept) -> bool:
            return concept.kind != "term" or concept.term in rest or not any(concept.term in n for n in numbered)

        query.concepts = [c for c in query.concepts if asked(c)]
        query.focus = tuple(c for c in query.focus if asked(c))

    def rows(self, docs: frozenset[str]) -> list[int]:
        """The index rows of those documents: each is a candidate, wherever retrieval ranked it."""
        return [i for doc in sorted(docs) for i in self._rows.get(doc, ())]
