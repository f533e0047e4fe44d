"""The years a text names, and whether an answer's years are the ones a question asks about.

A figure is a year's figure: 2025年浙江全年获批了多少个创新药 is not answered by 2024年's count, and a plan's
target year (到2030年) is no time its figures speak of. Read the same way by retrieval (units: a passage
that names no year speaks as of its document's date) and by the answer gate (decide.answer_gate).
"""

from __future__ import annotations

import re

from .text import normalize

# A year a text names: 2024年, a span of them (2022—2024年, 2025至2027年), or in English a year standing alone;
# not the year of a 文号 (杭政办函〔2021〕39号 names a document, not a time).
_YEARS = re.compile(
    r"(?<![\d.〔\[【])((?:19|20)\d{2})(?:\s*年?\s*[—–\-~～至到]\s*((?:19|20)\d{2}))?(?:\s*年|(?![\w.〕\]】]))"
)
# A year a plan reaches (到2030年, 至2027年) is its target, not the time its figures speak of.
_TARGET = re.compile(r"(?:到|至)\s*$")


def years_named(text: str, targets: bool = True) -> set[int]:
    """The years a text names, every year of a span included (2022—2024年 names 2023 too); without the
    years plans reach when `targets` is False."""
    text = normalize(text)
    out: set[int] = set()
    for m in _YEARS.finditer(text):
        if not targets and _TARGET.search(text[max(0, m.start() - 3) : m.start()]):
            continue
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        out.update(range(first, last + 1) if 0 <= last - first <= 20 else (first, last))
    return out


# The year a document is for, as its title names it (关于开展2025年度…专项申报工作的通知): a question's 2025年专项
# names that document, as a 文号 does, and the call's sentences rightly speak of the year before it
# (2024年1月1日—12月31日 is the period the 2025 call covers).
_DOCUMENT_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度")


def document_years(title: str) -> set[int]:
    return {int(y) for y in _DOCUMENT_YEAR.findall(normalize(title))}


def other_years(question: str, said: str, title: str = "") -> list[int]:
    """The years the question asks about, when what an answer says names years and none of them: 2025年浙江
    全年获批了多少个创新药 is not answered by 2024年…全年获批创新药6个 (the window it was found in reached a
    2025 in the next sentence). Sentences that name no year, or only the year a plan reaches (到2030年), say
    nothing here: they speak as of their document's date, which retrieval weighed (units._as_of); unless the
    title says the year the document is for (2016年度…报告), which they then speak of. A year the
    question asks about may be a plan's (定的2022年目标: 到2022年), or the year the answer's document is for
    (`title`: document_years), which names the document and is not asked of its sentences."""
    asked = years_named(question)
    own = document_years(title) if asked and title else set()  # read only when a year is asked: most name none
    asked -= own
    if not asked:
        return []
    if not years_named(said, targets=False):
        # Sentences that name no year speak as of their document; a document for one year (2016年度药品审评报告)
        # speaks of that year, so its 全年完成审评 does not answer 2017年完成审评多少件.
        return sorted(asked) if own else []
    return [] if asked & years_named(said) else sorted(asked)  # 定的2022年…目标 is answered by 到2022年
