"""A batch ingest: every good file goes in, the broken one is refused and leaves nothing behind,
and the progress callback sees every file (knowledge/bench_ingest.py, run at 1,000 in make bench)."""

from __future__ import annotations

from knowledge import Settings
from knowledge.bench_ingest import BROKEN, run


def test_a_batch_with_one_broken_file_ingests_the_rest_and_reports_it():
    seen = []
    report = run(Settings.from_env(), docs=40, progress=lambda done, total: seen.append((done, total)), build=False)
    assert report["added"] == 39 and len(report["refused"]) == 1 and BROKEN in report["refused"][0]
    assert not report["broken_file_written"] and report["ok"]
    assert seen[-1] == (40, 40) and len(seen) == 40  # more than the 29 twins: rows repeat metadata
