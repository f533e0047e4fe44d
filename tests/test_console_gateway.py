"""The gateway around the console: degraded mode, health, metrics, rate limits, CORS, OpenAPI, widget."""

from __future__ import annotations

import json
import re


from appsupport import FakeKnowledge, make_app, rows
from bot.conversation import DEGRADED_NOTICE, DEGRADED_POINTED, DEGRADED_WORDS
from ops.stores import free_port
from bot.models import Turn


def chat(client, message="园区在哪里？", sender="web-alice", **kw):
    return client.post("/api/chat", json={"sender_id": sender, "message": message}, **kw)


def test_rasa_down_answers_from_the_knowledge_base_with_a_notice(app, client):
    app.extensions["dialogue"].down = True
    app.extensions["knowledge"] = FakeKnowledge()
    body = chat(client).get_json()
    [reply] = body["replies"]
    assert reply["text"].splitlines() == [DEGRADED_NOTICE, "园区位于机场西侧。"]
    assert reply["sources"] == [
        {
            "title": "开园",
            "publisher": "杭州网",
            "published": "2024-03-12",
            "url": "https://example.org/a",
            "snippet": "机场西侧",
        }
    ]
    [turn] = rows(app, Turn)
    assert turn.degraded is True and turn.outcome == "answered" and turn.passages[0]["chunk_id"] == "park#0"


def test_degraded_mode_abstains_when_the_knowledge_base_does(app, client):
    app.extensions["dialogue"].down = True
    knowledge = FakeKnowledge(abstain=True)
    knowledge.answer.see_also = []  # nothing discusses it either
    app.extensions["knowledge"] = knowledge
    reply = chat(client).get_json()["replies"][0]
    assert reply["text"].splitlines() == [DEGRADED_NOTICE, DEGRADED_WORDS["zh"][1]] and reply["sources"] == []
    assert rows(app, Turn)[0].outcome == "abstained"


def test_degraded_mode_offers_the_documents_that_discuss_a_question_it_cannot_answer(app, client):
    """As with Rasa up: no answer is stated, and the documents to read come as sources without a snippet."""
    app.extensions["dialogue"].down = True
    app.extensions["knowledge"] = FakeKnowledge(abstain=True)  # declines, pointing to 开园
    reply = chat(client).get_json()["replies"][0]
    assert reply["text"].splitlines() == [DEGRADED_NOTICE, DEGRADED_POINTED["zh"]]
    assert [(s["title"], s["snippet"]) for s in reply["sources"]] == [("开园", "")]
    [turn] = rows(app, Turn)
    assert turn.outcome == "abstained" and [s["title"] for s in turn.sources] == ["开园"]


def test_degraded_mode_speaks_english_to_an_english_question(app, client):
    """An English-speaking tenant gets every message in English, an outage's notice included."""
    app.extensions["dialogue"].down = True
    knowledge = FakeKnowledge(abstain=True)
    app.extensions["knowledge"] = knowledge
    reply = chat(client, "What is the rent for a lab?", sender="web-bob").get_json()["replies"][0]
    notice, abstain = DEGRADED_WORDS["en"]
    assert reply["text"].splitlines() == [notice, DEGRADED_POINTED["en"]]
    knowledge.answer.see_also = []
    reply = chat(client, "What is the rent for an office?", sender="web-carol").get_json()["replies"][0]
    assert reply["text"].splitlines() == [notice, abstain]


def test_with_rasa_and_knowledge_both_down_the_turn_is_logged_as_error(app, client):
    app.extensions["dialogue"].down = True

    class Broken:
        def ask(self, *a, **kw):
            raise RuntimeError("no index")

    app.extensions["knowledge"] = Broken()
    response = chat(client)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "dialogue_unavailable"
    assert [t.outcome for t in rows(app, Turn)] == ["error"]


def test_healthz_reports_degraded_when_rasa_is_down_but_knowledge_is_ready(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "manifest.json").write_text(json.dumps({"chunks": 5, "model": "m", "built_at": "now"}))
    dead = f"http://127.0.0.1:{free_port()}"
    app = make_app(tmp_path, RASA_URL=dead, ACTIONS_URL=dead, HEALTH_TIMEOUT_S=0.5)
    body = app.test_client().get("/healthz")
    assert body.status_code == 503
    data = body.get_json()
    assert data["status"] == "degraded" and data["components"]["database"]["ok"] is True
    (index / "manifest.json").unlink()
    assert app.test_client().get("/healthz").get_json()["status"] == "unavailable"


def _metric(client, name: str, **labels) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_outcomes_and_time_each_channel(app, client):
    before = _metric(client, "park_chat_turns_total", channel="web", outcome="abstained")
    latency_before = _metric(client, "park_chat_latency_seconds_count", channel="web")
    app.extensions["dialogue"].meta = {"outcome": "abstained", "confidence": 0.3, "sources": []}
    chat(client)
    chat(client)
    assert _metric(client, "park_chat_turns_total", channel="web", outcome="abstained") == before + 2
    assert _metric(client, "park_chat_latency_seconds_count", channel="web") == latency_before + 2
    text = client.get("/metrics").get_data(as_text=True)
    assert "park_retrieval_confidence_bucket" in text


def test_chat_is_rate_limited_per_sender_and_per_ip(tmp_path):
    app = make_app(
        tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_CHAT_PER_SENDER="2/minute", RATELIMIT_CHAT_PER_IP="3/minute"
    )
    client = app.test_client()
    assert [chat(client, sender="web-a").status_code for _ in range(2)] == [200, 200]
    limited = chat(client, sender="web-a")
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "too_many_requests"
    assert chat(client, sender="web-b").status_code == 200  # another sender, same IP: third of 3
    assert chat(client, sender="web-c").status_code == 429  # the IP's limit
    other_ip = chat(client, sender="web-d", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_ip.status_code == 200


def test_cors_allows_only_listed_park_origins(tmp_path):
    app = make_app(tmp_path, CORS_ALLOWED_ORIGINS=["https://park.example.cn"])
    client = app.test_client()
    ok = chat(client, headers={"Origin": "https://park.example.cn"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://park.example.cn"
    preflight = client.options(
        "/api/chat", headers={"Origin": "https://park.example.cn", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://park.example.cn"
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    assert (
        client.get("/widget.js", headers={"Origin": "https://park.example.cn"}).headers["Access-Control-Allow-Origin"]
        == "https://park.example.cn"
    )
    evil = chat(client, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/leads", headers={"Origin": "https://park.example.cn"}).headers
    )


def test_the_chat_contract_is_unchanged(client):
    body = chat(client).get_json()
    # Ownership adds a new conversation's token (issue 18) and a retry's flag; the shape is otherwise the same.
    assert (
        {"sender_id", "replies", "turn_id", "handoff"}
        <= set(body)
        <= {"sender_id", "replies", "turn_id", "handoff", "token", "repeated"}
    )
    for reply in body["replies"]:
        assert set(reply) == {"text", "buttons", "sources"}
        for source in reply["sources"]:
            assert set(source) == {"title", "publisher", "published", "url", "snippet"}
    for payload, code in (
        (b"not json", "invalid_json"),
        (json.dumps({"sender_id": "a"}).encode(), "missing_field"),
        (json.dumps({"sender_id": "a", "message": " "}).encode(), "empty_message"),
        (json.dumps({"sender_id": "a", "message": "x" * 1001}).encode(), "message_too_long"),
    ):
        response = client.post("/api/chat", data=payload, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_openapi_documents_every_api_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    routes = {
        re.sub(r"<(?:int:)?(\w+)>", r"{\1}", r.rule)
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/") and r.rule != "/api/openapi.json"
    }
    assert routes <= documented, routes - documented
    assert spec["paths"]["/api/leads"]["post"]["security"] == [{"leadsSecret": []}]


def test_the_landing_page_embeds_the_widget(client):
    html = client.get("/").get_data(as_text=True)
    assert '<script src="/widget.js" defer></script>' in html and "杭州生物科技谷" in html
    js = client.get("/widget.js")
    assert js.status_code == 200 and js.mimetype == "text/javascript"
    source = js.get_data(as_text=True)
    assert "attachShadow" in source and "localStorage" in source
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source  # text only, never markup


def test_a_long_session_is_split_when_the_action_server_asks(app, client):
    fake = app.extensions["dialogue"]
    chat(client, sender="web-dora")
    fake.meta["end_session"] = True
    chat(client, sender="web-dora")
    assert fake.sent == [("web-dora", "园区在哪里？"), ("web-dora", "园区在哪里？"), ("web-dora", "/session_start")]


def test_an_empty_rasa_reply_with_the_action_server_down_is_answered_in_degraded_mode(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    app = make_app(tmp_path, ACTIONS_URL=dead, HEALTH_TIMEOUT_S=0.5)
    assert app.extensions["actions_health"].refresh() is True  # the scheduled probe has run
    app.extensions["dialogue"].replies = []  # what Rasa sends when its action call failed
    app.extensions["knowledge"] = FakeKnowledge()
    [reply] = chat(app.test_client()).get_json()["replies"]
    assert reply["text"].splitlines() == [DEGRADED_NOTICE, "园区位于机场西侧。"]
    assert rows(app, Turn)[0].degraded is True


def test_rasas_fallback_with_the_action_server_down_is_answered_in_degraded_mode(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    app = make_app(tmp_path, ACTIONS_URL=dead, HEALTH_TIMEOUT_S=0.5)
    assert app.extensions["actions_health"].refresh() is True
    fake = app.extensions["dialogue"]
    fake.replies = [{"text": "抱歉，我可能没理解对。", "buttons": [], "sources": []}]
    fake.meta = {"outcome": "fallback", "sources": []}
    app.extensions["knowledge"] = FakeKnowledge()
    [reply] = chat(app.test_client()).get_json()["replies"]
    assert reply["text"].startswith(DEGRADED_NOTICE)


def test_a_fallback_with_the_action_servers_up_is_kept_and_logged_as_unanswered(app, client, monkeypatch):
    import bot.conversation

    monkeypatch.setattr(bot.conversation, "actions_down", lambda: False)
    fake = app.extensions["dialogue"]
    fake.replies = [{"text": "抱歉，我可能没理解对。", "buttons": [], "sources": []}]
    fake.meta = {"outcome": "fallback", "sources": []}
    [reply] = chat(client).get_json()["replies"]
    assert reply["text"] == "抱歉，我可能没理解对。"
    assert rows(app, Turn)[0].outcome == "abstained"
