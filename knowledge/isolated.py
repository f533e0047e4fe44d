"""Read one file in a child process, with a time limit and a memory budget.

A parser that loops or balloons on a hostile file must not take the calling
process with it: the gateway's web workers stayed at 81 MB only if nothing
they parse can grow them. The child is forked from a fork server (safe from a
threaded gunicorn worker, and cheap after the first file because the readers
are imported once), gets its own address-space limit, and is killed when the
time limit passes. Its memory goes back to the system when it exits.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading

from .documents import DocumentError
from .read_limits import Limits

# Modules every reader needs, imported once by the fork server rather than per file.
PRELOAD = ["knowledge.ingest", "knowledge.readers", "docx", "pypdf", "trafilatura", "yaml"]
_context = None
_lock = threading.Lock()


def _ctx():
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
    return _context


def _current_vm() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _child(conn, func, args, memory_bytes: int, env: dict) -> None:
    # The fork server's environment is the one it started with; settings are the caller's.
    os.environ.clear()
    os.environ.update(env)
    if memory_bytes:
        try:  # a budget on top of what the fork server already mapped
            limit = _current_vm() + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (OSError, ValueError):
            pass
    try:
        result = (True, func(*args))
    except MemoryError:
        result = (
            False,
            DocumentError(f"reading the file needs more memory than the limit of {memory_bytes // 2**20} MB"),
        )
    except Exception as exc:
        if isinstance(exc, DocumentError) or type(exc).__module__.startswith("knowledge."):
            result = (False, exc)  # our own reasons (a refusal, a duplicate) pass through as they are
        else:  # a reader library choking: its reason, as a refusal that pickles
            result = (False, DocumentError(f"cannot read the file ({type(exc).__name__}: {str(exc)[:300]})"))
    try:
        conn.send(result)
    except Exception as exc:  # e.g. an exception type that cannot be pickled
        conn.send((False, DocumentError(f"cannot read the file ({type(exc).__name__})")))
    finally:
        conn.close()


def run(func, *args, limits: Limits | None = None):
    """func(*args) in a child process; its exceptions are raised here, a timeout is a DocumentError.

    func and its arguments must be importable/picklable (a module-level function).
    """
    limits = limits or Limits.from_env()
    ctx = _ctx()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, func, args, limits.memory_bytes, dict(os.environ)), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise DocumentError(f"reading the file took longer than the time limit of {limits.seconds:g} s")
        try:
            ok, value = receiver.recv()
        except EOFError:
            proc.join(5)
            raise _died(proc.exitcode, limits) from None
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if ok:
        return value
    raise value


def _died(exitcode: int | None, limits: Limits) -> DocumentError:
    """Why the reader ended without an answer. Killed by a signal, it was the file: a reader library
    aborting or crashing on it, or out of memory where Python could not raise MemoryError. An exit code of
    its own means it never read the file (it could not start: a script that imports `knowledge` without
    `if __name__ == "__main__":` runs again in it), so blaming the file would send staff the wrong way."""
    if exitcode is not None and exitcode < 0:
        return DocumentError(
            f"the reader was stopped (signal {-exitcode}): the file needs more memory than the limit of "
            f"{limits.memory_bytes // 2**20} MB, or is damaged"
        )
    return DocumentError(
        f"the reader could not run (exit code {exitcode}), so the file was not read: a fault of the server, see its log"
    )
