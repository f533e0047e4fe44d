"""Keeping the lead form's promise in the gateway: no consent, no answers kept.

The bot says "没有您的同意，我们不会保存这些信息". Rasa's side forgets in its
tracker store (rasa_ext/tracker_store.py); this is the gateway's side. Each turn
that answered the form is marked `form_step` in the turn log, and when a turn
cancels the form or refuses consent (`form_erased` from the actions), the
answers of that form run are replaced by ERASED. Log lines are kept free of
phone numbers, whatever put them there (bot/logs.py `PersonalDataFilter`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from .models import Turn

ERASED = "［已删除］"  # as actions/erasure.py writes into the tracker store
# How far back a form run can reach: the form asks six questions, each may be re-asked.
MAX_FORM_TURNS = 60

log = logging.getLogger(__name__)


def erase_form_turns(session, sender_hash: str) -> int:
    """Mask the latest form run's answers in this conversation's turns; returns how many.

    The run is the unbroken series of `form_step` turns that ends at the latest
    one (the turn that cancelled the form, a stop or a handoff, is not a step).
    """
    turns = session.scalars(
        select(Turn).where(Turn.sender_hash == sender_hash).order_by(Turn.id.desc()).limit(MAX_FORM_TURNS)
    ).all()
    masked = 0
    for position, turn in enumerate(turns):
        if not turn.form_step:
            if position == 0:
                continue  # the turn that cancelled the form
            break
        if turn.user_text != ERASED:
            turn.user_text = ERASED
            masked += 1
        # The reply to a form step can repeat the answers (the read-back before consent),
        # both as logged and as kept for the widget's history.
        turn.reply = ERASED
        if turn.replies:
            turn.replies = [{"text": ERASED, "buttons": [], "sources": []}]
    session.commit()
    log.info("lead form answers erased from the turn log", extra={"turns": masked})
    return masked
