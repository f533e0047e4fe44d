"""Command line: python -m knowledge {build,query,ask,ingest,eval,bench}."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .config import Settings


def _build(args, settings: Settings) -> int:
    # A build is a batch job: let torch use every core (serving keeps one).
    os.environ.setdefault("KNOWLEDGE_TORCH_THREADS", str(os.cpu_count() or 1))
    from .index import build

    manifest, rebuilt = build(settings, force=args.force, progress=not args.quiet)
    state = "built" if rebuilt else "up to date"
    print(f"index {state}: {manifest.documents} documents, {manifest.chunks} chunks, "
          f"model {manifest.model} ({manifest.dimension}d) -> {settings.index_dir}")
    return 0


def _query(args, settings: Settings) -> int:
    from .base import KnowledgeBase

    kb = KnowledgeBase.load(settings)
    hits = kb.search(args.question, top_k=args.top_k, mode=args.mode)
    if args.json:
        keys = ("chunk_id", "doc_id", "title", "text", "score", "url", "published",
                "publisher", "bm25", "dense", "confidence")
        print(json.dumps([{k: h.to_dict()[k] for k in keys} for h in hits], ensure_ascii=False, indent=2))
    else:
        for rank, h in enumerate(hits, 1):
            print(f"{rank}. [{h.confidence:.2f} conf, {h.score:.4f} rrf] {h.chunk_id}  {h.text[:80]}")
    return 0


def _ask(args, settings: Settings) -> int:
    from .base import KnowledgeBase

    answer = KnowledgeBase.load(settings).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    elif answer.abstained:
        print(f"(no answer: confidence {answer.confidence:.2f} < {settings.min_confidence})")
    else:
        print(answer.text)
        for s in answer.sources:
            print(f"  — {s.title}, {s.publisher}, {s.published}, {s.url}")
    return 0


def _ingest(args, settings: Settings) -> int:
    from .ingest import ingest

    fields = ("title", "publisher", "published", "url", "category", "doc_id",
              "issuer", "doc_number", "valid_from", "valid_until")
    meta = {k: getattr(args, k) for k in fields}
    outcomes = ingest([Path(p) for p in args.paths], settings.docs_dir, meta)
    for o in outcomes:
        print(f"{o.status:9} {o.path}: {o.detail}")
    added = sum(o.status == "added" for o in outcomes)
    print(f"{added} added, {sum(o.status == 'duplicate' for o in outcomes)} duplicate, "
          f"{sum(o.status == 'refused' for o in outcomes)} refused.")
    if args.build and added:
        from .index import build

        manifest, _ = build(settings, progress=not args.quiet)
        print(f"index built: {manifest.documents} documents, {manifest.chunks} passages")
    elif added:
        print("Run `python -m knowledge build` to index them.")
    return 1 if any(o.status == "refused" for o in outcomes) else 0


def _eval(args, settings: Settings) -> int:
    from .evaluate import evaluate, failures, table, write_json

    report = evaluate(settings, set_path=Path(args.set), threshold=args.threshold,
                      ablation=not args.no_ablation, recalibrate=args.calibrate)
    print(table(report))
    if args.failures:
        print("\nhybrid misses (rank != 1, or answered when it should not):")
        print("\n".join(failures(report)) or "  none")
    if args.output:
        write_json(report, Path(args.output))
        print(f"\nwrote {args.output}")
    return 0


def _bench(args, settings: Settings) -> int:
    from .bench import run, table

    sizes = tuple(int(float(x)) for x in args.sizes.split(",") if x)
    bm25_sizes = tuple(int(float(x)) for x in args.bm25_sizes.split(",") if x)
    report = run(settings, sizes=sizes, bm25_sizes=bm25_sizes, embedding=not args.no_embedding,
                 log=(lambda *_: None) if args.quiet else (lambda m: print(m, file=sys.stderr)))
    print(table(report))
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2), "utf-8")
        print(f"\nwrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="index the documents (skipped when nothing changed)")
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_build)

    for name, run, help_ in (("query", _query, "show the passages retrieved for a question"),
                             ("ask", _ask, "answer a question as the bot would, with its citation")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("question")
        p.add_argument("--top-k", type=int, default=5)
        p.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=run)

    p = sub.add_parser("ingest", help="add .md .txt .html .pdf .docx files to the docs directory as cited Markdown")
    p.add_argument("paths", nargs="+")
    for field in ("title", "publisher", "published", "url", "doc_id",
                  "issuer", "doc_number", "valid_from", "valid_until"):
        p.add_argument(f"--{field.replace('_', '-')}", dest=field, default="")
    p.add_argument("--category", choices=("release", "policy", "faq"), default="")
    p.add_argument("--build", action="store_true", help="rebuild the index afterwards")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("eval", help="Hit@1/Hit@3/MRR and abstention on the dev set, per retriever")
    p.add_argument("--set", default=str(Path(__file__).resolve().parent.parent / "tests" / "data" / "dev_set.yml"))
    p.add_argument("--threshold", type=float, default=None, help="confidence threshold (default: config)")
    p.add_argument("--calibrate", action="store_true", help="score at the threshold calibrated on this set")
    p.add_argument("--no-ablation", action="store_true", help="skip the no-synonyms / no-FAQ variants")
    p.add_argument("--failures", action="store_true", help="list the hybrid misses")
    p.add_argument("--output", "-o", default="", help="also write the full report as JSON")
    p.set_defaults(run=_eval)

    p = sub.add_parser("bench", help="index build time, size, memory, latency and ANN recall at scale")
    p.add_argument("--sizes", default="10000,100000,1000000", help="dense index sizes (comma-separated)")
    p.add_argument("--bm25-sizes", default="10000,100000,1000000", help="BM25 index sizes (comma-separated)")
    p.add_argument("--no-embedding", action="store_true", help="skip the embedding throughput measurement")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--output", "-o", default="", help="also write the report as JSON")
    p.set_defaults(run=_bench)

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
