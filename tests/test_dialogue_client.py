"""The gateway's Rasa client against loopback stand-ins for one or two Rasa servers."""

from __future__ import annotations

import http.server
import inspect
import json
import select
import socket
import time

import pytest

from bot.dialogue import Dialogue, DialogueClient, DialogueUnavailable
from loopback import Loopback
from ops.stores import free_port


class FakeRasa:
    """A loopback HTTP server that records what it was sent and answers like Rasa's REST channel."""

    def __init__(self, name: str, tracker: dict | None = None, dies_after_saving: bool = False, slow_s: float = 0.0):
        self.name, self.requests = name, []
        self.tracker = tracker if tracker is not None else {}  # sender -> events: the shared tracker store
        self.busy: set[str] = set()  # senders with a message being handled now
        self.overlapped = False  # two messages of one sender were handled at once
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                sender = self.path.split("/")[2]
                reply = json.dumps({"events": fake.tracker.get(sender, [])}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.path, body))
                sender = body.get("sender") if isinstance(body, dict) else None
                fake.overlapped |= sender in fake.busy
                fake.busy.add(sender)
                time.sleep(slow_s)
                fake.busy.discard(sender)
                if select.select([self.connection], [], [], 0)[0] and not self.connection.recv(1, socket.MSG_PEEK):
                    return  # the client hung up: like Sanic, drop the request half-way, unrecorded
                if "message" in body:  # handled and saved, as Rasa does before it answers
                    fake.tracker.setdefault(body["sender"], []).extend(
                        [
                            {"event": "user", "text": body["message"], "metadata": body.get("metadata")},
                            {"event": "bot", "text": fake.name, "data": {"buttons": [{"title": "b", "payload": "/b"}]}},
                        ]
                    )
                if dies_after_saving:
                    self.connection.shutdown(2)  # no reply: the server died before it could answer
                    return
                reply = json.dumps([{"recipient_id": "x", "text": fake.name}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.loopback = Loopback(Handler)
        self.url = self.loopback.url

    def stop(self):
        self.loopback.close()


@pytest.fixture
def two_servers():
    servers = [FakeRasa("one"), FakeRasa("two")]
    yield servers
    for server in servers:
        server.stop()


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def test_a_conversation_stays_on_one_server(two_servers):
    client = DialogueClient(",".join(s.url for s in two_servers), 5)
    answered_by = {client.send("web-alice", f"第{i}句")[0]["text"] for i in range(5)}
    assert len(answered_by) == 1
    # and different conversations spread over both
    assert {client.send(f"web-{i}", "你好")[0]["text"] for i in range(20)} == {"one", "two"}


def test_a_dead_server_is_skipped_and_the_message_is_not_lost(two_servers):
    alive = two_servers[1]
    client = DialogueClient(f"{dead_url()},{alive.url}", 5)
    for i in range(6):  # whichever server each sender prefers, the live one answers
        assert client.send(f"web-{i}", "园区在哪里")[0]["text"] == "two"
    assert len(alive.requests) == 6


def test_all_servers_down_is_dialogue_unavailable():
    with pytest.raises(DialogueUnavailable):
        DialogueClient(f"{dead_url()},{dead_url()}", 2).send("web-alice", "你好")


def test_a_server_that_dies_after_saving_is_not_asked_again_its_replies_are_replayed():
    shared: dict = {}
    dying, alive = FakeRasa("one", shared, dies_after_saving=True), FakeRasa("two", shared)
    try:
        client = DialogueClient(f"{dying.url},{alive.url}", 5)
        sender = next(s for s in (f"web-{i}" for i in range(50)) if client._order(s)[0] == dying.url)
        [reply] = client.send(sender, "园区在哪里")
        assert reply["text"] == "one" and reply["buttons"] == [{"title": "b", "payload": "/b"}]
        assert alive.requests == []  # never sent twice
        assert [e["text"] for e in shared[sender] if e["event"] == "user"] == ["园区在哪里"]
    finally:
        dying.stop()
        alive.stop()


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_turn_past_the_deadline_is_answered_without_rasa_but_still_recorded_by_it():
    slow = FakeRasa("slow", slow_s=1.5)
    try:
        client = DialogueClient(slow.url, 0.3)
        started = time.monotonic()
        with pytest.raises(DialogueUnavailable):
            client.send("web-alice", "园区在哪里")
        assert time.monotonic() - started < 1.0  # the caller did not wait for Rasa
        deadline = time.monotonic() + 5  # Rasa finishes the turn in the background, about 1.5 s after it began
        while not slow.tracker.get("web-alice") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [e["text"] for e in slow.tracker["web-alice"] if e["event"] == "user"] == ["园区在哪里"]
    finally:
        slow.stop()


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_senders_turns_reach_rasa_one_at_a_time_in_the_order_sent():
    slow = FakeRasa("slow", slow_s=0.5)
    try:
        client = DialogueClient(slow.url, 0.1)
        for message in ("一", "二", "三"):
            with pytest.raises(DialogueUnavailable):
                client.send("web-alice", message)
        deadline = time.monotonic() + 5
        while len(slow.tracker.get("web-alice", [])) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [e["text"] for e in slow.tracker["web-alice"] if e["event"] == "user"] == ["一", "二", "三"]
        assert not slow.overlapped
    finally:
        slow.stop()


def test_resume_posts_the_resume_and_a_listen_with_the_token(two_servers):
    client = DialogueClient(two_servers[0].url, 5, api_token="s3cret")
    client.resume("wx/abc def")
    [(path, events)] = two_servers[0].requests
    assert path.startswith("/conversations/wx%2Fabc%20def/tracker/events?")
    assert "token=s3cret" in path and "include_events=NONE" in path
    assert events == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def test_start_session_sends_rasas_session_start_intent(two_servers):
    DialogueClient(two_servers[0].url, 5).start_session("web-alice")  # in the background
    deadline = time.monotonic() + 5
    while not two_servers[0].requests and time.monotonic() < deadline:
        time.sleep(0.02)
    [(path, body)] = two_servers[0].requests
    assert path == "/webhooks/rest/webhook"
    assert (body["sender"], body["message"]) == ("web-alice", "/session_start")


def test_an_empty_server_list_is_refused():
    with pytest.raises(ValueError):
        DialogueClient(" , ", 5)


def test_the_client_and_the_tests_one_fake_implement_the_dialogue_protocol():
    """The gateway calls every dialogue through bot.dialogue.Dialogue, with no hasattr checks: the real client and
    the tests' fake (whose scripted variants override only `answer`) must both have each method, same signature."""
    from appsupport import FakeDialogue

    methods = [name for name in vars(Dialogue) if not name.startswith("_") and callable(getattr(Dialogue, name))]
    assert sorted(methods) == ["exchange", "resume", "start_session"]
    for implementation in (DialogueClient, FakeDialogue):
        for name in methods:
            assert inspect.signature(getattr(implementation, name)) == inspect.signature(getattr(Dialogue, name)), (
                implementation.__name__,
                name,
            )


def test_a_server_error_is_dialogue_unavailable_and_a_bad_gateway_tries_the_next(two_servers):
    """500 is Rasa failing the turn (not sent again); 502 and up is a proxy in front of a dead server."""
    statuses = iter([500, 502])

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(next(statuses))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    failing, alive = Loopback(Failing), two_servers[1]
    try:
        client = DialogueClient(f"{failing.url},{alive.url}", 5)
        sender = next(s for s in (f"web-{i}" for i in range(50)) if client._order(s)[0] == failing.url)
        with pytest.raises(DialogueUnavailable):
            client.send(sender, "园区在哪里")
        assert alive.requests == []
        assert client.send(sender, "园区在哪里")[0]["text"] == "two"
    finally:
        failing.close()
