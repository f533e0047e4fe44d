"""WeChat safe mode cannot be downgraded or replayed (issue 18), through the wechatpy simulator.

A signed query (signature, timestamp, nonce) was accepted three times: once
encrypted, then twice as cleartext from forged OpenIDs. These tests send what
an attacker who saw one signed request could send.
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import urlencode

import pytest

from bot.wechat.identity import conversation_id
from appsupport import make_app
from wechat_sim import Simulator, WeChatDialogue, fields, signature, wechat_config


def now() -> str:
    return str(int(time.time()))


def app_in(db_url, mode: str | None = None, **overrides):
    config = wechat_config(db_url, WECHAT_REPLY_BUDGET_S=2.0, **overrides)
    if mode:
        config["WECHAT_MODE"] = mode
    return make_app(dialogue=WeChatDialogue(), **config)


def post(app, query: dict, body: bytes):
    return app.test_client().post("/wechat?" + urlencode(query), data=body, content_type="text/xml")


def calls(app):
    return app.extensions["dialogue"].sent


def test_with_an_aes_key_the_default_is_safe_mode_and_cleartext_is_refused(db_url):
    app = app_in(db_url)  # WECHAT_ENCODING_AES_KEY is set, WECHAT_MODE is not
    assert app.extensions["wechat"].settings.mode == "safe"
    plain = Simulator.for_flask(app, mode="plain")
    reply = plain.send(plain.text("o-forged", "园区在哪里"))
    assert reply.status == 403
    assert calls(app) == []
    safe = Simulator.for_flask(app)
    assert safe.send(safe.text("o-real", "园区在哪里")).status == 200


def test_without_an_aes_key_the_default_is_plain_mode(db_url):
    app = app_in(db_url, WECHAT_ENCODING_AES_KEY="")
    assert app.extensions["wechat"].settings.mode == "plain"
    sim = Simulator.for_flask(app, mode="plain")
    assert sim.send(sim.text("o-x", "园区在哪里")).status == 200


@pytest.mark.parametrize(
    "overrides, why",
    [
        ({"WECHAT_MODE": "secure"}, "WECHAT_MODE must be one of"),
        ({"WECHAT_MODE": "safe", "WECHAT_ENCODING_AES_KEY": ""}, "needs WECHAT_ENCODING_AES_KEY"),
    ],
)
def test_an_impossible_mode_turns_the_channel_off_with_a_reason(db_url, caplog, overrides, why):
    with caplog.at_level("INFO", logger="bot.wechat"):
        app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, **overrides))
    assert "wechat" not in app.extensions
    assert any(why in r.getMessage() for r in caplog.records)


def _forged_compatible(sim: Simulator, real: str, forged: str, timestamp: str, nonce: str) -> tuple[bytes, dict]:
    """A compatible-mode POST whose Encrypt holds `real` while the cleartext beside it says `forged`."""
    body, query = sim.envelope(real, timestamp, nonce)
    encrypt = fields(body.decode())["Encrypt"]
    inner = forged[len("<xml>") : -len("</xml>")]
    return f"<xml>{inner}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode(), query


def test_compatible_mode_reads_a_post_with_an_encrypt_element_from_it_alone(db_url):
    app = app_in(db_url, "compatible")
    sim = Simulator.for_flask(app, mode="compatible")
    real, forged = sim.text("o-real", "园区在哪里"), sim.text("o-forged", "伪造的消息")
    body, query = _forged_compatible(sim, real, forged, now(), "4001")
    response = post(app, query, body)
    assert response.status_code == 200
    assert calls(app) == [(conversation_id("o-real", "test-salt"), "园区在哪里")]


def test_compatible_mode_does_not_fall_back_to_cleartext_when_the_query_is_stripped(db_url):
    # Dropping encrypt_type and msg_signature from the query must not make the cleartext fields count.
    app = app_in(db_url, "compatible")
    sim = Simulator.for_flask(app, mode="compatible")
    real, forged = sim.text("o-real", "园区在哪里"), sim.text("o-forged", "伪造的消息")
    body, query = _forged_compatible(sim, real, forged, now(), "4002")
    stripped = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
    assert post(app, stripped, body).status_code == 403
    assert calls(app) == []


def test_compatible_mode_still_takes_cleartext_without_an_encrypt_element(db_url):
    app = app_in(db_url, "compatible")
    sim = Simulator.for_flask(app, mode="plain")
    assert sim.send(sim.text("o-plain", "园区在哪里")).status == 200
    assert [m for _, m in calls(app)] == ["园区在哪里"]


@pytest.mark.parametrize("mode", ["safe", "compatible", "plain"])
def test_a_replayed_signed_query_is_403(db_url, mode):
    app = app_in(db_url, mode)
    sim = Simulator.for_flask(app, mode=mode)
    timestamp, nonce = now(), "5001"
    body, query = sim.envelope(sim.text("o-real", "园区在哪里"), timestamp, nonce)
    assert post(app, query, body).status_code == 200
    assert post(app, query, body).status_code == 403  # the very same request again
    # A new message under the same signed query: the attack the review found.
    other, other_query = sim.envelope(sim.text("o-forged", "伪造的消息"), timestamp, nonce)
    assert post(app, other_query, other).status_code == 403
    assert [m for _, m in calls(app)] == ["园区在哪里"]


def test_the_downgrade_and_replay_from_the_review_is_refused(db_url):
    """Once encrypted, then as cleartext from forged OpenIDs, under one signed query."""
    app = app_in(db_url, "compatible")
    safe, plain = Simulator.for_flask(app, mode="safe"), Simulator.for_flask(app, mode="plain")
    timestamp, nonce = now(), "5002"
    body, query = safe.envelope(safe.text("o-real", "园区在哪里"), timestamp, nonce)
    assert post(app, query, body).status_code == 200
    for forged_openid in ("o-forged-1", "o-forged-2"):
        forged, forged_query = plain.envelope(plain.text(forged_openid, "伪造"), timestamp, nonce)
        assert forged_query["signature"] == query["signature"]
        assert post(app, forged_query, forged).status_code == 403
    assert calls(app) == [(conversation_id("o-real", "test-salt"), "园区在哪里")]


def test_a_replay_is_refused_by_another_worker_sharing_the_database(db_url):
    first = app_in(db_url)
    second = make_app(dialogue=WeChatDialogue(), schema=False, **wechat_config(db_url, WECHAT_REPLY_BUDGET_S=2.0))
    sim = Simulator.for_flask(first)
    body, query = sim.envelope(sim.text("o-real", "园区在哪里"), now(), "5003")
    assert post(first, query, body).status_code == 200
    assert post(second, query, body).status_code == 403
    assert calls(second) == []


def test_fresh_signed_queries_keep_working(db_url):
    app = app_in(db_url)
    sim = Simulator.for_flask(app)
    for i in range(3):
        assert sim.send(sim.text("o-real", f"第{i}条")).status == 200
    assert len(calls(app)) == 3


def _handshake_query(token: str, timestamp: str, nonce: str, echostr: str = "echo-123") -> dict:
    return {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": echostr}


def test_the_handshake_checks_the_timestamp_and_refuses_a_replay(db_url):
    app = app_in(db_url)
    client = app.test_client()
    fresh = _handshake_query("sim-token", now(), "6001")
    response = client.get("/wechat?" + urlencode(fresh))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "echo-123")
    for stale in (str(int(time.time()) - 3600), str(int(time.time()) + 3600)):
        assert client.get("/wechat?" + urlencode(_handshake_query("sim-token", stale, "6002"))).status_code == 403
    # echostr is not signed: a seen query must not echo someone else's text
    assert client.get("/wechat?" + urlencode(dict(fresh, echostr="<b>hi</b>"))).status_code == 403


def test_signatures_are_compared_in_constant_time(db_url, monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    app = app_in(db_url)
    sim = Simulator.for_flask(app)
    timestamp, nonce = now(), "7001"
    body, query = sim.envelope(sim.text("o-real", "园区在哪里"), timestamp, nonce)
    assert post(app, query, body).status_code == 200
    given = {b for _, b in compared}
    assert query["signature"].encode() in given and query["msg_signature"].encode() in given
    response = app.test_client().get("/wechat?" + urlencode(_handshake_query("sim-token", now(), "7002")))
    assert response.status_code == 200
    assert len(compared) == 3
