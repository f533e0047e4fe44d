"""No gunicorn outlives the test that started it (tests/gunicorn_harness.py): not when the test fails, and not
when the pytest process itself is killed, where no `finally` runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from gunicorn_harness import GUNICORN, ROOT, SETPRIV, gunicorn, live_members
from ops.stores import free_port

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not GUNICORN.exists(), reason="needs .venv/bin/gunicorn")]

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'up']\n"


def serve(tmp_path):
    (tmp_path / "hello.py").write_text(APP)
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(base, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    args = ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(tmp_path), "hello:app"]
    return gunicorn(args, dict(os.environ), tmp_path / "gunicorn.log", up)


def gone(pgid: int, within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while live_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_failing_test_leaves_no_gunicorn_behind(tmp_path):
    with pytest.raises(AssertionError), serve(tmp_path) as process:
        assert len(live_members(process.pid)) == 3  # the master and its two workers
        raise AssertionError("the test failed")
    assert live_members(process.pid) == []


@pytest.mark.skipif(not SETPRIV, reason="needs util-linux setpriv")
def test_a_killed_pytest_leaves_no_gunicorn_behind(tmp_path):
    """A stand-in for pytest, killed with SIGKILL while its gunicorn runs: the kernel takes gunicorn down."""
    script = (
        "import pathlib, sys, time\n"
        f"sys.path[:0] = [{str(ROOT / 'tests')!r}, {str(ROOT)!r}]\n"
        "from test_gunicorn_harness import serve\n"
        f"with serve(pathlib.Path({str(tmp_path)!r})) as process:\n"
        "    print(process.pid, flush=True)\n"
        "    time.sleep(600)\n"
    )
    runner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        pgid = int(runner.stdout.readline())
        assert live_members(pgid)
        runner.kill()
        runner.wait(10)
        assert gone(pgid), f"still running: {live_members(pgid)}"
    finally:
        runner.kill()
