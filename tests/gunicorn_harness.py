"""A gunicorn for one test that never outlives it.

A test that fails or is interrupted while gunicorn runs must not leave the
master or its workers behind (they hold ports, SQLite files and CPU for the
rest of the suite). So gunicorn runs in a process group of its own, the
whole group is stopped in a `finally` (SIGQUIT, gunicorn's quick shutdown,
then SIGKILL), and the master is started through util-linux's `setpriv
--pdeathsig KILL`, so the kernel kills it when the pytest process dies
outright, where no `finally` runs; the workers then see their master gone
and exit. (setpriv rather than a preexec_fn: that is unsafe in a process
with threads, and the tests' apps run background threads.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SETPRIV = shutil.which("setpriv")  # execs its command in place: the same pid, with the death signal set


def _stop_group(process: subprocess.Popen, grace_s: float) -> None:
    """Every process in gunicorn's group: the master, its workers, anything they started."""
    for sig, wait_s in ((signal.SIGQUIT, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:  # the whole group is gone already
            return
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            continue
        # The master is gone; workers it did not reap may linger a moment: the group gets SIGKILL anyway.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return


@contextlib.contextmanager
def gunicorn(
    args: list[str], env: dict, log_path: Path, ready: Callable[[], bool], start_timeout_s: float = 30.0
) -> Iterator[subprocess.Popen]:
    """Start `gunicorn <args>`, wait until `ready()` (a failed start raises RuntimeError with its log),
    yield the process, and stop its whole process group however the block ends."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*([SETPRIV, "--pdeathsig", "KILL"] if SETPRIV else []), str(GUNICORN), *args],
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own group: killpg reaches the workers too
        )
        try:
            deadline = time.monotonic() + start_timeout_s
            while not ready():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start:\n" + log_path.read_text(errors="replace")[-3000:])
                time.sleep(0.2)
            yield process
        finally:
            _stop_group(process, grace_s=15.0)
            # A SIGKILLed worker is still listed until the kernel has torn it down: the block ends when
            # the group is empty, so what follows never races its last members.
            deadline = time.monotonic() + 10.0
            while live_members(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)


def live_members(pgid: int) -> list[int]:
    """The processes of group `pgid` that still run (zombies, which only wait to be reaped, do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp ...
        except OSError:  # it ended while we looked
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members
