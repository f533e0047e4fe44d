"""Site-visit slots and bookings in the console: publish and withdraw slots, cancel or move bookings, .ics.

Staff with the `leads` grant change them; every change is audited, and the
booking rules (capacity, lead status, notices, telling the tenant) are
bot/visits/booking.py's. Times are entered and shown in DISPLAY_TIMEZONE
(Asia/Shanghai) and stored in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, db
from ..models import VisitBooking, VisitSlot, utcnow
from ..visits import booking as bookings, chat as visit_chat
from .blueprint import bp, requires

SLOT_FIELDS = ("date", "start", "end", "capacity", "place", "note")
REASONS = {
    "full": "该时段已约满。",
    "gone": "该时段已撤回。",
    "past": "该时段已开始或即将开始，不能再预约。",
    "not_booked": "该预约已取消。",
    "no_lead": "没有对应的线索。",
}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def parse_slot(form: dict, now: datetime | None = None) -> tuple[dict | None, str]:
    """The slot's values from the form, or None and what is wrong (Chinese, for staff)."""
    zone = _zone()
    try:
        day = datetime.strptime(form.get("date", ""), "%Y-%m-%d").date()
        start = datetime.strptime(form.get("start", ""), "%H:%M").time()
        end = datetime.strptime(form.get("end", ""), "%H:%M").time()
    except ValueError:
        return None, "请填写日期（年-月-日）和开始、结束时间（时:分）。"
    starts = datetime.combine(day, start, zone)
    ends = datetime.combine(day, end, zone)
    if ends <= starts:
        return None, "结束时间必须晚于开始时间。"
    if starts <= (now or utcnow()):
        return None, "只能发布将来的时段。"
    try:
        capacity = int(form.get("capacity") or 1)
    except ValueError:
        return None, "可预约数须为 1 到 50 的整数。"
    if not 1 <= capacity <= 50:
        return None, "可预约数须为 1 到 50 的整数。"
    place, note = form.get("place", "").strip(), form.get("note", "").strip()
    if len(place) > 200 or len(note) > 1000:
        return None, "地点最多 200 字，说明最多 1000 字。"
    return {
        "starts_at": starts.astimezone(timezone.utc),
        "ends_at": ends.astimezone(timezone.utc),
        "capacity": capacity,
        "place": place,
        "note": note,
    }, ""


def _page(form: dict | None = None, status: int = 200):
    session = db.session()
    if bookings.forget_past(session):  # visits that are over need no WeChat id
        session.commit()
    since = utcnow() - timedelta(days=1)
    slots = (
        session.scalars(select(VisitSlot).where(VisitSlot.ends_at >= since).order_by(VisitSlot.starts_at, VisitSlot.id))
        .unique()
        .all()
    )
    open_ids = {s.id for s in bookings.open_slots(session, limit=200)}
    return render_template(
        "console/visits.html", slots=slots, open_ids=open_ids, form=form or {}, slot_text=bookings.slot_text
    ), status


@bp.get("/visits")
@login_required
def visits():
    return _page()


@bp.post("/visits/slots")
@requires("leads")
def visit_slot_add():
    form = {k: request.form.get(k, "").strip() for k in SLOT_FIELDS}
    values, problem = parse_slot(form)
    if values is None:
        flash(problem, "error")
        return _page(form, 400)  # the form keeps what was typed
    session = db.session()
    slot = VisitSlot(staff_id=current_user.id, **values)
    session.add(slot)
    session.flush()
    audit.record(
        "visit_slot", f"slot:{slot.id}", detail={"published": bookings.slot_text(slot), "capacity": slot.capacity}
    )
    session.commit()
    flash(f"已发布考察时段：{bookings.slot_text(slot)}。", "info")
    return redirect(url_for("console.visits"))


@bp.post("/visits/slots/<int:slot_id>/withdraw")
@requires("leads")
def visit_slot_withdraw(slot_id: int):
    session = db.session()
    slot = session.get(VisitSlot, slot_id) or abort(404)
    if bookings.booked_count(session, slot.id):
        flash("该时段还有预约：请先取消或改约这些预约，再撤回时段。", "error")
    elif slot.active:
        slot.active = False
        audit.record("visit_slot", f"slot:{slot.id}", detail={"withdrawn": bookings.slot_text(slot)})
        session.commit()
        flash(f"已撤回时段：{bookings.slot_text(slot)}。", "info")
    return redirect(url_for("console.visits"))


def _booking(booking_id: int) -> VisitBooking:
    return db.session().get(VisitBooking, booking_id) or abort(404)


@bp.post("/visits/bookings/<int:booking_id>/cancel")
@requires("leads")
def visit_cancel(booking_id: int):
    session = db.session()
    booking = _booking(booking_id)
    try:
        bookings.cancel(session, booking, current_user.username, tenant=False)
    except bookings.BookingError as exc:
        flash(REASONS.get(exc.code, exc.code), "error")
        return redirect(url_for("console.visits"))
    audit.record(
        "visit_change",
        f"booking:{booking.id}",
        detail={"cancelled": bookings.slot_text(booking.slot), "lead": booking.lead_id},
    )
    session.commit()
    flash(f"已取消预约 #{booking.id}，{_told(session, booking)}", "info")
    return redirect(url_for("console.visits"))


@bp.post("/visits/bookings/<int:booking_id>/move")
@requires("leads")
def visit_move(booking_id: int):
    session = db.session()
    booking = _booking(booking_id)
    slot_id = request.form.get("slot_id", type=int)
    try:
        before = bookings.move(session, booking, slot_id or 0, current_user.username)
    except bookings.BookingError as exc:
        session.rollback()
        flash(REASONS.get(exc.code, exc.code), "error")
        return redirect(url_for("console.visits"))
    audit.record(
        "visit_change",
        f"booking:{booking.id}",
        detail={"moved": [bookings.slot_text(before), bookings.slot_text(booking.slot)], "lead": booking.lead_id},
    )
    session.commit()
    flash(f"预约 #{booking.id} 已改到 {bookings.slot_text(booking.slot)}，{_told(session, booking)}", "info")
    return redirect(url_for("console.visits") + f"#booking-{booking.id}")


def _told(session, booking: VisitBooking) -> str:
    if visit_chat.deliver_to_wechat(session, booking):
        return "已通过微信通知租户。"
    return "租户下次在对话中发消息时会看到通知（可在线索中查看联系方式）。"


@bp.get("/visits/bookings/<int:booking_id>.ics")
@login_required
def visit_ics(booking_id: int):
    booking = _booking(booking_id)
    text = bookings.ics(booking, current_app.config.get("CONSOLE_BASE_URL", ""))
    return Response(
        text.encode("utf-8"),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="visit-{booking.id}.ics"'},
    )
