"""Start the real stack (action server, Rasa, gateway) on free ports for end-to-end tests.

ops.stack starts it exactly as the benchmark and the fault drills do. The
stack never writes into the checkout: the action server and the gateway
share a temporary copy of the knowledge (documents, curated FAQ and the built
index), so a staff correction made in a test is written there, re-indexed by
the gateway and picked up by the action server like in production; the
databases, lead queue, metrics and secrets are temporary too.
"""

from __future__ import annotations

import os

import playwright.sync_api as playwright_sync
import pytest

from appsupport import make_app
from loopback import Loopback
from ops.stack import MODEL, Stack, StackError
from wechat_sim import AES_KEY, APP_ID, TOKEN

from .staff_accounts import create_staff_account
from .widget_harness import PHONE, ScriptedDialogue, host_page

# Debian's Chromium: the tests never download a browser.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Small, so the end-to-end tests cross a session boundary (actions/session.py).
SESSION_MAX_TURNS = "6"
# The WeChat channel on, in safe (AES) mode; no real WeChat API is reachable.
WECHAT = {
    "WECHAT_TOKEN": TOKEN,
    "WECHAT_APP_ID": APP_ID,
    "WECHAT_APP_SECRET": "e2e-secret",
    "WECHAT_ENCODING_AES_KEY": AES_KEY,
    "WECHAT_API_BASE": "http://127.0.0.1:9",
}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """{"url", "logs", "procs", "env"} of a running gateway with Rasa and actions behind it."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    running = Stack(
        workdir=tmp_path_factory.mktemp("stack-logs"),
        private_knowledge=True,
        extra_env={"SESSION_MAX_TURNS": SESSION_MAX_TURNS, **WECHAT},
    )
    try:
        running.start()
    except StackError as exc:
        pytest.fail(str(exc))
    print(f"\nstack ready in {running.cold_start_s:.1f}s (logs in {running.workdir})")
    try:
        yield running.fixture()
    finally:
        running.stop()


@pytest.fixture(scope="session")
def console_admin(stack):
    """(username, password) of an admin account in the stack's database, made as an operator would."""
    return create_staff_account(stack["env"], "e2e-admin", "admin")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one test module (the widget's browser tests share it)."""
    with playwright_sync.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """{"url", "dialogue", "app"}: the gateway on a free port, with a ScriptedDialogue behind it."""
    dialogue = ScriptedDialogue()
    app = make_app(tmp_path_factory.mktemp("widget-gateway"), dialogue)
    app.add_url_rule("/test-host", "test_host", host_page)
    with Loopback(app=app) as server:
        yield {"url": server.url, "dialogue": dialogue, "app": app}
    app.extensions["db_engine"].dispose()


@pytest.fixture
def phone(browser, gateway):
    """A fresh 390×844 touch phone (its own sender id) with the scripted dialogue reset."""
    gateway["dialogue"].sent.clear()
    gateway["dialogue"].delays.clear()
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture(scope="module")
def robot():
    """A fake WeCom/DingTalk robot on loopback (tests/notify_fakes.py), one per test module."""
    from notify_fakes import FakeRobot

    server = FakeRobot()
    yield server
    server.close()
