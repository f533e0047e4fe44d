"""Dialogue replies -> one plain-text WeChat message.

The answer comes first, then its sources as short linked lines, then the
buttons as numbered options, because WeChat text messages have no buttons:
the user answers with the digit, and `options` maps it back to the payload.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from turn_contract import is_pointer

# A passive text reply may carry at most 2048 bytes of content.
PASSIVE_LIMIT_BYTES = 2048
TITLE_CHARS = 40
# What the renderer writes itself, in the language the bot answered in: an English tenant reads
# English labels around the bot's English replies (the sources themselves stay as published).
LABELS = {
    "zh": {
        "sources": "来源：",
        "pointers": "相关文件：",
        "choose": "回复数字即可选择：",
        "no_date": "日期不详",
        "source": "来源",
        "meta": "（{}）",
    },
    "en": {
        "sources": "Sources:",
        "pointers": "Related documents:",
        "choose": "Reply with a number to choose:",
        "no_date": "date unknown",
        "source": "Source",
        "meta": " ({})",
    },
}
# An English reply opens with an English word ("From 杭州网 …", "I could not find …"); a Chinese one
# opens with a Chinese character, or with a Latin name run into Chinese ("CXO是…", "GMP标准厂房…").
_OPENS_ENGLISH = re.compile(r"^[^A-Za-z\u3400-\u9fff]*[A-Za-z]+[\s,.;:!?'’]")


def reply_language(replies: list[dict]) -> str:
    """en when the bot answered in English, judged by how its first reply opens (an English answer quotes
    its Chinese source only after an English lead-in)."""
    first = next((r.get("text") or "" for r in replies if (r.get("text") or "").strip()), "")
    return "en" if _OPENS_ENGLISH.match(first.strip()) else "zh"


@dataclass
class Rendered:
    text: str
    options: dict[str, str] = field(default_factory=dict)  # "1" -> "/ask_location"

    @property
    def fits_passive(self) -> bool:
        return len(self.text.encode("utf-8")) <= PASSIVE_LIMIT_BYTES


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_line(number: int, source: dict, language: str = "zh") -> str:
    words = LABELS[language]
    title = html.escape(
        _short(source.get("title") or source.get("publisher") or words["source"], TITLE_CHARS), quote=False
    )
    url = (source.get("url") or "").strip()
    # WeChat turns <a href> in a text message into a link; anything else stays plain.
    link = f'<a href="{html.escape(url)}">{title}</a>' if url.startswith(("https://", "http://")) else title
    # A source page that shows no date says so (日期不详) rather than showing nothing or a placeholder.
    meta = " ".join(
        p
        for p in (_short(source.get("publisher") or "", 20), (source.get("published") or "")[:10] or words["no_date"])
        if p
    )
    return f"[{number}] {link}" + (words["meta"].format(meta) if meta else "")


def render(replies: list[dict]) -> Rendered:
    language = reply_language(replies)
    words = LABELS[language]
    blocks: list[str] = []
    cited: list[dict] = []
    seen_urls: set[str] = set()
    buttons: list[dict] = []
    number = 0

    def listed(group: list[dict], label: str) -> str:
        nonlocal number
        lines = [source_line(number + i, source, language) for i, source in enumerate(group, 1)]
        number += len(group)
        return words[label] + "\n" + "\n".join(lines)

    for reply in replies:
        if (reply.get("text") or "").strip():
            blocks.append(reply["text"].strip())
        pointers = []
        for source in reply.get("sources") or []:
            key = source.get("url") or source.get("title") or ""
            if key not in seen_urls:
                seen_urls.add(key)
                (pointers if is_pointer(source) else cited).append(source)
        # The documents offered when there was no answer follow the words that offer them, under their own
        # label: listed under 来源 at the end, they would read as the source of a fact.
        if pointers:
            blocks.append(listed(pointers, "pointers"))
        buttons.extend(b for b in reply.get("buttons") or [] if b.get("payload"))

    if cited:
        blocks.append(listed(cited, "sources"))
    options: dict[str, str] = {}
    if buttons:
        lines = []
        for i, button in enumerate(buttons, 1):
            options[str(i)] = button["payload"]
            lines.append(f"{i}. {_short(button.get('title') or button['payload'], 30)}")
        blocks.append(words["choose"] + "\n" + "\n".join(lines))
    return Rendered("\n\n".join(b for b in blocks if b), options)
