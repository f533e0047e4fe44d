"""Bring files into the knowledge base as cited Markdown documents.

Every format ends as the same thing: a Markdown file with front matter in the
docs directory (.md with front matter, .txt and saved news pages, .html,
.pdf, .docx). A file that cannot be used is refused with a reason and the
rest go on; a document whose text is already known (same content hash) is
skipped. Each document is written to a temporary name and renamed, so the
docs directory never holds half a file. Building the index is a separate
step (or `ingest --build`), and the build itself swaps in atomically.

Each file is read in a child process with a time limit and a memory budget,
and archives and extracted text are checked against limits first
(knowledge/isolated.py, knowledge/read_limits.py): no file can hang or
balloon the process that ingests it, be it the command line or a web worker.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .documents import CATEGORIES, Document, DocumentError, content_hash, load_markdown, parse_markdown
from . import garble, isolated
from .read_limits import check_chars
from .readers import READERS, SUFFIXES, policy_fields

MAX_BYTES = 20 * 1024 * 1024
CITATION = ("title", "publisher", "published", "url")
POLICY = ("issuer", "doc_number", "valid_from", "valid_until")


class Duplicate(Exception):
    """The text is already in the knowledge base, as the document named in args[0]."""


@dataclass
class Outcome:
    path: str
    status: str  # added | duplicate | refused
    detail: str
    doc_id: str = ""


def slugify(text: str, fallback: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return ascii_part[:60] or fallback


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DocumentError("no such file")
    if not path.is_file():
        raise DocumentError("not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError("the file is empty")
    if size > MAX_BYTES:
        raise DocumentError(f"the file is {size / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB")
    if not os.access(path, os.R_OK):
        raise DocumentError("the file cannot be read (permission denied)")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"the file cannot be read ({exc.strerror or exc})") from exc


def read_document(path: Path, meta: dict, known: dict[str, str] | None = None) -> Document:
    """Parse one file into a Document; raises DocumentError with the reason.

    With `known` (content hash -> doc_id), text already in the knowledge base
    raises Duplicate before any other check: a copy is a copy even when it
    lacks the metadata to be cited.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"unsupported file type {suffix or '(none)'}; use one of {' '.join(SUFFIXES)}")
    raw = _read_bytes(path)
    doc_id = meta.get("doc_id") or path.stem

    if suffix == ".md" and raw.lstrip().startswith(b"---"):
        try:
            source = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not UTF-8 text ({exc.reason})") from exc
        check_chars(source)
        # The caller's metadata wins, as for every other format, and fills what the front matter lacks.
        overrides = {
            k: ("" if v == "unknown" and k == "published" else v)
            for k, v in meta.items()
            if v and k in (*CITATION, *POLICY, "category", "scope")
        }
        return parse_markdown(source, doc_id, overrides)

    reader = READERS.get(suffix, READERS[".txt"])
    text, found = reader(path, raw)
    check_chars(text)
    try:
        text = garble.repair(text)  # a mirror's pinyin glosses go; mojibake is refused with the reason
    except garble.Garbled as exc:
        raise DocumentError(str(exc)) from None
    if not text.strip():
        raise DocumentError("no text in the file")
    if known and content_hash(text) in known:
        raise Duplicate(known[content_hash(text)])
    fields = {k: v for k, v in found.items() if v}
    if meta.get("category") == "policy" or fields.get("category") == "policy":
        fields = {**policy_fields(text), **fields}
    fields.update({k: v for k, v in meta.items() if v and k != "doc_id"})
    if fields.get("published") == "unknown":  # said so by the caller: the source shows no date
        fields["published"] = ""
        date_unknown = True
    else:
        date_unknown = False
    fields.setdefault("category", "release")
    if fields["category"] not in CATEGORIES:
        raise DocumentError(f"category must be one of {', '.join(CATEGORIES)}")
    missing = [k for k in CITATION if not fields.get(k) and not (k == "published" and date_unknown)]
    if missing:
        flags = " ".join(f"--{k}" for k in missing)
        raise DocumentError(f"cannot cite it: the file does not state its {', '.join(missing)} (pass {flags})")
    doc = Document(
        doc_id=doc_id,
        text=text,
        **{
            k: str(fields.get(k, "")) for k in Document.__dataclass_fields__ if k not in ("doc_id", "text", "questions")
        },
    )
    return parse_markdown(doc.to_markdown(), doc_id)  # the same checks as a hand-written document


def _known(*dirs: Path) -> tuple[dict[str, str], set[str]]:
    """Content hashes and ids of the documents already there (unreadable ones are ignored here)."""
    hashes, ids = {}, set()
    for path in sorted(p for d in dirs for p in d.glob("*.md")):
        ids.add(path.stem)
        try:
            hashes.setdefault(load_markdown(path).content_hash, path.stem)
        except (DocumentError, OSError, UnicodeDecodeError):
            continue
    return hashes, ids


def write_document(doc: Document, docs_dir: Path) -> Path:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    target = docs_dir / f"{doc.doc_id}.md"
    tmp = docs_dir / f".{doc.doc_id}.md.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(doc.to_markdown())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def ingest(
    paths: list[Path], docs_dir: Path, meta: dict | None = None, known_dirs: tuple[Path, ...] = ()
) -> list[Outcome]:
    """Add each readable, new file to docs_dir; report every file's fate.

    known_dirs: other folders whose documents count as already there (the
    shipped documents, when staff documents are added to the data directory).
    """
    return _ingest_rows([(Path(p), meta or {}) for p in paths], docs_dir, known_dirs)


def _ingest_rows(
    rows: list[tuple[Path, dict]], docs_dir: Path, known_dirs: tuple[Path, ...] = (), progress=None
) -> list[Outcome]:
    """ingest() for (file, metadata) rows, reading what is already there once for the whole batch."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    known, ids = _known(docs_dir, *known_dirs)
    outcomes = []
    for done, (path, meta) in enumerate(rows, 1):
        outcomes.append(_ingest_one(path, meta, docs_dir, known, ids))
        if progress is not None:
            progress(done, len(rows))
    return outcomes


def _ingest_one(path: Path, meta: dict, docs_dir: Path, known: dict[str, str], ids: set[str]) -> Outcome:
    """One file's fate; an added document joins `known` and `ids`, so the rest of the batch sees it."""
    try:
        doc = isolated.run(read_document, path, meta, known)  # time and memory limited
    except Duplicate as dup:
        return Outcome(str(path), "duplicate", f"same text as {dup.args[0]}", dup.args[0])
    except DocumentError as exc:
        return Outcome(str(path), "refused", str(exc).removeprefix(f"{meta.get('doc_id') or path.stem}: "))
    except Exception as exc:  # a reader library choking on a malformed file: refuse it, go on
        return Outcome(str(path), "refused", f"cannot read the file ({type(exc).__name__}: {exc})")
    if doc.content_hash in known:
        return Outcome(str(path), "duplicate", f"same text as {known[doc.content_hash]}", known[doc.content_hash])
    if doc.doc_id in ids:
        return Outcome(
            str(path),
            "refused",
            f"a different document already has the id {doc.doc_id}: remove it first or pass --doc-id",
        )
    write_document(doc, docs_dir)
    known[doc.content_hash] = doc.doc_id
    ids.add(doc.doc_id)
    return Outcome(str(path), "added", doc.title, doc.doc_id)


MANIFEST_FIELDS = (
    "title",
    "publisher",
    "published",
    "url",
    "category",
    "doc_id",
    "issuer",
    "doc_number",
    "valid_from",
    "valid_until",
    "scope",
)
MANIFEST_NAMES = ("manifest.yml", "manifest.yaml", "manifest.csv")


def find_manifest(path: Path) -> Path:
    """The manifest file itself, or the one inside a folder."""
    path = Path(path)
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).exists():
                return path / name
        raise DocumentError(f"{path} has no {' or '.join(MANIFEST_NAMES)}")
    return path


def load_manifest(path: Path) -> list[tuple[Path, dict]]:
    """(file, metadata) per row of a YAML list or a CSV with a header; paths are relative to the manifest.

    A row may say `published: ""` for a page that shows no date: that is
    recorded as unknown, never replaced by a placeholder.
    """
    import csv

    from . import safe_yaml
    from .documents import _as_str

    path = find_manifest(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read the manifest {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        try:
            rows = safe_yaml.load(text) or []
        except Exception as exc:
            raise DocumentError(f"the manifest {path} is not valid YAML: {exc}") from exc
    if not isinstance(rows, list) or not all(isinstance(r, dict) and r.get("path") for r in rows):
        raise DocumentError(f"the manifest {path} must be a list of rows, each with a path")
    out = []
    for row in rows:
        meta = {k: _as_str(row.get(k)) for k in MANIFEST_FIELDS if row.get(k) not in (None, "")}
        if "published" in row and not row.get("published"):
            meta["published"] = UNKNOWN_DATE
        out.append((path.parent / str(row["path"]), meta))
    return out


UNKNOWN_DATE = "unknown"  # a manifest's way of saying "the source shows no date"


def ingest_manifest(manifest: Path, docs_dir: Path, known_dirs: tuple[Path, ...] = (), progress=None) -> list[Outcome]:
    """Each file of the manifest with its own metadata; one bad file is reported and the rest go on.
    progress(done, total), when given, is called after each file (for a progress bar)."""
    return _ingest_rows(load_manifest(manifest), docs_dir, known_dirs, progress)
