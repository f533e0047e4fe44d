"""Which language a tenant writes in, so the bot's templates answer in it.

English when a message has no CJK character and at least one Latin word;
Chinese when it has a CJK character. A message with neither (a phone number,
an emoji, a button's /intent payload) says nothing about the language, so
the conversation keeps the one it had. Same rule as the knowledge base's
English lead-in (knowledge/query.py), over NFKC-folded text so full-width
letters count as Latin.
"""

from __future__ import annotations

import re
import unicodedata

CHINESE = "zh"
ENGLISH = "en"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def detect(text: str | None) -> str | None:
    """zh, en, or None when the message does not tell (keep the current language)."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded or folded.startswith("/"):  # empty, or a button's intent payload
        return None
    if _CJK.search(folded):
        return CHINESE
    if _LATIN_WORD.search(folded):
        return ENGLISH
    return None


def switch(text: str | None, current: str | None) -> str | None:
    """The language to set the slot to, or None when the message keeps `current`."""
    detected = detect(text)
    return detected if detected is not None and detected != current else None
