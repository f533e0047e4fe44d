"""Secrets the gateway needs but an operator may not have set.

A missing SECRET_KEY or SENDER_HASH_SALT is generated once and kept in the
instance folder, so every gunicorn worker and every restart agrees on it
(sessions stay valid; the same sender keeps the same hash).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .private import private_dir


def instance_secret(instance_path: str, name: str) -> str:
    path = Path(instance_path) / name
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # we won the race to create it
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):  # another worker may be writing it this instant
        value = path.read_text().strip()
        if value:
            return value
        import time

        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and restart")
