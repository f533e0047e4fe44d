"""How the index behaves at 10k, 100k and 1M passages, on this machine.

Real documents are too few to load an index, so the vectors at scale are
synthetic, with the structure of a corpus: topics (clusters), documents
within a topic (sub-clusters) and passages within a document (noise), so a
passage's true neighbours are graded rather than all tied. They go through
the same index choice as a real build (`index.faiss_index`): exact
IndexFlatIP up to FLAT_LIMIT, IVF-Flat above it.

For each size: build time (all cores), bytes on disk, resident memory,
single-query latency p50/p95 over many queries (one thread, as served), and
recall@10 against exact search.
Sparse search is measured the same way on synthetic Zipf-distributed token
ids (bm25s). Embedding throughput is measured on the real chunks of the
corpus, with the real model.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384  # all-MiniLM-L6-v2 and bge-small-zh both
QUERIES = 200
K = 10


def _rss_mb() -> dict:
    """Current and peak resident memory of this process, from /proc (no psutil needed)."""
    fields = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return {"rss_mb": round(fields.get("VmRSS", 0.0), 1), "peak_rss_mb": round(fields.get("VmHWM", 0.0), 1)}


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem_gb = 0.0
    try:
        mem_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except (OSError, IndexError, ValueError):
        pass
    load = os.getloadavg()
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "load_avg_1m_at_start": round(load[0], 2),
    }


def centres_for(n: int, rng: np.random.Generator) -> np.ndarray:
    """Topic centres and, around each, document centres: about 1,000 and 20 passages apiece."""
    topics = rng.standard_normal((max(8, n // 1000), DIM), dtype=np.float32)
    docs = topics[rng.integers(0, len(topics), max(16, n // 20))]
    docs += rng.standard_normal(docs.shape, dtype=np.float32) * 0.8
    return docs


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray, noise: float = 0.6) -> np.ndarray:
    """n unit vectors around the given centres; generated in blocks to bound peak memory."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = centres[rng.integers(0, len(centres), stop - start)]
        block += rng.standard_normal(block.shape, dtype=np.float32) * noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def _latencies(search, queries: np.ndarray) -> list[float]:
    search(queries[:1])  # warm-up
    times = []
    for i in range(len(queries)):
        start = time.perf_counter()
        search(queries[i : i + 1])
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_dense(n: int, seed: int = 0) -> dict:
    import faiss

    from .index import faiss_index

    rng = np.random.default_rng(seed)
    centres = centres_for(n, rng)
    vectors = clustered(n, rng, centres)
    queries = clustered(QUERIES, rng, centres)
    gc.collect()
    before = _rss_mb()

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # a build uses every core
    start = time.perf_counter()
    index = faiss_index(vectors)
    build_s = time.perf_counter() - start
    after = _rss_mb()
    faiss.omp_set_num_threads(1)  # queries run as served: one at a time, one thread

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        path = Path(tmp) / "vectors.faiss"
        faiss.write_index(index, str(path))
        disk = path.stat().st_size

    times = _latencies(lambda q: index.search(q, K), queries)
    _, found = index.search(queries, K)
    _, exact = faiss.knn(queries, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)
    recall = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, exact)]))
    params = f"lists={index.nlist} probes={index.nprobe}" if hasattr(index, "nprobe") else "exact"
    result = {
        "passages": n,
        "index": type(index).__name__,
        "params": params,
        "build_s": round(build_s, 2),
        "disk_bytes": disk,
        "index_rss_mb": round(after["rss_mb"] - before["rss_mb"], 1),
        "process_rss_mb": after["rss_mb"],
        "query_p50_ms": round(float(np.percentile(times, 50)), 3),
        "query_p95_ms": round(float(np.percentile(times, 95)), 3),
        "recall_at_10": round(recall, 4),
    }
    index = vectors = None  # freed before gc.collect(); not `del`, which the search lambda would outlive
    gc.collect()
    return result


def bench_bm25(n: int, seed: int = 0, vocab: int = 50_000, length: int = 80) -> dict:
    """bm25s on synthetic documents: Zipf token ids, `length` tokens each (a 200-character chunk)."""
    import bm25s
    from bm25s.tokenization import Tokenized

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1)
    probs = 1 / ranks**1.07
    probs /= probs.sum()
    ids = rng.choice(vocab, size=(n, length), p=probs).astype(np.int32)
    corpus = Tokenized(ids=[row.tolist() for row in ids], vocab={f"t{i}": i for i in range(vocab)})
    gc.collect()
    before = _rss_mb()
    start = time.perf_counter()
    model = bm25s.BM25()
    model.index(corpus, show_progress=False)
    build_s = time.perf_counter() - start
    after = _rss_mb()
    del corpus
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        model.save(tmp, show_progress=False)
        disk = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    # Questions are a handful of mid-frequency tokens, plus their synonym forms.
    queries = [rng.choice(np.arange(20, 5000), size=8, replace=False).tolist() for _ in range(QUERIES)]

    def search(q):
        scores = model.get_scores_from_ids(q)
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])]

    times = []
    search(queries[0])
    for q in queries:
        start = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - start) * 1000)
    result = {
        "passages": n,
        "build_s": round(build_s, 2),
        "disk_bytes": disk,
        "index_rss_mb": round(after["rss_mb"] - before["rss_mb"], 1),
        "query_p50_ms": round(float(np.percentile(times, 50)), 3),
        "query_p95_ms": round(float(np.percentile(times, 95)), 3),
    }
    model = ids = None  # freed before gc.collect(); not `del`, which search() would outlive
    gc.collect()
    return result


def bench_embedding(settings, texts: list[str], repeat_to: int = 256) -> dict:
    """Chunks per second through the real model, on the real corpus."""
    from .embed import THREADS, encoder_for

    encoder = encoder_for(settings.embedding_model)
    batch = (texts * (repeat_to // max(1, len(texts)) + 1))[:repeat_to]
    encoder.encode(batch[:8])  # warm-up
    start = time.perf_counter()
    encoder.encode(batch, batch_size=32)
    seconds = time.perf_counter() - start
    return {
        "model": settings.embedding_model,
        "chunks": len(batch),
        "mean_chars": round(sum(map(len, batch)) / len(batch)),
        "torch_threads": THREADS,
        "seconds": round(seconds, 2),
        "chunks_per_s": round(len(batch) / seconds, 1),
    }


def run(
    settings=None,
    sizes=(10_000, 100_000, 1_000_000),
    bm25_sizes=(10_000, 100_000, 1_000_000),
    embedding: bool = True,
    log=print,
) -> dict:
    from .config import Settings
    from .documents import load_dir
    from .index import corpus_rows
    from .faq import load_faq
    from .retrieve import match_text

    settings = settings or Settings.from_env()
    report = {"machine": machine(), "dense": [], "bm25": [], "embedding": None}
    log(f"machine: {report['machine']}")
    for n in sizes:
        report["dense"].append(bench_dense(n))
        log(f"dense  {json.dumps(report['dense'][-1])}")
    for n in bm25_sizes:
        report["bm25"].append(bench_bm25(n))
        log(f"bm25   {json.dumps(report['bm25'][-1])}")
    if embedding:
        rows = corpus_rows(load_dir(settings.docs_dir), load_faq(settings.faq_dir))
        report["embedding"] = bench_embedding(settings, [match_text(r) for r in rows])
        log(f"embed  {json.dumps(report['embedding'])}")
    report["machine"]["peak_rss_mb"] = _rss_mb()["peak_rss_mb"]
    return report


def table(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
        f"load {m['load_avg_1m_at_start']} at start; peak RSS {m.get('peak_rss_mb', '?')} MB",
        "",
        "dense (synthetic clustered 384-d unit vectors, single-query latency, k=10)",
        f"{'passages':>10} {'index':>14} {'params':>20} {'build s':>8} {'disk MB':>8} {'RSS MB':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'recall@10':>9}",
    ]
    for r in report["dense"]:
        lines.append(
            f"{r['passages']:>10,} {r['index']:>14} {r.get('params', ''):>20} {r['build_s']:>8.1f} {r['disk_bytes'] / 2**20:>8.1f} "
            f"{r['index_rss_mb']:>7.0f} {r['query_p50_ms']:>7.2f} {r['query_p95_ms']:>7.2f} "
            f"{r['recall_at_10']:>9.3f}"
        )
    if report["bm25"]:
        lines += [
            "",
            "bm25s (synthetic Zipf tokens, 80 per passage, 8-token queries, top 10)",
            f"{'passages':>10} {'build s':>8} {'disk MB':>8} {'RSS MB':>7} {'p50 ms':>7} {'p95 ms':>7}",
        ]
        for r in report["bm25"]:
            lines.append(
                f"{r['passages']:>10,} {r['build_s']:>8.1f} {r['disk_bytes'] / 2**20:>8.1f} "
                f"{r['index_rss_mb']:>7.0f} {r['query_p50_ms']:>7.2f} {r['query_p95_ms']:>7.2f}"
            )
    e = report.get("embedding")
    if e:
        lines += [
            "",
            f"embedding: {e['chunks_per_s']} chunks/s ({e['chunks']} real chunks of ~{e['mean_chars']} "
            f"chars, {e['model']}, {e['torch_threads']} torch thread(s))",
        ]
    return "\n".join(lines)
