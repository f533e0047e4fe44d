"""What decided an answer, in the staff's words.

Hit testing is where staff check the knowledge base, so it must say what really
decided: the probability against the threshold that applied (a curated answer's
is not a document sentence's), or the fact that declined before any threshold
(a phone number asked, none stated). knowledge/decide.py names those facts in
English for logs and JSON; this is their Chinese for the console.
"""

from __future__ import annotations

import re

_ANSWER_TYPES = {"phone": "电话号码", "doc_number": "文号", "date": "日期", "amount": "金额"}
# knowledge.decide's reasons (gate, answer_gate), each with what staff read.
_REASONS = (
    (re.compile(r"^no passage$"), lambda m: "没有相关段落"),
    (re.compile(r"^no (\w+)$"), lambda m: f"段落里没有所问的{_ANSWER_TYPES.get(m.group(1), m.group(1))}"),
    (re.compile(r"^no figure in (.+)$"), lambda m: f"段落里没有以“{m.group(1)}”计的数字"),
    (re.compile(r"^not about (.+)$"), lambda m: f"段落没有提到问题里的“{m.group(1)}”"),
    (re.compile(r"^no list$"), lambda m: "引用的句子没有列出所问的各项"),
    (re.compile(r"^a plan, not what is$"), lambda m: "引用的句子只有规划，问的是现状"),
    (re.compile(r"^the opposite case$"), lambda m: "引用的句子说的是相反的情形"),
)


def reason_text(reason: str) -> str:
    """A decline's reason in Chinese; one this module does not know is shown as it is."""
    for pattern, say in _REASONS:
        match = pattern.match(reason)
        if match:
            return say(match)
    return reason


def verdict_text(answered: bool, confidence: float, threshold: float | None, because: str = "") -> str:
    """回答（置信度 0.95 ≥ 阈值 0.83）, 不回答（置信度 0.78 < 阈值 0.89）, or 不回答：<the fact>."""
    if because:
        return f"不回答：{reason_text(because)}"
    if threshold is None:
        return f"{'回答' if answered else '不回答'}（置信度 {confidence:.2f}）"
    sign = "≥" if answered else "<"
    return f"{'回答' if answered else '不回答'}（置信度 {confidence:.2f} {sign} 阈值 {threshold:.2f}）"
