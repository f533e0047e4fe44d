"""The gateway's one way to talk to Rasa: its REST channel webhook.

Every channel (web, WeChat, console) goes through `DialogueClient.send`, which
returns replies in the /api/chat shape. Actions attach their citations as a
custom payload right after the text they belong to; this is where the two are
put back together.
"""
from __future__ import annotations

import logging
import time

import requests

log = logging.getLogger(__name__)


class DialogueUnavailable(RuntimeError):
    """Rasa did not answer; the caller decides how to degrade."""


# Keys an action may add to its custom payload for the gateway's turn log.
# They describe the turn; they never reach the user.
META_KEYS = ("outcome", "confidence", "intent", "hits")
PUBLIC_SOURCE_KEYS = ("title", "publisher", "published", "url", "snippet")


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
        replies.append({
            "text": message.get("text") or "",
            "buttons": [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                        for b in message.get("buttons") or []],
            "sources": [public_source(s) for s in sources],
        })
    return replies, meta


def merge_messages(messages: list[dict]) -> list[dict]:
    """Rasa REST messages -> [{"text","buttons","sources"}], custom payloads folded in."""
    return fold_messages(messages)[0]


class DialogueClient:
    def __init__(self, base_url: str, timeout_s: float):
        self.webhook = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
        self.timeout_s = timeout_s
        # One pooled session: keep-alive saves a TCP handshake per message.
        self._http = requests.Session()

    def send(self, sender_id: str, message: str) -> list[dict]:
        return self.exchange(sender_id, message)[0]

    def exchange(self, sender_id: str, message: str) -> tuple[list[dict], dict]:
        """(replies, meta) for one message; see fold_messages."""
        started = time.perf_counter()
        try:
            response = self._http.post(
                self.webhook, json={"sender": sender_id, "message": message}, timeout=self.timeout_s
            )
            response.raise_for_status()
            messages = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("rasa unavailable", extra={"error": str(exc), "webhook": self.webhook})
            raise DialogueUnavailable(str(exc)) from exc
        log.info("rasa replied", extra={"ms": round((time.perf_counter() - started) * 1000, 1),
                                        "messages": len(messages)})
        return fold_messages(messages)
