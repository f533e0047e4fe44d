"""A refused consent or a cancelled lead form leaves no answer behind, in any store (issue 18).

Through the real stack: Rasa's tracker store (its SQLite file and its HTTP
API), the gateway's turn log, its leads table and the lead queue hold no
phone number, name or company after 不同意 or 算了, while the conversation's
other turns are still there.
"""

import json
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import requests

from ops.stack import ROOT

from .test_chat_stack import all_text, chat

pytestmark = pytest.mark.e2e

COMPANY, PERSON, PHONE = "杭州拒绝同意生物科技有限公司", "钱女士", "13955554444"
ERASED = "［已删除］"


def rasa_events(stack, sender):
    rasa = stack["env"]["RASA_URL"].split(",")[0]
    response = requests.get(
        f"{rasa}/conversations/{sender}/tracker",
        timeout=10,
        params={"token": stack["env"]["RASA_API_TOKEN"], "include_events": "ALL"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def stored_rasa_rows(stack, sender):
    path = stack["env"]["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))]


def gateway_rows(stack, sql, *args):
    with sqlite3.connect(stack["env"]["DATABASE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, args).fetchall()


def fill_form_up_to_consent(stack, sender):
    assert "机场" in all_text(chat(stack, "园区在哪里？", sender))
    assert "公司" in all_text(chat(stack, "我们公司想入驻园区", sender))
    chat(stack, COMPANY, sender)
    chat(stack, PERSON, sender)
    chat(stack, f"我的电话是{PHONE}", sender)


def assert_nothing_kept(stack, sender):
    tracker = json.dumps(rasa_events(stack, sender), ensure_ascii=False)
    rows = "\n".join(
        json.loads(row).get("text") or json.dumps(json.loads(row), ensure_ascii=False)
        for row in stored_rasa_rows(stack, sender)
    )
    for kept in (tracker, rows):
        for secret in (PHONE, PERSON, COMPANY):
            assert secret not in kept
        assert "园区在哪里" in kept  # the conversation's other turns stay
    assert ERASED in tracker
    texts = [t for (t,) in gateway_rows(stack, "SELECT user_text FROM turns ORDER BY id")]
    assert not any(PHONE in t or PERSON in t or COMPANY in t for t in texts), texts
    assert "园区在哪里？" in texts and ERASED in texts
    # The replies as shown (kept for the widget's history) may read the answers back: erased with them.
    shown = [
        json.dumps(json.loads(r), ensure_ascii=False)
        for (r,) in gateway_rows(stack, "SELECT replies FROM turns ORDER BY id")
        if r
    ]
    assert not any(PHONE in r or PERSON in r or COMPANY in r for r in shown), shown
    assert gateway_rows(stack, "SELECT id FROM leads WHERE phone = ?", PHONE) == []
    queue = Path(stack["env"].get("LEADS_QUEUE_DIR") or ROOT / "instance" / "lead-queue")
    assert not any(PHONE in p.read_text("utf-8") for p in queue.rglob("*.json")) if queue.exists() else True


def test_refused_consent_erases_the_answers_from_every_store(stack):
    sender = f"e2e-refuse-{uuid.uuid4().hex[:6]}"
    fill_form_up_to_consent(stack, sender)
    chat(stack, "合成生物", sender)
    chat(stack, "场地", sender)
    refused = all_text(chat(stack, "/deny", sender))
    assert "不会保存" in refused, refused
    time.sleep(1)  # the action server would have queued a lead by now
    assert_nothing_kept(stack, sender)
    # the conversation goes on after the erasure
    assert all_text(chat(stack, "园区在哪里？", sender))


def test_a_cancelled_form_erases_the_answers_typed_so_far(stack):
    sender = f"e2e-cancel-{uuid.uuid4().hex[:6]}"
    fill_form_up_to_consent(stack, sender)
    stopped = all_text(chat(stack, "算了，不填了", sender))
    assert "不会保存" in stopped, stopped
    assert_nothing_kept(stack, sender)
