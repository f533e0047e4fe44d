"""A handoff through the real stack (Rasa, action server, gateway under gunicorn) in real Chromium.

test_handoff_browser.py proves the gateway and pages with a scripted Rasa;
this proves the parts only Rasa can: utter_handoff and its pause really keep
the bot quiet, release really resumes it, and a handoff nobody claims really
opens Rasa's lead form (resume, then /request_settlement). Its own stack, as
it needs a fake WeCom robot and a short claim timeout.
"""

from __future__ import annotations

import time

import pytest

from ops.stack import MODEL, Stack, StackError

from .staff_accounts import create_staff_account
from .widget_harness import PHONE, WIDGET

pytestmark = pytest.mark.e2e
CONSOLE = "https://zhaoshang.example.org"
TIMEOUT_S = 20  # the claim timeout: long enough to claim in the first test, short for the second
INPUT = "#park-chat-input"


@pytest.fixture(scope="module")
def handoff_stack(tmp_path_factory, robot):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    running = Stack(
        workdir=tmp_path_factory.mktemp("handoff-stack"),
        private_knowledge=True,
        extra_env={
            "NOTIFY_WECOM_WEBHOOK_URL": robot.url(),
            "CONSOLE_BASE_URL": CONSOLE,
            "NOTIFY_POLL_S": "0.5",
            "HANDOFF_CLAIM_TIMEOUT_MINUTES": str(TIMEOUT_S / 60),
            "HANDOFF_SWEEP_S": "1",
            "HANDOFF_STREAM_SECONDS": "10",
        },
    )
    try:
        running.start()
    except StackError as exc:
        pytest.fail(str(exc))
    username, password = create_staff_account(running.env, "e2e-staff", "staff")
    try:
        yield {"url": running.url, "account": (username, password), "logs": running.workdir}
    finally:
        running.stop()


def say(page, text: str) -> None:
    page.fill(INPUT, text)
    page.press(INPUT, "Enter")


def wait_widget(page, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "t => document.querySelector('#park-chat-widget').shadowRoot.querySelector('.log').innerText.includes(t)",
        arg=text,
        timeout=timeout,
    )


def open_widget(page, url):
    page.goto(url)
    page.locator(f"{WIDGET} .bubble").click()
    page.wait_for_selector(f"{WIDGET} .msg.bot:not(.typing-row)", timeout=30_000)


def test_a_tenant_and_staff_through_a_live_handoff_with_real_rasa(browser, handoff_stack, robot):
    url, (username, password) = handoff_stack["url"], handoff_stack["account"]
    staff_context, tenant_context = browser.new_context(), browser.new_context(**PHONE)
    try:
        staff = staff_context.new_page()
        staff.goto(url + "/staff/login")
        staff.fill("#username", username)
        staff.fill("#password", password)
        staff.click("button[type=submit]")
        staff.goto(url + "/staff/handoffs")
        staff.evaluate("window.__sameDocument = true")

        tenant = tenant_context.new_page()
        open_widget(tenant, url)
        say(tenant, "园区在哪里")
        wait_widget(tenant, "来源")
        asked = time.monotonic()
        say(tenant, "转人工")
        wait_widget(tenant, "请稍候")
        [notice] = robot.wait_for(1, timeout=5.0)
        assert notice["at"] - asked < 5.0 and notice["json"]["msgtype"] == "markdown"
        assert f"({CONSOLE}/staff/handoffs#handoff-1)" in notice["json"]["markdown"]["content"]

        card = staff.locator("#handoff-1")
        card.wait_for(timeout=15_000)
        assert staff.evaluate("window.__sameDocument") is True  # no reload
        assert "园区在哪里" in card.inner_text()
        staff.locator("#handoff-1 button.claim").click()
        staff.locator("#handoff-1 >> text=我 已接手").wait_for()
        say(tenant, "我们是做细胞治疗的")
        staff.locator("#handoff-1 >> text=我们是做细胞治疗的").wait_for(timeout=15_000)
        staff.fill("#reply-1", "您好，我是招商部的工作人员。")
        staff.locator("#handoff-1 button:has-text('发送')").click()
        wait_widget(tenant, "您好，我是招商部的工作人员。")

        staff.locator("#handoff-1 button:has-text('交还机器人')").click()
        staff.locator("text=目前没有等待人工的会话").wait_for()
        wait_widget(tenant, "人工服务已结束")
        replies = tenant.locator(f"{WIDGET} .msg.bot:not(.typing-row)").count()
        say(tenant, "园区有哪些产业方向")
        tenant.wait_for_function(
            "n => document.querySelector('#park-chat-widget').shadowRoot"
            ".querySelectorAll('.msg.bot:not(.typing-row)').length > n",
            arg=replies,
            timeout=30_000,
        )  # Rasa answers again
    finally:
        tenant_context.close()
        staff_context.close()


def test_an_unclaimed_handoff_opens_rasas_lead_form(browser, handoff_stack):
    context = browser.new_context(**PHONE)
    try:
        tenant = context.new_page()
        open_widget(tenant, handoff_stack["url"])
        say(tenant, "转人工")
        wait_widget(tenant, "请稍候")
        wait_widget(tenant, "没有工作人员能够接待您", timeout=(TIMEOUT_S + 20) * 1000)
        wait_widget(tenant, "请留下几项信息")  # utter_settlement: Rasa resumed into the lead form
    finally:
        context.close()
