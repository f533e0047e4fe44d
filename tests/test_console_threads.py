"""The console lists conversations, not turns, and shows one start to end: filters by outcome, date,
channel and thumbs-down; button titles instead of payloads; passages with their text and verdict."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from appsupport import FakeKnowledge, add_staff, login, rows
from bot import db
from bot.models import Turn, utcnow


@pytest.fixture
def staff(app, client):
    add_staff(app, "li", role="editor")  # an editor: the correction form is part of what is checked
    assert login(client, "li").status_code == 302
    return client


def chat(client, message, sender, outcome="answered"):
    client.application.extensions["dialogue"].meta = {"outcome": outcome, "sources": []}
    return client.post("/api/chat", json={"sender_id": sender, "message": message}).get_json()


def seed(app, staff):
    chat(staff, "/greet", "web-a")
    chat(staff, "/ask_policy", "web-a")
    turn = chat(staff, "人才政策有哪些", "web-a")["turn_id"]
    staff.post("/api/chat/feedback", json={"sender_id": "web-a", "turn_id": turn, "rating": "down"})
    chat(staff, "招商电话是多少", "web-b", outcome="abstained")
    chat(staff, "今天天气如何", "web-c", outcome="out_of_scope")
    with app.app_context():  # web-c talked ten days ago, on WeChat
        session = db.session()
        for row in session.query(Turn).filter(Turn.user_text == "今天天气如何"):
            row.created_at, row.channel = utcnow() - timedelta(days=10), "wechat"
        session.commit()


def listed(staff, query=""):
    html = staff.get(f"/staff/threads{query}").get_data(as_text=True)
    return [q for q in ("「扶持政策」", "招商电话是多少", "今天天气如何") if q in html], html


def test_the_list_has_one_row_per_conversation_with_its_first_question_as_a_title(app, staff):
    seed(app, staff)
    found, html = listed(staff)
    assert found == ["「扶持政策」", "招商电话是多少", "今天天气如何"]
    assert "共 3 个对话" in html and "/ask_policy" not in html and "人才政策有哪些" not in html
    assert "差评 1" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?thumbs_down=1", ["「扶持政策」"]),
        ("?outcome=abstained", ["招商电话是多少"]),
        ("?channel=wechat", ["今天天气如何"]),
        ("?channel=web&outcome=answered", ["「扶持政策」"]),
        ("?from=TODAY", ["「扶持政策」", "招商电话是多少"]),
        ("?to=LONG_AGO", ["今天天气如何"]),
        ("?outcome=nonsense&from=not-a-date", ["「扶持政策」", "招商电话是多少", "今天天气如何"]),
    ],
)
def test_filters_by_outcome_date_channel_and_thumbs_down(app, staff, query, expected):
    seed(app, staff)
    today = (utcnow() + timedelta(hours=8)).date()
    query = query.replace("TODAY", today.isoformat()).replace("LONG_AGO", (today - timedelta(days=5)).isoformat())
    assert listed(staff, query)[0] == expected


def test_a_local_day_starts_at_local_midnight_whatever_the_hour_of_the_run(app, staff):
    """00:30 in Shanghai is 16:30 UTC the day before: SQLite once compared the bound's wall-clock digits, so a
    conversation just after local midnight fell out of its own day (CI caught it only when run after 16:00 UTC)."""
    seed(app, staff)
    with app.app_context():
        session = db.session()
        for row in session.query(Turn).filter(Turn.user_text == "招商电话是多少"):
            row.created_at = datetime(2026, 5, 31, 16, 30, tzinfo=timezone.utc)
        session.commit()
    assert "招商电话是多少" in listed(staff, "?from=2026-06-01&to=2026-06-01")[0]
    assert "招商电话是多少" not in listed(staff, "?from=2026-05-31&to=2026-05-31")[0]


def test_the_thread_shows_titles_passages_with_text_and_verdict_and_feedback(app, staff):
    app.extensions["dialogue"].down = True  # degraded mode logs the knowledge hits with scores
    knowledge = FakeKnowledge()
    knowledge.retriever = type(
        "R",
        (),
        {
            "index": type(
                "I", (), {"rows": [{"chunk_id": "park#0", "text": "杭州生物科技谷位于杭州临空经济示范区机场西侧。"}]}
            )()
        },
    )()
    app.extensions["knowledge"] = knowledge
    chat(staff, "/ask_location", "web-a")
    turn = chat(staff, "园区在哪里", "web-a")["turn_id"]
    staff.post(
        "/api/chat/feedback", json={"sender_id": "web-a", "turn_id": turn, "rating": "down", "comment": "太简略"}
    )
    hashed = rows(app, Turn)[-1].sender_hash
    html = staff.get(f"/staff/conversations/{hashed}").get_data(as_text=True)
    assert "「园区位置」" in html and "/ask_location" not in html
    assert "杭州生物科技谷位于杭州临空经济示范区机场西侧。" in html  # the passage's text, not just its id
    assert "覆盖度" in html and "作答阈值" not in html  # a passage's coverage is not the decision's probability
    assert "👎 差评" in html and "太简略" in html
    # The turn list links each user to the thread.
    assert f"/staff/conversations/{hashed}#turn-{turn}" in staff.get("/staff/conversations").get_data(as_text=True)


def test_correcting_a_tapped_button_prefills_its_title_not_the_payload(app, staff):
    turn = chat(staff, "/ask_policy", "web-a")["turn_id"]
    html = staff.get(f"/staff/turns/{turn}").get_data(as_text=True)
    assert 'value="扶持政策"' in html or ">扶持政策<" in html
    assert "/ask_policy" not in html.split('id="question"')[1][:200]


def test_a_declined_turns_documents_to_read_are_not_shown_as_its_sources(app, staff):
    pointer = {"title": "开园报道", "publisher": "杭州网", "published": "2024-03-12", "url": "", "snippet": ""}
    cited = {**pointer, "title": "园区简介", "snippet": "园区位于机场西侧"}
    dialogue = app.extensions["dialogue"]
    dialogue.meta = {"outcome": "abstained", "sources": [pointer]}
    staff.post("/api/chat", json={"sender_id": "web-p", "message": "入驻门槛是什么"})
    dialogue.meta = {"outcome": "answered", "sources": [cited]}
    staff.post("/api/chat", json={"sender_id": "web-p", "message": "园区在哪里"})
    html = staff.get(f"/staff/conversations/{rows(app, Turn)[-1].sender_hash}").get_data(as_text=True)
    assert "相关文件：开园报道" in html and "来源：开园报道" not in html
    assert "来源：园区简介" in html
