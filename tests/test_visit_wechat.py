"""Booking a site visit through the WeChat simulator: numbered options instead of buttons, the digit books,
and a cancellation by staff reaches the user as a customer-service message (WeChat is the loopback fake)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from appsupport import add_staff, csrf_token, login, make_app
from bot import db
from bot.models import Lead, VisitBooking, VisitSlot
from wechat_sim import FakeWeChatApi, Simulator, WeChatDialogue, wait_for, wechat_config
from bot.privacy import wechat_notice

SHANGHAI = ZoneInfo("Asia/Shanghai")


class LeadFormRasa(WeChatDialogue):
    """The lead form's last answer stores the lead (as the action server does); everything else as the fake."""

    def answer(self, sender_id, message):
        if message == "同意":
            from bot.conversation import sender_hash

            session = db.session()
            session.add(
                Lead(
                    idempotency_key=f"lead-{sender_id}",
                    sender_hash=sender_hash(sender_id),
                    company="临空生物",
                    phone="13800000000",
                    channel="wechat",
                )
            )
            session.commit()
            return [{"text": "感谢您的信任，招商人员会尽快与您联系。", "buttons": [], "sources": []}], {
                "outcome": "answered",
                "form_step": True,
                "lead_stored": True,  # as actions/actions.py ActionSubmitLead says
            }
        return super().answer(sender_id, message)


@pytest.fixture
def api():
    with FakeWeChatApi() as server:
        yield server


def slot(app, days: int, hour: int) -> int:
    local = datetime.now(SHANGHAI).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    start = local.astimezone(timezone.utc)  # stored in UTC, as the console does (SQLite keeps no offset)
    with app.app_context():
        session = db.session()
        row = VisitSlot(starts_at=start, ends_at=start + timedelta(hours=1), capacity=2, place="园区展示中心")
        session.add(row)
        session.commit()
        return row.id


def test_a_wechat_user_books_by_digit_reschedules_and_hears_of_a_staff_cancellation(db_url, api):
    rasa = LeadFormRasa()
    app = make_app(dialogue=rasa, **wechat_config(db_url, api.url, STAFF_PASSWORD_METHOD="scrypt:1024:8:1"))
    first, second = slot(app, 2, 10), slot(app, 3, 15)
    sim = Simulator.for_flask(app)

    # No lead yet: Rasa's (the lead form); a first contact reads the privacy notice first.
    assert sim.send(sim.text("o-zhao", "预约考察")).text == wechat_notice() + "\n\n收到：预约考察"
    sim.send(sim.text("o-zhao", "同意"))
    menu = sim.send(sim.text("o-zhao", "预约考察")).text
    assert "请选择考察时段（北京时间）" in menu and "回复数字即可选择" in menu
    assert "1. " in menu and "10:00–11:00" in menu.split("1. ")[1].split("\n")[0]
    booked = sim.send(sim.text("o-zhao", "1")).text  # the digit stands for /visit_book:<first>
    assert "已为您预约园区考察" in booked and "10:00–11:00" in booked and "1. 改约" in booked
    with app.app_context():
        [booking] = db.session().query(VisitBooking).all()
        assert (booking.slot_id, booking.channel, booking.status) == (first, "wechat", "booked")
        assert booking.sender_id  # kept while the booking stands, to reach the user
        assert db.session().get(Lead, booking.lead_id).status == "visit_booked"

    again = sim.send(sim.text("o-zhao", "1")).text  # 改约: the menu, now with the other slot and 取消预约
    assert "您已预约" in again and "15:00–16:00" in again and "取消预约" in again
    moved = sim.send(sim.text("o-zhao", "1")).text
    assert "已将您的园区考察改约到" in moved and "15:00–16:00" in moved
    with app.app_context():
        assert db.session().query(VisitBooking).one().slot_id == second
    assert [m for _, m in rasa.sent] == ["预约考察", "同意"]  # after the lead, Rasa saw none of the booking

    add_staff(app, "li", role="staff")
    staff = app.test_client()
    assert login(staff, "li").status_code == 302
    token = csrf_token(staff, "/staff/visits")
    with app.app_context():
        booking_id = db.session().query(VisitBooking).one().id
    assert staff.post(f"/staff/visits/bookings/{booking_id}/cancel", data={"csrf_token": token}).status_code == 302
    assert wait_for(lambda: api.texts("o-zhao"), timeout=5)
    [told] = api.texts("o-zhao")
    assert "招商人员取消了您" in told and "15:00–16:00" in told
    with app.app_context():
        booking = db.session().query(VisitBooking).one()
        assert (booking.status, booking.cancelled_by, booking.sender_id, booking.pending_notice) == (
            "cancelled",
            "li",
            None,
            None,
        )
    # Nothing is repeated with the next reply: WeChat already delivered it.
    assert "招商人员取消了您" not in sim.send(sim.text("o-zhao", "你好")).text
