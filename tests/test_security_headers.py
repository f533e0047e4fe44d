"""Security headers (issue 18): nosniff and Referrer-Policy everywhere, a CSP the pages live with.

The CSP forbids inline script everywhere and inline style in the console, so
the rendered pages are checked for what such a policy would block: inline
<script>, on*= handlers, style= attributes and scripts from elsewhere.
"""

from __future__ import annotations

import re

import pytest

from appsupport import FakeKnowledge, add_staff, login, make_app
from bot.models import Handoff, Lead, Turn  # noqa: F401

CONSOLE_PAGES = [
    "/staff/",
    "/staff/conversations",
    "/staff/ask",
    "/staff/knowledge",
    "/staff/leads",
    "/staff/handoffs",
    "/staff/accounts",
    "/staff/turns/1",
]


def directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


@pytest.fixture
def admin(app, client):
    app.extensions["knowledge"] = FakeKnowledge()
    add_staff(app, "li", role="admin")
    assert login(client, "li").status_code == 302
    client.post("/api/chat", json={"sender_id": "web-a", "message": "园区在哪里？"})  # turn 1 for the pages
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/widget.js", "/api/openapi.json", "/staff/login", "/wechat", "/api/nope", "/static/park.css", "/metrics"],
)
def test_every_response_has_nosniff_and_a_referrer_policy(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin", "no-referrer")


def test_the_chat_api_and_its_errors_have_them_too(client):
    for response in (
        client.post("/api/chat", json={"sender_id": "u", "message": "你好"}),
        client.post("/api/chat", data="{", content_type="application/json"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_host_page_csp_allows_only_our_own_scripts(client):
    policy = directives(client.get("/"))
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]  # the widget talks to its own gateway


def test_the_console_csp_allows_no_inline_script_or_style_and_no_framing(admin):
    anonymous = admin.application.test_client()
    for path in CONSOLE_PAGES + ["/staff/login"]:
        response = (anonymous if path == "/staff/login" else admin).get(path)
        assert response.status_code == 200, path
        policy = directives(response)
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path


def _what_the_csp_would_block(html: str, inline_style_allowed: bool) -> list[str]:
    blocked = [m.group(0) for m in re.finditer(r"<script(?![^>]*\ssrc=)[^>]*>", html)]
    blocked += [m.group(0) for m in re.finditer(r"<script[^>]*\ssrc=\"(?!/)[^\"]*\"", html)]
    blocked += [m.group(0) for m in re.finditer(r"<[^>]*\son[a-z]+\s*=", html)]
    blocked += [m.group(0) for m in re.finditer(r"javascript:", html)]
    if not inline_style_allowed:
        blocked += [m.group(0) for m in re.finditer(r"<style|<[^>]*\sstyle\s*=", html)]
    return blocked


def test_the_pages_need_nothing_their_csp_forbids(admin):
    assert _what_the_csp_would_block(admin.get("/").get_data(as_text=True), inline_style_allowed=True) == []
    anonymous = admin.application.test_client()
    for path in CONSOLE_PAGES + ["/staff/login"]:
        html = (anonymous if path == "/staff/login" else admin).get(path).get_data(as_text=True)
        assert "<main" in html, path
        assert _what_the_csp_would_block(html, inline_style_allowed=False) == [], path


def test_the_delete_confirmation_moved_to_the_console_script(admin):
    from pathlib import Path

    (Path(admin.application.config["KNOWLEDGE_DOCS_DIR"])).mkdir(parents=True, exist_ok=True)
    (Path(admin.application.config["KNOWLEDGE_DOCS_DIR"]) / "park.md").write_text(
        "---\ntitle: 开园\npublisher: 杭州网\npublished: '2024-03-12'\nurl: https://example.org/a\n---\n\n园区。\n",
        "utf-8",
    )
    html = admin.get("/staff/knowledge").get_data(as_text=True)
    assert 'data-confirm="删除这篇文档并重建索引？"' in html
    assert "/staff/static/console.js" in html
    script = admin.get("/staff/static/console.js")
    assert script.status_code == 200 and "data-confirm" in script.get_data(as_text=True)
    assert script.mimetype in ("text/javascript", "application/javascript")


def test_widget_js_is_still_served_cross_origin(tmp_path):
    app = make_app(tmp_path, CORS_ALLOWED_ORIGINS=["https://park.example.cn"])
    response = app.test_client().get("/widget.js", headers={"Origin": "https://park.example.cn"})
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "https://park.example.cn"
    assert "Cross-Origin-Resource-Policy" not in response.headers  # nothing here stops an embed
    preflight = app.test_client().options(
        "/api/chat", headers={"Origin": "https://park.example.cn", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://park.example.cn"
