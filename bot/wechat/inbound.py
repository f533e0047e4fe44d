"""What an inbound message or event asks of us, and the key its retries share."""

from __future__ import annotations

from dataclasses import dataclass

from wechatpy.messages import BaseMessage

from .menu import TOPIC_KEYS

GREET = "/greet"  # Rasa's greet response lists the topics as buttons
PLEASE_TYPE = "抱歉，暂时无法识别这条语音，请输入文字。"
TEXT_ONLY = "目前只能回复文字消息，请用文字描述您的问题，例如“园区在哪里”。"


@dataclass(frozen=True)
class Turn:
    ask: str | None = None  # what to send to the dialogue
    notice: str | None = None  # a fixed reply instead
    typed: bool = False  # typed by the user, so a digit may pick a numbered option
    follow: str | None = None  # subscribe | unsubscribe | scan
    scene: str | None = None  # the QR scene of a subscribe or scan: the lead source

    @property
    def answers(self) -> bool:
        return self.ask is not None or self.notice is not None


def interpret(message: BaseMessage) -> Turn:
    kind = message.type
    if kind == "text":
        text = (message.content or "").strip()
        return Turn(ask=text, typed=True) if text else Turn(notice=TEXT_ONLY)
    if kind == "voice":
        text = (message.recognition or "").strip()
        return Turn(ask=text, typed=True) if text else Turn(notice=PLEASE_TYPE)
    if kind != "event":
        return Turn(notice=TEXT_ONLY)

    event = message.event
    if event == "subscribe_scan":
        return Turn(ask=GREET, follow="subscribe", scene=message.scene_id or None)
    if event in ("subscribe", "subscribe_scan_product"):
        return Turn(ask=GREET, follow="subscribe")
    if event == "unsubscribe":
        return Turn(follow="unsubscribe")
    if event == "scan":
        return Turn(follow="scan", scene=message.scene_id or None)
    if event == "click":
        key = (message.key or "").strip()
        return Turn(ask=f"/{key}" if key in TOPIC_KEYS else GREET)
    return Turn()  # VIEW, LOCATION, template results...: nothing to say


def dedup_key(message: BaseMessage, openid_hash: str) -> str:
    """MsgId for messages; FromUserName+CreateTime for events, which have none."""
    if message.type != "event" and message.id:
        return f"msg:{message.id}"
    return f"evt:{openid_hash}:{message.time}:{getattr(message, 'event', message.type)}"
