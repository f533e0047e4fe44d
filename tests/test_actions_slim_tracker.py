"""The actions do the same on the tracker Rasa now sends them (rasa_ext/action_tracker.py).

Rasa leaves out earlier turns' message bodies (a user message's parse data, a bot message's
custom payload) from the tracker it sends with each action call. Here every action that
reads the conversation runs through rasa-sdk's executor, as the action server runs it, on a
long session of realistic events, once with every field and once slimmed: every action the
action server registers must give the same replies and events, the session-length flag
(counted from the events) included.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions import knowledge_client, session
from knowledge import Answer
from rasa_ext.action_tracker import slim_events

DOMAIN = yaml.safe_load(Path("domain.yml").read_text("utf-8"))


def parse(text: str, intent: str) -> dict:
    ranking = [{"name": intent, "confidence": 0.9}, {"name": "ask_policy", "confidence": 0.06}]
    return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": [], "message_id": "m"}


def turn(text: str, intent: str) -> list[dict]:
    """One earlier park question as Rasa stores it: the message, its answer with the gateway's payload."""
    return [
        {"event": "user", "text": text, "parse_data": parse(text, intent), "input_channel": "rest", "timestamp": 1.0},
        {"event": "user_featurization", "use_text_for_featurization": False},
        {"event": "action", "name": "action_answer_from_knowledge", "policy": "RulePolicy", "confidence": 1.0},
        {"event": "bot", "text": "园区位于杭州临空经济示范区。", "data": {"custom": {"passages": ["…" * 200]}}},
        {"event": "slot", "name": "topic", "value": "位置"},
        {"event": "slot", "name": "knowledge_result", "value": "answered"},
        {"event": "action", "name": "action_listen"},
    ]


def state(history: list[dict], text: str, intent: str, *, form: bool = False, **slots) -> dict:
    latest = parse(text, intent)
    events = [{"event": "session_started"}, *history, {"event": "user", "text": text, "parse_data": latest}]
    if form:
        events += [{"event": "slot", "name": "phone", "value": text}]
    return {
        "sender_id": "t",
        "slots": {"language": "zh", "topic": "位置", "requested_slot": "phone" if form else None, **slots},
        "latest_message": latest,
        "events": events,
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": "investor_lead_form"} if form else {},
        "latest_action_name": "action_listen",
    }


class FixedKnowledge:
    def ask(self, query: str) -> Answer:
        return Answer(text=f"答：{query}", sources=[], confidence=0.9, abstained=False)


@pytest.fixture(scope="module")
def executor():
    knowledge_client.use(FixedKnowledge())
    executor = ActionExecutor()
    executor.register_package("actions")
    yield executor
    knowledge_client.use(None)


def run(executor: ActionExecutor, name: str, tracker: dict) -> dict:
    body = {"next_action": name, "sender_id": "t", "tracker": copy.deepcopy(tracker), "domain": DOMAIN}
    return asyncio.run(executor.run(body)).model_dump()


LONG = [e for i in range(session.DEFAULT_MAX_TURNS - 1) for e in turn(f"问题{i}", "ask_location")]
CASES = {
    "park question closing a long session": state(LONG, "园区在哪里？", "ask_location"),
    "English question": state(LONG[:14], "Where is the park?", "ask_location"),
    "button payload": state(LONG[:7], "/ask_industries", "ask_industries"),
    "phone typed into the lead form": state(LONG[:14], "13812345678", "nlu_fallback", form=True),
    "question inside the lead form": state(LONG[:14], "有哪些政策？", "ask_policy", form=True),
}


def registered_actions() -> list[str]:
    """Every action the action server serves (none of the cases gives consent, so no lead is sent)."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return sorted(executor.actions)


ACTIONS = registered_actions()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_does_the_same_on_the_slim_tracker(executor, case, action):
    full = CASES[case]
    slim = {**full, "events": slim_events(full["events"])}
    assert len(slim["events"]) == len(full["events"])
    assert sum(len(str(e)) for e in slim["events"]) < sum(len(str(e)) for e in full["events"])  # it is slimmer
    assert run(executor, action, slim) == run(executor, action, full)


def test_the_long_session_is_due_to_end_on_both(executor):
    full = CASES["park question closing a long session"]
    for tracker in (full, {**full, "events": slim_events(full["events"])}):
        custom = [
            r["custom"] for r in run(executor, "action_answer_from_knowledge", tracker)["responses"] if r.get("custom")
        ]
        assert custom and custom[-1].get("end_session") is True


def test_only_earlier_message_bodies_are_left_out():
    events = CASES["phone typed into the lead form"]["events"]
    slim = slim_events(events)
    latest = max(i for i, e in enumerate(events) if e["event"] == "user")
    assert slim[latest:] == events[latest:]
    for before, after in zip(events[:latest], slim[:latest]):
        dropped = set(before) - set(after)
        assert dropped <= {"parse_data"} if before["event"] == "user" else dropped <= {"data"}
        assert {k: v for k, v in before.items() if k not in dropped} == after
