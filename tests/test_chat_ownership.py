"""A web conversation belongs to its token (issue 18), its history can be restored (issue 16), and a retried
message reaches Rasa once: bot/chat_tokens.py, bot/chat_history.py, bot/chat_retry.py through /api/chat."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from appsupport import make_app, rows, staff_reply
from bot import db
from bot.models import ChatRequest, ConversationToken, Handoff, HandoffMessage, Turn, utcnow
from bot.wechat.identity import conversation_id

PARK = "https://park.example"
GREETING = {
    "text": "您好，我是招商助手。",
    "buttons": [{"title": "园区位置", "payload": "/ask_location"}],
    "sources": [],
}


def say(client, message, sender="web-alice", **extra):
    headers = extra.pop("headers", {})
    return client.post("/api/chat", json={"sender_id": sender, "message": message, **extra}, headers=headers)


def into_handoff(app, client, sender="web-alice"):
    fake = app.extensions["dialogue"]
    fake.meta, fake.replies = (
        {"outcome": "handoff", "sources": []},
        [{"text": "好的，正在为您转接招商人员。", "buttons": [], "sources": []}],
    )
    assert say(client, "转人工", sender).get_json()["handoff"] is True


# --- tokens -------------------------------------------------------------------------------------------------


def test_a_first_message_gets_an_httponly_strict_cookie_and_same_site_pages_no_token_in_the_body(client):
    response = say(client, "园区在哪里？", headers={"Origin": "http://localhost"})  # the gateway's own page
    assert response.status_code == 200 and response.get_json()["sender_id"] == "web-alice"
    assert "token" not in response.get_json()  # page scripts never see it
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("park_chat=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/api/chat" in cookie
    again = say(client, "有哪些政策？", headers={"Origin": "http://localhost"})
    assert again.get_json()["sender_id"] == "web-alice" and "Set-Cookie" not in again.headers


def test_only_a_hash_of_the_token_is_stored(app, client):
    token = say(client, "你好").get_json()["token"]  # no Origin: a client that is no browser gets it in the body
    [row] = rows(app, ConversationToken)
    assert token not in row.token_hash and "web-alice" not in row.sender_hash


def test_with_the_database_down_the_owner_goes_on_and_anyone_else_gets_a_conversation_of_their_own(app, client):
    from sqlalchemy import text

    token = say(client, "我想入驻").get_json()["token"]
    with app.app_context(), app.extensions["db_engine"].begin() as conn:
        conn.execute(text("ALTER TABLE conversation_tokens RENAME TO tokens_gone"))  # ownership cannot be read
    bearer = {"Authorization": f"Bearer {token}"}
    owner = app.test_client().post("/api/chat", json={"sender_id": "web-alice", "message": "/affirm"}, headers=bearer)
    assert owner.status_code == 200 and owner.get_json()["sender_id"] == "web-alice"  # the token signs web-alice
    stranger = app.test_client().post("/api/chat", json={"sender_id": "web-alice", "message": "/affirm"})
    assert stranger.status_code == 200 and stranger.get_json()["sender_id"] != "web-alice"
    other = app.test_client().post("/api/chat", json={"sender_id": "web-bob", "message": "你好"}, headers=bearer)
    assert other.get_json()["sender_id"] != "web-bob"  # alice's token is no key to bob's conversation


def test_a_stolen_sender_id_without_the_token_cannot_poll_read_or_write(app, client, dialogue):
    into_handoff(app, client)
    staff_reply(app, "您好，我是招商部小李，您的电话是？")
    thief = app.test_client()  # knows "web-alice" (an old access log, a screenshot), has no cookie
    assert thief.get("/api/chat/poll?after=0").status_code == 401
    assert thief.get("/api/chat/history").status_code == 401
    assert thief.get("/api/chat/poll?sender_id=web-alice").status_code == 400  # the id in a URL is refused
    assert thief.get("/api/chat/poll", headers={"Authorization": "Bearer forged.value.sig"}).status_code == 401

    dialogue.meta = {"outcome": "answered", "sources": []}
    written = say(thief, "我是小李的同事，请把客户电话发给我", "web-alice").get_json()
    assert written["sender_id"] != "web-alice" and written["handoff"] is False  # a conversation of its own
    with app.app_context():
        texts = [m.text for m in db.session().query(HandoffMessage).all()]
    assert "我是小李的同事，请把客户电话发给我" not in texts  # nothing reached the owner's handoff
    assert ("web-alice", "我是小李的同事，请把客户电话发给我") not in dialogue.sent
    # The thief's own token opens only the thief's conversation.
    assert thief.get("/api/chat/poll").get_json() == {"handoff": False, "messages": []}
    assert [m["text"] for m in client.get("/api/chat/poll").get_json()["messages"]] == [
        "您好，我是招商部小李，您的电话是？"
    ]


def test_an_id_used_before_tokens_existed_cannot_be_claimed(app, client, dialogue):
    with app.app_context():  # a turn logged by the old gateway: no token row for it
        from bot.conversation import sender_hash

        db.session().add(Turn(channel="web", sender_hash=sender_hash("web-old"), user_text="旧", outcome="answered"))
        db.session().commit()
    assert say(client, "你好", "web-old").get_json()["sender_id"] != "web-old"


@pytest.mark.parametrize("sender", ["wx-3f2a9c", "WX-3f2a9c", "wx-"])
def test_wechat_conversations_are_refused_from_the_web_api(app, client, dialogue, sender):
    response = say(client, "转人工", sender)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "foreign_conversation"
    assert dialogue.sent == [] and rows(app, Handoff) == [] and rows(app, ConversationToken) == []


def test_wechat_ids_never_fall_in_the_web_namespace():
    # The other way round: WeChat names its conversations wx-<hash> only, which the web API refuses, so no
    # WeChat message can land in a web conversation and no web request in a WeChat one.
    for openid in ("oABC123", "web-alice", "", "x" * 64):
        assert conversation_id(openid, "salt").startswith("wx-")


def test_the_bearer_token_works_cross_origin(tmp_path):
    app = make_app(tmp_path, CORS_ALLOWED_ORIGINS=[PARK])
    embed = app.test_client()
    first = say(embed, "园区在哪里？", "web-embed", headers={"Origin": PARK})
    assert first.headers["Access-Control-Allow-Origin"] == PARK
    token = first.get_json()["token"]
    preflight = app.test_client().options(
        "/api/chat/history",
        headers={
            "Origin": PARK,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]

    other_page = app.test_client()  # third-party cookies blocked: only the bearer token travels
    bearer = {"Origin": PARK, "Authorization": f"Bearer {token}"}
    restored = other_page.get("/api/chat/history", headers=bearer)
    assert restored.status_code == 200 and restored.headers["Access-Control-Allow-Origin"] == PARK
    assert [m["text"] for m in restored.get_json()["messages"] if m["role"] == "user"] == ["园区在哪里？"]
    assert other_page.get("/api/chat/poll", headers=bearer).status_code == 200
    continued = say(other_page, "有哪些政策？", "web-embed", headers=bearer).get_json()
    assert continued["sender_id"] == "web-embed" and "token" not in continued
    assert [s for s, _ in app.extensions["dialogue"].sent] == ["web-embed", "web-embed"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert other_page.get("/api/chat/history", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    app.extensions["db_engine"].dispose()


def test_an_expired_token_opens_nothing(app, client, monkeypatch):
    token = say(client, "你好").get_json()["token"]
    later = time.time() + 31 * 86400  # CHAT_TOKEN_DAYS is 30
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert app.test_client().get("/api/chat/history", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# --- history ------------------------------------------------------------------------------------------------


def test_history_restores_the_conversation_in_order_with_sources_and_staff(app, client, dialogue):
    dialogue.replies, dialogue.meta = [GREETING], {"outcome": "answered", "sources": []}
    say(client, "/greet")
    dialogue.replies = [
        {
            "text": "园区位于萧山机场西侧。",
            "buttons": [],
            "sources": [
                {
                    "title": "开园",
                    "publisher": "杭州网",
                    "published": "2024-03-12",
                    "url": "https://example.org/a",
                    "snippet": "机场西侧",
                }
            ],
        }
    ]
    say(client, "/ask_location")  # the 园区位置 button
    into_handoff(app, client)
    staff_reply(app, "您好，我是招商部小李。")
    say(client, "我想租1000平米")  # with staff: the bot is quiet
    body = client.get("/api/chat/history").get_json()
    assert body["handoff"] is True and body["last_staff_id"] > 0
    got = [(m["role"], m["text"]) for m in body["messages"]]
    waiting = got.pop(5)  # the handoff's notice of how long staff usually take (bot/handoff)
    assert waiting[0] == "bot" and waiting[1].startswith("请稍候")
    assert got == [
        ("bot", GREETING["text"]),
        ("user", "园区位置"),
        ("bot", "园区位于萧山机场西侧。"),
        ("user", "转人工"),
        ("bot", "好的，正在为您转接招商人员。"),
        ("staff", "您好，我是招商部小李。"),
        ("user", "我想租1000平米"),
    ]
    assert body["messages"][0]["buttons"] == GREETING["buttons"]
    assert body["messages"][2]["sources"][0]["publisher"] == "杭州网"
    assert set(body["messages"][2]["sources"][0]) == {"title", "publisher", "published", "url", "snippet"}


def test_history_keeps_only_the_configured_window(app, client):
    say(client, "旧问题")
    say(client, "新问题")
    with app.app_context():
        session = db.session()
        session.query(Turn).filter_by(user_text="旧问题").one().created_at = utcnow() - timedelta(hours=25)
        session.commit()
    texts = [m["text"] for m in client.get("/api/chat/history").get_json()["messages"] if m["role"] == "user"]
    assert texts == ["新问题"]


def test_a_refused_consent_leaves_no_answer_in_the_restored_replies(app, client, dialogue):
    dialogue.meta = {"outcome": "answered", "sources": [], "form_step": True}
    dialogue.replies = [{"text": "请确认：电话 13800138000，对吗？", "buttons": [], "sources": []}]
    say(client, "13800138000")
    dialogue.meta = {"outcome": "answered", "sources": [], "form_erased": True}
    dialogue.replies = [{"text": "好的，这些信息不会保存。", "buttons": [], "sources": []}]
    say(client, "不同意")
    restored = str(client.get("/api/chat/history").get_json())
    assert "13800138000" not in restored and "不会保存" in restored


# --- retries ------------------------------------------------------------------------------------------------


def test_a_retried_message_id_is_answered_once_from_the_stored_turn(app, client, dialogue):
    first = say(client, "园区在哪里？", client_message_id="m-1").get_json()
    again = say(client, "园区在哪里？", client_message_id="m-1").get_json()
    assert dialogue.sent == [("web-alice", "园区在哪里？")]
    assert again["replies"] == first["replies"] and again["turn_id"] == first["turn_id"] and again["repeated"]
    assert [t.user_text for t in rows(app, Turn)] == ["园区在哪里？"]
    header = say(client, "园区在哪里？", headers={"Idempotency-Key": "m-1"}).get_json()  # the header works too
    assert header["turn_id"] == first["turn_id"] and len(dialogue.sent) == 1
    say(client, "园区在哪里？", client_message_id="m-2")  # a new id is a new message
    assert len(dialogue.sent) == 2


def test_a_message_that_got_no_answer_can_be_retried(app, client, dialogue):
    app.config["DEGRADED_MODE"] = False
    dialogue.down = True
    assert say(client, "园区在哪里？", client_message_id="m-9").status_code == 503
    dialogue.down = False
    assert say(client, "园区在哪里？", client_message_id="m-9").status_code == 200
    assert [m for _, m in dialogue.sent] == ["园区在哪里？", "园区在哪里？"]
    assert [r.done for r in rows(app, ChatRequest)] == [True]


def test_the_same_message_id_in_two_conversations_is_two_messages(app, dialogue):
    say(app.test_client(), "你好", "web-a", client_message_id="m-1")
    say(app.test_client(), "你好", "web-b", client_message_id="m-1")
    assert [s for s, _ in dialogue.sent] == ["web-a", "web-b"]


@pytest.mark.parametrize("bad", ["", "x" * 65, "有空格 的", 5])
def test_a_bad_message_id_is_a_clear_400(client, dialogue, bad):
    response = say(client, "你好", client_message_id=bad)
    if bad == "":  # empty means none given
        assert response.status_code == 200
        return
    assert response.status_code == 400 and "client_message_id" in response.get_json()["error"]["message"]
    assert dialogue.sent == []


def test_purge_removes_old_message_ids_and_expired_tokens(app, client):
    say(client, "旧问题", "web-old-one", client_message_id="m-old")
    say(app.test_client(), "新问题", "web-new-one", client_message_id="m-new")
    with app.app_context():
        session = db.session()
        from bot.conversation import sender_hash

        old = sender_hash("web-old-one")
        session.query(ChatRequest).filter_by(sender_hash=old).one().created_at = utcnow() - timedelta(days=181)
        session.query(ConversationToken).filter_by(sender_hash=old).one().created_at = utcnow() - timedelta(days=31)
        session.commit()
        new = sender_hash("web-new-one")
    assert app.test_cli_runner().invoke(args=["purge-turns"]).exit_code == 0
    assert [r.sender_hash for r in rows(app, ChatRequest)] == [new]
    assert [t.sender_hash for t in rows(app, ConversationToken)] == [new]


def _answer_later(app, hashed: str, client_id: str, turn_id: int, delay: float) -> None:
    """What the first request does while a retry waits: finish its turn a little later, in another thread."""
    import threading

    def finish():
        time.sleep(delay)
        with app.app_context():
            session = db.session()
            row = session.query(ChatRequest).filter_by(sender_hash=hashed, client_message_id=client_id).one()
            row.turn_id, row.done = turn_id, True
            session.commit()

    thread = threading.Thread(target=finish)
    thread.start()
    return thread


def test_a_retry_while_the_first_try_is_being_answered_waits_for_that_answer(app, client, dialogue):
    first = say(client, "园区在哪里？").get_json()  # the conversation and a turn to answer with
    with app.app_context():
        from bot.conversation import sender_hash

        hashed = sender_hash("web-alice")
        db.session().add(ChatRequest(sender_hash=hashed, client_message_id="m-slow"))  # in flight
        db.session().commit()
    thread = _answer_later(app, hashed, "m-slow", first["turn_id"], 0.5)
    again = say(client, "有哪些政策？", client_message_id="m-slow").get_json()
    thread.join()
    assert again["repeated"] and again["turn_id"] == first["turn_id"] and again["replies"] == first["replies"]
    assert len(dialogue.sent) == 1  # the retry did not reach Rasa


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_retry_whose_first_try_never_finishes_gets_a_clear_409(app, client, dialogue):
    app.config["RASA_TIMEOUT_S"] = 0  # waits 2 s at most
    say(client, "你好")
    with app.app_context():
        from bot.conversation import sender_hash

        db.session().add(ChatRequest(sender_hash=sender_hash("web-alice"), client_message_id="m-stuck"))
        db.session().commit()
    response = say(client, "园区在哪里？", client_message_id="m-stuck")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "in_progress"
    assert [m for _, m in dialogue.sent] == ["你好"]
