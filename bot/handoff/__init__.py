"""A tenant's request for a person, from the gateway's side: open it, or say truthfully why not.

Rasa answers 转人工 with utter_handoff and pauses itself. Whether a person
will really come is only known here: outside office hours (hours.py), or if
the handoff cannot be stored, the tenant is told so and given the lead form
(fallback.py) instead of a promise nobody keeps. An open handoff tells the
tenant how long staff usually take; one nobody claims in time ends in the
lead form too (sweeper.py). Staff claim handoffs (claims.py) in the console.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import notify
from ..models import Handoff, HandoffMessage, utcnow
from . import fallback, messages
from .hours import OfficeHours

log = logging.getLogger(__name__)
OPENED = {
    "zh": "已为您转接招商人员，请稍候，工作人员的回复会显示在这里。",
    "en": "You have been passed on to our investment staff; their replies will appear here.",
}


def init_app(app: Flask) -> None:
    app.extensions["office_hours"] = OfficeHours.from_config(app.config)  # a bad setting stops the start
    if app.config.get("TESTING") and not app.config.get("HANDOFF_SWEEP_IN_TESTS"):
        return  # unit tests call sweeper.sweep_once themselves
    if float(app.config.get("HANDOFF_CLAIM_TIMEOUT_MINUTES") or 0) > 0:
        from .sweeper import Sweeper

        sweeper = Sweeper(app)
        app.extensions["handoff_sweeper"] = sweeper
        sweeper.ensure_running()
        app.before_request(sweeper.ensure_running)  # threads do not survive gunicorn's fork


def office_hours() -> OfficeHours:
    return current_app.extensions.get("office_hours") or OfficeHours()


def begin(
    session, channel: str, hashed: str, sender_id: str, message: str, replies: list[dict]
) -> tuple[list[dict], Handoff | None]:
    """Rasa said handoff: the replies the tenant gets, and the open handoff if one was stored."""
    language = messages.language_of(message, *(r.get("text", "") for r in replies))
    hours, now = office_hours(), utcnow()
    if not hours.is_open(now):
        _record(session, channel, hashed, message, language, closed_reason="after_hours")
        opening = hours.next_opening(now)
        notice = messages.text(
            "after_hours",
            language,
            hours=hours.describe(language),
            next=messages.when(opening, now.astimezone(hours.zone), language) if opening else "—",
        )
        log.info("handoff outside office hours: lead form offered", extra={"channel": channel})
        return fallback.offer_lead_form(sender_id, language, notice), None
    handoff = _record(session, channel, hashed, message, language, sender_id=sender_id)
    if handoff is None:
        # Nobody would see the tenant's messages: say so, and take contact details instead.
        return fallback.offer_lead_form(sender_id, language, messages.text("store_failed", language)), None
    shown = replies or [{"text": OPENED[language], "buttons": [], "sources": []}]
    try:
        timeout = float(current_app.config.get("HANDOFF_CLAIM_TIMEOUT_MINUTES") or 0)
        shown = shown + [{"text": messages.waiting(session, language, timeout), "buttons": [], "sources": []}]
    except SQLAlchemyError:  # the handoff is stored; only the estimate is missing
        session.rollback()
    return shown, handoff


def _record(session, channel, hashed, message, language, sender_id=None, closed_reason=None) -> Handoff | None:
    """Store the handoff (open, or already closed with a reason); None if the database refused."""
    try:
        handoff = Handoff(
            channel=channel,
            sender_hash=hashed,
            sender_id=sender_id,
            reason=message,
            language=language,
            status="closed" if closed_reason else "open",
            closed_reason=closed_reason,
            closed_at=utcnow() if closed_reason else None,
        )
        session.add(handoff)
        session.flush()
        session.add(HandoffMessage(handoff_id=handoff.id, author="user", text=message))
        if closed_reason is None:
            notify.handoff_opened(session, handoff)  # committed with the handoff; sent in the background
        session.commit()
        return handoff
    except SQLAlchemyError:
        log.exception("could not store the handoff")
        session.rollback()
        return None
