"""A handoff from both sides in real Chromium: the tenant's widget and the staff console, live.

Issue 17's acceptance: a tenant asks for a person; within 5 s the WeCom robot
(a local fake, tests/notify_fakes.py) gets a markdown notice with a console
link; the staff page shows the handoff without a reload; staff claim and
reply, the tenant sees the reply; staff release and the bot answers again.
Outside office hours the same request ends in the lead form, and so does a
handoff nobody claims in time. The gateway is the production app over HTTP
with the notice sender and the timeout sweeper threads running; only Rasa is
scripted (widget_harness.py), as these tests are about the gateway and pages.
"""

from __future__ import annotations

import time

import pytest

from appsupport import PASSWORD, add_staff, make_app, rows
from loopback import Loopback
from bot.handoff.hours import OfficeHours
from bot.models import Handoff

from .widget_harness import FORM_PROMPT, PHONE, WIDGET, ScriptedDialogue, open_widget

CONSOLE = "https://zhaoshang.example.org"
INPUT = "#park-chat-input"
SEND = f"{WIDGET} form button.send"
HANDED_OFF = "好的，已为您转接招商人员。接下来您发的消息会直接转给工作人员，他们会在这里回复您。"


class HandoffDialogue(ScriptedDialogue):
    """The harness's Rasa, plus 转人工 → utter_handoff (outcome handoff) as domain.yml has it."""

    def answer(self, sender_id, message):
        if message in ("转人工", "/human_handoff"):
            return [{"text": HANDED_OFF, "buttons": [], "sources": []}], {"outcome": "handoff", "sources": []}
        return super().answer(sender_id, message)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, robot):
    app = make_app(
        tmp_path_factory.mktemp("handoff-gateway"),
        HandoffDialogue(),
        NOTIFY_WECOM_WEBHOOK_URL=robot.url(),
        NOTIFY_POLL_S=0.2,
        CONSOLE_BASE_URL=CONSOLE,
        HANDOFF_STREAM_SECONDS=5,
        HANDOFF_STREAM_CHECK_S=0.2,
        HANDOFF_CLAIM_TIMEOUT_MINUTES=60,
        HANDOFF_SWEEP_S=0.5,
        HANDOFF_SWEEP_IN_TESTS=True,
    )
    add_staff(app, "li")
    with Loopback(app=app) as server:
        yield {"url": server.url, "app": app}
    app.extensions["notify"].stop()
    app.extensions["handoff_sweeper"].stop()
    app.extensions["db_engine"].dispose()


def say(page, text: str) -> None:
    page.fill(INPUT, text)
    page.locator(SEND).click()


def widget_text(page) -> str:
    return page.locator(f"{WIDGET} .log").inner_text()


def wait_widget(page, text: str, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "t => document.querySelector('#park-chat-widget').shadowRoot.querySelector('.log').innerText.includes(t)",
        arg=text,
        timeout=timeout,
    )


def staff_page(browser, url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/staff/login")
    page.fill("#username", "li")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{url}/staff/handoffs")
    return context, page


def test_tenant_and_staff_through_a_live_handoff(browser, gateway, robot):
    url = gateway["url"]
    staff_context, staff = staff_page(browser, url)
    tenant_context = browser.new_context(**PHONE)
    try:
        assert "目前没有等待人工的会话" in staff.inner_text("#handoff-live")
        staff.evaluate("window.__sameDocument = true")  # gone if the page reloads
        tenant = tenant_context.new_page()
        open_widget(tenant, url)
        say(tenant, "园区在哪里")
        wait_widget(tenant, "回答：园区在哪里")
        asked = time.monotonic()
        say(tenant, "转人工")
        wait_widget(tenant, "请稍候")
        assert HANDED_OFF in widget_text(tenant)

        [notice] = robot.wait_for(1, timeout=5.0)
        assert notice["at"] - asked < 5.0
        assert notice["json"]["msgtype"] == "markdown"
        assert f"({CONSOLE}/staff/handoffs#handoff-1)" in notice["json"]["markdown"]["content"]

        card = staff.locator("#handoff-1")
        card.wait_for(timeout=8_000)  # the stream said so; nobody reloaded
        assert staff.evaluate("window.__sameDocument") is True
        assert "待接手" in card.inner_text() and "园区在哪里" in card.inner_text()
        assert staff.locator("#handoff-badge").inner_text() == "1"
        say(tenant, "我们想租1000平米")
        staff.locator("#handoff-1 >> text=我们想租1000平米").wait_for(timeout=8_000)
        assert staff.evaluate("window.__sameDocument") is True

        staff.locator("#handoff-1 button.claim").click()
        staff.locator("#handoff-1 >> text=我 已接手").wait_for()
        staff.fill("#reply-1", "您好，我是招商部小李，请问您的行业？")
        staff.locator("#handoff-1 button:has-text('发送')").click()
        wait_widget(tenant, "您好，我是招商部小李")

        staff.locator("#handoff-1 button:has-text('交还机器人')").click()
        staff.locator("text=目前没有等待人工的会话").wait_for()
        wait_widget(tenant, "人工服务已结束")
        say(tenant, "有哪些产业政策")
        wait_widget(tenant, "回答：有哪些产业政策")
        [handoff] = rows(gateway["app"], Handoff)
        assert (handoff.status, handoff.closed_reason, handoff.staff.username) == ("closed", "released", "li")
    finally:
        tenant_context.close()
        staff_context.close()


def test_outside_office_hours_the_request_ends_in_the_lead_form(browser, gateway):
    app = gateway["app"]
    kept = app.extensions["office_hours"]
    app.extensions["office_hours"] = OfficeHours.parse(
        "mon-fri 09:00-17:30",
        holidays=",".join(time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600 + d * 86400)) for d in range(3)),
    )
    context = browser.new_context(**PHONE)
    try:
        tenant = context.new_page()
        open_widget(tenant, gateway["url"])
        say(tenant, "转人工")
        wait_widget(tenant, FORM_PROMPT["text"])
        said = widget_text(tenant)
        assert "现在是非工作时间" in said and "周一至周五 09:00-17:30" in said
        assert HANDED_OFF not in said
        assert rows(app, Handoff)[-1].closed_reason == "after_hours"
    finally:
        app.extensions["office_hours"] = kept
        context.close()


def test_an_unclaimed_handoff_times_out_to_the_lead_form(browser, gateway):
    app = gateway["app"]
    app.config["HANDOFF_CLAIM_TIMEOUT_MINUTES"] = 0.05  # 3 s; the sweeper runs every 0.5 s
    context = browser.new_context(**PHONE)
    try:
        tenant = context.new_page()
        open_widget(tenant, gateway["url"])
        say(tenant, "转人工")
        wait_widget(tenant, "请稍候")
        wait_widget(tenant, "没有工作人员能够接待您", timeout=15_000)  # through the widget's poll
        wait_widget(tenant, FORM_PROMPT["text"])
        assert rows(app, Handoff)[-1].closed_reason == "timeout"
    finally:
        app.config["HANDOFF_CLAIM_TIMEOUT_MINUTES"] = 60
        context.close()
