"""Rasa's SQL tracker store, made to forget a refused lead form.

Rasa 3.6 offers no way to change a stored event: `PUT
/conversations/{id}/tracker/events` builds a new tracker, but the SQL store's
`save` only appends the events beyond those already stored, so a redacted copy
of the history is silently dropped. The store is the one place that can keep
the promise, for every channel and whichever Rasa server handled the turn:
after saving a turn that cancelled the lead form or refused consent
(actions/erasure.py `refused`), it rewrites that conversation's stored events
without the form's answers, inside the same conversation lock.

It also finds and erases one person's whole conversations when staff are asked
to (`senders_mentioning`, `person_events`, `erase_sender`; run by rasa_ext/person.py
for `flask --app bot erase-person` and the console), in the same sessions and
queries as the form erasure, and drops every event older than the retention
period (`erase_before`, run by the gateway's retention job, bot/retention.py).

endpoints.yml names it as the tracker store's `type`; it takes the same
settings as Rasa's `SQL` type.

On SQLite (one machine, scripts/serve-rasa's default) it also runs the database in
WAL mode with `synchronous` from SQLITE_SYNCHRONOUS (default NORMAL), as the gateway
does (bot/db.py), with connections kept in a pool: Rasa saves a turn on its event loop,
and a FULL commit's fsyncs stalled every conversation for their length (~15% of the loop
under `make bench`).
NORMAL in WAL mode never corrupts the file; a power cut may lose the last turns.

Every message reads the session's events and saves the new ones. Rasa does both through the ORM:
a query object built per call (its cache key computed each time), an ORM object per stored row,
a `count()` of the session for every save, and a unit-of-work flush. The store runs the same SQL
as Core statements built once (`SessionStatements`): the same rows, the same order, the same
session boundary (events since the latest `session_started`). Profiled in ops/profiles round 7.
"""

from __future__ import annotations

import itertools
import json
import logging
import os

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from actions.erasure import FORGET, SUBMIT, erase_form_answers, refused

log = logging.getLogger(__name__)

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def sqlite_synchronous() -> str:
    """SQLITE_SYNCHRONOUS, or NORMAL when unset or not one of SQLite's levels."""
    value = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    return value if value in SYNCHRONOUS else "NORMAL"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
    cursor.close()


class SessionStatements:
    """Rasa's `_event_query` for the latest session, as Core statements: its rows' data, their number,
    and the insert of new rows. Built once per store; the sender is a bound parameter."""

    def __init__(self, table: sa.Table) -> None:
        c = table.c
        sender = sa.bindparam("sender_id")
        start = (
            sa.select(sa.func.max(c.timestamp))
            .where(c.sender_id == sender, c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_session = sa.and_(c.sender_id == sender, sa.or_(c.timestamp >= start, start.is_(None)))
        self.data = sa.select(c.data).where(in_session).order_by(c.id)
        self.count = sa.select(sa.func.count()).select_from(table).where(in_session)
        self.insert = table.insert()


def event_row(sender_id: str, event) -> dict:
    """One event as Rasa's SQL store writes it (rasa/core/tracker_store.py SQLTrackerStore.save)."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def may_end_form(tracker: DialogueStateTracker) -> bool:
    """Whether this turn ran an action that can end a lead form (the only turns `refused` can be
    true for). Walks back to the turn's user message only, not the whole session."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name in (FORGET, SUBMIT):
            return True
    return False


class ErasingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            # (An in-memory database is left as it is: a pool would give each connection its own.)
            # SQLAlchemy 1.4 gives a SQLite file a NullPool: a new connection per save, and
            # closing the last one checkpoints and deletes the WAL, a sync on every turn again.
            # A pool keeps connections open (one at a time each, hence check_same_thread off).
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, pool_size=2, max_overflow=8, connect_args={"check_same_thread": False}
            )
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)
        self.statements = SessionStatements(self.SQLEvent.__table__)
        with self.session_scope():  # Rasa checks POSTGRESQL_SCHEMA in every session; the Core path once, here
            pass

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions or not self.domain:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.engine.connect() as conn:
            rows = conn.execute(self.statements.data, {"sender_id": sender_id}).scalars().all()
        if not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.engine.begin() as conn:
            stored = conn.execute(self.statements.count, {"sender_id": tracker.sender_id}).scalar_one()
            rows = [event_row(tracker.sender_id, e) for e in itertools.islice(tracker.events, stored, None)]
            if rows:
                conn.execute(self.statements.insert, rows)
        if not may_end_form(tracker):  # most turns: no need to turn the session's events into dicts
            return
        events = [event.as_dict() for event in tracker.events]
        last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
        if refused(events, since=last_user):
            self.erase_form_answers(tracker.sender_id)

    def erase_form_answers(self, sender_id: str) -> int:
        """Rewrite the stored events of the latest lead form run; returns how many changed."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=True).all()
            before = [json.loads(row.data) for row in rows]
            after = erase_form_answers(before)
            changed = 0
            for row, old, new in zip(rows, before, after):
                if old != new:
                    row.data = json.dumps(new)
                    changed += 1
            session.commit()
        log.info("lead form answers erased from the tracker store", extra={"events": changed})
        return changed

    def senders_mentioning(self, text: str) -> list[str]:
        """Conversations with an event holding `text` (a phone number in a slot or a message)."""
        with self.session_scope() as session:
            rows = session.query(self.SQLEvent.sender_id).filter(self.SQLEvent.data.contains(text)).distinct()
            return sorted(row.sender_id for row in rows)

    def person_events(self, sender_id: str) -> list[dict]:
        """What the person said and what the form kept, from every session of the conversation."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=True).all()
            events = [json.loads(row.data) for row in rows]
        kept = []
        for event in events:
            if event.get("event") == "user":
                kept.append({"event": "user", "timestamp": event.get("timestamp"), "text": event.get("text")})
            elif event.get("event") == "slot" and event.get("value") is not None:
                kept.append(
                    {
                        "event": "slot",
                        "timestamp": event.get("timestamp"),
                        "name": event.get("name"),
                        "value": event.get("value"),
                    }
                )
        return kept

    def erase_sender(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; returns how many."""
        with self.session_scope() as session:
            count = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        log.info("a conversation was erased from the tracker store", extra={"events": count})
        return count

    def erase_before(self, timestamp: float) -> int:
        """Delete every stored event older than `timestamp` (seconds since the epoch); returns how many.

        Event by event, not whole conversations: a conversation still going keeps what is recent.
        Rasa reads a conversation from its latest session start, and a session ends after minutes of
        silence (domain.yml session_config), so an event past any retention period is never in a
        session Rasa is still reading."""
        with self.session_scope() as session:
            count = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.timestamp < timestamp)
                .delete(synchronize_session=False)
            )
            session.commit()
        log.info("events past the retention period were erased from the tracker store", extra={"events": count})
        return count
