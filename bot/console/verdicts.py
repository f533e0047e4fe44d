"""What decided an answer, in the staff's words.

Hit testing is where staff check the knowledge base, so it must say what really
decided: the probability against the threshold that applied (a curated answer's
is not a document sentence's), or the fact that declined before any threshold
(a phone number asked, none stated). knowledge/decide.py names those facts in
English (decide.DECLINE_REASONS) for logs and JSON; this is their Chinese for the
console, one entry per reason.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ANSWER_TYPES = {
    "phone": "电话号码",
    "address": "地址",
    "doc_number": "文号",
    "date": "日期",
    "amount": "金额",
    "number": "数字",
}
CHINESE = {
    "no_passage": lambda named: "没有相关段落",
    "no_type": lambda named: f"段落里没有所问的{_ANSWER_TYPES.get(named, named)}",
    "no_figure_in": lambda named: f"段落里没有以“{named}”计的数字",
    "not_about": lambda named: f"段落没有提到问题里的“{named}”",
    "no_list": lambda named: "引用的句子没有列出所问的各项",
    "only_an_item": lambda named: f"引用的句子只把“{named}”列为一项，没有说它包括什么",
    "no_one": lambda named: "引用的句子没有提到所问的人或单位",
    "only_plans": lambda named: "引用的句子只有规划，问的是现状",
    "opposite_case": lambda named: "引用的句子说的是相反的情形",
}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, str]]:
    """Each English form as a pattern, the most specific first: the fixed ones ("no list"), then the
    longer ("no figure in 名" before "no {}"). Read when first needed: the gateway loads the
    knowledge engine only where it uses it."""
    from knowledge.decide import DECLINE_REASONS

    patterns = [
        (re.compile("^" + re.escape(form).replace(r"\{\}", "(.+)") + "$"), code)
        for code, form in DECLINE_REASONS.items()
    ]
    return sorted(patterns, key=lambda pair: (pair[0].groups, -len(pair[0].pattern)))


def reason_text(reason: str) -> str:
    """A decline's reason in Chinese; one this module does not know is shown as it is."""
    for pattern, code in _patterns():
        match = pattern.match(reason)
        if match and code in CHINESE:
            return CHINESE[code](match.group(1) if pattern.groups else "")
    return reason


def verdict_text(answered: bool, confidence: float, threshold: float | None, because: str = "") -> str:
    """回答（置信度 0.95 ≥ 阈值 0.83）, 不回答（置信度 0.78 < 阈值 0.89）, or 不回答：<the fact>."""
    if because:
        return f"不回答：{reason_text(because)}"
    if threshold is None:
        return f"{'回答' if answered else '不回答'}（置信度 {confidence:.2f}）"
    sign = "≥" if answered else "<"
    return f"{'回答' if answered else '不回答'}（置信度 {confidence:.2f} {sign} 阈值 {threshold:.2f}）"
