"""Staff notices: a handoff, a new lead, a handoff left waiting, a thumbs-down reach staff where they are.

Investment staff do not sit in the console. The request that causes an event
writes its notices into the outbox (`notify_outbox`) in its own transaction;
a background thread per worker (sender.py) delivers them to the WeCom robot,
the DingTalk robot and e-mail, with retries. The hooks below are what the API
and the conversation call: each catches its own errors, because a notice
must never cost a tenant an answer.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy import event, func, select

from . import compose
from .outbox import TableCheck, counts, enqueue
from .sender import Sender
from .settings import NotifySettings

log = logging.getLogger(__name__)

__all__ = ["init_app", "handoff_opened", "lead_received", "thumbs_down", "visit_changed", "counts"]


def init_app(app: Flask) -> None:
    settings, problems = NotifySettings.from_config(app.config)
    for problem in problems:
        log.warning("notify: %s", problem)
    if not settings.channels:
        log.info("staff notices off (no NOTIFY_WECOM_WEBHOOK_URL, NOTIFY_DINGTALK_WEBHOOK_URL or SMTP_URL)")
        return
    table_ready = TableCheck(app.extensions["db_engine"])
    sender = Sender(app.extensions["db_sessionmaker"], settings, table_ready)
    app.extensions["notify"] = sender
    sender.ensure_running()
    # Gunicorn forks workers after the app is made in some set-ups; threads do not survive a fork.
    app.before_request(sender.ensure_running)
    log.info(
        "staff notices on",
        extra={"channels": ",".join(settings.channels), "handoff_wait_minutes": settings.handoff_wait_minutes},
    )


def _queue(session, build, check_existing: bool = False) -> None:
    sender: Sender | None = current_app.extensions.get("notify")
    if sender is None or not sender.table_ready():
        return
    try:
        message = build(sender.links)
        if enqueue(session, sender.settings.channels, message, check_existing):
            # Send as soon as the request's transaction is in, not at the next poll.
            event.listen(session, "after_commit", sender.wake, once=True)
    except Exception:
        log.exception("notice not queued")


def handoff_opened(session, handoff) -> None:
    """A tenant asked for a person. Called after the handoff is flushed (it has an id), before commit."""
    from ..models import Turn

    def build(links):
        earlier = select(Turn).where(Turn.sender_hash == handoff.sender_hash)
        count = session.scalar(select(func.count()).select_from(earlier.subquery())) or 0
        last = session.scalars(earlier.order_by(Turn.id.desc()).limit(1)).first()
        return compose.handoff_opened(
            links,
            handoff.id,
            handoff.channel,
            handoff.reason,
            count,
            last.user_text if last else None,
            last.intent if last else None,
        )

    _queue(session, build)


def lead_received(session, lead) -> None:
    """A lead came in from the form. Called after the lead is flushed, before commit."""
    topic = (lead.extra or {}).get("topic") if isinstance(lead.extra, dict) else None
    _queue(
        session,
        lambda links: compose.lead_received(
            links, lead.id, lead.channel, topic if isinstance(topic, str) else None, bool(lead.phone), bool(lead.email)
        ),
    )


def thumbs_down(session, turn, comment: str) -> None:
    """A tenant rated an answer down. Told once per turn, however often the rating flips."""
    _queue(
        session,
        lambda links: compose.thumbs_down(
            links, turn.id, turn.channel, turn.user_text, turn.outcome, turn.intent, bool(comment)
        ),
        check_existing=True,
    )


def visit_changed(session, change: str, booking, by: str, before=None, ics: str | None = None) -> None:
    """A site visit booked, moved or cancelled (bot/visits/booking.py), with its .ics. Called before commit."""
    from ..visits.booking import slot_text

    _queue(
        session,
        lambda links: compose.visit(
            links,
            change,
            booking.id,
            booking.lead_id,
            booking.channel,
            slot_text(booking.slot) + "（北京时间）",
            booking.slot.place or "",
            by,
            slot_text(before) if before is not None else "",
            ics,
        ),
    )
