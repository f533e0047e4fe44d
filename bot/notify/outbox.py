"""Writing notices into the outbox, and reading its state for the dashboard.

`enqueue` adds rows to the caller's session, so a notice is committed with
the handoff, lead or feedback that caused it, or not at all; the tenant's
reply never waits for a robot or a mail server. Nothing here raises into the
request: a database not yet migrated (`make migrate`) means no notice, logged.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from .compose import Message
from .models import FAILED, PENDING, Notice, TABLE

log = logging.getLogger(__name__)


class TableCheck:
    """Whether the outbox table exists. Once seen it is remembered; a miss is looked up again next time
    (events are few, and a notice lost to a stale answer would not come back)."""

    def __init__(self, engine):
        self.engine, self.present, self.said = engine, False, False

    def __call__(self) -> bool:
        if not self.present:
            try:
                self.present = inspect(self.engine).has_table(TABLE.name)
            except SQLAlchemyError:
                self.present = False
            if not self.present and not self.said:
                self.said = True
                log.error("notify: table %s is missing; run `make migrate`. No notices until then", TABLE.name)
        return self.present


def enqueue(session, channels: tuple[str, ...], message: Message, check_existing: bool = False) -> int:
    """Add one pending row per channel to `session` (committed by the caller); the number added.

    `check_existing` skips channels already told of this event (a rating changed back and forth);
    new events (a handoff, a lead just made) have ids nobody has used and need no look-up.
    """
    if check_existing:
        told = set(session.scalars(select(Notice.channel).where(Notice.event == message.event)))
        channels = tuple(c for c in channels if c not in told)
    for channel in channels:
        session.add(
            Notice(
                kind=message.kind,
                event=message.event,
                channel=channel,
                subject=message.subject,
                body=message.body,
                attachment=message.attachment,
                status=PENDING,
                attempts=0,
            )
        )
    if channels:
        log.info("notice queued", extra={"kind": message.kind, "event": message.event, "channels": ",".join(channels)})
    return len(channels)


def counts(session) -> dict | None:
    """{"pending": n, "failed": n} for the dashboard, or None when the table is not there."""
    try:
        by_status = dict(
            session.execute(
                select(Notice.status, func.count()).where(Notice.status.in_((PENDING, FAILED))).group_by(Notice.status)
            ).all()
        )
    except SQLAlchemyError:
        session.rollback()
        return None
    return {"pending": by_status.get(PENDING, 0), "failed": by_status.get(FAILED, 0)}
