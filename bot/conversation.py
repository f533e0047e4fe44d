"""One user message through the gateway: handoff check, dialogue (or degraded mode), turn log.

Every channel that wants its turns in the staff console calls `converse`.
The turn log must never cost the user an answer: if writing it fails, the
error is logged and the reply still goes out.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

import turn_contract as contract

from . import consent, db, handoff as handoffs, metrics, turn_reads
from .dialogue import Dialogue, DialogueUnavailable, public_source
from .errors import ApiError
from .handoff.messages import language_of
from .health import actions_down
from .models import Handoff, HandoffMessage, Turn, hash_sender, utcnow
from .visits import VISIT_INTENT, chat as visits

log = logging.getLogger(__name__)
INSERT_TURN = insert(Turn.__table__)

# What degraded mode says around the knowledge base's answer, in the tenant's language (the answer
# itself already is: an English question gets the English lead-in).
DEGRADED_WORDS = {
    "zh": (
        "（智能助手暂时不可用，以下内容直接检索自园区资料。）",
        "暂时没有找到相关资料。请稍后再试，或留下联系方式由招商人员与您联系。",
    ),
    "en": (
        "(The assistant is unavailable for a moment; what follows comes straight from the park's documents.)",
        "Nothing was found in the park's documents. Please try again shortly, or leave your contact details "
        "and our investment staff will get in touch.",
    ),
}
DEGRADED_NOTICE, DEGRADED_ABSTAIN = DEGRADED_WORDS["zh"]
# Declined, but documents discuss the question: offered to read as the reply's sources, as the action
# server does (utter_see_also), instead of "nothing was found".
DEGRADED_POINTED = {
    "zh": "暂时没有找到能直接回答的资料。下面这些公开文件谈到了相关内容，您可以先看看；也可以稍后再试，或留下联系方式。",
    "en": "Nothing in the park's documents answers this directly. These published documents discuss related "
    "topics and may help; or try again shortly, or leave your contact details.",
}


@dataclass
class TurnResult:
    replies: list[dict]
    turn_id: int | None
    outcome: str
    handoff: bool = False
    degraded: bool = False
    meta: dict = field(default_factory=dict)


def sender_hash(sender_id: str) -> str:
    return hash_sender(sender_id, current_app.config["SENDER_HASH_SALT"])


def open_handoff(session, hashed: str) -> Handoff | None:
    return session.scalars(
        select(Handoff).where(Handoff.sender_hash == hashed, Handoff.status == "open").order_by(Handoff.id.desc())
    ).first()


def _standing(session, hashed: str) -> tuple[Handoff | None, list[tuple[int, str]]]:
    """The open handoff, if any, and staff's undelivered visit messages (bot/turn_reads.py). A
    database that is down or not migrated yet (`make migrate`) must not stop the bot from answering."""
    try:
        state = turn_reads.standing(session, hashed)
        held = session.get(Handoff, state.handoff_id) if state.handoff_id is not None else None
        return held, state.notices
    except SQLAlchemyError:
        log.exception("cannot read handoffs; answering with the bot")
        session.rollback()
        return None, []


def _exchange(sender_id: str, message: str) -> tuple[list[dict], dict]:
    dialogue: Dialogue = current_app.extensions["dialogue"]
    replies, meta = dialogue.exchange(sender_id, message)
    if (not replies or meta.get("outcome") == contract.FALLBACK) and actions_down():
        # Rasa ran, but its actions could not (it says nothing, or falls back):
        # answer as if Rasa were down.
        raise DialogueUnavailable("action server unreachable")
    return replies, meta


def _degraded(message: str) -> tuple[list[dict], dict]:
    """Rasa is down: answer from the knowledge package itself."""
    from .knowledge_access import DEGRADED_SEARCH, knowledge_base

    answer = knowledge_base().ask(message, mode=DEGRADED_SEARCH)
    outcome = contract.ABSTAINED if answer.abstained else contract.ANSWERED
    pointed = answer.abstained and bool(answer.see_also)
    meta = {contract.SOURCES: [], **contract.answer_payload(outcome, answer, None, pointed=pointed)}
    language = language_of(message)
    notice, abstain = DEGRADED_WORDS[language]
    text = DEGRADED_POINTED[language] if pointed else abstain if answer.abstained else answer.text
    return [
        {
            "text": f"{notice}\n{text}",
            "buttons": [],
            "sources": [public_source(s) for s in meta[contract.SOURCES]],
        }
    ], meta


def _outcome(meta: dict) -> str:
    """The turn log's outcome for what the dialogue reported (turn_contract.REPORTED_AS).

    No outcome at all is a reply from a response that needs none (a greeting,
    a lead-form question). An outcome the contract does not name is a bug
    between the action server, domain.yml and this gateway: it is logged,
    counted and recorded as `unknown`, never guessed to be an answer.
    """
    said = meta.get(contract.OUTCOME)
    if said is None:
        return contract.OUT_OF_SCOPE if meta.get(contract.INTENT) == "out_of_scope" else contract.ANSWERED
    if said in contract.REPORTED_AS:
        return contract.REPORTED_AS[said]
    log.warning("the dialogue reported an outcome the turn contract does not name", extra={"outcome": str(said)[:64]})
    metrics.UNKNOWN_OUTCOMES.inc()
    return contract.UNKNOWN


def _confidence(meta: dict) -> float | None:
    value = meta.get("confidence")
    if value is None:  # fall back to what the sources carry
        scores = [s.get("confidence") for s in meta.get("sources", []) if isinstance(s.get("confidence"), (int, float))]
        value = max(scores) if scores else None
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _intent(meta: dict) -> str | None:
    intent = meta.get("intent")
    if isinstance(intent, dict):  # Rasa's {"name", "confidence"}
        intent = intent.get("name")
    return str(intent)[:64] if intent else None


def converse(channel: str, sender_id: str, message: str) -> TurnResult:
    started = time.perf_counter()
    session = db.session()
    hashed = sender_hash(sender_id)
    handoff, notices = _standing(session, hashed)
    degraded, began = False, utcnow()
    # What staff changed about the tenant's site visit since their last message (web; WeChat was told at once).
    told, told_ids = visits.pending(notices) if handoff is None else ([], [])
    visit_command = visits.wanted(session, hashed, message) if handoff is None else None
    if handoff is not None:
        # A person has the conversation: the bot stays quiet, staff see the message.
        session.add(HandoffMessage(handoff_id=handoff.id, author="user", text=message))
        replies, meta, outcome = [], {"sources": []}, "handoff"
    elif visit_command is not None:
        # Site-visit booking is the gateway's own (bot/visits/chat.py): Rasa never sees these messages.
        replies = visits.handle(session, channel, hashed, sender_id, message, visit_command)
        meta, outcome = {"sources": [], "intent": VISIT_INTENT, "outcome": contract.ANSWERED}, contract.ANSWERED
    else:
        try:
            replies, meta = _exchange(sender_id, message)
        except DialogueUnavailable:
            if not current_app.config.get("DEGRADED_MODE", True):
                _log_turn(channel, hashed, message, "", {}, "error", started, degraded=False)
                raise ApiError(
                    503, "dialogue_unavailable", "The assistant is not available right now. Please try again shortly."
                )
            try:
                replies, meta = _degraded(message)
                degraded = True
            except Exception:
                log.exception("degraded mode failed too")
                _log_turn(channel, hashed, message, "", {}, "error", started, degraded=True)
                raise ApiError(
                    503, "dialogue_unavailable", "The assistant is not available right now. Please try again shortly."
                )
        outcome = _outcome(meta)
        if outcome == "handoff":
            # Opened, or (after hours, database down) the truth and the lead form instead.
            replies, handoff = handoffs.begin(session, channel, hashed, sender_id, message, replies)
        elif meta.get(contract.LEAD_STORED):  # the turn that stored a lead: offer a site visit
            replies = replies + visits.offer_after_lead(
                session, hashed, began, handoffs.messages.language_of(message, *(r.get("text", "") for r in replies))
            )
    replies = told + replies
    visits.mark_told(session, told_ids)
    reply_text = "\n".join(r.get("text", "") for r in replies)
    turn_id = _log_turn(channel, hashed, message, reply_text, meta, outcome, started, degraded, replies)
    if meta.get(contract.FORM_ERASED):
        _erase_form_turns(hashed)
    if meta.get(contract.END_SESSION):
        _start_new_session(sender_id)  # in the background: the reply does not wait for it
    return TurnResult(
        replies=replies, turn_id=turn_id, outcome=outcome, handoff=handoff is not None, degraded=degraded, meta=meta
    )


def _start_new_session(sender_id: str) -> None:
    """The action server said this session is long enough (actions/session.py).

    The dialogue client queues the new session behind this turn and returns
    at once (bot/dialogue.py), so the turn still costs one round trip to Rasa.
    """
    dialogue = current_app.extensions["dialogue"]
    try:
        dialogue.start_session(sender_id)
    except DialogueUnavailable:
        log.warning("could not start a new rasa session; the next turn will retry")


def _erase_form_turns(hashed: str) -> None:
    """The turn cancelled the lead form or refused consent: its answers leave the turn log."""
    session = db.session()
    try:
        consent.erase_form_turns(session, hashed)
    except SQLAlchemyError:
        log.exception("could not erase the lead form's turns")
        session.rollback()


def _log_turn(channel, hashed, message, reply_text, meta, outcome, started, degraded, replies=None) -> int | None:
    seconds = time.perf_counter() - started
    confidence = _confidence(meta)
    metrics.observe_turn(channel, outcome, seconds, confidence, degraded)
    session = db.session()
    try:
        row = {
            "channel": channel,
            "sender_hash": hashed,
            "user_text": message,
            "reply": reply_text,
            "sources": list(meta.get("sources") or []),
            "passages": list(meta.get("hits") or []),
            "intent": _intent(meta),
            "confidence": confidence,
            "outcome": outcome,
            "degraded": degraded,
            "latency_ms": round(seconds * 1000, 1),
            "form_step": bool(meta.get("form_step")),
            "replies": replies,  # as shown: for the widget's history and a retried message
        }
        # A Core insert, not a Turn object: nothing reads the turn back in this request, and the
        # ORM's unit of work was most of the turn log's cost (ops/profiles/README.md, round 5).
        turn_id = session.execute(INSERT_TURN, row).inserted_primary_key[0]
        session.commit()  # with whatever else the turn changed (a handoff message, visit notices shown)
        return turn_id
    except Exception:
        log.exception("could not log the turn")
        session.rollback()
        return None
