"""The turn contract (turn_contract/) is what the action server, domain.yml and the gateway share.

domain.yml is checked against it, and domains changed on purpose show that
an outcome or payload key added on one side only is caught. The action
server and the gateway read the contract itself, so their side is checked
by what they send and read.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import turn_contract as contract
from actions import outcome
from actions.actions import FORM_ERASED, FORM_STEP, LEAD_STORED
from turn_contract.domain_check import problems


@pytest.fixture(scope="module")
def domain() -> dict:
    return yaml.safe_load(Path("domain.yml").read_text("utf-8"))


def test_domain_yml_keeps_the_turn_contract(domain):
    assert problems(domain, outcome.PARK_QUESTIONS) == []


def test_an_outcome_only_the_domain_sends_is_caught(domain):
    changed = copy.deepcopy(domain)
    changed["responses"]["utter_default"][0]["custom"]["outcome"] = "misunderstood"
    assert any("'misunderstood'" in p for p in problems(changed, outcome.PARK_QUESTIONS))


def test_an_outcome_only_the_contract_names_is_caught(domain, monkeypatch):
    monkeypatch.setattr(contract.domain_check, "REPORTED_OUTCOMES", contract.REPORTED_OUTCOMES | {"escalated"})
    assert any("'escalated'" in p for p in problems(domain, outcome.PARK_QUESTIONS))


def test_an_outcome_the_domain_stops_sending_is_caught(domain):
    changed = copy.deepcopy(domain)
    for variants in changed["responses"].values():
        for variant in variants:
            if (variant.get("custom") or {}).get("outcome") == "fallback":
                del variant["custom"]["outcome"]
    assert any("'fallback'" in p for p in problems(changed, outcome.PARK_QUESTIONS))


def test_a_payload_key_only_the_domain_sends_is_caught(domain):
    changed = copy.deepcopy(domain)
    changed["responses"]["utter_default"][0]["custom"]["priority"] = "high"
    assert any("'priority'" in p for p in problems(changed, outcome.PARK_QUESTIONS))


def test_a_response_key_only_the_contract_names_is_caught(domain, monkeypatch):
    monkeypatch.setattr(contract.domain_check, "RESPONSE_KEYS", contract.RESPONSE_KEYS | {"priority"})
    assert any("'priority'" in p for p in problems(domain, outcome.PARK_QUESTIONS))


def test_a_cited_source_with_other_keys_is_caught(domain):
    changed = copy.deepcopy(domain)
    changed["responses"]["utter_greet"][0]["custom"]["sources"][0]["score"] = 0.9
    assert any("SOURCE_KEYS" in p for p in problems(changed, outcome.PARK_QUESTIONS))


def test_a_knowledge_result_on_one_side_only_is_caught(domain):
    changed = copy.deepcopy(domain)
    changed["slots"]["knowledge_result"]["values"].append("partly_answered")
    assert any("knowledge_result" in p for p in problems(changed, outcome.PARK_QUESTIONS))


def test_a_park_question_intent_outside_the_topic_registry_is_caught(domain):
    changed = copy.deepcopy(domain)
    changed["intents"].append("ask_parking")
    assert any("'ask_parking'" in p for p in problems(changed, outcome.PARK_QUESTIONS))
    assert any("'ask_parking'" in p for p in problems(domain, outcome.PARK_QUESTIONS | {"ask_parking"}))


def test_park_questions_are_the_topic_registry_and_nothing_else():
    """An allow-list: leaving the form or asking for staff is no park question."""
    assert {"ask_location", "ask_cxo", "ask_follow_up"} <= outcome.PARK_QUESTIONS
    assert not {"human_handoff", "request_settlement", "stop_form", "greet", "chitchat"} & outcome.PARK_QUESTIONS
    message = {
        "intent": {"name": "human_handoff", "confidence": 0.9},
        "intent_ranking": [{"name": "human_handoff", "confidence": 0.9}, {"name": "ask_contact", "confidence": 0.1}],
    }
    assert outcome.park_question_confidence(message) == pytest.approx(0.1)
    assert outcome.decide(True, "human_handoff", 0.9) == outcome.OUT_OF_SCOPE


def _knowledge_rule_intents() -> set[str]:
    rules = yaml.safe_load(Path("data/rules/knowledge.yml").read_text("utf-8"))["rules"]
    routing = [r for r in rules if r["steps"][-1] == {"action": "action_answer_from_knowledge"}]
    assert len(routing) == 1, "one rule sends messages to the knowledge action"
    return {step["intent"] for step in routing[0]["steps"][0]["or"]}


def test_the_language_call_is_skipped_exactly_for_what_the_knowledge_action_answers(domain):
    """The knowledge action sets `language` for the intents it answers; an intent routed to it but still
    mapped would cost a second call, and an intent mapped away but not routed to it would never update
    the slot."""
    [mapping] = domain["slots"]["language"]["mappings"]
    assert mapping["action"] == "action_detect_language"
    assert set(mapping["not_intent"]) == _knowledge_rule_intents()


def test_the_lead_form_steps_aside_to_the_knowledge_action_for_the_same_intents():
    """In the form, a question of these intents reaches the knowledge action, which sets the language."""
    rules = yaml.safe_load(Path("data/rules/lead_form.yml").read_text("utf-8"))["rules"]
    aside = [r for r in rules if {"action": "action_answer_from_knowledge"} in r["steps"]]
    assert len(aside) == 1
    assert {step["intent"] for step in aside[0]["steps"][0]["or"]} == _knowledge_rule_intents()


class _Record:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    @property
    def fields(self):
        return dict(self.__dict__)

    def to_dict(self):
        return dict(self.__dict__)


class _Answer:
    confidence = 0.73219
    hits = [
        _Record(
            chunk_id="d#0",
            doc_id="d",
            title="t",
            url="u",
            score=0.03,
            bm25=7.0,
            dense=0.6,
            confidence=0.73,
            text="the passage text",
        )
    ]
    sources = [_Record(title="t", publisher="p", published="2024-03-12", url="u", snippet="s", score=0.03)]
    see_also = [_Record(title="r", publisher="p", published="2024-03-12", url="u", snippet="")]


def test_every_payload_key_is_sent_by_the_actions_or_a_response():
    answered = outcome.turn_payload(outcome.ANSWERED, _Answer(), "ask_location")
    sent = (
        set(answered)
        | set(FORM_STEP)
        | set(FORM_ERASED)
        | set(LEAD_STORED)
        | {contract.END_SESSION}
        | contract.RESPONSE_KEYS
    )
    assert sent == contract.PAYLOAD_KEYS
    assert set(contract.META_KEYS) | {contract.SOURCES} == contract.PAYLOAD_KEYS


def test_an_answer_becomes_one_payload_for_the_action_and_for_degraded_mode():
    answered = outcome.turn_payload(outcome.ANSWERED, _Answer(), "ask_location")
    assert answered["outcome"] == "answered" and answered["confidence"] == 0.7322
    assert answered["hits"] == [{k: _Answer.hits[0].fields[k] for k in contract.PASSAGE_KEYS}]
    assert answered["sources"][0]["score"] == 0.03  # the full source, for the turn log
    declined = outcome.turn_payload(outcome.NO_KNOWLEDGE, _Answer(), None)
    assert declined["outcome"] == "abstained" and "sources" not in declined
    pointed = outcome.turn_payload(outcome.POINTED, _Answer(), None)  # the documents offered to read
    assert pointed["outcome"] == "abstained" and [s["title"] for s in pointed["sources"]] == ["r"]
    assert all(contract.is_pointer(s) for s in pointed["sources"])
    assert outcome.turn_payload(outcome.SMALL_TALK, _Answer(), "chitchat")["outcome"] == "out_of_scope"


def test_a_passage_is_what_the_hit_itself_writes_for_the_contracts_keys():
    """The turn log's passages are read off the hit, not from its whole dict: the same values, scores
    rounded the same way."""
    from knowledge.hits import Hit

    hit = Hit(
        "d#3", "d", "标题", "正文" * 200, "https://x", "2024-01-02", "p", "policy", 0.01234567891, bm25=3.3333333333
    )
    hit.evidence = ("一句。",)

    class Answer:
        hits = [hit]

    assert contract.passages(Answer()) == [{k: hit.to_dict()[k] for k in contract.PASSAGE_KEYS}]
    assert contract.passages(Answer())[0]["score"] == 0.012346


def test_the_gateway_logs_every_reported_outcome_as_one_it_knows():
    from bot.models import OUTCOMES

    assert set(contract.REPORTED_AS.values()) <= set(OUTCOMES)
    assert {v for v in contract.KNOWLEDGE_RESULTS.values() if v} <= contract.REPORTED_OUTCOMES
