"""English-speaking tenants get English templates: the language slot and the domain's English variants."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import language
from actions.actions import ActionDetectLanguage

TRACKERS = Path(__file__).parent / "fixtures" / "trackers"
DOMAIN = yaml.safe_load(Path("domain.yml").read_text("utf-8"))
EN_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Every response needs an English variant, except these: their {reason} is
# written in Chinese by actions/lead_fields.py.
WITHOUT_ENGLISH = {"utter_invalid_lead_field", "utter_invalid_phone"}
# What a tenant gets right after a question, and what its buttons lead to.
MUST_BE_ENGLISH = {
    "utter_no_knowledge",
    "utter_out_of_scope",
    "utter_greet",
    "utter_ask_topic",
    "utter_chitchat",
    "utter_default",
    "utter_handoff",
    "utter_settlement",
}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("What's the weather like today?", "en"),
        ("hello", "en"),
        ("Ｗｈｅｒｅ is the park", "en"),  # full-width letters
        ("园区在哪里？", "zh"),
        ("CXO企业有什么政策", "zh"),  # a Latin word among Chinese is still Chinese
        ("Is there a 基金 for startups?", "zh"),
        ("13800000000", None),  # a phone number says nothing
        ("👍", None),
        ("", None),
        (None, None),
        ("/human_handoff", None),  # a button's payload
        ('/inform{"industry": "CXO"}', None),
    ],
)
def test_detect(text, expected):
    assert language.detect(text) == expected


def _run(text: str, slot: str | None = "zh", active_loop: str | None = None) -> list[dict]:
    state = json.loads((TRACKERS / "weather_fallback.json").read_text("utf-8"))
    state["latest_message"]["text"] = text
    state["slots"]["language"] = slot
    state["active_loop"] = {"name": active_loop} if active_loop else {}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionDetectLanguage().run(dispatcher, Tracker.from_dict(copy.deepcopy(state)), domain={}))
    assert dispatcher.messages == []  # it only sets the slot
    return events


def test_an_english_message_sets_the_language_to_english():
    assert _run("What's the weather like today?") == [SlotSet("language", "en")]


def test_a_chinese_message_switches_back_to_chinese():
    assert _run("今天天气怎么样", slot="en") == [SlotSet("language", "zh")]


def test_no_event_when_the_language_is_unchanged_or_unknown():
    assert _run("今天天气怎么样", slot="zh") == []
    assert _run("/human_handoff", slot="en") == []  # tapping an English button stays English
    assert _run("13800000000", slot="en") == []


def test_answers_typed_into_the_lead_form_do_not_switch_language():
    assert _run("杭州某某生物科技有限公司", slot="en", active_loop="investor_lead_form") == []
    assert _run("高端医疗器械", slot="en", active_loop="investor_lead_form") == []


# --- domain.yml ----------------------------------------------------------------


def test_language_slot_is_filled_by_the_detect_action_unless_the_knowledge_action_answers():
    slot = DOMAIN["slots"]["language"]
    assert slot["type"] == "categorical" and set(slot["values"]) == {"zh", "en"}
    assert slot["initial_value"] == "zh" and slot["influence_conversation"] is False
    # which intents are left to the knowledge action: tests/test_turn_contract.py
    assert [{k: v for k, v in m.items() if k != "not_intent"} for m in slot["mappings"]] == [
        {"type": "custom", "action": "action_detect_language"}
    ]
    assert "action_detect_language" in DOMAIN["actions"]


def _variants(name: str) -> tuple[list[dict], list[dict]]:
    variants = DOMAIN["responses"][name]
    chinese = [v for v in variants if not v.get("condition")]
    english = [v for v in variants if v.get("condition") == EN_CONDITION]
    assert len(chinese) + len(english) == len(variants), f"{name}: a variant with another condition"
    return chinese, english


def _outside_brackets(text: str) -> str:
    """What is left once park names in brackets, e.g. (杭州生物科技谷), are taken out."""
    return re.sub(r"\([^()]*\)", "", text)


def test_the_responses_a_tenant_gets_after_a_question_are_listed():
    assert MUST_BE_ENGLISH <= set(DOMAIN["responses"]) - WITHOUT_ENGLISH


@pytest.mark.parametrize("name", sorted(set(DOMAIN["responses"]) - WITHOUT_ENGLISH))
def test_each_chinese_variant_has_an_english_one_with_the_same_buttons_and_payload(name):
    chinese, english = _variants(name)
    assert chinese, f"{name}: no default (Chinese) variant"
    assert len(english) == len(chinese), f"{name}: {len(chinese)} Chinese variants, {len(english)} English"
    for zh, en in zip(chinese, english):
        assert [b["payload"] for b in en.get("buttons", [])] == [b["payload"] for b in zh.get("buttons", [])]
        assert en.get("custom") == zh.get("custom"), f"{name}: the custom payload differs"
        assert set(en) - {"condition"} == set(zh), f"{name}: the variants carry different keys"
        for shown in [en["text"], *(b["title"] for b in en.get("buttons", []))]:
            assert not CJK.search(_outside_brackets(shown)), f"{name}: Chinese outside brackets in {shown!r}"
            assert re.search(r"[A-Za-z]{3}", shown), f"{name}: {shown!r} is not English"
