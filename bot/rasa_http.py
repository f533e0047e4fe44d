"""JSON over kept-alive HTTP for the dialogue client (bot/dialogue.py), on urllib3 directly.

Every chat turn makes one call to Rasa, so this is on the gateway's hot path. Through requests
the call cost ~1.3 ms of gateway CPU, through urllib3 (which requests itself uses) ~0.9 ms: the
difference is requests' per-call machinery (merging session settings, hooks, the cookie jar,
reading proxy settings and ~/.netrc from the environment), none of which a call to our own Rasa
needs (ops/profiles/README.md, round 5). Rasa is reached directly, never through HTTP(S)_PROXY.

Failures come in the two kinds the client's failover needs: `Unreachable` (refused, dropped, or
cut off while answering: another server may take the message, after the client has checked it
was not already handled) and `Failed` (reached, but no usable answer in time: a read timeout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ProtocolError, SSLError

JSON_HEADERS = {"Content-Type": "application/json"}


class Unreachable(Exception):
    """No answer from this server: the connection was refused, dropped or cut off."""


class Failed(Exception):
    """The server was reached, but the exchange failed (a read timeout, an error status, a bad body)."""


@dataclass(frozen=True)
class Reply:
    status: int
    data: bytes

    @property
    def ok(self) -> bool:
        return self.status < 400

    def json(self):
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.data)

    def raise_for_status(self) -> None:
        if not self.ok:
            raise Failed(f"HTTP {self.status}")


class JsonHttp:
    """Pooled keep-alive connections per server; safe to share between threads."""

    def __init__(self, connections_per_server: int):
        # Not blocking on a full pool (an extra connection is opened and dropped), never retrying on
        # its own: the client decides what a failure means (a turn must not be sent twice).
        self._pool = urllib3.PoolManager(maxsize=connections_per_server, block=False, retries=False)

    def request(self, method: str, url: str, timeout_s: float, body=None, params: dict | None = None) -> Reply:
        if params:
            url = f"{url}?{urlencode(params)}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        try:
            response = self._pool.request(
                method,
                url,
                body=data,
                headers=JSON_HEADERS if data is not None else None,
                timeout=timeout_s,
                retries=False,
                redirect=False,
            )
        except (ConnectTimeoutError, ProtocolError, SSLError) as exc:  # refused, reset, or cut off mid-reply
            raise Unreachable(str(exc)) from exc
        except HTTPError as exc:  # a read timeout, an undecodable body
            raise Failed(str(exc)) from exc
        return Reply(response.status, response.data)
