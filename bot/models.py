"""What the gateway remembers: turns, feedback, leads, handoffs, staff and FAQ corrections.

Nobody's sender id is stored as given: web ids and WeChat openids become a
salted HMAC (`hash_sender`), so the logs can group a conversation without
naming the person. The one exception is an open handoff, which must know
where to deliver a staff reply; its raw id is dropped when it is released.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, false, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import turn_contract

from .db import Base, UtcDateTime

OUTCOMES = turn_contract.LOGGED_OUTCOMES
# A lead's way through the pipeline (issue 17 part 5): the keys are what the database holds, the labels what
# the console and the export say. 已签约 and 已流失 end it. Migration 0009 turned the old "closed" into "lost".
LEAD_STATUS_LABELS = {
    "new": "新线索",
    "contacted": "已联系",
    "visit_booked": "已预约考察",
    "negotiating": "洽谈中",
    "signed": "已签约",
    "lost": "已流失",
}
LEAD_STATUSES = tuple(LEAD_STATUS_LABELS)
# Each role can do what the roles before it can, and more (ROLE_GRANTS): a viewer reads,
# staff answer handoffs and work leads, an editor changes the knowledge base, an admin manages accounts.
ROLES = ("viewer", "staff", "editor", "admin")
ROLE_GRANTS = {"viewer": ("read",), "staff": ("handoffs", "leads"), "editor": ("knowledge",), "admin": ("accounts",)}


def grants(role: str) -> frozenset[str]:
    """What a role may do: its own grants and those of every role before it."""
    if role not in ROLES:
        return frozenset()
    return frozenset(g for r in ROLES[: ROLES.index(role) + 1] for g in ROLE_GRANTS[r])


HANDOFF_END_REASONS = ("released", "timeout", "after_hours", "timing_out")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hash_sender(sender_id: str, salt: str) -> str:
    return hmac.new(salt.encode("utf-8"), sender_id.encode("utf-8"), hashlib.sha256).hexdigest()


class Stamp:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Turn(Stamp, Base):
    """One user message and what the bot did with it."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # web | wechat | console
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    user_text: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text, default="")
    # [{"title","url","doc_id","chunk_id","score","bm25","dense","confidence",...}]
    sources: Mapped[list] = mapped_column(JSON, default=list)
    # Retrieved passages with bm25/dense/fused scores, when the answerer said.
    passages: Mapped[list] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    # Answered by the knowledge package alone because Rasa was unreachable.
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    # The message answered the lead form: masked if consent is refused (bot/consent.py).
    form_step: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The replies as the user saw them ({"text","buttons","sources"} each), so the widget can restore
    # the conversation (GET /api/chat/history) and a retried message gets the same answer.
    replies: Mapped[list | None] = mapped_column(JSON)

    feedback: Mapped[list["Feedback"]] = relationship(
        back_populates="turn", cascade="all, delete-orphan", passive_deletes=True
    )
    corrections: Mapped[list["FaqCorrection"]] = relationship(back_populates="turn")


class Feedback(Stamp, Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    sender_hash: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)  # +1 thumbs up, -1 thumbs down
    comment: Mapped[str] = mapped_column(Text, default="")

    turn: Mapped[Turn] = relationship(back_populates="feedback")
    __table_args__ = (UniqueConstraint("turn_id", "sender_hash", name="uq_feedback_turn_sender"),)


class Lead(Stamp, Base):
    """A company's request for contact, collected by the bot's lead form."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Chosen by the caller; a retried POST with the same key changes nothing.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    sender_hash: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    need: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # The member of staff who works the lead: whoever last moved it (bot/leads.py).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    owner: Mapped["StaffUser | None"] = relationship(foreign_keys=[owner_id], lazy="joined")
    changes: Mapped[list["LeadChange"]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="LeadChange.id", passive_deletes=True
    )


class LeadChange(Stamp, Base):
    """One step of a lead through the pipeline: from and to which status, by whom, with which note.

    `actor` keeps the account's name (or "tenant" when a tenant's booking moved the lead), so the
    history still reads right after an account is removed.
    """

    __tablename__ = "lead_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64), default="")
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    lead: Mapped[Lead] = relationship(back_populates="changes")


VISIT_BOOKING_STATUSES = ("booked", "cancelled")


class VisitSlot(Stamp, Base):
    """A time staff offer for a site visit (预约考察), with room for `capacity` bookings."""

    __tablename__ = "visit_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    # Where to meet, as staff write it: the bot never makes up a place.
    place: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # withdrawn slots are kept for their bookings
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    bookings: Mapped[list["VisitBooking"]] = relationship(back_populates="slot", order_by="VisitBooking.id")


class VisitBooking(Stamp, Base):
    """A tenant's booking of a slot: moved to another slot when rescheduled, cancelled rather than deleted."""

    __tablename__ = "visit_bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("visit_slots.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    # A WeChat openid, kept only while the booking stands, to tell the tenant when staff cancel or move it
    # (a WeChat user does not poll); cleared on cancellation.
    sender_id: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(16), default="booked", index=True)  # VISIT_BOOKING_STATUSES
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))  # "tenant" or a staff username
    # Raised on every move or cancellation: the .ics keeps its UID, and a calendar takes the higher SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # A message for a web tenant about a change staff made, shown with their next reply; then cleared.
    pending_notice: Mapped[str | None] = mapped_column(Text)

    slot: Mapped[VisitSlot] = relationship(back_populates="bookings", lazy="joined")
    lead: Mapped[Lead | None] = relationship()


class Handoff(Stamp, Base):
    """A conversation a person has taken over from the bot; open until released."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Needed to deliver staff replies (e.g. a WeChat customer-service
    # message); cleared on release.
    sender_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    # The owner: the staff member who claimed it (or replied first).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why it ended: released | timeout | after_hours | (timing_out while the sweeper
    # hands it to the lead form; no claim is taken then). See HANDOFF_END_REASONS.
    closed_reason: Mapped[str | None] = mapped_column(String(16))
    # The tenant's language (zh | en), for the messages the gateway itself sends.
    language: Mapped[str] = mapped_column(String(8), default="zh", server_default="zh")

    staff: Mapped["StaffUser | None"] = relationship(foreign_keys=[staff_id], lazy="joined")
    messages: Mapped[list["HandoffMessage"]] = relationship(
        back_populates="handoff", cascade="all, delete-orphan", order_by="HandoffMessage.id", passive_deletes=True
    )


class HandoffMessage(Stamp, Base):
    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(8))  # user | staff
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)

    handoff: Mapped[Handoff] = relationship(back_populates="messages")


class StaffUser(Stamp, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(8), default="staff")
    # Failed logins and lockouts are kept per (username, address): bot/staff_records.py LoginFailure.
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.can("accounts")

    def can(self, permission: str) -> bool:
        return permission in grants(self.role)


class FaqCorrection(Stamp, Base):
    """A staff-written answer to a turn's question, added to the knowledge base as an FAQ document."""

    __tablename__ = "faq_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(200), index=True)  # normalised, for exact reuse
    answer: Mapped[str] = mapped_column(Text)
    source_doc_id: Mapped[str] = mapped_column(String(200))
    doc_id: Mapped[str] = mapped_column(String(200))  # the FAQ document written for it
    status: Mapped[str] = mapped_column(String(16), default="indexing")  # indexing | live | failed
    error: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    turn: Mapped[Turn | None] = relationship(back_populates="corrections")


class IndexJob(Stamp, Base):
    """A re-index (after a correction, upload or removal): the queue the re-index worker
    (bot/reindex_worker.py) takes work from, and the progress the console shows."""

    __tablename__ = "index_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # correction | upload | remove | startup
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    message: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # percent, while running
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ConversationToken(Stamp, Base):
    """The secret that makes a web conversation its owner's (bot/chat_tokens.py).

    Only a hash of the token is kept, and only the sender's hash: a copy of
    the database neither opens a conversation nor names its sender.
    """

    __tablename__ = "conversation_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_hash: Mapped[str] = mapped_column(String(64), unique=True)  # one owner per conversation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class ChatRequest(Stamp, Base):
    """A web message by its client message id: a retried message is answered from its turn, not sent twice."""

    __tablename__ = "chat_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_hash: Mapped[str] = mapped_column(String(64))
    client_message_id: Mapped[str] = mapped_column(String(64))
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"))
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("sender_hash", "client_message_id", name="uq_chat_request_message"),)


Index("ix_turns_sender_created", Turn.sender_hash, Turn.created_at)
