"""Booking a site visit in the widget, in real Chromium against the real gateway (widget_harness.py: only Rasa is
scripted; the booking is the gateway's own, so nothing of it is scripted): a tenant who left a lead types 预约考察,
taps a time, sees the confirmation, then cancels with the button."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from appsupport import rows
from bot import db
from bot.models import Lead, Turn, VisitBooking, VisitSlot

from .widget_harness import REPLIES, WIDGET, open_widget, reply_count, wait_replies

INPUT = "#park-chat-input"
SEND = f"{WIDGET} form button.send"


def test_a_tenant_with_a_lead_books_and_cancels_a_visit_by_tapping_buttons(phone, gateway):
    app = gateway["app"]
    local = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    with app.app_context():
        session = db.session()
        session.add(
            VisitSlot(
                starts_at=local.astimezone(timezone.utc),
                ends_at=(local + timedelta(hours=1)).astimezone(timezone.utc),
                place="园区展示中心",
            )
        )
        session.commit()
    page = phone.new_page()
    open_widget(page, gateway["url"])
    # The conversation's lead, as the lead form would have stored it.
    hashed = rows(app, Turn)[-1].sender_hash
    with app.app_context():
        db.session().add(
            Lead(idempotency_key="browser-lead", sender_hash=hashed, company="临空生物", phone="13800000000")
        )
        db.session().commit()

    before = reply_count(page)
    page.fill(INPUT, "预约考察")
    page.locator(SEND).tap()
    wait_replies(page, before)
    slot_button = page.locator(f"{WIDGET} .buttons button", has_text="09:30–10:30 · 园区展示中心")
    slot_button.last.tap()
    page.wait_for_selector(f"{REPLIES} >> text=已为您预约园区考察")
    [booking] = rows(app, VisitBooking)
    assert booking.status == "booked" and booking.sender_hash == hashed

    page.locator(f"{WIDGET} .buttons button", has_text="取消预约").last.tap()
    page.wait_for_selector(f"{REPLIES} >> text=已取消您")
    assert rows(app, VisitBooking)[0].status == "cancelled"
    sent = gateway["dialogue"].messages()
    assert not any(m.startswith("/visit") or m == "预约考察" for m in sent)  # Rasa never saw the booking
