"""A policy's versions in the console: its history, and bringing an old version back.

A re-issued or amended policy supersedes the old one when it is published
(knowledge/versions.py); the old one stays on disk, is never cited, and is
listed here with what replaced it and when. Restoring makes it current again
(for a version replaced by mistake) and re-indexes; both are in the audit log.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from .. import audit, db
from ..knowledge_access import settings as knowledge_settings
from ..reindex_jobs import enqueue
from .blueprint import bp, requires
from .knowledge_admin import DOC_ID


def _docs():
    from knowledge.library import load_all

    return load_all(knowledge_settings())


def supersede_after_publish(session, doc_id: str) -> list[str]:
    """File the older versions of a just-published document as superseded; audited, not committed."""
    from knowledge.versions import supersede

    docs = _docs()
    new = next((d for d in docs if d.doc_id == doc_id), None)
    if new is None:
        return []
    replaced = supersede(knowledge_settings(), new, docs)
    for old in replaced:
        audit.record("supersede", old, detail={"by": doc_id}, session=session)
    return replaced


@bp.get("/knowledge/<doc_id>/history")
@requires("knowledge")
def knowledge_history(doc_id: str):
    from knowledge.versions import history

    versions = history(knowledge_settings(), doc_id, _docs()) if DOC_ID.match(doc_id) else []
    if not versions:
        flash("没有这篇文档。", "error")
        return redirect(url_for("console.knowledge"))
    return render_template("console/history.html", doc_id=doc_id, versions=versions)


@bp.post("/knowledge/<doc_id>/restore")
@requires("knowledge")
def knowledge_restore(doc_id: str):
    from knowledge.versions import restore

    try:
        others = restore(knowledge_settings(), doc_id, _docs()) if DOC_ID.match(doc_id) else None
    except KeyError:
        others = None
    if others is None:
        flash("没有这篇文档。", "error")
        return redirect(url_for("console.knowledge"))
    session = db.session()
    job = enqueue(session, "restore", f"{doc_id} 恢复为现行版本")
    audit.record("restore_version", doc_id, detail={"job": job.id, "superseded": others[:20]}, commit=True)
    flash(f"已将 {doc_id} 恢复为现行版本，其他版本不再被引用，正在重建索引（任务 #{job.id}）。", "info")
    return redirect(url_for("console.knowledge_history", doc_id=doc_id))
