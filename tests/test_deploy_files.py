"""deploy/'s files are usable as the README says (issue 18 part 5): the systemd unit verifies and runs as a
user, the nginx site file renders only when every placeholder has a value (nginx itself checks and runs it
in tests/test_nginx_proxy.py)."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "park.service"
RENDER = ROOT / "deploy" / "nginx" / "render"


def test_the_unit_runs_make_run_as_an_unprivileged_user_and_stops_with_sigterm():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(UNIT)
    service = unit["Service"]
    assert service["User"] not in ("", "root") and service["ExecStart"].endswith("make run")
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "control-group"
    assert "TRUSTED_PROXY_HOPS=1" in service["Environment"] and "GATEWAY_HOST=127.0.0.1" in service["Environment"]
    assert service["NoNewPrivileges"] == "yes" and service["CapabilityBoundingSet"] == ""


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_the_unit():
    done = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True)
    problems = [
        line
        for line in done.stderr.splitlines()
        if "park.service" in line and "/srv/park" not in line and "User" not in line
    ]
    assert done.returncode == 0 or not problems, done.stderr


def test_the_site_file_needs_every_value_and_refuses_injection():
    missing = subprocess.run([str(RENDER), "SERVER_NAME=park.example.org"], capture_output=True, text=True)
    assert missing.returncode != 0 and "CERT" in missing.stderr and "KEY" in missing.stderr
    injected = subprocess.run(
        [str(RENDER), "SERVER_NAME=x; include /etc/passwd", "CERT=/c", "KEY=/k"], capture_output=True, text=True
    )
    assert injected.returncode != 0
    done = subprocess.run(
        [str(RENDER), "SERVER_NAME=park.example.org", "CERT=/etc/ssl/park.crt", "KEY=/etc/ssl/private/park.key"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not re.search(r"@[A-Z_]+@", done)
    assert "server 127.0.0.1:8000;" in done and "listen 443 ssl http2;" in done and "listen 80;" in done
