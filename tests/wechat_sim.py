"""Test doubles for the WeChat channel: the WeChat side, played independently.

- `Simulator` is WeChat's server: it builds real message XML, encrypts and
  signs it with wechatpy (client side), POSTs it to /wechat, and decrypts
  and verifies the reply with wechatpy.
- `FakeWeChatApi` is api.weixin.qq.com on a loopback port: token and
  customer-service and menu endpoints, recording what they receive.
- `WeChatDialogue` is the fake dialogue with fixed replies for these tests, optionally slow.
- `wechat_config` is the channel's settings for appsupport.make_app, and
  `create_gunicorn_app` the app factory the two-worker test runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlparse
from xml.etree import ElementTree

import requests
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from appsupport import FakeDialogue, make_app
from loopback import Loopback

TOKEN = "sim-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # 43 chars, from wechatpy's tests
APP_ID = "wx49f0ab532d5d035a"
APP_SECRET = "sim-secret"
ACCOUNT = "gh_park_account"

LOCATION_ANSWER = "杭州生物科技谷位于杭州临空经济示范区，机场西侧，距萧山国际机场约3公里。"
LOCATION_SOURCE = {
    "title": "杭州生物科技谷简介",
    "publisher": "杭州临空经济示范区管委会",
    "published": "2024-03-12",
    "url": "https://www.example.gov.cn/park/intro.html",
    "snippet": "园区位于机场西侧",
}
GREET_BUTTONS = [
    {"title": "园区位置", "payload": "/ask_location"},
    {"title": "产业方向", "payload": "/ask_industries"},
    {"title": "扶持政策", "payload": "/ask_policy"},
]


_MSG_IDS = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))


def fields(xml: str) -> dict[str, str]:
    """The child elements of a flat <xml> document (our own replies and wechatpy's output only)."""
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def signature(*parts: str) -> str:
    """WeChat's SHA-1 over the sorted parts, computed here without the code under test."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


class WeChatDialogue(FakeDialogue):
    """The fake dialogue (tests/appsupport.py) with the WeChat tests' script: the location answer, the greeting
    with its buttons, else an echo; `long_answer`, when set, answers every message."""

    def __init__(self, long_answer: str | None = None, **options):
        super().__init__(**options)
        self.long_answer = long_answer

    def answer(self, sender_id: str, message: str) -> tuple[list[dict], dict]:
        if self.long_answer is not None:
            replies = [{"text": self.long_answer, "buttons": [], "sources": [LOCATION_SOURCE]}]
        elif message in ("园区在哪里", "/ask_location"):
            replies = [{"text": LOCATION_ANSWER, "buttons": [], "sources": [LOCATION_SOURCE]}]
        elif message == "/greet":
            replies = [
                {
                    "text": "您好！我是杭州生物科技谷的招商助手。您想了解哪方面？",
                    "buttons": GREET_BUTTONS,
                    "sources": [],
                }
            ]
        else:
            replies = [{"text": f"收到：{message}", "buttons": [], "sources": []}]
        return replies, {"sources": [dict(s) for r in replies for s in r["sources"]]}


@dataclass
class Reply:
    status: int
    body: str
    text: str | None  # the decrypted (or plain) reply Content; None for `success`
    encrypted: bool
    headers: dict = field(default_factory=dict)


class Simulator:
    """WeChat's server side of the conversation with /wechat."""

    def __init__(self, post, token=TOKEN, aes_key=AES_KEY, app_id=APP_ID, mode="safe"):
        # post(path_with_query, body_bytes) -> (status, body_text, headers)
        self.post, self.token, self.mode = post, token, mode
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    @classmethod
    def for_flask(cls, app, **kwargs) -> Simulator:
        def post(url, body):  # a client per call: the storm tests post from several threads
            response = app.test_client().post(url, data=body, content_type="text/xml")
            return response.status_code, response.get_data(as_text=True), dict(response.headers)

        return cls(post, **kwargs)

    @classmethod
    def for_url(cls, base_url: str, **kwargs) -> Simulator:
        def post(url, body):
            response = requests.post(base_url + url, data=body, headers={"Content-Type": "text/xml"}, timeout=10)
            return response.status_code, response.text, dict(response.headers)

        return cls(post, **kwargs)

    @staticmethod
    def next_msg_id() -> int:
        """Unique across simulators, as WeChat's MsgIds are."""
        return next(_MSG_IDS)

    # Messages as WeChat writes them.
    def text(self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
        return self._xml(
            openid,
            create_time,
            "text",
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or self.next_msg_id()}</MsgId>",
        )

    def voice(self, openid: str, recognition: str | None) -> str:
        extra = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
        return self._xml(
            openid,
            None,
            "voice",
            "<MediaId><![CDATA[media-1]]></MediaId><Format><![CDATA[amr]]>"
            f"</Format>{extra}<MsgId>{self.next_msg_id()}</MsgId>",
        )

    def image(self, openid: str) -> str:
        return self._xml(
            openid,
            None,
            "image",
            "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x.jpg]]></PicUrl>"
            f"<MediaId><![CDATA[media-2]]></MediaId><MsgId>{self.next_msg_id()}</MsgId>",
        )

    def event(
        self, openid: str, event: str, key: str | None = None, create_time: int | None = None, ticket: str | None = None
    ) -> str:
        extra = f"<Event><![CDATA[{event}]]></Event>"
        if key is not None:
            extra += f"<EventKey><![CDATA[{key}]]></EventKey>"
        if ticket:
            extra += f"<Ticket><![CDATA[{ticket}]]></Ticket>"
        return self._xml(openid, create_time, "event", extra)

    @staticmethod
    def _xml(openid, create_time, msg_type, extra) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
            f"</FromUserName><CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{extra}</xml>"
        )

    def envelope(self, xml: str, timestamp: str, nonce: str) -> tuple[bytes, dict]:
        """The POST body and query WeChat would send for `xml` in this simulator's mode."""
        query = {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": re.search(r"<FromUserName>(?:<!\[CDATA\[)?([^<\]]*)", xml).group(1),
        }
        if self.mode == "plain":
            return xml.encode("utf-8"), query
        encrypted = fields(self.crypto.encrypt_message(xml, nonce, timestamp))
        inner = (
            xml[len("<xml>") : -len("</xml>")]
            if self.mode == "compatible"
            else f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        )
        body = f"<xml>{inner}<Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>"
        query.update(encrypt_type="aes", msg_signature=encrypted["MsgSignature"])
        return body.encode("utf-8"), query

    def send(self, xml: str, timestamp: str | None = None, nonce: str | None = None) -> Reply:
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(int(time.monotonic_ns() % 10**9))
        body, query = self.envelope(xml, timestamp, nonce)
        status, text, headers = self.post("/wechat?" + urlencode(query), body)
        return self.read_reply(status, text, headers, timestamp, nonce)

    def read_reply(self, status, body, headers, timestamp, nonce) -> Reply:
        if status != 200 or body in ("success", ""):
            return Reply(status, body, None, False, headers)
        if self.mode == "plain":
            return Reply(status, body, parse_message(body).content, False, headers)
        envelope = fields(body)
        # The reply must reuse the request's timestamp and nonce, and carry a valid signature.
        assert envelope["TimeStamp"] == timestamp and envelope["Nonce"] == nonce, envelope
        assert envelope["MsgSignature"] == signature(self.token, timestamp, nonce, envelope["Encrypt"])
        xml = self.crypto.decrypt_message(body, envelope["MsgSignature"], timestamp, nonce)
        return Reply(status, body, parse_message(xml).content, True, headers)


class FakeWeChatApi:
    """api.weixin.qq.com on loopback: records token fetches, customer-service messages and menus."""

    def __init__(self):
        self.token_requests: list[dict] = []
        self.messages: list[dict] = []  # accepted customer-service messages, in arrival order
        self.menus: list[dict] = []
        self.send_errors: list[int] = []  # errcodes to answer the next sends with, in turn
        self.tokens_issued = 0
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)  # notified on each accepted customer-service message
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, payload):
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != "/cgi-bin/token":
                    return self._json({"errcode": 404, "errmsg": "not found"})
                with api.lock:
                    api.token_requests.append(query)
                    if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
                        return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                    api.tokens_issued += 1
                    token = f"TOKEN-{api.tokens_issued}"
                self._json({"access_token": token, "expires_in": 7200})

            def do_POST(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.loads(raw.decode("utf-8"))
                with api.lock:
                    if query.get("access_token") != f"TOKEN-{api.tokens_issued}":
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    if url.path == "/cgi-bin/message/custom/send":
                        if api.send_errors:
                            errcode = api.send_errors.pop(0)
                            return self._json({"errcode": errcode, "errmsg": "scripted"})
                        api.messages.append(dict(payload, raw_has_escapes="\\u" in raw.decode("utf-8")))
                        api.arrived.notify_all()
                    elif url.path == "/cgi-bin/menu/create":
                        api.menus.append(payload)
                    else:
                        return self._json({"errcode": 404, "errmsg": "not found"})
                self._json({"errcode": 0, "errmsg": "ok"})

        self.handler = Handler
        self.loopback: Loopback | None = None

    def __enter__(self) -> FakeWeChatApi:
        self.loopback = Loopback(self.handler)
        self.url = self.loopback.url
        return self

    def __exit__(self, *exc):
        self.loopback.close()

    def texts(self, openid: str | None = None) -> list[str]:
        with self.lock:
            return self._texts(openid)

    def _texts(self, openid: str | None) -> list[str]:
        return [m["text"]["content"] for m in self.messages if openid is None or m["touser"] == openid]

    def wait_for_texts(self, openid: str, count: int, timeout: float = 60.0) -> list[str]:
        """The texts sent to `openid` once there are `count` of them, woken by each arrival rather than
        polled: a loaded machine makes this slower, not false. The timeout only bounds a real failure."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self._texts(openid)) >= count, timeout)
            return self._texts(openid)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def wechat_config(db_url: str, api_base: str = "http://127.0.0.1:9", **overrides) -> dict:
    """Settings for appsupport.make_app(dialogue=..., **wechat_config(db_url)): the channel on, WeChat's API
    at `api_base`."""
    config = {
        "DATABASE_URL": db_url,
        "DEGRADED_MODE": False,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "WECHAT_API_BASE": api_base,
        "WECHAT_REPLY_BUDGET_S": 0.5,
        "WECHAT_RETRY_BACKOFF_S": 0.01,
        "WECHAT_HTTP_TIMEOUT_S": 2,
    }
    config.update(overrides)
    return config


def create_gunicorn_app():
    """For `gunicorn 'wechat_sim:create_gunicorn_app()'`: settings come from WX_TEST_* variables."""
    config = wechat_config(
        os.environ["WX_TEST_DB_URL"],
        os.environ["WX_TEST_API_BASE"],
        WECHAT_REPLY_BUDGET_S=float(os.environ["WX_TEST_BUDGET_S"]),
    )
    dialogue = WeChatDialogue(
        delay_s=float(os.environ["WX_TEST_DIALOGUE_DELAY_S"]), log_path=os.environ["WX_TEST_DIALOGUE_LOG"]
    )
    app = make_app(dialogue=dialogue, schema=False, **config)  # the test made the schema before starting us

    @app.after_request
    def _worker_pid(response):
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    with open(os.environ["WX_TEST_READY_LOG"], "a") as fh:
        fh.write(f"{os.getpid()}\n")
    return app
