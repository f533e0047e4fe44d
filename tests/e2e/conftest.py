"""Start the real stack (action server, Rasa, gateway) on free ports for end-to-end tests."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "park.tar.gz"
START_TIMEOUT_S = 240


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
    }
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
