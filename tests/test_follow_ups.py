"""The knowledge action's follow-ups are the rules' own steps (actions/follow_ups.py, issue 19).

The action returns the step data/rules/knowledge.yml fixes after each verdict, so Rasa runs it
without asking its policies again. These tests hold that to the rules: every verdict has one,
a changed rule changes it, and the trained policies, asked without a follow-up, choose the same.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

import turn_contract as contract
from actions import follow_ups
from rasa_probe import NEEDS_RASA, probe

RULES = yaml.safe_load(Path("data/rules/knowledge.yml").read_text("utf-8"))["rules"]


def test_every_verdict_has_the_step_its_rule_names():
    follow = follow_ups.after_verdict()
    assert set(follow) == set(contract.KNOWLEDGE_RESULTS)
    assert follow[contract.KNOWLEDGE_ANSWERED] == "action_listen"  # "an answer ... ends the turn"
    assert follow[contract.NO_KNOWLEDGE] == "utter_no_knowledge"


def test_a_changed_rule_changes_the_follow_up_and_open_ended_rules_are_left_to_the_policies():
    rules = copy.deepcopy(RULES)
    for rule in rules:
        if rule["steps"][1:2] == [{"slot_was_set": [{"knowledge_result": "no_knowledge"}]}]:
            rule["steps"][2] = {"action": "utter_handoff_offer"}
        if rule["steps"][1:2] == [{"slot_was_set": [{"knowledge_result": "small_talk"}]}]:
            rule["steps"].append({"action": "utter_greet"})  # two steps: not one follow-up
        if rule["steps"][1:2] == [{"slot_was_set": [{"knowledge_result": "need_topic"}]}]:
            rule["condition"] = [{"active_loop": "investor_lead_form"}]  # only in a form
    follow = follow_ups.read(rules)
    assert follow["no_knowledge"] == "utter_handoff_offer"
    assert "small_talk" not in follow and "need_topic" not in follow
    assert follow["answered"] == "action_listen"


PROBE = r"""
import asyncio, json
from rasa.core.agent import load_agent
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from actions import follow_ups

async def main():
    agent = await load_agent(model_path="models/park.tar.gz")
    chosen = {}
    for verdict in follow_ups.after_verdict():
        tracker = DialogueStateTracker.from_events("probe", [
            ActionExecuted("action_listen"),
            UserUttered("园区在哪里", intent={"name": "ask_location", "confidence": 0.99}),
            ActionExecuted("action_answer_from_knowledge"),
            SlotSet("knowledge_result", verdict),
        ], slots=agent.domain.slots)
        prediction = agent.processor._predict_next_with_tracker(tracker)
        chosen[verdict] = agent.domain.action_names_or_texts[prediction.max_confidence_index]
    print(json.dumps(chosen))

asyncio.run(main())
"""


@NEEDS_RASA[0]
@NEEDS_RASA[1]
def test_the_trained_policies_choose_the_same_step_without_the_follow_up():
    assert probe(PROBE, LOCK_STORE_TYPE="in_memory") == follow_ups.after_verdict()
