"""Ingesting a thousand documents: how long it takes, and that one bad file harms nothing else.

A park's knowledge base grows by batches (a year of policies, a website's
back catalogue). This benchmark writes N documents shaped like the test
corpus (each a variant of one of its twins, so no two are duplicates) plus
one broken .docx, ingests them through a manifest with a progress bar, then
builds the index, and reports the time of each step. It checks what a batch
must guarantee: every good file is in, the broken one is refused with its
reason, and nothing of it was written.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

from . import safe_yaml
from .config import Settings
from .evaluate import CORPUS_DIR as CORPUS

BROKEN = "broken-upload.docx"


def write_batch(folder: Path, docs: int) -> Path:
    """N variants of the corpus twins, one broken .docx, and their manifest; returns the manifest."""
    twins = safe_yaml.load((CORPUS / "manifest.yml").read_text("utf-8"))
    rows = []
    for i in range(docs - 1):
        entry = twins[i % len(twins)]
        source = CORPUS / entry["path"]
        name = f"batch-{i:04d}{source.suffix}"
        text = source.read_text("utf-8")
        # A line of its own makes each copy a different document (the ingester refuses duplicates);
        # in a page, inside its body, where the reader looks.
        marker = f"批次样本编号 {i:04d}。"
        if source.suffix == ".html" and "</body>" in text:
            text = text.replace("</body>", f"<p>{marker}</p></body>", 1)
        else:
            text = f"{text}\n\n{marker}\n"
        (folder / name).write_text(text, "utf-8")
        row = {k: v for k, v in entry.items() if k not in ("path", "source", "quirks")}
        rows.append({**row, "path": name, "title": f"{entry['title']}（样本{i:04d}）"})
    (folder / BROKEN).write_bytes(b"PK\x03\x04 not really a zip archive")
    rows.append(
        {
            "path": BROKEN,
            "title": "损坏的上传",
            "publisher": "测试",
            "published": "2024-01-01",
            "url": "https://example.org/broken",
            "category": "policy",
        }
    )
    manifest = folder / "manifest.yml"
    manifest.write_text(yaml.dump(rows, Dumper=_NoAliases, allow_unicode=True, sort_keys=False), "utf-8")
    return manifest


class _NoAliases(yaml.SafeDumper):
    """Rows that share a value are written out in full: the ingester refuses YAML aliases."""

    def ignore_aliases(self, data) -> bool:
        return True


def run(settings: Settings, docs: int = 1000, progress=None, build: bool = True) -> dict:
    from .index import build as build_index
    from .ingest import ingest_manifest

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        source, target = work / "batch", work / "docs"
        source.mkdir()
        target.mkdir()
        manifest = write_batch(source, docs)
        started = time.perf_counter()
        outcomes = ingest_manifest(manifest, target, progress=progress)
        ingest_s = time.perf_counter() - started
        added = [o for o in outcomes if o.status == "added"]
        refused = [o for o in outcomes if o.status == "refused"]
        written = sorted(p.name for p in target.iterdir())
        report = {
            "documents": docs,
            "added": len(added),
            "refused": [f"{Path(o.path).name}: {o.detail}" for o in refused],
            "ingest_s": round(ingest_s, 2),
            "files_per_s": round(len(outcomes) / ingest_s, 1) if ingest_s else None,
            "broken_file_written": any(name.startswith("broken") for name in written),
        }
        if build:
            started = time.perf_counter()
            manifest_out, _ = build_index(
                replace(settings, docs_dir=target, data_dir=work / "data", index_dir=work / "index"),
                progress=progress is not None,
            )
            report.update(index_s=round(time.perf_counter() - started, 2), passages=manifest_out.chunks)
        report["ok"] = (
            len(added) == docs - 1
            and len(refused) == 1
            and BROKEN in report["refused"][0]
            and not report["broken_file_written"]
        )
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
