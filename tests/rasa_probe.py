"""Run a probe script under Rasa's own Python (.venv-rasa) and read the JSON it prints last.

Tests of rasa_ext/ must import Rasa, which lives in the other virtualenv: they send a script there,
with this repository on the path and nothing of the calling environment, and compare what it saw.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
NEEDS_RASA = [pytest.mark.slow, pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs Rasa's venv (make setup)")]


def probe(script: str, *args: str, **env: str) -> dict:
    """The last line the script printed, as JSON; its stderr's tail when it fails."""
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script, *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
