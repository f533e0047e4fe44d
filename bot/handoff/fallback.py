"""The lead form as the way out of a handoff that cannot happen now.

A handoff that cannot be stored, arrives outside office hours or waits past
the claim timeout must not end in silence. Rasa paused itself for staff
(action_pause_for_staff), so it is resumed and given the form's intent, as
if the tenant had tapped 留下联系方式; the form then asks for the details.
The lead it makes carries the tenant's sender hash, which links it to the
whole conversation in the console.
"""

from __future__ import annotations

import logging

from flask import current_app

from ..dialogue import DialogueUnavailable
from . import messages

log = logging.getLogger(__name__)
LEAD_FORM_INTENT = "/request_settlement"  # domain.yml: starts investor_lead_form


def start_lead_form(sender_id: str) -> list[dict]:
    """Resume Rasa and open the lead form; its replies. Raises DialogueUnavailable."""
    dialogue = current_app.extensions["dialogue"]
    dialogue.resume(sender_id)
    replies, _meta = dialogue.exchange(sender_id, LEAD_FORM_INTENT)
    return [
        {"text": r.get("text", ""), "buttons": r.get("buttons", []), "sources": []}
        for r in replies
        if r.get("text") or r.get("buttons")
    ]


def offer_lead_form(sender_id: str, language: str, notice: str) -> list[dict]:
    """The notice, then the lead form; if Rasa cannot open the form, the notice says so."""
    first = {"text": notice, "buttons": [], "sources": []}
    try:
        return [first, *start_lead_form(sender_id)]
    except DialogueUnavailable:
        log.warning("could not open the lead form after a handoff fell through")
        return [{**first, "text": f"{notice}\n{messages.text('form_unavailable', language)}"}]
