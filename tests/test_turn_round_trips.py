"""A chat turn costs one call to Rasa and nothing else on the request path.

The gateway runs with its real Rasa client against a loopback stand-in for
Rasa (which also answers the action server's /health). Health probes run on a
schedule, not in the turn; a session rollover asked for by the action server
is sent after the reply, queued before the conversation's next message.
"""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from appsupport import make_app
from loopback import Loopback
from bot.dialogue import DialogueClient
from bot.health import ActionsWatch

QUESTION, FOLLOW_UP = "园区在哪里？", "还有呢"


class LoopbackRasa:
    """Records every request in order; holds /session_start until `release` is set."""

    def __init__(self):
        self.log: list[tuple[str, str]] = []  # (method, path or message), in arrival order
        self.replies: list[dict] = [{"text": "园区位于萧山机场西侧。"}]
        self.release = threading.Event()
        self.session_started = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.log.append(("GET", self.path))
                self._answer({"status": "ok"})

            def do_POST(self):
                message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["message"]
                fake.log.append(("POST", message))
                if message == "/session_start":
                    fake.release.wait(10)
                    fake.session_started.set()
                    self._answer([])
                else:
                    self._answer(fake.replies)

            def log_message(self, *args):
                pass

        self.loopback = Loopback(Handler)
        self.url = self.loopback.url

    def messages(self) -> list[str]:
        return [what for method, what in self.log if method == "POST"]


@pytest.fixture
def rasa():
    server = LoopbackRasa()
    yield server
    server.release.set()
    server.loopback.close()


@pytest.fixture
def gateway(tmp_path, rasa, monkeypatch):
    # No background schedule in these tests, so every request to the stand-in comes from the turn itself.
    monkeypatch.setattr(ActionsWatch, "start", lambda self: None)
    app = make_app(tmp_path, DialogueClient(rasa.url, 5), RASA_URL=rasa.url, ACTIONS_URL=rasa.url)
    yield app
    app.extensions["db_engine"].dispose()


def chat(client, message):
    response = client.post("/api/chat", json={"sender_id": "web-erin", "message": message})
    assert response.status_code == 200
    return response.get_json()


def test_a_turn_is_exactly_one_call_to_rasa(gateway, rasa):
    client = gateway.test_client()
    assert chat(client, QUESTION)["replies"][0]["text"] == "园区位于萧山机场西侧。"
    assert rasa.log == [("POST", QUESTION)]
    chat(client, FOLLOW_UP)
    assert rasa.log == [("POST", QUESTION), ("POST", FOLLOW_UP)]


def test_an_empty_reply_reads_the_cached_health_and_probes_nothing(gateway, rasa):
    """Not probed yet (the schedule is off here): the servers count as up and Rasa's reply is kept."""
    rasa.replies = []  # what Rasa says when it could not run an action, or has nothing to say
    assert chat(gateway.test_client(), QUESTION)["replies"] == []
    assert rasa.log == [("POST", QUESTION)]  # no /health probe on the request path


def test_the_session_rollover_waits_for_neither_the_reply_nor_a_second_round_trip(gateway, rasa):
    client = gateway.test_client()
    rasa.replies = [{"text": "园区位于萧山机场西侧。"}, {"custom": {"outcome": "answered", "end_session": True}}]
    started = time.monotonic()
    assert chat(client, QUESTION)["replies"][0]["text"] == "园区位于萧山机场西侧。"
    # The reply is out while Rasa still holds /session_start: the turn did not wait for it.
    assert not rasa.session_started.is_set() and time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while rasa.messages() != [QUESTION, "/session_start"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rasa.messages() == [QUESTION, "/session_start"]

    # The next message goes to Rasa only once the new session has started.
    rasa.replies = [{"text": "好的。"}]
    next_turn = threading.Thread(target=chat, args=(client, FOLLOW_UP))
    next_turn.start()
    time.sleep(0.3)
    assert rasa.messages() == [QUESTION, "/session_start"]
    rasa.release.set()
    next_turn.join(10)
    assert rasa.messages() == [QUESTION, "/session_start", FOLLOW_UP]
    assert [method for method, _ in rasa.log] == ["POST"] * 3  # and no probes


def test_the_scheduled_probe_finds_a_dead_action_server_and_the_turn_reads_it(tmp_path):
    from ops.stores import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    watch = ActionsWatch([dead], timeout_s=0.5, interval_s=0.1)
    deadline = time.monotonic() + 5
    while not watch.down() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert watch.down() is True
