"""GET /widget.js: the embeddable chat bubble for park websites.

    <script src="https://bot.example/widget.js" defer></script>

The script finds the gateway from its own src, so the same file works on
any page whose origin is in CORS_ALLOWED_ORIGINS.

Its source is kept in small files by subject (static/, listed in PARTS) and
served as one script: the parts run in PARTS order inside one function scope,
exactly as the single file did. One classic script rather than several, or
ES modules, because the embed must stay one line and host pages load it
cross-origin: a module is fetched with CORS and has no document.currentScript
(which the widget reads its data-* settings from), and extra scripts would be
more requests before the bubble shows.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request

bp = Blueprint("widget", __name__)
STATIC = Path(__file__).resolve().parent / "static"
# In the order they run: each part may use what the parts before it set up; functions are shared throughout.
PARTS = (
    "settings.js",  # the script tag's data-* settings and constants
    "words.js",  # labels and messages in Chinese and English, the conversation's language
    "tokens.js",  # the conversation's id and bearer token
    "looks.js",  # the stylesheet
    "dom.js",  # the bubble, the panel and their labels
    "viewport.js",  # the log at its latest message, the panel above a phone's keyboard
    "messages.js",  # rendering of messages, sources, buttons, notices, typing dots
    "feedback.js",  # thumbs up/down under a cited answer
    "transport.js",  # requests to the gateway and their kinds of failure
    "queue.js",  # the outgoing queue: in order, nothing lost
    "staff_replies.js",  # polling for staff replies during a handoff
    "input.js",  # the text field, its counter, sending
    "panel.js",  # opening, closing, restoring history, mounting, window.ParkChat
)
BANNER = "/* 杭州生物科技谷 招商助手 widget: built from bot/widget/static/ (see bot/widget/__init__.py). */\n"


def source() -> str:
    """The widget as served: every part, in order, in one strict-mode function scope."""
    body = "\n".join((STATIC / name).read_text("utf-8") for name in PARTS)
    return f'{BANNER}(function () {{\n  "use strict";\n{body}}}());\n'


@bp.get("/widget.js")
def widget_js():
    # Built per request: a few small files, and browsers keep it for five minutes (or revalidate by ETag).
    response = Response(source(), mimetype="text/javascript")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)
