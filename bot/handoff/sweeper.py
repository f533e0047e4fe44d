"""Handoffs nobody claimed in time end in the lead form, from a background thread per worker.

Every HANDOFF_SWEEP_S seconds the thread looks for open, unclaimed handoffs
older than HANDOFF_CLAIM_TIMEOUT_MINUTES. Each is taken with a conditional
UPDATE (claims.mark_timing_out), so with several workers exactly one hands
it over: Rasa resumes and opens the lead form, and the notice and the form's
first question become messages of the handoff, which the widget's poll shows
(WeChat gets them as customer-service messages). Closing and writing those
messages is one commit, so a poll never sees the handoff closed without them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..dialogue import DialogueUnavailable
from ..models import Handoff, HandoffMessage, utcnow
from ..process_thread import ProcessThread
from . import claims, fallback, messages

log = logging.getLogger(__name__)


def sweep_once(app: Flask, now: datetime | None = None) -> list[int]:
    """Time out every overdue handoff; the ids handed to the lead form."""
    minutes = float(app.config.get("HANDOFF_CLAIM_TIMEOUT_MINUTES") or 0)
    if minutes <= 0:
        return []
    cutoff = (now or utcnow()) - timedelta(minutes=minutes)
    done = []
    with app.app_context():
        session = db.session()
        overdue = session.scalars(
            select(Handoff.id)
            .where(
                Handoff.status == "open",
                Handoff.staff_id.is_(None),
                Handoff.closed_reason.is_(None),
                Handoff.created_at <= cutoff,
            )
            .order_by(Handoff.id)
        ).all()
        for handoff_id in overdue:
            if claims.mark_timing_out(session, handoff_id, cutoff) and _hand_to_lead_form(session, handoff_id):
                done.append(handoff_id)
    return done


def _hand_to_lead_form(session, handoff_id: int) -> bool:
    handoff = session.get(Handoff, handoff_id)
    notice = messages.text("timeout", handoff.language)
    try:
        replies = fallback.start_lead_form(handoff.sender_id) if handoff.sender_id else []
    except DialogueUnavailable:
        log.warning(
            "handoff timed out but the lead form cannot be opened; kept for staff", extra={"handoff_id": handoff_id}
        )
        claims.unmark_timing_out(session, handoff_id)
        return False
    texts = [notice] + [r["text"] for r in replies if r.get("text")]
    _deliver_elsewhere(handoff, texts)
    for text in texts:  # author staff, no staff_id: said by the system, shown where staff replies are
        session.add(HandoffMessage(handoff_id=handoff.id, author="staff", text=text))
    handoff.status, handoff.closed_reason, handoff.closed_at = "closed", "timeout", utcnow()
    handoff.sender_id = None
    session.commit()
    log.info("handoff timed out to the lead form", extra={"handoff_id": handoff_id, "channel": handoff.channel})
    return True


def _deliver_elsewhere(handoff: Handoff, texts: list[str]) -> None:
    """A WeChat tenant does not poll: the texts go out as customer-service messages."""
    from ..console.views import deliver

    for text in texts:
        problem = deliver(handoff, text)
        if problem:
            log.warning(
                "timeout notice not delivered",
                extra={"handoff_id": handoff.id, "channel": handoff.channel, "problem": problem},
            )
            break


class Sweeper(ProcessThread):
    """The thread; started per worker process (again after a fork), like the notice sender."""

    thread_name = "handoff-sweeper"

    def __init__(self, app: Flask):
        super().__init__()
        self.app, self.interval = app, max(float(app.config.get("HANDOFF_SWEEP_S") or 15), 0.2)

    def stop(self) -> None:
        self.stopping.set()

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                sweep_once(self.app)
            except SQLAlchemyError as exc:  # the database restarting, or not migrated yet
                log.warning("handoff sweeper: database error; retrying", extra={"error": type(exc).__name__})
            except Exception:  # the loop must outlive anything else
                log.exception("handoff sweeper failed; retrying")
