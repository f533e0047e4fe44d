"""A question about what is inside a thing is not answered by a list that names the thing as one item.

园区专家智库里都有哪些专家 was answered with the curated entry 园区将构建包括专家智库、峰会活动、…的产业生态,
and 园区高端医疗器械方向里包括体外诊断吗 with the park's tracks (…CXO、高端医疗器械、合成生物…): each
names the thing asked into (X of "X里有…", "X中包括…") as one item of an enumeration, and nothing of
what is in it. Such an answer says that X exists, which the question takes as given. It stands when it
also says something the question asks about after the marker (国家级平台里有国家工程研究中心吗 answered by
a list holding 国家工程研究中心): then the list is X's contents, not a list X is in.

The rule reads the question's own words around the marker, so it holds for curated answers too: staff
wrote what the entry answers, not what lies inside each thing it names.
"""

from __future__ import annotations

import re

from .query import Concept, Query
from .text import normalize

# X里 / X中 / X当中 (都, 还, 具体) 有, 有没有, 包括, 包含, 涵盖: asking into X.
_INTO = re.compile(r"(?:里面|里头|当中|之中|里|中|内)(?:都|还|具体|主要|究竟)?(?:有没有|有|包括|包含|涵盖|含)")
# Words that only say what kind of thing X is (高端医疗器械方向, 重点领域): X is the word before them.
_KIND_WORDS = re.compile(r"(?:方向|领域|方面|板块|类|这块|这一块)$")
_ITEM_MARK = "、"
_BREAKS = "、，。；：（）()等"  # what sets an item of an enumeration off


def _forms(concept: Concept) -> tuple[str, ...]:
    return tuple(f for f in dict.fromkeys((concept.term, *concept.forms)) if len(f) >= 2)


def _container(before: str, terms: list[Concept]) -> tuple[Concept, str] | None:
    """The question's concept written right before the marker (after any kind word), with the form the
    question writes it in, if any."""
    head = _KIND_WORDS.sub("", before.rstrip("的 "))
    ending = [(c, f) for c in terms for f in _forms(c) if head.endswith(f)]
    return max(ending, key=lambda pair: len(pair[1]), default=None)


def _as_item(form: str, text: str) -> bool:
    """`form` stands in `text` as an item of an enumeration: set off by 、 or closing one with 等."""
    return bool(re.search(rf"{_ITEM_MARK}{re.escape(form)}|{re.escape(form)}(?:{_ITEM_MARK}|等)", text))


def only_an_item(query: Query, said: str) -> str:
    """The thing asked into, when the answer names it only as an item of a list and says nothing of what
    the question asks after the marker; '' otherwise."""
    asked = _INTO.search(query.text)
    if not asked:
        return ""
    terms = query.terms
    found = _container(query.text[: asked.start()], terms)
    if found is None:
        return ""
    container, written = found
    text = normalize(said)
    present = [f for f in _forms(container) if f in text]
    forms = [f for f in present if not any(f != g and f in g for g in present)]  # 专家 is said as 专家智库
    if not forms or not all(_as_item(f, text) for f in forms):
        return ""
    # What the answer says beyond the items naming X (专家 inside 专家智库 is X's name, not its members).
    rest = re.sub("|".join(rf"[^{_BREAKS}]*{re.escape(f)}[^{_BREAKS}]*" for f in forms), " ", text)
    after = query.text[asked.end() :]
    asked_for = [c for c in terms if c is not container and not c.frames and any(f in after for f in _forms(c))]
    if any(f in rest for c in asked_for for f in _forms(c)):
        return ""
    return written
