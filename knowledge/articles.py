"""The numbered article a question points to (第二条, 第（八）条, 第3项, 第二部分), found in a passage's own
numbering: a passage without it is about another article, and sentences outside it do not answer.

Questions and documents number articles in different scripts and forms (第2条 asked, 二、 or 序号：2 written), so
both sides are read as numbers from 1 to 99. Its own module because answer_types.py holds the kinds of
answer, and this is the one rule that reads a document's structure.
"""

from __future__ import annotations

import re

from .numbering import chinese_number, chinese_numeral
from .text import normalize

# An article or item the question points to by number (第二条, 第（八）条, 第3项, 第二部分): documents number them
# 第二条, （二）, 二、 at the start of a line or sentence, or 序号：2 in a table row (structure.py), in Chinese
# numerals or digits either way: 第2条 is 第二条. A passage without that number is another article.
_ARTICLE = re.compile(r"第\s*[（(]?\s*([一二三四五六七八九十百]+|\d+)\s*[）)]?\s*(?:[条项款章节]|部分)")


def _numeral_forms(number: str) -> list[str]:
    """The number as written and in the other script, for 1-99: 2 and 二, 十二 and 12."""
    value = chinese_number(number)
    chinese = chinese_numeral(value) if value is not None else None
    if chinese is None:
        return [number]
    return list(dict.fromkeys([number, str(value), chinese]))


def _named(question: str) -> list[tuple[str, str]]:
    """(the reference as written, its number) for each article the (normalised) question points to."""
    return [(m.group().replace(" ", ""), m.group(1)) for m in _ARTICLE.finditer(question)]


def references(question: str) -> list[str]:
    """The numbered articles the (normalised) question points to, as written (第3项, 第(一)项)."""
    return [written for written, _ in _named(question)]


def _article_marker(number: str) -> re.Pattern:
    """Where a passage opens the article numbered `number`, in any of its forms and scripts."""
    n = "|".join(re.escape(form) for form in _numeral_forms(number))
    return re.compile(
        rf"第(?:{n})(?:[条项款章节]|部分)|[（(](?:{n})[）)]|(?:^|(?<=[\n。；;：:]))\s*(?:{n})[、.．]"
        rf"|序号[：:]\s*(?:{n})(?![\d十])",
        re.M,
    )


def missing(question: str, passage: str) -> list[str]:
    """The numbered articles the (normalised) question points to (第二条) that the passage does not carry.
    The passage is normalised only when the question names one: this runs on every question."""
    named = _named(question)
    text = normalize(passage) if named else ""
    return [written for written, number in named if not _article_marker(number).search(text)]


def not_cited(question: str, passage: str, cited: str) -> list[str]:
    """The numbered articles the question points to that the cited sentences do not reach into: they must
    end after the passage's marker for it (一、, 序号：1) and start before the next article's. 第2条 asked,
    the sentence on row 序号：1 does not answer, though the passage carries both."""
    named = _named(question)
    if not named:
        return []
    text, said = normalize(passage), normalize(cited).strip()
    start = text.find(said[:12])
    out = []
    for written, number in named:
        opened = _article_marker(number).search(text)
        value = chinese_number(number)
        if opened is None or value is None:
            out.append(written)
            continue
        after = _article_marker(str(value + 1)).search(text, opened.end())
        end = after.start() if after else len(text)
        if not (0 <= start < end and start + len(said) > opened.start()):
            out.append(written)
    return out
