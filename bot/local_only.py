"""Who may read the operational endpoints: this machine, logged-in staff, or a holder of the metrics token.

/metrics (lead and handoff counts) and /healthz's details (internal URLs,
index, database dialect) told anyone on the internet how the service is
built and how busy it is. The readiness answer itself (GET /healthz: 200 or
503) stays public: load balancers and `make run` read it.

"This machine" is a loopback client address as the gateway sees it. Behind a
reverse proxy on the same host every request comes from loopback, so: with
TRUSTED_PROXY_HOPS set, ProxyFix has already put the real client there; with
it unset, a request that carries X-Forwarded-For came through a proxy and is
not local, whatever the socket says.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request


def from_this_machine() -> bool:
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
    proxied = not current_app.config.get("TRUSTED_PROXY_HOPS") and "X-Forwarded-For" in request.headers
    return loopback and not proxied


def staff_logged_in() -> bool:
    from flask_login import current_user

    try:
        return bool(current_user.is_authenticated)
    except Exception:  # no console on this app, or its session store is down: not proven staff
        return False


def has_metrics_token() -> bool:
    expected = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())
