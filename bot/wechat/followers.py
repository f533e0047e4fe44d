"""Followers: subscribed or not, the QR scene they came from, and how to reach them.

The scene (`qrscene_booth-2024` -> `booth-2024`) is the lead source. The
OpenID is kept only so staff can answer through the customer-service API,
and only while WeChat would accept that: it is dropped on unsubscribe and
48 hours after the user's last message.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .models import WeChatFollower, utcnow

WINDOW = timedelta(hours=48)  # WeChat's customer-service window after the user's last message
_last_forget = 0.0
_forget_lock = threading.Lock()


def _upsert(sessions: sessionmaker, openid_hash: str, **values) -> None:
    for _ in range(2):  # lost a race to insert the same user: update on the second pass
        try:
            with sessions() as session, session.begin():
                row = session.get(WeChatFollower, openid_hash)
                if row is None:
                    session.add(WeChatFollower(openid_hash=openid_hash, **values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.updated_at = utcnow()
            return
        except IntegrityError:
            continue


def touched(sessions: sessionmaker, openid_hash: str, openid: str) -> None:
    """The user wrote to us: the 48-hour customer-service window restarts.

    `subscribed` is left alone (a new row defaults to True): this runs after
    the answer, and must not undo an unsubscribe that came in meanwhile.
    """
    _upsert(sessions, openid_hash, openid=openid, last_message_at=utcnow())


def subscribed(sessions: sessionmaker, openid_hash: str, openid: str, scene: str | None) -> None:
    values = {"openid": openid, "subscribed": True, "last_message_at": utcnow()}
    if scene:  # a plain re-follow keeps the first lead source
        values["scene"] = scene[:128]
    _upsert(sessions, openid_hash, **values)


def scanned(sessions: sessionmaker, openid_hash: str, openid: str, scene: str | None) -> None:
    """A follower scanned a QR code: record the scene only if we had none."""
    with sessions() as session:
        row = session.get(WeChatFollower, openid_hash)
        known = row is not None and row.scene
    values = {"openid": openid, "last_message_at": utcnow()}
    if scene and not known:
        values["scene"] = scene[:128]
    _upsert(sessions, openid_hash, **values)


def unsubscribed(sessions: sessionmaker, openid_hash: str) -> None:
    _upsert(sessions, openid_hash, subscribed=False, openid=None)


def lookup(sessions: sessionmaker, openid_hash: str) -> WeChatFollower | None:
    with sessions() as session:
        return session.get(WeChatFollower, openid_hash)


def openid_for(sessions: sessionmaker, openid_hash: str) -> str | None:
    row = lookup(sessions, openid_hash)
    return row.openid if row is not None else None


def forget_unreachable(sessions: sessionmaker) -> None:
    """Drop OpenIDs that customer-service messages can no longer reach; at most once a minute per process."""
    global _last_forget
    with _forget_lock:
        if time.monotonic() - _last_forget < 60:
            return
        _last_forget = time.monotonic()
    with sessions() as session, session.begin():
        session.execute(
            update(WeChatFollower)
            .where(WeChatFollower.openid.is_not(None), WeChatFollower.last_message_at < utcnow() - WINDOW)
            .values(openid=None)
        )
