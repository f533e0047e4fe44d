"""Curated question-and-answer pairs that restate a source document.

Entries live in knowledge/faq/*.yml:

    - id: location
      source: 2024-03-12-lingkong-biomedicine-park-opens   # doc_id it restates
      questions:
        zh: [园区在哪里？, ...]
        en: [Where is the park?, ...]
      answer:
        zh: 杭州生物科技谷位于杭州临空经济示范区机场西侧……
        en: Hangzhou Biotech Valley (杭州生物科技谷) lies west of ...

Each entry becomes one passage of category faq, cited with its source
document's title, publisher, date and link, and inheriting its validity: an
FAQ on an expired policy expires with it. Its question variants are searched
along with the answer, which is how the colloquial and English ways of
asking meet the formal wording of a press release. A confident match is
answered with the curated text as written, in the question's language.

Staff corrections arrive differently, as Markdown documents of category faq
(front matter, then the question on the first line and the answer below),
and are indexed the same way: see `split_faq_document`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .documents import Document, DocumentError

# Curated YAML entries are indexed under ids with this prefix; staff
# corrections are FAQ documents with ordinary "doc#n" chunk ids.
CURATED_ID_PREFIX = "faq:"


def is_curated(chunk_id: str) -> bool:
    return chunk_id.startswith(CURATED_ID_PREFIX)


log = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
_QUESTION_END = re.compile(r"[？?]\s*$")


@dataclass
class FaqEntry:
    faq_id: str
    source: str
    questions: dict[str, list[str]]
    answer: dict[str, str]
    origin: str = ""  # file it came from, for error messages
    extra_questions: list[str] = field(default_factory=list)

    def all_questions(self) -> list[str]:
        return [q for lang in LANGUAGES for q in self.questions.get(lang, [])] + self.extra_questions


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    return [str(v).strip() for v in value if str(v).strip()]


def parse_entries(data, origin: str) -> list[FaqEntry]:
    entries = []
    for i, raw in enumerate(data or []):
        where = f"{origin} entry {i + 1}"
        if not isinstance(raw, dict):
            raise DocumentError(f"{where}: not a mapping")
        missing = [k for k in ("id", "source", "questions", "answer") if not raw.get(k)]
        if missing:
            raise DocumentError(f"{where}: lacks {', '.join(missing)}")
        questions = raw["questions"] if isinstance(raw["questions"], dict) else {"zh": raw["questions"]}
        answer = raw["answer"] if isinstance(raw["answer"], dict) else {"zh": raw["answer"]}
        questions = {lang: _as_list(questions.get(lang)) for lang in LANGUAGES}
        answer = {lang: str(answer.get(lang) or "").strip() for lang in LANGUAGES}
        if not answer["zh"] and not answer["en"]:
            raise DocumentError(f"{where} ({raw['id']}): empty answer")
        for lang in LANGUAGES:
            if questions[lang] and not answer[lang]:
                raise DocumentError(f"{where} ({raw['id']}): {lang} questions but no {lang} answer")
        entries.append(
            FaqEntry(
                faq_id=str(raw["id"]), source=str(raw["source"]), questions=questions, answer=answer, origin=origin
            )
        )
    return entries


def load_faq(faq_dir: Path) -> list[FaqEntry]:
    """Every entry under faq_dir, in a stable order; duplicate ids are an error."""
    entries: list[FaqEntry] = []
    if not faq_dir or not Path(faq_dir).is_dir():
        return entries
    for path in sorted(Path(faq_dir).glob("*.yml")):
        entries.extend(parse_entries(yaml.safe_load(path.read_text("utf-8")), path.name))
    seen: set[str] = set()
    for entry in entries:
        if entry.faq_id in seen:
            raise DocumentError(f"{entry.origin}: FAQ id {entry.faq_id!r} is used twice")
        seen.add(entry.faq_id)
    return entries


def faq_hash(entries: list[FaqEntry]) -> str:
    payload = [(e.faq_id, e.source, e.questions, e.answer) for e in entries]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def split_faq_document(doc: Document) -> tuple[list[str], str]:
    """A staff FAQ document's questions and answer.

    The console writes the question on the first line (ending in ？) and the
    answer below it; front matter may also list more question variants.
    """
    lines = [line.strip() for line in doc.text.strip().splitlines() if line.strip()]
    questions = list(doc.questions)
    if len(lines) > 1 and _QUESTION_END.search(lines[0]):
        questions.insert(0, lines[0])
        lines = lines[1:]
    return questions, "\n".join(lines)


def rows(entries: list[FaqEntry], docs: list[Document]) -> list[dict]:
    """Index rows for the entries whose source document is present.

    An entry whose source is gone is left out (with a warning) rather than
    failing the build: staff may remove a document before anyone edits the
    FAQ, and an answer without its source must not be cited.
    """
    by_id = {d.doc_id: d for d in docs}
    out = []
    for entry in entries:
        source = by_id.get(entry.source)
        if source is None:
            log.warning("FAQ %s skipped: source document %s is not in the knowledge base", entry.faq_id, entry.source)
            continue
        meta = {k: v for k, v in source.meta().items() if k != "doc_id"}
        out.append(
            {
                **meta,
                "chunk_id": f"{CURATED_ID_PREFIX}{entry.faq_id}",
                "doc_id": source.doc_id,
                "category": "faq",
                "text": entry.answer["zh"] or entry.answer["en"],
                "text_en": entry.answer["en"],
                "questions": entry.all_questions(),
            }
        )
    return out


def document_rows(doc: Document) -> list[dict]:
    """The single index row of a staff FAQ document (category faq)."""
    questions, answer = split_faq_document(doc)
    meta = {k: v for k, v in doc.meta().items() if k not in ("doc_id", "questions")}
    return [
        {
            **meta,
            "chunk_id": f"{doc.doc_id}#0",
            "doc_id": doc.doc_id,
            "category": "faq",
            "text": answer,
            "text_en": "",
            "questions": questions,
        }
    ]
