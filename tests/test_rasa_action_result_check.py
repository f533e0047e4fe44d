"""The action server's replies checked event by event (rasa_ext/action_results.py, issue 19 round 3).

Run with Rasa's own Python, as the server runs. Every reply gets the verdict and message that
`jsonschema.validate` gives it against Rasa's whole schema, for hand-picked replies and for a few
hundred mutated ones; and a valid reply is accepted without the whole `oneOf` check, the work the
knowledge answer's reply used to cost and the floor's greeting did not.
"""

import pytest

from rasa_probe import NEEDS_RASA, probe

pytestmark = NEEDS_RASA

PROBE = r"""
import copy, json, random
import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa_ext import action_results

answer = {
    "text": "园区政策为省市区政策+临空特色政策。", "buttons": [], "elements": [], "template": None,
    "response": None, "image": None, "attachment": None,
    "custom": {"outcome": "answered", "confidence": 0.99, "intent": "ask_policy",
               "hits": [{"chunk_id": "faq:policies", "score": 0.016, "bm25": 16.9, "dense": 0.0}],
               "sources": [{"title": "开园", "publisher": "杭州网", "published": "2024-03-12", "url": "https://x"}]},
}
valid_events = [
    {"event": "slot", "timestamp": None, "name": "topic", "value": "policy"},
    {"event": "slot", "name": "knowledge_result", "value": None},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []},
     "input_channel": "rest", "message_id": "m1", "metadata": {"turn": "t"}},
    {"event": "bot", "text": "hello", "data": {"custom": {"outcome": "answered"}}, "metadata": {}},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
    {"event": "active_loop", "name": "investor_lead_form"},
    {"event": "active_loop", "name": None},
    {"event": "followup", "name": "utter_greet"},
    {"event": "session_started"}, {"event": "pause"}, {"event": "resume"}, {"event": "restart"},
    {"event": "reset_slots"}, {"event": "action_execution_rejected", "name": "investor_lead_form"},
    {"event": "reminder", "intent": "x", "date_time": "2026-11-30T10:00:00", "entities": None},
]
replies = [
    {"events": [], "responses": []}, {}, {"events": []}, {"responses": [answer]},
    {"events": valid_events[:2], "responses": [answer]},
    {"events": valid_events, "responses": [answer, {"text": "more"}]},
    # bad ones
    {"events": [{"name": "topic"}]}, {"events": [{"event": 7}]}, {"events": [{"event": ["slot"]}]},
    {"events": [{"event": "no_such_event"}]}, {"events": [{"event": "slot", "name": 5}]},
    {"events": [{"event": "bot", "text": 5}]}, {"events": [{"event": "user", "parse_data": "x"}]},
    {"events": [{"event": "slot", "name": "a", "timestamp": "now"}]}, {"events": ["slot"]},
    {"events": "not a list"}, {"events": None}, {"responses": ["not an object"]}, {"responses": {}},
    [], "reply", None,
]
values = [None, 0, 1.5, True, "", "x", [], ["a"], {}, {"name": "n"}]
rng = random.Random(19)
for _ in range(600):  # valid events with one field changed to a value of some other type, or dropped
    events = copy.deepcopy(rng.sample(valid_events, rng.randint(1, 3)))
    event = rng.choice(events)
    key = rng.choice(sorted(event) + ["timestamp", "metadata", "name", "text"])
    if rng.random() < 0.15:
        event.pop(key, None)
    else:
        event[key] = rng.choice(values)
    replies.append({"events": events, "responses": [answer]})

schema = RemoteAction.action_response_format_spec()
action_results.install()
assert RemoteAction._validate_action_result is action_results.validate_action_result
action = RemoteAction("action_answer_from_knowledge", None)
whole = action_results._validator()
consulted = []
class Counting:
    def iter_errors(self, result):
        consulted.append(1)
        return whole.iter_errors(result)
action_results._validator = lambda: Counting()

verdicts = []
for reply in replies:
    try:
        jsonschema.validate(reply, schema)
        expected = "ok"
    except jsonschema.ValidationError as exc:
        expected = exc.message
    before = len(consulted)
    try:
        got = "ok" if action._validate_action_result(reply) else "false"
    except jsonschema.ValidationError as exc:
        got = exc.message
    verdicts.append([expected, got, len(consulted) - before])
print(json.dumps({"verdicts": verdicts, "shortcut": action_results._event_validators() is not None}))
"""


@pytest.fixture(scope="module")
def seen() -> dict:
    return probe(PROBE)


def test_every_reply_gets_the_verdict_of_the_whole_schema(seen):
    verdicts = seen["verdicts"]
    for expected, got, _ in verdicts:
        if expected == "ok":
            assert got == "ok"
        else:  # the same error jsonschema.validate picks, with Rasa's pointer to the docs
            assert got.startswith(expected) and "custom-actions" in got
    valid = sum(expected == "ok" for expected, _, _ in verdicts)
    # both kinds are there in numbers: hand-picked (6 valid, 16 bad) and mutated
    assert valid > 100 and len(verdicts) - valid > 100


def test_a_valid_reply_is_accepted_without_the_whole_check(seen):
    assert seen["shortcut"]  # Rasa's schema is the shape the shortcut relies on
    valid = [consulted for expected, _, consulted in seen["verdicts"] if expected == "ok"]
    assert valid and all(consulted == 0 for consulted in valid)
    bad = [consulted for expected, _, consulted in seen["verdicts"] if expected != "ok"]
    assert all(consulted == 1 for consulted in bad)  # a bad reply still gets Rasa's message
