"""Button payloads as the tenant saw them: /ask_policy is shown as 扶持政策.

A button tap reaches the gateway as its payload, and the turn log keeps it
that way. Staff read conversations, so the console looks the title up in the
buttons domain.yml defines (the Chinese title first, as the console is
Chinese). Built once from the domain file, the single source of the buttons.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import yaml

from ..config import PROJECT_DIR

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _titles() -> dict[str, str]:
    try:
        domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        log.warning("domain.yml not readable: button payloads are shown as they are")
        return {}
    titles: dict[str, str] = dict(GATEWAY_PAYLOADS)
    for variants in (domain.get("responses") or {}).values():
        for variant in variants or []:
            for button in (variant or {}).get("buttons") or []:
                payload, title = button.get("payload"), button.get("title")
                # The first title wins: domain.yml lists the Chinese variant before the English one.
                if isinstance(payload, str) and isinstance(title, str):
                    titles.setdefault(payload.strip(), title)
    return titles


# Buttons the gateway itself offers (site-visit booking, bot/visits/chat.py), not domain.yml.
GATEWAY_PAYLOADS = {"/visit": "预约考察", "/visit_cancel": "取消预约"}
VISIT_BOOK = "/visit_book:"

# Payloads the widget sends by itself, with no button behind them.
WIDGET_PAYLOADS = {"/greet": "（打开了聊天窗口）"}


def shown(text: str) -> str:
    """What the tenant tapped or typed: a known payload becomes 「title」, anything else stays as is."""
    key = (text or "").strip()
    if key in WIDGET_PAYLOADS:
        return WIDGET_PAYLOADS[key]
    if key.startswith(VISIT_BOOK) and key[len(VISIT_BOOK) :].isdigit():
        return f"「预约考察时段 #{key[len(VISIT_BOOK) :]}」"
    title = _titles().get(key)
    return f"「{title}」" if title else text


def is_payload(text: str) -> bool:
    key = (text or "").strip()
    return (
        key in _titles() or key in WIDGET_PAYLOADS or (key.startswith(VISIT_BOOK) and key[len(VISIT_BOOK) :].isdigit())
    )


def plain(text: str) -> str:
    """For a form field: a payload's bare title ("" for the widget's own), anything else as is."""
    key = (text or "").strip()
    if key in WIDGET_PAYLOADS:
        return ""
    if key.startswith(VISIT_BOOK) and key[len(VISIT_BOOK) :].isdigit():
        return "预约考察时段"
    return _titles().get(key, text)
