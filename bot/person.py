"""One person's data in every store: exported as JSON, or erased, when they ask (PIPL arts. 45 and 47).

Staff are asked by a phone number or a conversation id. The person's
conversations are gathered from every store that can name them: leads and turns
holding the number, queued leads (actions/leads.py `queued_for`), open
handoffs, and Rasa's tracker store, reached through the same tracker store
class Rasa runs (rasa_ext/person.py, run with Rasa's Python, since the gateway
has no Rasa of its own). Erasure then deletes, in that order, the tracker
store's events (a failure there stops before anything else is touched, so a
retry finds everything again), the gateway's turns, feedback, leads, handoffs
and WeChat rows, and the queued lead files. Both are audited by the callers,
with counts, never the number itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, or_, select, update

from .config import PROJECT_DIR
from .models import (
    ChatRequest,
    ConversationToken,
    FaqCorrection,
    Feedback,
    Handoff,
    HandoffMessage,
    Lead,
    Turn,
    VisitBooking,
    hash_sender,
    utcnow,
)


class PersonError(ValueError):
    """The request cannot be carried out as asked; the message says why (in Chinese, for the console too)."""


@dataclass
class Person:
    phone: str = ""
    conversations: set[str] = field(default_factory=set)  # raw ids, as Rasa and the lead queue know them
    hashes: set[str] = field(default_factory=set)  # as the gateway's tables know them
    tracker: dict = field(default_factory=dict)


def normalise(phone: str = "", conversation: str = "") -> tuple[str, str]:
    from actions.lead_fields import check_phone

    phone, conversation = (phone or "").strip(), (conversation or "").strip()
    if bool(phone) == bool(conversation):
        raise PersonError("请填写手机号或会话编号（二选一）。")
    if conversation and (len(conversation) > 128 or not conversation.isprintable()):
        raise PersonError("会话编号无效。")
    if phone:
        checked = check_phone(phone)
        if checked.value is None:
            raise PersonError(f"手机号无效：{checked.reason}。")
        phone = checked.value
    return phone, conversation


def _queue_dir() -> Path:
    return Path(current_app.config["LEADS_QUEUE_DIR"])


def _queued(person: Person) -> list:
    from actions.leads import queued_for

    return queued_for(_queue_dir(), person.conversations, person.phone)


def tracker_command(command: str, *options: str) -> dict:
    """Run rasa_ext.person `command` against the tracker store with Rasa's Python; its JSON answer.

    The one way into Rasa's stored events from the gateway: person export/erase and retention
    (bot/retention.py) both come through here."""
    python = Path(current_app.config["RASA_PYTHON"])
    if not python.exists():
        raise PersonError(f"找不到 Rasa 的 Python（RASA_PYTHON={python}），无法处理对话记录库，未做任何删除。")
    args = [str(python), "-m", "rasa_ext.person", command, "--url", current_app.config["TRACKER_STORE_URL"], *options]
    try:
        done = subprocess.run(args, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise PersonError(
                "对话记录库（Rasa tracker store）处理失败，未做任何删除："
                + (done.stderr.strip().splitlines() or ["?"])[-1][:300]
            )
        return json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise PersonError(f"对话记录库（Rasa tracker store）处理失败，未做任何删除：{type(exc).__name__}") from exc


def _tracker(command: str, person: Person) -> dict:
    options = []
    for conversation in sorted(person.conversations):
        options += ["--conversation", conversation]
    if person.phone:
        options += ["--phone", person.phone]
    return tracker_command(command, *options)


def find(session, phone: str = "", conversation: str = "", tracker_command: str = "export") -> Person:
    """Every conversation of the person, from every store; runs the tracker store's `tracker_command`."""
    phone, conversation = normalise(phone, conversation)
    salt = current_app.config["SENDER_HASH_SALT"]
    person = Person(phone=phone, conversations={conversation} if conversation else set())
    person.hashes = {hash_sender(c, salt) for c in person.conversations}
    if phone:
        person.hashes.update(session.scalars(select(Lead.sender_hash).where(Lead.phone == phone)))
        person.hashes.update(session.scalars(select(Turn.sender_hash).where(Turn.user_text.contains(phone))))
    person.hashes.discard("")
    person.conversations.update(lead.get("sender_id") for _path, lead in _queued(person) if lead.get("sender_id"))
    person.conversations.update(
        session.scalars(
            select(Handoff.sender_id).where(Handoff.sender_hash.in_(person.hashes), Handoff.sender_id.is_not(None))
        )
    )
    person.tracker = _tracker(tracker_command, person)
    person.conversations.update(person.tracker.get("senders", []))
    person.hashes.update(hash_sender(c, salt) for c in person.conversations)
    return person


def _leads(person: Person):
    return (
        or_(Lead.sender_hash.in_(person.hashes), Lead.phone == person.phone)
        if person.phone
        else Lead.sender_hash.in_(person.hashes)
    )


def export(session, phone: str = "", conversation: str = "") -> dict:
    """Everything kept about the person, as JSON-ready data."""
    person = find(session, phone, conversation, "export")
    turns = session.scalars(select(Turn).where(Turn.sender_hash.in_(person.hashes)).order_by(Turn.id)).all()
    handoffs = session.scalars(select(Handoff).where(Handoff.sender_hash.in_(person.hashes)).order_by(Handoff.id)).all()
    return {
        "exported_at": utcnow().isoformat(),
        "conversations": sorted(person.conversations),
        "turns": [
            {
                "at": t.created_at.isoformat(),
                "channel": t.channel,
                "message": t.user_text,
                "reply": t.reply,
                "outcome": t.outcome,
            }
            for t in turns
        ],
        "feedback": [
            {"at": f.created_at.isoformat(), "turn": f.turn_id, "rating": f.rating, "comment": f.comment}
            for f in session.scalars(select(Feedback).where(Feedback.sender_hash.in_(person.hashes)))
        ],
        "leads": [
            {
                "at": lead.created_at.isoformat(),
                "name": lead.name,
                "company": lead.company,
                "phone": lead.phone,
                "email": lead.email,
                "industry": lead.industry,
                "need": lead.need,
                "status": lead.status,
            }
            for lead in session.scalars(select(Lead).where(_leads(person)))
        ],
        "handoffs": [
            {
                "at": h.created_at.isoformat(),
                "status": h.status,
                "messages": [{"at": m.created_at.isoformat(), "from": m.author, "text": m.text} for m in h.messages],
            }
            for h in handoffs
        ],
        "queued_leads": [lead for _path, lead in _queued(person)],
        "dialogue_events": person.tracker.get("events", {}),
    }


def erase(session, phone: str = "", conversation: str = "") -> dict:
    """Delete everything kept about the person; returns how much went from each store."""
    person = find(session, phone, conversation, "erase")  # the tracker store first: see the docstring
    hashes = person.hashes
    turn_ids = select(Turn.id).where(Turn.sender_hash.in_(hashes))
    handoff_ids = select(Handoff.id).where(Handoff.sender_hash.in_(hashes))
    counts = {"conversations": len(person.conversations), "dialogue_events": person.tracker.get("events", 0)}
    counts["feedback"] = session.execute(
        delete(Feedback).where(or_(Feedback.sender_hash.in_(hashes), Feedback.turn_id.in_(turn_ids)))
    ).rowcount
    session.execute(update(FaqCorrection).where(FaqCorrection.turn_id.in_(turn_ids)).values(turn_id=None))
    # The message ids and the conversation's token go with the turns they belong to.
    session.execute(delete(ChatRequest).where(ChatRequest.sender_hash.in_(hashes)))
    session.execute(delete(ConversationToken).where(ConversationToken.sender_hash.in_(hashes)))
    counts["turns"] = session.execute(delete(Turn).where(Turn.sender_hash.in_(hashes))).rowcount
    # Bookings go with the conversation (and with the lead, by its foreign key); their history rows with the lead.
    session.execute(delete(VisitBooking).where(VisitBooking.sender_hash.in_(hashes)))
    counts["leads"] = session.execute(delete(Lead).where(_leads(person))).rowcount
    session.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(handoff_ids)))
    counts["handoffs"] = session.execute(delete(Handoff).where(Handoff.sender_hash.in_(hashes))).rowcount
    counts["wechat"] = _erase_wechat(session, person)
    queued = _queued(person)
    session.commit()
    for path, _lead in queued:
        path.unlink(missing_ok=True)
    counts["queued_leads"] = len(queued)
    return counts


def _erase_wechat(session, person: Person) -> int:
    """WeChat rows are keyed by the OpenID hash that a "wx-…" conversation id carries."""
    if "bot.wechat.models" not in sys.modules:
        return 0
    from .wechat.models import WeChatFollower, WeChatMessage, WeChatOptions

    hashes = {c.removeprefix("wx-") for c in person.conversations if c.startswith("wx-")}
    if not hashes:
        return 0
    return sum(
        session.execute(delete(model).where(model.openid_hash.in_(hashes))).rowcount
        for model in (WeChatMessage, WeChatFollower, WeChatOptions)
    )
