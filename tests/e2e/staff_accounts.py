"""A console account in a running stack's database, made as an operator would (`flask create-staff`).

Shared by the e2e fixtures that log staff in: the session-wide admin (conftest.py) and the handoff
stack's own staff member (test_handoff_stack.py)."""

from __future__ import annotations

import secrets
import subprocess

from ops.stack import ROOT


def create_staff_account(env: dict, username: str, role: str) -> tuple[str, str]:
    """(username, password) of a new account with `role`, in the database `env` points at."""
    password = secrets.token_urlsafe(12)
    made = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "bot", "create-staff"]
        + ["--username", username, "--role", role, "--password", password],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    return username, password
