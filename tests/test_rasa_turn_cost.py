"""What Rasa does per turn, made cheaper without changing what it decides (issue 19, A cheaper turn).

Run with Rasa's own Python, as the server runs: the action server's replies are checked
against a schema compiled once (rasa_ext/action_results.py) with the same verdicts as
`jsonschema.validate`; the SQLite tracker store commits in WAL mode with SQLITE_SYNCHRONOUS;
a turn that cannot end the lead form is not scanned for a refusal.
"""

from rasa_probe import NEEDS_RASA, probe

pytestmark = NEEDS_RASA

PROBE = r"""
import asyncio, json, sys
import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext import action_results
from rasa_ext.tracker_store import ErasingSQLTrackerStore, may_end_form

from rasa.shared.core.events import Event
from rasa_ext import event_types

before = [Event.resolve_by_type(n, None) for n in ("user", "slot", "action", "bot", "session_started")]
event_types.install()
after = [Event.resolve_by_type(n, None) for n in ("user", "slot", "action", "bot", "session_started")]
twice = [Event.resolve_by_type(n, None) for n in ("user", "slot", "action", "bot", "session_started")]
unknown = []
for name, default in (("topic", None), ("no_such", SlotSet), ("no_such", None)):
    try:
        unknown.append(str(Event.resolve_by_type(name, default)))
    except ValueError as exc:
        unknown.append("ValueError: " + str(exc))
lookup = [before == after == twice and None not in before, unknown]
action_results.install()
assert RemoteAction._validate_action_result is action_results.validate_action_result
action = RemoteAction("action_answer_from_knowledge", None)
results = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "topic", "value": "policy"}], "responses": [{"text": "hi"}]},
    {"events": [{"name": "topic"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
    {"events": [{"event": "no_such_event"}]},
]
verdicts = []
for result in results:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
        expected = "ok"
    except jsonschema.ValidationError as exc:
        expected = exc.message
    try:
        got = "ok" if action._validate_action_result(result) else "false"
    except jsonschema.ValidationError as exc:
        got = exc.message
    verdicts.append([expected, got])

store = ErasingSQLTrackerStore(dialect="sqlite", db=sys.argv[1])
with store.engine.connect() as conn:
    pragmas = [conn.exec_driver_sql("PRAGMA journal_mode").scalar(), conn.exec_driver_sql("PRAGMA synchronous").scalar()]
saved = DialogueStateTracker.from_events("kept", [UserUttered("hi"), ActionExecuted("utter_greet")])
asyncio.run(store.save(saved))
saved.update(UserUttered("again"))
asyncio.run(store.save(saved))
back = asyncio.run(store.retrieve("kept"))
round_trip = [type(store.engine.pool).__name__, [e.type_name for e in back.events]]
memory = ErasingSQLTrackerStore(dialect="sqlite", db=":memory:")  # left as Rasa makes it, and still works
asyncio.run(memory.save(saved))
round_trip.append([type(memory.engine.pool).__name__, len(asyncio.run(memory.retrieve("kept")).events)])

def tracker(*names):
    return DialogueStateTracker.from_events("s", [UserUttered("x"), *(ActionExecuted(n) for n in names)])

ends = [
    may_end_form(tracker("action_answer_from_knowledge", "action_listen")),
    may_end_form(tracker("action_forget_lead", "action_listen")),
    may_end_form(tracker("action_submit_lead")),
    may_end_form(DialogueStateTracker.from_events("s", [ActionExecuted("action_forget_lead"), UserUttered("y")])),
]
print(json.dumps({"verdicts": verdicts, "pragmas": pragmas, "ends": ends, "round_trip": round_trip, "lookup": lookup}))
"""


def _probe(tmp_path, **env) -> dict:
    return probe(PROBE, str(tmp_path / "tracker.db"), **env)


def test_rasa_per_turn_work_is_cheaper_and_decides_the_same(tmp_path):
    seen = _probe(tmp_path)
    for expected, got in seen["verdicts"]:
        if expected == "ok":
            assert got == "ok"
        else:  # the same error jsonschema.validate picks, with Rasa's pointer to the docs
            assert got.startswith(expected) and "custom-actions" in got
    assert sum(e == "ok" for e, _ in seen["verdicts"]) == 2  # the bad replies really were bad
    assert seen["pragmas"] == ["wal", 1]  # 1 = NORMAL
    assert seen["ends"] == [False, True, True, False]
    # connections are kept (not one per save), and what is saved twice reads back once, in order
    assert seen["round_trip"][:2] == ["QueuePool", ["user", "action", "user"]]
    assert seen["round_trip"][2][0] != "QueuePool" and seen["round_trip"][2][1] == 3
    # an event's class by name: the same classes as Rasa's search; its special cases unchanged
    same, unknown = seen["lookup"]
    assert same
    assert (
        unknown[0] == "None" and "SlotSet" in unknown[1] and unknown[2] == "ValueError: Unknown event name 'no_such'."
    )


def test_sqlite_synchronous_is_a_setting(tmp_path):
    assert _probe(tmp_path, SQLITE_SYNCHRONOUS="full")["pragmas"] == ["wal", 2]


SAME_ROWS = r"""
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext.tracker_store import ErasingSQLTrackerStore

stores = {"rasa": SQLTrackerStore(dialect="sqlite", db=sys.argv[1] + ".rasa"),
          "ours": ErasingSQLTrackerStore(dialect="sqlite", db=sys.argv[1] + ".ours")}
clock = iter(range(1000, 2000))  # distinct, increasing timestamps, as Rasa's clock gives them

def turn(text, intent):
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    return [UserUttered(text, parse["intent"], parse_data=parse, timestamp=next(clock)),
            ActionExecuted("action_answer_from_knowledge", timestamp=next(clock)),
            BotUttered("answer", {"custom": {"outcome": "answered", "sources": [{"title": "标题"}]}}, timestamp=next(clock)),
            SlotSet("topic", "CXO", timestamp=next(clock)), ActionExecuted("action_listen", timestamp=next(clock))]

def session():
    return [ActionExecuted("action_session_start", timestamp=next(clock)), SessionStarted(timestamp=next(clock)),
            ActionExecuted("action_listen", timestamp=next(clock))]

seen = {}
for name, store in stores.items():
    clock = iter(range(1000, 2000))
    asyncio.run(store.save(DialogueStateTracker.from_events("p", session())))
    for step in (turn("园区在哪", "ask_location"), turn("还有呢", "ask_follow_up"), session(), turn("基金", "ask_funds")):
        tracker = asyncio.run(store.retrieve("p"))  # as Rasa handles a message: read, add, save
        for event in step:
            tracker.update(event)
        asyncio.run(store.save(tracker))
        if not any(isinstance(e, SessionStarted) for e in step):
            asyncio.run(store.save(tracker))  # a second save of the same turn adds nothing
    with store.engine.connect() as conn:
        rows = [list(r) for r in conn.exec_driver_sql(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id")]
    back = asyncio.run(store.retrieve("p"))
    seen[name] = {"rows": rows, "session": [e.as_dict() for e in back.events],
                  "nobody": asyncio.run(store.retrieve("nobody")) is None,
                  "all": len(asyncio.run(store.retrieve_full_tracker("p")).events)}
print(json.dumps(seen))
"""


def test_the_stores_core_statements_write_and_read_what_rasas_orm_does(tmp_path):
    """rasa_ext's SQL store reads a session and saves a turn with Core statements built once; the rows
    it writes and the session it reads back are Rasa's own, to the byte."""
    seen = probe(SAME_ROWS, str(tmp_path / "tracker.db"))
    ours, rasa = seen["ours"], seen["rasa"]
    assert len(rasa["rows"]) == 3 + 5 + 5 + 3 + 5  # every event once, though turns were saved twice
    assert ours["rows"] == rasa["rows"]
    assert ours["session"] == rasa["session"]
    # the latest session only, from its session_started on
    assert [e["event"] for e in ours["session"]][:2] == ["session_started", "action"]
    assert len(ours["session"]) == 2 + 5 and ours["all"] == rasa["all"] == 21
    assert ours["nobody"] and rasa["nobody"]


SAME_GRAPH = r"""
import json
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa_ext import graph_schema

class Component:  # minimal_graph_schema reads only the nodes' needs
    pass

def schema():
    node = lambda needs, target=False: SchemaNode(needs, Component, "create", "process", {}, is_target=target)
    return GraphSchema({
        "tokens": node({"message": "__message__"}),
        "words": node({"m": "tokens"}),
        "chars": node({"m": "tokens"}),
        "intent": node({"w": "words", "c": "chars"}, target=True),
        "policy": node({"t": "__tracker__"}),
        "action": node({"p": "policy", "i": "intent"}, target=True),
    })

targets = [["intent"], ["action"], ["action", "intent"], None, ["policy"]]
rasas = [sorted(schema().minimal_graph_schema(t).nodes) for t in targets]
graph_schema.install()
one, other = schema(), schema()
ours = [sorted(one.minimal_graph_schema(t).nodes) for t in targets]
again = [one.minimal_graph_schema(t) is one.minimal_graph_schema(t) for t in targets]
apart = other.minimal_graph_schema(["intent"]) is not one.minimal_graph_schema(["intent"])
print(json.dumps({"rasas": rasas, "ours": ours, "again": again, "apart": apart}))
"""


def test_a_graph_runs_sub_graph_is_rasas_and_worked_out_once(tmp_path):
    seen = probe(SAME_GRAPH)
    assert seen["ours"] == seen["rasas"]
    assert seen["rasas"][0] == ["chars", "intent", "tokens", "words"]  # the walk really prunes
    assert all(seen["again"]) and seen["apart"]
