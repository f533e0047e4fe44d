"""The console's conversation list: one row per conversation, filtered by outcome, date, channel, thumbs-down.

A conversation is one sender (hashed) on one channel. The list is grouped in
SQL from the turn log, so a page costs a few queries whatever the log's size;
each row opens the thread page (threads.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_login import login_required
from sqlalchemy import case, func, select

from .. import db
from ..models import OUTCOMES, Feedback, Handoff, Lead, Turn
from .blueprint import bp
from .button_titles import is_payload, shown

PAGE_SIZE = 30
CHANNELS = ("web", "wechat", "console")
OUTCOME_FILTERS = ("answered", "abstained", "out_of_scope", "handoff", "error")


@dataclass
class Row:
    sender_hash: str
    channel: str
    started: datetime
    last: datetime
    turns: int
    outcomes: dict[str, int]
    first_question: str = ""
    thumbs_down: int = 0
    handoff: bool = False
    lead: bool = False


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Local (Asia/Shanghai) days as UTC instants: [start 00:00, the day after end 00:00)."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    lower = datetime.combine(start, time(), zone) if start else None
    upper = datetime.combine(end + timedelta(days=1), time(), zone) if end else None
    return lower, upper


def grouped(
    outcome: str = "", channel: str = "", thumbs_down: bool = False, start: date | None = None, end: date | None = None
):
    counts = [func.sum(case((Turn.outcome == o, 1), else_=0)).label(o) for o in OUTCOMES]
    query = select(
        Turn.sender_hash,
        Turn.channel,
        func.min(Turn.created_at).label("started"),
        func.max(Turn.created_at).label("last"),
        func.count().label("turns"),
        *counts,
    ).group_by(Turn.sender_hash, Turn.channel)
    if channel in CHANNELS:
        query = query.where(Turn.channel == channel)
    if outcome in OUTCOME_FILTERS:
        query = query.having(func.sum(case((Turn.outcome == outcome, 1), else_=0)) > 0)
    if thumbs_down:
        disliked = select(Turn.sender_hash).join(Feedback, Feedback.turn_id == Turn.id).where(Feedback.rating < 0)
        query = query.where(Turn.sender_hash.in_(disliked))
    lower, upper = _bounds(start, end)
    if lower is not None:  # active on or after the first day…
        query = query.having(func.max(Turn.created_at) >= lower)
    if upper is not None:  # …and on or before the last
        query = query.having(func.min(Turn.created_at) < upper)
    return query


def _rows(session, query, page: int) -> list[Row]:
    found = session.execute(
        query.order_by(func.max(Turn.created_at).desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    rows = [
        Row(r.sender_hash, r.channel, r.started, r.last, r.turns, {o: getattr(r, o) or 0 for o in OUTCOMES})
        for r in found
    ]
    senders = [r.sender_hash for r in rows]
    if not senders:
        return rows
    down = dict(
        session.execute(
            select(Turn.sender_hash, func.count())
            .join(Feedback, Feedback.turn_id == Turn.id)
            .where(Turn.sender_hash.in_(senders), Feedback.rating < 0)
            .group_by(Turn.sender_hash)
        ).all()
    )
    handed = set(session.scalars(select(Handoff.sender_hash).where(Handoff.sender_hash.in_(senders))))
    leads = set(session.scalars(select(Lead.sender_hash).where(Lead.sender_hash.in_(senders))))
    for row in rows:
        row.thumbs_down, row.handoff, row.lead = (
            down.get(row.sender_hash, 0),
            row.sender_hash in handed,
            row.sender_hash in leads,
        )
        opening = session.scalars(
            select(Turn.user_text)
            .where(Turn.sender_hash == row.sender_hash, Turn.channel == row.channel)
            .order_by(Turn.id)
            .limit(5)
        ).all()
        asked = next((t for t in opening if not is_payload(t) or shown(t).startswith("「")), "")
        row.first_question = shown(asked)
    return rows


@bp.get("/threads")
@login_required
def threads():
    outcome = request.args.get("outcome", "")
    channel = request.args.get("channel", "")
    thumbs_down = request.args.get("thumbs_down") == "1"
    start, end = _day(request.args.get("from", "")), _day(request.args.get("to", ""))
    page = max(request.args.get("page", 1, type=int), 1)
    session = db.session()
    query = grouped(outcome, channel, thumbs_down, start, end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    args = {
        "outcome": outcome if outcome in OUTCOME_FILTERS else "",
        "channel": channel if channel in CHANNELS else "",
        "thumbs_down": "1" if thumbs_down else "",
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
    }
    return render_template(
        "console/threads.html",
        rows=_rows(session, query, page),
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args=args,
        outcomes=OUTCOME_FILTERS,
        channels=CHANNELS,
    )
