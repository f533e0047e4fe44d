"""Files that hold personal data or secrets are for their owner's eyes only.

The review found park.db and the tracker store at 0644 and lead-queue files
written 0644: anyone with a shell on the machine could read names and phone
numbers. instance/ is made 0700 and its databases and secrets 0600, also
when an older install left them wider, because a mode set only at creation
would leave every existing deployment as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600
# SQLite makes these beside a database, with the database file's own mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: str | os.PathLike) -> Path:
    """Create `path` (and its parents) if missing, and make it 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: str | os.PathLike) -> Path:
    """Create `path` empty if missing, and make it 0600 (an existing file keeps its content)."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    _tighten(path, FILE_MODE)
    return path


def private_sqlite(path: str | os.PathLike) -> Path:
    """The database file 0600 before SQLite opens it, so its WAL and shared-memory files follow."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)  # an existing folder is not ours to change
    private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            _tighten(side, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except PermissionError:  # not ours (a shared folder): leave it, the files inside are still 0600
        pass
