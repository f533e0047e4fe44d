"""The action server keeps the domain Rasa sent once (what rasa_ext/action_domain.py relies on).

Rasa sends the domain to the action server once and afterwards only its digest; rasa-sdk's
ActionExecutor keeps the domain of the last call that carried one and refuses (449 at the
endpoint) a call whose digest it does not know. Here our own form validation runs through the
pinned rasa-sdk's executor, as the action server runs it: with the domain, then with the digest
alone (the same result), then with an unknown digest or on a fresh executor (refused). Running
must leave the kept domain as it was, since every later call gets that same object.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionMissingDomainException

DOMAIN = yaml.safe_load(Path("domain.yml").read_text("utf-8"))
FIELDS = DOMAIN["forms"]["investor_lead_form"]["required_slots"]


def tracker() -> dict:
    latest = {
        "text": "杭州示例生物科技有限公司",
        "intent": {"name": "nlu_fallback", "confidence": 0.9},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.9}],
        "entities": [],
    }
    return {
        "sender_id": "t",
        "slots": {
            **{name: None for name in (*FIELDS, "industry_guess")},
            "requested_slot": FIELDS[0],
            "language": "zh",
        },
        "latest_message": latest,
        "events": [
            {"event": "active_loop", "name": "investor_lead_form"},
            {"event": "slot", "name": "requested_slot", "value": FIELDS[0]},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": latest["text"], "parse_data": latest},
        ],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": "investor_lead_form"},
        "latest_action_name": "action_listen",
    }


def call(executor: ActionExecutor, **extra) -> dict:
    body = {"next_action": "validate_investor_lead_form", "sender_id": "t", "tracker": tracker(), **extra}
    return asyncio.run(executor.run(body)).model_dump()


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def test_a_call_with_the_digest_alone_runs_on_the_domain_sent_before(executor):
    sent = copy.deepcopy(DOMAIN)
    first = call(executor, domain=sent, domain_digest="d1")
    assert {e["name"]: e["value"] for e in first["events"] if e["event"] == "slot"}.get(FIELDS[0])  # the form used it
    assert call(executor, domain_digest="d1") == first
    assert call(executor, domain_digest="d1") == first
    assert sent == DOMAIN  # the kept domain is not changed by the actions that use it
    # without the domain the form fills nothing, so the digest really stood for it
    assert call(executor, domain={"slots": {}}, domain_digest="empty") != first


def test_a_digest_the_action_server_does_not_know_is_refused():
    fresh = ActionExecutor()
    fresh.register_package("actions")
    with pytest.raises(ActionMissingDomainException):
        call(fresh, domain_digest="d1")  # restarted: nothing kept
    call(fresh, domain=copy.deepcopy(DOMAIN), domain_digest="d1")
    with pytest.raises(ActionMissingDomainException):
        call(fresh, domain_digest="d2")  # Rasa retrained with another domain: it must send it
