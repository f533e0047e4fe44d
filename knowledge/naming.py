"""Readable, unique document ids from the names people give their files.

An id is what staff see in the console and what a citation's chunk ids carry.
Before this, every Chinese file name became `YYYYMMDD-upload` and a second
such file on the same day was refused. A Chinese name now reads as its pinyin
(园区入驻指南.docx -> 20261130-yuan-qu-ru-zhu-zhi-nan), or, without pypinyin,
as the name itself; a name already taken gets -2, -3, ...
"""

from __future__ import annotations

import re
import time

MAX_LEN = 80
_NOT_ID = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _pinyin(text: str) -> str:
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # the readable fallback: the name itself (ids may be Chinese)
        return _NOT_WORD.sub("-", text.lower()).strip("-_")
    return "-".join(lazy_pinyin(text))


def slug(text: str) -> str:
    """Lower-case ASCII words joined by '-', or '' when nothing readable is left."""
    spelled = _pinyin(text)
    ascii_part = _NOT_ID.sub("-", spelled.lower()).strip("-")
    if ascii_part:
        return ascii_part[:MAX_LEN].rstrip("-")
    return _NOT_WORD.sub("-", spelled).strip("-_")[:MAX_LEN]


def readable_id(file_stem: str, title: str = "", day: str | None = None) -> str:
    """The id for an uploaded file: its date and its name (or title) as words."""
    words = slug(file_stem) or slug(title) or "upload"
    return f"{day or time.strftime('%Y%m%d')}-{words}"


def unique_id(base: str, taken) -> str:
    """base, or base-2, base-3, ... whichever is not taken yet."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
