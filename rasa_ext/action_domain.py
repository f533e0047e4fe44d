"""The domain sent to the action server once, not with every action call.

Why it exists: Rasa 3.6 puts the whole domain (~23 KB of JSON: every response in both
languages) into every action call, and a park question makes two (the language slot's
mapping, then the answer). Profiled under `make bench` (ops/profiles/), encoding the calls
was ~6% of the Rasa server and parsing them ~10% of the action server.

This is the action server's own domain cache, the protocol rasa-sdk (>= 3.10; ours is
pinned in requirements.lock) implements for newer Rasa versions: every call carries
`domain_digest`; the domain itself goes to an endpoint only until it was sent there once
with that digest. An action server that does not have it (restarted, or another worker)
answers 449 before running anything, and the call is made again with the domain. Each
action still receives the whole domain. When Rasa would not send the domain at all
(selective domain), nothing changes. `rasa_ext.launch` installs it before Rasa starts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

DOMAIN_MISSING = 449  # rasa-sdk: "I have no domain with this digest, send it"

_original: dict[str, Any] = {}


def domain_digest(domain) -> str:
    """A digest of the domain as Rasa sends it, computed once per Domain object."""
    data = domain.as_dict()
    kept = domain.__dict__.get("_rasa_ext_digest")
    if kept is not None and kept[0] is data:
        return kept[1]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    domain._rasa_ext_digest = (data, digest)
    return digest


def action_call_format(self, tracker, domain) -> dict[str, Any]:
    """RemoteAction._action_call_format, with `domain_digest`, and the domain only if the endpoint lacks it."""
    body = _original["_action_call_format"](self, tracker, domain)
    if "domain" not in body or self.action_endpoint is None:
        return body  # selective domain left it out: as Rasa does
    digest = body["domain_digest"] = domain_digest(domain)
    if self.action_endpoint.__dict__.get("_rasa_ext_domain_sent") == digest:
        del body["domain"]
    else:
        # Optimistic: if this call fails, the next one without the domain gets 449 and resends it.
        self.action_endpoint._rasa_ext_domain_sent = digest
    return body


def _domain_missing(error: BaseException) -> bool:
    cause = error.__cause__
    return getattr(cause, "status", None) == DOMAIN_MISSING


async def run(self, output_channel, nlg, tracker, domain):
    """RemoteAction.run, made once more with the domain when the action server says it has none."""
    try:
        return await _original["run"](self, output_channel, nlg, tracker, domain)
    except Exception as error:
        if not _domain_missing(error) or self.action_endpoint is None:
            raise
        self.action_endpoint._rasa_ext_domain_sent = None
        return await _original["run"](self, output_channel, nlg, tracker, domain)


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    if _original:
        return
    _original.update(_action_call_format=RemoteAction._action_call_format, run=RemoteAction.run)
    RemoteAction._action_call_format = action_call_format
    RemoteAction.run = run
