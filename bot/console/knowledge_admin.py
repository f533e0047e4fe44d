"""What staff change in the knowledge base: corrections (as FAQ documents), uploads, removals.

Each change writes or deletes a Markdown document in the docs directory and
queues a background re-index; the running KnowledgeBase picks the new index
up by itself once the build swaps it in.
"""
from __future__ import annotations

import re
import tempfile
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..knowledge_jobs import start_reindex
from ..models import FaqCorrection, IndexJob, StaffUser, Turn

DOC_ID = re.compile(r"^[\w.\-]{1,200}$")
# What the console accepts: every format the ingestion library reads (knowledge/readers.py).
UPLOAD_SUFFIXES = (".md", ".txt", ".html", ".htm", ".pdf", ".docx")
UPLOAD_ACCEPT = ",".join(UPLOAD_SUFFIXES)  # the file input's accept attribute
CITATION_LABELS = {"title": "标题", "publisher": "发布单位", "published": "发布日期", "url": "原文链接"}
# Why ingestion refused a file (its English reason), said so that staff know what to do.
REFUSALS = (
    ("no text layer", "这个 PDF 没有文字层（可能是扫描件），请先做文字识别（OCR）或上传文字版"),
    ("encrypted with a password", "这个 PDF 有密码保护，请上传未加密的版本"),
    ("cannot read the PDF", "无法读取这个 PDF：文件可能已损坏，或并不是 PDF"),
    ("cannot read the Word file", "无法读取这个 Word 文件：文件可能已损坏，或不是 .docx 格式"),
    ("cannot read the file", "无法读取这个文件：文件可能已损坏，或与扩展名不符"),
    ("not UTF-8", "文本文件不是 UTF-8 编码，请另存为 UTF-8 后再上传"),
    ("no article text", "网页中没有找到正文"),
    ("no text in the file", "文件中没有文字"),
    ("the file is empty", "文件是空的"),
    ("limit is", "文件太大"),
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


class KnowledgeChangeError(ValueError):
    """A change staff asked for that cannot be made; the message says why."""


@dataclass
class DocRow:
    doc_id: str
    title: str = ""
    category: str = ""
    publisher: str = ""
    published: str = ""
    url: str = ""
    valid_from: str = ""
    valid_until: str = ""
    expired: bool = False
    error: str = ""


def docs_dir() -> Path:
    return Path(current_app.config["KNOWLEDGE_DOCS_DIR"])


def list_documents() -> list[DocRow]:
    from knowledge.documents import DocumentError, load_markdown

    rows = []
    for path in sorted(docs_dir().glob("*.md")):
        try:
            doc = load_markdown(path)
        except (DocumentError, ValueError, OSError) as exc:
            rows.append(DocRow(doc_id=path.stem, error=str(exc)))
            continue
        try:
            expired = doc.expired(date.today())
        except ValueError:
            expired = False
        rows.append(DocRow(doc_id=doc.doc_id, title=doc.title, category=doc.category, publisher=doc.publisher,
                           published=doc.published, url=doc.url, valid_from=doc.valid_from,
                           valid_until=doc.valid_until, expired=expired))
    return rows


def question_key(question: str) -> str:
    from knowledge.text import normalize

    return _NOT_WORD.sub("", normalize(unicodedata.normalize("NFKC", question)))[:200]


def _source_document(doc_id: str):
    from knowledge.documents import DocumentError, load_markdown

    path = docs_dir() / f"{doc_id}.md"
    if not DOC_ID.match(doc_id) or not path.is_file():
        raise KnowledgeChangeError("请选择一篇来源文档。")
    try:
        return load_markdown(path)
    except DocumentError as exc:
        raise KnowledgeChangeError(f"来源文档无法读取：{exc}") from exc


def _ingest_markdown(markdown: str, doc_id: str) -> str:
    """Add one Markdown document through the knowledge package; returns its doc id."""
    from knowledge.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{doc_id}.md"
        path.write_text(markdown, "utf-8")
        [outcome] = ingest([path], docs_dir(), {"doc_id": doc_id})
    if outcome.status == "refused":
        raise KnowledgeChangeError(f"文档未被接受：{outcome.detail}")
    return outcome.doc_id


def save_correction(session, turn: Turn, question: str, answer: str, source_doc_id: str,
                    staff: StaffUser) -> tuple[FaqCorrection, IndexJob]:
    from knowledge.documents import Document

    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        raise KnowledgeChangeError("问题和正确答案都必须填写。")
    if len(answer) > 2000:
        raise KnowledgeChangeError("答案请控制在2000字以内。")
    source = _source_document(source_doc_id)
    if question[-1] not in "？?。！!":
        question += "？"
    doc_id = f"faq-correction-{turn.id}-{uuid.uuid4().hex[:8]}"
    # The entry restates its source's citation, so the answer is cited like any other.
    doc = Document(doc_id=doc_id, title=source.title, publisher=source.publisher, published=source.published,
                   url=source.url, category="faq", text=f"{question}\n{answer}", issuer=source.issuer,
                   doc_number=source.doc_number, valid_from=source.valid_from, valid_until=source.valid_until)
    doc_id = _ingest_markdown(doc.to_markdown(), doc_id)

    key = question_key(question)
    for old in session.scalars(select(FaqCorrection).where(FaqCorrection.question_key == key,
                                                           FaqCorrection.active.is_(True))):
        # The newest correction of a question replaces the older ones.
        old.active = False
        if old.doc_id != doc_id:
            (docs_dir() / f"{old.doc_id}.md").unlink(missing_ok=True)
    correction = FaqCorrection(turn_id=turn.id, staff_id=staff.id, question=question, question_key=key,
                               answer=answer, source_doc_id=source.doc_id, doc_id=doc_id, status="indexing")
    session.add(correction)
    turn.corrected = True
    session.commit()
    correction_id = correction.id

    def _done(s, ok, message):
        row = s.get(FaqCorrection, correction_id)
        row.status, row.error = ("live", "") if ok else ("failed", message)

    job = start_reindex(session, "correction", f"turn {turn.id}: {question[:60]}", on_done=_done)
    session.refresh(correction)
    return correction, job


def upload_document(session, filename: str, data: bytes, meta: dict) -> tuple[str, IndexJob]:
    from knowledge.ingest import ingest, slugify
    from werkzeug.utils import secure_filename

    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        hint = "旧版 Word（.doc）请先另存为 .docx。" if suffix == ".doc" else ""
        raise KnowledgeChangeError(f"只支持 {' '.join(UPLOAD_SUFFIXES)} 文件。{hint}")
    if not data:
        raise KnowledgeChangeError("文件是空的。")
    stem = secure_filename(Path(filename).stem) or slugify(meta.get("title", ""), "upload")
    doc_id = meta.get("doc_id") or f"{time.strftime('%Y%m%d')}-{stem}"[:120]
    if not DOC_ID.match(doc_id):
        raise KnowledgeChangeError("文档编号只能包含字母、数字、点、横线和下划线。")
    if (docs_dir() / f"{doc_id}.md").exists():
        raise KnowledgeChangeError(f"已有同名文档 {doc_id}，请先删除或换一个编号。")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{doc_id}{suffix}"
        path.write_bytes(data)
        [outcome] = ingest([path], docs_dir(), {**{k: v for k, v in meta.items() if v}, "doc_id": doc_id})
    if outcome.status == "refused":
        raise KnowledgeChangeError(f"文档未被接受：{refusal_message(outcome.detail)}")
    if outcome.status == "duplicate":
        raise KnowledgeChangeError(f"内容与已有文档 {outcome.doc_id} 相同。")
    return outcome.doc_id, start_reindex(session, "upload", f"{outcome.doc_id}: {outcome.detail}")


def refusal_message(detail: str) -> str:
    """Ingestion's reason for refusing a file, in the console's language; the original follows for support."""
    if detail.startswith("cannot cite it"):
        missing = [label for key, label in CITATION_LABELS.items() if re.search(rf"\b{key}\b", detail.split("(")[0])]
        return f"无法注明出处，文件中没有{'、'.join(missing) or '引用信息'}，请在表单中填写后再上传。"
    for marker, message in REFUSALS:
        if marker in detail:
            return f"{message}。（{detail}）"
    return detail


def remove_document(session, doc_id: str) -> IndexJob:
    path = docs_dir() / f"{doc_id}.md"
    if not DOC_ID.match(doc_id) or not path.is_file():
        raise KnowledgeChangeError("没有这篇文档。")
    path.unlink()
    for row in session.scalars(select(FaqCorrection).where(FaqCorrection.doc_id == doc_id)):
        row.active = False
    session.commit()
    return start_reindex(session, "remove", doc_id)
