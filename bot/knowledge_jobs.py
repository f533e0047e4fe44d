"""The gateway's use of the knowledge package: one loaded base, and background re-indexing.

Staff actions (a correction, an upload, a removal) change the docs directory
and then rebuild the index in a thread, so the page answers at once. Each
rebuild is an `IndexJob` row, so any worker can show its progress. Builds
are serialised with a file lock: two workers never build at the same time.
"""
from __future__ import annotations

import fcntl
import logging
import threading
from dataclasses import replace
from pathlib import Path

from flask import Flask, current_app

from .models import IndexJob, utcnow

log = logging.getLogger(__name__)
# Degraded answers search lexically: on the dev set BM25 with the coverage
# re-rank answers as well as hybrid (`python -m knowledge eval`: Hit@1 0.975
# both), and it spares each gateway worker torch and the embedding model. On a
# quiet 2-core machine the first degraded answer of a worker then takes 3.5 s
# and 280 MB RSS instead of 13.7 s and 714 MB; it is loaded on first use, so a
# gateway that never degrades never pays for it.
DEGRADED_SEARCH = "bm25"
_load_lock = threading.Lock()


def settings(app: Flask | None = None):
    from knowledge import Settings

    app = app or current_app
    base = Settings.from_env()
    return replace(base, docs_dir=Path(app.config["KNOWLEDGE_DOCS_DIR"]),
                   faq_dir=Path(app.config.get("KNOWLEDGE_FAQ_DIR") or base.faq_dir),
                   index_dir=Path(app.config["KNOWLEDGE_INDEX_DIR"]))


def knowledge_base(app: Flask | None = None):
    """The app's KnowledgeBase, loaded on first use (it reloads itself after a rebuild)."""
    app = app or current_app
    kb = app.extensions.get("knowledge")
    if kb is None:
        with _load_lock:
            kb = app.extensions.get("knowledge")
            if kb is None:
                from knowledge import KnowledgeBase

                kb = app.extensions["knowledge"] = KnowledgeBase.load(settings(app))
    return kb


def _build(app: Flask) -> str:
    builder = app.extensions.get("knowledge_builder")
    if builder is not None:  # tests put a fake here
        return builder(settings(app)) or "built"
    from knowledge.index import build

    manifest, rebuilt = build(settings(app), progress=False)
    return f"{manifest.documents} documents, {manifest.chunks} passages" + ("" if rebuilt else " (unchanged)")


def _run(app: Flask, job_id: int, on_done) -> None:
    make_session = app.extensions["db_sessionmaker"]
    lock_path = Path(app.config["KNOWLEDGE_INDEX_DIR"]).parent / ".index-build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with make_session() as s:
        job = s.get(IndexJob, job_id)
        job.status = "running"
        s.commit()
    ok, message = True, ""
    try:
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with app.app_context():
                message = _build(app)
    except Exception as exc:  # the job row tells staff; the log keeps the trace
        log.exception("re-index failed")
        ok, message = False, f"{type(exc).__name__}: {exc}"
    with make_session() as s:
        job = s.get(IndexJob, job_id)
        job.status, job.message, job.finished_at = ("done" if ok else "failed"), message, utcnow()
        if on_done is not None:
            on_done(s, ok, message)
        s.commit()


def start_reindex(session, kind: str, detail: str, on_done=None) -> IndexJob:
    """Queue a rebuild after the caller's change; on_done(session, ok, message) runs when it ends."""
    job = IndexJob(kind=kind, detail=detail, status="queued")
    session.add(job)
    session.commit()
    app = current_app._get_current_object()
    if app.config.get("KNOWLEDGE_REINDEX_SYNC"):
        _run(app, job.id, on_done)
        session.refresh(job)
    else:
        threading.Thread(target=_run, args=(app, job.id, on_done), name=f"reindex-{job.id}",
                         daemon=True).start()
    return job
