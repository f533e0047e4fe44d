"""The tenant's side of booking a site visit, answered by the gateway before Rasa.

Its buttons carry payloads Rasa never sees (`/visit`, `/visit_book:<slot>`,
`/visit_cancel`), and once the tenant has a lead a few typed phrases (预约考察,
"book a visit") mean the same (before that Rasa answers them with the lead
form, as it always has), so booking needs no change to domain.yml and no
retraining. On WeChat
the buttons become numbered options like any other (bot/wechat/render.py).
A tenant who has not left a lead is offered the lead form first. What staff
change (a cancellation, a move) reaches the tenant as a WeChat
customer-service message, or on the web with the next reply.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from ..handoff import messages as handoff_messages
from ..handoff.fallback import LEAD_FORM_INTENT
from ..models import Turn, VisitBooking
from . import booking as bookings

log = logging.getLogger(__name__)
MENU, BOOK, CANCEL = "/visit", "/visit_book:", "/visit_cancel"
# Typed phrases that open the booking menu or cancel, compared without spaces, punctuation or case.
TYPED = {
    "预约考察": MENU,
    "预约参观": MENU,
    "考察预约": MENU,
    "预约看园区": MENU,
    "改约考察": MENU,
    "bookavisit": MENU,
    "bookasitevisit": MENU,
    "sitevisit": MENU,
    "取消考察": CANCEL,
    "取消预约": CANCEL,
    "取消考察预约": CANCEL,
    "cancelmyvisit": CANCEL,
}
_NOT_WORD = re.compile(r"[\W_]+")

TEXTS = {
    "need_lead": (
        "预约园区考察前，请先留下联系方式，招商人员会据此与您确认考察安排。",
        "Before you book a site visit, please leave your contact details so that our investment staff "
        "can confirm the visit with you.",
    ),
    "no_slots": (
        "目前没有可预约的考察时段。招商人员会与您联系安排考察，您也可以稍后再发送“预约考察”查看。",
        "There are no visit times open for booking right now. Our investment staff will contact you to "
        'arrange one; you can also send "book a visit" again later.',
    ),
    "menu": ("请选择考察时段（北京时间）：", "Please choose a time for your site visit (Beijing time):"),
    "menu_booked": (
        "您已预约 {when} 的园区考察。如需改约，请选择新的时段（北京时间），或取消预约：",
        "Your site visit is booked for {when}. To change it, choose another time (Beijing time), or cancel:",
    ),
    "booked": (
        "已为您预约园区考察：{when}（北京时间）{place}。招商人员会在考察前与您确认。如需改约或取消，请发送“预约考察”。",
        "Your site visit is booked: {when} (Beijing time){place}. Our investment staff will confirm "
        'it with you beforehand. To change or cancel it, send "book a visit".',
    ),
    "moved": (
        "已将您的园区考察改约到 {when}（北京时间）{place}，原时段 {before} 已取消。",
        "Your site visit has been moved to {when} (Beijing time){place}; the earlier time, {before}, is cancelled.",
    ),
    "cancelled": (
        "已取消您 {when} 的园区考察预约。如需重新预约，请发送“预约考察”。",
        'Your site visit on {when} is cancelled. To book again, send "book a visit".',
    ),
    "nothing_to_cancel": ("您目前没有待进行的考察预约。", "You have no site visit booked."),
    "unavailable": (
        "这个时段已约满或不再开放，请另选一个时段：",
        "That time is full or no longer open; please choose another:",
    ),
    "error": (
        "抱歉，预约暂时无法保存，请稍后再试，或留下联系方式由招商人员与您联系。",
        "Sorry, the booking cannot be saved right now. Please try again shortly, or leave your contact "
        "details and our investment staff will get back to you.",
    ),
    "staff_cancelled": (
        "招商人员取消了您 {when} 的园区考察预约。如需重新预约，请发送“预约考察”。",
        'Our investment staff have cancelled your site visit on {when}. To book again, send "book a visit".',
    ),
    "staff_moved": (
        "招商人员已将您的园区考察改到 {when}（北京时间）{place}。如需改约或取消，请发送“预约考察”。",
        "Our investment staff have moved your site visit to {when} (Beijing time){place}. To change "
        'or cancel it, send "book a visit".',
    ),
    "offer": ("您也可以预约园区实地考察：", "You can also book a site visit to the park:"),
}
BUTTONS = {
    "book": ("预约考察", "Book a site visit"),
    "change": ("改约", "Change the time"),
    "cancel": ("取消预约", "Cancel the visit"),
    "lead": ("留下联系方式", "Leave contact details"),
}


def say(key: str, language: str, **values) -> str:
    return TEXTS[key][1 if language == "en" else 0].format(**values)


def _button(key: str, payload: str, language: str) -> dict:
    return {"title": BUTTONS[key][1 if language == "en" else 0], "payload": payload}


def _reply(text: str, buttons: list[dict] | None = None) -> dict:
    return {"text": text, "buttons": buttons or [], "sources": []}


def command(message: str) -> str | None:
    """The booking command a message is (a payload or a typed phrase), or None for everything else."""
    text = message.strip()
    if text in (MENU, CANCEL) or (text.startswith(BOOK) and text[len(BOOK) :].isdigit()):
        return text
    key = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())
    return TYPED.get(key)


def wanted(session, hashed: str, message: str) -> str | None:
    """The booking command the gateway answers for this message, or None to let Rasa answer it.

    A typed phrase is the gateway's only once the tenant has a lead: before that, 预约考察 is what Rasa
    has always answered with the lead form (request_settlement), which is the right first step anyway.
    A booking button's payload is always the gateway's.
    """
    cmd = command(message)
    if cmd is None or message.strip().startswith("/"):
        return cmd
    try:
        return cmd if bookings.lead_of(session, hashed) is not None else None
    except SQLAlchemyError:
        session.rollback()
        return None


def _language(session, hashed: str, message: str) -> str:
    """The tenant's language: from a typed message, or from their recent typed messages for a payload."""
    if not message.startswith("/"):
        return handoff_messages.language_of(message)
    recent = session.scalars(
        select(Turn.user_text).where(Turn.sender_hash == hashed).order_by(Turn.id.desc()).limit(5)
    ).all()
    return handoff_messages.language_of(*recent)


def _place(slot, language: str) -> str:
    if not slot.place:
        return ""
    return f", {slot.place}" if language == "en" else f"，地点：{slot.place}"


def _menu(session, hashed: str, language: str, lead_text: str = "") -> list[dict]:
    booked = bookings.current(session, hashed)
    slots = bookings.open_slots(session, exclude=booked.slot_id if booked else None)
    buttons = [
        {"title": bookings.slot_text(s, language) + (f" · {s.place}" if s.place else ""), "payload": f"{BOOK}{s.id}"}
        for s in slots
    ]
    if booked is not None:
        text = say("menu_booked", language, when=bookings.slot_text(booked.slot, language))
        return [_reply(f"{lead_text}{text}", buttons + [_button("cancel", CANCEL, language)])]
    if not slots:
        return [_reply(f"{lead_text}{say('no_slots', language)}")]
    return [_reply(f"{lead_text}{say('menu', language)}", buttons)]


def handle(session, channel: str, hashed: str, sender_id: str, message: str, cmd: str) -> list[dict]:
    """The replies to a booking command; commits what it changes."""
    language = _language(session, hashed, message)
    try:
        bookings.forget_past(session)  # committed with this turn's change or its turn log
        if bookings.lead_of(session, hashed) is None:
            return [_reply(say("need_lead", language), [_button("lead", LEAD_FORM_INTENT, language)])]
        if cmd == MENU:
            return _menu(session, hashed, language)
        if cmd == CANCEL:
            booked = bookings.current(session, hashed)
            if booked is None:
                return [_reply(say("nothing_to_cancel", language), [_button("book", MENU, language)])]
            when = bookings.slot_text(booked.slot, language)
            bookings.cancel(session, booked, "tenant", tenant=True)
            session.commit()
            return [_reply(say("cancelled", language, when=when), [_button("book", MENU, language)])]
        try:
            booked, before = bookings.book(session, hashed, channel, sender_id, int(cmd[len(BOOK) :]), language)
        except bookings.BookingError:
            session.rollback()
            return _menu(session, hashed, language, say("unavailable", language) + "\n")
        session.commit()
        when, place = bookings.slot_text(booked.slot, language), _place(booked.slot, language)
        text = (
            say("moved", language, when=when, place=place, before=bookings.slot_text(before, language))
            if before is not None
            else say("booked", language, when=when, place=place)
        )
        return [_reply(text, [_button("change", MENU, language), _button("cancel", CANCEL, language)])]
    except SQLAlchemyError:
        log.exception("visit booking failed")
        session.rollback()
        return [_reply(say("error", language))]


def offer_after_lead(session, hashed: str, since, language: str) -> list[dict]:
    """After the turn that stored a lead, a button to book a visit, if any slot is open."""
    try:
        lead = bookings.lead_of(session, hashed)
        if lead is None or lead.created_at < since or bookings.current(session, hashed):
            return []
        if not bookings.open_slots(session, limit=1):
            return []
    except SQLAlchemyError:
        session.rollback()
        return []
    return [_reply(say("offer", language), [_button("book", MENU, language)])]


def told_by_staff(booking: VisitBooking, change: str) -> None:
    """Staff cancelled or moved a booking: the message for the tenant, kept until it is delivered
    (`deliver_to_wechat` after the commit, or with a web tenant's next reply, see `pending`)."""
    language = booking.language or "zh"
    when = bookings.slot_text(booking.slot, language)
    booking.pending_notice = (
        say("staff_cancelled", language, when=when)
        if change == "cancelled"
        else say("staff_moved", language, when=when, place=_place(booking.slot, language))
    )


def deliver_to_wechat(session, booking: VisitBooking) -> bool:
    """Send a WeChat user the pending message now, as a customer-service message (a WeChat user does not
    poll). Called after the change is committed: the send takes its own database session. A message that
    cannot be sent stays pending and comes with the user's next reply. Commits."""
    if booking.channel != "wechat" or not booking.sender_id or not booking.pending_notice:
        return False
    sent = False
    try:
        from ..wechat.customer_service import CustomerServiceError, send_to_conversation

        send_to_conversation(booking.sender_id, booking.pending_notice)
        booking.pending_notice, sent = None, True
    except (ImportError, CustomerServiceError):
        log.warning("could not tell the WeChat user of the visit change; kept for their next message")
    if booking.status == "cancelled":
        booking.sender_id = None  # no longer needed to reach the person
    session.commit()
    return sent


def pending(notices: list[tuple[int, str]]) -> tuple[list[dict], list[int]]:
    """Messages about staff changes the tenant has not seen yet, as replies, and their bookings' ids.

    `notices` are (booking id, message), read with the turn's other facts in one statement
    (bot/turn_reads.py). Only read: the caller clears them with `mark_told` once the turn's replies
    are made, so no write waits through the call to Rasa (SQLite would hold its lock, and the
    action server posts leads meanwhile).
    """
    return [_reply(text) for _, text in notices], [booking_id for booking_id, _ in notices]


def mark_told(session, booking_ids: list[int]) -> None:
    """The pending messages went out with this turn; committed with the turn log."""
    if not booking_ids:
        return
    try:
        session.execute(update(VisitBooking).where(VisitBooking.id.in_(booking_ids)).values(pending_notice=None))
    except SQLAlchemyError:  # shown again next time rather than costing this reply
        log.exception("could not clear the visit messages just shown")
        session.rollback()
