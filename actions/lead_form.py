"""The lead form's validation action and its two questions that depend on what was typed.

Every field has a custom slot mapping (domain.yml), so this action alone
decides what fills it: a message is taken only while the form asks for that
field and only when actions/form_turns.py reads it as an answer. Anything
else (a question, a request for staff, 算了) extracts nothing, so Rasa rejects
the form for this turn, the rules answer the message, and the form asks the
same question again. An answer is then checked (actions/lead_fields.py) and
refused with its reason, in the tenant's language, if it does not fit.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import turn_contract as contract

from . import form_turns, lead_fields

# Custom payload for the gateway's turn log (turn_contract FORM_STEP): this turn
# answered the form, so the gateway keeps it out of its logs and can erase it.
FORM_STEP = {contract.FORM_STEP: True}


class ValidateInvestorLeadForm(FormValidationAction):
    """Extract and check each lead-form answer; a refused one is asked again with the reason."""

    def name(self) -> str:
        return "validate_investor_lead_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        if tracker.get_slot("requested_slot"):  # an answer, not the form's activation
            dispatcher.utter_message(json_message=FORM_STEP)
        return events

    # --- extraction: is the latest message an answer to the field asked for? ---

    @staticmethod
    def _turn(field: str, tracker: Tracker) -> form_turns.Turn | None:
        if tracker.get_slot("requested_slot") != field:
            return None
        return form_turns.read(field, tracker.latest_message)

    def _extract(self, field: str, tracker: Tracker) -> dict:
        turn = self._turn(field, tracker)
        if turn is None or turn.kind == form_turns.INTERRUPT:
            return {}
        if turn.kind == form_turns.CORRECT:
            # Empty the field named: the form asks the first empty field next.
            return {turn.field: None}
        return {field: (tracker.latest_message or {}).get("text") or ""}

    def extract_company_name(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        return self._extract("company_name", tracker)

    def extract_contact_person(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        return self._extract("contact_person", tracker)

    def extract_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        return self._extract("phone", tracker)

    def extract_industry(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        extracted = self._extract("industry", tracker)
        guess = tracker.get_slot("industry_guess")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if (
            guess
            and "industry" in extracted
            and intent in ("affirm", "deny")
            and lead_fields.industry_choice(extracted["industry"]) not in lead_fields.INDUSTRY_CHOICES
        ):
            # 对 / 不是 to "is it 高端医疗器械?": yes takes the guess; no asks without it.
            return {"industry": guess if intent == "affirm" else None}
        return extracted

    def extract_needs(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        return self._extract("needs", tracker)

    def extract_consent(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        extracted = self._extract("consent", tracker)
        if "consent" not in extracted:
            return extracted
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent in ("affirm", "deny"):
            return {"consent": intent == "affirm"}
        # 明年上半年 where consent was asked: neither yes nor no, so ask again.
        dispatcher.utter_message(response="utter_consent_choice")
        return {"consent": None}

    # --- validation: does the answer fit the field? ---

    @staticmethod
    def _checked(
        checked: lead_fields.Checked,
        field: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        response: str = "utter_invalid_lead_field",
    ) -> dict:
        if checked.value is None:
            dispatcher.utter_message(response=response, reason=checked.says(tracker.get_slot("language")))
        return {field: checked.value}

    def validate_company_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value is None:  # emptied by a correction
            return {"company_name": None}
        slots = self._checked(lead_fields.check_company(str(value)), "company_name", dispatcher, tracker)
        if slots["company_name"] and not tracker.get_slot("industry"):
            # …医疗器械有限公司 suggests a sub-track; the industry question asks to confirm it.
            slots["industry_guess"] = lead_fields.industry_guess(slots["company_name"])
        return slots

    def validate_contact_person(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value is None:
            return {"contact_person": None}
        return self._checked(lead_fields.check_person(str(value)), "contact_person", dispatcher, tracker)

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value is None:
            return {"phone": None}
        return self._checked(lead_fields.check_phone(str(value)), "phone", dispatcher, tracker, "utter_invalid_phone")

    def validate_industry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value is None:  # the guess was declined, or a correction: ask without a guess
            return {"industry": None, "industry_guess": None}
        slots = self._checked(lead_fields.check_industry(str(value)), "industry", dispatcher, tracker)
        if slots["industry"]:
            slots["industry_guess"] = None
        return slots

    def validate_needs(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        if value is None:
            return {"needs": None}
        return self._checked(lead_fields.check_needs(str(value)), "needs", dispatcher, tracker)

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict:
        return {"consent": value if isinstance(value, bool) else None}


class ActionFormAside(Action):
    """Mark a reply given in the middle of the form (你是谁, 谢谢) as one of its steps.

    The gateway erases a refused form's turns as one unbroken run of form
    steps (bot/consent.py); an aside that was not marked would end the run
    early and leave the answers typed before it in the turn log.
    """

    def name(self) -> str:
        return "action_form_aside"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(json_message=FORM_STEP)
        return []


class ActionAskIndustry(Action):
    """Ask for the industry; with a sub-track read from the company name, ask to confirm it."""

    def name(self) -> str:
        return "action_ask_industry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        guess = tracker.get_slot("industry_guess")
        if guess in lead_fields.INDUSTRY_EN:
            dispatcher.utter_message(
                response="utter_ask_industry_guess", guess=guess, guess_en=lead_fields.INDUSTRY_EN[guess]
            )
        else:
            dispatcher.utter_message(response="utter_ask_industry")
        return []


class ActionAskConsent(Action):
    """Read the details back, then ask for consent (the other fields fill in from their slots)."""

    def name(self) -> str:
        return "action_ask_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language")
        dispatcher.utter_message(
            response="utter_ask_consent",
            industry_shown=lead_fields.shown(tracker.get_slot("industry"), language),
            needs_shown=lead_fields.shown(tracker.get_slot("needs"), language),
        )
        return []
