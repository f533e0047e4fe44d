"""Property-based fuzzing of the public endpoints: whatever arrives, never a 500 (issue 18).

Hypothesis, with a fixed seed (derandomize) and a bounded number of examples
so `make test` stays fast and repeatable. The dialogue engine is a fake; the
rate limiter is on (with a high limit) because its sender key reads the body
too. WeChat requests carry a valid, fresh, unique signature, so the fuzz gets
past the signature check to the parser, the decryption and the dialogue.
"""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import appsupport
from appsupport import make_app
from wechat_sim import Simulator, WeChatDialogue, signature, wechat_config

pytestmark = pytest.mark.slow  # Hypothesis fuzzing: left out of make test-fast

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every code point, lone surrogates and NUL included (Hypothesis leaves surrogates out by default).
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
any_text = st.text(any_char, max_size=40) | st.sampled_from(
    ["", " ", "园区在哪里", "\x00", "\ud800", "/greet", "web-" + "x" * 200]
)
json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4), max_leaves=12
)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _encode(value) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: lone surrogates travel as \ud800 escapes


raw_body = st.one_of(
    st.binary(max_size=200),
    st.integers(0, 3000).map(lambda d: ('{"sender_id": "u1", "message": ' + _nested(d) + "}").encode()),
    json_value.map(_encode),
)


@pytest.fixture
def api_app(tmp_path):
    app = appsupport.make_app(
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_CHAT_PER_IP="100000/minute",
        RATELIMIT_CHAT_PER_SENDER="100000/minute",
    )
    yield app
    app.extensions["db_engine"].dispose()


def _assert_no_500(response, what):
    assert response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert response.is_json and response.get_json()["error"]["code"], what


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries({"sender_id": json_value, "message": json_value}).map(_encode),
        st.fixed_dictionaries({"sender_id": any_text, "message": any_text}).map(_encode),
        raw_body,
    )
)
def test_chat_never_answers_500(api_app, body):
    _assert_no_500(api_app.test_client().post("/api/chat", data=body, content_type="application/json"), body)


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {
                "sender_id": any_text,
                "turn_id": json_value | st.integers(),
                "rating": json_value | st.sampled_from(["up", "down", 1, -1]),
                "comment": json_value,
            }
        ).map(_encode),
        raw_body,
    )
)
def test_feedback_never_answers_500(api_app, body):
    client = api_app.test_client()
    client.post("/api/chat", json={"sender_id": "u1", "message": "你好"})  # turn 1 exists
    _assert_no_500(client.post("/api/chat/feedback", data=body, content_type="application/json"), body)


_nonces = itertools.count(10_000_000)
openids = st.sampled_from(["o-user-1", "", "o-\x01", "o-" + "x" * 100]) | st.text(any_char, max_size=20)
wechat_xml = st.one_of(
    st.tuples(openids, any_text).map(lambda t: ("text", t)),
    st.tuples(
        openids,
        st.sampled_from(["subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN", "LOCATION", "x"]),
        st.none() | any_text,
    ).map(lambda t: ("event", t)),
    st.tuples(openids, st.none() | any_text).map(lambda t: ("voice", t)),
    st.binary(max_size=300).map(lambda b: ("raw", b)),
)


def _wechat_body(sim: Simulator, kind: str, args) -> str | bytes:
    if kind == "text":
        return sim.text(*args)
    if kind == "event":
        openid, event, key = args
        return sim.event(openid, event, key=key)
    if kind == "voice":
        return sim.voice(*args)
    return args


@settings(FUZZ, max_examples=150)
@given(
    mode=st.sampled_from(["safe", "compatible", "plain"]),
    message=wechat_xml,
    query_change=st.sampled_from(
        [
            {},
            {"encrypt_type": "aes"},
            {"encrypt_type": "raw"},
            {"msg_signature": ""},
            {"timestamp": "x"},
            {"echostr": "e"},
        ]
    ),
)
def test_wechat_never_answers_500(db_url, mode, message, query_change):
    app = _wechat_app(db_url)
    sim = Simulator.for_flask(app, mode=mode)
    timestamp, nonce = str(int(time.time())), str(next(_nonces))
    body = _wechat_body(sim, *message)
    if isinstance(body, str):
        try:
            data, query = sim.envelope(body, timestamp, nonce)
        except (AttributeError, ValueError, UnicodeEncodeError):  # the simulator cannot even build it
            data, query = body.encode("utf-8", "surrogatepass"), {}
    else:
        data, query = body, {}
    query = {
        "signature": signature(sim.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        **{k: v for k, v in query.items() if k not in ("signature", "timestamp", "nonce")},
        **query_change,
    }
    response = app.test_client().post("/wechat?" + urlencode(query), data=data, content_type="text/xml")
    assert response.status_code < 500, (mode, message, query_change, response.get_data(as_text=True)[:300])


_wechat_apps: dict[str, object] = {}


def _wechat_app(db_url):
    """One compatible-mode app per database (Hypothesis calls the test many times with one fixture value)."""
    if db_url not in _wechat_apps:
        _wechat_apps.clear()
        _wechat_apps[db_url] = make_app(
            dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_MODE="compatible", WECHAT_REPLY_BUDGET_S=0.5)
        )
    return _wechat_apps[db_url]
