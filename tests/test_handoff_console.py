"""The console's 人工接待: cards with the conversation before 转人工, claims and owners, the badge,
the live event stream, and the conversation thread page."""

from __future__ import annotations

import json

import pytest

from appsupport import PASSWORD, add_staff, chat, csrf_token, login, make_app, rows, tenant
from bot import db
from bot.models import Handoff, Lead
from test_handoff_flow import FORM_QUESTION, HANDED_OFF, ScriptedRasa  # noqa: F401


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, ScriptedRasa(), HANDOFF_STREAM_SECONDS=0.6, HANDOFF_STREAM_CHECK_S=0.05)
    add_staff(app, "li")
    add_staff(app, "wang")
    yield app
    app.extensions["db_engine"].dispose()


def staff_client(app, name):
    client = app.test_client()
    assert login(client, name, PASSWORD).status_code == 302
    return client


def tenant_asks_for_a_person(app, sender="web-carol"):
    app.extensions["dialogue"].meta = {}
    chat(app, "/ask_location", sender)
    chat(app, "转人工", sender)
    chat(app, "我想租1000平米", sender)
    return rows(app, Handoff)[-1]


def test_a_card_shows_the_conversation_before_the_handoff_with_titles_sources_and_the_lead(app):
    handoff = tenant_asks_for_a_person(app)
    with app.app_context():
        session = db.session()
        session.add(
            Lead(
                idempotency_key="k1",
                sender_hash=handoff.sender_hash,
                company="临空生物",
                name="张三",
                phone="13912345678",
                need="GMP厂房",
            )
        )
        session.commit()
    li = staff_client(app, "li")
    html = li.get("/staff/handoffs").get_data(as_text=True)
    card = html[html.index(f'id="handoff-{handoff.id}"') :]
    assert "转人工之前的对话" in card
    assert "「园区位置」" in card and "/ask_location" not in card  # the button's title, not its payload
    assert "园区位于萧山机场西侧。" in card  # the bot's answer
    assert "我想租1000平米" in card
    assert "临空生物" in card and "13912345678" in card and "GMP厂房" in card
    assert "待接手 · 已等待 0 分钟" in card
    assert 'id="handoff-badge"' in html and ">1</span>" in html.split('id="handoff-badge"')[1][:80]


def test_staff_claim_a_handoff_others_see_the_owner_and_cannot_reply_unless_they_take_over(app):
    handoff = tenant_asks_for_a_person(app)
    li, wang = staff_client(app, "li"), staff_client(app, "wang")
    token = csrf_token(li, "/staff/handoffs")
    page = li.post(f"/staff/handoffs/{handoff.id}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "已由您接手" in page.get_data(as_text=True)
    assert rows(app, Handoff)[0].claimed_at is not None
    seen = wang.get("/staff/handoffs").get_data(as_text=True)
    queue = seen[seen.index('id="handoff-queue"') :]
    assert "li 已接手" in queue and "改由我接手" in queue and "待接手" not in queue
    assert 'id="handoff-badge" aria-label="待接手" hidden' in seen  # nobody is waiting any more
    wang_token = csrf_token(wang, "/staff/handoffs")
    refused = wang.post(
        f"/staff/handoffs/{handoff.id}/reply", data={"text": "抢答", "csrf_token": wang_token}, follow_redirects=True
    )
    assert "已由 li 接手" in refused.get_data(as_text=True)
    api = wang.post(
        f"/api/staff/handoffs/{handoff.id}/reply", json={"text": "抢答"}, headers={"X-CSRFToken": wang_token}
    )
    assert api.status_code == 409
    assert chat(app, "还在吗")["replies"] == []
    assert [m["text"] for m in tenant(app).get("/api/chat/poll").get_json()["messages"]] == []
    wang.post(f"/staff/handoffs/{handoff.id}/claim", data={"csrf_token": wang_token, "take_over": "1"})
    assert rows(app, Handoff)[0].staff.username == "wang"
    wang.post(f"/staff/handoffs/{handoff.id}/reply", data={"text": "您好，我是小王", "csrf_token": wang_token})
    polled = tenant(app).get("/api/chat/poll").get_json()
    assert [m["text"] for m in polled["messages"]] == ["您好，我是小王"]
    listed = wang.get("/api/staff/handoffs").get_json()["handoffs"]
    assert listed[0]["owner"] == "wang" and listed[0]["claimed_at"]
    wang.post(f"/staff/handoffs/{handoff.id}/release", data={"csrf_token": wang_token})
    assert rows(app, Handoff)[0].closed_reason == "released"


def test_a_reply_to_an_unclaimed_handoff_claims_it(app):
    handoff = tenant_asks_for_a_person(app)
    li = staff_client(app, "li")
    token = csrf_token(li, "/staff/handoffs")
    li.post(f"/staff/handoffs/{handoff.id}/reply", data={"text": "您好", "csrf_token": token})
    assert rows(app, Handoff)[0].staff.username == "li"


def _events(chunks):
    """The `queue` events in a text/event-stream body."""
    found = []
    for block in "".join(chunks).split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if lines.get("event") == "queue":
            found.append(json.loads(lines["data"]))
    return found


def test_the_event_stream_says_when_the_queue_changes_and_then_ends(app):
    li = staff_client(app, "li")
    assert app.test_client().get("/api/staff/handoffs/events").status_code == 401
    response = li.get("/api/staff/handoffs/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = []
    for chunk in response.response:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if len(_events(chunks)) == 1 and not rows(app, Handoff):
            tenant_asks_for_a_person(app)  # a handoff arrives while staff watch
    response.close()
    first, second = _events(chunks)[:2]
    assert (first["open"], first["waiting"]) == (0, 0)
    assert (second["open"], second["waiting"]) == (1, 1) and second["version"] != first["version"]
    fragment = li.get("/staff/handoffs/queue").get_data(as_text=True)
    assert fragment.startswith("{#") is False and 'id="handoff-queue"' in fragment and "我想租1000平米" in fragment
    assert f'data-version="{second["version"]}"' in fragment


def test_the_thread_page_shows_one_conversation_start_to_end(app):
    handoff = tenant_asks_for_a_person(app)
    li = staff_client(app, "li")
    token = csrf_token(li, "/staff/handoffs")
    li.post(f"/staff/handoffs/{handoff.id}/reply", data={"text": "您好，我是小李", "csrf_token": token})
    li.post(f"/staff/handoffs/{handoff.id}/release", data={"csrf_token": token})
    with app.app_context():
        db.session().add(
            Lead(idempotency_key="k2", sender_hash=handoff.sender_hash, company="临空生物", phone="13912345678")
        )
        db.session().commit()
    html = li.get(f"/staff/conversations/{handoff.sender_hash}").get_data(as_text=True)
    order = [
        "「园区位置」",
        "园区位于萧山机场西侧。",
        "转人工 #",
        "我想租1000平米",
        "您好，我是小李",
        "工作人员已交还机器人",
        "线索 #",
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)
    leads = li.get("/staff/leads").get_data(as_text=True)  # the lead comes with its conversation
    assert f'/staff/conversations/{handoff.sender_hash}">查看对话' in leads
    assert li.get("/staff/conversations/" + "0" * 64).status_code == 404
    assert li.get("/staff/conversations/not-a-hash").status_code == 404
