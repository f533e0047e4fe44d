"""The notice outbox: one row per notice and channel, written in the request that caused it.

A row is the promise that staff will hear of an event even if the robot or
the mail server is down right now: the background sender (sender.py) works
through due rows, and the dashboard counts the pending and failed ones.
Rows hold only what the notice says (ids, counts, masked text), never a
phone number, a tenant's name or a webhook URL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime
from ..models import utcnow

PENDING, SENT, FAILED = "pending", "sent", "failed"
KINDS = ("handoff", "lead", "handoff_waiting", "thumbs_down", "visit")


class Notice(Base):
    __tablename__ = "notify_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(24))  # one of KINDS
    # What happened, e.g. "handoff:12": with the channel, unique, so an event is told once per channel
    # even when two workers notice it at the same time.
    event: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))  # wecom | dingtalk | email
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    # An iCalendar file for a site visit (bot/visits/calendar.py), attached to the e-mail; the robots,
    # which take no files, link to the console's copy. It names no tenant.
    attachment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the sender may (re)try; a claimed row is pushed ahead by a lease, so a worker that dies
    # mid-send leaves it to be retried rather than lost.
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("event", "channel", name="uq_notify_outbox_event_channel"),)


TABLE = Notice.__table__
