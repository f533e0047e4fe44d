"""Login lockout that stops guessing without letting a stranger lock a colleague out.

Failures are counted per (username, address). After STAFF_MAX_FAILED_LOGINS
wrong passwords that pair is locked for STAFF_LOCKOUT_MINUTES, and every wrong
password after a lock doubles the next one (up to STAFF_LOCKOUT_MAX_HOURS).
Another address has its own count, so the right password from a clean address
always works: an attacker locks out only themselves. A username that does not
exist is counted and locked exactly like one that does, so neither the
message nor the behaviour tells which usernames exist.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from ..models import utcnow
from ..staff_records import LoginFailure

LOCKED_MESSAGE = "登录尝试过多，已暂时锁定：请 {minutes} 分钟后再试，或请管理员解锁。"
# A pair with no failure for this long starts again from zero.
FORGET_AFTER = timedelta(days=1)


def _row(session, username: str, address: str) -> LoginFailure | None:
    return session.scalars(
        select(LoginFailure).where(LoginFailure.username == username[:64], LoginFailure.address == address[:64])
    ).first()


def locked_for(session, username: str, address: str) -> int:
    """Minutes left on this pair's lock (rounded up), or 0."""
    row = _row(session, username, address)
    if row is None or row.locked_until is None:
        return 0
    left = (row.locked_until - utcnow()).total_seconds()
    return max(int(-(-left // 60)), 0)


def failed(session, username: str, address: str) -> int:
    """Count a wrong password; returns the minutes of the lock it started, or 0."""
    now = utcnow()
    row = _row(session, username, address)
    if row is None:
        row = LoginFailure(username=username[:64], address=address[:64], failures=0)
        session.add(row)
    elif row.updated_at < now - FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.updated_at = now
    allowed = current_app.config["STAFF_MAX_FAILED_LOGINS"]
    if row.failures < allowed:
        return 0
    base = current_app.config["STAFF_LOCKOUT_MINUTES"]
    cap = current_app.config["STAFF_LOCKOUT_MAX_HOURS"] * 60
    minutes = min(base * 2 ** min(row.failures - allowed, 16), cap)
    row.locked_until = now + timedelta(minutes=minutes)
    return max(math.ceil(minutes), 1)


def succeeded(session, username: str, address: str) -> None:
    session.execute(
        delete(LoginFailure).where(LoginFailure.username == username[:64], LoginFailure.address == address[:64])
    )


def clear(session, username: str) -> int:
    """An admin's unlock: every address's count for this username; returns how many addresses were locked."""
    was = len(locks(session, [username]).get(username, []))
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:64]))
    return was


def locks(session, usernames: list[str]) -> dict[str, list[datetime]]:
    """Current locks by username (one per locked address), for the accounts page."""
    rows = session.scalars(
        select(LoginFailure).where(LoginFailure.username.in_(usernames), LoginFailure.locked_until.is_not(None))
    ).all()
    found: dict[str, list[datetime]] = {}
    for row in rows:
        if row.locked_until > utcnow():
            found.setdefault(row.username, []).append(row.locked_until)
    return found


def failure_counts(session, usernames: list[str]) -> dict[str, int]:
    """Recent wrong passwords by username, summed over addresses."""
    rows = session.execute(
        select(LoginFailure.username, func.sum(LoginFailure.failures))
        .where(LoginFailure.username.in_(usernames), LoginFailure.updated_at >= utcnow() - FORGET_AFTER)
        .group_by(LoginFailure.username)
    ).all()
    return {name: int(total or 0) for name, total in rows}
