"""What a turn reads about its conversation before it answers, in one statement.

Every chat turn first needs two facts: whether staff hold the conversation (an open handoff: the
bot stays quiet) and which messages about the tenant's site visit staff left for it (shown with
this reply, bot/visits/chat.py). They were two ORM queries, and on the gateway's hot path
SQLAlchemy's handling of a statement, not SQLite, was most of each one's cost
(ops/profiles/README.md, round 5). So this is one Core statement, built once (its compiled form
is cached), read as plain rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Text, bindparam, cast, literal_column, null, select, union_all

from .models import Handoff, VisitBooking

_handoffs, _bookings = Handoff.__table__, VisitBooking.__table__
_HASHED = bindparam("hashed")
STANDING = union_all(
    select(literal_column("'handoff'").label("kind"), _handoffs.c.id, cast(null(), Text).label("notice")).where(
        _handoffs.c.sender_hash == _HASHED, _handoffs.c.status == "open"
    ),
    select(literal_column("'visit'"), _bookings.c.id, _bookings.c.pending_notice).where(
        _bookings.c.sender_hash == _HASHED, _bookings.c.pending_notice.is_not(None)
    ),
)


@dataclass
class Standing:
    """The open handoff's id (the newest, should there be several), and the undelivered visit
    messages as (booking id, text)."""

    handoff_id: int | None = None
    notices: list[tuple[int, str]] = field(default_factory=list)


def standing(session, hashed: str) -> Standing:
    """Both facts for the conversation `hashed`; raises SQLAlchemyError as a query would."""
    rows = session.execute(STANDING, {"hashed": hashed}).all()
    held = [row.id for row in rows if row.kind == "handoff"]
    return Standing(max(held) if held else None, [(row.id, row.notice) for row in rows if row.kind == "visit"])
