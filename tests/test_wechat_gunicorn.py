"""The retry storm across two gunicorn worker processes sharing one SQLite database."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import requests

from gunicorn_harness import GUNICORN, ROOT, gunicorn, live_members
from ops.stores import free_port
from appsupport import create_schema
from wechat_sim import FakeWeChatApi, LOCATION_ANSWER, Simulator, wait_for

BUDGET = 1.0

# slow: starts gunicorn (make test-fast leaves it out)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not GUNICORN.exists(), reason="needs .venv/bin/gunicorn")]


@pytest.fixture
def gateway(tmp_path, db_url):
    with FakeWeChatApi() as api:
        port = free_port()
        log_path, ready_path = tmp_path / "dialogue.log", tmp_path / "ready.log"
        create_schema(db_url)
        # Not the repo's gunicorn.conf.py: its threads=8 silently turns sync workers
        # into gthread ones (then one process can take every retry and the test
        # proves nothing about two processes), and its start hook clears instance/.
        config = tmp_path / "gunicorn.conf.py"
        config.write_text("# sync workers, one thread each: the gunicorn defaults\n")
        env = dict(
            os.environ,
            WX_TEST_DB_URL=db_url,
            WX_TEST_API_BASE=api.url,
            WX_TEST_BUDGET_S=str(BUDGET),
            WX_TEST_DIALOGUE_DELAY_S="2.5",
            WX_TEST_DIALOGUE_LOG=str(log_path),
            WX_TEST_READY_LOG=str(ready_path),
        )
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                booted = len(ready_path.read_text().split()) >= 2
                return booted and requests.get(base + "/wechat", timeout=0.5).status_code == 403
            except (OSError, requests.RequestException):
                return False

        # Sync workers on purpose (the repo's gunicorn.conf.py says gthread): a sync
        # worker busy with the first POST cannot accept the retries, so they must
        # land on the other process, and the dedup is tested across processes.
        args = [
            "--config",
            str(config),
            "--worker-class",
            "sync",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(ROOT / "tests"),
            "--chdir",
            str(ROOT),
            "--graceful-timeout",
            "10",
            "wechat_sim:create_gunicorn_app()",
        ]
        try:  # the whole process group stops however the test ends (tests/gunicorn_harness.py)
            with gunicorn(args, env, tmp_path / "gunicorn.log", up, start_timeout_s=60) as process:
                yield base, api, log_path
        except RuntimeError as exc:  # it never came up
            pytest.fail(str(exc))
        assert live_members(process.pid) == [], "gunicorn processes outlived the test"


def test_retry_storm_across_two_workers_gets_exactly_one_answer(gateway):
    base, api, log_path = gateway
    sim = Simulator.for_url(base)
    msg_id, create_time = sim.next_msg_id(), int(time.time())
    replies, threads = [None] * 4, []

    def post(i):
        replies[i] = sim.send(sim.text("o-two-workers", "园区在哪里", msg_id=msg_id, create_time=create_time))

    for i in range(4):  # the first POST and three retries, 0.3 s apart, all while the first is in flight
        threads.append(threading.Thread(target=post, args=(i,)))
        threads[-1].start()
        time.sleep(0.3)
    for thread in threads:
        thread.join(15)

    assert all(r is not None and r.status == 200 for r in replies)
    pids = {r.headers.get("X-Worker-Pid") for r in replies}
    assert len(pids) == 2, "both workers should have taken part"
    assert wait_for(lambda: api.messages or any(r.text for r in replies), timeout=6)
    time.sleep(1.0)  # room for a duplicate to show up
    calls = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert len(calls) == 1 and calls[0][2] == "园区在哪里"
    got = [r.text for r in replies if r.text] + api.texts("o-two-workers")
    assert len(got) == 1 and LOCATION_ANSWER in got[0]
    assert len(api.token_requests) <= 1
