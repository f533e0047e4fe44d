"""The tracker sent to the action server without the bodies of earlier messages.

Why it exists: Rasa 3.6 sends every event of the session with every action call, two per
park question. Measured in the tracker store after `make bench` load, 70% of those bytes
are two fields of earlier turns: a bot message's `data` (the custom payload with the
answer's passages and sources for the gateway, ~2.1 KB) and a user message's `parse_data`
(the whole intent ranking, ~0.9 KB). Profiled (ops/profiles/), encoding and writing the
calls was ~9% of the Rasa server's loop, and parsing them most of the action server's
JSON work.

What the action server reads of earlier events: rasa-sdk uses their type, name, value,
timestamp and input channel (`Tracker.slots_to_validate`, `get_last_event_for`,
`applied_events`, `get_latest_input_channel`); our actions count user messages
(`actions/session.py`). The message itself is `latest_message`, and the latest user
message and everything after it are sent whole. So events before the latest user message
go without `parse_data` (user) and `data` (bot); every event is still there, in order, with
every other field. `tests/test_actions_slim_tracker.py` runs the actions on both forms.
`rasa_ext.launch` installs it before Rasa starts; it works on the JSON Rasa has built.
"""

from __future__ import annotations

from typing import Any

# event type -> the field its earlier occurrences are sent without
BODIES = {"user": "parse_data", "bot": "data"}

_original: dict[str, Any] = {}


def slim_events(events: list[dict]) -> list[dict]:
    """The events, those before the latest user message without their message bodies."""
    latest_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    slim = []
    for i, event in enumerate(events):
        body = BODIES.get(event.get("event")) if i < latest_user else None
        slim.append({k: v for k, v in event.items() if k != body} if body in event else event)
    return slim


def action_call_format(self, tracker, domain) -> dict[str, Any]:
    """RemoteAction._action_call_format, with the tracker's earlier message bodies left out."""
    body = _original["_action_call_format"](self, tracker, domain)
    state = body.get("tracker")
    if isinstance(state, dict) and isinstance(state.get("events"), list):
        body["tracker"] = {**state, "events": slim_events(state["events"])}
    return body


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    if _original:
        return
    _original["_action_call_format"] = RemoteAction._action_call_format
    RemoteAction._action_call_format = action_call_format
