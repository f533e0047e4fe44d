"""What the gateway keeps about staff themselves: the audit log, live sessions and failed logins.

Apart from bot/models.py because these rows are about the people running the
console, not about tenants: an audit entry is never changed once written, a
session row is what makes a logout or a deactivation end a copied cookie, and
failed logins are counted per (username, address) so that a stranger's guesses
lock out only the stranger's address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UtcDateTime
from .models import Stamp, utcnow


class AuditEntry(Stamp, Base):
    """One staff action: who, when (created_at), what, and from which address. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    # The name as it was (or as typed, for a failed login): the entry outlives a renamed or removed account.
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    # Ids, counts and changed fields; never a tenant's message, name or phone number.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str] = mapped_column(String(64), default="")


class StaffSession(Stamp, Base):
    """A logged-in console session; the cookie carries a token whose digest is the id."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Session protection: the address (after TRUSTED_PROXY_HOPS) and user agent it was opened from.
    address: Mapped[str] = mapped_column(String(64), default="")
    agent_digest: Mapped[str] = mapped_column(String(64), default="")


class LoginFailure(Base):
    """Wrong passwords for one username from one address, and how long that pair is locked."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # As typed, whether or not the account exists: both are treated the same.
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("username", "address", name="uq_login_failures_username_address"),)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context, _instances) -> None:
    """No code path of the gateway may change or delete an audit entry."""
    if any(isinstance(obj, AuditEntry) for obj in (*session.dirty, *session.deleted)):
        raise AuditLogIsAppendOnly("audit log entries cannot be changed or deleted")
