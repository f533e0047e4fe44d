"""Start the real stack (action server, Rasa, gateway) on free ports for end-to-end tests.

The stack never writes into the checkout: the action server and the gateway
share a temporary copy of the knowledge (documents, curated FAQ and the built
index), so a staff correction made in a test is written there, re-indexed by
the gateway and picked up by the action server like in production; the
database, lead queue, metrics and secrets are temporary too.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "park.tar.gz"
INDEX = ROOT / "instance" / "index"
START_TIMEOUT_S = 240
BUILD_TIMEOUT_S = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} process exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready in {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


def knowledge_copy(dest: Path, env: dict) -> dict:
    """KNOWLEDGE_*_DIR variables for a private copy of knowledge/docs, knowledge/faq and the index.

    The built instance/index is copied (its versioned directory, behind the
    link) and brought up to date with `python -m knowledge build`, which does
    nothing when the copy already matches the documents: much faster than
    building from scratch, which it falls back to when there is no index yet.
    """
    docs, faq, index = dest / "docs", dest / "faq", dest / "index"
    shutil.copytree(ROOT / "knowledge" / "docs", docs)
    shutil.copytree(ROOT / "knowledge" / "faq", faq)
    if (INDEX / "manifest.json").exists():
        version = INDEX.resolve()
        shutil.copytree(version, dest / version.name)
        index.symlink_to(version.name)  # relative, as the build makes it
    dirs = {"KNOWLEDGE_DOCS_DIR": str(docs), "KNOWLEDGE_FAQ_DIR": str(faq), "KNOWLEDGE_INDEX_DIR": str(index)}
    built = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "knowledge", "build", "--quiet"], cwd=ROOT,
                           env={**env, **dirs}, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert built.returncode == 0, built.stderr[-3000:]
    assert (index / "manifest.json").exists(), built.stdout[-3000:]
    return dirs


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Base URL of a running gateway with Rasa and actions behind it."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    logs = tmp_path_factory.mktemp("stack-logs")
    ports = {name: free_port() for name in ("actions", "rasa", "gateway")}
    env = {
        **os.environ,
        "ACTIONS_HOST": "127.0.0.1", "ACTIONS_PORT": str(ports["actions"]), "SANIC_HOST": "127.0.0.1",
        "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(ports["gateway"]),
        "PROMETHEUS_MULTIPROC_DIR": str(logs / "prometheus"),
        "RASA_HOST": "127.0.0.1", "RASA_PORT": str(ports["rasa"]),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "ACTIONS_URL": f"http://127.0.0.1:{ports['actions']}",
        "DATABASE_URL": f"sqlite:///{logs / 'gateway.db'}",
        "TF_CPP_MIN_LOG_LEVEL": "2", "HF_HUB_OFFLINE": "1", "RASA_TELEMETRY_ENABLED": "false",
        "ACTIONS_PRELOAD_KNOWLEDGE": "1",
        "LEADS_API_SECRET": secrets.token_hex(16),
        "LEADS_API_URL": f"http://127.0.0.1:{ports['gateway']}/api/leads",
        "LEADS_QUEUE_DIR": str(logs / "lead-queue"),
        "TRACKER_STORE_URL": f"sqlite:///{logs / 'rasa-tracker.db'}",
        "RASA_MODEL": str(MODEL),
        "RASA_API_TOKEN": secrets.token_hex(16),
        "SESSION_MAX_TURNS": "6",  # small, so the e2e tests cross session boundaries
        # Not the ones generated into instance/: the stack leaves the checkout alone.
        "SECRET_KEY": secrets.token_hex(16), "SENDER_HASH_SALT": secrets.token_hex(8),
    }
    env.update(knowledge_copy(tmp_path_factory.mktemp("knowledge"), env))
    (logs / "prometheus").mkdir()
    commands = {
        "actions": [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
                    "--port", str(ports["actions"])],
        "rasa": [str(ROOT / "scripts/serve-rasa")],
        "gateway": [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "bot:create_app()"],
    }
    health = {
        "actions": f"http://127.0.0.1:{ports['actions']}/health",
        "rasa": f"http://127.0.0.1:{ports['rasa']}/",
        "gateway": f"http://127.0.0.1:{ports['gateway']}/healthz",
    }
    # The gateway's database is migrated as `make migrate` does it, not created ad hoc.
    migrated = subprocess.run([str(ROOT / ".venv/bin/alembic"), "upgrade", "head"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    procs = {}
    started = time.monotonic()
    try:
        for name, cmd in commands.items():
            log = logs / f"{name}.log"
            procs[name] = (subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"),
                                            stderr=subprocess.STDOUT, start_new_session=True), log)
        deadline = time.monotonic() + START_TIMEOUT_S
        for name in ("actions", "rasa", "gateway"):
            proc, log = procs[name]
            _wait(health[name], proc, log, deadline)
        print(f"\nstack ready in {time.monotonic() - started:.1f}s (logs in {logs})")
        yield {"url": f"http://127.0.0.1:{ports['gateway']}", "logs": logs, "procs": procs, "env": env}
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def console_admin(stack):
    """(username, password) of an admin account in the stack's database, made as an operator would."""
    username, password = "e2e-admin", secrets.token_urlsafe(12)
    made = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "bot", "create-staff", "--username", username,
                           "--role", "admin", "--password", password], cwd=ROOT, env=stack["env"],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr[-3000:]
    return username, password
