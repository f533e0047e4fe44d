"""Site-visit booking (预约考察, issue 17 part 6) on the web, end to end: staff publish slots, a tenant who left a
lead books, moves and cancels in the chat (the gateway answers, Rasa never sees it), staff get a mailed notice
with an .ics (a local SMTP server), and staff cancel or move a booking and the tenant is told."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appsupport import FakeDialogue, add_staff, chat, csrf_token, login, make_app, rows
from bot import db
from bot.models import Lead, LeadChange, VisitBooking, VisitSlot
from bot.notify.models import Notice
from bot.staff_records import AuditEntry
from bot.visits import calendar
from notify_fakes import FakeMailbox

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONSOLE = "https://console.park.example"


@pytest.fixture
def mailbox():
    box = FakeMailbox()
    yield box
    box.close()


@pytest.fixture
def app(tmp_path, mailbox):
    app = make_app(
        tmp_path,
        SMTP_URL=f"smtp://127.0.0.1:{mailbox.port}",
        NOTIFY_EMAIL_TO="li@park.example",
        NOTIFY_POLL_S=0.1,
        CONSOLE_BASE_URL=CONSOLE,
    )
    yield app
    app.extensions["notify"].stop()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def staff(app):
    add_staff(app, "li", role="staff")
    client = app.test_client()
    assert login(client, "li").status_code == 302
    return client, csrf_token(client, "/staff/visits")


def days_ahead(n: int) -> str:
    return (datetime.now(SHANGHAI) + timedelta(days=n)).strftime("%Y-%m-%d")


def publish(staff, day: str, start="10:00", end="11:30", capacity="1", place="园区展示中心"):
    client, token = staff
    return client.post(
        "/staff/visits/slots",
        data={
            "date": day,
            "start": start,
            "end": end,
            "capacity": capacity,
            "place": place,
            "note": "",
            "csrf_token": token,
        },
    )


def buttons(body) -> dict[str, str]:
    return {b["title"]: b["payload"] for r in body["replies"] for b in r["buttons"]}


def text(body) -> str:
    return "\n".join(r["text"] for r in body["replies"])


class LeadFormRasa(FakeDialogue):
    """Rasa's stand-in whose last lead-form answer stores a lead, as the action server does through /api/leads."""

    def answer(self, sender_id, message):
        if message == "同意":
            from bot.conversation import sender_hash

            session = db.session()  # what the action server's POST /api/leads stores (tests/test_api.py covers it)
            session.add(
                Lead(
                    idempotency_key=f"lead-{sender_id}",
                    sender_hash=sender_hash(sender_id),
                    name="王经理",
                    company="临空生物",
                    phone="13800000000",
                    channel="web",
                )
            )
            session.commit()
            return [{"text": "感谢您的信任，招商人员会尽快与您联系。", "buttons": [], "sources": []}], {
                "outcome": "answered",
                "form_step": True,
                "lead_stored": True,  # as actions/actions.py ActionSubmitLead says
            }
        return super().answer(sender_id, message)


def test_a_web_tenant_books_moves_and_cancels_a_visit_and_staff_are_mailed_an_ics(app, staff, mailbox):
    rasa = LeadFormRasa()
    app.extensions["dialogue"] = rasa
    assert publish(staff, days_ahead(2)).status_code == 302
    assert publish(staff, days_ahead(3), "14:00", "15:00", place="").status_code == 302
    first, second = rows(app, VisitSlot)

    # No lead yet: a booking button asks for contact details first (Rasa hears nothing of it), and the typed
    # phrase is Rasa's, which has always answered it with the lead form.
    before = chat(app, "/visit")
    assert "请先留下联系方式" in text(before) and buttons(before) == {"留下联系方式": "/request_settlement"}
    assert rasa.sent == []
    chat(app, "预约考察")
    assert [m for _, m in rasa.sent] == ["预约考察"]
    rasa.sent.clear()

    # The form's last answer stores the lead: the same turn offers a visit.
    done = chat(app, "同意")
    assert rows(app, Lead)[0].sender_hash and buttons(done) == {"预约考察": "/visit"}

    menu = chat(app, "/visit")
    assert "请选择考察时段（北京时间）" in text(menu)
    assert sorted(buttons(menu).values()) == [f"/visit_book:{first.id}", f"/visit_book:{second.id}"]
    start = datetime.now(SHANGHAI) + timedelta(days=2)
    title = next(t for t, p in buttons(menu).items() if p == f"/visit_book:{first.id}")
    assert title.startswith(f"{start.month}月{start.day}日（") and "10:00–11:30 · 园区展示中心" in title

    booked = chat(app, f"/visit_book:{first.id}")
    assert "已为您预约园区考察" in text(booked) and "10:00–11:30" in text(booked) and "园区展示中心" in text(booked)
    assert buttons(booked) == {"改约": "/visit", "取消预约": "/visit_cancel"}
    [lead] = rows(app, Lead)
    assert lead.status == "visit_booked"
    assert [(c.from_status, c.to_status, c.actor) for c in rows(app, LeadChange)] == [("new", "visit_booked", "tenant")]
    [mail] = mailbox.wait_for(1, timeout=5.0)
    assert mail["subject"].startswith("【招商助手】新的考察预约 #") and "13800000000" not in mail["raw"]
    assert f"{CONSOLE}/staff/visits/bookings/" in mail["body"]
    [(filename, kind, ics)] = mail["attachments"]
    assert (filename, kind) == ("visit.ics", "text/calendar") and "METHOD:PUBLISH" in ics
    assert f"DTSTART;TZID=Asia/Shanghai:{start:%Y%m%d}T100000" in ics and "王经理" not in ics

    # The first slot is full now: a second tenant with a lead does not see it.
    chat(app, "同意", sender="web-li")
    assert list(buttons(chat(app, "/visit", sender="web-li")).values()) == [f"/visit_book:{second.id}"]
    taken = chat(app, f"/visit_book:{first.id}", sender="web-li")
    assert "这个时段已约满或不再开放" in text(taken) and len(rows(app, VisitBooking)) == 1

    # Rescheduling moves the same booking (the calendar keeps its UID), then cancelling ends it.
    change = chat(app, "/visit")
    assert "您已预约" in text(change) and set(buttons(change).values()) == {f"/visit_book:{second.id}", "/visit_cancel"}
    moved = chat(app, f"/visit_book:{second.id}")
    assert "已将您的园区考察改约到" in text(moved)
    [booking] = rows(app, VisitBooking)
    assert booking.slot_id == second.id and booking.sequence == 1
    cancelled = chat(app, "取消预约")
    assert "已取消您" in text(cancelled) and rows(app, VisitBooking)[0].status == "cancelled"
    mails = mailbox.wait_for(3, timeout=5.0)
    assert [m["subject"].split(" #")[0] for m in mails] == [
        "【招商助手】新的考察预约",
        "【招商助手】考察预约已改期",
        "【招商助手】考察预约已取消",
    ]
    final = mails[2]["attachments"][0][2]
    assert "METHOD:CANCEL" in final and "STATUS:CANCELLED" in final and "SEQUENCE:2" in final
    assert final.count(f"UID:visit-{booking.id}@park-bot") == 1
    assert not any(m.startswith("/visit") or m in ("预约考察", "取消预约") for _, m in rasa.sent)  # Rasa never saw them


def test_staff_cancel_and_move_a_booking_and_the_web_tenant_is_told_with_the_next_reply(app, staff):
    app.extensions["dialogue"] = LeadFormRasa()
    publish(staff, days_ahead(2))
    publish(staff, days_ahead(4), "09:00", "10:00")
    first, second = rows(app, VisitSlot)
    chat(app, "同意")
    chat(app, f"/visit_book:{first.id}")
    [booking] = rows(app, VisitBooking)
    client, token = staff
    assert (
        client.post(
            f"/staff/visits/bookings/{booking.id}/move", data={"slot_id": second.id, "csrf_token": token}
        ).status_code
        == 302
    )
    assert rows(app, VisitBooking)[0].slot_id == second.id
    nxt = chat(app, "园区在哪里")
    assert "招商人员已将您的园区考察改到" in nxt["replies"][0]["text"] and "09:00–10:00" in nxt["replies"][0]["text"]
    assert "招商人员已将" not in text(chat(app, "园区在哪里"))  # told once

    # A slot with a booking cannot be withdrawn; after staff cancel it can.
    client.post(f"/staff/visits/slots/{second.id}/withdraw", data={"csrf_token": token})
    assert rows(app, VisitSlot)[1].active
    assert client.post(f"/staff/visits/bookings/{booking.id}/cancel", data={"csrf_token": token}).status_code == 302
    assert rows(app, VisitBooking)[0].cancelled_by == "li"
    assert "招商人员取消了您" in chat(app, "你好")["replies"][0]["text"]
    client.post(f"/staff/visits/slots/{second.id}/withdraw", data={"csrf_token": token})
    assert not rows(app, VisitSlot)[1].active
    assert "没有可预约的考察时段" not in text(chat(app, "/visit"))  # the first slot is open again
    audited = [(e.action, e.target) for e in rows(app, AuditEntry) if e.action.startswith("visit")]
    assert audited == [
        ("visit_slot", f"slot:{first.id}"),
        ("visit_slot", f"slot:{second.id}"),
        ("visit_change", f"booking:{booking.id}"),
        ("visit_change", f"booking:{booking.id}"),
        ("visit_slot", f"slot:{second.id}"),
    ]
    ics = client.get(f"/staff/visits/bookings/{booking.id}.ics")
    assert ics.mimetype == "text/calendar" and "STATUS:CANCELLED" in ics.get_data(as_text=True)
    page = client.get("/staff/visits").get_data(as_text=True)
    assert "已撤回" in page and "已取消（li）" in page
    with app.app_context():
        notices = db.session().query(Notice).filter(Notice.kind == "visit").count()
    assert notices == 3  # booked, moved, cancelled


def test_slot_input_is_checked_and_a_viewer_cannot_publish(app, staff):
    client, token = staff
    bad = publish(staff, days_ahead(2), "11:00", "10:00")
    assert bad.status_code == 400 and "结束时间必须晚于开始时间" in bad.get_data(as_text=True)
    assert 'value="11:00"' in bad.get_data(as_text=True)  # what was typed is kept
    assert publish(staff, days_ahead(-1)).status_code == 400
    assert publish(staff, "2026-13-01").status_code == 400
    assert publish(staff, days_ahead(2), capacity="0").status_code == 400
    assert rows(app, VisitSlot) == []
    add_staff(app, "kan", role="viewer")
    viewer = app.test_client()
    login(viewer, "kan")
    vtoken = csrf_token(viewer, "/staff/visits")
    assert (
        viewer.post(
            "/staff/visits/slots", data={"date": days_ahead(2), "start": "10:00", "end": "11:00", "csrf_token": vtoken}
        ).status_code
        == 403
    )
    assert viewer.get("/staff/visits").status_code == 200


def test_the_ics_follows_rfc_5545():
    start = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
    text = calendar.visit_ics(
        uid="visit-1@park-bot",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        summary="园区考察, 线索 #1; 测试",
        location="展示中心\n一楼",
        description="很长的说明" * 30,
        stamp=datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("UTC")),
    )
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "DTSTART;TZID=Asia/Shanghai:20261203T100000" in lines and "DTSTAMP:20261201T020000Z" in lines
    assert "SUMMARY:园区考察\\, 线索 #1\\; 测试" in lines and "LOCATION:展示中心\\n一楼" in lines
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:" + "很长的说明" * 30 in unfolded
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and "TZID:Asia/Shanghai" in lines


def test_an_english_tenant_books_in_english_and_the_dashboard_counts_booking_turns_apart(app, staff):
    app.extensions["dialogue"] = LeadFormRasa()
    publish(staff, days_ahead(2), place="")
    [slot] = rows(app, VisitSlot)
    chat(app, "同意", sender="web-en")
    menu = chat(app, "Book a visit", sender="web-en")
    assert "Please choose a time for your site visit (Beijing time)" in text(menu)
    [title] = buttons(menu)
    assert title.endswith("10:00–11:30") and "月" not in title
    booked = chat(app, f"/visit_book:{slot.id}", sender="web-en")  # a payload: the language of the typed messages
    assert "Your site visit is booked" in text(booked) and buttons(booked) == {
        "Change the time": "/visit",
        "Cancel the visit": "/visit_cancel",
    }

    client, _ = staff
    totals = client.get("/api/staff/stats").get_json()["totals"]
    assert totals["visit"] == 2 and totals["answered"] == 0 and totals["form_answer"] == 1
    [lead] = rows(app, Lead)
    page = client.get(f"/staff/leads/{lead.id}").get_data(as_text=True)
    assert "已预约考察" in page and "租户预约考察" in page and "已预约" in page.split("考察预约</h2>")[1]
    thread = client.get(f"/staff/conversations/{lead.sender_hash}").get_data(as_text=True)
    assert f"/visit_book:{slot.id}" not in thread and f"「预约考察时段 #{slot.id}」" in thread


def test_a_wechat_id_is_forgotten_once_the_visit_is_over(app):
    from bot.models import utcnow
    from bot.visits.booking import forget_past

    with app.app_context():
        session = db.session()
        start = utcnow() - timedelta(hours=3)
        past = VisitSlot(starts_at=start, ends_at=start + timedelta(hours=1))
        ahead = VisitSlot(starts_at=start + timedelta(days=2), ends_at=start + timedelta(days=2, hours=1))
        session.add_all([past, ahead])
        session.flush()
        session.add_all(
            [
                VisitBooking(slot_id=past.id, channel="wechat", sender_hash="a", sender_id="wx-a"),
                VisitBooking(slot_id=ahead.id, channel="wechat", sender_hash="b", sender_id="wx-b"),
            ]
        )
        session.commit()
        assert forget_past(session) == 1
        session.commit()
    assert [b.sender_id for b in rows(app, VisitBooking)] == [None, "wx-b"]
