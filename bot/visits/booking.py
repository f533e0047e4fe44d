"""Booking, moving and cancelling site visits: the rules both sides share, in one place.

A tenant (chat.py) and staff (bot/console/visits.py) change bookings only
through these functions, so each change moves the lead, queues the staff
notice with its .ics and, when staff made it, leaves a message for the
tenant. The caller commits; nothing here commits on its own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import func, select, update

from .. import leads as pipeline
from ..models import Lead, VisitBooking, VisitSlot, utcnow
from . import calendar

log = logging.getLogger(__name__)
ZONE = ZoneInfo(calendar.ZONE)
BOOKABLE_BEFORE = timedelta(hours=1)  # a slot closes this long before it starts
MENU_SLOTS = 6  # slots offered at once: a WeChat reply lists them as numbered options
WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
OPEN_LEAD_STATUSES = ("new", "contacted")  # a booking moves these to visit_booked; later ones stay


class BookingError(Exception):
    """A booking that cannot be made; `code` says why (full, gone, past, no_lead, not_booked)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def slot_text(slot: VisitSlot, language: str = "zh") -> str:
    """12月3日（周四）09:30–11:00, or Thu 3 Dec 09:30–11:00 (Beijing time)."""
    start, end = slot.starts_at.astimezone(ZONE), slot.ends_at.astimezone(ZONE)
    if language == "en":
        return f"{start:%a} {start.day} {start:%b} {start:%H:%M}–{end:%H:%M}"
    return f"{start.month}月{start.day}日（{WEEKDAY_ZH[start.weekday()]}）{start:%H:%M}–{end:%H:%M}"


def booked_count(session, slot_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(VisitBooking)
            .where(VisitBooking.slot_id == slot_id, VisitBooking.status == "booked")
        )
        or 0
    )


def open_slots(session, now: datetime | None = None, limit: int = MENU_SLOTS, exclude: int | None = None):
    """Published slots that start later than BOOKABLE_BEFORE from now and have room, soonest first."""
    now = now or utcnow()
    taken = (
        select(VisitBooking.slot_id, func.count().label("n"))
        .where(VisitBooking.status == "booked")
        .group_by(VisitBooking.slot_id)
        .subquery()
    )
    query = (
        select(VisitSlot)
        .outerjoin(taken, taken.c.slot_id == VisitSlot.id)
        .where(
            VisitSlot.active.is_(True),
            VisitSlot.starts_at > now + BOOKABLE_BEFORE,
            func.coalesce(taken.c.n, 0) < VisitSlot.capacity,
        )
        .order_by(VisitSlot.starts_at, VisitSlot.id)
    )
    if exclude is not None:
        query = query.where(VisitSlot.id != exclude)
    return session.scalars(query.limit(limit)).unique().all()


def lead_of(session, hashed: str) -> Lead | None:
    """The conversation's latest lead: only a tenant who left contact details can book."""
    return session.scalars(select(Lead).where(Lead.sender_hash == hashed).order_by(Lead.id.desc())).first()


def current(session, hashed: str, now: datetime | None = None) -> VisitBooking | None:
    """The conversation's booking that still lies ahead, if any."""
    now = now or utcnow()
    return session.scalars(
        select(VisitBooking)
        .join(VisitSlot)
        .where(VisitBooking.sender_hash == hashed, VisitBooking.status == "booked", VisitSlot.ends_at > now)
        .order_by(VisitBooking.id.desc())
    ).first()


def forget_past(session, now: datetime | None = None) -> int:
    """Drop the WeChat ids of bookings whose visit is over: nobody needs to reach those users any more."""
    ended = select(VisitSlot.id).where(VisitSlot.ends_at <= (now or utcnow()))
    return (
        session.execute(
            update(VisitBooking)
            .where(VisitBooking.sender_id.is_not(None), VisitBooking.slot_id.in_(ended))
            .values(sender_id=None)
        ).rowcount
        or 0
    )


def _claim(session, slot_id: int) -> None:
    """Hold the slot's row for this transaction before its bookings are counted.

    Counting and inserting are two statements: two tenants taking the last place at once would both
    count it free. A no-op UPDATE of the slot is the one lock both databases honour: PostgreSQL locks
    the row until commit, SQLite takes its write lock (waiting out the busy timeout) and then reads
    what the other writer committed."""
    session.execute(update(VisitSlot).where(VisitSlot.id == slot_id).values(capacity=VisitSlot.capacity))


def _bookable(session, slot_id: int, now: datetime) -> VisitSlot:
    _claim(session, slot_id)
    slot = session.get(VisitSlot, slot_id, populate_existing=True)
    if slot is None or not slot.active:
        raise BookingError("gone")
    if slot.starts_at <= now + BOOKABLE_BEFORE:
        raise BookingError("past")
    if booked_count(session, slot.id) >= slot.capacity:
        raise BookingError("full")
    return slot


def book(session, hashed: str, channel: str, sender_id: str, slot_id: int, language: str):
    """A tenant books `slot_id`, or moves their current booking there: (booking, the slot it left or None)."""
    now = utcnow()
    lead = lead_of(session, hashed)
    if lead is None:
        raise BookingError("no_lead")
    booking = current(session, hashed, now)
    if booking is not None and booking.slot_id == slot_id:
        return booking, None  # tapped twice: already booked there
    slot = _bookable(session, slot_id, now)
    if booking is None:
        booking = VisitBooking(
            slot_id=slot.id,
            lead_id=lead.id,
            channel=channel,
            sender_hash=hashed,
            sender_id=sender_id if channel == "wechat" else None,
            language=language,
        )
        session.add(booking)
        session.flush()
        booking.slot = slot
        before = None
    else:
        before = booking.slot
        booking.slot_id, booking.slot, booking.sequence = slot.id, slot, (booking.sequence or 0) + 1
        booking.language = language
    when = slot_text(slot)
    if lead.status in OPEN_LEAD_STATUSES:
        pipeline.change(session, lead, "visit_booked", f"租户预约考察：{when}", actor="tenant")
    else:
        pipeline.change(session, lead, None, f"租户{'改约' if before else '预约'}考察：{when}", actor="tenant")
    _notify(session, booking, "moved" if before else "booked", "租户", before)
    log.info("visit booked", extra={"booking_id": booking.id, "slot_id": slot.id, "moved": before is not None})
    return booking, before


def cancel(session, booking: VisitBooking, by: str, *, tenant: bool) -> None:
    """Cancel a booking; `by` is "tenant" or the staff username. Staff cancellations are told to the tenant
    (after the commit, WeChat users by chat.deliver_to_wechat)."""
    if booking.status != "booked":
        raise BookingError("not_booked")
    booking.status, booking.cancelled_at, booking.cancelled_by = "cancelled", utcnow(), by[:64]
    booking.sequence = (booking.sequence or 0) + 1
    lead = session.get(Lead, booking.lead_id) if booking.lead_id else None
    if lead is not None:
        pipeline.change(
            session,
            lead,
            None,
            f"{'租户' if tenant else by}取消考察：{slot_text(booking.slot)}",
            actor="tenant" if tenant else by,
        )
    _notify(session, booking, "cancelled", "租户" if tenant else by)
    if tenant:
        booking.sender_id = None  # no longer needed to reach the person
    else:  # the tenant is told (a WeChat user through sender_id, cleared once told: chat.deliver_to_wechat)
        from .chat import told_by_staff

        told_by_staff(booking, "cancelled")


def move(session, booking: VisitBooking, slot_id: int, staff_name: str) -> VisitSlot:
    """Staff move a booking to another slot; the tenant is told (see `cancel`). Returns the slot it left."""
    if booking.status != "booked":
        raise BookingError("not_booked")
    slot = _bookable(session, slot_id, utcnow())
    before = booking.slot
    booking.slot_id, booking.slot, booking.sequence = slot.id, slot, (booking.sequence or 0) + 1
    lead = session.get(Lead, booking.lead_id) if booking.lead_id else None
    if lead is not None:
        pipeline.change(
            session, lead, None, f"{staff_name}改约考察：{slot_text(before)} → {slot_text(slot)}", actor=staff_name
        )
    _notify(session, booking, "moved", staff_name, before)
    from .chat import told_by_staff

    told_by_staff(booking, "moved")
    return before


def ics(booking: VisitBooking, base_url: str = "") -> str:
    slot = booking.slot
    lead = f"线索 #{booking.lead_id}" if booking.lead_id else "线索"
    link = f"{base_url.rstrip('/')}/staff/leads/{booking.lead_id}" if base_url and booking.lead_id else ""
    return calendar.visit_ics(
        uid=f"visit-{booking.id}@park-bot",
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        summary=f"园区考察 · {lead}",
        location=slot.place or "",
        sequence=booking.sequence or 0,
        description="杭州生物科技谷园区考察预约（招商助手）。" + (slot.note or "") + (f"\n{link}" if link else ""),
        url=link,
        cancelled=booking.status == "cancelled",
    )


def _notify(session, booking: VisitBooking, change: str, by: str, before: VisitSlot | None = None) -> None:
    from .. import notify

    base = current_app.config.get("CONSOLE_BASE_URL", "") if has_app_context() else ""
    notify.visit_changed(session, change, booking, by, before, ics(booking, base or ""))
