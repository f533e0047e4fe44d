"""Does a Rasa domain keep the turn contract? The problems, as sentences.

Takes the domain already parsed (a dict from domain.yml), so it needs no
YAML library and runs wherever the contract does. tests/test_turn_contract.py
runs it on domain.yml, and on domains changed on purpose, to show that an
outcome or key added on one side only is caught.
"""

from __future__ import annotations

from . import KNOWLEDGE_RESULTS, REPORTED_OUTCOMES, RESPONSE_KEYS, SOURCE_KEYS

KNOWLEDGE_SLOT = "knowledge_result"
PARK_QUESTION_PREFIX = "ask_"  # domain.yml names every park-question intent ask_<topic>


def _custom_payloads(domain: dict):
    for name, variants in (domain.get("responses") or {}).items():
        for variant in variants or []:
            custom = variant.get("custom")
            if custom is not None:
                yield name, custom


def problems(domain: dict, park_intents: frozenset[str]) -> list[str]:
    """Every way `domain` and the contract disagree; empty when they agree.

    `park_intents`: the park-question intents the action server knows
    (actions/outcome.py PARK_QUESTIONS, from the topic registry).
    """
    found: list[str] = []
    response_outcomes: set[str] = set()
    response_keys: set[str] = set()
    for name, custom in _custom_payloads(domain):
        if not isinstance(custom, dict):
            found.append(f"{name}: custom payload is not a mapping")
            continue
        response_keys.update(custom)
        for key in sorted(set(custom) - RESPONSE_KEYS):
            found.append(f"{name}: custom key {key!r} is not in the turn contract's RESPONSE_KEYS")
        if "outcome" in custom:
            response_outcomes.add(custom["outcome"])
            if custom["outcome"] not in REPORTED_OUTCOMES:
                found.append(f"{name}: outcome {custom['outcome']!r} is not in the turn contract's REPORTED_AS")
        for source in custom.get("sources") or []:
            if set(source) != set(SOURCE_KEYS):
                found.append(f"{name}: a source's keys {sorted(source)} are not SOURCE_KEYS {sorted(SOURCE_KEYS)}")
    for key in sorted(RESPONSE_KEYS - response_keys):
        found.append(f"RESPONSE_KEYS names {key!r}, which no response in the domain sends")

    action_outcomes = {logged for logged in KNOWLEDGE_RESULTS.values() if logged is not None}
    for outcome in sorted(REPORTED_OUTCOMES - response_outcomes - action_outcomes):
        found.append(f"REPORTED_AS names outcome {outcome!r}, which neither a response nor the knowledge action sends")

    slot = (domain.get("slots") or {}).get(KNOWLEDGE_SLOT) or {}
    values = set(slot.get("values") or [])
    if values != set(KNOWLEDGE_RESULTS):
        found.append(
            f"slot {KNOWLEDGE_SLOT} values {sorted(values)} differ from KNOWLEDGE_RESULTS {sorted(KNOWLEDGE_RESULTS)}"
        )

    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    park_in_domain = {i for i in intents if i.startswith(PARK_QUESTION_PREFIX)}
    for intent in sorted(park_in_domain - park_intents):
        found.append(f"intent {intent!r} looks like a park question but is not in the topic registry")
    for intent in sorted(park_intents - intents):
        found.append(f"park-question intent {intent!r} is not in the domain")
    return found
