"""Personal data is kept only as long as configured, by a job that runs itself (PIPL art. 19).

Every store that holds what tenants said or left has a period in the environment
(README "Retention"); `flask --app bot retention` (a Procfile process, so `make
run` and `make run-scaled` start it) deletes what is older, every
RETENTION_INTERVAL_HOURS. It goes through the same doors as erasing one person
(bot/person.py): Rasa's tracker store through rasa_ext/person.py and the tracker
store class Rasa runs, the gateway's tables through its models, the lead queue
as files. A period of 0 keeps that store's data for ever. A store that fails is
logged and retried at the next run; the others still run.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import delete, or_, select

from . import db
from .models import (
    ChatRequest,
    ConversationToken,
    FaqCorrection,
    Feedback,
    Handoff,
    HandoffMessage,
    Lead,
    Turn,
    VisitBooking,
    utcnow,
)

log = logging.getLogger(__name__)

# Setting name -> the store it limits; each is a number of days.
PERIODS = {
    "tracker": "TRACKER_RETENTION_DAYS",
    "turns": "TURN_RETENTION_DAYS",
    "handoffs": "HANDOFF_RETENTION_DAYS",
    "leads": "LEAD_RETENTION_DAYS",  # with their visit bookings
    "lead_queue": "LEAD_QUEUE_RETENTION_DAYS",
    "wechat": "WECHAT_RETENTION_DAYS",
}


@dataclass(frozen=True)
class Cutoffs:
    """For each store, the moment before which its data goes (None: kept)."""

    at: dict

    @classmethod
    def from_config(cls, config, now: datetime | None = None) -> "Cutoffs":
        now = now or utcnow()
        at = {}
        for store, setting in PERIODS.items():
            days = float(config.get(setting) or 0)
            at[store] = now - timedelta(days=days) if days > 0 else None
        return cls(at)


def _tracker(cutoff: datetime) -> int:
    from .person import tracker_command

    return int(tracker_command("purge", "--before", str(cutoff.timestamp())).get("events", 0))


def _turns(session, cutoff: datetime) -> int:
    old = select(Turn.id).where(Turn.created_at < cutoff)
    session.execute(delete(Feedback).where(or_(Feedback.turn_id.in_(old), Feedback.created_at < cutoff)))
    session.execute(delete(ChatRequest).where(ChatRequest.created_at < cutoff))
    session.execute(FaqCorrection.__table__.update().where(FaqCorrection.turn_id.in_(old)).values(turn_id=None))
    count = session.execute(delete(Turn).where(Turn.created_at < cutoff)).rowcount
    # A conversation's token outlives neither its own lifetime nor the turns it opens.
    expired = utcnow() - timedelta(days=current_app.config["CHAT_TOKEN_DAYS"])
    session.execute(delete(ConversationToken).where(ConversationToken.created_at < max(expired, cutoff)))
    return count


def _handoffs(session, cutoff: datetime) -> int:
    # Open handoffs are live conversations: they end (claim timeout, staff) and go at a later run.
    old = select(Handoff.id).where(Handoff.status == "closed", Handoff.created_at < cutoff)
    session.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(old)))
    return session.execute(delete(Handoff).where(Handoff.status == "closed", Handoff.created_at < cutoff)).rowcount


def _leads(session, cutoff: datetime) -> int:
    # A lead's visit bookings go with it (and any booking as old): they carry its conversation's hash.
    old = select(Lead.id).where(Lead.created_at < cutoff)
    session.execute(delete(VisitBooking).where(or_(VisitBooking.lead_id.in_(old), VisitBooking.created_at < cutoff)))
    return session.execute(delete(Lead).where(Lead.created_at < cutoff)).rowcount


def _wechat(session, cutoff: datetime) -> int:
    from .wechat.models import WeChatFollower, WeChatMessage, WeChatOptions

    naive = cutoff.replace(tzinfo=None)  # these tables store naive UTC
    count = session.execute(delete(WeChatMessage).where(WeChatMessage.created_at < naive)).rowcount
    count += session.execute(delete(WeChatOptions).where(WeChatOptions.updated_at < naive)).rowcount
    count += session.execute(
        delete(WeChatFollower).where(
            WeChatFollower.updated_at < naive,
            or_(WeChatFollower.last_message_at.is_(None), WeChatFollower.last_message_at < naive),
        )
    ).rowcount
    return count


def _lead_queue(queue_dirs: list[Path], cutoff: datetime) -> int:
    """Queued lead files (waiting, or set aside as rejected) last written before the cutoff."""
    count = 0
    for queue in queue_dirs:
        for path in [*Path(queue).glob("*.json"), *Path(queue).glob("rejected/*.json")]:
            try:
                if path.stat().st_mtime < cutoff.timestamp():
                    path.unlink()
                    count += 1
            except FileNotFoundError:
                continue  # delivered meanwhile
    return count


def run_once(app: Flask, now: datetime | None = None, queue_dirs: list[Path] | None = None) -> dict:
    """Delete what is past its period in every store; how many went from each (None: kept or failed)."""
    with app.app_context():
        cutoffs = Cutoffs.from_config(app.config, now).at
        counts: dict = {}
        steps = {
            "tracker": lambda cut: _tracker(cut),
            "lead_queue": lambda cut: _lead_queue(queue_dirs or [Path(app.config["LEADS_QUEUE_DIR"])], cut),
        }
        for store in ("turns", "handoffs", "leads", "wechat"):
            steps[store] = _in_session(
                {"turns": _turns, "handoffs": _handoffs, "leads": _leads, "wechat": _wechat}[store]
            )
        for store in PERIODS:
            counts[store] = None
            if cutoffs[store] is None:
                continue
            try:
                counts[store] = steps[store](cutoffs[store])
            except Exception as exc:  # one store down must not keep the others' data longer
                db.session().rollback()
                log.warning(
                    "retention: a store failed; retried at the next run",
                    extra={"store": store, "error": type(exc).__name__},
                )
        log.info("retention run", extra={f"deleted_{k}": v for k, v in counts.items()})
        return counts


def _in_session(step):
    def run(cutoff: datetime) -> int:
        session = db.session()
        count = step(session, cutoff)
        session.commit()
        return count

    return run


def run_forever(app: Flask, queue_dirs: list[Path] | None = None, first_delay_s: float | None = None) -> None:
    """Run now-ish and then every RETENTION_INTERVAL_HOURS until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    interval = max(float(app.config.get("RETENTION_INTERVAL_HOURS") or 24) * 3600, 1.0)
    # The first run waits a little, so it does not compete with Rasa's start for the CPU.
    delay = float(app.config.get("RETENTION_FIRST_RUN_S", 60)) if first_delay_s is None else first_delay_s
    log.info("retention job started", extra={"interval_s": interval, "pid": os.getpid()})
    while not stop.wait(delay):
        try:
            run_once(app, queue_dirs=queue_dirs)
        except Exception:  # the loop must outlive a bad run
            log.exception("retention run failed; retried at the next run")
        delay = interval
    log.info("retention job stopped")
