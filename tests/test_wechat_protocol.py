"""The WeChat wire protocol against public vectors, and the endpoint's refusals.

Vectors: Tencent's Official Account sample and wechatpy's own test constants
(see shared/design/wechat-protocol.md). Nothing here mocks wechatpy.
"""

from __future__ import annotations

import io
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.wechat import protocol
from bot.wechat.models import WeChatFollower, WeChatMessage
from appsupport import make_app
from wechat_sim import ACCOUNT, APP_ID, Simulator, TOKEN, WeChatDialogue, fields, signature, wechat_config
from bot.privacy import wechat_notice

TENCENT = {
    "token": "spamtest",
    "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "app_id": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt": "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHF"
    "VAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsV"
    "ticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0"
    "VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ix"
    "rcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=",
}
WECHATPY = {
    "token": "123456",
    "aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
    "app_id": "wx49f0ab532d5d035a",
    "timestamp": "1411525903",
    "nonce": "461056294",
    "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
    "encrypt": "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXz"
    "F6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gY"
    "Nx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2S"
    "jHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En74"
    "9zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=",
}


def now() -> str:
    return str(int(time.time()))


def _query(vector: dict) -> dict:
    return {
        "signature": signature(vector["token"], vector["timestamp"], vector["nonce"]),
        "timestamp": vector["timestamp"],
        "nonce": vector["nonce"],
        "encrypt_type": "aes",
        "msg_signature": vector["msg_signature"],
    }


def _envelope(vector: dict, to_user: str = "gh_10f6c3c3ac5a") -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{vector['encrypt']}]]></Encrypt></xml>"
    ).encode()


# --- the vectors themselves, through wechatpy and through our reader -----------


def test_wechatpy_plain_signature_vector():
    check_signature("test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "test")
    assert signature("test", "1410685589", "test") == "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
    with pytest.raises(InvalidSignatureException):
        check_signature("test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe", "1410685589", "test")


@pytest.mark.parametrize(
    "vector, source, content, msg_id",
    [
        (TENCENT, "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "abcdteT", 6054768590064713728),
        (WECHATPY, "messense", "test", 4363689963896700987),
    ],
)
def test_vectors_decrypt_through_the_channel_reader(vector, source, content, msg_id):
    crypto = WeChatCrypto(vector["token"], vector["aes_key"], vector["app_id"])
    assert (
        signature(vector["token"], vector["timestamp"], vector["nonce"], vector["encrypt"]) == vector["msg_signature"]
    )
    inbound = protocol.read_inbound(vector["token"], crypto, _query(vector), _envelope(vector))
    assert inbound.encrypted
    assert (inbound.message.type, inbound.message.source, inbound.message.content, inbound.message.id) == (
        "text",
        source,
        content,
        msg_id,
    )


def test_a_vector_with_a_wrong_app_id_or_signature_is_refused():
    wrong_app = WeChatCrypto(TENCENT["token"], TENCENT["aes_key"], "wx0000000000000000")
    with pytest.raises(protocol.Rejected) as refused:
        protocol.read_inbound(TENCENT["token"], wrong_app, _query(TENCENT), _envelope(TENCENT))
    assert refused.value.status == 403
    crypto = WeChatCrypto(TENCENT["token"], TENCENT["aes_key"], TENCENT["app_id"])
    bad = dict(_query(TENCENT), msg_signature="0" * 40)
    with pytest.raises(protocol.Rejected) as refused:
        protocol.read_inbound(TENCENT["token"], crypto, bad, _envelope(TENCENT))
    assert refused.value.status == 403


# --- the endpoint -----------------------------------------------------------------


@pytest.fixture
def app(db_url):
    return make_app(dialogue=WeChatDialogue(), **wechat_config(db_url))  # safe mode: the AES key is set


@pytest.fixture
def plain_app(db_url):
    return make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_MODE="plain"))


def _stored(app) -> tuple[int, int]:
    with app.extensions["db_sessionmaker"]() as session:
        return (
            session.scalar(select(func.count()).select_from(WeChatMessage)),
            session.scalar(select(func.count()).select_from(WeChatFollower)),
        )


def test_handshake_with_the_wechatpy_vector(db_url):
    # The vector's timestamp is from 2014: the freshness check is off for it.
    app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_TOKEN="test", WECHAT_MAX_AGE_S=0))
    query = {
        "signature": "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
        "timestamp": "1410685589",
        "nonce": "test",
        "echostr": "5837397520665436492",
    }
    response = app.test_client().get("/wechat?" + urlencode(query))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "5837397520665436492")


@pytest.mark.parametrize("change", [{"signature": "0" * 40}, {"nonce": "other"}, {"signature": ""}])
def test_handshake_with_a_bad_signature_is_403(db_url, change):
    app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_TOKEN="test", WECHAT_MAX_AGE_S=0))
    query = {
        "signature": "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
        "timestamp": "1410685589",
        "nonce": "test",
        "echostr": "5837397520665436492",
    }
    response = app.test_client().get("/wechat?" + urlencode(dict(query, **change)))
    assert response.status_code == 403
    assert "5837397520665436492" not in response.get_data(as_text=True)


def test_the_tencent_sample_posted_to_the_endpoint_gets_an_encrypted_reply(db_url):
    dialogue = WeChatDialogue()
    app = make_app(
        dialogue=dialogue,
        **wechat_config(
            db_url,
            WECHAT_TOKEN=TENCENT["token"],
            WECHAT_ENCODING_AES_KEY=TENCENT["aes_key"],
            WECHAT_APP_ID=TENCENT["app_id"],
            WECHAT_REPLY_BUDGET_S=2.0,
            WECHAT_MAX_AGE_S=0,
        ),
    )
    response = app.test_client().post("/wechat?" + urlencode(_query(TENCENT)), data=_envelope(TENCENT))
    assert response.status_code == 200
    envelope = fields(response.get_data(as_text=True))
    assert (envelope["TimeStamp"], envelope["Nonce"]) == (TENCENT["timestamp"], TENCENT["nonce"])
    client = WeChatCrypto(TENCENT["token"], TENCENT["aes_key"], TENCENT["app_id"])
    reply = parse_message(
        client.decrypt_message(
            response.get_data(as_text=True), envelope["MsgSignature"], TENCENT["timestamp"], TENCENT["nonce"]
        )
    )
    assert reply.content == wechat_notice() + "\n\n收到：abcdteT"  # a first contact: the notice first
    assert (reply.source, reply.target) == ("gh_10f6c3c3ac5a", "oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    [(sender_id, message)] = dialogue.sent
    assert message == "abcdteT" and sender_id.startswith("wx-") and "oyORnu" not in sender_id


@pytest.mark.parametrize("mode", ["safe", "plain"])
def test_a_bad_signature_is_403_and_nothing_is_processed_or_stored(app, mode):
    sim = Simulator.for_flask(app, mode=mode)
    body, query = sim.envelope(sim.text("o-user-1", "园区在哪里"), now(), "42")
    for bad in ({"signature": "0" * 40}, {"timestamp": str(int(now()) + 1)}, {"signature": ""}):
        response = app.test_client().post("/wechat?" + urlencode(dict(query, **bad)), data=body)
        assert response.status_code == 403
    if mode == "safe":
        response = app.test_client().post("/wechat?" + urlencode(dict(query, msg_signature="f" * 40)), data=body)
        assert response.status_code == 403
    assert app.extensions["dialogue"].sent == []
    assert _stored(app) == (0, 0)


def test_a_stale_timestamp_is_403_even_with_a_valid_signature(app):
    sim = Simulator.for_flask(app)
    for stale in (str(int(time.time()) - 3600), str(int(time.time()) + 3600), "yesterday"):
        assert sim.send(sim.text("o-user-1", "园区在哪里"), timestamp=stale).status == 403
    assert app.extensions["dialogue"].sent == [] and _stored(app) == (0, 0)


def test_a_tampered_ciphertext_is_403(app):
    sim = Simulator.for_flask(app)
    body, query = sim.envelope(sim.text("o-user-1", "园区在哪里"), now(), "42")
    tampered = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
    response = app.test_client().post("/wechat?" + urlencode(query), data=tampered)
    assert response.status_code == 403
    assert app.extensions["dialogue"].sent == [] and _stored(app) == (0, 0)


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]><xml><ToUserName>gh</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>2</MsgId></xml>"
)
MALFORMED = [
    b"",
    b"not xml",
    b"<xml><Content>unclosed</xml>",
    b"<root><MsgType>text</MsgType></root>",
    b"<xml><MsgType>text</MsgType></xml>",
    "<xml>\u56ed</xml>".encode("gbk"),
]


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_with_a_dtd_is_400_in_plain_mode(plain_app, body):
    sim = Simulator.for_flask(plain_app, mode="plain")
    _, query = sim.envelope(sim.text("o-x", "x"), now(), "42")
    response = plain_app.test_client().post("/wechat?" + urlencode(query), data=body)
    assert response.status_code == 400
    assert "root:" not in response.get_data(as_text=True)
    assert plain_app.extensions["dialogue"].sent == [] and _stored(plain_app) == (0, 0)


@pytest.mark.parametrize("inner", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_with_a_dtd_is_400_inside_a_validly_encrypted_envelope(app, inner):
    sim = Simulator.for_flask(app)
    body, query = sim.envelope(inner.decode(), now(), "42")
    response = app.test_client().post("/wechat?" + urlencode(query), data=body)
    assert response.status_code == 400
    assert app.extensions["dialogue"].sent == [] and _stored(app) == (0, 0)


def test_a_dtd_in_the_envelope_is_400(app):
    sim = Simulator.for_flask(app)
    body, query = sim.envelope(sim.text("o-x", "x"), now(), "42")
    evil = b'<!DOCTYPE xml [<!ENTITY e "x">]>' + body
    assert app.test_client().post("/wechat?" + urlencode(query), data=evil).status_code == 400


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_xml_is_400(plain_app, body):
    sim = Simulator.for_flask(plain_app, mode="plain")
    _, query = sim.envelope(sim.text("o-x", "x"), now(), "42")
    response = plain_app.test_client().post("/wechat?" + urlencode(query), data=body)
    assert response.status_code == 400
    assert plain_app.extensions["dialogue"].sent == []


def test_a_body_over_64_kb_is_413(plain_app):
    sim = Simulator.for_flask(plain_app, mode="plain")
    xml = sim.text("o-x", "园" * 30000)  # ~90 KB of UTF-8
    body, query = sim.envelope(xml, now(), "42")
    assert len(body) > 64 * 1024
    response = plain_app.test_client().post("/wechat?" + urlencode(query), data=body)
    assert response.status_code == 413
    # Without a Content-Length (chunked), the limit still holds.
    response = plain_app.test_client().post(
        "/wechat?" + urlencode(query),
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert plain_app.extensions["dialogue"].sent == [] and _stored(plain_app) == (0, 0)


def test_a_body_just_under_the_limit_is_accepted(plain_app):
    sim = Simulator.for_flask(plain_app, mode="plain")
    body, query = sim.envelope(sim.text("o-x", "a" * 60000), now(), "42")
    assert len(body) < 64 * 1024
    assert plain_app.test_client().post("/wechat?" + urlencode(query), data=body).status_code == 200


def test_the_channel_is_off_without_settings(db_url, monkeypatch, caplog):
    for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_ENCODING_AES_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = wechat_config(db_url, WECHAT_TOKEN="", WECHAT_APP_SECRET="")
    with caplog.at_level("INFO", logger="bot.wechat"):
        app = make_app(dialogue=WeChatDialogue(), **config)
    assert "wechat" not in app.extensions
    assert any("WeChat channel off" in r.getMessage() and "WECHAT_TOKEN" in r.getMessage() for r in caplog.records)
    response = app.test_client().post("/wechat", data=b"<xml/>")
    assert response.status_code == 503
    assert "not configured" in response.get_data(as_text=True)


def test_a_safe_mode_message_without_an_aes_key_is_refused(db_url):
    app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_ENCODING_AES_KEY=""))
    sim = Simulator.for_flask(app)  # still encrypts on the WeChat side
    reply = sim.send(sim.text("o-x", "园区在哪里"))
    assert reply.status == 400
    assert app.extensions["dialogue"].sent == []


def test_missing_tables_are_reported_at_start_up(db_url, caplog):
    with caplog.at_level("INFO", logger="bot.wechat"):
        make_app(dialogue=WeChatDialogue(), schema=False, **wechat_config(db_url))
    assert any("wechat_messages" in r.getMessage() and "make migrate" in r.getMessage() for r in caplog.records)


def test_a_bad_aes_key_turns_the_channel_off(db_url, caplog):
    with caplog.at_level("INFO", logger="bot.wechat"):
        app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_ENCODING_AES_KEY="short"))
    assert "wechat" not in app.extensions
    assert any("43-character" in r.getMessage() for r in caplog.records)


def test_reply_text_cannot_break_out_of_cdata(app):
    from wechatpy import parse_message as parse

    sim = Simulator.for_flask(app, mode="plain")
    inbound = protocol.Inbound(parse(sim.text("o-x", "x")), False, "1", "2")
    xml = protocol.passive_reply(None, inbound, "a]]><MsgType>news</MsgType>\x07b")
    assert parse(xml).type == "text" and parse(xml).content == "a]] ><MsgType>news</MsgType>b"
    assert ACCOUNT in xml and APP_ID not in xml and TOKEN not in xml
