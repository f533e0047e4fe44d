"""The dashboard tells the truth (issue 17 part 8): outcomes per question turn, form prompts and form answers
apart, the median handoff wait, leads per status and the week's top unanswered questions without phone numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from appsupport import add_staff, chat, login, rows
from bot import db
from bot.models import Handoff, Lead, Turn, utcnow


@pytest.fixture
def staff(app):
    add_staff(app, "li", role="staff")
    client = app.test_client()
    assert login(client, "li").status_code == 302
    return client


def say(app, text, sender="web-alice", **meta):
    app.extensions["dialogue"].meta = {"sources": [], **meta}
    return chat(app, text, sender)


def seed(app):
    say(app, "园区在哪里", outcome="answered", intent="ask_location")
    say(app, "我想入驻", outcome="answered", intent="request_settlement")  # the reply is the form's first prompt
    say(app, "临空生物", outcome="answered", form_step=True)
    say(app, "13900001111", outcome="answered", form_step=True)
    say(app, "招商电话是多少？", outcome="abstained")
    say(app, "招商电话是多少", outcome="abstained", sender="web-bob")
    say(app, "招商电话是多少!", outcome="abstained", sender="web-cai")
    say(app, "我的手机13912345678，能查下租金吗", outcome="abstained", sender="web-dan")
    say(app, "今天天气如何", outcome="out_of_scope")
    say(app, "转人工", outcome="handoff", sender="web-eve")
    say(app, "你好，在吗", outcome="answered", sender="web-eve")  # staff hold it: the bot says nothing
    with app.app_context():
        session = db.session()
        old = Turn(
            channel="web",
            sender_hash="x",
            user_text="很久以前的问题",
            outcome="abstained",
            created_at=utcnow() - timedelta(days=10),
        )
        session.add(old)
        [handoff] = session.query(Handoff).all()
        handoff.claimed_at = handoff.created_at + timedelta(seconds=90)
        start = utcnow() - timedelta(hours=1)
        session.add(
            Handoff(
                channel="web",
                sender_hash="y",
                created_at=start,
                claimed_at=start + timedelta(seconds=150),
                status="closed",
                closed_reason="released",
            )
        )
        session.add(Handoff(channel="web", sender_hash="z", created_at=start, status="closed", closed_reason="timeout"))
        for key, status in (("a", "new"), ("b", "new"), ("c", "negotiating"), ("d", "lost")):
            session.add(Lead(idempotency_key=key, phone="1", status=status))
        session.commit()


def test_outcomes_are_counted_per_question_turn_and_form_prompts_are_not_answers(app, staff):
    seed(app)
    data = staff.get("/api/staff/stats").get_json()
    totals = data["totals"]
    assert totals["turns"] == 12
    # 园区在哪里 is the one answer; 我想入驻 opened the form, two messages filled it in, one went to staff.
    assert (totals["answered"], totals["abstained"], totals["out_of_scope"], totals["handoff"]) == (1, 5, 1, 1)
    assert (totals["form_prompt"], totals["form_answer"], totals["to_staff"]) == (1, 2, 1)
    assert totals["questions"] == 8 and totals["answer_rate"] == 0.125
    today = data["daily"][-1]
    assert (today["answered"], today["abstained"], today["handoff"]) == (1, 4, 1)

    html = staff.get("/staff/").get_data(as_text=True)
    assert "提问轮次（共 12 轮）" in html and "已回答（12%）" in html
    assert "填写留资表单 2" in html and "打开留资表单 1" in html and "人工会话中的消息 1" in html


def test_the_median_handoff_wait_and_leads_per_status(app, staff):
    seed(app)
    data = staff.get("/api/staff/stats").get_json()
    wait = data["handoff_wait"]
    assert (wait["claimed"], wait["median_seconds"], wait["median_text"], wait["timed_out"]) == (2, 120, "2 分", 1)
    assert data["leads_by_status"] == [
        {"status": "new", "count": 2},
        {"status": "contacted", "count": 0},
        {"status": "visit_booked", "count": 0},
        {"status": "negotiating", "count": 1},
        {"status": "signed", "count": 0},
        {"status": "lost", "count": 1},
    ]
    html = staff.get("/staff/").get_data(as_text=True)
    assert "转人工等待中位数" in html and "<b>2 分</b>" in html and "1 次无人接手" in html
    assert 'href="/staff/leads?status=negotiating"><b>1</b><span>洽谈中' in html


def test_the_weeks_declined_questions_are_normalised_counted_and_never_show_a_phone_number(app, staff):
    seed(app)
    top = staff.get("/api/staff/stats").get_json()["top_declined"]
    assert [q["count"] for q in top] == [3, 1]
    assert top[0]["question"].startswith("招商电话是多少")
    assert "13912345678" not in str(top) and "[号码已隐藏]" in top[1]["question"]
    assert "很久以前的问题" not in str(top)  # older than a week
    html = staff.get("/staff/").get_data(as_text=True)
    assert "本周未能回答的问题" in html and "13912345678" not in html.split('id="declined"')[1]
    with app.app_context():
        last = max(t.id for t in rows(app, Turn) if t.user_text.startswith("招商电话"))
    assert f"/staff/turns/{last}" in html
