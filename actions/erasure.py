"""Erasing a refused lead form's answers from a conversation's events (PIPL).

The bot promises "没有您的同意，我们不会保存这些信息". Clearing the slots is not
enough to keep it: Rasa keeps every event, so the user messages that answered
the form (text, entities, parse data) and the SlotSets that carried the answers
would stay in the tracker store. `erase_form_answers` returns the events with
those values replaced, and everything else (the conversation's other turns, the
order of actions the policies read) as it was. Plain Python over Rasa's event
dicts: the tracker store (rasa_ext/tracker_store.py) applies it, tests call it.
"""

from __future__ import annotations

import copy

FORM = "investor_lead_form"
FORM_SLOTS = frozenset({"company_name", "contact_person", "phone", "industry", "industry_guess", "needs", "consent"})
# What the tenant typed in free form, which a bot message may repeat (the read-back).
TYPED_SLOTS = frozenset({"company_name", "contact_person", "phone", "needs"})
ERASED = "［已删除］"
# Intents that never fill a form slot (actions/form_turns.py reads them as leaving
# the form): not answers, kept.
NOT_ANSWERS = frozenset({"stop_form", "human_handoff"})
FORGET = "action_forget_lead"
SUBMIT = "action_submit_lead"


def _is(event: dict, kind: str, name: str | None = None) -> bool:
    return event.get("event") == kind and (name is None or event.get("name") == name)


def refused(events: list[dict], since: int = 0) -> bool:
    """Whether events[since:] end a lead form without consent: the form was
    cancelled (action_forget_lead), or submitted while consent was not True."""
    consent = None
    for index, event in enumerate(events):
        if _is(event, "slot", "consent"):
            consent = event.get("value")
        if index < since or not _is(event, "action"):
            continue
        if event.get("name") == FORGET or (event.get("name") == SUBMIT and consent is not True):
            return True
    return False


def _erased_user(event: dict) -> dict:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    erased = {**event, "text": ERASED}
    erased["parse_data"] = {
        "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
        "entities": [],
        "text": ERASED,
        "message_id": parse.get("message_id"),
    }
    return erased


def erase_form_answers(events: list[dict]) -> list[dict]:
    """A copy of `events` without the answers of the latest lead form run.

    From the form's latest activation on: every user message typed while the
    form asked for a slot loses its text and parse data (entities included),
    every SlotSet of a form slot carries None, and a bot message that repeats
    an answer (the read-back before consent) loses its text.
    """
    events = copy.deepcopy(events)
    starts = [i for i, e in enumerate(events) if _is(e, "active_loop", FORM)]
    if not starts:
        return events
    answers = {
        str(e["value"])
        for e in events[starts[-1] :]
        if _is(e, "slot") and e.get("name") in TYPED_SLOTS and isinstance(e.get("value"), str) and e["value"]
    }
    active, requested = None, None
    for index, event in enumerate(events):
        if _is(event, "active_loop"):
            active = event.get("name")
        elif _is(event, "slot", "requested_slot"):
            requested = event.get("value")
        if index < starts[-1]:
            continue
        if _is(event, "slot") and event.get("name") in FORM_SLOTS and event.get("value") is not None:
            event["value"] = None
        elif _is(event, "user") and active == FORM and requested:
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent not in NOT_ANSWERS:
                events[index] = _erased_user(event)
        elif _is(event, "bot") and any(answer in (event.get("text") or "") for answer in answers):
            events[index] = {**event, "text": ERASED}
    return events
