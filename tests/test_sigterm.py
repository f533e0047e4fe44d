"""SIGTERM stops what an entry point started, as Ctrl-C does (issue 18 part 6).

systemd and container runtimes stop a service with SIGTERM. `make run-scaled`
used to leave its PostgreSQL and Redis running then (ops.stores stopped them
on Ctrl-C only), and that PostgreSQL trusted every local connection. Each test
starts a real entry point (make and honcho, ops.stores with Debian's
PostgreSQL and Redis, scripts/with-postgres), sends SIGTERM to its top
process, and checks that nothing it started is left.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from ops.stores import free_port

ROOT = Path(__file__).resolve().parent.parent
HAS_STORES = bool(list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))) and shutil.which("redis-server")
pytestmark = pytest.mark.slow  # starts make, honcho, PostgreSQL and Redis: left out of make test-fast
needs_stores = pytest.mark.skipif(
    not HAS_STORES, reason="needs Debian's postgresql and redis-server (make system-deps)"
)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def all_gone(pids: list[int], timeout: float = 30) -> bool:
    _, alive = psutil.wait_procs(
        [p for p in (psutil.Process(pid) for pid in pids if psutil.pid_exists(pid))], timeout=timeout
    )
    return not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_make_run_stops_honcho_and_every_process_on_sigterm(tmp_path):
    marker = tmp_path / "started"
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"one: sleep 300\ntwo: touch {marker} && exec sleep 301\n")
    proc = subprocess.Popen(
        ["make", "-o", "setup", "-o", "index", "-o", "train", "-o", "migrate", "run", f"PROCFILE={procfile}"],
        cwd=ROOT,
        env={**os.environ, "LEADS_API_SECRET": "x"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(marker.exists, 30, "the stand-in Procfile never started")
        time.sleep(0.5)
        started = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        names = {psutil.Process(pid).name() for pid in started}
        assert "sleep" in names and any("honcho" in " ".join(psutil.Process(p).cmdline()) for p in started)
        proc.send_signal(signal.SIGTERM)  # to make, the top process, as systemd's main PID
        proc.wait(30)
        assert all_gone(started), "make run left processes behind"
    finally:
        stop(proc)


@pytest.fixture
def pg_dir():
    """Not under pytest's tmp_path: PostgreSQL runs as nobody, who cannot enter root's private temp dirs."""
    path = Path(tempfile.mkdtemp(prefix="park-sigterm-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@needs_stores
def test_make_run_scaled_stops_honcho_postgres_and_redis_on_sigterm(tmp_path, pg_dir):
    """The issue's finding as it was seen: `make run-scaled` stopped with SIGTERM left both stores running."""
    marker = tmp_path / "started"
    procfile = tmp_path / "Procfile.scaled"
    procfile.write_text(f"one: sleep 300\ntwo: touch {marker} && exec sleep 301\n")
    pg, redis = free_port(), free_port()
    proc = subprocess.Popen(
        [
            "make",
            "-o",
            "setup",
            "-o",
            "system-deps",
            "-o",
            "index",
            "-o",
            "train",
            "run-scaled",
            f"PROCFILE_SCALED={procfile}",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "LEADS_API_SECRET": "x",
            "SCALED_DATA_DIR": str(pg_dir / "scaled"),
            "SCALED_PG_PORT": str(pg),
            "SCALED_REDIS_PORT": str(redis),
        },
    )
    try:
        wait_until(marker.exists, 120, "run-scaled never reached its Procfile (stores, migration, honcho)")
        time.sleep(0.5)
        assert listening(pg) and listening(redis)
        started = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        assert not listening(pg) and not listening(redis), "PostgreSQL or Redis outlived SIGTERM"
        assert all_gone(started, 10), "run-scaled left processes behind"
    finally:
        stop(proc)
        subprocess.run(["redis-cli", "-p", str(redis), "shutdown", "nosave"], capture_output=True)


@needs_stores
def test_ops_stores_stops_postgres_and_redis_on_sigterm(tmp_path, pg_dir):
    pg, redis = free_port(), free_port()
    data, url_file = pg_dir / "scaled", tmp_path / "url"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ops.stores",
            "--data",
            str(data),
            "--pg-port",
            str(pg),
            "--redis-port",
            str(redis),
            "--",
            "bash",
            "-c",
            f'echo "$DATABASE_URL" > {url_file}; sleep 300 & sleep 301; wait',
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: url_file.exists() and url_file.read_text().strip(), 90, "the stores did not start")
        assert listening(pg) and listening(redis)
        command = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        password_is_asked_for(url_file.read_text().strip(), data)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        assert not listening(pg) and not listening(redis), "PostgreSQL or Redis outlived SIGTERM"
        assert all_gone(command, 10), "the command outlived SIGTERM"
    finally:
        stop(proc)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from ops.stores import Postgres; import sys; "
                "Postgres(sys.argv[1], int(sys.argv[2])).stop('immediate')",
                str(data),
                str(pg),
            ],
            cwd=ROOT,
            capture_output=True,
        )
        subprocess.run(["redis-cli", "-p", str(redis), "shutdown", "nosave"], capture_output=True)


def password_is_asked_for(url: str, data: Path) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    assert parsed.password and len(parsed.password) >= 16
    kwargs = {"host": "127.0.0.1", "port": parsed.port, "user": "postgres", "dbname": "park", "connect_timeout": 5}
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(**kwargs).close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**kwargs, password="wrong").close()
    psycopg.connect(**kwargs, password=parsed.password).close()
    hba = [
        line.split()
        for line in (data / "pg" / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert hba and all(fields[-1] == "scram-sha-256" for fields in hba)


@needs_stores
def test_a_cluster_made_with_trust_asks_for_a_password_after_the_next_start(pg_dir):
    from ops.stores import Postgres

    old = Postgres(pg_dir / "old")
    old.dir.mkdir(parents=True)
    if old._as_owner:
        shutil.chown(old.dir, "nobody")
    old._run(
        str(old.bin / "initdb"),
        "-D",
        str(old.dir / "pg"),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )  # as ops.stores made clusters before
    try:
        old.start()
        password_is_asked_for(old.url("park"), old.dir)
    finally:
        old.stop("immediate")


@needs_stores
def test_with_postgres_stops_its_server_and_command_on_sigterm(tmp_path):
    url_file = tmp_path / "url"
    proc = subprocess.Popen(
        [
            str(ROOT / "scripts" / "with-postgres"),
            "bash",
            "-c",
            f'echo "$TEST_DATABASE_URL" > {url_file}; exec sleep 300',
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: url_file.exists() and url_file.read_text().strip(), 60, "with-postgres did not start")
        from sqlalchemy.engine import make_url

        url = make_url(url_file.read_text().strip())
        assert url.password and listening(url.port)
        started = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        data_dir = next(
            Path(a).parent
            for p in psutil.process_iter(["cmdline"])
            for a in (p.info["cmdline"] or [])
            if a.startswith("/tmp/park-pg.") and a.endswith("/data")
        )
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        assert not listening(url.port), "PostgreSQL outlived SIGTERM"
        assert all_gone(started, 10) and not data_dir.exists()
    finally:
        stop(proc)
