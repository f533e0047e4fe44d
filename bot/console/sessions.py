"""Staff sessions kept server-side, so ending one takes effect at once.

Flask's cookie session is signed, not stored: a cookie copied before logout
would keep working until it expired. Each login therefore opens a row in
`staff_sessions`, and the cookie carries only a random token whose digest is
that row's id. Logout deletes the row; a password change or a deactivation
deletes all of the account's rows (`end_all`). The row also holds the address
and user agent the session was opened from: a cookie replayed from elsewhere
ends the session ("strong" protection, done here because Flask-Login's own reads
X-Forwarded-For as sent, which any client can forge; request.remote_addr is the
real client once TRUSTED_PROXY_HOPS is set).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from flask import current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import delete

from .. import db
from ..models import StaffUser, utcnow
from ..staff_records import StaffSession

KEY = "staff_sid"
log = logging.getLogger(__name__)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _agent() -> str:
    return _digest(request.headers.get("User-Agent", ""))


def start(user: StaffUser) -> None:
    """At login: a fresh cookie session (new CSRF token, nothing carried over) and a new server row."""
    session.clear()  # drops the pre-login CSRF token and anything planted before login (fixation)
    token = secrets.token_urlsafe(32)
    dbs = db.session()
    dbs.execute(delete(StaffSession).where(StaffSession.expires_at < utcnow()))  # keeps the table small
    lifetime = current_app.permanent_session_lifetime  # STAFF_SESSION_HOURS, as a timedelta
    dbs.add(
        StaffSession(
            id=_digest(token),
            staff_id=user.id,
            expires_at=utcnow() + lifetime,
            address=(request.remote_addr or "")[:64],
            agent_digest=_agent(),
        )
    )
    session[KEY] = token


def load(user_id: str) -> StaffUser | None:
    """Flask-Login's user loader: the account, if this cookie's session is still open on the server."""
    token = session.get(KEY)
    if not user_id.isdigit() or not isinstance(token, str):
        return None
    dbs = db.session()
    row = dbs.get(StaffSession, _digest(token))
    if row is None or row.staff_id != int(user_id):
        return None
    if row.expires_at <= utcnow():
        dbs.delete(row)
        dbs.commit()
        return None
    if row.address != (request.remote_addr or "")[:64] or row.agent_digest != _agent():
        log.warning("staff session used from another address or browser; ended", extra={"staff_id": row.staff_id})
        dbs.delete(row)
        dbs.commit()
        return None
    user = dbs.get(StaffUser, row.staff_id)
    return user if user is not None and user.active else None


def end() -> None:
    """At logout: this session's row goes, and the cookie is emptied."""
    token = session.get(KEY)
    if isinstance(token, str):
        db.session().execute(delete(StaffSession).where(StaffSession.id == _digest(token)))
    session.clear()


def end_all(dbs, staff_id: int) -> int:
    """Every open session of one account (password change, deactivation, role change); returns how many."""
    return dbs.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id)).rowcount


class SessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the request came over HTTPS, not only when configured to."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))
