"""/api/chat input validation and the shape of relayed replies."""

import pytest

from appsupport import make_app
from bot.dialogue import merge_messages

# `app` and `client` (conftest.py): the gateway with the fake dialogue, which records what reached Rasa.


@pytest.mark.parametrize(
    "body, code",
    [
        ({"sender_id": "u1", "message": ""}, "empty_message"),
        ({"sender_id": "u1", "message": "   \n "}, "empty_message"),
        ({"sender_id": "u1", "message": "园" * 1001}, "message_too_long"),
        ({"sender_id": "u1"}, "missing_field"),
        ({"message": "你好"}, "missing_field"),
        ({"sender_id": "u1", "message": 5}, "invalid_field"),
        ({"sender_id": "", "message": "你好"}, "invalid_field"),
        (["not", "an", "object"], "invalid_json"),
    ],
)
def test_bad_requests_get_a_json_400_and_reach_nothing(app, client, body, code):
    response = client.post("/api/chat", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]
    assert app.extensions["dialogue"].sent == []


def test_invalid_json_text_is_a_400(client):
    response = client.post("/api/chat", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_a_message_at_the_limit_is_accepted(app, client):
    response = client.post("/api/chat", json={"sender_id": "u1", "message": "园" * 1000})
    assert response.status_code == 200
    assert app.extensions["dialogue"].sent == [("u1", "园" * 1000)]


def test_unknown_route_under_api_is_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404


def test_rasa_down_is_a_clear_503(tmp_path):
    # No index either, so degraded mode (answering from the knowledge package) cannot help.
    app = make_app(
        tmp_path,
        real_dialogue=True,
        RASA_URL="http://127.0.0.1:9",
        RASA_TIMEOUT_S=1,
        KNOWLEDGE_INDEX_DIR=tmp_path / "none",
    )
    response = app.test_client().post("/api/chat", json={"sender_id": "u1", "message": "你好"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "dialogue_unavailable"


def test_healthz_is_503_when_components_are_down(tmp_path):
    app = make_app(
        tmp_path,
        real_dialogue=True,
        RASA_URL="http://127.0.0.1:9",
        ACTIONS_URL="http://127.0.0.1:9",
        KNOWLEDGE_INDEX_DIR=tmp_path / "none",
        HEALTH_TIMEOUT_S=0.5,
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["components"]["rasa"]["ok"] is False
    assert body["components"]["knowledge"]["ok"] is False
    assert body["components"]["gateway"]["ok"] is True


def test_sources_follow_the_text_they_belong_to():
    rasa = [
        {"recipient_id": "u", "text": "园区位于机场西侧。"},
        {
            "recipient_id": "u",
            "custom": {
                "sources": [
                    {"title": "T", "publisher": "P", "published": "2024-03-12", "url": "https://x", "snippet": "s"}
                ]
            },
        },
        {"recipient_id": "u", "text": "还想了解什么？", "buttons": [{"title": "基金", "payload": "/ask_funds"}]},
    ]
    replies = merge_messages(rasa)
    assert len(replies) == 2
    assert replies[0]["sources"][0]["publisher"] == "P"
    assert replies[1] == {
        "text": "还想了解什么？",
        "buttons": [{"title": "基金", "payload": "/ask_funds"}],
        "sources": [],
    }


def test_page_scripts_never_render_text_as_html(client):
    page = client.get("/").get_data(as_text=True)
    assert "<script" in page
    from pathlib import Path

    for script in Path("bot/static").glob("*.js"):
        source = script.read_text("utf-8")
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, script
