"""instance/ is 0700; databases, secrets and queued leads are 0600 (issue 18).

park.db and rasa-tracker.db were 0644 and lead-queue files were written 0644,
so any local user could read names and phone numbers. Each place that makes
such a file is checked, for a new install and for one an older version left
wider.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import bot
from actions import leads
from bot.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def ordinary_umask():
    old = os.umask(0o022)  # what a shell usually has: files 0644 unless we say otherwise
    yield
    os.umask(old)


@pytest.mark.parametrize("older_install", [False, True])
def test_the_gateway_makes_instance_0700_and_its_database_and_secrets_0600(tmp_path, monkeypatch, older_install):
    project = tmp_path / "project"
    instance = project / "instance"
    if older_install:  # what today's code leaves behind
        instance.mkdir(parents=True, mode=0o755)
        os.chmod(instance, 0o755)
        (instance / "park.db").touch(mode=0o644)
        (instance / "park.db-wal").touch(mode=0o644)
    monkeypatch.setattr(bot, "PROJECT_DIR", project)
    app = bot.create_app(
        {"TESTING": True, "DATABASE_URL": "", "SECRET_KEY": "", "SENDER_HASH_SALT": "", "RASA_API_TOKEN": ""}
    )
    from bot.db import Base

    Base.metadata.create_all(app.extensions["db_engine"])  # a write: the WAL files exist now
    assert Path(app.instance_path) == instance
    assert mode(instance) == 0o700
    made = sorted(p.name for p in instance.iterdir())
    assert {"park.db", "secret_key", "sender_salt", "rasa-api-token"} <= set(made)
    for path in instance.iterdir():
        if path.is_file():
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
    app.extensions["db_engine"].dispose()


def test_a_new_sqlite_database_and_its_wal_files_are_0600(tmp_path):
    database = tmp_path / "data" / "park.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES ('13800000000')")
        side_files = [database.with_name("park.db" + s) for s in ("-wal", "-shm")]
        assert any(p.exists() for p in side_files)
        for path in [database, *side_files]:
            if path.exists():
                assert mode(path) == 0o600, path.name
    engine.dispose()


def test_in_memory_sqlite_is_left_alone(tmp_path):
    for url in ("sqlite://", "sqlite:///:memory:"):
        with make_engine(url).connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    assert not Path(":memory:").exists()


@pytest.mark.parametrize("older_install", [False, True])
def test_queued_and_refused_leads_are_0600_in_0700_folders(tmp_path, older_install):
    queue = tmp_path / "lead-queue"
    if older_install:
        queue.mkdir(mode=0o755)
        os.chmod(queue, 0o755)
    outbox = leads.LeadOutbox(
        "http://127.0.0.1:9/api/leads", "s", queue, timeout_s=0.5, attempts=1, sleep=lambda s: None
    )
    outbox._start_retrier = lambda: None  # no background retries in a unit test
    assert outbox.submit({"sender_id": "u1", "name": "李雷", "phone": "13800000000"}) == leads.QUEUED
    [queued] = outbox.pending()
    assert mode(queue) == 0o700 and mode(queued) == 0o600
    outbox._set_aside(queued)
    [refused] = (queue / "rejected").iterdir()
    assert mode(queue / "rejected") == 0o700 and mode(refused) == 0o600


def _copy_scripts(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("serve-rasa", "instance-secret"):
        shutil.copy2(ROOT / "scripts" / name, project / "scripts" / name)
    return project


def test_instance_secret_makes_a_0700_instance_and_a_0600_secret(tmp_path):
    project = _copy_scripts(tmp_path)
    (project / "instance").mkdir(mode=0o755)
    os.chmod(project / "instance", 0o755)
    secret = subprocess.run(
        [str(project / "scripts" / "instance-secret"), "leads-api-secret"], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert len(secret) == 64
    assert mode(project / "instance") == 0o700 and mode(project / "instance" / "leads-api-secret") == 0o600


@pytest.mark.parametrize("older_install", [False, True])
def test_serve_rasa_keeps_the_tracker_store_0600(tmp_path, older_install):
    """serve-rasa with a stand-in for Rasa that creates the SQLite tracker store as Rasa would."""
    project = _copy_scripts(tmp_path)
    fake = project / ".venv-rasa" / "bin" / "python"  # serve-rasa runs Rasa as python -m rasa_ext.launch
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "#!/usr/bin/env python3\n"
        "import os, sqlite3\n"
        "path = os.environ['TRACKER_STORE_URL'].removeprefix('sqlite:///')\n"
        "db = sqlite3.connect(path); db.execute('PRAGMA journal_mode=WAL')\n"
        "db.execute('CREATE TABLE IF NOT EXISTS events (data TEXT)')\n"
        "db.execute(\"INSERT INTO events VALUES ('13800000000')\"); db.commit()\n"
        "print(oct(os.umask(0)))\n"
    )
    fake.chmod(0o755)
    tracker = project / "instance" / "rasa-tracker.db"
    if older_install:
        tracker.parent.mkdir(mode=0o755)
        os.chmod(tracker.parent, 0o755)
        tracker.touch(mode=0o644)
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_STORE_URL", "RASA_API_TOKEN")}
    env["RASA_API_TOKEN"] = "token-for-the-test"
    result = subprocess.run(
        [str(project / "scripts" / "serve-rasa")], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0o77"  # Rasa runs with umask 077: whatever else it writes is private too
    assert mode(project / "instance") == 0o700
    assert mode(tracker) == 0o600
    for suffix in ("-wal", "-shm"):
        side = tracker.with_name(tracker.name + suffix)
        if side.exists():
            assert mode(side) == 0o600
