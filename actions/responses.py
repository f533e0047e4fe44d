"""The domain's responses as the action server reads them: which language a variant is in, and its text.

Rasa renders a response an action asks for with the slots as they were
before the action ran, so a message the knowledge action says on the turn it
sets the `language` slot itself (outside the lead form a park question's
language is set there, not by a second call to the action server) would
come out in the old language. The action picks the variant here instead,
from the domain Rasa sent it (kept by rasa-sdk, rasa_ext/action_domain.py).
"""

from __future__ import annotations

from typing import Any

CHINESE = "zh"  # a variant without a language condition


def variant_language(variant: dict) -> str:
    """The value of a variant's `language` slot condition; Chinese when it has none."""
    for condition in variant.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return CHINESE


def variant_for(domain: dict[str, Any] | None, name: str, language: str | None) -> dict | None:
    """Response `name`'s variant (text, buttons, custom) in `language`, else its Chinese one; None if
    the domain lacks it."""
    variants = [v for v in ((domain or {}).get("responses") or {}).get(name) or [] if v.get("text")]
    for wanted in (language or CHINESE, CHINESE):
        for variant in variants:
            if variant_language(variant) == wanted:
                return variant
    return None
