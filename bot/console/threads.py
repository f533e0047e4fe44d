"""One tenant's conversation, start to end, as staff read it.

The turn log is one row per message; staff need the conversation: what was
tapped (button titles, not payloads), what the bot answered and from which
passages, the ratings and corrections, the handoff with staff's replies, and
the lead that came of it. A conversation is everything one sender (hashed)
said on one channel, merged in time order from the tables that hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import db
from ..models import Handoff, Lead, Turn
from .blueprint import bp

MAX_TURNS = 500  # a thread page shows at most this many turns (the latest)


@dataclass
class Event:
    at: datetime
    kind: str  # turn | staff | handoff_open | handoff_end | lead
    item: object


def thread_events(session, sender_hash: str) -> list[Event]:
    turns = session.scalars(
        select(Turn)
        .where(Turn.sender_hash == sender_hash)
        .options(selectinload(Turn.feedback), selectinload(Turn.corrections))
        .order_by(Turn.id.desc())
        .limit(MAX_TURNS)
    ).all()
    handoffs = session.scalars(
        select(Handoff)
        .where(Handoff.sender_hash == sender_hash)
        .options(selectinload(Handoff.messages))
        .order_by(Handoff.id)
    ).all()
    leads = session.scalars(select(Lead).where(Lead.sender_hash == sender_hash).order_by(Lead.id)).all()
    events = [Event(t.created_at, "turn", t) for t in turns]
    for handoff in handoffs:
        events.append(Event(handoff.created_at, "handoff_open", handoff))
        # The tenant's messages during a handoff are turns already; staff's are only here.
        events += [Event(m.created_at, "staff", m) for m in handoff.messages if m.author == "staff"]
        if handoff.closed_at:
            events.append(Event(handoff.closed_at, "handoff_end", handoff))
    events += [Event(lead.created_at, "lead", lead) for lead in leads]
    order = {"turn": 0, "handoff_open": 1, "staff": 2, "handoff_end": 3, "lead": 4}
    return sorted(events, key=lambda e: (e.at, order[e.kind]))


@bp.get("/conversations/<sender_hash>")
@login_required
def thread(sender_hash: str):
    if not (len(sender_hash) == 64 and all(c in "0123456789abcdef" for c in sender_hash)):
        abort(404)
    session = db.session()
    events = thread_events(session, sender_hash)
    if not events:
        abort(404)
    channels = sorted({e.item.channel for e in events if hasattr(e.item, "channel")})
    texts = passage_texts()
    return render_template(
        "console/thread.html",
        events=events,
        sender_hash=sender_hash,
        channels=channels,
        end_labels=END_LABELS,
        passage_text=texts,
    )


_texts_cache: dict = {}


def passage_texts() -> dict[str, str]:
    """chunk id → passage text from the live index. The turn log keeps ids and scores only (texts change
    with re-indexing); no index, no texts, and the page still shows the scores. (A passage's coverage is
    not held against the answer threshold here: the threshold is the decision model's, over many signals.)"""
    try:
        from ..knowledge_access import knowledge_base

        rows = knowledge_base().retriever.index.rows
    except Exception:
        return {}
    key = id(rows)
    if key not in _texts_cache:  # one map per loaded index
        _texts_cache.clear()
        _texts_cache[key] = {r["chunk_id"]: r.get("text", "") for r in rows}
    return _texts_cache[key]


END_LABELS = {
    "released": "工作人员已交还机器人",
    "timeout": "无人接手，已超时转为留资",
    "after_hours": "非工作时间，已转为留资",
    "timing_out": "超时，正在转为留资",
    None: "已结束",
}
