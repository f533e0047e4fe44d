"""The numbered options a user was last shown, so "2" means what the second button meant.

Stored per user in the database: the reply may be rendered in one worker
process and the digit answered in another.
"""

from __future__ import annotations

import json
import unicodedata

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .models import WeChatOptions, utcnow


def save(sessions: sessionmaker, openid_hash: str, options: dict[str, str]) -> None:
    """Replace the user's options; an empty dict clears them, so a later digit is just text."""
    payload = json.dumps(options, ensure_ascii=False)
    for _ in range(2):  # a concurrent first insert for the same user: update on the second pass
        try:
            with sessions() as session, session.begin():
                row = session.get(WeChatOptions, openid_hash)
                if row is None:
                    if not options:
                        return
                    session.add(WeChatOptions(openid_hash=openid_hash, options=payload))
                elif row.options != payload:  # most answers change nothing: no write
                    row.options, row.updated_at = payload, utcnow()
            return
        except IntegrityError:
            continue


def resolve(sessions: sessionmaker, openid_hash: str, text: str) -> str:
    """The payload behind a digit the user typed, or the text unchanged."""
    choice = unicodedata.normalize("NFKC", text).strip().rstrip(".、")
    if not choice.isdigit():
        return text
    with sessions() as session:
        row = session.get(WeChatOptions, openid_hash)
        options = json.loads(row.options) if row is not None else {}
    return options.get(str(int(choice)), text)
