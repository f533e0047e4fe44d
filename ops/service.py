"""One service of the stack: its command, port, log and process, and the error a start can raise.

Why it exists: ops/stack.py launches, polls and stops several of these; ops/process_stats.py
reads their processes' CPU and memory. Both need the same small record of what was started.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path


class StackError(RuntimeError):
    """A service exited or did not become healthy; the message carries the end of its log."""


@dataclass
class Service:
    name: str  # "actions", "rasa-1", "gateway"
    kind: str  # "actions" | "rasa" | "gateway"
    port: int
    health_path: str  # GET answers 2xx when ready
    log: Path
    cmd: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    launched_at: float = 0.0
    ready_s: float | None = None  # launch -> healthy, last start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def health_url(self) -> str:
        return self.url + self.health_path

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
