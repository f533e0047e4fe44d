"""How one message is sent and judged: to the gateway's /api/chat, Rasa's REST webhook or /wechat.

Why it exists: a load phase only needs "send this message for this sender, tell me if it was
answered"; what counts as an answer differs per endpoint (a reply list, a Rasa message list, a
passive WeChat reply or a deferred `success`) and a degraded-mode reply is an error, not a success.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Awaitable, Callable

from ops.conversation_tokens import ConversationTokens

from .wechat_messages import WECHAT_TOKEN, wechat_reply_text, wechat_request

# The gateway's degraded mode (Rasa unreachable or too slow) still answers 200, prefixed with this
# notice (bot/conversation.py DEGRADED_NOTICE): such a reply is counted as an error, not a success.
DEGRADED_MARK = "智能助手暂时不可用"


@dataclass
class Outcome:
    ok: bool
    status: int | None
    detail: str = ""


Send = Callable[["aiohttp.ClientSession", str, str], Awaitable[Outcome]]  # noqa: F821


def chat_sender(base_url: str) -> Send:
    """POST /api/chat; a success is 200 with at least one reply."""
    url = base_url.rstrip("/") + "/api/chat"
    tokens = ConversationTokens()  # a conversation goes on only with its token (bot/chat_tokens.py)

    async def send(http, sender_id: str, message: str) -> Outcome:
        async with http.post(
            url, json={"sender_id": sender_id, "message": message}, headers=tokens.headers(sender_id)
        ) as response:
            text = await response.text()
            if response.status != 200:
                return Outcome(False, response.status, text)
            body = json.loads(text)
            tokens.remember(sender_id, body)
            replies = body.get("replies") or []
            if any(DEGRADED_MARK in (r.get("text") or "") for r in replies):
                return Outcome(False, 200, "degraded")
            return Outcome(bool(replies), 200, "" if replies else "no replies")

    return send


def rasa_sender(rasa_url: str) -> Send:
    """POST Rasa's REST webhook; a success is 200 with at least one message."""
    url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"

    async def send(http, sender_id: str, message: str) -> Outcome:
        async with http.post(url, json={"sender": sender_id, "message": message}) as response:
            text = await response.text()
            if response.status != 200:
                return Outcome(False, response.status, text)
            return Outcome(bool(json.loads(text)), 200, "" if text.strip() != "[]" else "no messages")

    return send


def wechat_sender(base_url: str, token: str = WECHAT_TOKEN) -> Send:
    """POST a signed plain-mode text message to /wechat; a success is a passive reply with text,
    `success` (answer deferred to a customer-service message) is counted apart."""
    base = base_url.rstrip("/")

    async def send(http, openid: str, message: str) -> Outcome:
        path, body = wechat_request(token, openid, message)
        async with http.post(base + path, data=body, headers={"Content-Type": "text/xml"}) as response:
            text = await response.text()
            if response.status != 200:
                return Outcome(False, response.status, text)
            if wechat_reply_text(text):
                return Outcome(True, 200)
            return Outcome(False, 200, "deferred" if text.strip() == "success" else text)

    return send
