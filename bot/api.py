"""The JSON API: chat for every web client, feedback, leads for the action server, OpenAPI.

POST /api/chat
  Request  {"sender_id": str, "message": str, "client_message_id"?: str}
  Response {"sender_id": str, "replies": [{"text", "buttons": [{"title","payload"}],
            "sources": [{"title","publisher","published","url","snippet"}]}],
            "turn_id": int|null, "handoff": bool, "token"?: str}
  turn_id and handoff are additions: the widget rates a turn by its id and
  polls for staff replies while handoff is true. A conversation belongs to its
  token (bot/chat_tokens.py): the first message gets one, as a cookie and, for
  cross-origin callers, as `token`; the response's sender_id is the
  conversation's, which differs from the request's when that id was someone
  else's. A repeated client_message_id gets the stored reply (bot/chat_retry.py).

GET /api/chat/poll?after=N and GET /api/chat/history need the token; the
conversation id is never in a URL. POST /api/chat/feedback (also at
/api/feedback, which the cookie does not reach) rates a turn and needs the
token too: without it, or with another conversation's, it is a 403 and
nothing is stored.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from . import bodies, chat_retry, chat_tokens, db, errors, metrics, notify
from .chat_history import history as conversation_history
from .chat_history import said_by
from .conversation import converse, open_handoff, sender_hash
from .errors import ApiError
from .limits import limiter, sender_key, setting
from .models import Feedback, Handoff, HandoffMessage, Lead, Turn

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")
errors.register(bp)

MAX_SENDER_CHARS = 128
LEAD_FIELDS = {"name": 100, "company": 200, "phone": 40, "email": 200, "industry": 100, "need": 2000}


def _json_body() -> dict:
    return bodies.json_object()  # size, depth, NUL and lone surrogates are checked there


def _string(body: dict, field: str, required: bool = True) -> str:
    if field not in body or body[field] is None:
        if required:
            raise ApiError(400, "missing_field", f"The field '{field}' is required.")
        return ""
    if not isinstance(body[field], str):
        raise ApiError(400, "invalid_field", f"The field '{field}' must be a string.")
    return body[field].strip()


def _sender(value: str) -> str:
    if not value or len(value) > MAX_SENDER_CHARS:
        raise ApiError(400, "invalid_field", f"'sender_id' must be 1 to {MAX_SENDER_CHARS} characters.")
    if bodies.bad_string_at(value):  # the query string of /chat/poll is not checked by bodies
        raise ApiError(400, "invalid_characters", "'sender_id' contains a NUL character or an unpaired surrogate.")
    return value


def _chat_request() -> tuple[str, str, str | None]:
    body = _json_body()
    for field in ("sender_id", "message"):
        _string(body, field)
    sender_id, message = _sender(body["sender_id"].strip()), body["message"].strip()
    if not message:
        raise ApiError(400, "empty_message", "The message is empty.")
    limit = current_app.config["MAX_MESSAGE_CHARS"]
    if len(message) > limit:
        raise ApiError(400, "message_too_long", f"The message has {len(message)} characters; the limit is {limit}.")
    client_id = chat_retry.message_id(request.headers.get("Idempotency-Key") or body.get("client_message_id"))
    return sender_id, message, client_id


@bp.post("/chat")
@limiter.limit(setting("RATELIMIT_CHAT_PER_IP"))
@limiter.limit(setting("RATELIMIT_CHAT_PER_SENDER"), key_func=sender_key)
def chat():
    sender_id, message, client_id = _chat_request()
    session = db.session()
    sender_id, token = chat_tokens.conversation(session, sender_id)
    hashed = sender_hash(sender_id)
    answered = _reserve(session, hashed, client_id)
    if answered is not None:  # a retry of a message already answered: the same reply, nothing sent again
        body = {
            "sender_id": sender_id,
            "replies": answered.replies,
            "turn_id": answered.id,
            "handoff": _in_handoff(session, hashed),
            "repeated": True,
        }
    else:
        try:
            result = converse("web", sender_id, message)
        except Exception:
            if client_id:
                chat_retry.release(db.session(), hashed, client_id)
            raise
        if client_id:
            _finish(hashed, client_id, result.turn_id)
        body = {"sender_id": sender_id, "replies": result.replies, "turn_id": result.turn_id, "handoff": result.handoff}
    if token and chat_tokens.cross_origin():
        body["token"] = token
    response = jsonify(body)
    if token:
        chat_tokens.attach(response, token)
    return response


def _reserve(session, hashed: str, client_id: str | None):
    if not client_id:
        return None
    try:
        return chat_retry.reserve(session, hashed, client_id)
    except SQLAlchemyError:  # no database, no de-duplication: the message is still answered
        log.exception("cannot reserve the client message id")
        session.rollback()
        return None


def _finish(hashed: str, client_id: str, turn_id: int | None) -> None:
    session = db.session()
    try:
        chat_retry.finish(session, hashed, client_id, turn_id)
    except SQLAlchemyError:
        log.exception("cannot record the answered client message id")
        session.rollback()


def _in_handoff(session, hashed: str) -> bool:
    return open_handoff(session, hashed) is not None


def _refuse_id_in_url() -> None:
    if "sender_id" in request.args:
        raise ApiError(
            400,
            "sender_id_in_url",
            "A conversation is named by its token (cookie or Authorization header), never by an id in the URL.",
        )


@bp.get("/chat/poll")
@limiter.limit(setting("RATELIMIT_CHAT_PER_IP"))
def poll():
    """Staff replies for the token's conversation, after message id `after`."""
    _refuse_id_in_url()
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        raise ApiError(400, "invalid_field", "'after' must be an integer.")
    session = db.session()
    hashed = chat_tokens.required_owner(session)
    handoff = open_handoff(session, hashed)
    rows = (
        session.execute(
            select(HandoffMessage)
            .join(Handoff)
            .where(Handoff.sender_hash == hashed, HandoffMessage.author == "staff", HandoffMessage.id > after)
            .order_by(HandoffMessage.id)
        )
        .scalars()
        .all()
    )
    return jsonify(
        {
            "handoff": handoff is not None,
            "messages": [{"id": m.id, "text": m.text, "at": m.created_at.isoformat(), "by": said_by(m)} for m in rows],
        }
    )


@bp.get("/chat/history")
@limiter.limit(setting("RATELIMIT_CHAT_PER_IP"))
def history():
    """The token's conversation as its owner saw it (bot/chat_history.py), for the widget to restore."""
    _refuse_id_in_url()
    session = db.session()
    return jsonify(conversation_history(session, chat_tokens.required_owner(session)))


@bp.post("/chat/feedback")
@bp.post("/feedback")  # the original path, kept for bearer-token clients (the cookie never reaches it)
@limiter.limit(setting("RATELIMIT_CHAT_PER_IP"))
def feedback():
    """A rating by the conversation's owner: the token proves it, an id alone does not (bot/chat_tokens.py)."""
    body = _json_body()
    named = _string(body, "sender_id", required=False)  # optional: the token names the conversation
    named_hash = sender_hash(_sender(named)) if named else None
    turn_id = body.get("turn_id")
    # Bounded: SQLite and PostgreSQL integers are 64-bit, and a larger one is an error there, not a miss.
    if not isinstance(turn_id, int) or isinstance(turn_id, bool) or not 0 < turn_id < 2**63:
        raise ApiError(400, "invalid_field", "'turn_id' must be a positive integer.")
    given = body.get("rating")
    # A list or object is unhashable: without the type check it was a 500 (found by the fuzz test).
    rating = {"up": 1, "down": -1, 1: 1, -1: -1}.get(given) if isinstance(given, (str, int)) else None
    if rating is None:
        raise ApiError(400, "invalid_field", '\'rating\' must be "up" or "down".')
    comment = _string(body, "comment", required=False)[:1000]
    session = db.session()
    hashed = chat_tokens.writing_owner(session, named_hash)
    turn = session.get(Turn, turn_id)
    if turn is None or turn.sender_hash != hashed:  # only the asker rates an answer
        raise ApiError(404, "not_found", "No such turn in this conversation.")
    row = session.scalars(select(Feedback).where(Feedback.turn_id == turn_id, Feedback.sender_hash == hashed)).first()
    was_down = row is not None and row.rating < 0
    if row is None:
        row = Feedback(turn_id=turn_id, sender_hash=hashed, rating=rating, comment=comment)
        session.add(row)
    else:  # changing one's mind replaces the rating
        row.rating, row.comment = rating, comment or row.comment
    if rating < 0 and not was_down:
        notify.thumbs_down(session, turn, row.comment)
    session.commit()
    metrics.FEEDBACK.labels("up" if rating > 0 else "down").inc()
    return jsonify({"feedback": {"id": row.id, "turn_id": turn_id, "rating": "up" if rating > 0 else "down"}})


def _check_leads_secret() -> None:
    expected = current_app.config.get("LEADS_API_SECRET", "")
    given = request.headers.get("X-Leads-Secret", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "A valid X-Leads-Secret header is required.")


def lead_dict(lead: Lead) -> dict:
    return {
        "id": lead.id,
        "idempotency_key": lead.idempotency_key,
        "channel": lead.channel,
        **{f: getattr(lead, f) for f in LEAD_FIELDS},
        "extra": lead.extra or {},
        "status": lead.status,
        "created_at": lead.created_at.isoformat(),
    }


@bp.post("/leads")
def leads():
    """A lead from the action server's form. Retrying with the same idempotency key is harmless."""
    _check_leads_secret()
    body = _json_body()
    key = (request.headers.get("Idempotency-Key") or _string(body, "idempotency_key", required=False)).strip()
    if not key or len(key) > 128:
        raise ApiError(
            400,
            "missing_field",
            "An idempotency key (1 to 128 characters) is required: "
            "the Idempotency-Key header or the 'idempotency_key' field.",
        )
    values = {}
    for field, limit in LEAD_FIELDS.items():
        value = _string(body, field, required=False)
        if len(value) > limit:
            raise ApiError(400, "invalid_field", f"'{field}' is longer than {limit} characters.")
        values[field] = value
    if not (values["phone"] or values["email"]):
        raise ApiError(400, "missing_field", "A lead needs a 'phone' or an 'email'.")
    extra = body.get("extra") or {}
    if not isinstance(extra, dict):
        raise ApiError(400, "invalid_field", "'extra' must be an object.")
    channel = _string(body, "channel", required=False)[:16] or "web"
    sender_id = _string(body, "sender_id", required=False)
    session = db.session()
    existing = session.scalars(select(Lead).where(Lead.idempotency_key == key)).first()
    if existing is not None:
        return jsonify({"lead": lead_dict(existing), "created": False}), 200
    lead = Lead(
        idempotency_key=key,
        channel=channel,
        sender_hash=sender_hash(sender_id) if sender_id else "",
        extra=extra,
        status="new",
        **values,
    )
    session.add(lead)
    try:
        session.flush()  # the lead's id, for its notice
        notify.lead_received(session, lead)
        session.commit()
    except IntegrityError:  # the same key raced in from a retry
        session.rollback()
        existing = session.scalars(select(Lead).where(Lead.idempotency_key == key)).one()
        return jsonify({"lead": lead_dict(existing), "created": False}), 200
    metrics.LEADS.inc()
    log.info("lead received", extra={"lead_id": lead.id, "channel": channel})
    return jsonify({"lead": lead_dict(lead), "created": True}), 201


@bp.get("/openapi.json")
def openapi():
    from .openapi import document

    return jsonify(document())
