"""Source documents: Markdown files with YAML front matter.

The front matter is what a citation shows (title, publisher, date, link), so a
document without it cannot be cited and is refused when it is loaded.
Policies also carry issuer, doc_number (文号) and their validity dates; a
policy past valid_until is never cited. FAQ documents (staff corrections) may
list extra `questions` they answer.

`scope` is the place a document applies to (knowledge/lexicon/places.yml): a
figure from 钱塘区's policy must never be given as the park's. `published` may
be empty for a page that shows no date: a citation then says the date is
unknown rather than showing a placeholder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from . import safe_yaml

CATEGORIES = ("release", "policy", "faq")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
REQUIRED = ("title", "publisher", "url", "category")
DATE_FIELDS = ("published", "valid_from", "valid_until")
_WS = re.compile(r"\s+")
# The calendar a policy's dates are written in. A server clock in UTC would keep citing a policy for the
# first eight hours of the day after it expired.
POLICY_ZONE = ZoneInfo("Asia/Shanghai")


def policy_today(now: datetime | None = None) -> date:
    """Today's date where the policies apply (POLICY_ZONE), whatever the server's own time zone."""
    return (now or datetime.now(POLICY_ZONE)).astimezone(POLICY_ZONE).date()


class DocumentError(ValueError):
    """A document that cannot be used, with the reason a person can act on."""


@dataclass
class Document:
    doc_id: str
    title: str
    publisher: str
    published: str
    url: str
    category: str
    text: str
    issuer: str = ""
    doc_number: str = ""
    valid_from: str = ""
    valid_until: str = ""
    scope: str = ""
    questions: list[str] = field(default_factory=list)
    # The id of the version that replaced this one (knowledge/versions.py): never cited while set.
    superseded_by: str = ""

    @property
    def content_hash(self) -> str:
        """Equal for the same text however it was laid out (whitespace, width)."""
        return content_hash(self.text)

    def meta(self) -> dict:
        data = asdict(self)
        data.pop("text")
        return data

    def expired(self, today: date | None = None) -> bool:
        """A policy past its valid_until date must never be cited."""
        if not self.valid_until:
            return False
        return date.fromisoformat(self.valid_until) < (today or policy_today())

    def to_markdown(self) -> str:
        # superseded_by is the instance's record (versions.json), not part of the document.
        meta = {
            k: v for k, v in self.meta().items() if (v or k == "published") and k not in ("doc_id", "superseded_by")
        }
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
        return f"---\n{front}\n---\n\n{self.text.strip()}\n"


def content_hash(text: str) -> str:
    folded = _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _as_str(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "").strip()


def parse_markdown(source: str, doc_id: str, overrides: dict | None = None) -> Document:
    """A Document from Markdown with front matter; `overrides` (the caller's metadata, such as the
    console form's 类别) win over the front matter and fill what it lacks, before it is checked."""
    match = _FRONT_MATTER.match(source)
    if not match:
        raise DocumentError(f"{doc_id}: no front matter (--- title/publisher/published/url/category ---)")
    try:
        meta = safe_yaml.load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{doc_id}: the front matter is not valid YAML ({exc})") from None
    except safe_yaml.AliasRefused as exc:
        raise DocumentError(f"{doc_id}: {exc}") from None
    if not isinstance(meta, dict):
        raise DocumentError(f"{doc_id}: the front matter must be key: value lines")
    meta = {**meta, **(overrides or {})}
    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        raise DocumentError(f"{doc_id}: front matter lacks {', '.join(missing)}")
    if "published" not in meta:  # an empty value says "the source shows no date"; a missing key is a slip
        raise DocumentError(f"{doc_id}: front matter lacks published (write published: '' if the source has no date)")
    if meta["category"] not in CATEGORIES:
        raise DocumentError(f"{doc_id}: category must be one of {', '.join(CATEGORIES)}")
    text = source[match.end() :].strip()
    if not text:
        raise DocumentError(f"{doc_id}: the document has no text")
    fields = {
        k: _as_str(meta.get(k)) for k in Document.__dataclass_fields__ if k not in ("doc_id", "text", "questions")
    }
    for key in DATE_FIELDS:
        if fields[key]:
            try:
                fields[key] = date.fromisoformat(fields[key]).isoformat()
            except ValueError:
                raise DocumentError(f"{doc_id}: {key} must be a date like 2024-03-12, not {fields[key]!r}") from None
    questions = meta.get("questions") or []
    questions = [str(q).strip() for q in ([questions] if isinstance(questions, str) else questions) if str(q).strip()]
    return Document(doc_id=doc_id, text=text, questions=questions, **fields)


def load_markdown(path: Path) -> Document:
    return parse_markdown(path.read_text("utf-8"), doc_id=path.stem)


def load_dir(docs_dir: Path) -> list[Document]:
    """Every Markdown document under docs_dir, in a stable order."""
    return [load_markdown(p) for p in sorted(docs_dir.glob("*.md"))]
