"""Signed WeChat plain-mode text messages, as WeChat's server posts them to the gateway's /wechat.

Why it exists: the benchmark's WeChat phases need messages the gateway accepts (a valid
signature, a fresh MsgId) and a way to read its passive reply; the gateway's settings for a
closed-loop run (WECHAT_ENV) live next to the token they sign with.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import time
from urllib.parse import urlencode

# Settings for the gateway's WeChat channel in plain mode (no AES key). The API base is a closed
# loopback port: nothing reaches WeChat, and a late answer's customer-service send fails fast.
WECHAT_TOKEN = "bench-token"
WECHAT_ACCOUNT = "gh_park_bench"
WECHAT_ENV = {
    "WECHAT_TOKEN": WECHAT_TOKEN,
    "WECHAT_APP_ID": "wxbench0000000000",
    "WECHAT_APP_SECRET": "bench-secret",
    "WECHAT_API_BASE": "http://127.0.0.1:9",
    "WECHAT_ENCODING_AES_KEY": "",
}

_MSG_IDS = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))


def wechat_signature(*parts: str) -> str:
    """WeChat's SHA-1 over the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def wechat_text(
    openid: str, content: str, msg_id: int | None = None, create_time: int | None = None, account: str = WECHAT_ACCOUNT
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{create_time or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id or next(_MSG_IDS)}</MsgId></xml>"
    )


def wechat_request(
    token: str, openid: str, content: str, timestamp: str | None = None, nonce: str | None = None
) -> tuple[str, bytes]:
    """(path with query, body) of a signed plain-mode text message, as WeChat's server sends it."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(random.randrange(10**9))
    query = {
        "signature": wechat_signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": openid,
    }
    return "/wechat?" + urlencode(query), wechat_text(openid, content).encode("utf-8")


def wechat_reply_text(body: str) -> str | None:
    """The Content of a passive reply; None for `success` (the answer comes later) or no content."""
    match = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", body, re.S)
    return match.group(1) if match else None
