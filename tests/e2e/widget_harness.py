"""The widget in real Chromium against the real gateway, with a scripted dialogue engine instead of Rasa.

The failure-state and phone-layout tests need to control what the dialogue
engine says and how long it takes (a pending reply, a timeout), which the
real stack cannot do on demand, and they do not test Rasa's answers: the
gateway (Flask app, /api/chat, /widget.js, the demo page) is the production
one, served over HTTP in a thread, and only Rasa is scripted. Starts in
about a second, so these tests are not marked e2e.
"""

from __future__ import annotations

import time

from markupsafe import escape

from appsupport import FakeDialogue

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
WIDGET = "#park-chat-widget"
REPLIES = f"{WIDGET} .msg.bot:not(.typing-row)"
SOURCE = {
    "title": "杭州临空生物医药园开园",
    "publisher": "杭州网",
    "published": "2024-03-12",
    "url": "https://example.org/park",
    "snippet": "机场西侧",
}
GREETING = {
    "text": "您好，我是杭州生物科技谷招商助手，可以问园区位置、政策、基金和配套。",
    "buttons": [
        {"title": "园区位置", "payload": "/ask_location"},
        {"title": "我想入驻", "payload": "/request_settlement"},
    ],
    "sources": [],
}
FORM_PROMPT = {"text": "好的，请问贵公司的名称是？", "buttons": [], "sources": []}
SCOPE = {"text": "这个问题超出了我的范围。我可以介绍园区位置、产业方向、政策和配套。", "buttons": [], "sources": []}
HANDOFF = {"text": "好的，正在为您转接招商人员。", "buttons": [], "sources": []}
NOT_FOUND = {
    "text": "暂时没有查到能直接回答这个问题的公开信息。",
    "buttons": [{"title": "转人工", "payload": "/human_handoff"}],
    "sources": [],
}


class ScriptedDialogue(FakeDialogue):
    """Rasa as the widget sees it: a greeting, a form prompt, a scope message, a declined question with documents
    to read, or a cited answer that echoes the question; `delays` holds a pause in seconds per message (a slow turn)."""

    def __init__(self):
        super().__init__()
        self.delays: dict[str, float] = {}

    def answer(self, sender_id, message):
        time.sleep(self.delays.get(message, 0))
        if message == "/greet":
            reply, outcome = GREETING, "greeting"
        elif message in ("/request_settlement", "我想入驻"):
            reply, outcome = FORM_PROMPT, "form"
        elif message == "转人工":  # the gateway opens a handoff on this outcome
            reply, outcome = HANDOFF, "handoff"
        elif "天气" in message:
            reply, outcome = SCOPE, "out_of_scope"
        elif "门槛" in message:  # declined: documents to read (sources without a snippet), then "not found"
            pointer = {
                "text": "下面这些公开文件谈到了相关内容：",
                "buttons": [],
                "sources": [{**SOURCE, "snippet": ""}],
            }
            return [pointer, NOT_FOUND], {"outcome": "abstained", "confidence": 0.2, "intent": "ask_park_info"}
        elif "日期" in message:  # a source page that shows no date
            reply, outcome = (
                {"text": "园区位于萧山机场西侧。", "buttons": [], "sources": [{**SOURCE, "published": ""}]},
                "answered",
            )
        else:
            reply, outcome = (
                {"text": f"回答：{message[:40]}。园区位于萧山机场西侧。", "buttons": [], "sources": [SOURCE]},
                "answered",
            )
        return [dict(reply)], {
            "outcome": outcome,
            "confidence": 0.8,
            "intent": "ask_park_info",
            "sources": list(reply["sources"]),
        }


def host_page():
    """/test-host?lang=en&slow=300&timeout=1500&api=http://localhost:port: a park page in that language embedding
    the widget with those timings (from that gateway origin), as another site would (the demo page at / has none)."""
    from flask import request

    args = {
        k: escape(request.args.get(k, d)) for k, d in (("lang", "zh-CN"), ("slow", ""), ("timeout", ""), ("api", ""))
    }
    timing = "".join(f' data-{name}-ms="{args[name]}"' for name in ("slow", "timeout") if args[name])
    page = (
        f'<!doctype html><html lang="{args["lang"]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body><h1>Park</h1><p style="height:3000px">…</p>'
        f'<script src="{args["api"]}/widget.js"{timing} defer></script></body></html>'
    )
    if not args["api"]:
        return page
    # ?api=http://other-origin: the park's own site embedding the gateway from elsewhere, with its own CSP.
    policy = f"script-src {args['api']}; connect-src {args['api']}; style-src 'unsafe-inline'"
    return page, 200, {"Content-Security-Policy": policy}


def open_widget(page, url: str) -> None:
    """Load `url`, tap the bubble and wait for the greeting."""
    page.goto(url)
    page.locator(f"{WIDGET} .bubble").tap()
    page.wait_for_selector(f"{REPLIES} >> text=招商助手")


def reply_count(page) -> int:
    return page.locator(REPLIES).count()


def wait_replies(page, more_than: int, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "n => document.querySelector('#park-chat-widget').shadowRoot"
        ".querySelectorAll('.msg.bot:not(.typing-row)').length > n",
        arg=more_than,
        timeout=timeout,
    )


def box(page, selector: str) -> dict:
    found = page.locator(selector).last.bounding_box()
    assert found, f"{selector} is not rendered"
    return found
