"""Rasa's calls to the action server: one kept connection, the domain sent once (issue 19, A cheaper turn).

Run with Rasa's own Python, as the server runs, against a loopback action server that counts
TCP connections and follows rasa-sdk's domain rule (449 when a call has no domain and a digest
it does not know). The same calls are made with Rasa's own code first, so the test shows that
what it counts does change: Rasa 3.6 opens a connection and sends the domain per call.
"""

import pytest

from rasa_probe import NEEDS_RASA, probe

pytestmark = NEEDS_RASA

PROBE = r"""
import asyncio, json, sys
from aiohttp import web
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

INSTALL = sys.argv[1].split(",") if sys.argv[1] else []
DOMAIN = Domain.from_yaml('''
version: "3.1"
intents: [greet]
slots:
  seen:
    type: any
    mappings: [{type: custom}]
responses:
  utter_hi: [{text: "你好"}, {text: "Hello", condition: [{type: slot, name: seen, value: en}]}]
actions: [action_probe]
''')

server = {"peers": set(), "calls": [], "digest": None}

async def webhook(request):
    server["peers"].add(request.transport.get_extra_info("peername"))
    body = await request.json()
    server["calls"].append({
        "domain": body.get("domain") == DOMAIN.as_dict(), "has_domain": "domain" in body,
        "digest": body.get("domain_digest"),
        "events": [[e["event"], sorted(e)] for e in body["tracker"]["events"]],
        "latest_message": body["tracker"]["latest_message"]["intent"]["name"],
    })
    # rasa-sdk's rule (ActionExecutor.update_and_return_domain): no domain and an unknown digest -> 449
    if body.get("domain") is None and (not server["digest"] or server["digest"] != body.get("domain_digest")):
        return web.json_response({"error": "no domain", "action_name": body["next_action"]}, status=449)
    if body.get("domain"):
        server["digest"] = body.get("domain_digest")
    return web.json_response({"events": [{"event": "slot", "name": "seen", "value": len(server["calls"])}],
                              "responses": [{"text": "ok"}]})

async def calls(endpoint, n):
    def said(text, intent):
        return UserUttered(text, {"name": intent, "confidence": 0.9}, parse_data={
            "text": text, "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9}], "entities": []})
    earlier = [said("你好", "greet"), ActionExecuted("utter_hi"),
               BotUttered("你好", data={"custom": {"passages": ["…"]}}), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("probe", earlier + [said("hi", "greet")], slots=DOMAIN.slots)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    results = []
    for _ in range(n):
        events = await RemoteAction("action_probe", endpoint).run(CollectingOutputChannel(), nlg, tracker, DOMAIN)
        results.append([e.as_dict().get("event") for e in events])
    return results

def reset():
    server["peers"].clear()
    server["calls"].clear()
    server["digest"] = None

async def main():
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
    seen = {}
    results = await calls(endpoint, 4)  # Rasa's own code
    seen["rasa"] = {"connections": len(server["peers"]), "calls": server["calls"][:], "results": results}
    reset()
    from rasa_ext import action_connections, action_domain, action_tracker
    if "connections" in INSTALL:
        action_connections.install()
    if "domain" in INSTALL:
        action_domain.install()
    if "tracker" in INSTALL:
        action_tracker.install()
    results = await calls(endpoint, 4)
    seen["ours"] = {"connections": len(server["peers"]), "calls": server["calls"][:], "results": results}
    reset()  # the action server restarted: it has no domain any more
    results = await calls(endpoint, 2)
    seen["restarted"] = {"calls": server["calls"][:], "results": results}
    session = endpoint.__dict__.get("_rasa_ext_session")
    class App:  # what Sanic hands to the listener; no agent loaded
        class ctx:
            agent = None
    await rasa.core.run.close_resources(App(), asyncio.get_running_loop())
    seen["closed_at_stop"] = None if session is None else session[1].closed
    await runner.cleanup()
    print(json.dumps(seen))

asyncio.run(main())
"""


def _probe(install: str) -> dict:
    return probe(PROBE, install)


@pytest.fixture(scope="module")
def both():
    return _probe("connections,domain,tracker")


def test_action_calls_share_one_connection(both):
    assert both["rasa"]["connections"] == 4  # Rasa 3.6: a connection per call
    assert both["ours"]["connections"] == 1
    assert both["closed_at_stop"] is True  # the kept session ends with the server


def test_connections_alone_change_nothing_but_the_connections():
    alone = _probe("connections")
    assert alone["ours"]["connections"] == 1
    assert alone["ours"]["calls"] == alone["rasa"]["calls"]  # same bodies: the domain every time
    assert alone["ours"]["results"] == alone["rasa"]["results"]


def test_the_domain_goes_to_the_action_server_once(both):
    rasa, ours, restarted = both["rasa"]["calls"], both["ours"]["calls"], both["restarted"]["calls"]
    assert all(c["domain"] and c["digest"] is None for c in rasa)  # Rasa 3.6: the domain in every call
    digest = ours[0]["digest"]
    assert digest and all(c["digest"] == digest for c in ours + restarted)
    assert ours[0]["domain"] and not any(c["has_domain"] for c in ours[1:])
    # a restarted action server answers 449 to the call without the domain; it is made again, with it
    assert [c["has_domain"] for c in restarted] == [False, True, False]
    assert restarted[1]["domain"]
    # what the actions returned reached Rasa exactly as before, the retried call included
    assert both["ours"]["results"] == both["rasa"]["results"]
    assert both["restarted"]["results"] == [["bot", "slot"]] * 2


def test_earlier_message_bodies_stay_with_rasa(both):
    rasa, ours = both["rasa"]["calls"][0], both["ours"]["calls"][0]
    # Rasa 3.6 sends every field of every event; ours every event in order, in full from the latest user message
    assert [e for e, _ in ours["events"]] == [e for e, _ in rasa["events"]]
    assert ours["latest_message"] == rasa["latest_message"] == "greet"
    (_, user), (_, bot) = rasa["events"][0], rasa["events"][2]  # the earlier user and bot messages
    assert "parse_data" in user and "data" in bot
    assert ours["events"][0][1] == [k for k in user if k != "parse_data"]
    assert ours["events"][2][1] == [k for k in bot if k != "data"]
    assert ours["events"][1] == rasa["events"][1] and ours["events"][3:] == rasa["events"][3:]
    assert "parse_data" in ours["events"][-1][1]
