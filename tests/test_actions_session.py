"""Session length and handoff pause: the action-side hooks that keep turns fast and let staff take over."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import session
from actions.actions import ActionPauseForStaff, ActionSessionStart

from action_trackers import meta, run_action, tracker_state


def turn_events(turns: int) -> list[dict]:
    events = []
    for _ in range(turns):
        events += [
            {"event": "user", "text": "园区在哪里？"},
            {"event": "action", "name": "action_answer_from_knowledge"},
            {"event": "bot", "text": "…"},
            {"event": "action", "name": "action_listen"},
        ]
    return events


def test_turns_are_counted_from_the_latest_session_start():
    events = turn_events(7) + [{"event": "session_started"}] + turn_events(3)
    assert session.turns_in_session(events) == 3


def test_a_long_session_asks_for_a_new_one_but_never_inside_a_form(monkeypatch):
    monkeypatch.setenv("SESSION_MAX_TURNS", "5")
    assert not session.should_end(turn_events(4), None)
    assert session.should_end(turn_events(5), None)
    assert not session.should_end(turn_events(50), "investor_lead_form")


def test_knowledge_answer_carries_the_end_session_flag_only_when_due(monkeypatch, kb_in_actions):
    monkeypatch.setenv("SESSION_MAX_TURNS", "3")
    short = tracker_state("location_question")
    short["events"] = turn_events(1)
    messages, _ = run_action(short)
    assert "end_session" not in meta(messages)

    long = tracker_state("location_question")
    long["events"] = turn_events(3)
    messages, _ = run_action(long)
    assert meta(messages)["end_session"] is True


def test_session_start_carries_each_current_slot_value_once():
    state = tracker_state("location_question", topic="CXO", industry="CXO", knowledge_result="answered")
    state["slots"]["requested_slot"] = None
    # Rasa's default would replay all of these; only the current values matter.
    state["events"] = [{"event": "slot", "name": "topic", "value": t} for t in ("位置", "政策", "CXO")]
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), Tracker.from_dict(state), domain={}))
    assert events[0]["event"] == "session_started"
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried == {"language": "zh", "topic": "CXO", "industry": "CXO"}  # no turn-scoped knowledge_result, no None
    assert len([e for e in events if e["event"] == "slot"]) == 3


def test_handoff_pauses_the_conversation():
    events = asyncio.run(
        ActionPauseForStaff().run(
            CollectingDispatcher(), Tracker.from_dict(tracker_state("location_question")), domain={}
        )
    )
    assert [e["event"] for e in events] == ["pause"]
