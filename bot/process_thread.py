"""A background thread that belongs to one process.

gunicorn forks its workers after the app is built, and a forked child has no
threads: each worker must start its own (the notice sender, the handoff
sweeper). ensure_running() starts the thread in this process, again after a
fork or if it died, and is cheap to call on every request.
"""

from __future__ import annotations

import os
import threading


class ProcessThread:
    thread_name = "background"

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.pid: int | None = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def _alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and self.pid == os.getpid()

    def ensure_running(self) -> None:
        """Start the thread in this process (again after a fork, or if it died)."""
        if self._alive():
            return
        with self.lock:
            if self._alive():
                return
            self.pid, self.stopping = os.getpid(), threading.Event()
            self.thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        raise NotImplementedError
