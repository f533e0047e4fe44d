"""A message sent twice is delivered once: client message ids on /api/chat.

The widget gives every message an id and sends it again with the same id on
a retry. A retry after a lost response (the gateway answered, the phone went
offline before the answer arrived) must not reach Rasa a second time: that
would fill a form slot twice or ask staff twice. The first request reserves
the id (a unique row); a repeat gets the stored replies of its turn, or, while
the first is still being answered, waits for it a little and then gets 409.
"""

from __future__ import annotations

import re
import time

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .errors import ApiError
from .models import ChatRequest, Turn

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
WAIT_STEP_S = 0.2


def message_id(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ApiError(400, "invalid_field", "'client_message_id' must be 1 to 64 letters, digits or _ . : -")
    return value


def reserve(session, hashed: str, client_id: str) -> Turn | None:
    """None: this id is new and now ours to answer. A Turn: the id was answered; send its replies again."""
    session.add(ChatRequest(sender_hash=hashed, client_message_id=client_id))
    try:
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    deadline = time.monotonic() + current_app.config["RASA_TIMEOUT_S"] + 2
    while True:
        row = session.scalars(
            select(ChatRequest).where(ChatRequest.sender_hash == hashed, ChatRequest.client_message_id == client_id)
        ).first()
        if row is None:  # the first try failed and let go: this one answers
            return reserve(session, hashed, client_id)
        if row.done:
            turn = session.get(Turn, row.turn_id) if row.turn_id else None
            if turn is None or turn.replies is None:
                raise ApiError(
                    409, "already_answered", "This message was already answered, but its reply is no longer kept."
                )
            return turn
        if time.monotonic() > deadline:
            raise ApiError(409, "in_progress", "This message is still being answered. Try again in a moment.")
        session.rollback()  # end the read transaction, so the next read sees the other request's commit
        time.sleep(WAIT_STEP_S)


def finish(session, hashed: str, client_id: str, turn_id: int | None) -> None:
    """The answer went out: a repeat of this id gets it. Without a logged turn there is nothing to repeat,
    so the id is let go and a retry is answered afresh."""
    row = session.scalars(
        select(ChatRequest).where(ChatRequest.sender_hash == hashed, ChatRequest.client_message_id == client_id)
    ).first()
    if row is None:
        return
    if turn_id is None:
        session.delete(row)
    else:
        row.turn_id, row.done = turn_id, True
    session.commit()


def release(session, hashed: str, client_id: str) -> None:
    """The message got no answer (the dialogue was down): a retry may try again."""
    session.rollback()
    session.execute(
        delete(ChatRequest).where(ChatRequest.sender_hash == hashed, ChatRequest.client_message_id == client_id)
    )
    session.commit()
