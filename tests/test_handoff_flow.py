"""The gateway's side of 转人工: waiting message, office hours, a handoff that cannot be stored,
the claim timeout that ends in the lead form, and claims. Rasa is the scripted fake."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from appsupport import FakeDialogue, add_staff, chat, make_app, rows, tenant
from bot import db
from bot.handoff import claims, sweeper
from bot.handoff.hours import OfficeHours
from bot.models import Handoff, Turn, utcnow

FORM_QUESTION = "欢迎关注杭州生物科技谷！请留下几项信息，招商人员会与您联系。"
HANDED_OFF = "好的，已为您转接招商人员。"


class ScriptedRasa(FakeDialogue):
    """转人工 → utter_handoff (outcome handoff); /request_settlement → the lead form's first prompt."""

    def answer(self, sender_id, message):
        if message == "/request_settlement":
            return [{"text": FORM_QUESTION, "buttons": [], "sources": []}], {"outcome": "answered", "form_step": True}
        if message in ("转人工", "talk to a person", "/human_handoff"):
            text = HANDED_OFF if message != "talk to a person" else "All right, I have passed you on to our staff."
            return [{"text": text, "buttons": [], "sources": []}], {"outcome": "handoff", "sources": []}
        return [{"text": "园区位于萧山机场西侧。", "buttons": [], "sources": []}], {"outcome": "answered"}


@pytest.fixture
def make(tmp_path):
    made = []

    def build(**config):
        app = make_app(tmp_path / str(len(made)), ScriptedRasa(), **config)
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["db_engine"].dispose()


def texts(body):
    return [r["text"] for r in body["replies"]]


def test_an_open_handoff_tells_the_tenant_it_is_waiting_and_for_how_long(make):
    app = make(HANDOFF_CLAIM_TIMEOUT_MINUTES=10)
    body = chat(app, "转人工")
    assert body["handoff"] is True
    assert texts(body)[0] == HANDED_OFF
    assert "请稍候" in texts(body)[1] and "会尽快接待" in texts(body)[1] and "10分钟" in texts(body)[1]
    # Once staff have claimed a few, the estimate is their median time to claim.
    with app.app_context():
        session = db.session()
        now = utcnow()
        for minutes in (2, 4, 30):
            session.add(
                Handoff(
                    channel="web",
                    sender_hash="x",
                    status="closed",
                    closed_reason="released",
                    created_at=now - timedelta(minutes=minutes + 1),
                    claimed_at=now - timedelta(minutes=1),
                )
            )
        session.commit()
    body = chat(app, "转人工", sender="web-dave")
    assert "通常在约 4 分钟内接待" in texts(body)[1]
    english = chat(app, "talk to a person", sender="web-erin")
    assert english["replies"][1]["text"].startswith("Please wait a moment: staff usually pick up within about 4")


def test_outside_office_hours_the_tenant_is_told_when_staff_reply_and_gets_the_lead_form(make):
    # Closed every day: a Sunday-only office with that Sunday a holiday is never open this week.
    app = make(
        OFFICE_HOURS="mon-fri 09:00-17:30",
        OFFICE_HOLIDAYS=",".join(
            (datetime.now(timezone.utc) + timedelta(hours=8) + timedelta(days=d)).date().isoformat()
            for d in range(0, 3)
        ),
    )
    fake = app.extensions["dialogue"]
    body = chat(app, "转人工")
    said = texts(body)
    assert body["handoff"] is False
    assert HANDED_OFF not in said  # no promise that nobody keeps
    assert "现在是非工作时间" in said[0] and "周一至周五 09:00-17:30" in said[0] and "09:00后回复" in said[0]
    assert said[1] == FORM_QUESTION
    assert fake.resumed == ["web-carol"] and fake.sent[-1] == ("web-carol", "/request_settlement")
    [handoff] = rows(app, Handoff)
    assert (handoff.status, handoff.closed_reason, handoff.sender_id) == ("closed", "after_hours", None)
    assert rows(app, Turn)[-1].outcome == "handoff"
    assert chat(app, "园区在哪里")["replies"][0]["text"] == "园区位于萧山机场西侧。"  # the bot is not paused
    english = texts(chat(app, "talk to a person", sender="web-erin"))[0]
    assert english.startswith("Our staff are out of the office now (office hours: Mon-Fri 09:00-17:30, Beijing time")
    assert "they will reply from 09:00" in english


def test_a_handoff_that_cannot_be_stored_says_so_and_offers_the_lead_form(make, monkeypatch):
    app = make()
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    real_flush = Session.flush

    def failing_flush(self, *args, **kwargs):
        if any(isinstance(o, Handoff) for o in self.new):
            raise OperationalError("INSERT INTO handoffs", {}, Exception("disk I/O error"))
        return real_flush(self, *args, **kwargs)

    monkeypatch.setattr(Session, "flush", failing_flush)
    body = chat(app, "转人工")
    said = texts(body)
    assert body["handoff"] is False and HANDED_OFF not in said
    assert "转接人工没有成功" in said[0] and said[1] == FORM_QUESTION
    assert app.extensions["dialogue"].resumed == ["web-carol"]  # Rasa's pause is lifted: the bot answers again
    monkeypatch.undo()
    assert rows(app, Handoff) == []
    assert rows(app, Turn)[-1].outcome == "handoff"


def _age(app, handoff_id, minutes):
    with app.app_context():
        session = db.session()
        session.get(Handoff, handoff_id).created_at = utcnow() - timedelta(minutes=minutes)
        session.commit()


def test_an_unclaimed_handoff_times_out_to_the_lead_form_and_the_poll_shows_it(make):
    app = make(HANDOFF_CLAIM_TIMEOUT_MINUTES=5)
    fake = app.extensions["dialogue"]
    chat(app, "转人工")
    [handoff] = rows(app, Handoff)
    assert sweeper.sweep_once(app) == []  # not yet overdue
    _age(app, handoff.id, 6)
    assert sweeper.sweep_once(app) == [handoff.id]
    assert sweeper.sweep_once(app) == []  # once only
    [handoff] = rows(app, Handoff)
    assert (handoff.status, handoff.closed_reason, handoff.sender_id) == ("closed", "timeout", None)
    polled = tenant(app).get("/api/chat/poll?after=0").get_json()
    assert polled["handoff"] is False
    said = [m["text"] for m in polled["messages"]]
    assert "没有工作人员能够接待您" in said[0] and said[1] == FORM_QUESTION
    assert {m["by"] for m in polled["messages"]} == {"system"}  # the gateway's words, not a colleague's
    history = tenant(app).get("/api/chat/history").get_json()["messages"]
    assert [m["role"] for m in history if m["text"] in said] == ["system", "system"]
    assert fake.resumed == ["web-carol"] and fake.sent[-1] == ("web-carol", "/request_settlement")
    assert chat(app, "临空生物")["replies"][0]["text"] == "园区位于萧山机场西侧。"  # Rasa has the tenant again


def test_a_claimed_handoff_never_times_out_and_rasa_down_keeps_it_for_staff(make):
    app = make(HANDOFF_CLAIM_TIMEOUT_MINUTES=5)
    staff = add_staff(app, "li")
    chat(app, "转人工")
    chat(app, "转人工", sender="web-dave")
    first, second = rows(app, Handoff)
    with app.app_context():
        assert claims.claim(db.session(), first.id, staff)
    _age(app, first.id, 60)
    _age(app, second.id, 60)
    app.extensions["dialogue"].down = True
    assert sweeper.sweep_once(app) == []
    assert [(h.status, h.closed_reason) for h in rows(app, Handoff)] == [("open", None), ("open", None)]
    app.extensions["dialogue"].down = False
    assert sweeper.sweep_once(app) == [second.id]
    assert [h.status for h in rows(app, Handoff)] == ["open", "closed"]


def test_a_claim_is_exclusive_unless_taken_over_and_fails_once_timing_out(make):
    app = make()
    li, wang = add_staff(app, "li"), add_staff(app, "wang")
    chat(app, "转人工")
    [handoff] = rows(app, Handoff)
    with app.app_context():
        session = db.session()
        assert claims.claim(session, handoff.id, li)
        assert claims.claim(session, handoff.id, li)  # claiming one's own again is fine
        assert not claims.claim(session, handoff.id, wang)
        assert session.get(Handoff, handoff.id).staff_id == li
        assert claims.claim(session, handoff.id, wang, take_over=True)
        assert session.get(Handoff, handoff.id).staff_id == wang
    chat(app, "转人工", sender="web-dave")
    other = rows(app, Handoff)[-1]
    _age(app, other.id, 60)
    with app.app_context():
        session = db.session()
        assert claims.mark_timing_out(session, other.id, utcnow())
        assert not claims.claim(session, other.id, li)


SHANGHAI = timezone(timedelta(hours=8))


def test_office_hours_know_weekends_holidays_and_makeup_workdays(tmp_path):
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("# 国庆\n2026-10-01\n2026-10-02  # 第二天\n", encoding="utf-8")
    hours = OfficeHours.parse("mon-fri 09:00-12:00,13:30-17:30", str(holidays), "2026-10-10")
    at = lambda *a: datetime(*a, tzinfo=SHANGHAI)  # noqa: E731
    assert hours.is_open(at(2026, 9, 30, 10, 0))  # a Wednesday morning
    assert not hours.is_open(at(2026, 9, 30, 12, 30))  # lunch
    assert not hours.is_open(at(2026, 10, 1, 10, 0))  # holiday
    assert hours.is_open(at(2026, 10, 10, 10, 0))  # a Saturday worked (调休)
    assert not hours.is_open(at(2026, 10, 11, 10, 0))  # Sunday
    assert hours.next_opening(at(2026, 9, 30, 18, 0)) == at(2026, 10, 5, 9, 0)  # past two holidays and a weekend
    assert hours.next_opening(at(2026, 9, 30, 12, 30)) == at(2026, 9, 30, 13, 30)
    assert hours.describe("zh") == "周一至周五 09:00-12:00, 13:30-17:30"
    assert hours.describe("en") == "Mon-Fri 09:00-12:00, 13:30-17:30"
    assert OfficeHours.parse("").is_open(at(2026, 10, 1, 3, 0))  # not configured: always open


@pytest.mark.parametrize(
    "hours, holidays",
    [
        ("mon-fry 09:00-17:00", ""),
        ("mon-fri 9-17", ""),
        ("mon-fri 17:00-09:00", ""),
        ("", "2026-13-01"),
        ("", "/no/such/holidays.txt"),
    ],
)
def test_bad_office_hours_settings_stop_the_start_with_a_reason(tmp_path, hours, holidays):
    from bot.handoff.hours import OfficeHoursError

    with pytest.raises(OfficeHoursError):
        make_app(tmp_path, OFFICE_HOURS=hours, OFFICE_HOLIDAYS=holidays)
