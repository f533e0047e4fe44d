"""PostgreSQL and Redis from Debian's packages, started for this project on loopback.

Several Rasa servers can serve one conversation only if they share a
tracker store (PostgreSQL); several gateway workers share rate-limit counts
through Redis. `make run-scaled` starts both
here with data under instance/scaled/; the fault tests start their own in a
temp directory and stop and start PostgreSQL on purpose.

    python -m ops.stores [--data DIR] -- COMMAND...   # run COMMAND with the stores' URLs set
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASES = ("park", "rasa")  # the gateway's, and Rasa's tracker store


class StoreError(RuntimeError):
    """A store is not installed or did not start; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise StoreError("PostgreSQL is not installed: run `make system-deps`")


class Postgres:
    """One PostgreSQL cluster in `data_dir` (created on first start, kept after)."""

    def __init__(self, data_dir: Path, port: int | None = None):
        self.dir = Path(data_dir)
        self.port = port or free_port()
        self.bin = _pg_bin()
        # PostgreSQL refuses to run as root; it then runs as nobody.
        self._as_owner = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*self._as_owner, *args], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise StoreError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self._as_owner:  # nobody must reach the directory too: keep it out of private temp dirs
            shutil.chown(self.dir, "nobody")
        data = self.dir / "pg"
        if not (data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8")
        started = self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "postgres.log"),
                            "-w", "-t", "60", "-o",
                            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
                            "start", check=False)
        if started.returncode != 0:
            raise StoreError(f"PostgreSQL did not start: {started.stderr or started.stdout}")
        for database in DATABASES:
            exists = self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                               "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
            if exists.stdout.strip() != "1":
                self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                          database)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "pg"), "-m", mode, "-w", "stop", check=False)


class Redis:
    """A Redis server on loopback, without persistence: rate-limit counts are short-lived."""

    def __init__(self, data_dir: Path, port: int | None = None):
        self.dir = Path(data_dir)
        self.port = port or free_port()
        if not shutil.which("redis-server"):
            raise StoreError("Redis is not installed: run `make system-deps`")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir),
                        "--logfile", str(self.dir / "redis.log"), "--pidfile", str(self.dir / "redis.pid")],
                       check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise StoreError(f"Redis did not start on port {self.port}: see {self.dir / 'redis.log'}")

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)


class SharedStores:
    """PostgreSQL + Redis, and the environment that points every service at them."""

    def __init__(self, data_dir: Path, pg_port: int | None = None, redis_port: int | None = None):
        self.postgres = Postgres(Path(data_dir), pg_port)
        self.redis = Redis(Path(data_dir) / "redis", redis_port)

    def start(self) -> "SharedStores":
        self.postgres.start()
        try:
            self.redis.start()
        except BaseException:
            self.postgres.stop()
            raise
        return self

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.postgres.url("park"),
            "TRACKER_STORE_URL": self.postgres.url("rasa", driver="postgresql"),  # Rasa's venv has psycopg2
            # Rasa's lock store stays in memory, one per server: the gateway sends a conversation to
            # one server at a time, and a shared (Redis) lock would outlive a killed server and make
            # that conversation's next turns overlap, so the tracker store kept only one of them.
            "RATELIMIT_STORAGE_URI": self.redis.url(2),
        }

    def __enter__(self) -> "SharedStores":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.stores", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "instance" / "scaled")
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("SCALED_PG_PORT", 5433)))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("SCALED_REDIS_PORT", 6380)))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run with the stores, after --")
    try:
        stores = SharedStores(args.data, args.pg_port, args.redis_port).start()
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"PostgreSQL on 127.0.0.1:{args.pg_port}, Redis on 127.0.0.1:{args.redis_port} (data in {args.data})",
          file=sys.stderr)
    try:
        return subprocess.call(command, env={**os.environ, **stores.env()})
    except KeyboardInterrupt:
        return 130
    finally:
        stores.stop()


if __name__ == "__main__":
    sys.exit(main())
