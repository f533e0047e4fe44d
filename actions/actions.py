"""Custom actions. Each is a thin adapter between Rasa and a plain module."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import turn_contract as contract

from . import buttons, follow_ups, form_turns, knowledge_client, language, leads, outcome, responses, session, topics

# The lead form's validation and questions live in lead_form; imported here so
# `from actions.actions import ValidateInvestorLeadForm` keeps working.
from .lead_form import FORM_STEP
from .lead_form import ActionAskConsent, ActionAskIndustry, ActionFormAside  # noqa: F401
from .lead_form import ValidateInvestorLeadForm  # noqa: F401

log = logging.getLogger(__name__)

RESPONSE_PREFIX = "utter_"  # Rasa names every domain response so; any other step is an action


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

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent, confidence = outcome.understood_intent(message)
        text = message.get("text") or ""
        in_form = bool(tracker.active_loop_name)
        # The slot mapping leaves the language of the messages this action answers to it
        # (domain.yml, slot `language`): one call to the action server, not two. In the
        # lead form this action only runs for a question the form stepped aside for, and
        # a question, unlike an answer to the form, does switch the language.
        switched = language.switch(text, tracker.get_slot("language"))
        spoken = switched or tracker.get_slot("language")
        if text.startswith("/"):
            # A tapped button is asked as its title, exactly as if it had been typed.
            text = buttons.title_for(text, spoken, domain) or text
        if (message.get("intent") or {}).get("name") in outcome.OFF_TOPIC:
            question = topics.Question(text, tracker.get_slot("topic"))
        else:
            # An unsure guess does not make a message a follow-up of the earlier
            # topic (How do I reset my password? as ask_follow_up at 0.35 would be
            # searched as a location question); its own words and pointers back
            # (这个, 还有呢) still do.
            sure = intent if confidence >= outcome.SURE_INTENT_CONFIDENCE else None
            question = topics.resolve(text, sure, tracker.get_slot("topic"))
        language_events = [SlotSet("language", switched)] if switched else []
        if question.needs_topic and not in_form:
            return [*language_events, *_verdict(outcome.NEED_TOPIC, dispatcher, domain, spoken)]

        answer = await knowledge_client.ask_off_loop(question.query)
        result = outcome.decide(
            answer.abstained,
            intent,
            outcome.park_question_confidence(message),
            answer.related or topics.is_relocation_question(text),
        )
        if result == outcome.NO_KNOWLEDGE and answer.see_also and not in_form:
            # No answer, but the documents that discuss it: "not found" and the documents to
            # read in one reply, then the rule's shorter lead-form offer (utter_no_knowledge_pointed),
            # so the tenant is not told twice that nothing was found.
            result = outcome.POINTED
        payload = outcome.turn_payload(result, answer, intent)
        if session.should_end(tracker.events, tracker.active_loop.get("name")):
            payload[contract.END_SESSION] = True
        if in_form:  # part of the form's run for the gateway's erasure (bot/consent.py)
            payload.update(FORM_STEP)
        if result == outcome.ANSWERED:
            dispatcher.utter_message(text=answer.text, json_message=payload)
        elif in_form:
            # A question in the middle of the lead form: said here in a few words, since
            # the rules go straight back to the form (data/rules/lead_form.yml).
            aside = "utter_no_knowledge_in_form" if result == outcome.NO_KNOWLEDGE else "utter_out_of_scope_in_form"
            _say(dispatcher, domain, aside, spoken)
            dispatcher.utter_message(json_message=payload)
        elif result == outcome.POINTED:
            _say(dispatcher, domain, "utter_see_also", spoken, payload)
        else:
            dispatcher.utter_message(json_message=payload)
        # In the form the result slot is cleared, so no rule for an answer outside the
        # form (utter_no_knowledge with its "leave your details" button) follows.
        if in_form:
            return [*language_events, SlotSet("topic", question.topic), SlotSet("knowledge_result", None)]
        return [*language_events, SlotSet("topic", question.topic), *_verdict(result, dispatcher, domain, spoken)]


def _verdict(result: str, dispatcher: CollectingDispatcher, domain: dict, spoken: str | None) -> list[dict[str, Any]]:
    """The verdict for the rules, and the step they fix for it (actions/follow_ups.py).

    A response the rule names is said here, whole (text, buttons, payload), and the turn ends
    with this action: run as a follow-up, the response would still make Rasa predict once more
    after it, only to end the turn (ops/profiles, round 7)."""
    follow = follow_ups.after_verdict().get(result)
    if follow and follow.startswith(RESPONSE_PREFIX):
        _say(dispatcher, domain, follow, spoken)
        follow = follow_ups.LISTEN
    return [SlotSet("knowledge_result", result), *([FollowupAction(follow)] if follow else [])]


def _say(dispatcher: CollectingDispatcher, domain: dict, response: str, spoken: str | None, payload=None) -> None:
    """Response `response` as Rasa would render it (text, buttons, and its custom payload unless
    `payload` replaces it), but in the language of this message: Rasa renders an action's
    responses before applying its events, so it would not yet see the `language` this action sets."""
    variant = responses.variant_for(domain, response, spoken)
    if variant is None:  # a domain without it: Rasa renders its own
        dispatcher.utter_message(response=response, json_message=payload)
        return
    dispatcher.utter_message(
        text=str(variant["text"]),
        buttons=list(variant.get("buttons") or []),
        json_message=payload if payload is not None else variant.get("custom"),
    )


class ActionDetectLanguage(Action):
    """Set the `language` slot from the tenant's latest message.

    Named as the slot's custom mapping in domain.yml, so Rasa's
    action_extract_slots runs it after a user message, before the next
    action is predicted: rule-triggered responses (utter_greet right after
    hello) already see the slot, and the responses' language conditions pick
    the English variant. The intents the knowledge action answers are left
    to that action, which sets the slot itself. A message that does not tell
    (a button payload, a phone number) leaves the slot as it was, and so does
    anything typed into the lead form: a Chinese company name or a tapped
    industry button is an answer, not a switch of language. A question asked in the middle of the
    form is not an answer (actions/form_turns.py) and does set the language.
    """

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        if (
            tracker.active_loop_name
            and form_turns.read(tracker.get_slot("requested_slot"), message).kind != form_turns.INTERRUPT
        ):
            return []
        switched = language.switch(message.get("text"), tracker.get_slot("language"))
        return [SlotSet("language", switched)] if switched else []


# The form's fields, and what this module clears with them.
LEAD_FORM_SLOTS = ("company_name", "contact_person", "phone", "industry", "industry_guess", "needs", "consent")
# Custom payload for the gateway's turn log (turn_contract FORM_ERASED): this turn
# cancelled the form or refused consent, so the gateway masks the form's turns;
# the tracker store erases the same answers itself (rasa_ext/tracker_store.py).
FORM_ERASED = {contract.FORM_ERASED: True}
# Custom payload for the gateway (turn_contract LEAD_STORED): this turn handed a lead over, so the
# gateway looks it up to offer a site visit; on every other turn it skips that lookup.
LEAD_STORED = {contract.LEAD_STORED: True}


class ActionSubmitLead(Action):
    """Hand a completed lead form to the outbox, or drop it without consent (PIPL)."""

    def name(self) -> str:
        return "action_submit_lead"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
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
        dispatcher.utter_message(json_message=LEAD_STORED)
        return forget


class ActionForgetLead(Action):
    """Clear a lead form left half-way, so nothing typed lingers or is reused,
    and have its answers erased from the tracker store and the gateway's turns."""

    def name(self) -> str:
        return "action_forget_lead"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
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

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [ConversationPaused()]


class ActionSessionStart(Action):
    """Start a session carrying each slot's current value once (see actions/session.py)."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        carried = [SlotSet(name, value) for name, value in session.carried_slots(tracker.slots).items()]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
