"""A greeting button and its typed title reach the same answer (issue 16: 产业方向).

The buttons are read from domain.yml (both language variants of utter_greet),
so a new or renamed button is covered without touching this test. Buttons
whose intent goes to the knowledge base (data/rules/knowledge.yml) are run
through action_answer_from_knowledge over the real index, once as the payload
and once as the typed title; the rest (我想入驻) go through the running stack in
tests/e2e/test_form_listens.py, where the typed title meets the real classifier.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge_client
from actions.actions import ActionAnswerFromKnowledge

DOMAIN = yaml.safe_load(Path("domain.yml").read_text("utf-8"))
KNOWLEDGE_RULE = yaml.safe_load(Path("data/rules/knowledge.yml").read_text("utf-8"))["rules"][0]
KNOWLEDGE_INTENTS = {step["intent"] for step in KNOWLEDGE_RULE["steps"][0]["or"]}


def greeting_buttons() -> list[tuple[str, str, str]]:
    """(language, title, payload) of every button of every utter_greet variant."""
    buttons = []
    for variant in DOMAIN["responses"]["utter_greet"]:
        language = (variant.get("condition") or [{}])[0].get("value", "zh")
        buttons += [(language, b["title"], b["payload"]) for b in variant["buttons"]]
    return buttons


BUTTONS = greeting_buttons()
ASKED = [b for b in BUTTONS if b[2].lstrip("/") in KNOWLEDGE_INTENTS]


def run(text: str, intent: str, language: str) -> tuple[list[str], list[dict]]:
    state = {
        "sender_id": "parity",
        "slots": {"language": language, "topic": None},
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "intent_ranking": [{"name": intent, "confidence": 0.95}],
            "entities": [],
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    dispatcher = CollectingDispatcher()
    events = asyncio.run(
        ActionAnswerFromKnowledge().run(dispatcher, Tracker.from_dict(copy.deepcopy(state)), copy.deepcopy(DOMAIN))
    )
    return [m["text"] for m in dispatcher.messages if m.get("text")], events


@pytest.fixture(autouse=True)
def real_knowledge_base(kb):
    knowledge_client.use(kb)
    yield
    knowledge_client.use(None)


def test_every_greeting_button_is_covered():
    assert len(BUTTONS) >= 12 and {language for language, _, _ in BUTTONS} == {"zh", "en"}
    assert len(ASKED) >= 10, ASKED


@pytest.mark.parametrize("language, title, payload", ASKED, ids=[f"{b[0]}-{b[1]}" for b in ASKED])
def test_a_button_and_its_typed_title_give_the_same_answer(language, title, payload):
    intent = payload.lstrip("/")
    tapped, tapped_events = run(payload, intent, language)
    typed, typed_events = run(title, intent, language)
    assert tapped == typed
    assert tapped_events == typed_events


def test_the_industries_button_gives_the_three_sub_tracks():
    said, _ = run("/ask_industries", "ask_industries", "zh")
    assert "创新疗治法及CXO" in said[0] and "高端医疗器械" in said[0] and "合成生物" in said[0]
