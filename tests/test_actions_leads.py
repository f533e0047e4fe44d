"""The lead form's actions: each field checked as it is typed, and the finished lead handed to the gateway.

The submit action posts to a loopback stand-in for the gateway's /api/leads
(tests/loopback.py), which can refuse or fail on demand; leads that cannot be
sent wait in an outbox on disk.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from action_trackers import tracker_state
from actions import lead_fields, leads
from actions.actions import LEAD_FORM_SLOTS, ActionSubmitLead, ValidateInvestorLeadForm


class FakeLeadApi:
    """A stand-in for the gateway's POST /api/leads that can be broken on demand."""

    def __init__(self, loopback):
        self.received: list[tuple[dict, dict]] = []
        self.statuses: list[int] = []  # served in order; then 201
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = api.statuses.pop(0) if api.statuses else 201
                if status in (200, 201):
                    api.received.append((body, dict(self.headers)))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.url = loopback(Handler).url + "/api/leads"


@pytest.fixture
def lead_api(loopback):
    return FakeLeadApi(loopback)


def make_outbox(url: str, queue_dir: Path, sleeps: list | None = None) -> leads.LeadOutbox:
    record = sleeps if sleeps is not None else []
    return leads.LeadOutbox(url, "s3cret", queue_dir, timeout_s=2, attempts=3, backoff_s=0.5, sleep=record.append)


LEAD = {
    "company": "杭州示例生物科技有限公司",
    "name": "王先生",
    "phone": "13812345678",
    "industry": "高端医疗器械",
    "need": "场地",
    "sender_id": "u1",
    "extra": {"consent": True},
}


def test_invalid_phone_is_refused_with_the_reason():
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_state("lead_form_phone"))
    events = asyncio.run(
        ValidateInvestorLeadForm().run(
            dispatcher,
            tracker,
            domain={
                "forms": {"investor_lead_form": {"required_slots": list(LEAD_FORM_SLOTS)}},
                "slots": {slot: {} for slot in LEAD_FORM_SLOTS},
            },
        )
    )
    assert SlotSet("phone", None) in events
    [message] = [m for m in dispatcher.messages if not m.get("custom")]  # custom: the form_step mark
    assert message["response"] == "utter_invalid_phone" and "第二位" in message["reason"]


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("我的电话是１３８１２３４５６７８", "13812345678"),
        ("0571-87654321", "0571-87654321"),
        ("01012345678", "010-12345678"),
    ],
)
def test_valid_phone_numbers_are_tidied(typed, stored):
    assert lead_fields.check_phone(typed) == lead_fields.Checked(stored)


@pytest.mark.parametrize("typed", ["1381234567", "12812345678", "87654321", "没有电话", "138123456789"])
def test_invalid_phone_numbers_say_why(typed):
    checked = lead_fields.check_phone(typed)
    assert checked.value is None and checked.reason


@pytest.mark.parametrize(
    "typed, choice",
    [
        ("创新疗治法及CXO", "创新疗治法及CXO"),
        ("我们做CDMO", "创新疗治法及CXO"),
        ("体外诊断试剂", "高端医疗器械"),
        ("化妆品原料", "合成生物(含高端美妆)"),
        ("其他", "其他"),
        ("AI制药平台", "其他：AI制药平台"),
    ],
)
def test_industry_answers_map_to_the_park_sub_tracks(typed, choice):
    assert lead_fields.industry_choice(typed) == choice


def test_submitted_lead_reaches_the_gateway_and_the_form_is_cleared(lead_api, tmp_path):
    leads.use(make_outbox(lead_api.url, tmp_path / "queue"))
    try:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(
            ActionSubmitLead().run(dispatcher, Tracker.from_dict(tracker_state("lead_form_done")), domain={})
        )
    finally:
        leads.use(None)
    [(body, headers)] = lead_api.received
    assert (body["company"], body["name"], body["phone"], body["industry"], body["need"]) == (
        "杭州示例生物科技有限公司",
        "王先生",
        "13812345678",
        "创新疗治法及CXO",
        "场地",
    )
    assert body["extra"]["consent"] is True and body["sender_id"] == "test-lead"
    assert headers["X-Leads-Secret"] == "s3cret"
    assert headers["Idempotency-Key"] == body["idempotency_key"]
    assert dispatcher.messages[0]["response"] == "utter_lead_received"
    assert dispatcher.messages[1]["custom"] == {"lead_stored": True}  # the gateway offers a visit after it
    assert all(SlotSet(slot, None) in events for slot in LEAD_FORM_SLOTS)
    assert not list((tmp_path / "queue").glob("*.json"))


def test_without_consent_nothing_is_sent(lead_api, tmp_path):
    leads.use(make_outbox(lead_api.url, tmp_path / "queue"))
    try:
        dispatcher = CollectingDispatcher()
        state = tracker_state("lead_form_done", consent=False)
        asyncio.run(ActionSubmitLead().run(dispatcher, Tracker.from_dict(state), domain={}))
    finally:
        leads.use(None)
    assert lead_api.received == []
    assert dispatcher.messages[0]["response"] == "utter_lead_not_kept"
    assert not any((m.get("custom") or {}).get("lead_stored") for m in dispatcher.messages)


def test_gateway_errors_are_retried_with_backoff(lead_api, tmp_path):
    lead_api.statuses = [503, 502]
    sleeps: list = []
    box = make_outbox(lead_api.url, tmp_path, sleeps)
    assert box.submit(LEAD) == leads.SENT
    assert len(lead_api.received) == 1
    assert sleeps == [0.5, 1.0]


def test_lead_is_kept_while_the_gateway_is_down_and_sent_later(lead_api, tmp_path):
    down = make_outbox("http://127.0.0.1:9/api/leads", tmp_path)  # nothing listens on port 9
    assert down.submit(LEAD) == leads.QUEUED
    [queued] = down.pending()
    key = json.loads(queued.read_text("utf-8"))["idempotency_key"]

    back_up = make_outbox(lead_api.url, tmp_path)  # e.g. after an action-server restart
    assert back_up.flush() == 1
    assert back_up.pending() == []
    [(body, headers)] = lead_api.received
    assert headers["Idempotency-Key"] == key


def test_a_refused_lead_is_set_aside_not_retried_forever(lead_api, tmp_path):
    lead_api.statuses = [401]
    box = make_outbox(lead_api.url, tmp_path)
    assert box.submit(LEAD) == leads.REJECTED
    assert box.pending() == [] and list((tmp_path / "rejected").glob("*.json"))


def test_the_same_lead_gets_the_same_idempotency_key():
    assert leads.idempotency_key(LEAD) == leads.idempotency_key(dict(LEAD))
    assert leads.idempotency_key(LEAD) != leads.idempotency_key({**LEAD, "phone": "13900000000"})


def test_a_lead_delivered_while_the_queue_is_listed_is_no_longer_pending(tmp_path, monkeypatch):
    """Another thread may deliver (delete) a queued lead between listing the queue and reading the file's
    date; the retry thread once died of it and left the leads behind it unsent."""
    queue = tmp_path / "queue"
    queue.mkdir()
    newer, older = queue / "a.json", queue / "b.json"
    newer.write_text("{}", "utf-8")
    older.write_text("{}", "utf-8")
    os.utime(older, (1_000, 1_000))
    gone = queue / "delivered-meanwhile.json"
    listed = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: [gone, *listed(self, pattern)])
    assert make_outbox("http://127.0.0.1:9", queue).pending() == [older, newer]
