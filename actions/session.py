"""When a conversation has grown long enough to start a new Rasa session.

Rasa's work per message grows with the events of the current session: the
tracker store loads them, the policies walk them and every one of them is
sent to this server with every action call (rasa_ext/action_tracker.py).
Sessions end only after an hour of silence (domain.yml), so a visitor who
keeps talking would slow down turn by turn. After SESSION_MAX_TURNS user messages the knowledge action asks the
gateway to start a new session through Rasa's own `/session_start`; slots
(the topic) carry over, and nothing that steers a form is cut, because the
knowledge action never runs inside one.
"""

from __future__ import annotations

import os

DEFAULT_MAX_TURNS = 25


def max_turns() -> int:
    try:
        return max(2, int(os.environ.get("SESSION_MAX_TURNS", DEFAULT_MAX_TURNS)))
    except ValueError:
        return DEFAULT_MAX_TURNS


def turns_in_session(events: list[dict]) -> int:
    """User messages since the latest session start."""
    turns = 0
    for event in reversed(events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "user":
            turns += 1
    return turns


# Slots that describe one turn, not the visitor: a new session starts without them.
TURN_SLOTS = frozenset({"requested_slot", "knowledge_result", "session_started_metadata"})


def carried_slots(slots: dict) -> dict:
    """The slot values a new session starts with: each slot's current value, once.

    Rasa's own action_session_start replays every SlotSet event of the old
    session, carried-over ones included, so each session would start longer
    than the one before and the per-turn cost would creep up again.
    """
    return {name: value for name, value in slots.items() if value is not None and name not in TURN_SLOTS}


def should_end(events: list[dict], active_loop: str | None) -> bool:
    return active_loop is None and turns_in_session(events) >= max_turns()
