"""Customer-service messages: late answers, and staff replies to WeChat users.

WeChat allows them within 48 hours of the user's last message, and at most
a few in a row before the user writes again. Those two refusals (45015,
45047) are what staff will meet, so they carry a message to show them.
"""

from __future__ import annotations

import logging
import re

from flask import current_app

from .api_client import WeChatApi, WeChatApiError

log = logging.getLogger(__name__)

SEND_PATH = "/cgi-bin/message/custom/send"
PIECE_CHARS = 600
WINDOW_CLOSED, QUOTA_EXCEEDED = 45015, 45047
CHANNEL_OFF, UNKNOWN_USER = -10, -11  # ours, not WeChat's
STAFF_MESSAGES = {
    CHANNEL_OFF: "本服务器未配置微信公众号渠道，无法发送。",
    UNKNOWN_USER: "找不到这个会话对应的微信用户，无法发送。",
    WINDOW_CLOSED: "该用户超过48小时未与公众号互动，微信不允许再发客服消息；请等用户再次发消息后回复，或通过其他方式联系。",
    QUOTA_EXCEEDED: "已连续发送多条客服消息，用户回复前微信不允许继续发送；请等待用户回复。",
}
_ANCHOR = re.compile(r"<a\s[^>]*>.*?</a>", re.S)


class CustomerServiceError(RuntimeError):
    def __init__(self, errcode: int, errmsg: str, sent: int = 0):
        self.staff_message = STAFF_MESSAGES.get(errcode, f"微信拒绝了这条消息（错误码 {errcode}：{errmsg}）。")
        super().__init__(self.staff_message)
        self.errcode, self.errmsg, self.sent = errcode, errmsg, sent


def split_text(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, in order, cut at a line break where one is near."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
            for anchor in _ANCHOR.finditer(rest):
                if anchor.start() < cut < anchor.end() and anchor.start() > 0:
                    cut = anchor.start()  # never split a link
                    break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def send_text(api: WeChatApi, openid: str, text: str) -> int:
    """Send `text` in order as ≤600-character pieces; the number sent, or CustomerServiceError."""
    pieces = split_text(text)
    for sent, piece in enumerate(pieces):
        try:
            api.post(SEND_PATH, {"touser": openid, "msgtype": "text", "text": {"content": piece}})
        except WeChatApiError as exc:
            raise CustomerServiceError(exc.errcode, exc.errmsg, sent) from exc
    return len(pieces)


def send_to_conversation(conversation_id: str, text: str) -> int:
    """For the staff console: reply to the WeChat user behind a "wx-..." conversation id.

    Raises CustomerServiceError; its `staff_message` is meant for the console.
    """
    from . import followers

    channel = current_app.extensions.get("wechat")
    if channel is None:
        raise CustomerServiceError(CHANNEL_OFF, "WeChat channel is not configured")
    follower = followers.lookup(channel.sessions, conversation_id.removeprefix("wx-"))
    if follower is None:
        raise CustomerServiceError(UNKNOWN_USER, "no WeChat user is known for this conversation")
    if follower.openid is None:  # unsubscribed, or silent for 48 hours: WeChat would refuse
        raise CustomerServiceError(WINDOW_CLOSED, "the user is no longer reachable")
    return send_text(channel.api, follower.openid, text)
