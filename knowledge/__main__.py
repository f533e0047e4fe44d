"""Command line: python -m knowledge {build,query,ask,ingest,migrate-uploads,propose,sync}, and the measuring
commands of cli_measure (eval, train-decision, bench, bench-ingest, bench-ask)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .config import Settings
from .progress_bar import progress_bar


def _build(args, settings: Settings) -> int:
    # A build is a batch job: let torch use every core (serving keeps one).
    os.environ.setdefault("KNOWLEDGE_TORCH_THREADS", str(os.cpu_count() or 1))
    from .index import build

    manifest, rebuilt = build(settings, force=args.force, progress=not args.quiet)
    state = "built" if rebuilt else "up to date"
    print(
        f"index {state}: {manifest.documents} documents, {manifest.chunks} chunks, "
        f"model {manifest.model} ({manifest.dimension}d) -> {settings.index_dir}"
    )
    return 0


def _question(value: str) -> str:
    """A question as typed: whitespace alone is no question (refused before the index loads)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("a question cannot be empty")
    return value.strip()


def _positive(value: str) -> int:
    """--top-k: a count of passages, at least one (a negative count once listed everything)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} passages: give 1 or more")
    return number


def _question_file(value: str) -> Path:
    """--file: a UTF-8 text file of questions, checked before the index loads."""
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    try:
        path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise argparse.ArgumentTypeError(
            f"{value} is not UTF-8 text: save it as UTF-8, one question per line"
        ) from None
    return path


def _query(args, settings: Settings) -> int:
    from .base import KnowledgeBase

    kb = KnowledgeBase.load(settings)
    hits = kb.search(args.question, top_k=args.top_k, mode=args.mode)
    if args.json:
        keys = (
            "chunk_id",
            "doc_id",
            "title",
            "text",
            "score",
            "url",
            "published",
            "publisher",
            "bm25",
            "dense",
            "confidence",
        )
        print(json.dumps([{k: h.to_dict()[k] for k in keys} for h in hits], ensure_ascii=False, indent=2))
    else:
        for rank, h in enumerate(hits, 1):
            print(f"{rank}. [{h.confidence:.2f} conf, {h.score:.4f} rrf] {h.chunk_id}  {h.text[:80]}")
    return 0


def _ask(args, settings: Settings) -> int:
    from .base import KnowledgeBase

    kb = KnowledgeBase.load(settings)
    if args.file:  # batch hit testing: one question per line in, one JSON line per question out
        from .batch import ask_file

        counts = ask_file(kb, args.file, sys.stdout)
        print(f"{counts['answered']} answered, {counts['declined']} declined", file=sys.stderr)
        return 0
    if not args.question:
        print("error: give a question, or --file with one question per line", file=sys.stderr)
        return 2
    answer = kb.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    elif answer.declined_because:
        print(f"(no answer: {answer.declined_because})")
    elif answer.abstained:
        print(f"(no answer: confidence {answer.confidence:.2f} < threshold {answer.threshold or 0:.2f})")
    else:
        print(answer.text)
        for s in answer.sources:
            print(f"  — {s.title}, {s.publisher}, {s.published or '日期不详'}, {s.url}")
    return 0


def _supersede(doc_ids: list[str], settings: Settings) -> None:
    """An added document that re-issues or amends one already there supersedes it (knowledge/versions.py)."""
    from .library import load_all
    from .versions import superseded, supersede

    for doc_id in doc_ids:
        docs = load_all(settings)
        new = next((d for d in docs if d.doc_id == doc_id), None)
        for old in supersede(settings, new, docs) if new else []:
            print(f"superseded {old}: replaced by {superseded(settings)[old]} (kept, never cited)")


def _ingest(args, settings: Settings) -> int:
    from .ingest import MANIFEST_FIELDS, ingest

    meta = {k: getattr(args, k) for k in MANIFEST_FIELDS}  # a single file takes what a manifest row can say
    # Staff documents go to the instance's data directory; --shipped adds to the project's own.
    target, others = (
        (settings.docs_dir, (settings.staff_docs_dir,))
        if args.shipped
        else (settings.staff_docs_dir, (settings.docs_dir,))
    )
    if args.manifest:
        from .ingest import ingest_manifest

        if args.paths or any(meta.values()):
            print(
                "error: --manifest gives each file its own metadata; pass no paths or metadata flags with it",
                file=sys.stderr,
            )
            return 2
        outcomes = ingest_manifest(Path(args.manifest), target, others, progress=progress_bar("ingesting", args.quiet))
    elif not args.paths:
        print("error: give files to ingest, or --manifest", file=sys.stderr)
        return 2
    else:
        outcomes = ingest([Path(p) for p in args.paths], target, meta, others)
    for o in outcomes:
        print(f"{o.status:9} {o.path}: {o.detail}")
    _supersede([o.doc_id for o in outcomes if o.status == "added"], settings)
    added = sum(o.status == "added" for o in outcomes)
    print(
        f"{added} added, {sum(o.status == 'duplicate' for o in outcomes)} duplicate, "
        f"{sum(o.status == 'refused' for o in outcomes)} refused."
    )
    if args.build and added:
        from .index import build

        manifest, _ = build(settings, progress=not args.quiet)
        print(f"index built: {manifest.documents} documents, {manifest.chunks} passages")
    elif added:
        print("Run `python -m knowledge build` to index them.")
    return 1 if any(o.status == "refused" for o in outcomes) else 0


def _migrate_uploads(args, settings: Settings) -> int:
    from .library import migrate_uploads

    moved = migrate_uploads(settings)
    for source, target in moved:
        print(f"moved {source} -> {target}")
    print(
        f"{len(moved)} upload(s) moved into {settings.staff_docs_dir}; the shipped documents stay in "
        f"{settings.docs_dir}. The index reads both, so it needs no rebuild."
    )
    return 0


def _propose(args, settings: Settings) -> int:
    import yaml

    from .drafts import propose_manifest

    rows, notes = propose_manifest([Path(p) for p in args.paths], settings.lexicon_dir, args.category)
    print(yaml.safe_dump(rows, allow_unicode=True, sort_keys=False), end="")
    for note in notes:
        print(f"# {note}")
    return 1 if not rows else 0


def _sync(args, settings: Settings) -> int:
    from .sync import run_cli

    return run_cli(args, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="index the documents (skipped when nothing changed)")
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_build)

    for name, run, help_ in (
        ("query", _query, "show the passages retrieved for a question"),
        ("ask", _ask, "answer a question as the bot would, with its citation"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("question", nargs="?" if name == "ask" else None, default=None, type=_question)
        if name == "ask":
            p.add_argument(
                "--file", default=None, type=_question_file, help="a file of questions, one per line: JSON lines out"
            )
        p.add_argument("--top-k", type=_positive, default=5)
        p.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=run)

    p = sub.add_parser("ingest", help="add .md .txt .html .pdf .docx files to the docs directory as cited Markdown")
    p.add_argument("paths", nargs="*")
    p.add_argument(
        "--manifest", default="", help="a manifest (YAML or CSV) or a folder with one: each file with its own metadata"
    )
    from .ingest import MANIFEST_FIELDS

    for field in (f for f in MANIFEST_FIELDS if f != "category"):  # category has its choices, below
        p.add_argument(f"--{field.replace('_', '-')}", dest=field, default="")
    p.add_argument("--category", choices=("release", "policy", "faq"), default="")
    p.add_argument("--build", action="store_true", help="rebuild the index afterwards")
    p.add_argument(
        "--shipped",
        action="store_true",
        help="add to knowledge/docs (documents the project ships, "
        "committed to git) instead of the instance's data directory",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_ingest)

    p = sub.add_parser(
        "propose",
        help="print a manifest proposed from each file's own text (title, issuer, "
        "文号, dates, validity, scope) to review before `ingest --manifest`",
    )
    p.add_argument("paths", nargs="+")
    p.add_argument("--category", default="", help="policy or release (default: policy when the text is official)")
    p.set_defaults(run=_propose)

    p = sub.add_parser("sync", help="follow the configured websites: add, update and retire their pages")
    p.add_argument("--config", default="", help="the sites (default KNOWLEDGE_SYNC_CONFIG or <data dir>/sync.yml)")
    p.add_argument("--build", action="store_true", help="rebuild the index when something changed")
    p.add_argument("--every", type=float, default=0, help="run again every this many seconds (a Procfile process)")
    p.add_argument("--json", action="store_true", help="the report as one JSON line")
    p.set_defaults(run=_sync)

    p = sub.add_parser(
        "migrate-uploads",
        help="move uploads that git does not track from knowledge/docs into the data directory (KNOWLEDGE_DATA_DIR)",
    )
    p.set_defaults(run=_migrate_uploads)

    from . import cli_measure

    cli_measure.register(sub)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    try:
        return args.run(args, Settings.from_env())
    except Exception as exc:  # one clear line for an operator, not a traceback
        from .documents import DocumentError
        from .embed import EmbeddingModelError
        from .index import IndexUnusable

        if isinstance(exc, (IndexUnusable, EmbeddingModelError, DocumentError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
