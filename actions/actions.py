"""Custom actions. Each is a thin adapter between Rasa and a plain module."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import turn_contract as contract

from . import knowledge_client, language, lead_fields, leads, outcome, session, topics

log = logging.getLogger(__name__)


class ActionAnswerFromKnowledge(Action):
    """Answer a park question from the knowledge base, with its sources.

    The reply text is the knowledge base's extractive answer; the sources go
    in the custom payload that follows it, which the gateway attaches to the
    reply. When there is no answer, the action says nothing to the user: it
    reports why in the `knowledge_result` slot and the rules choose the
    message. Either way a custom payload carries the turn's outcome,
    retrieval confidence and passages for the gateway's log.
    """

    def name(self) -> str:
        return "action_answer_from_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent, confidence = outcome.understood_intent(message)
        text = message.get("text") or ""
        if (message.get("intent") or {}).get("name") in outcome.OFF_TOPIC:
            question = topics.Question(text, tracker.get_slot("topic"))
        else:
            # An unsure guess does not make a message a follow-up of the earlier
            # topic (How do I reset my password? as ask_follow_up at 0.35 would be
            # searched as a location question); its own words and pointers back
            # (这个, 还有呢) still do.
            sure = intent if confidence >= outcome.SURE_INTENT_CONFIDENCE else None
            question = topics.resolve(text, sure, tracker.get_slot("topic"))
        if question.needs_topic:
            return [SlotSet("knowledge_result", outcome.NEED_TOPIC)]

        answer = await asyncio.to_thread(knowledge_client.ask, question.query)
        result = outcome.decide(answer.abstained, intent, outcome.park_question_confidence(message), answer.related)
        payload = outcome.turn_payload(result, answer, intent)
        if session.should_end(tracker.events, tracker.active_loop.get("name")):
            payload[contract.END_SESSION] = True
        if result == outcome.ANSWERED:
            dispatcher.utter_message(text=answer.text, json_message=payload)
        else:
            dispatcher.utter_message(json_message=payload)
        return [SlotSet("topic", question.topic), SlotSet("knowledge_result", result)]


class ActionDetectLanguage(Action):
    """Set the `language` slot from the tenant's latest message.

    Named as the slot's custom mapping in domain.yml, so Rasa's
    action_extract_slots runs it after every user message, before the next
    action is predicted: rule-triggered responses (utter_greet right after
    hello) already see the slot, and the responses' language conditions pick
    the English variant. A message that does not tell (a button payload, a
    phone number) leaves the slot as it was, and so does anything typed into
    the lead form: a Chinese company name or a tapped industry button is an
    answer, not a switch of language.
    """

    def name(self) -> str:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if tracker.active_loop_name:
            return []
        detected = language.detect((tracker.latest_message or {}).get("text"))
        if detected is None or detected == tracker.get_slot("language"):
            return []
        return [SlotSet("language", detected)]


LEAD_FORM_SLOTS = ("company_name", "contact_person", "phone", "industry", "needs", "consent")
# Custom payloads for the gateway's turn log (turn_contract META_KEYS). `form_erased`:
# this turn cancelled the form or refused consent, so the gateway masks the form's
# turns; the tracker store erases the same answers itself (rasa_ext/tracker_store.py).
FORM_STEP = {contract.FORM_STEP: True}
FORM_ERASED = {contract.FORM_ERASED: True}


class ValidateInvestorLeadForm(FormValidationAction):
    """Check each lead-form answer; a refused one is asked again with the reason.

    Every answer's turn is marked `form_step` for the gateway (a custom payload
    the tenant never sees): it keeps such turns out of its logs and erases them
    from its turn log if consent is refused.
    """

    def name(self) -> str:
        return "validate_investor_lead_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        if tracker.get_slot("requested_slot"):  # an answer, not the form's activation
            dispatcher.utter_message(json_message=FORM_STEP)
        return events

    @staticmethod
    def _checked(checked: lead_fields.Checked, slot: str, dispatcher: CollectingDispatcher) -> dict:
        if checked.value is None:
            dispatcher.utter_message(response="utter_invalid_lead_field", reason=checked.reason)
        return {slot: checked.value}

    def validate_company_name(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict:
        return self._checked(lead_fields.check_company(str(value or "")), "company_name", dispatcher)

    def validate_contact_person(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict:
        return self._checked(lead_fields.check_person(str(value or "")), "contact_person", dispatcher)

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: DomainDict) -> dict:
        checked = lead_fields.check_phone(str(value or ""))
        if checked.value is None:
            dispatcher.utter_message(response="utter_invalid_phone", reason=checked.reason)
        return {"phone": checked.value}

    def validate_industry(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict:
        return {"industry": lead_fields.industry_choice(str(value or ""))}

    def validate_needs(self, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: DomainDict) -> dict:
        return {"needs": lead_fields.check_needs(str(value or "")).value}


class ActionSubmitLead(Action):
    """Hand a completed lead form to the outbox, or drop it without consent (PIPL)."""

    def name(self) -> str:
        return "action_submit_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        forget = [SlotSet(slot, None) for slot in LEAD_FORM_SLOTS]
        if tracker.get_slot("consent") is not True:
            # Nothing reaches the outbox; the answers are erased from every store.
            dispatcher.utter_message(response="utter_lead_not_kept")
            dispatcher.utter_message(json_message=FORM_ERASED)
            return forget
        lead = {
            "company": tracker.get_slot("company_name"),
            "name": tracker.get_slot("contact_person"),
            "phone": tracker.get_slot("phone"),
            "industry": tracker.get_slot("industry") or "",
            "need": tracker.get_slot("needs") or "",
            "sender_id": tracker.sender_id,
            "extra": {"consent": True, "topic": tracker.get_slot("topic")},
        }
        status = await asyncio.to_thread(leads.outbox().submit, lead)
        log.info("lead form submitted", extra={"delivery": status})
        dispatcher.utter_message(response="utter_lead_received")
        return forget


class ActionForgetLead(Action):
    """Clear a lead form left half-way, so nothing typed lingers or is reused,
    and have its answers erased from the tracker store and the gateway's turns."""

    def name(self) -> str:
        return "action_forget_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(json_message=FORM_ERASED)
        return [SlotSet(slot, None) for slot in LEAD_FORM_SLOTS]


class ActionPauseForStaff(Action):
    """Pause the bot after a handoff, so Rasa itself stays quiet while a person talks.

    The gateway holds the conversation too (it does not forward messages
    while a handoff is open); the pause makes the tracker say so as well, for
    every Rasa server and channel. Staff release resumes it (bot/dialogue.py).
    """

    def name(self) -> str:
        return "action_pause_for_staff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        return [ConversationPaused()]


class ActionSessionStart(Action):
    """Start a session carrying each slot's current value once (see actions/session.py)."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        carried = [SlotSet(name, value) for name, value in session.carried_slots(tracker.slots).items()]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
