"""Console pages: dashboard, conversations, correct, ask, knowledge, handoff replies (leads: leads.py)."""

from __future__ import annotations

import json
import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import exists, func, select

from .. import audit, db
from ..dialogue import DialogueUnavailable
from ..handoff import claims
from ..knowledge_access import knowledge_base
from ..knowledge_access import settings as knowledge_settings
from ..models import LEAD_STATUS_LABELS, FaqCorrection, Feedback, Handoff, HandoffMessage, IndexJob, Turn, utcnow
from . import stats
from .blueprint import bp, requires
from .button_titles import plain
from .knowledge_admin import (
    UPLOAD_ACCEPT,
    KnowledgeChangeError,
    list_documents,
    remove_document,
    save_correction,
    upload_document,
)

log = logging.getLogger(__name__)
PAGE_SIZE = 30
FILTERS = {
    "all": "全部",
    "abstained": "未能回答",
    "thumbs_down": "差评",
    "handoff": "转人工",
    "out_of_scope": "超出范围",
    "error": "出错",
    "degraded": "降级回答",
    "corrected": "已纠正",
}


@bp.app_context_processor
def _labels():
    return {"outcome_labels": stats.LABELS, "lead_status_labels": LEAD_STATUS_LABELS}


@bp.get("/")
@login_required
def dashboard():
    days = min(max(request.args.get("days", 30, type=int), 7), 180)
    series = stats.daily(days)
    return render_template(
        "console/dashboard.html",
        totals=stats.totals(),
        series=series,
        chart=stats.chart(series),
        days=days,
        notices=_notice_counts(),
        wait=stats.handoff_wait(),
        pipeline=stats.leads_by_status(),
        declined=stats.top_declined(),
        not_questions=stats.NOT_QUESTIONS,
    )


def _notice_counts() -> dict | None:
    """Pending and failed staff notices, when notices are on or some are left from when they were."""
    from ..notify import counts

    found = counts(db.session())
    return found if found and ("notify" in current_app.extensions or any(found.values())) else None


def turns_query(filter_name: str, text: str):
    query = select(Turn)
    if filter_name in ("abstained", "handoff", "out_of_scope", "error"):
        query = query.where(Turn.outcome == filter_name)
    elif filter_name == "thumbs_down":
        query = query.where(exists().where(Feedback.turn_id == Turn.id, Feedback.rating < 0))
    elif filter_name == "degraded":
        query = query.where(Turn.degraded.is_(True))
    elif filter_name == "corrected":
        query = query.where(Turn.corrected.is_(True))
    if text:
        query = query.where(Turn.user_text.contains(text))
    return query


@bp.get("/conversations")
@login_required
def conversations():
    filter_name = request.args.get("filter", "all")
    if filter_name not in FILTERS:
        filter_name = "all"
    text = request.args.get("q", "").strip()[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    session = db.session()
    query = turns_query(filter_name, text)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    turns = session.scalars(query.order_by(Turn.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render_template(
        "console/conversations.html",
        turns=turns,
        filters=FILTERS,
        filter_name=filter_name,
        q=text,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


@bp.route("/turns/<int:turn_id>", methods=["GET", "POST"])
@requires("knowledge", methods=("POST",))
def turn(turn_id: int):
    """One turn in full, with the form that corrects it."""
    session = db.session()
    row = session.get(Turn, turn_id) or abort(404)
    documents = [d for d in list_documents() if not d.error and d.category != "faq"]
    form = {"question": plain(row.user_text), "answer": "", "source": ""}  # a tapped button: its title
    cited_urls = [s.get("url") for s in row.sources or []]
    form["source"] = next((d.doc_id for d in documents if d.url in cited_urls), "")
    status = 200
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in ("question", "answer", "source")}
        try:
            correction, job = save_correction(
                session, row, form["question"], form["answer"], form["source"], current_user
            )
        except KnowledgeChangeError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            audit.record(
                "correction",
                f"turn:{row.id}",
                commit=True,
                detail={"correction": correction.id, "doc_id": correction.doc_id, "job": job.id},
            )
            flash(f"已保存纠正，正在后台重建索引（任务 #{job.id}）。", "info")
            return redirect(url_for("console.turn", turn_id=row.id))
    corrections = session.scalars(
        select(FaqCorrection).where(FaqCorrection.turn_id == row.id).order_by(FaqCorrection.id.desc())
    ).all()
    return render_template(
        "console/turn.html", turn=row, documents=documents, form=form, corrections=corrections, jobs=_recent_jobs(5)
    ), status


@bp.get("/ask")
@login_required
def ask():
    """Hit testing: what the knowledge base answers, with every passage's scores."""
    question = request.args.get("q", "").strip()[: current_app.config["MAX_MESSAGE_CHARS"]]
    top_k = min(max(request.args.get("top_k", 5, type=int), 1), 20)
    mode = request.args.get("mode", "hybrid")
    mode = mode if mode in ("hybrid", "bm25", "dense") else "hybrid"
    answer, error = None, ""
    if question:
        try:
            answer = knowledge_base().ask(question, top_k=top_k, mode=mode)
        except Exception as exc:  # a missing or mismatched index: say so on the page
            log.exception("hit testing failed")
            error = f"知识库不可用：{type(exc).__name__}: {exc}"
    return render_template(
        "console/ask.html",
        question=question,
        top_k=top_k,
        mode=mode,
        answer=answer,
        error=error,
        batch=None,
        batch_text="",
    )


@bp.post("/ask")
@login_required
def ask_batch():
    """Batch hit testing: a pasted list or an uploaded file of questions, one per line."""
    from knowledge.batch import MAX_QUESTIONS, ask_many, read_questions

    text = request.form.get("questions", "")
    upload = request.files.get("file")
    error, batch = "", None
    if upload and upload.filename:
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            error = "文件不是 UTF-8 文本：请上传每行一个问题的 .txt 或 .csv（UTF-8 编码）。"
    questions = read_questions(text) if not error else []
    if not error and not questions:
        error = "没有问题：请粘贴每行一个问题，或上传 .txt / .csv 文件。"
    elif len(questions) > MAX_QUESTIONS:
        error = f"一次最多测试 {MAX_QUESTIONS} 个问题，这次有 {len(questions)} 个：请分批测试。"
    if not error:
        limit = current_app.config["MAX_MESSAGE_CHARS"]
        try:
            batch = ask_many(knowledge_base(), [q[:limit] for q in questions])
        except Exception as exc:
            log.exception("batch hit testing failed")
            error = f"知识库不可用：{type(exc).__name__}: {exc}"
    status = 400 if error and not batch else 200
    return render_template(
        "console/ask.html",
        question="",
        top_k=5,
        mode="hybrid",
        answer=None,
        error=error,
        batch=batch,
        batch_text=text if not upload else "",
    ), status


def _recent_jobs(limit: int = 10) -> list[IndexJob]:
    return db.session().scalars(select(IndexJob).order_by(IndexJob.id.desc()).limit(limit)).all()


UPLOAD_META = ("title", "publisher", "published", "url", "category", "valid_from", "valid_until", "doc_id")


def _knowledge_page(upload_form: dict | None = None, status: int = 200):
    jobs = _recent_jobs()
    busy = any(job.status in ("queued", "running") for job in jobs)
    try:  # read as JSON: knowledge.index would load the retrieval stack into the web worker for four numbers
        manifest = json.loads((knowledge_settings().index_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):  # no index yet: the page says so
        manifest = None
    # A refused upload is shown with what was typed, and without the auto-refresh that would drop it.
    from ..reindex_jobs import worker_state

    return render_template(
        "console/knowledge.html",
        documents=list_documents(),
        jobs=jobs,
        busy=busy,
        manifest=manifest,
        worker=worker_state(),
        refresh=busy and upload_form is None,
        refresh_seconds=3,
        upload_form=upload_form or {},
        accept=UPLOAD_ACCEPT,
    ), status


@bp.get("/knowledge")
@login_required
def knowledge():
    return _knowledge_page()


@bp.post("/knowledge/upload")
@requires("knowledge")
def knowledge_upload():
    upload = request.files.get("file")
    meta = {k: request.form.get(k, "").strip() for k in UPLOAD_META}
    if upload is None or not upload.filename:
        flash("请选择要上传的文件。", "error")
        return _knowledge_page(meta, 400)
    try:
        doc_id, job = upload_document(db.session(), upload.filename, upload.read(), meta)
    except KnowledgeChangeError as exc:
        # Nothing was written and no re-index started; the form keeps its fields for another try.
        log.info("upload refused", extra={"upload": upload.filename, "reason": str(exc)})
        flash(f"{upload.filename}：{exc}", "error")
        return _knowledge_page(meta, 400)
    audit.record("upload", doc_id, detail={"file": upload.filename[:200], "job": job.id}, commit=True)
    flash(f"已加入文档 {doc_id}，正在重建索引（任务 #{job.id}）。", "info")
    return redirect(url_for("console.knowledge"))


@bp.errorhandler(413)
def _too_large(error):
    """An upload over MAX_CONTENT_LENGTH: say so on the knowledge page rather than with a bare 413."""
    if request.endpoint != "console.knowledge_upload" or not current_user.can("knowledge"):
        return error
    limit = current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
    flash(f"文件太大：上传的文件不能超过 {limit} MB。", "error")
    return _knowledge_page({}, 413)


@bp.post("/knowledge/<doc_id>/remove")
@requires("knowledge")
def knowledge_remove(doc_id: str):
    try:
        job, removed = remove_document(db.session(), doc_id)
    except KnowledgeChangeError as exc:
        flash(str(exc), "error")
    else:  # who removed what, and when: the entry keeps the title and 文号 of what is gone
        audit.record("remove", doc_id, detail={"job": job.id, **removed}, commit=True)
        flash(f"已删除文档 {doc_id}，正在重建索引（任务 #{job.id}）。", "info")
    return redirect(url_for("console.knowledge"))


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is run as a formula by spreadsheets.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def deliver(handoff: Handoff, text: str) -> str:
    """Send a staff reply outside the widget (which polls); returns a problem to show, or ""."""
    if handoff.channel != "wechat":
        return ""
    try:
        from ..wechat.customer_service import CustomerServiceError, send_to_conversation
    except ImportError:
        return "微信渠道未安装，消息只保存在控制台。"
    try:
        send_to_conversation(handoff.sender_id or "", text)
    except CustomerServiceError as exc:
        return exc.staff_message
    return ""


@bp.post("/handoffs/<int:handoff_id>/reply")
@requires("handoffs")
def handoff_reply(handoff_id: int):
    session = db.session()
    handoff = session.get(Handoff, handoff_id) or abort(404)
    text = request.form.get("text", "").strip()
    if handoff.status != "open":
        flash("该会话已交还机器人。", "error")
    elif not text or len(text) > 1000:
        flash("回复内容需为1到1000个字符。", "error")
    elif not claims.claim(session, handoff.id, current_user.id):  # replying claims an unclaimed one
        flash(_claim_refused(session, handoff), "error")
    else:
        problem = deliver(handoff, text)
        session.add(HandoffMessage(handoff_id=handoff.id, author="staff", staff_id=current_user.id, text=text))
        audit.record("handoff_reply", f"handoff:{handoff.id}", detail={"chars": len(text), "delivered": not problem})
        session.commit()
        flash(problem or "已发送。", "error" if problem else "info")
    return redirect(url_for("console.handoffs") + f"#handoff-{handoff_id}")


@bp.post("/handoffs/<int:handoff_id>/release")
@requires("handoffs")
def handoff_release(handoff_id: int):
    session = db.session()
    handoff = session.get(Handoff, handoff_id) or abort(404)
    if handoff.status == "open":
        try:
            release(handoff)
        except DialogueUnavailable:
            flash("智能助手暂时不可达，会话仍由人工处理，请稍后再交还。", "error")
            return redirect(url_for("console.handoffs"))
        audit.record("handoff_release", f"handoff:{handoff.id}")
        session.commit()
        flash(f"会话 #{handoff.id} 已交还机器人。", "info")
    return redirect(url_for("console.handoffs"))


def _claim_refused(session, handoff: Handoff) -> str:
    from .handoff_queue import _refusal

    return _refusal(session, handoff)


RELEASED = "人工服务已结束，您可以继续向智能助手提问。"


def release(handoff: Handoff) -> None:
    """Give the conversation back to the bot: Rasa resumes first, so a failure keeps it with staff."""
    dialogue = current_app.extensions["dialogue"]
    if handoff.sender_id:
        dialogue.resume(handoff.sender_id)
    db.session().add(HandoffMessage(handoff_id=handoff.id, author="staff", text=RELEASED))
    handoff.status, handoff.closed_at, handoff.closed_reason = "closed", utcnow(), "released"
    handoff.sender_id = None  # no longer needed to reach the person
