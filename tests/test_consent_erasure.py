"""A refused consent or a cancelled lead form keeps none of its answers (issue 18, PIPL).

The promise is "没有您的同意，我们不会保存这些信息". Checked here without the real
stack: the redaction of a recorded tracker's events (what the tracker store
writes back), the actions' signals to the gateway, an empty lead queue, the
gateway's turn log after a refusal, and log lines free of phone numbers.
tests/e2e/test_consent_erasure.py checks the same through Rasa itself.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import leads
from actions.actions import ActionForgetLead, ActionSubmitLead, ValidateInvestorLeadForm
from actions.erasure import ERASED, erase_form_answers, refused
from appsupport import FakeDialogue, rows
from bot.logs import KeyValueFormatter, PersonalDataFilter
from bot.models import Turn

TRACKERS = Path(__file__).parent / "fixtures" / "trackers"
PERSONAL = ("13812345678", "138 1234 5678", "138 1234 567", "王先生", "杭州示例生物科技有限公司", "0571-87654321")


def recorded() -> list[dict]:
    return json.loads((TRACKERS / "lead_form_refused_events.json").read_text("utf-8"))


# --- the tracker's events ---------------------------------------------------------


def test_redaction_removes_every_answer_and_keeps_the_rest_of_the_conversation():
    before = recorded()
    assert all(any(p in json.dumps(before, ensure_ascii=False) for p in [secret]) for secret in PERSONAL)
    after = erase_form_answers(before)
    dumped = json.dumps(after, ensure_ascii=False)
    for secret in PERSONAL:
        assert secret not in dumped
    assert not re.search(r"1[3-9]\d{9}", dumped.replace(" ", ""))
    # the story is the same: same events, same actions and intents, other turns untouched
    assert [(e["event"], e.get("name")) for e in after] == [(e["event"], e.get("name")) for e in before]
    intents = [e["parse_data"]["intent"]["name"] for e in after if e["event"] == "user"]
    assert intents == [e["parse_data"]["intent"]["name"] for e in before if e["event"] == "user"]
    users = [e["text"] for e in after if e["event"] == "user"]
    assert users[:2] == ["园区在哪里？", "我们公司想入驻园区"]
    assert set(users[2:]) == {ERASED}
    assert all(e["parse_data"]["entities"] == [] for e in after if e["event"] == "user" and e["text"] == ERASED)
    assert erase_form_answers(after) == after  # idempotent: a repeated save changes nothing


def test_the_read_back_before_consent_is_erased_with_the_answers():
    """The bot repeats the answers before asking for consent (issue 16); that message goes too."""
    events = recorded()
    read_back = {
        "event": "bot",
        "text": "请核对您的信息：\n公司：杭州示例生物科技有限公司\n联系人：王先生\n电话：13812345678",
        "data": {"buttons": [{"title": "同意", "payload": "/affirm"}]},
    }
    before_form = {"event": "bot", "text": "杭州生物科技谷位于杭州临空经济示范区机场西侧", "data": {}}
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    events = [before_form] + events[:last_user] + [read_back] + events[last_user:]
    after = erase_form_answers(events)
    assert after[0] == before_form  # before the form: untouched
    [erased] = [e for e in after if e["event"] == "bot" and e.get("data") == read_back["data"]]
    assert erased["text"] == ERASED
    assert sum(e.get("text") == ERASED for e in after if e["event"] == "bot") == 1  # no other bot message


def test_redaction_keeps_a_stop_request_and_everything_before_the_form():
    events = recorded()[:40]
    stop = {"event": "user", "text": "算了", "parse_data": {"intent": {"name": "stop_form"}, "entities": []}}
    after = erase_form_answers(events + [stop])
    assert after[-1] == stop
    assert erase_form_answers(recorded()[:18]) == recorded()[:18]  # no answer yet: nothing to do


def test_a_refused_or_cancelled_form_is_recognised_and_a_consented_one_is_not():
    events = recorded()
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    assert refused(events, since=last_user)
    consented = [
        dict(e, value=True) if e["event"] == "slot" and e["name"] == "consent" and e["value"] is False else e
        for e in events
    ]
    assert not refused(consented, since=last_user)
    assert refused([{"event": "action", "name": "action_forget_lead"}])
    assert not refused(events[:last_user], since=0)  # before the consent answer


# --- the actions ------------------------------------------------------------------


def tracker(slots: dict, active: bool = True) -> Tracker:
    return Tracker(
        "u1",
        slots,
        {"text": "x", "intent": {"name": "inform"}},
        [],
        False,
        None,
        {"name": "investor_lead_form"} if active else {},
        "action_listen",
    )


def custom(dispatcher) -> dict:
    merged = {}
    for message in dispatcher.messages:
        merged.update(message.get("custom") or {})
    return merged


def test_refused_consent_queues_nothing_and_tells_the_gateway_to_erase(tmp_path):
    queue = tmp_path / "queue"
    submitted = []

    class Box(leads.LeadOutbox):
        def submit(self, lead):
            submitted.append(lead)
            return super().submit(lead)

    leads.use(Box("http://127.0.0.1:9/api/leads", "s", queue, timeout_s=0.2, attempts=1))
    try:
        dispatcher = CollectingDispatcher()
        asyncio.run(
            ActionSubmitLead().run(
                dispatcher,
                tracker(
                    {
                        "company_name": "杭州示例生物科技有限公司",
                        "contact_person": "王先生",
                        "phone": "13812345678",
                        "consent": False,
                    }
                ),
                domain={},
            )
        )
    finally:
        leads.use(None)
    assert submitted == [] and not queue.exists()
    assert custom(dispatcher) == {"form_erased": True}
    assert dispatcher.messages[0]["response"] == "utter_lead_not_kept"


def test_a_cancelled_form_tells_the_gateway_to_erase():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionForgetLead().run(dispatcher, tracker({}), domain={}))
    assert custom(dispatcher) == {"form_erased": True}


def test_each_form_answer_is_marked_as_a_form_step():
    domain = {
        "forms": {"investor_lead_form": {"required_slots": ["company_name"]}},
        "slots": {"company_name": {}, "requested_slot": {}},
    }
    dispatcher = CollectingDispatcher()
    asyncio.run(ValidateInvestorLeadForm().run(dispatcher, tracker({"requested_slot": "company_name"}), domain))
    assert custom(dispatcher) == {"form_step": True}
    dispatcher = CollectingDispatcher()
    asyncio.run(ValidateInvestorLeadForm().run(dispatcher, tracker({"requested_slot": None}), domain))
    assert custom(dispatcher) == {}  # the form's activation is not an answer


# --- the gateway's turn log ----------------------------------------------------------


class ScriptedDialogue(FakeDialogue):
    """Answers each message with the next scripted meta, as the actions would."""

    def __init__(self, metas):
        super().__init__()
        self.metas = list(metas)

    def answer(self, sender_id, message):
        return [{"text": "好的", "buttons": [], "sources": []}], {"sources": [], **self.metas.pop(0)}


ANSWERED = {"outcome": "answered", "intent": "ask_location"}
STEP = {"form_step": True}


def converse(client, sender, messages):
    for message in messages:
        response = client.post("/api/chat", json={"sender_id": sender, "message": message})
        assert response.status_code == 200
        assert set(response.get_json()) >= {"sender_id", "replies"}


def test_after_a_refused_consent_the_turn_log_holds_no_phone_number(app, client):
    app.extensions["dialogue"] = ScriptedDialogue(
        [ANSWERED, {}, STEP, STEP, STEP, STEP, STEP, {"form_step": True, "form_erased": True}, ANSWERED]
    )
    converse(
        client,
        "u1",
        [
            "园区在哪里？",
            "我们公司想入驻园区",
            "杭州示例生物科技有限公司",
            "王先生",
            "我的电话是 138 1234 5678",
            "合成生物",
            "场地",
            "不同意",
            "有什么政策？",
        ],
    )
    texts = [t.user_text for t in rows(app, Turn)]
    assert texts == ["园区在哪里？", "我们公司想入驻园区"] + [ERASED] * 6 + ["有什么政策？"]
    # the replies to the steps too: the last one read the answers back before consent
    assert [t.reply for t in rows(app, Turn)] == ["好的", "好的"] + [ERASED] * 6 + ["好的"]


def test_a_cancelled_form_masks_its_answers_but_not_an_earlier_consented_one(app, client):
    app.extensions["dialogue"] = ScriptedDialogue([STEP, STEP, {}, {}, STEP, STEP, {"form_erased": True}])
    converse(
        client,
        "u1",
        ["老公司", "13900001111", "/affirm 之后的问题", "我们公司想入驻园区", "新公司", "13812345678", "算了"],
    )
    texts = [t.user_text for t in rows(app, Turn)]
    assert texts == ["老公司", "13900001111", "/affirm 之后的问题", "我们公司想入驻园区", ERASED, ERASED, "算了"]


# --- the gateway's log -------------------------------------------------------------------


def test_log_lines_carry_no_phone_number(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter("%(levelname)s %(message)s"))
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("test.consent")
    logger.addHandler(handler)
    try:
        logger.warning("typed %s", "138 1234 5678", extra={"text": "电话+86-13812345678，座机0571-87654321"})
        try:
            raise ValueError("INSERT ... ('我的电话是13812345678')")
        except ValueError:
            logger.exception("could not log the turn")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert "[phone]" in line
    assert not re.search(r"\d{7,}", line.replace(" ", "").replace("-", "")), line
    assert app.extensions["db_engine"].hide_parameters  # SQL errors never quote chat text
