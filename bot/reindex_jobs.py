"""The re-index queue: staff changes add a job; the re-index worker builds the index.

A build loads every document and the embedding model; when it ran in a
gunicorn worker, that worker grew from 81 MB to 1.06 GB after one upload. So
the gateway only adds an `IndexJob` row (enqueue), and the re-index worker
process (bot/reindex_worker.py, a Procfile process) takes the queued jobs,
builds once for all of them, writes its progress into the rows for the
console, and finishes the corrections the build made live. The running
KnowledgeBase picks the new index up by itself once it is swapped in.

Builds are serialised with a file lock, so two workers never build at once.
The worker writes a heartbeat file; the console and /healthz read it to say
whether queued jobs will be picked up.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select, update

from .knowledge_access import settings
from .models import FaqCorrection, IndexJob, utcnow

log = logging.getLogger(__name__)
HEARTBEAT = "reindex-worker.json"
HEARTBEAT_S = 5.0
# How the console names the build's stages (knowledge.index.build's report()).
STAGES = {
    "passages": "切分段落",
    "bm25": "建立词项索引",
    "model": "加载向量模型",
    "vectors": "计算向量",
    "writing": "写入索引",
}


def _state_dir(app: Flask) -> Path:
    path = Path(app.config["KNOWLEDGE_INDEX_DIR"]).parent
    path.mkdir(parents=True, exist_ok=True)
    return path


def enqueue(session, kind: str, detail: str) -> IndexJob:
    """Queue a rebuild after the caller's change; the re-index worker runs it.

    KNOWLEDGE_REINDEX_SYNC (tests, one-process tools) runs it here and now instead.
    """
    job = IndexJob(kind=kind, detail=detail[:500], status="queued")
    session.add(job)
    session.commit()
    app = current_app._get_current_object()
    if app.config.get("KNOWLEDGE_REINDEX_SYNC"):
        run_pending(app)
        session.refresh(job)
    return job


def _build(app: Flask, report) -> str:
    builder = app.extensions.get("knowledge_builder")
    if builder is not None:  # tests put a fake here
        return builder(settings(app)) or "built"
    from knowledge.index import build

    manifest, rebuilt = build(settings(app), progress=False, report=report)
    return f"{manifest.documents} 篇文档，{manifest.chunks} 个段落" + ("" if rebuilt else "（索引无变化）")


def _claim(make_session) -> list[int]:
    """Mark every queued job running; a conditional update, so no two workers claim one job."""
    with make_session() as s:
        claimed = []
        for job_id in s.scalars(select(IndexJob.id).where(IndexJob.status == "queued").order_by(IndexJob.id)):
            done = s.execute(
                update(IndexJob)
                .where(IndexJob.id == job_id, IndexJob.status == "queued")
                .values(status="running", started_at=utcnow(), progress=0, message="")
            )
            if done.rowcount:
                claimed.append(job_id)
        s.commit()
    return claimed


def run_pending(app: Flask) -> int:
    """Build once for every queued job; returns how many jobs were finished."""
    make_session = app.extensions["db_sessionmaker"]
    with open(_state_dir(app) / ".index-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        claimed = _claim(make_session)
        if not claimed:
            return 0
        started = utcnow()

        def report(stage: str, fraction: float) -> None:
            with make_session() as s:
                s.execute(
                    update(IndexJob)
                    .where(IndexJob.id.in_(claimed))
                    .values(progress=int(fraction * 100), message=STAGES.get(stage, stage))
                )
                s.commit()

        ok = True
        try:
            with app.app_context():
                message = _build(app, report)
        except Exception as exc:  # the job rows tell staff; the log keeps the trace
            log.exception("re-index failed")
            ok, message = False, f"{type(exc).__name__}: {exc}"
        _finish(make_session, claimed, started, ok, message)
    log.info("re-index finished", extra={"jobs": len(claimed), "ok": ok})
    return len(claimed)


def _finish(make_session, claimed: list[int], started, ok: bool, message: str) -> None:
    with make_session() as s:
        s.execute(
            update(IndexJob)
            .where(IndexJob.id.in_(claimed))
            .values(
                status="done" if ok else "failed",
                message=message[:2000],
                finished_at=utcnow(),
                progress=100 if ok else IndexJob.progress,
            )
        )
        # The build read every correction saved before it started: those are live now (or failed).
        s.execute(
            update(FaqCorrection)
            .where(FaqCorrection.status == "indexing", FaqCorrection.created_at <= started)
            .values(status="live" if ok else "failed", error="" if ok else message[:2000])
        )
        s.commit()


def requeue_interrupted(app: Flask) -> int:
    """Jobs left running by a worker that stopped mid-build go back to the queue (one worker per instance)."""
    with app.extensions["db_sessionmaker"]() as s:
        done = s.execute(
            update(IndexJob)
            .where(IndexJob.status == "running")
            .values(status="queued", progress=0, message="重启后重新排队")
        )
        s.commit()
        return done.rowcount


def beat(app: Flask) -> None:
    """Say the worker is alive (written atomically; read by worker_state)."""
    path = _state_dir(app) / HEARTBEAT
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": os.getpid(), "at": time.time()}), "utf-8")
    os.replace(tmp, path)


def worker_state(app: Flask | None = None) -> dict:
    """Whether a re-index worker is alive, and how many jobs wait: for the console and /healthz."""
    app = app or current_app
    try:
        seen = json.loads((_state_dir(app) / HEARTBEAT).read_text("utf-8"))
        age = time.time() - float(seen["at"])
    except (OSError, ValueError, KeyError, TypeError):
        age = None
    alive = age is not None and age < 6 * HEARTBEAT_S
    with app.extensions["db_sessionmaker"]() as s:
        waiting = (
            s.scalar(select(func.count()).select_from(IndexJob).where(IndexJob.status.in_(("queued", "running")))) or 0
        )
    state = {
        "ok": alive,
        "waiting": waiting,
        "detail": "alive" if alive else ("no heartbeat" if age is None else f"last seen {age:.0f} s ago"),
    }
    if app.config.get("KNOWLEDGE_REINDEX_SYNC"):
        state.update(ok=True, detail="in-process (KNOWLEDGE_REINDEX_SYNC)")
    return state
