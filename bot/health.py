"""GET /healthz: 200 only when every component can serve a chat, with detail per component.

Everyone gets the status code and the one-word status; the components (with
internal URLs) only this machine and logged-in staff (bot/local_only.py).

When Rasa or the action server is down but the knowledge index is readable,
the gateway still answers (degraded mode); /healthz then says "degraded",
still with 503, since the bot is not whole.

A chat turn needs to know whether the action servers are up (an empty reply
from Rasa means nothing without it), but must not wait on HTTP probes to find
out: `ActionsWatch` probes them on a schedule in a background thread, and a
turn reads the cached answer.

The re-index worker is reported too ("reindex": alive, jobs waiting), but it
does not decide readiness: chat is served without it, only staff changes wait.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref

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
    return {
        "ok": any(s["ok"] for s in servers),
        "servers": servers,
        "detail": f"{sum(s['ok'] for s in servers)} of {len(servers)} up",
    }


log = logging.getLogger(__name__)


class ActionsWatch:
    """Whether an action server is down, probed every `interval_s` in a background thread.

    Until the first probe has answered, the servers count as up: a turn then
    keeps Rasa's reply as it is rather than wait. The thread starts on first
    use in each process (gunicorn workers fork after the app may exist) and
    ends once the watch is garbage.
    """

    def __init__(self, urls: list[str], timeout_s: float, interval_s: float):
        self.urls, self.timeout_s, self.interval_s = urls, timeout_s, max(interval_s, 0.1)
        self._down: bool | None = None  # None: not probed yet
        self._pid: int | None = None  # the process whose thread is probing
        self._lock = threading.Lock()

    def refresh(self) -> bool:
        """Probe every action server now; True when one of them is down."""
        down = not all(_probe(f"{url}/health", self.timeout_s)["ok"] for url in self.urls)
        if down != self._down:
            log.log(
                logging.WARNING if down else logging.INFO, "action server health changed", extra={"actions_down": down}
            )
        self._down = down
        return down

    def start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, args=(weakref.ref(self),), name="actions-health", daemon=True).start()

    @staticmethod
    def _run(ref: weakref.ref) -> None:
        while (watch := ref()) is not None:
            try:
                watch.refresh()
            except Exception:  # a probe must never end the schedule
                log.exception("action server health probe failed")
            pause = watch.interval_s
            del watch  # hold no reference while asleep, so the watch can be collected
            time.sleep(pause)

    def down(self) -> bool:
        """The cached answer: True only when the latest probe found a server down."""
        self.start()
        return bool(self._down)


def init_app(app) -> None:
    cfg = app.config
    watch = ActionsWatch(url_list(cfg["ACTIONS_URL"]), cfg["HEALTH_TIMEOUT_S"], cfg["HEALTH_PROBE_INTERVAL_S"])
    app.extensions["actions_health"] = watch
    if not app.testing:
        watch.start()  # known before the first turn that needs it


def actions_down() -> bool:
    """True when the latest scheduled probe found an action server down (no HTTP call here).

    Rasa answers 200 with no messages when it cannot reach the action
    server, so an empty reply alone cannot tell a broken turn from a quiet one.
    """
    return current_app.extensions["actions_health"].down()


def _knowledge(index_dir) -> dict:
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return {"ok": False, "detail": f"no readable index at {index_dir}: {type(exc).__name__}"}
    return {
        "ok": manifest.get("chunks", 0) > 0,
        "chunks": manifest.get("chunks"),
        "model": manifest.get("model"),
        "built_at": manifest.get("built_at"),
    }


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
    elif (
        cfg.get("DEGRADED_MODE", True)
        and components["knowledge"]["ok"]
        and components["database"]["ok"]
        and not (components["rasa"]["ok"] and components["actions"]["ok"])
    ):
        status = "degraded"  # chat still answers from the knowledge package
    else:
        status = "unavailable"
    body = {"status": status}
    if from_this_machine() or staff_logged_in():
        body["components"], body["reindex"] = components, reindex
    return jsonify(body), 200 if ready else 503
