"""The running Rasa server's token is not on its command line (issue 18 part 7), checked with `ps`.

The stack starts Rasa through scripts/serve-rasa as the Procfile does; `ps`
lists every process's arguments to every user of the machine. The token must
still work: Rasa's API refuses a request without it and answers one with it.
"""

from __future__ import annotations

import subprocess

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_ps_shows_no_rasa_token_and_the_api_still_needs_it(stack):
    token = stack["env"]["RASA_API_TOKEN"]
    rasa, _log = stack["procs"]["rasa"]
    listing = subprocess.run(["ps", "-eo", "pid,args", "ww"], capture_output=True, text=True, check=True).stdout
    line = next(row for row in listing.splitlines() if row.strip().startswith(f"{rasa.pid} "))
    assert "rasa_ext.launch run" in line and "--enable-api" in line
    assert token not in listing and "--auth-token" not in line  # other stacks on the machine may differ
    rasa_url = stack["env"]["RASA_URL"].split(",")[0]
    assert requests.get(f"{rasa_url}/status", timeout=10).status_code == 401
    assert requests.get(f"{rasa_url}/status", params={"token": token}, timeout=10).status_code == 200
