"""GET /healthz: 200 only when every component can serve a chat, with detail per component.

Everyone gets the status code and the one-word status; the components (with
internal URLs) only this machine and logged-in staff (bot/local_only.py).

When Rasa or the action server is down but the knowledge index is readable,
the gateway still answers (degraded mode); /healthz then says "degraded",
still with 503, since the bot is not whole.

The re-index worker is reported too ("reindex": alive, jobs waiting), but it
does not decide readiness: chat is served without it, only staff changes wait.
"""
from __future__ import annotations

import json

import requests
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .dialogue import url_list
from .local_only import from_this_machine, staff_logged_in

bp = Blueprint("health", __name__)


def _probe(url: str, timeout: float) -> dict:
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return {"ok": False, "url": url, "detail": type(exc).__name__}
    return {"ok": response.ok, "url": url, "detail": f"HTTP {response.status_code}"}


def _probe_all(urls: str, path: str, timeout: float) -> dict:
    """One server, or several behind the gateway (make run-scaled): ready while one of them is."""
    servers = [_probe(f"{url}{path}", timeout) for url in url_list(urls)]
    if len(servers) == 1:
        return servers[0]
    return {"ok": any(s["ok"] for s in servers), "servers": servers,
            "detail": f"{sum(s['ok'] for s in servers)} of {len(servers)} up"}


def actions_down() -> bool:
    """True when an action server does not answer its health check.

    Rasa answers 200 with no messages when it cannot reach the action
    server, so an empty reply alone cannot tell a broken turn from a quiet one.
    """
    cfg = current_app.config
    return not all(_probe(f"{url}/health", cfg["HEALTH_TIMEOUT_S"])["ok"] for url in url_list(cfg["ACTIONS_URL"]))


def _knowledge(index_dir) -> dict:
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return {"ok": False, "detail": f"no readable index at {index_dir}: {type(exc).__name__}"}
    return {"ok": manifest.get("chunks", 0) > 0, "chunks": manifest.get("chunks"),
            "model": manifest.get("model"), "built_at": manifest.get("built_at")}


def _database() -> dict:
    try:
        with current_app.extensions["db_engine"].connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": True, "dialect": current_app.extensions["db_engine"].dialect.name}


@bp.get("/healthz")
def healthz():
    cfg = current_app.config
    timeout = cfg["HEALTH_TIMEOUT_S"]
    components = {
        "gateway": {"ok": True},
        "database": _database(),
        "rasa": _probe_all(cfg["RASA_URL"], "/", timeout),
        "actions": _probe_all(cfg["ACTIONS_URL"], "/health", timeout),
        "knowledge": _knowledge(cfg["KNOWLEDGE_INDEX_DIR"]),
    }
    ready = all(c["ok"] for c in components.values())
    from .reindex_jobs import worker_state

    try:
        reindex = worker_state()
    except Exception as exc:  # the database check above already says why
        reindex = {"ok": False, "detail": type(exc).__name__}
    if ready:
        status = "ok"
    elif (cfg.get("DEGRADED_MODE", True) and components["knowledge"]["ok"] and components["database"]["ok"]
          and not (components["rasa"]["ok"] and components["actions"]["ok"])):
        status = "degraded"  # chat still answers from the knowledge package
    else:
        status = "unavailable"
    body = {"status": status}
    if from_this_machine() or staff_logged_in():
        body["components"], body["reindex"] = components, reindex
    return jsonify(body), 200 if ready else 503
