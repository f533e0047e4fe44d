"""What staff change in the knowledge base: corrections (as FAQ documents), uploads, removals.

Each change writes or deletes a Markdown document in the instance's data
directory (never the git tree, see knowledge/library.py) and queues a
re-index for the re-index worker (bot/reindex_jobs.py); the running
KnowledgeBase picks the new index up by itself once the build swaps it in.
Reading an uploaded file happens in a limited child process
(knowledge/isolated.py), so the web worker's memory stays flat.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..knowledge_access import settings as knowledge_settings
from ..models import FaqCorrection, IndexJob, StaffUser, Turn
from ..reindex_jobs import enqueue
from .refusals import refusal_message

DOC_ID = re.compile(r"^[\w.\-]{1,200}$")
# What the console accepts: every format the ingestion library reads (knowledge/readers.py).
UPLOAD_SUFFIXES = (".md", ".txt", ".html", ".htm", ".pdf", ".docx")
UPLOAD_ACCEPT = ",".join(UPLOAD_SUFFIXES)  # the file input's accept attribute
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
    shipped: bool = False  # ships with the project (knowledge/docs), not added by staff
    doc_number: str = ""
    superseded_by: str = ""  # a newer version replaced it (knowledge/versions.py): never cited


def staff_dir() -> Path:
    """Where staff documents are written: the data directory, never knowledge/docs."""
    return knowledge_settings().staff_docs_dir


def _paths() -> dict[str, Path]:
    from knowledge.library import document_paths

    return document_paths(knowledge_settings())


def list_documents() -> list[DocRow]:
    from knowledge.documents import DocumentError, load_markdown
    from knowledge.library import is_shipped
    from knowledge.versions import superseded

    rows = []
    settings = knowledge_settings()
    replaced = superseded(settings)
    for path in _paths().values():
        try:
            doc = load_markdown(path)
        except (DocumentError, ValueError, OSError) as exc:
            rows.append(DocRow(doc_id=path.stem, error=refusal_message(str(exc).removeprefix(f"{path.stem}: "))))
            continue
        try:
            expired = doc.expired()
        except ValueError:
            expired = False
        rows.append(
            DocRow(
                doc_id=doc.doc_id,
                title=doc.title,
                category=doc.category,
                publisher=doc.publisher,
                published=doc.published,
                url=doc.url,
                valid_from=doc.valid_from,
                valid_until=doc.valid_until,
                expired=expired,
                shipped=is_shipped(settings, path),
                doc_number=doc.doc_number,
                superseded_by=replaced.get(doc.doc_id, ""),
            )
        )
    return rows


def question_key(question: str) -> str:
    from knowledge.text import normalize

    return _NOT_WORD.sub("", normalize(unicodedata.normalize("NFKC", question)))[:200]


def _source_document(doc_id: str):
    from knowledge.documents import DocumentError, load_markdown

    path = _paths().get(doc_id)
    if not DOC_ID.match(doc_id) or path is None or not path.is_file():
        raise KnowledgeChangeError("请选择一篇来源文档。")
    try:
        return load_markdown(path)
    except DocumentError as exc:
        raise KnowledgeChangeError(
            f"来源文档无法读取：{refusal_message(str(exc).removeprefix(f'{doc_id}: '))}"
        ) from exc


def _ingest_markdown(markdown: str, doc_id: str) -> str:
    """Add one Markdown document through the knowledge package; returns its doc id."""
    from knowledge.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{doc_id}.md"
        path.write_text(markdown, "utf-8")
        [outcome] = ingest([path], staff_dir(), {"doc_id": doc_id}, (knowledge_settings().docs_dir,))
    if outcome.status == "refused":
        raise KnowledgeChangeError(f"文档未被接受：{refusal_message(outcome.detail)}")
    return outcome.doc_id


def save_correction(
    session, turn: Turn, question: str, answer: str, source_doc_id: str, staff: StaffUser
) -> tuple[FaqCorrection, IndexJob]:
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
    doc = Document(
        doc_id=doc_id,
        title=source.title,
        publisher=source.publisher,
        published=source.published,
        url=source.url,
        category="faq",
        text=f"{question}\n{answer}",
        issuer=source.issuer,
        doc_number=source.doc_number,
        valid_from=source.valid_from,
        valid_until=source.valid_until,
    )
    doc_id = _ingest_markdown(doc.to_markdown(), doc_id)

    key = question_key(question)
    for old in session.scalars(
        select(FaqCorrection).where(FaqCorrection.question_key == key, FaqCorrection.active.is_(True))
    ):
        # The newest correction of a question replaces the older ones.
        old.active = False
        if old.doc_id != doc_id:
            (staff_dir() / f"{old.doc_id}.md").unlink(missing_ok=True)
    correction = FaqCorrection(
        turn_id=turn.id,
        staff_id=staff.id,
        question=question,
        question_key=key,
        answer=answer,
        source_doc_id=source.doc_id,
        doc_id=doc_id,
        status="indexing",
    )
    session.add(correction)
    turn.corrected = True
    session.commit()
    # The re-index worker makes every correction saved before its build live (reindex_jobs._finish).
    job = enqueue(session, "correction", f"turn {turn.id}: {question[:60]}")
    session.refresh(correction)
    return correction, job


def upload_document(session, filename: str, data: bytes, meta: dict) -> tuple[str, IndexJob]:
    from knowledge import isolated
    from knowledge.documents import DocumentError
    from knowledge.ingest import ingest
    from knowledge.library import withdrawn
    from knowledge.naming import readable_id, unique_id

    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        hint = "旧版 Word（.doc）请先另存为 .docx。" if suffix == ".doc" else ""
        raise KnowledgeChangeError(f"只支持 {' '.join(UPLOAD_SUFFIXES)} 文件。{hint}")
    if not data:
        raise KnowledgeChangeError("文件是空的。")
    settings = knowledge_settings()
    taken = set(_paths()) | set(withdrawn(settings))
    if meta.get("doc_id"):  # asked for by name: a clash is the caller's to resolve
        doc_id = meta["doc_id"]
        if not DOC_ID.match(doc_id):
            raise KnowledgeChangeError("文档编号只能包含字母、数字、点、横线和下划线。")
        if doc_id in taken:
            raise KnowledgeChangeError(f"已有同名文档 {doc_id}，请先删除或换一个编号。")
    else:  # from the file name (a Chinese name as pinyin), never clashing with one already there
        # In the reading child: pypinyin's phrase dictionary would stay in the web worker (+55 MB).
        try:
            doc_id = unique_id(isolated.run(readable_id, Path(filename).stem, meta.get("title", "")), taken)
        except DocumentError as exc:  # the child could not run (time limit, memory): said like any refusal
            raise KnowledgeChangeError(f"文档未被接受：{refusal_message(str(exc))}") from exc
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        [outcome] = ingest(
            [path],
            settings.staff_docs_dir,
            {**{k: v for k, v in meta.items() if v}, "doc_id": doc_id},
            (settings.docs_dir,),
        )
    if outcome.status == "refused":
        raise KnowledgeChangeError(f"文档未被接受：{refusal_message(outcome.detail)}")
    if outcome.status == "duplicate":
        raise KnowledgeChangeError(f"内容与已有文档 {outcome.doc_id} 相同。")
    return outcome.doc_id, enqueue(session, "upload", f"{outcome.doc_id}: {outcome.detail}")


def remove_document(session, doc_id: str) -> tuple[IndexJob, dict]:
    """Take a document out of the knowledge base; returns the re-index job and what was removed
    (title, 文号, where the staff copy was archived) for the audit log's record."""
    import shutil
    import time

    from knowledge.library import set_withdrawn
    from knowledge.versions import forget

    settings = knowledge_settings()
    path = _paths().get(doc_id) if DOC_ID.match(doc_id) else None
    if path is None:
        raise KnowledgeChangeError("没有这篇文档。")
    removed = {"file": path.name}
    try:
        doc = _source_document(doc_id)
        removed.update(title=doc.title[:200], doc_number=doc.doc_number, published=doc.published)
    except KnowledgeChangeError:
        pass  # an unreadable document is still removed; the record says which file
    staff_copy = settings.staff_docs_dir / f"{doc_id}.md"
    if staff_copy.exists():
        # Kept, out of the index: what was removed can be read back from the record.
        archive = settings.data_dir / "removed" / f"{doc_id}-{time.strftime('%Y%m%dT%H%M%S')}.md"
        archive.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staff_copy), archive)
        removed["archived"] = str(archive.relative_to(settings.data_dir))
    forget(settings, doc_id)
    if (settings.docs_dir / f"{doc_id}.md").exists():
        set_withdrawn(settings, doc_id)  # a shipped document: recorded as withdrawn, the git tree untouched
    for row in session.scalars(select(FaqCorrection).where(FaqCorrection.doc_id == doc_id)):
        row.active = False
    session.commit()
    return enqueue(session, "remove", doc_id), removed
