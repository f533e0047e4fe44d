"""ask() latency with the test corpus loaded: what a tenant waits for, per question.

One thread, as the action server serves (KNOWLEDGE_TORCH_THREADS, FAISS set to
one thread by KnowledgeBase), over every question of the corpus's dev and
held-out sets, three times, after a warm-up. The peer, measured in the same
run on the same questions, is the lexical core alone (BM25 ranking plus the
coverage check, no dense encoding, no decision, no extraction), so the ratio
says what the rest of the answer costs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .base import KnowledgeBase
from .config import Settings
from .evalset import load_cases
from .evaluate import CORPUS_DIR, build_corpus

TARGET_P95_MS = 30.0


def _percentiles(samples: list[float]) -> dict:
    ms = np.array(samples) * 1000
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def _timed(fn, questions: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for q in questions:
            start = time.perf_counter()
            fn(q)
            out.append(time.perf_counter() - start)
    return out


def run(settings: Settings | None = None, work_dir: Path | None = None, repeats: int = 3) -> dict:
    settings = settings or Settings.from_env()
    built = build_corpus(CORPUS_DIR, work_dir or Path("instance/bench-corpus"), settings)
    kb = KnowledgeBase.load(built)
    kb.warm()
    cases = load_cases(CORPUS_DIR / "dev.yml") + load_cases(CORPUS_DIR / "heldout.yml")
    questions = [c.q for c in cases]
    english = [c.q for c in cases if c.style == "english"]
    for q in questions[:20]:
        kb.ask(q)  # warm caches the way a running server has them
    ask_all = _percentiles(_timed(kb.ask, questions, repeats))
    peer = _percentiles(_timed(lambda q: kb.retriever.search(q, mode="bm25"), questions, repeats))
    return {
        "corpus": {"documents": kb.manifest.documents, "passages": kb.manifest.chunks, "questions": len(questions)},
        "ask": ask_all,
        "ask_english": _percentiles(_timed(kb.ask, english, repeats)),
        "peer_bm25_coverage": peer,
        "ratio_p95_ask_to_peer": round(ask_all["p95_ms"] / peer["p95_ms"], 2) if peer["p95_ms"] else None,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": ask_all["p95_ms"] <= TARGET_P95_MS,
    }


def table(report: dict) -> str:
    c = report["corpus"]
    lines = [
        f"ask() on the test corpus ({c['documents']} documents, {c['passages']} passages), "
        f"{c['questions']} questions x 3, one thread:"
    ]
    for key in ("ask", "ask_english", "peer_bm25_coverage"):
        r = report[key]
        lines.append(f"  {key:20} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms")
    lines.append(
        f"  p95 ask / peer: {report['ratio_p95_ask_to_peer']}x; target p95 <= {report['target_p95_ms']} ms: "
        f"{'met' if report['meets_target'] else 'NOT met'}"
    )
    return "\n".join(lines)
