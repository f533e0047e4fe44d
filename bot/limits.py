"""Rate limits (Flask-Limiter): per client IP and per chat sender.

Limits come from the config (RATELIMIT_*), storage from RATELIMIT_STORAGE_URI
(memory:// per process by default; redis://… to share between workers).
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def sender_key() -> str:
    from .bodies import parsed

    body, _error = parsed()  # a bad body is refused by the view; here it just has no sender
    sender = body.get("sender_id") if isinstance(body, dict) else None
    if not isinstance(sender, str) or not sender.strip():
        sender = request.args.get("sender_id", "")
    # Unknown senders share the IP's bucket rather than escaping the limit.
    return f"sender:{sender.strip()[:128]}" if sender else f"ip:{get_remote_address()}"


def setting(name: str):
    return lambda: current_app.config[name]
