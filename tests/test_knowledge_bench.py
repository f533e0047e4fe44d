"""The benchmark runs end to end at a small size (the real sizes are in `python -m knowledge bench`)."""

import pytest

from knowledge import bench, index

pytestmark = pytest.mark.slow  # benchmarks: left out of make test-fast


def test_dense_bench_measures_exact_and_approximate_search(monkeypatch):
    flat = bench.bench_dense(3_000)
    assert flat["index"] == "IndexFlatIP" and flat["recall_at_10"] == 1.0
    monkeypatch.setattr(index, "FLAT_LIMIT", 1_000)  # take the IVF path at a size a test can afford
    hnsw = bench.bench_dense(3_000)
    assert hnsw["index"] == "IndexIVFFlat"
    assert hnsw["recall_at_10"] >= 0.95
    for key in ("build_s", "disk_bytes", "index_rss_mb", "query_p50_ms", "query_p95_ms"):
        assert key in hnsw
    assert hnsw["query_p50_ms"] <= hnsw["query_p95_ms"]


def test_bm25_bench_and_report_table():
    report = {
        "machine": bench.machine(),
        "dense": [bench.bench_dense(1_000)],
        "bm25": [bench.bench_bm25(2_000)],
        "embedding": None,
    }
    assert report["bm25"][0]["disk_bytes"] > 0
    text = bench.table(report)
    assert "recall@10" in text and "bm25s" in text and "cores" in text


def test_the_command_writes_its_report_into_a_folder_a_fresh_clone_lacks(tmp_path):
    """`make bench` writes results/…json, and results/ is not in the repository: the first run made no report."""
    import json
    import subprocess
    import sys

    output = tmp_path / "results" / "knowledge-bench.json"
    command = [sys.executable, "-m", "knowledge", "bench", "--sizes", "500", "--bm25-sizes", "500"]
    subprocess.run([*command, "--no-embedding", "--quiet", "--output", str(output)], check=True, capture_output=True)
    report = json.loads(output.read_text("utf-8"))
    assert report["dense"][0]["passages"] == 500 and report["bm25"][0]["passages"] == 500
