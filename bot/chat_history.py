"""A web conversation as its owner saw it, for the widget to restore after a reload or a page change.

Built from what the gateway already keeps: each turn's user message and the
replies as shown (turns.replies, with their sources and buttons), and the
staff's messages of the conversation's handoffs, in the order they happened.
Only the last CHAT_HISTORY_HOURS are returned (default 24 h).

A button press reached the gateway as its payload (`/ask_location`); the
person saw and tapped its title, so the title is what is restored, read from
the buttons of the reply before it. Messages nobody typed (`/greet`, the
widget's hidden opening) show only the bot's answer.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .models import Handoff, HandoffMessage, Turn, utcnow

MAX_TURNS = 200  # a day of conversation is far less; the bound keeps one response small
HIDDEN = frozenset({"/greet", "/session_start"})


def _at(value) -> str:
    return value.isoformat() if value else ""


def _shown_user_text(text: str, previous_replies: list) -> str | None:
    if not text.startswith("/"):
        return text
    if text in HIDDEN:
        return None
    for reply in reversed(previous_replies):
        for button in reply.get("buttons") or []:
            if button.get("payload") == text:
                return button.get("title") or None
    return None  # a payload whose button is gone: the answer still shows


def said_by(message: HandoffMessage) -> str:
    """'staff' for what a person on staff wrote; 'system' for what the gateway said in their place (the
    timeout notice and the lead form's first question, "人工服务已结束"): those carry no staff_id, and
    the tenant must not read them as a colleague's words."""
    return "staff" if message.staff_id is not None else "system"


def last_staff_id(session, hashed: str) -> int:
    """Polling goes on after this id, so staff messages older than the window are not delivered again."""
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.max(HandoffMessage.id))
            .join(Handoff)
            .where(Handoff.sender_hash == hashed, HandoffMessage.author == "staff")
        )
        or 0
    )


def history(session, hashed: str) -> dict:
    since = utcnow() - timedelta(hours=current_app.config["CHAT_HISTORY_HOURS"])
    turns = session.scalars(
        select(Turn)
        .where(Turn.sender_hash == hashed, Turn.created_at >= since)
        .order_by(Turn.id.desc())
        .limit(MAX_TURNS)
    ).all()[::-1]
    staff = session.scalars(
        select(HandoffMessage)
        .join(Handoff)
        .where(Handoff.sender_hash == hashed, HandoffMessage.author == "staff", HandoffMessage.created_at >= since)
        .order_by(HandoffMessage.id)
    ).all()
    events: list[tuple] = []
    previous: list = []
    for turn in turns:
        replies = turn.replies or []  # None: logged before replies were kept
        shown = _shown_user_text(turn.user_text, previous)
        items = [] if shown is None else [{"role": "user", "text": shown}]
        items += [
            {
                "role": "bot",
                "text": r.get("text", ""),
                "buttons": r.get("buttons") or [],
                "sources": r.get("sources") or [],
                "turn_id": turn.id,
            }
            for r in replies
        ]
        for item in items:
            item["at"] = _at(turn.created_at)
        events.append((turn.created_at, 0, turn.id, items))
        previous = replies or previous
    for message in staff:
        events.append(
            (
                message.created_at,
                1,
                message.id,
                [{"role": said_by(message), "id": message.id, "text": message.text, "at": _at(message.created_at)}],
            )
        )
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    open_handoff = session.scalars(
        select(Handoff.id).where(Handoff.sender_hash == hashed, Handoff.status == "open")
    ).first()
    return {
        "handoff": open_handoff is not None,
        "last_staff_id": last_staff_id(session, hashed),
        "messages": [item for event in events for item in event[3]],
    }
