"""Retry deduplication across worker processes: one `wechat_messages` row per message.

WeChat gives up on a POST after 5 s and sends the same message again, up to
three times, possibly to another worker while the first is still working.
The first POST to insert the row owns the message and runs the dialogue;
every later POST joins it. Exactly one answer goes out because delivery is
claimed with one conditional UPDATE:

- passive: only by the latest POST (`attempts` = its number), because WeChat
  has stopped listening to the earlier ones. A retry after a passive answer
  gets the same answer again: it means WeChat never received the first.
- custom: by the owner's thread, after every POST's wait has ended
  (`wait_until`) and none claimed a passive answer.

Rows older than the TTL are purged; WeChat's retries end within ~15 s.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .models import CUSTOM, DONE, IN_FLIGHT, NOTHING, PASSIVE, WeChatMessage, utcnow

PURGE_EVERY_S = 60.0


class Every:
    """True at most once per `seconds` across this process's threads: old rows are purged now
    and then by whichever request comes along, not on every request."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._last = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            if time.monotonic() - self._last < self.seconds:
                return False
            self._last = time.monotonic()
            return True


_purge_due = Every(PURGE_EVERY_S)


@dataclass(frozen=True)
class Ticket:
    key: str
    attempt: int
    owner: bool


@dataclass(frozen=True)
class State:
    status: str
    delivery: str | None
    wait_until: datetime


def begin(sessions: sessionmaker, key: str, openid_hash: str, budget_s: float, ttl_s: float) -> Ticket:
    """Own the message (first POST) or join it (a retry), and extend the time answers may wait."""
    _maybe_purge(sessions, ttl_s)
    for _ in range(3):
        now = utcnow()
        wait_until = now + timedelta(seconds=budget_s)
        try:
            with sessions() as session, session.begin():
                session.add(
                    WeChatMessage(
                        key=key,
                        openid_hash=openid_hash,
                        status=IN_FLIGHT,
                        attempts=1,
                        wait_until=wait_until,
                        created_at=now,
                        updated_at=now,
                    )
                )
            return Ticket(key, 1, True)
        except IntegrityError:
            pass
        with sessions() as session, session.begin():
            # Write first, read after, in one transaction: the increment is ours alone.
            joined = session.execute(
                update(WeChatMessage)
                .where(WeChatMessage.key == key, WeChatMessage.created_at >= now - timedelta(seconds=ttl_s))
                .values(
                    attempts=WeChatMessage.attempts + 1,
                    updated_at=now,
                    wait_until=case(
                        (WeChatMessage.wait_until < wait_until, wait_until), else_=WeChatMessage.wait_until
                    ),
                )
            ).rowcount
            if joined:
                attempt = session.execute(select(WeChatMessage.attempts).where(WeChatMessage.key == key)).scalar_one()
                return Ticket(key, attempt, False)
            # Expired (or purged meanwhile): the key is free for a new message.
            session.execute(
                delete(WeChatMessage).where(
                    WeChatMessage.key == key, WeChatMessage.created_at < now - timedelta(seconds=ttl_s)
                )
            )
    raise RuntimeError(f"could not own or join {key}")


def finish(sessions: sessionmaker, key: str, reply: str, passive_ok: bool, owner_waiting: bool = False) -> bool:
    """Store the answer. Nothing to say, or too long to say passively, settles delivery now.

    `owner_waiting`: the first POST is still waiting in this process, so if no
    retry has come the answer is claimed for it here, saving it a write.
    True if that claim was made.
    """
    done = {"status": DONE, "reply": reply, "updated_at": utcnow()}
    with sessions() as session, session.begin():
        if reply and passive_ok and owner_waiting:
            claimed = session.execute(
                update(WeChatMessage)
                .where(WeChatMessage.key == key, WeChatMessage.attempts == 1)
                .values(delivery=PASSIVE, **done)
            ).rowcount
            if claimed:
                return True
        delivery = NOTHING if not reply else (None if passive_ok else CUSTOM)
        session.execute(update(WeChatMessage).where(WeChatMessage.key == key).values(delivery=delivery, **done))
    return False


def read(sessions: sessionmaker, key: str) -> State | None:
    with sessions() as session:
        row = session.execute(
            select(WeChatMessage.status, WeChatMessage.delivery, WeChatMessage.wait_until).where(
                WeChatMessage.key == key
            )
        ).first()
    return State(*row) if row else None


def claim_passive(sessions: sessionmaker, ticket: Ticket) -> str | None:
    """The answer, if it is ready and this POST is the one to give it passively."""
    with sessions() as session, session.begin():
        won = session.execute(
            update(WeChatMessage)
            .where(
                WeChatMessage.key == ticket.key,
                WeChatMessage.status == DONE,
                WeChatMessage.attempts == ticket.attempt,
                or_(WeChatMessage.delivery.is_(None), WeChatMessage.delivery == PASSIVE),
            )
            .values(delivery=PASSIVE, updated_at=utcnow())
        ).rowcount
        if not won:
            return None
        return session.execute(select(WeChatMessage.reply).where(WeChatMessage.key == ticket.key)).scalar_one()


def claim_custom(sessions: sessionmaker, key: str) -> bool:
    """True if the answer is still undelivered and now ours to send by customer-service message."""
    with sessions() as session, session.begin():
        return (
            session.execute(
                update(WeChatMessage)
                .where(WeChatMessage.key == key, WeChatMessage.delivery.is_(None))
                .values(delivery=CUSTOM, updated_at=utcnow())
            ).rowcount
            == 1
        )


def _maybe_purge(sessions: sessionmaker, ttl_s: float) -> None:
    if not _purge_due.due():
        return
    with sessions() as session, session.begin():
        session.execute(delete(WeChatMessage).where(WeChatMessage.created_at < utcnow() - timedelta(seconds=ttl_s)))
