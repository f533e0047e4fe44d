"""Where documents live: the ones that ship with the project, and the ones staff add.

Shipped documents are files in `knowledge/docs/` (git). What staff upload or
correct is instance data under KNOWLEDGE_DATA_DIR (default instance/knowledge):
written into the git tree, it was lost by a fresh checkout and published by a
careless commit. The index is built from both. A staff document with the id of
a shipped one replaces it; removing a shipped document records its id in
`withdrawn.json` in the data directory instead of editing the git tree.

Uploads from before this split are untracked files in `knowledge/docs/`: they
are still read from there, and `python -m knowledge migrate-uploads` moves
them into the data directory (see README, operations).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from .config import Settings
from .documents import Document, load_markdown

WITHDRAWN = "withdrawn.json"


def withdrawn(settings: Settings) -> dict[str, str]:
    """Shipped documents staff removed: doc id -> when."""
    try:
        return json.loads((settings.data_dir / WITHDRAWN).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    os.replace(tmp, path)


def set_withdrawn(settings: Settings, doc_id: str, removed: bool = True) -> None:
    data = withdrawn(settings)
    if removed:
        data[doc_id] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    else:
        data.pop(doc_id, None)
    _write_json(settings.data_dir / WITHDRAWN, data)


def document_paths(settings: Settings) -> dict[str, Path]:
    """Every live document's file by id, in a stable order; staff files win over shipped ones."""
    gone = withdrawn(settings)
    paths = {p.stem: p for p in sorted(settings.docs_dir.glob("*.md")) if p.stem not in gone}
    paths.update({p.stem: p for p in sorted(settings.staff_docs_dir.glob("*.md"))})
    return dict(sorted(paths.items()))


def is_shipped(settings: Settings, path: Path) -> bool:
    return path.parent.resolve() == settings.docs_dir.resolve()


def load_all(settings: Settings) -> list[Document]:
    """The documents the index is built from, each marked with the version that superseded it, if any."""
    from .versions import superseded

    replaced = superseded(settings)
    docs = [load_markdown(p) for p in document_paths(settings).values()]
    for doc in docs:
        doc.superseded_by = replaced.get(doc.doc_id, "")
    return docs


def untracked_uploads(settings: Settings) -> list[Path]:
    """Documents in the shipped folder that git does not track: uploads from before the data directory."""
    try:
        listed = (
            subprocess.run(
                ["git", "ls-files", "-z", "--", "."], cwd=settings.docs_dir, capture_output=True, check=True, timeout=30
            )
            .stdout.decode("utf-8")
            .split("\0")
        )
    except (OSError, subprocess.SubprocessError):
        return []  # not a git checkout: nothing can be told apart, nothing is moved
    tracked = {name for name in listed if name}
    return [p for p in sorted(settings.docs_dir.glob("*.md")) if p.name not in tracked]


def migrate_uploads(settings: Settings) -> list[tuple[Path, Path]]:
    """Move untracked uploads from knowledge/docs into the data directory; returns (from, to) pairs.

    A file whose id the data directory already has is left where it is (the
    staff copy already wins), so nothing is overwritten.
    """
    moved = []
    settings.staff_docs_dir.mkdir(parents=True, exist_ok=True)
    for path in untracked_uploads(settings):
        target = settings.staff_docs_dir / path.name
        if target.exists():
            continue
        shutil.move(str(path), target)
        moved.append((path, target))
    return moved
