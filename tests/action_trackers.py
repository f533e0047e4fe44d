"""Run a custom action as the action server would, on a tracker read from tests/fixtures/trackers.

Shared by the tests/test_actions_*.py files: each JSON fixture is one
conversation state, changed per test where a case needs it.
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerFromKnowledge

TRACKERS = Path(__file__).parent / "fixtures" / "trackers"


def tracker_state(name: str, **changes) -> dict:
    state = json.loads((TRACKERS / f"{name}.json").read_text("utf-8"))
    for key, value in changes.items():
        if key in ("text", "intent"):
            message = state["latest_message"]
            if key == "text":
                message["text"] = value
            else:
                name_, confidence = value
                message["intent"] = {"name": name_, "confidence": confidence}
                message["intent_ranking"] = [dict(message["intent"])]
        else:
            state["slots"][key] = value
    return state


def run_action(state: dict, domain: dict | None = None) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(copy.deepcopy(state))
    events = asyncio.run(ActionAnswerFromKnowledge().run(dispatcher, tracker, domain=domain or {}))
    return dispatcher.messages, events


def said(messages: list[dict]) -> list[str]:
    """What the user reads; custom-only messages are meta for the gateway."""
    return [m["text"] for m in messages if m.get("text")]


def meta(messages: list[dict]) -> dict:
    merged = {}
    for m in messages:
        merged.update(m.get("custom") or {})
    return merged
