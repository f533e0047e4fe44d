"""Retention runs by itself and clears every store (issue 18 part 1).

Each store gets one record past its period and one inside it: Rasa's tracker
store (written by the tracker store class Rasa runs, in Rasa's venv), the
gateway's turns, feedback, handoffs, leads and WeChat rows, and lead-queue files.
The job must delete exactly the old ones. The last test starts the job the way
the Procfile does and stops it with SIGTERM, as honcho and systemd do.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from appsupport import make_app, rows
from bot import db
from bot.models import Feedback, Handoff, HandoffMessage, Lead, Turn, VisitBooking, VisitSlot, utcnow
from bot.wechat.models import WeChatFollower, WeChatMessage, WeChatOptions

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
OLD_DAYS, NEW_DAYS = 200, 10  # every period below is 100 days
SEED = """
import asyncio, sys, time
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext.tracker_store import ErasingSQLTrackerStore

store = ErasingSQLTrackerStore(host=sys.argv[1])
day = 86400
for sender, ages in (("web-old", [200]), ("web-new", [10]), ("web-both", [200, 10])):
    tracker = DialogueStateTracker(sender, [])
    for age in ages:
        at = time.time() - age * day
        for event in (ActionExecuted("action_listen", timestamp=at), UserUttered(f"{age} 天前 13812345678", timestamp=at),
                      SlotSet("phone", "13812345678", timestamp=at)):
            tracker.update(event)
    asyncio.run(store.save(tracker))
"""
PERIODS = {
    name: 100
    for name in (
        "TRACKER_RETENTION_DAYS",
        "TURN_RETENTION_DAYS",
        "HANDOFF_RETENTION_DAYS",
        "LEAD_RETENTION_DAYS",
        "LEAD_QUEUE_RETENTION_DAYS",
        "WECHAT_RETENTION_DAYS",
    )
}
pytestmark = [
    pytest.mark.slow,  # runs Rasa's Python for every test, and the Procfile process: left out of make test-fast
    pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs Rasa's venv (make setup)"),
]


def tracker_texts(url: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [
            str(RASA_PYTHON),
            "-m",
            "rasa_ext.person",
            "export",
            "--url",
            url,
            "--conversation",
            "web-old",
            "--conversation",
            "web-new",
            "--conversation",
            "web-both",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    events = json.loads(done.stdout)["events"]
    return {sender: [e["text"] for e in kept if e["event"] == "user"] for sender, kept in events.items()}


def seed(app, tmp_path) -> None:
    subprocess.run(
        [str(RASA_PYTHON), "-c", SEED, app.config["TRACKER_STORE_URL"]],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    now = utcnow()
    with app.app_context():
        session = db.session()
        for label, days in (("old", OLD_DAYS), ("new", NEW_DAYS)):
            at = now - timedelta(days=days)
            turn = Turn(
                channel="web",
                sender_hash=f"h-{label}",
                user_text=f"{label} 13812345678",
                outcome="answered",
                created_at=at,
            )
            session.add(turn)
            session.flush()
            session.add(Feedback(turn_id=turn.id, sender_hash=f"h-{label}", rating=-1, created_at=at))
            lead = Lead(idempotency_key=f"k-{label}", phone="13812345678", name=label, created_at=at)
            slot = VisitSlot(starts_at=at + timedelta(days=3), ends_at=at + timedelta(days=3, hours=1), created_at=at)
            session.add_all([lead, slot])
            session.flush()
            session.add(
                VisitBooking(slot_id=slot.id, lead_id=lead.id, channel="web", sender_hash=f"h-{label}", created_at=at)
            )
            handoff = Handoff(channel="web", sender_hash=f"h-{label}", status="closed", created_at=at)
            session.add(handoff)
            session.flush()
            session.add(HandoffMessage(handoff_id=handoff.id, author="tenant", text=label, created_at=at))
            naive = at.replace(tzinfo=None)
            session.add(WeChatMessage(key=f"m-{label}", openid_hash=f"o-{label}", created_at=naive, updated_at=naive))
            session.add(WeChatFollower(openid_hash=f"o-{label}", updated_at=naive, last_message_at=naive))
            session.add(WeChatOptions(openid_hash=f"o-{label}", updated_at=naive))
            # A conversation still open long after it began is live; it is not the job's to end it.
        session.add(Handoff(channel="web", sender_hash="h-open", status="open", created_at=now - timedelta(days=300)))
        session.commit()
    queue = Path(app.config["LEADS_QUEUE_DIR"])
    (queue / "rejected").mkdir(parents=True)
    for label, days in (("old", OLD_DAYS), ("new", NEW_DAYS)):
        for path in (queue / f"lead-{label}.json", queue / "rejected" / f"lead-{label}.json"):
            path.write_text(json.dumps({"sender_id": f"web-{label}", "phone": "13812345678"}), "utf-8")
            at = time.time() - days * 86400
            os.utime(path, (at, at))


@pytest.fixture
def app(tmp_path):
    app = make_app(
        tmp_path,
        TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'rasa-tracker.db'}",
        RASA_PYTHON=RASA_PYTHON,
        LEADS_QUEUE_DIR=tmp_path / "lead-queue",
        **PERIODS,
    )
    seed(app, tmp_path)
    yield app
    app.extensions["db_engine"].dispose()


def only_young_data_is_left(app, tmp_path) -> None:
    assert tracker_texts(app.config["TRACKER_STORE_URL"]) == {
        "web-old": [],
        "web-new": ["10 天前 13812345678"],
        "web-both": ["10 天前 13812345678"],
    }
    assert [t.user_text for t in rows(app, Turn)] == ["new 13812345678"]
    assert len(rows(app, Feedback)) == 1
    assert [lead.name for lead in rows(app, Lead)] == ["new"]
    assert [b.sender_hash for b in rows(app, VisitBooking)] == ["h-new"]  # a lead's bookings go with it
    assert sorted((h.sender_hash, h.status) for h in rows(app, Handoff)) == [("h-new", "closed"), ("h-open", "open")]
    assert [m.text for m in rows(app, HandoffMessage)] == ["new"]
    with app.app_context():
        session = db.session()
        for model in (WeChatMessage, WeChatFollower, WeChatOptions):
            assert [r.openid_hash for r in session.query(model).all()] == ["o-new"], model.__name__
    queue = tmp_path / "lead-queue"
    assert sorted(p.relative_to(queue).as_posix() for p in queue.rglob("*.json")) == [
        "lead-new.json",
        "rejected/lead-new.json",
    ]


def test_one_run_deletes_what_is_past_its_period_in_every_store(app, tmp_path):
    before = tracker_texts(app.config["TRACKER_STORE_URL"])
    assert before["web-old"] and len(before["web-both"]) == 2 and len(rows(app, Turn)) == 2
    result = app.test_cli_runner().invoke(args=["retention", "--once"])
    assert result.exit_code == 0, result.output
    assert "tracker 6" in result.output and "turns 1" in result.output and "lead_queue 2" in result.output
    only_young_data_is_left(app, tmp_path)


def test_a_period_of_zero_keeps_that_store(app, tmp_path):
    app.config["LEAD_RETENTION_DAYS"] = 0
    from bot.retention import run_once

    counts = run_once(app)
    assert counts["leads"] is None and counts["turns"] == 1
    assert sorted(lead.name for lead in rows(app, Lead)) == ["new", "old"]


def test_a_failing_store_does_not_keep_the_others(app, tmp_path):
    app.config["RASA_PYTHON"] = tmp_path / "no-such-python"
    from bot.retention import run_once

    counts = run_once(app)
    assert counts["tracker"] is None and counts["turns"] == 1 and counts["leads"] == 1
    assert [t.user_text for t in rows(app, Turn)] == ["new 13812345678"]


def test_the_procfile_process_runs_the_job_and_stops_on_sigterm(app, tmp_path):
    procfile = (ROOT / "Procfile").read_text("utf-8")
    line = next(line for line in procfile.splitlines() if line.startswith("retention:"))
    assert "flask --app bot retention" in line and "retention:" in (ROOT / "Procfile.scaled").read_text("utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": "k",
        "SENDER_HASH_SALT": "test-salt",
        "TRACKER_STORE_URL": app.config["TRACKER_STORE_URL"],
        "RASA_PYTHON": str(RASA_PYTHON),
        "LEADS_QUEUE_DIR": str(tmp_path / "lead-queue"),
        "RETENTION_FIRST_RUN_S": "0.1",
        "HANDOFF_CLAIM_TIMEOUT_MINUTES": "0",
        **{k: str(v) for k, v in PERIODS.items()},
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "bot", "retention"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while len(rows(app, Turn)) > 1 or len(list((tmp_path / "lead-queue").rglob("*.json"))) > 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the job did not run"
            time.sleep(0.3)
        time.sleep(1)  # the run's last store (the queue) done; now it waits for the next
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "retention job stopped" in proc.stdout.read()
    only_young_data_is_left(app, tmp_path)
