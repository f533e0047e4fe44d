"""Web conversations belong to whoever holds their token, not to whoever knows their id.

A sender id travels: it was in poll URLs (so in access logs), in screenshots,
in support mails. Knowing it must not be enough to read staff replies or write
into a handoff. So the gateway gives each web conversation a random token when
it starts and asks for it on every later message, poll, history read and rating:

- same site: an HttpOnly, SameSite=Strict cookie (page scripts cannot read it);
- cross-origin embeds (the widget on a park site, bot/cors.py), where browsers
  drop third-party cookies: the same value as `Authorization: Bearer …`,
  handed back in the chat response's `token` field.

The value is the random token signed with SECRET_KEY and a timestamp
(itsdangerous), so a forged or expired one is refused before any database
read; the database keeps only a hash of the token. WeChat conversations
(`wx-…`, bot/wechat/identity.py) are never addressable from the web API.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, exists, insert, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .errors import ApiError
from .models import ConversationToken, Handoff, Turn, hash_sender

log = logging.getLogger(__name__)

# On every chat turn (OWNER) or a conversation's first (the rest): Core statements built once,
# not ORM queries built per call (ops/profiles/README.md, round 5).
_tokens = ConversationToken.__table__
_HASHED = bindparam("hashed")
OWNER = select(_tokens.c.sender_hash).where(_tokens.c.token_hash == bindparam("token_hash"))
TAKEN = select(
    or_(*(exists().where(table.c.sender_hash == _HASHED) for table in (_tokens, Turn.__table__, Handoff.__table__)))
)
INSERT_TOKEN = insert(_tokens)
COOKIE = "park_chat"
COOKIE_PATH = "/api/chat"  # /api/chat and its poll, history and feedback, and nothing else
FOREIGN_PREFIXES = ("wx-",)  # other channels' conversation ids (WeChat)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="park-chat-conversation")


def _max_age() -> int:
    return int(current_app.config["CHAT_TOKEN_DAYS"] * 86400)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def _sender_hash(sender_id: str) -> str:
    return hash_sender(sender_id, current_app.config["SENDER_HASH_SALT"])


def refuse_foreign(sender_id: str) -> None:
    if sender_id.lower().startswith(FOREIGN_PREFIXES):
        raise ApiError(
            403,
            "foreign_conversation",
            "This conversation belongs to another channel (WeChat) and cannot be used from the web API.",
        )


def presented() -> str | None:
    """The signed token this request carries (bearer first, then the cookie), or None."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def _payload() -> tuple[str, str] | None:
    """(random token, sender hash it was issued for) from the signed token this request carries, or None.
    Tokens issued before the sender hash was signed in carry the random part alone (hash '')."""
    signed = presented()
    if not signed:
        return None
    try:
        value = _serializer().loads(signed, max_age=_max_age())
    except BadSignature:  # forged, altered or expired (SignatureExpired is a BadSignature)
        return None
    if isinstance(value, str):
        return value, ""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


def owner(session) -> str | None:
    """The sender hash of the conversation whose valid token this request carries."""
    payload = _payload()
    if payload is None:
        return None
    return session.execute(OWNER, {"token_hash": _digest(payload[0])}).scalar()


def signed_owner() -> str:
    """The sender hash signed into this request's token, without the database ('' when none): enough to
    go on with one's own conversation while the database is down, not to read anything from it."""
    payload = _payload()
    return payload[1] if payload else ""


def required_owner(session) -> str:
    hashed = owner(session)
    if hashed is None:
        raise ApiError(
            401,
            "conversation_token_required",
            "This needs the conversation's token: the park_chat cookie or an Authorization: Bearer header.",
        )
    return hashed


def writing_owner(session, named_hash: str | None) -> str:
    """The conversation a write that names one (feedback) may touch: the token's, and only if it is the one
    named. Refused with 403 rather than poll's 401: the write is refused, not merely unauthenticated, and
    nothing of it is stored."""
    hashed = owner(session)
    if hashed is None:
        raise ApiError(
            403,
            "conversation_token_required",
            "需要本会话的令牌（park_chat Cookie 或 Authorization: Bearer 请求头），未保存任何内容。"
            " This needs the conversation's token (the park_chat cookie or an Authorization: Bearer header);"
            " nothing was stored.",
        )
    if named_hash is not None and named_hash != hashed:
        raise ApiError(
            403,
            "not_your_conversation",
            "这不是您的会话：令牌属于另一个会话，未保存任何内容。"
            " This is not your conversation: the token belongs to another one; nothing was stored.",
        )
    return hashed


def _taken(session, hashed: str) -> bool:
    """Someone already talks under this id (or did, before tokens existed): it is not free to claim."""
    return bool(session.execute(TAKEN, {"hashed": hashed}).scalar())


def _issue(session, hashed: str) -> str | None:
    raw = secrets.token_urlsafe(32)
    try:
        session.execute(INSERT_TOKEN, {"sender_hash": hashed, "token_hash": _digest(raw)})
        session.commit()
    except IntegrityError:  # the same fresh id raced in from another request
        session.rollback()
        return None
    return _serializer().dumps([raw, hashed])


def conversation(session, sender_id: str) -> tuple[str, str | None]:
    """(sender id to use, new signed token or None) for a chat message.

    The token's own conversation goes on. An id nobody uses yet starts a
    conversation under it. An id someone else owns is not theirs to write
    into: without its token, the message starts a new conversation instead,
    so it is answered but sees and touches nothing of the other one.
    """
    refuse_foreign(sender_id)
    try:
        return _claim(session, sender_id)
    except SQLAlchemyError:
        session.rollback()
        # Ownership cannot be read (database down or not migrated). A token whose signature names this
        # conversation still proves it is the owner's: the tenant goes on (a lead form's consent is not
        # lost to an outage). Anyone else is answered in a conversation of its own, so nobody else's is
        # touched.
        if signed_owner() == _sender_hash(sender_id):
            log.warning("cannot read conversation tokens; going on with the conversation the token signs")
            return sender_id, None
        log.exception("cannot read conversation tokens; answering in a throwaway conversation")
        return "web-" + secrets.token_hex(16), None


def _claim(session, sender_id: str) -> tuple[str, str | None]:
    hashed = _sender_hash(sender_id)
    if owner(session) == hashed:
        return sender_id, None
    if not _taken(session, hashed):
        token = _issue(session, hashed)
        if token:
            return sender_id, token
    while True:
        fresh = "web-" + secrets.token_hex(16)
        token = _issue(session, _sender_hash(fresh))
        if token:
            return fresh, token


def cross_origin() -> bool:
    """Not the gateway's own pages: an embedding site, or a client that is no browser (no Origin)."""
    origin = (request.headers.get("Origin") or "").rstrip("/")
    return origin != request.host_url.rstrip("/")


def attach(response, token: str) -> None:
    """Hand a new token to its owner: the cookie always, the body's `token` when cookies may not reach us."""
    secure = current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure
    response.set_cookie(
        COOKIE, token, max_age=_max_age(), path=COOKIE_PATH, httponly=True, samesite="Strict", secure=bool(secure)
    )
