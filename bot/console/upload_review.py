"""Several files uploaded at once, each reviewed before it goes live.

Staff drop in a batch of files (Chinese names welcome). Each is read in the
limited child process (knowledge/isolated.py) into a draft: the metadata its
text states, with the words it was read from, what it does not state (asked
for, never filled in), and the passages it will be cut into
(knowledge/drafts.py). Staff confirm or correct each row and publish; what
is published is exactly the text they previewed. Until then the files wait
in the data directory's staging folder, never in the index or the git tree.
One bad file is reported and the others go on.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for

from .. import audit, db
from ..knowledge_access import settings as knowledge_settings
from ..reindex_jobs import enqueue
from .blueprint import bp, requires
from .doc_versions import supersede_after_publish
from .knowledge_admin import UPLOAD_ACCEPT, UPLOAD_SUFFIXES, staff_dir
from .refusals import refusal_message

log = logging.getLogger(__name__)
TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_FILES = 20
STAGING_DAYS = 7
FIELDS = (
    "title",
    "issuer",
    "publisher",
    "doc_number",
    "published",
    "valid_from",
    "valid_until",
    "scope",
    "url",
    "category",
)
DATE_FIELDS = ("published", "valid_from", "valid_until")


def _staging(token: str) -> Path:
    if not TOKEN.match(token):
        abort(404)
    return knowledge_settings().data_dir / "staging" / token


def _load(token: str) -> list[dict]:
    try:
        return json.loads((_staging(token) / "drafts.json").read_text("utf-8"))
    except (OSError, ValueError):
        abort(404)


def _save(token: str, drafts: list[dict]) -> None:
    path = _staging(token) / "drafts.json"
    path.write_text(json.dumps(drafts, ensure_ascii=False), "utf-8")


def _place_names() -> list[str]:
    """The places a scope may name (knowledge/lexicon/places.yml), read without loading the lexicon."""
    from knowledge import safe_yaml

    try:
        return list(safe_yaml.load((knowledge_settings().lexicon_dir / "places.yml").read_text("utf-8")) or {})
    except (OSError, ValueError):
        return []


def _prune_staging(root: Path) -> None:
    """Batches never published nor left out are dropped after STAGING_DAYS: they hold file copies."""
    import time

    for folder in root.glob("*") if root.is_dir() else []:
        if TOKEN.match(folder.name) and time.time() - folder.stat().st_mtime > STAGING_DAYS * 86400:
            shutil.rmtree(folder, ignore_errors=True)


def read_batch(files, category: str) -> tuple[str, list[dict]]:
    """Stage each file and make its draft; returns the batch token and the drafts (as dicts)."""
    from knowledge import isolated
    from knowledge.documents import DocumentError
    from knowledge.drafts import Draft, draft_file

    settings = knowledge_settings()
    _prune_staging(settings.data_dir / "staging")
    token = uuid.uuid4().hex
    folder = _staging(token)
    folder.mkdir(parents=True)
    drafts = []
    for n, upload in enumerate(files):
        name = Path(upload.filename).name[:200]
        suffix = Path(name).suffix.lower()
        stored = folder / f"{n}{suffix}"
        upload.save(stored)
        if suffix not in UPLOAD_SUFFIXES:
            hint = "旧版 Word（.doc）请先另存为 .docx。" if suffix == ".doc" else ""
            draft = Draft(filename=name, error=f"只支持 {' '.join(UPLOAD_SUFFIXES)} 文件。{hint}")
        else:
            try:
                draft = isolated.run(draft_file, stored, settings.lexicon_dir, category, name)
            except DocumentError as exc:  # time or memory limit: said like any refusal
                draft = Draft(filename=name, error=str(exc))
        if draft.error:
            draft.error = refusal_message(draft.error)
        drafts.append({**draft.to_dict(), "stored": stored.name, "status": "draft"})
    _save(token, drafts)
    return token, drafts


def _confirmed(form, n: int, draft: dict) -> tuple[dict, list[str]]:
    """The metadata staff confirmed for file n, and what is still missing (in Chinese)."""
    from datetime import date

    meta = {k: form.get(f"f{n}-{k}", "").strip() for k in FIELDS}
    problems = []
    for key in DATE_FIELDS:
        if meta[key]:
            try:
                date.fromisoformat(meta[key])
            except ValueError:
                problems.append(f"{key} 不是日期（如 2024-03-12）")
    if not meta["title"]:
        problems.append("请填写标题")
    if not meta["publisher"]:
        meta["publisher"] = meta["issuer"]
    if not meta["publisher"]:
        problems.append("请填写发布单位")
    if not meta["url"]:
        problems.append("请填写原文链接")
    if not meta["published"] and not form.get(f"f{n}-no-date"):
        problems.append("原文没有写明发布日期：请填写，或勾选“原文没有日期”（引用时会写明日期不详）")
    if meta["category"] not in ("release", "policy", "faq"):
        meta["category"] = draft["meta"].get("category") or "release"
    return meta, problems


def publish_one(session, draft: dict, meta: dict, folder: Path, taken: set) -> str:
    """Write one reviewed document (the previewed text, the confirmed metadata); returns its id."""
    import tempfile

    from knowledge import isolated
    from knowledge.documents import Document
    from knowledge.ingest import ingest
    from knowledge.naming import readable_id, unique_id

    from .knowledge_admin import KnowledgeChangeError

    settings = knowledge_settings()
    doc_id = unique_id(isolated.run(readable_id, Path(draft["filename"]).stem, meta["title"]), taken)
    doc = Document(doc_id=doc_id, text=draft["text"], **{k: meta[k] for k in FIELDS})
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / f"{doc_id}.md"
        path.write_text(doc.to_markdown(), "utf-8")
        [outcome] = ingest([path], staff_dir(), {"doc_id": doc_id}, (settings.docs_dir,))
    if outcome.status == "refused":
        raise KnowledgeChangeError(f"文档未被接受：{refusal_message(outcome.detail)}")
    if outcome.status == "duplicate":
        raise KnowledgeChangeError(f"内容与已有文档 {outcome.doc_id} 相同。")
    taken.add(doc_id)
    return doc_id


@bp.post("/knowledge/drafts")
@requires("knowledge")
def drafts_upload():
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        flash("请选择要上传的文件（可一次选多个）。", "error")
        return redirect(url_for("console.knowledge"))
    if len(files) > MAX_FILES:
        flash(f"一次最多上传 {MAX_FILES} 个文件。", "error")
        return redirect(url_for("console.knowledge"))
    token, drafts = read_batch(files, request.form.get("category", "").strip())
    log.info("upload batch read", extra={"files": len(drafts), "refused": sum(1 for d in drafts if d["error"])})
    return redirect(url_for("console.drafts_review", token=token))


def _versions_of(drafts: list[dict]) -> None:
    """For each draft, the documents already there that are versions of the same policy (same 文号, or
    same title and issuer): staff see before publishing that one will replace the other."""
    from knowledge.documents import Document
    from knowledge.library import load_all
    from knowledge.versions import family

    try:
        docs = load_all(knowledge_settings())
    except (OSError, ValueError):  # an unreadable document: the list is shown without the versions
        return
    for draft in drafts:
        if draft["error"] or draft["status"] != "draft":
            continue
        meta = draft["meta"]
        candidate = Document(
            doc_id="\0new",
            title=meta.get("title", ""),
            publisher=meta.get("publisher", ""),
            published=meta.get("published", ""),
            url="",
            category=meta.get("category", ""),
            text="",
            issuer=meta.get("issuer", ""),
            doc_number=meta.get("doc_number", ""),
            valid_from=meta.get("valid_from", ""),
        )
        draft["versions"] = [
            {"doc_id": d.doc_id, "title": d.title, "published": d.published}
            for d in family(candidate, docs)
            if d.doc_id != candidate.doc_id
        ]


@bp.get("/knowledge/drafts/<token>")
@requires("knowledge")
def drafts_review(token: str):
    drafts = _load(token)
    _versions_of(drafts)
    return render_template(
        "console/review.html", token=token, drafts=drafts, places=_place_names(), accept=UPLOAD_ACCEPT, problems={}
    )


@bp.post("/knowledge/drafts/<token>/publish")
@requires("knowledge")
def drafts_publish(token: str):
    from knowledge.library import document_paths, withdrawn

    from .knowledge_admin import KnowledgeChangeError

    folder = _staging(token)
    drafts = _load(token)
    settings = knowledge_settings()
    taken = set(document_paths(settings)) | set(withdrawn(settings))
    published, problems = [], {}
    for n, draft in enumerate(drafts):
        if draft["status"] != "draft" or draft["error"] or request.form.get(f"f{n}-skip"):
            continue
        meta, missing = _confirmed(request.form, n, draft)
        draft["meta"] = {**draft["meta"], **meta}  # what was typed survives a refusal
        if missing:
            problems[n] = missing
            continue
        try:
            doc_id = publish_one(db.session(), draft, meta, folder, taken)
        except KnowledgeChangeError as exc:
            problems[n] = [str(exc)]
            continue
        draft.update(status="published", doc_id=doc_id)
        published.append((doc_id, draft["filename"]))
        replaced = supersede_after_publish(db.session(), doc_id)  # an amended policy replaces the old
        if replaced:
            flash(f"{doc_id} 是 {'、'.join(replaced)} 的新版本：旧版本保留在版本历史中，不再被引用。", "info")
    _save(token, drafts)
    if published:
        job = enqueue(db.session(), "upload", ", ".join(d for d, _ in published))
        for doc_id, filename in published:
            audit.record("upload", doc_id, detail={"file": filename[:200], "job": job.id})
        db.session().commit()
        flash(
            f"已发布 {len(published)} 篇文档（{'、'.join(d for d, _ in published)}），正在重建索引（任务 #{job.id}）。",
            "info",
        )
    if problems:
        for n, reasons in problems.items():
            flash(f"{drafts[n]['filename']}：{'；'.join(reasons)}", "error")
        return render_template(
            "console/review.html",
            token=token,
            drafts=drafts,
            places=_place_names(),
            accept=UPLOAD_ACCEPT,
            problems=problems,
        ), 400
    shutil.rmtree(folder, ignore_errors=True)  # everything reviewed is published or was left out
    return redirect(url_for("console.knowledge"))
