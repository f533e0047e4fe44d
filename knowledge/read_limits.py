"""Limits on what reading one uploaded file may cost, so that no file can hurt the service.

A 534 KB .docx once expanded to 31.8 M characters and +381 MB of memory: a
Word file is a zip archive, and a zip member can claim little and expand to a
lot (a "zip bomb"). Archives are therefore checked before anything expands
them: the sizes each member declares, the sizes they really expand to (read in
bounded steps, stopping at the limit), and the compression ratio. What a
reader extracts is capped in characters, and each file is read in a child
process with a time limit and a memory budget (knowledge/isolated.py).

Every limit is a setting (README, configuration); the reasons are English
here and said in Chinese by the console (bot/console/refusals.py).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .documents import DocumentError

_CHUNK = 1 << 16
# Small members (styles, settings) may compress 1000:1 legitimately and cost nothing.
RATIO_FLOOR_BYTES = 1 << 20


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Limits:
    member_bytes: int = 50 * 2**20  # one archive member, expanded
    total_bytes: int = 100 * 2**20  # all members together, expanded
    ratio: float = 100.0  # expanded : compressed, for members over RATIO_FLOOR_BYTES
    chars: int = 2_000_000  # extracted text (about a thousand pages)
    seconds: float = 20.0  # reading one file (under gunicorn's 30 s request timeout)
    memory_bytes: int = 1024 * 2**20  # what the reading process may add to its address space

    @classmethod
    def from_env(cls) -> "Limits":
        base = cls()
        return cls(
            member_bytes=int(_number("KNOWLEDGE_MAX_MEMBER_MB", base.member_bytes / 2**20) * 2**20),
            total_bytes=int(_number("KNOWLEDGE_MAX_EXPANDED_MB", base.total_bytes / 2**20) * 2**20),
            ratio=_number("KNOWLEDGE_MAX_ZIP_RATIO", base.ratio),
            chars=int(_number("KNOWLEDGE_MAX_CHARS", base.chars)),
            seconds=_number("KNOWLEDGE_READ_TIMEOUT_S", base.seconds),
            memory_bytes=int(_number("KNOWLEDGE_READ_MEMORY_MB", base.memory_bytes / 2**20) * 2**20),
        )


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def check_archive(path: Path, limits: Limits | None = None) -> None:
    """Refuse a zip archive (.docx) that would expand past the limits, before anything expands it.

    Declared sizes are checked first (cheap), then each member is really
    decompressed in bounded steps, because a crafted archive may declare less
    than it holds; nothing is kept, and reading stops at the first excess.
    """
    limits = limits or Limits.from_env()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentError(f"cannot read the Word file (not a zip archive: {exc})") from exc
    with archive:
        members = archive.infolist()
        declared = 0
        for info in members:
            declared += info.file_size
            _check_member(info.filename, info.file_size, info.compress_size, limits)
            if declared > limits.total_bytes:
                raise DocumentError(
                    f"zip archive expands too far: its members declare {_mb(declared)}, "
                    f"over the limit of {_mb(limits.total_bytes)} (a zip bomb?)"
                )
        total = 0
        for info in members:
            size = 0
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if size > info.file_size:
                            raise DocumentError(
                                f"zip archive expands too far: member {info.filename} "
                                f"holds more than the {info.file_size} bytes it declares (a zip bomb?)"
                            )
                        _check_member(info.filename, size, info.compress_size, limits)
                        if total > limits.total_bytes:
                            raise DocumentError(
                                f"zip archive expands too far: over {_mb(limits.total_bytes)} in all (a zip bomb?)"
                            )
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
                raise DocumentError(f"cannot read the Word file (damaged member {info.filename}: {exc})") from exc


def _check_member(name: str, size: int, compressed: int, limits: Limits) -> None:
    if size > limits.member_bytes:
        raise DocumentError(
            f"zip archive expands too far: member {name} is {_mb(size)} expanded, "
            f"over the limit of {_mb(limits.member_bytes)} (a zip bomb?)"
        )
    if size > RATIO_FLOOR_BYTES and size > limits.ratio * max(compressed, 1):
        raise DocumentError(
            f"zip archive expands too far: member {name} is compressed "
            f"{size / max(compressed, 1):.0f}:1, over the limit of {limits.ratio:.0f}:1 (a zip bomb?)"
        )


def check_chars(text: str, limits: Limits | None = None) -> str:
    """Refuse text past the character cap; a document that long is not one staff meant to upload."""
    limits = limits or Limits.from_env()
    if len(text) > limits.chars:
        raise DocumentError(
            f"too much text: {len(text):,} characters extracted, over the limit of {limits.chars:,} characters"
        )
    return text
