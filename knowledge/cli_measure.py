"""The measuring commands of `python -m knowledge`: eval, train-decision and the benchmarks.

Kept apart from the commands that run the knowledge base (build, query, ask, ingest, sync): these
read the evaluation data in evaluation/ and write reports, and none of them is used in production.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .config import Settings
from .progress_bar import progress_bar


def question_set(value: str) -> Path:
    """A question set named as the evaluation names it (dev…dev5, heldout…heldout3) or as a path to a
    YAML file; anything else is refused with the names there are, before any corpus is built."""
    from .evaluate import CORPUS_SETS

    if value in CORPUS_SETS:
        return CORPUS_SETS[value]
    path = Path(value)
    if path.is_file():
        return path
    raise argparse.ArgumentTypeError(
        f"no question set {value!r}: give one of {', '.join(CORPUS_SETS)} or the path of a YAML file"
    )


def _eval(args, settings: Settings) -> int:
    from .evaluate import CORPUS_SETS, HELD_OUT_SETS, SEED_DEV, SEED_HELDOUT, evaluate, failures, table

    if args.failures in HELD_OUT_SETS:
        print(
            f"eval: the failures of {args.failures} must not be read (it is held out); give a dev set", file=sys.stderr
        )
        return 2
    sets = dict(CORPUS_SETS)
    if args.set:
        sets = {path.stem: path for path in args.set}
    report = evaluate(sets, settings, corpus_dir=Path(args.corpus), ablation=not args.no_ablation)
    print(table(report))
    if not args.set:  # the seed release's sets, on the knowledge the product ships (one release + FAQ)
        seed = evaluate(
            {"seed-dev": SEED_DEV, "seed-held1": SEED_HELDOUT[0], "seed-held2": SEED_HELDOUT[1]},
            settings,
            corpus_dir=settings.docs_dir,
            work_dir=Path("instance/eval-seed"),
            ablation=False,
        )
        print("\nseed release sets, on the shipped knowledge (knowledge/docs + FAQ):")
        print("\n".join(table(seed).splitlines()[2 : 4 + 3]))
        report["seed"] = seed
    if args.failures:
        print(f"\nnot right on {args.failures}:")
        print("\n".join(failures(report, args.failures)) or "  none")
    _save(report, args.output)
    return 0


def _dev_questions(args, settings: Settings):
    """The evaluation corpus's knowledge base without a learned model (the model being replaced takes no
    part in its successor) and the dev questions asked of it (--set, or what the shipped model learned from)."""
    from .base import KnowledgeBase
    from .evalset import load_cases
    from .evaluate import TRAINING_SETS, build_corpus

    built = build_corpus(Path(args.corpus), Path(args.work_dir), settings)
    kb = KnowledgeBase.load(built, learned=False)
    return kb, [case for path in (args.set or TRAINING_SETS) for case in load_cases(path)]


def _forced(args, settings: Settings) -> int:
    from .evaluate import CORPUS_SETS, DEV_SETS, HELD_OUT_SETS
    from .forced import answered, ask_all, misses, summary

    if any(CORPUS_SETS[name] in args.set for name in HELD_OUT_SETS):
        print("forced: the held-out sets' failures must not be read; give dev sets", file=sys.stderr)
        return 2
    args.set = args.set or [CORPUS_SETS[name] for name in DEV_SETS]
    kb, cases = _dev_questions(args, settings)
    rows = ask_all(kb, cases)
    print(summary(rows))
    if args.misses:
        print("\nanswerable, answering document ranked first, not answered right:")
        print("\n".join(misses(rows)) or "  none")
    if args.answered:
        print("\nno document answers, answered anyway:")
        print("\n".join(answered(rows)) or "  none")
    return 0


def _train_decision(args, settings: Settings) -> int:
    from .train_decision import save, train

    kb, cases = _dev_questions(args, settings)
    decision = train(kb, cases, max_wrong=args.max_wrong)
    save(decision, Path(args.output))
    print(json.dumps(decision.info, ensure_ascii=False))
    print(f"threshold {decision.threshold:.2f} -> {args.output}")
    return 0


def _budget_check(args, settings: Settings) -> int:
    from .budget_check import check, table
    from .train_decision import samples

    kb, cases = _dev_questions(args, settings)
    X, y, curated, sources = samples(kb, cases)
    print(table(check(X, y, curated, sources, len(cases), splits=args.splits, shuffles=args.shuffles)))
    return 0


def _save(report: dict, output: str | None) -> None:
    """Write a measurement's report where --output says, making its folder (results/ is not in a fresh clone)."""
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        print(f"\nwrote {output}")


def _bench(args, settings: Settings) -> int:
    from .bench import run, table

    sizes = tuple(int(float(x)) for x in args.sizes.split(",") if x)
    bm25_sizes = tuple(int(float(x)) for x in args.bm25_sizes.split(",") if x)
    report = run(
        settings,
        sizes=sizes,
        bm25_sizes=bm25_sizes,
        embedding=not args.no_embedding,
        log=(lambda *_: None) if args.quiet else (lambda m: print(m, file=sys.stderr)),
    )
    print(table(report))
    _save(report, args.output)
    return 0


def _bench_ingest(args, settings: Settings) -> int:
    from .bench_ingest import run

    report = run(settings, docs=args.docs, progress=progress_bar("ingesting", args.quiet))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    _save(report, args.output)
    return 0 if report["ok"] else 1


def _bench_ask(args, settings: Settings) -> int:
    os.environ.setdefault("KNOWLEDGE_TORCH_THREADS", "1")  # as served
    from .bench_ask import run, table

    report = run(settings)
    print(table(report))
    _save(report, args.output)
    return 0


def _dev_question_arguments(
    p, default: str = "what the shipped model learned from, evaluate.TRAINING_SETS", purpose: str = "learn from"
) -> None:
    """What _dev_questions reads: the dev sets, the corpus they are asked of and where it is built."""
    from .evaluate import CORPUS_DIR

    p.add_argument(
        "--set",
        action="append",
        default=[],
        type=question_set,
        help=f"dev sets to {purpose} (repeatable; default: {default})",
    )
    p.add_argument("--corpus", default=str(CORPUS_DIR))
    p.add_argument("--work-dir", default="instance/eval-corpus")


def register(sub) -> None:
    """Add the measuring commands to the `python -m knowledge` parser's subcommands."""
    from .evaluate import CORPUS_DIR, CORPUS_SETS
    from .train_decision import MAX_WRONG

    p = sub.add_parser("eval", help="answers right / declined / wrong on the dev and held-out sets, with the ablation")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        type=question_set,
        help=f"a question set: {', '.join(CORPUS_SETS)} or a YAML path (repeatable; default all of them)",
    )
    p.add_argument("--corpus", default=str(CORPUS_DIR), help="the corpus folder (with manifest.yml)")
    p.add_argument("--no-ablation", action="store_true", help="score the full engine only")
    p.add_argument(
        "--failures",
        default="",
        metavar="SET",
        help="list what was not right on this dev set (refused for a held-out one)",
    )
    p.add_argument("--output", "-o", default="", help="also write the full report as JSON")
    p.set_defaults(run=_eval)

    p = sub.add_parser("forced", help="every dev question answered with the decision off: the ceiling it works under")
    _dev_question_arguments(p, default="every dev set; never a held-out one", purpose="ask")
    p.add_argument("--misses", action="store_true", help="list answers gone wrong with their document ranked first")
    p.add_argument("--answered", action="store_true", help="list the questions no document answers, answered anyway")
    p.set_defaults(run=_forced)

    p = sub.add_parser("train-decision", help="fit the answer-or-decline model on the dev set")
    _dev_question_arguments(p)
    p.add_argument(
        "--max-wrong",
        type=float,
        default=MAX_WRONG,
        help="wrong answers allowed in cross-validation, as a share of all questions",
    )
    p.add_argument("--output", default=str(Path(__file__).resolve().parent / "learned" / "answerability.json"))
    p.set_defaults(run=_train_decision)

    p = sub.add_parser(
        "budget-check", help="does the wrong-answer budget hold on dev documents the thresholds never saw?"
    )
    _dev_question_arguments(p)
    p.add_argument("--splits", type=int, default=10, help="70/30 splits of the dev documents")
    p.add_argument("--shuffles", type=int, default=20, help="cross-validation shuffles on each 70 %% part")
    p.set_defaults(run=_budget_check)

    p = sub.add_parser("bench", help="index build time, size, memory, latency and ANN recall at scale")
    p.add_argument("--sizes", default="10000,100000,1000000", help="dense index sizes (comma-separated)")
    p.add_argument("--bm25-sizes", default="10000,100000,1000000", help="BM25 index sizes (comma-separated)")
    p.add_argument("--no-embedding", action="store_true", help="skip the embedding throughput measurement")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--output", "-o", default="", help="also write the report as JSON")
    p.set_defaults(run=_bench)

    p = sub.add_parser("bench-ingest", help="ingest N documents through a manifest (one broken) and index them")
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--output", "-o", default="", help="also write the report as JSON")
    p.set_defaults(run=_bench_ingest)

    p = sub.add_parser("bench-ask", help="ask() latency with the test corpus loaded (one thread)")
    p.add_argument("--output", "-o", default="", help="also write the report as JSON")
    p.set_defaults(run=_bench_ask)
