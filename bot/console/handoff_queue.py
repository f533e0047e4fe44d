"""The 人工接待 queue: cards with the whole conversation, owners, waiting times, kept live.

Staff must see what a tenant asked before 转人工 (the bot's answers and their
sources, and the lead if one was left), who has the handoff, and how long it
has waited, without reloading. The page listens to a server-sent-event stream
that says when the queue changed and then fetches the cards again. The
stream holds one gunicorn thread, so it ends after HANDOFF_STREAM_SECONDS and
the browser reconnects (EventSource does that by itself): a closed tab frees
its thread within that time, and every reconnect refreshes the waiting times.
A gthread worker queues requests it accepted while its threads are busy, so
each process holds at most HANDOFF_STREAMS_PER_WORKER streams open; past
that a page gets the state at once and reconnects a few seconds later, which
is polling, and the other threads stay free for tenants' chats.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import audit, db
from ..errors import ApiError
from ..handoff import claims
from ..models import Handoff, HandoffMessage, Lead, StaffUser, Turn, utcnow
from .blueprint import bp, requires
from .staff_api import bp as api_bp, row_or_404, staff_may, staff_only

EARLIER_TURNS = 40  # the most of the conversation before 转人工 a card shows
KEEPALIVE_S = 10.0
POLL_RETRY_MS = 3000
_slots_lock = threading.Lock()


def _stream_slots(app) -> threading.BoundedSemaphore:
    """This process's open-stream limit (made lazily: gunicorn forks after the app may exist)."""
    with _slots_lock:
        slots = app.extensions.get("handoff_stream_slots")
        if slots is None:
            limit = max(int(app.config.get("HANDOFF_STREAMS_PER_WORKER") or 2), 1)
            slots = app.extensions["handoff_stream_slots"] = threading.BoundedSemaphore(limit)
        return slots


@dataclass
class Card:
    handoff: Handoff
    earlier: list[Turn] = field(default_factory=list)
    lead: Lead | None = None
    waited_minutes: int = 0


def open_handoffs(session) -> list[Handoff]:
    return session.scalars(select(Handoff).where(Handoff.status == "open").order_by(Handoff.id)).all()


def cards(session) -> list[Card]:
    now = utcnow()
    out = []
    for handoff in open_handoffs(session):
        earlier = session.scalars(
            select(Turn)
            .where(Turn.sender_hash == handoff.sender_hash, Turn.created_at <= handoff.created_at)
            .order_by(Turn.id.desc())
            .limit(EARLIER_TURNS)
        ).all()
        lead = session.scalars(
            select(Lead).where(Lead.sender_hash == handoff.sender_hash).order_by(Lead.id.desc()).limit(1)
        ).first()
        until = handoff.claimed_at or now
        out.append(
            Card(handoff, list(reversed(earlier)), lead, int((until - handoff.created_at).total_seconds() // 60))
        )
    return out


def queue_state(session) -> dict:
    """What the live page needs to know whether to fetch the cards again."""
    rows = session.execute(
        select(Handoff.id, Handoff.staff_id, Handoff.closed_reason).where(Handoff.status == "open").order_by(Handoff.id)
    ).all()
    last_message = session.scalar(select(func.max(HandoffMessage.id))) or 0
    waiting = sum(1 for _id, staff_id, reason in rows if staff_id is None and reason is None)
    digest = hashlib.sha256(repr((tuple(map(tuple, rows)), last_message)).encode()).hexdigest()[:16]
    return {"version": digest, "open": len(rows), "waiting": waiting}


@bp.app_context_processor
def _badge():
    """Unclaimed handoffs, for the 人工接待 badge on every console page."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    try:
        return {"handoffs_waiting": queue_state(db.session())["waiting"]}
    except Exception:  # a page must not fail over its badge
        db.session().rollback()
        return {}


@bp.get("/handoffs")
@login_required
def handoffs():
    session = db.session()
    return render_template("console/handoffs.html", cards=cards(session), state=queue_state(session))


@bp.get("/handoffs/queue")
@login_required
def handoffs_fragment():
    """The cards alone, fetched by the page when the stream says the queue changed."""
    session = db.session()
    return render_template("console/_handoff_queue.html", cards=cards(session), state=queue_state(session))


@bp.post("/handoffs/<int:handoff_id>/claim")
@requires("handoffs")
def handoff_claim(handoff_id: int):
    session = db.session()
    handoff = session.get(Handoff, handoff_id) or abort(404)
    take_over = request.form.get("take_over") == "1"
    if claims.claim(session, handoff_id, current_user.id, take_over=take_over):
        audit.record("handoff_claim", f"handoff:{handoff_id}", detail={"take_over": take_over})
        flash(f"会话 #{handoff_id} 已由您接手。", "info")
    else:
        flash(_refusal(session, handoff), "error")
    return redirect(url_for("console.handoffs") + f"#handoff-{handoff_id}")


def _refusal(session, handoff: Handoff) -> str:
    session.refresh(handoff)
    if handoff.status != "open" or handoff.closed_reason:
        return f"会话 #{handoff.id} 已结束或已超时转为留资，无法接手。"
    owner = session.get(StaffUser, handoff.staff_id) if handoff.staff_id else None
    return f"会话 #{handoff.id} 已由 {owner.username if owner else '其他工作人员'} 接手。"


@api_bp.post("/handoffs/<int:handoff_id>/claim")
@staff_may("handoffs")
def handoff_claim_json(handoff_id: int):
    session = db.session()
    row_or_404(session, Handoff, handoff_id, "handoff")
    body = request.get_json(silent=True) or {}
    if not claims.claim(session, handoff_id, current_user.id, take_over=body.get("take_over") is True):
        raise ApiError(
            409,
            "claimed",
            "The handoff is closed, timing out, or claimed by someone else (send take_over: true to take it over).",
        )
    audit.record("handoff_claim", f"handoff:{handoff_id}", detail={"take_over": body.get("take_over") is True})
    return jsonify({"handoff": handoff_id, "owner": current_user.username})


@api_bp.get("/handoffs/events")
@staff_only
def handoff_events():
    """text/event-stream: a `queue` event with {version, open, waiting} whenever the queue changes."""
    sessions = current_app.extensions["db_sessionmaker"]
    seconds = float(current_app.config.get("HANDOFF_STREAM_SECONDS") or 25)
    check = float(current_app.config.get("HANDOFF_STREAM_CHECK_S") or 1.0)
    slots = _stream_slots(current_app)

    def stream():
        held = slots.acquire(blocking=False)  # here, so a stream never started holds nothing
        try:
            # Without a slot: the state once, and the browser asks again after POLL_RETRY_MS.
            yield f"retry: {2000 if held else POLL_RETRY_MS}\n\n"
            started = last_sent = time.monotonic()
            last = None
            while True:
                with sessions() as session:  # a fresh transaction each time, so new commits are seen
                    state = queue_state(session)
                now = time.monotonic()
                if state["version"] != last:
                    last, last_sent = state["version"], now
                    yield f"event: queue\ndata: {json.dumps(state)}\n\n"
                elif now - last_sent >= KEEPALIVE_S:
                    last_sent = now
                    yield ": keep-alive\n\n"
                if not held or time.monotonic() - started >= seconds:
                    return
                time.sleep(check)
        finally:
            if held:
                slots.release()

    return Response(
        stream(), mimetype="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
