"""PostgreSQL and Redis from Debian's packages, started for this project on loopback.

Several Rasa servers can serve one conversation only if they share a
tracker store (PostgreSQL); several gateway workers share rate-limit counts
through Redis. `make run-scaled` starts both
here with data under instance/scaled/; the fault tests start their own in a
temp directory and stop and start PostgreSQL on purpose.

    python -m ops.stores [--data DIR] -- COMMAND...   # run COMMAND with the stores' URLs set

SIGTERM (systemd, a container runtime, `kill`) is treated like Ctrl-C: the
signal goes on to COMMAND's whole process group, and once it has ended both
stores are stopped. PostgreSQL asks for a password (scram-sha-256), never
trusts: SCALED_PG_PASSWORD, or one generated once into DIR/pg-password (0600).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

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

    def __init__(self, data_dir: Path, port: int | None = None, password: str | None = None):
        self.dir = Path(data_dir)
        self.port = port or free_port()
        self.bin = _pg_bin()
        self._password = password or os.environ.get("SCALED_PG_PASSWORD") or None
        # PostgreSQL refuses to run as root; it then runs as nobody.
        self._as_owner = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    @property
    def password(self) -> str:
        """Given, or kept in the data directory (0600, root's when run as root) from the first start."""
        if self._password is None:
            path = self.dir / "pg-password"
            self.dir.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(24))
            self._password = path.read_text().strip()
        return self._password

    def _run(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*self._as_owner, *args],
            capture_output=True,
            text=True,
            input=stdin,
            env={**os.environ, "PGPASSWORD": self.password},
        )
        if check and done.returncode != 0:
            raise StoreError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres:{quote(self.password, safe='')}@127.0.0.1:{self.port}/{database}"

    def _init(self, data: Path) -> None:
        """A new cluster whose superuser has a password, asked for on every connection."""
        pwfile = self.dir / ".initdb-password"  # read by initdb as nobody, gone right after
        pwfile.write_text(self.password)
        os.chmod(pwfile, 0o600)
        if self._as_owner:
            shutil.chown(pwfile, "nobody")
        try:
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _stop_trusting(self, data: Path) -> None:
        """A cluster made before passwords (auth=trust): give the superuser its password, then require it."""
        hba = data / "pg_hba.conf"
        lines = hba.read_text().splitlines()
        if not any(line.split()[-1:] == ["trust"] for line in lines if not line.lstrip().startswith("#")):
            return
        quoted = self.password.replace("'", "''")  # on stdin: a command line would show it in `ps`
        self._run(
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            "-",
            stdin=f"ALTER USER postgres PASSWORD '{quoted}';",
        )
        hba.write_text(
            "\n".join(
                line[: line.rstrip().rfind("trust")] + "scram-sha-256"
                if line.split()[-1:] == ["trust"] and not line.lstrip().startswith("#")
                else line
                for line in lines
            )
            + "\n"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "reload")

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self._as_owner:  # nobody must reach the directory too: keep it out of private temp dirs
            shutil.chown(self.dir, "nobody")
        data = self.dir / "pg"
        if not (data / "PG_VERSION").exists():
            self._init(data)
        started = self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
            check=False,
        )
        if started.returncode != 0:
            raise StoreError(f"PostgreSQL did not start: {started.stderr or started.stdout}")
        self._stop_trusting(data)
        for database in DATABASES:
            exists = self._run(
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{database}'",
            )
            if exists.stdout.strip() != "1":
                self._run(
                    str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database
                )

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
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
                "--pidfile",
                str(self.dir / "redis.pid"),
            ],
            check=True,
            capture_output=True,
        )
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
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("SCALED_DATA_DIR") or ROOT / "instance" / "scaled")
    )
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("SCALED_PG_PORT", 5433)))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("SCALED_REDIS_PORT", 6380)))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run with the stores, after --")
    stores = SharedStores(args.data, args.pg_port, args.redis_port)
    child: subprocess.Popen | None = None

    def on_signal(sig, _frame):
        if child is None:
            raise _Stopped(sig)
        try:  # the command's whole group: honcho, or the shell still migrating before it
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        stores.start()
        print(
            f"PostgreSQL on 127.0.0.1:{args.pg_port}, Redis on 127.0.0.1:{args.redis_port} (data in {args.data})",
            file=sys.stderr,
        )
        # Its own process group, so a signal reaches it once, from here, whoever sent it to us.
        child = subprocess.Popen(command, env={**os.environ, **stores.env()}, start_new_session=True)
        return child.wait()
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    except _Stopped as stopped:
        return 128 + stopped.args[0]
    finally:
        stores.stop()


class _Stopped(Exception):
    """A stop signal came before the command started."""


if __name__ == "__main__":
    sys.exit(main())
