"""The live handoff queue under gunicorn's gthread workers, as deployed (gunicorn.conf.py).

A server-sent-event stream holds a worker thread while it is open. With two
workers of two threads each, two staff pages' streams must still leave room
for other requests, see a handoff written by any process, and end on time so
a thread is never held for good.
"""

from __future__ import annotations

import os
import re
import threading
import time

import pytest
import requests

from appsupport import PASSWORD, add_staff, make_app
from bot.models import Handoff
from gunicorn_harness import GUNICORN, ROOT, gunicorn, live_members
from ops.stores import free_port

STREAM_SECONDS = 4.0

# slow: starts gunicorn (make test-fast leaves it out)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not GUNICORN.exists(), reason="needs .venv/bin/gunicorn")]


@pytest.fixture
def gateway(tmp_path):
    """(base url, database url, tmp_path) of a two-worker gthread gunicorn, stopped with its whole process
    group when the test ends, passed or failed (tests/gunicorn_harness.py)."""
    url = f"sqlite:///{tmp_path / 'park.db'}"
    app = make_app(tmp_path, DATABASE_URL=url)  # the schema and a staff account, as an operator would
    add_staff(app, "li")
    app.extensions["db_engine"].dispose()
    config = tmp_path / "gunicorn.conf.py"
    # The repo's worker settings, without its start hook (which empties instance/prometheus).
    config.write_text('worker_class = "gthread"\nworkers = 2\nthreads = 2\ntimeout = 30\n')
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY="stream-test-secret",
        SENDER_HASH_SALT="salt",
        RASA_API_TOKEN="unused",
        HANDOFF_STREAM_SECONDS=str(STREAM_SECONDS),
        HANDOFF_CLAIM_TIMEOUT_MINUTES="0",
        HANDOFF_STREAMS_PER_WORKER="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    (tmp_path / "prometheus").mkdir()
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(base + "/staff/login", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    args = ["--config", str(config), "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "bot:create_app()"]
    try:
        with gunicorn(args, env, tmp_path / "gunicorn.log", up) as process:
            yield base, url, tmp_path
    except RuntimeError as exc:  # it never came up
        pytest.fail(str(exc))
    # However the test ended, nothing of gunicorn runs on (the harness stopped its group).
    assert live_members(process.pid) == [], "gunicorn processes outlived the test"


def logged_in(base) -> requests.Session:
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(base + "/staff/login").text).group(1)
    response = session.post(
        base + "/staff/login", data={"username": "li", "password": PASSWORD, "csrf_token": token}, allow_redirects=False
    )
    assert response.status_code == 302
    return session


def test_staff_pages_see_a_new_handoff_and_leave_threads_for_other_requests(gateway):
    """Three pages on two workers of two threads, one long stream per worker: the pages past the limit
    poll (their streams end at once, as EventSource reconnects), so a request is never queued behind them."""
    base, url, tmp_path = gateway
    staff = [logged_in(base) for _ in range(3)]
    seen: list[list[str]] = [[] for _ in staff]
    lasted: list[list[float]] = [[] for _ in staff]
    until = time.monotonic() + STREAM_SECONDS + 2

    def listen(i):
        """EventSource's behaviour: read a stream to its end, wait its retry, connect again."""
        while time.monotonic() < until:
            opened, retry = time.monotonic(), 2.0
            with staff[i].get(base + "/api/staff/handoffs/events", stream=True, timeout=STREAM_SECONDS + 10) as r:
                assert r.headers["Content-Type"].startswith("text/event-stream")
                for line in r.iter_lines(decode_unicode=True):
                    if line.startswith("data: "):
                        seen[i].append(line)
                    elif line.startswith("retry: "):
                        retry = int(line[7:]) / 1000
            lasted[i].append(time.monotonic() - opened)
            time.sleep(retry)

    # Daemons: a failed assertion does not leave the suite waiting for them (each ends with its stream anyway).
    listeners = [threading.Thread(target=listen, args=(i,), daemon=True) for i in range(len(staff))]
    for thread in listeners:
        thread.start()
    time.sleep(1.0)
    for _ in range(3):  # other requests are served at once while the pages listen
        before = time.monotonic()
        assert staff[0].get(base + "/staff/handoffs/queue", timeout=10).status_code == 200
        assert time.monotonic() - before < 1.0
    # A handoff written by some other process reaches every page.
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(url)
    with Session(engine) as session:
        session.add(Handoff(channel="web", sender_hash="h" * 64, sender_id="web-x", status="open"))
        session.commit()
    engine.dispose()
    for thread in listeners:
        thread.join(STREAM_SECONDS + 15)
    for events in seen:
        assert '"open": 0' in events[0] and any('"waiting": 1' in e for e in events[1:]), events
    durations = [d for page in lasted for d in page]
    assert max(durations) < STREAM_SECONDS + 2  # a stream gives its thread back on time
    assert any(d > STREAM_SECONDS - 0.5 for d in durations)  # and some were real streams, not all polls
    assert sum(1 for d in durations if d < 1.0) >= 1  # and a page past the limit polled
