"""The WeChat channel's tables. They derive from `bot.db.Base`, so Alembic sees them.

Times are naive UTC (`utcnow()`), the same on SQLite and PostgreSQL.
OpenIDs are stored hashed everywhere except `wechat_followers.openid`, which
staff replies need (the customer-service API addresses users by OpenID); it
is dropped once WeChat would refuse such messages (see followers.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base

# Dedup row states and who delivered the answer (NULL: nobody yet).
IN_FLIGHT, DONE = "in_flight", "done"
PASSIVE, CUSTOM, NOTHING = "passive", "custom", "none"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class WeChatMessage(Base):
    """One inbound message or event, keyed so WeChat's retries find it."""

    __tablename__ = "wechat_messages"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    openid_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=IN_FLIGHT)
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # How many POSTs carried this key; only the latest may answer passively,
    # because WeChat has stopped listening to the earlier ones.
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # The latest moment any of those POSTs may still answer passively.
    wait_until: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # passive | custom | none, claimed atomically so the answer goes out once.
    delivery: Mapped[str | None] = mapped_column(String(16), nullable=True)


class WeChatToken(Base):
    """The access_token every worker shares; refreshed by whoever holds the lease."""

    __tablename__ = "wechat_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # While set in the future, one worker is fetching a new token.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WeChatFollower(Base):
    """Who follows the account, where they came from (the QR scene), and how to reach them."""

    __tablename__ = "wechat_followers"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    scene: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    openid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Customer-service messages are allowed within 48 h of this.
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WeChatOptions(Base):
    """The numbered options last shown to a user: {"1": "/ask_location", ...} as JSON."""

    __tablename__ = "wechat_options"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    options: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class WeChatSignature(Base):
    """A signed query already used, kept while its timestamp is fresh, so a replay is refused.

    The key is a SHA-256 of (signature, timestamp, nonce): the row proves use,
    it does not keep the query.
    """

    __tablename__ = "wechat_signatures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


TABLES = [m.__table__ for m in (WeChatMessage, WeChatToken, WeChatFollower, WeChatOptions, WeChatSignature)]
