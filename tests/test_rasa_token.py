"""The Rasa API token never reaches a command line (issue 18 part 7): `ps` shows every user's arguments.

scripts/serve-rasa is run with a stand-in for Rasa's Python that records its
arguments and environment, as the running server's /proc/PID/cmdline would show
them; rasa_ext/launch.py is run with Rasa's real Python and Rasa's own argument
parser. tests/e2e/test_exposure_stack.py checks the real running server with `ps`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def serve_rasa(tmp_path: Path, **env: str) -> dict:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("serve-rasa", "instance-secret"):
        shutil.copy2(ROOT / "scripts" / name, project / "scripts" / name)
    fake = project / ".venv-rasa" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "#!/usr/bin/env python3\nimport json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'cmdline': open('/proc/self/cmdline').read(),"
        " 'file': os.environ.get('RASA_API_TOKEN_FILE'), 'env': os.environ.get('RASA_API_TOKEN')}))\n"
    )
    fake.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if not k.startswith("RASA_API_TOKEN")}
    done = subprocess.run(
        [str(project / "scripts" / "serve-rasa")],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {**json.loads(done.stdout), "project": project}


def test_the_shared_secret_file_is_named_not_its_content(tmp_path):
    seen = serve_rasa(tmp_path)
    secret_file = seen["project"] / "instance" / "rasa-api-token"
    secret = secret_file.read_text().strip()
    assert len(secret) == 64 and secret_file.stat().st_mode & 0o777 == 0o600
    assert seen["argv"][:3] == ["-m", "rasa_ext.launch", "run"] and "--enable-api" in seen["argv"]
    assert secret not in seen["cmdline"] and "--auth-token" not in seen["cmdline"]
    assert seen["file"] == str(secret_file) and seen["env"] is None


def test_an_operator_token_goes_by_environment(tmp_path):
    seen = serve_rasa(tmp_path, RASA_API_TOKEN="operator-token-123")
    assert "operator-token-123" not in seen["cmdline"] and seen["env"] == "operator-token-123"
    assert not (seen["project"] / "instance" / "rasa-api-token").exists()


@pytest.mark.slow  # runs Rasa's Python: left out of make test-fast
@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs Rasa's venv (make setup)")
@pytest.mark.parametrize("by", ["file", "env"])
def test_the_launcher_hands_the_token_to_rasas_own_parser(tmp_path, by):
    secret_file = tmp_path / "token"
    secret_file.write_text("s3cret-token\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        **({"RASA_API_TOKEN_FILE": str(secret_file)} if by == "file" else {"RASA_API_TOKEN": "s3cret-token"}),
    }
    probe = (
        "import sys, rasa_ext.launch as l\n"
        "sys.argv = l.rasa_argv(sys.argv[1:], l.token())\n"
        "from rasa.cli.arguments.run import *\n"
        "from rasa.__main__ import create_argument_parser\n"
        "args = create_argument_parser().parse_args(sys.argv[1:])\n"
        "print(args.auth_token, args.enable_api, args.port)\n"
    )
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", probe, "run", "--enable-api", "--port", "5999"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["s3cret-token", "True", "5999"]


@pytest.mark.slow  # runs Rasa's Python: left out of make test-fast
@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs Rasa's venv (make setup)")
def test_no_token_or_one_on_the_command_line_is_refused():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    missing = subprocess.run(
        [str(RASA_PYTHON), "-m", "rasa_ext.launch", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0 and "RASA_API_TOKEN" in missing.stderr
    given = subprocess.run(
        [str(RASA_PYTHON), "-m", "rasa_ext.launch", "run", "--auth-token", "x"],
        cwd=ROOT,
        env={**env, "RASA_API_TOKEN": "t"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert given.returncode != 0 and "must not be given on the command line" in given.stderr
