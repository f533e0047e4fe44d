"""Dialogue replies -> one plain-text WeChat message.

The answer comes first, then its sources as short linked lines, then the
buttons as numbered options, because WeChat text messages have no buttons:
the user answers with the digit, and `options` maps it back to the payload.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

# A passive text reply may carry at most 2048 bytes of content.
PASSIVE_LIMIT_BYTES = 2048
TITLE_CHARS = 40


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


def source_line(number: int, source: dict) -> str:
    title = html.escape(_short(source.get("title") or source.get("publisher") or "来源", TITLE_CHARS), quote=False)
    url = (source.get("url") or "").strip()
    # WeChat turns <a href> in a text message into a link; anything else stays plain.
    link = f'<a href="{html.escape(url)}">{title}</a>' if url.startswith(("https://", "http://")) else title
    # A source page that shows no date says so (日期不详) rather than showing nothing or a placeholder.
    meta = " ".join(
        p for p in (_short(source.get("publisher") or "", 20), (source.get("published") or "日期不详")[:10]) if p
    )
    return f"[{number}] {link}" + (f"（{meta}）" if meta else "")


def render(replies: list[dict]) -> Rendered:
    texts, sources, buttons = [], [], []
    seen_urls: set[str] = set()
    for reply in replies:
        if (reply.get("text") or "").strip():
            texts.append(reply["text"].strip())
        for source in reply.get("sources") or []:
            key = source.get("url") or source.get("title") or ""
            if key not in seen_urls:
                seen_urls.add(key)
                sources.append(source)
        buttons.extend(b for b in reply.get("buttons") or [] if b.get("payload"))

    blocks = ["\n\n".join(texts)] if texts else []
    if sources:
        blocks.append("来源：\n" + "\n".join(source_line(i, s) for i, s in enumerate(sources, 1)))
    options: dict[str, str] = {}
    if buttons:
        lines = []
        for i, button in enumerate(buttons, 1):
            options[str(i)] = button["payload"]
            lines.append(f"{i}. {_short(button.get('title') or button['payload'], 30)}")
        blocks.append("回复数字即可选择：\n" + "\n".join(lines))
    return Rendered("\n\n".join(b for b in blocks if b), options)
