"""/api/staff/*: the console's data as JSON, for scripts and the pages' own polling.

Same login and CSRF as the console (send the token as X-CSRFToken), but
errors answer in JSON and an anonymous call gets 401, not a redirect.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from .. import audit, db, errors, leads as pipeline
from ..api import lead_dict
from ..dialogue import DialogueUnavailable
from ..errors import ApiError
from ..handoff import claims
from ..models import LEAD_STATUSES, Handoff, HandoffMessage, IndexJob, Lead, Turn
from . import stats
from .leads import leads_query
from .views import PAGE_SIZE, FILTERS, deliver, release, turns_query

bp = Blueprint("staff_api", __name__, url_prefix="/api/staff")
errors.register(bp)


@bp.before_request
def _csrf():
    from . import check_csrf

    check_csrf()


def staff_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            raise ApiError(401, "unauthorized", "Log in to the staff console first.")
        return view(*args, **kwargs)

    return wrapper


def staff_may(permission: str):
    """staff_only, and the account's role must grant `permission` (403 in JSON otherwise)."""

    def decorate(view):
        @wraps(view)
        @staff_only
        def wrapper(*args, **kwargs):
            if not current_user.can(permission):
                raise ApiError(403, "forbidden", f"Your role may not do this (needs '{permission}').")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def row_or_404(session, model, key: int, what: str):
    """The row, or the API's JSON 404 naming what was not found."""
    row = session.get(model, key)
    if row is None:
        raise ApiError(404, "not_found", f"No such {what}.")
    return row


def turn_dict(turn: Turn) -> dict:
    return {
        "id": turn.id,
        "created_at": turn.created_at.isoformat(),
        "channel": turn.channel,
        "sender_hash": turn.sender_hash,
        "user_text": turn.user_text,
        "reply": turn.reply,
        "sources": turn.sources,
        "passages": turn.passages,
        "intent": turn.intent,
        "confidence": turn.confidence,
        "outcome": turn.outcome,
        "degraded": turn.degraded,
        "latency_ms": turn.latency_ms,
        "corrected": turn.corrected,
        "feedback": [{"rating": "up" if f.rating > 0 else "down", "comment": f.comment} for f in turn.feedback],
    }


@bp.get("/stats")
@staff_only
def stats_json():
    days = min(max(request.args.get("days", 30, type=int), 1), 180)
    return jsonify(
        {
            "totals": stats.totals(),
            "daily": [{**d, "day": d["day"].isoformat()} for d in stats.daily(days)],
            "handoff_wait": stats.handoff_wait(),
            "leads_by_status": stats.leads_by_status(),
            "top_declined": stats.top_declined(),
        }
    )


@bp.get("/turns")
@staff_only
def turns_json():
    filter_name = request.args.get("filter", "all")
    if filter_name not in FILTERS:
        raise ApiError(400, "invalid_field", f"'filter' must be one of {', '.join(FILTERS)}.")
    page = max(request.args.get("page", 1, type=int), 1)
    query = turns_query(filter_name, request.args.get("q", "").strip()[:100])
    rows = db.session().scalars(query.order_by(Turn.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return jsonify({"turns": [turn_dict(t) for t in rows], "page": page})


@bp.get("/jobs/<int:job_id>")
@staff_only
def job_json(job_id: int):
    job = row_or_404(db.session(), IndexJob, job_id, "job")
    return jsonify(
        {
            "id": job.id,
            "kind": job.kind,
            "detail": job.detail,
            "status": job.status,
            "message": job.message,
            "progress": job.progress,
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        }
    )


@bp.get("/leads")
@staff_only
def leads_json():
    rows = db.session().scalars(leads_query(request.args.get("status", "")).limit(500))
    return jsonify({"leads": [{**lead_dict(lead), "notes": lead.notes} for lead in rows]})


@bp.patch("/leads/<int:lead_id>")
@staff_may("leads")
def lead_patch(lead_id: int):
    session = db.session()
    lead = row_or_404(session, Lead, lead_id, "lead")
    body = request.get_json(silent=True) or {}
    status, note = body.get("status"), body.get("note", body.get("notes", ""))
    if status is not None and status not in LEAD_STATUSES:
        raise ApiError(400, "invalid_field", f"'status' must be one of {', '.join(LEAD_STATUSES)}.")
    if not isinstance(note, str):
        raise ApiError(400, "invalid_field", "'note' must be a string.")
    try:
        pipeline.change(session, lead, status, note, staff=current_user)
    except pipeline.LeadChangeError as exc:
        raise ApiError(400, "invalid_field", str(exc))
    session.commit()
    return jsonify({"lead": {**lead_dict(lead), "notes": lead.notes}})


@bp.get("/handoffs")
@staff_only
def handoffs_json():
    rows = db.session().scalars(select(Handoff).where(Handoff.status == "open").order_by(Handoff.id))
    return jsonify(
        {
            "handoffs": [
                {
                    "id": h.id,
                    "channel": h.channel,
                    "created_at": h.created_at.isoformat(),
                    "owner": h.staff.username if h.staff else None,
                    "claimed_at": h.claimed_at.isoformat() if h.claimed_at else None,
                    "messages": [
                        {"id": m.id, "author": m.author, "text": m.text, "at": m.created_at.isoformat()}
                        for m in h.messages
                    ],
                }
                for h in rows
            ]
        }
    )


def _open_handoff(handoff_id: int) -> Handoff:
    handoff = db.session().get(Handoff, handoff_id)
    if handoff is None or handoff.status != "open":
        raise ApiError(404, "not_found", "No open handoff with this id.")
    return handoff


@bp.post("/handoffs/<int:handoff_id>/reply")
@staff_may("handoffs")
def handoff_reply_json(handoff_id: int):
    handoff = _open_handoff(handoff_id)
    text = ((request.get_json(silent=True) or {}).get("text") or "").strip()
    if not text or len(text) > 1000:
        raise ApiError(400, "invalid_field", "'text' must be 1 to 1000 characters.")
    if not claims.claim(db.session(), handoff.id, current_user.id):  # replying claims an unclaimed one
        raise ApiError(409, "claimed", "Another member of staff has this handoff (claim it with take_over first).")
    problem = deliver(handoff, text)
    message = HandoffMessage(handoff_id=handoff.id, author="staff", staff_id=current_user.id, text=text)
    db.session().add(message)
    audit.record("handoff_reply", f"handoff:{handoff.id}", detail={"chars": len(text), "delivered": not problem})
    db.session().commit()
    return jsonify({"message": {"id": message.id, "text": text}, "delivery_problem": problem or None})


@bp.post("/handoffs/<int:handoff_id>/release")
@staff_may("handoffs")
def handoff_release_json(handoff_id: int):
    try:
        release(_open_handoff(handoff_id))
    except DialogueUnavailable:
        raise ApiError(
            503, "dialogue_unavailable", "The assistant cannot be reached; the conversation stays with staff."
        )
    audit.record("handoff_release", f"handoff:{handoff_id}")
    db.session().commit()
    return jsonify({"released": handoff_id})
