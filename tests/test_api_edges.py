"""Input edges of the JSON API (issue 18): size, nesting, NUL and lone surrogates.

Each of these was a 500, a lost turn log or a 20 MB parse before; each now
gets a clear 4xx in the API's {"error": {"code", "message"}} shape.
"""

from __future__ import annotations

import io
import json

import pytest

from appsupport import SECRET, rows
from bot.models import Turn

LIMIT = 64 * 1024


def post_raw(client, path: str, raw: bytes | str, **headers):
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return client.post(path, data=data, content_type="application/json", headers=headers)


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


@pytest.mark.parametrize("path", ["/api/chat", "/api/feedback", "/api/leads", "/api/staff/leads/1"])
def test_a_body_over_64_kb_is_a_json_413(client, path):
    body = json.dumps({"sender_id": "u1", "message": "园" * 30000})  # ~90 KB of UTF-8
    method = client.patch if path.startswith("/api/staff") else client.post
    response = method(path, data=body, content_type="application/json", headers={"X-Leads-Secret": SECRET})
    assert response.status_code == 413
    assert error_code(response) == "body_too_large" and "64 KB" in response.get_json()["error"]["message"]


def test_a_chunked_body_over_64_kb_is_413_too(client, dialogue):
    body = json.dumps({"sender_id": "u1", "message": "x", "pad": "a" * LIMIT}).encode()
    response = client.post(
        "/api/chat",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413 and error_code(response) == "body_too_large"
    assert dialogue.sent == []


def test_a_body_just_under_64_kb_is_read(client, dialogue):
    body = json.dumps({"sender_id": "u1", "message": "你好", "pad": "a" * (LIMIT - 100)})
    assert len(body.encode()) <= LIMIT
    assert post_raw(client, "/api/chat", body).status_code == 200


@pytest.mark.parametrize("depth, status", [(32, 200), (33, 400), (5000, 400), (30_000, 400)])
def test_nesting_deeper_than_32_is_a_400(client, depth, status):
    nested = "[" * (depth - 1) + "]" * (depth - 1)
    body = '{"sender_id": "u1", "message": "你好", "extra": ' + nested + "}" if depth > 1 else "{}"
    response = post_raw(client, "/api/chat", body)
    assert response.status_code == status
    if status == 400:
        assert error_code(response) == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    body = json.dumps({"sender_id": "u1", "message": "[" * 200 + "{" * 200})
    assert post_raw(client, "/api/chat", body).status_code == 200


@pytest.mark.parametrize(
    "field, value",
    [
        ("sender_id", "web-\ud800"),
        ("sender_id", "web-\x00"),
        ("message", "园区\udc00在哪里"),
        ("message", "园区\x00"),
    ],
)
def test_nul_and_lone_surrogates_are_a_clear_400(app, client, dialogue, field, value):
    body = {"sender_id": "u1", "message": "你好", field: value}
    response = post_raw(client, "/api/chat", json.dumps(body))  # ensure_ascii: "\ud800" escapes, valid JSON
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_characters" and field in error["message"]
    assert dialogue.sent == [] and rows(app, Turn) == []


def test_a_surrogate_pair_is_one_character_and_the_turn_is_logged(app, client, dialogue):
    response = post_raw(client, "/api/chat", '{"sender_id": "u\\ud83d\\ude00", "message": "园区\\ud83d\\ude00在哪里"}')
    assert response.status_code == 200
    [turn] = rows(app, Turn)
    assert turn.user_text == "园区😀在哪里"


def test_feedback_with_a_lone_surrogate_or_a_huge_turn_id_is_a_400(client):
    for body in (
        {"sender_id": "u\ud800", "turn_id": 1, "rating": "up"},
        {"sender_id": "u1", "turn_id": 1, "rating": "up", "comment": "\x00"},
        {"sender_id": "u1", "turn_id": 10**30, "rating": "up"},
        {"sender_id": "u1", "turn_id": 1, "rating": ["up"]},
        {"sender_id": "u1", "turn_id": 1, "rating": {"up": 1}},
    ):
        response = post_raw(client, "/api/feedback", json.dumps(body))
        assert response.status_code == 400, body
        assert error_code(response) in ("invalid_characters", "invalid_field")


def test_poll_refuses_any_sender_id_in_the_url(client):
    # The conversation is named by its token now (bot/chat_tokens.py): an id in a URL is refused outright,
    # a NUL in it as much as a valid one.
    for query in ("sender_id=web%00x", "sender_id=web-alice&after=0"):
        response = client.get(f"/api/chat/poll?{query}")
        assert response.status_code == 400 and error_code(response) == "sender_id_in_url"


def test_invalid_utf8_is_invalid_json(client):
    response = post_raw(client, "/api/chat", b'{"sender_id": "u1", "message": "\xed\xa0\x80"}')
    assert response.status_code == 400 and error_code(response) == "invalid_json"


def test_the_rate_limiter_survives_a_bad_body(tmp_path):
    # The per-sender key reads the body before the view does: a deep or broken body must not crash it.
    from appsupport import make_app

    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    for raw in ("[" * 5000 + "]" * 5000, '{"sender_id": "\\ud800", "message": "x"}', b"\xff\xfe"):
        response = post_raw(client, "/api/chat", raw)
        assert response.status_code == 400
