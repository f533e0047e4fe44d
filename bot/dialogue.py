"""The gateway's one way to talk to Rasa: its REST channel webhook.

Every channel (web, WeChat, console) goes through `DialogueClient.send`, which
returns replies in the /api/chat shape. Actions attach their citations as a
custom payload right after the text they belong to; this is where the two are
put back together.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol
from urllib.parse import quote

import turn_contract as contract

from .rasa_http import Failed, JsonHttp, Reply, Unreachable

log = logging.getLogger(__name__)


class DialogueUnavailable(RuntimeError):
    """Rasa did not answer; the caller decides how to degrade."""


class Dialogue(Protocol):
    """What the gateway needs of a dialogue engine: DialogueClient, and every stand-in for it in the tests."""

    def exchange(self, sender_id: str, message: str) -> tuple[list[dict], dict]: ...

    def start_session(self, sender_id: str) -> None: ...

    def resume(self, sender_id: str) -> None: ...


# Keys a custom payload may carry for the gateway's turn log (the turn contract);
# they describe the turn and never reach the user.
META_KEYS = contract.META_KEYS
PUBLIC_SOURCE_KEYS = contract.SOURCE_KEYS


def public_source(source: dict) -> dict:
    """A citation as clients see it; scores and ids stay in the turn log."""
    return {key: source.get(key, "") for key in PUBLIC_SOURCE_KEYS}


def fold_messages(messages: list[dict]) -> tuple[list[dict], dict]:
    """Rasa REST messages -> (replies, meta).

    replies: [{"text","buttons","sources"}] with custom payloads folded into
    the reply before them. meta: what the actions said about the turn
    (outcome, confidence, intent, hits) plus the full sources with their
    scores, for the turn log.
    """
    replies: list[dict] = []
    meta: dict = {"sources": []}
    for message in messages:
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else None
        if custom:
            meta.update({k: custom[k] for k in META_KEYS if k in custom})
            sources = [s for s in custom.get("sources") or [] if isinstance(s, dict)]
            meta["sources"].extend(sources)
        else:
            sources = []
        if custom is not None and message.get("text") is None and not message.get("buttons"):
            if replies:
                replies[-1]["sources"].extend(public_source(s) for s in sources)
            continue
        if message.get("text") is None and not message.get("buttons"):
            continue  # images, attachments: no web rendering for them yet
        replies.append(
            {
                "text": message.get("text") or "",
                "buttons": [
                    {"title": b.get("title", ""), "payload": b.get("payload", "")} for b in message.get("buttons") or []
                ],
                "sources": [public_source(s) for s in sources],
            }
        )
    return replies, meta


def merge_messages(messages: list[dict]) -> list[dict]:
    """Rasa REST messages -> [{"text","buttons","sources"}], custom payloads folded in."""
    return fold_messages(messages)[0]


RETRY_PAUSE_S = 0.5
# A turn the user has stopped waiting for still runs to its end in Rasa, so that
# it is recorded; this bounds how long a hung server can hold a thread.
TURN_LIMIT_S = 120.0
# Turns in flight per gateway process, counting those past their deadline.
TURNS_IN_FLIGHT = 64


def url_list(value: str) -> list[str]:
    """RASA_URL / ACTIONS_URL: one URL, or several separated by commas."""
    return [url.strip().rstrip("/") for url in value.split(",") if url.strip()]


class DialogueClient:
    """Rasa's REST webhook, over one or more Rasa servers that share a tracker store.

    A conversation always goes to the same server while it is up (chosen by a
    stable hash of the sender), and to the next one when that server refuses
    or drops the connection. A server can die after it saved the tracker but
    before it answered, so each message carries a turn id in its metadata:
    before sending it again, the client reads the shared tracker, and if the
    turn is there it returns the replies recorded for it instead. A message
    is therefore handled once, whichever server dies.

    A slow turn is not abandoned: the caller stops waiting after `timeout_s`
    and answers without Rasa, but the request goes on in the background
    until Rasa has handled and recorded it (a closed connection would make
    Rasa cancel the turn half-way, unrecorded). This process sends a
    sender's next turn only after the previous one is done; between gateway
    processes, the Rasa server's conversation lock keeps the order.
    """

    def __init__(self, base_urls: str, timeout_s: float, api_token: str = ""):
        self.servers = url_list(base_urls)
        if not self.servers:
            raise ValueError("RASA_URL names no server")
        self.timeout_s = timeout_s
        self.api_token = api_token
        # Pooled keep-alive connections: no TCP handshake per message (bot/rasa_http.py).
        self._http = JsonHttp(TURNS_IN_FLIGHT)
        self._turns = ThreadPoolExecutor(TURNS_IN_FLIGHT, thread_name_prefix="rasa-turn")
        self._last_turn: dict[str, Future] = {}  # sender -> their latest turn still in flight
        self._last_turn_lock = threading.Lock()

    def _order(self, sender_id: str) -> list[str]:
        start = zlib.crc32(sender_id.encode("utf-8")) % len(self.servers)
        return self.servers[start:] + self.servers[:start]

    def _post(
        self, sender_id: str, path: str, body, recorded=None, timeout_s: float | None = None, params=None
    ) -> Reply | list[dict]:
        """POST to the conversation's server, or the next one. `recorded(server)` may return what
        an earlier, failed server already did, so the request is not repeated."""
        last: Exception | None = None
        # Every server once, then once more after a pause: a server that is
        # restarting or has a full listen queue refuses connections for a moment.
        servers = self._order(sender_id)
        for attempt, server in enumerate(servers + servers):
            if attempt == len(servers):
                time.sleep(RETRY_PAUSE_S)
            if attempt and last is not None and recorded is not None:
                done = recorded(server)
                if done is not None:
                    return done
            try:
                response = self._http.request("POST", f"{server}{path}", timeout_s or self.timeout_s, body, params)
            except Unreachable as exc:
                log.warning("rasa server unreachable, trying the next", extra={"server": server, "error": str(exc)})
                last = exc
                continue
            except Failed as exc:
                raise DialogueUnavailable(str(exc)) from exc
            if response.status >= 502:  # a proxy in front of a dead server
                last = Failed(f"HTTP {response.status} from {server}")
                continue
            return response
        raise DialogueUnavailable(str(last))

    def send(self, sender_id: str, message: str) -> list[dict]:
        return self.exchange(sender_id, message)[0]

    def exchange(self, sender_id: str, message: str) -> tuple[list[dict], dict]:
        """(replies, meta) for one message; see fold_messages."""
        started = time.perf_counter()
        turn = self._queue(sender_id, message)
        try:
            messages = turn.result(timeout=self.timeout_s)
        except FutureTimeout:
            log.warning(
                "rasa slower than its deadline; answering without it while it finishes the turn",
                extra={"deadline_s": self.timeout_s},
            )
            turn.add_done_callback(lambda done: self._late_turn_done(done, started))
            raise DialogueUnavailable(f"no reply within {self.timeout_s} s") from None
        except (Failed, ValueError) as exc:
            log.warning("rasa unavailable", extra={"error": str(exc)})
            raise DialogueUnavailable(str(exc)) from exc
        log.info(
            "rasa replied", extra={"ms": round((time.perf_counter() - started) * 1000, 1), "messages": len(messages)}
        )
        return fold_messages(messages)

    def _queue(self, sender_id: str, message: str) -> Future:
        """Send `message` in the background, after the sender's turn in flight (if any) is done."""
        with self._last_turn_lock:
            earlier = self._last_turn.get(sender_id)
            turn = self._turns.submit(self._turn, sender_id, message, earlier)
            self._last_turn[sender_id] = turn
        turn.add_done_callback(lambda done: self._forget(sender_id, done))
        return turn

    def _turn(self, sender_id: str, message: str, earlier: Future | None) -> list[dict]:
        """One message through Rasa, in a background thread; waits for the sender's earlier turn first."""
        if earlier is not None:
            try:
                earlier.result(timeout=TURN_LIMIT_S)
            except Exception:  # its failure was the earlier caller's to report
                pass
        turn_id = uuid.uuid4().hex
        response = self._post(
            sender_id,
            "/webhooks/rest/webhook",
            {"sender": sender_id, "message": message, "metadata": {"turn": turn_id}},
            timeout_s=TURN_LIMIT_S,
            recorded=lambda server: self._recorded_replies(server, sender_id, turn_id),
        )
        if isinstance(response, list):
            return response
        response.raise_for_status()
        return response.json()

    @staticmethod
    def _late_turn_done(turn: Future, started: float) -> None:
        """How a turn the user stopped waiting for ended: recorded by Rasa, or lost."""
        ms = round((time.perf_counter() - started) * 1000)
        error = turn.exception()
        if error is None:
            log.info("late turn completed in rasa", extra={"ms": ms})
        else:
            log.error(
                "late turn failed in rasa; it is missing from the conversation's history",
                extra={"ms": ms, "error": str(error)},
            )

    def _forget(self, sender_id: str, turn: Future) -> None:
        with self._last_turn_lock:
            if self._last_turn.get(sender_id) is turn:
                del self._last_turn[sender_id]

    def _recorded_replies(self, server: str, sender_id: str, turn: str) -> list[dict] | None:
        """The bot messages the tracker holds for this turn, or None if the turn is not recorded."""
        try:
            response = self._http.request(
                "GET",
                f"{server}/conversations/{quote(sender_id, safe='')}/tracker",
                self.timeout_s,
                params={"token": self.api_token, "include_events": "AFTER_RESTART"},
            )
            events = response.json().get("events") or [] if response.ok else []
        except (Unreachable, Failed, ValueError, AttributeError):
            return None
        for index, event in enumerate(events):
            if event.get("event") == "user" and (event.get("metadata") or {}).get("turn") == turn:
                break
        else:
            return None
        log.warning(
            "rasa server died after handling a message; replaying its recorded replies", extra={"server": server}
        )
        replies = []
        for event in events[index + 1 :]:
            if event.get("event") == "user":
                break
            if event.get("event") == "bot":
                data = event.get("data") or {}
                replies.append(
                    {
                        "text": event.get("text"),
                        **{key: data[key] for key in ("buttons", "custom", "image", "attachment") if data.get(key)},
                    }
                )
        return replies

    def start_session(self, sender_id: str) -> None:
        """Start a new Rasa session for this conversation (slots carry over; see actions/session.py).

        Returns at once: the session starts in the background, queued like a
        turn, so the reply that asked for it does not wait for a second round
        trip, and the conversation's next message is sent only after it. If it
        fails, the action server asks again on the next turn.
        """
        self._queue(sender_id, "/session_start").add_done_callback(self._session_started)

    @staticmethod
    def _session_started(turn: Future) -> None:
        if turn.exception() is not None:
            log.warning(
                "could not start a new rasa session; the next turn asks again", extra={"error": str(turn.exception())}
            )

    def resume(self, sender_id: str) -> None:
        """Undo a handoff's pause, through Rasa's HTTP API (token-protected).

        `action_listen` follows the resume so the next message is read as a
        fresh user turn, exactly as after any bot reply.
        """
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        path = f"/conversations/{quote(sender_id, safe='')}/tracker/events"
        try:
            response = self._post(sender_id, path, events, params={"token": self.api_token, "include_events": "NONE"})
            response.raise_for_status()
        except Failed as exc:
            raise DialogueUnavailable(str(exc)) from exc
