"""How Chinese documents number their parts and mark their items: one table, read wherever a line or a
sentence is asked whether it opens one.

Five places asked it, each with its own pattern, and the patterns had drifted apart: the heading level of a
line (structure), the items a sentence announcing a list brings along and where the next numbered part
starts (answer), whether a text enumerates (answer_types), and whether a PDF line that looks wrapped starts
a new item instead (readers). 1.5亿元 opened an item in one and not in another; （1） was a part in one and
nothing in the rest. Each now reads the forms below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN = "一二三四五六七八九十"
_CN_BIG = _CN + "百零〇"


@dataclass(frozen=True)
class Form:
    """One way of numbering: its marker, the heading level a short line opening with it stands at (0: the
    marker alone makes no heading), whether it opens a numbered part (a section, an article, a numbered
    paragraph) or only marks an item among others (一是…, a bullet), and whether it numbers items inside
    running text too (…，一是…，二是…); 根据第三条 refers to an article, and a dash there is a date's."""

    name: str
    marker: str
    heading_level: int
    part: bool
    inline: bool = False


FORMS = (
    Form("chapter", rf"第[{_CN_BIG}]+[章编]", 1, True),  # 第一章
    Form("section", rf"第[{_CN_BIG}]+节", 2, True),  # 第二节
    Form("article", rf"第[{_CN_BIG}]+[条项款]", 0, True),  # 第五条
    Form("numeral", rf"[{_CN}]+[、.．]", 2, True),  # 一、
    Form("numeral_paren", rf"[（(][{_CN}]+[）)]", 3, True, inline=True),  # （二）
    Form("digit_paren", r"[（(]\d+[）)]", 0, True, inline=True),  # （3）
    Form("digit", r"\d+[、.．](?!\d)", 0, True, inline=True),  # 3. or 3、 but not 1.5亿元
    Form("enumerator", rf"[{_CN}]+是", 0, False, inline=True),  # 一是…，二是…
    Form("bullet", r"[-•·]", 0, False),
)


def _opening(forms) -> re.Pattern:
    return re.compile(r"^\s*(?:" + "|".join(f.marker for f in forms) + ")")


_PART = _opening(f for f in FORMS if f.part)
_ITEM = _opening(FORMS)
_HEADINGS = [(f.heading_level, re.compile(rf"^\s*{f.marker}")) for f in FORMS if f.heading_level]
# Inside running text, a digit after a digit or a point is a decimal's or a year's, not a marker.
_IN_TEXT = re.compile(r"(?<![\d.])(?:" + "|".join(f.marker for f in FORMS if f.inline) + ")")


def opens_part(text: str) -> bool:
    """The text starts a numbered part: a heading, an article or a numbered paragraph."""
    return bool(_PART.match(text))


def opens_item(text: str) -> bool:
    """The text starts an item of a list: a numbered part, an enumerator (一是) or a bullet."""
    return bool(_ITEM.match(text))


def heading_level(line: str) -> int:
    """The level a heading line opening with a numbering marker stands at (1 outermost), 0 for none."""
    return next((level for level, pattern in _HEADINGS if pattern.match(line)), 0)


def markers_in(text: str) -> int:
    """How many numbering markers a text carries anywhere (一是…二是, （一）…（二）, 1. … 2.)."""
    return len(_IN_TEXT.findall(text))


_NUMERALS = "〇一二三四五六七八九"
_DIGITS = (
    {c: i for i, c in enumerate(_NUMERALS)}
    | {"零": 0, "○": 0, "Ｏ": 0, "O": 0, "两": 2}
    | {str(i): i for i in range(10)}
)


def chinese_number(text: str) -> int | None:
    """A number in Chinese numerals, digits or both: 十二 -> 12, 二十三 -> 23, 二〇二三 -> 2023, 两 -> 2; None for
    what is not one (百, 一百: nothing read here counts in hundreds). Dates (metadata) and the articles a
    question points to by number (articles) read numbers with it."""
    if text.isdigit():
        return int(text)
    tens, ten, ones = text.partition("十")
    if ten:
        if len(tens) > 1 or len(ones) > 1 or any(c not in _DIGITS for c in tens + ones):
            return None
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    if not text or any(c not in _DIGITS for c in text):
        return None
    return int("".join(str(_DIGITS[c]) for c in text))


def chinese_numeral(value: int) -> str | None:
    """chinese_number's inverse for 1-99, as documents number their parts: 2 -> 二, 10 -> 十, 12 -> 十二,
    23 -> 二十三; None outside that range."""
    if not 0 < value < 100:
        return None
    tens, ones = divmod(value, 10)
    return (_NUMERALS[tens] if tens > 1 else "") + ("十" if tens else "") + (_NUMERALS[ones] if ones else "")
