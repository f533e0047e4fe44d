"""What the dialogue does after the knowledge action's verdict, read from the rules that decide it.

data/rules/knowledge.yml maps each `knowledge_result` to the next step: a
response (utter_no_knowledge, utter_out_of_scope, …) or the end of the turn.
Left to itself, Rasa would run its policies again after the action only to
re-derive that fixed step, and once more after the response: the largest
part of what a park question cost Rasa beyond a greeting (ops/profiles,
round 3). The action says the response the rule names and ends the turn with a
FollowupAction to action_listen, which Rasa runs without predicting (run as a follow-up, the
response itself would still be followed by a prediction: round 7). The rules stay the one
definition, read here, and keep
training the RulePolicy, which chooses the same step when no follow-up is
given (a test holds the two together).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

RULES = Path(__file__).resolve().parent.parent / "data" / "rules" / "knowledge.yml"
KNOWLEDGE_ACTION = "action_answer_from_knowledge"
RESULT_SLOT = "knowledge_result"
LISTEN = "action_listen"  # a rule that ends after the verdict ends the turn


def read(rules: list[dict]) -> dict[str, str]:
    """{knowledge_result value: the action that follows it} from Rasa rules (outside any form)."""
    follow: dict[str, str] = {}
    for rule in rules:
        steps = rule.get("steps") or []
        if rule.get("condition") or len(steps) < 2 or steps[0] != {"action": KNOWLEDGE_ACTION}:
            continue
        slots = steps[1].get("slot_was_set") or []
        if len(slots) != 1 or set(slots[0]) != {RESULT_SLOT}:
            continue
        nxt = steps[2].get("action") if len(steps) > 2 else None
        if len(steps) > 3 or (len(steps) == 3 and nxt is None) or rule.get("wait_for_user_input") is False:
            continue  # a longer or open-ended rule: left to the policies
        follow[str(slots[0][RESULT_SLOT])] = nxt or LISTEN
    return follow


@cache
def after_verdict() -> dict[str, str]:
    """The follow-ups of data/rules/knowledge.yml, read once per process."""
    return read(yaml.safe_load(RULES.read_text("utf-8")).get("rules") or [])
