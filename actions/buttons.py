"""What a button's payload means in words: the title the tenant tapped.

A topic button sends an intent payload (/ask_industries), which carries no
words, and the knowledge base needs words. Asking a fixed question per topic
made the button and its typed twin disagree (产业方向 typed gave the three
sub-tracks, the button a definition of CXO). So a payload is asked as the
button's own title, read from the domain's responses the action server
has from Rasa (sent once and kept by rasa-sdk, rasa_ext/action_domain.py):
one path per meaning, and a new button needs no code. English titles are
used in an English conversation, as typed.
"""

from __future__ import annotations

from typing import Any

from .responses import variant_language


def titles(domain: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    """(payload, language) -> the first button title the domain gives it."""
    found: dict[tuple[str, str], str] = {}
    for variants in ((domain or {}).get("responses") or {}).values():
        for variant in variants or []:
            language = variant_language(variant)
            for button in variant.get("buttons") or []:
                payload, title = button.get("payload"), button.get("title")
                if isinstance(payload, str) and payload.startswith("/") and title:
                    found.setdefault((payload.strip(), language), str(title))
    return found


def title_for(payload: str, language: str | None, domain: dict[str, Any] | None) -> str | None:
    """The words a payload stands for in the conversation's language (Chinese if no English title)."""
    known = titles(domain)
    payload = (payload or "").strip()
    return known.get((payload, language or "zh")) or known.get((payload, "zh"))
