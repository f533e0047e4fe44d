"""Each signed query is usable once: (signature, timestamp, nonce) triples are remembered.

The timestamp check alone leaves a window (WECHAT_MAX_AGE_S) in which a signed
query seen once, in a log or on the wire, can be sent again with another body:
in plain and compatible mode the signature does not cover the body. So every
accepted triple is stored, in the database every worker shares, until its
timestamp could no longer pass the freshness check; a second use is refused.
The primary key makes the check atomic across workers: two requests with the
same triple race to insert one row, and only one wins.

WeChat's retries of a message are deduplicated by MsgId (dedup.py), not here:
each retry is a request of its own, signed anew (as the simulator sends them).
A retry that reused its query would be refused as a replay; our replies come
well inside WeChat's 5 s, so that could only follow a reply lost on the way.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .dedup import Every
from .models import WeChatSignature, utcnow

PURGE_EVERY_S = 60.0
_purge_due = Every(PURGE_EVERY_S)


def _key(signature: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha256(f"{signature}\n{timestamp}\n{nonce}".encode("utf-8", "replace")).hexdigest()


def keep_until(timestamp: str, max_age_s: float, fallback_s: float) -> datetime:
    """Until the timestamp turns stale; without a freshness check (max_age 0), `fallback_s` from now."""
    now = utcnow()
    if max_age_s:
        try:
            stale_at = datetime.fromtimestamp(int(timestamp) + max_age_s, UTC).replace(tzinfo=None)
        except (ValueError, OverflowError, OSError):
            stale_at = now
        return max(stale_at, now) + timedelta(seconds=1)
    return now + timedelta(seconds=fallback_s)


def first_use(sessions: sessionmaker, signature: str, timestamp: str, nonce: str, until: datetime) -> bool:
    """Record the triple; False if it was recorded before (a replay)."""
    _maybe_purge(sessions)
    key = _key(signature, timestamp, nonce)
    try:
        with sessions() as session, session.begin():
            session.add(WeChatSignature(key=key, expires_at=until))
        return True
    except IntegrityError:
        pass
    # Already there: a replay, unless the row had expired and not yet been purged.
    with sessions() as session, session.begin():
        expired = session.execute(
            delete(WeChatSignature).where(WeChatSignature.key == key, WeChatSignature.expires_at < utcnow())
        ).rowcount
    if expired:
        return first_use(sessions, signature, timestamp, nonce, until)
    return False


def _maybe_purge(sessions: sessionmaker) -> None:
    if not _purge_due.due():
        return
    with sessions() as session, session.begin():
        session.execute(delete(WeChatSignature).where(WeChatSignature.expires_at < utcnow()))
