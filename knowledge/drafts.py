"""An uploaded file as staff review it before it goes live: text, proposed metadata, passages.

The console shows, per file, what the text states about itself (with the
words it was read from) and the passages it will be cut into, so staff
confirm or correct before publishing (knowledge/metadata.py reads the
metadata, knowledge/chunking.py cuts the passages the index will hold).

The metadata is read from the whole file as saved (a saved page's dateline
and 来源 line included: they tell a repost from the original), the passages
from the text ingestion keeps. A file's own properties give at most a title:
a PDF's or Word file's creation date is the file's, never the document's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import garble
from .chunking import chunk_document
from .documents import Document, DocumentError
from .metadata import LABELS, LABELS_EN, propose
from .read_limits import check_chars
from .readers import READERS, SUFFIXES
from .scope import Places

PREVIEW_PASSAGES = 60  # shown per file; the rest are counted


@dataclass
class Draft:
    filename: str
    meta: dict = field(default_factory=dict)  # proposed values by Document field name ('' = unknown)
    evidence: dict = field(default_factory=dict)  # field -> {"evidence", "how"}
    asks: list = field(default_factory=list)  # fields the text does not state: staff must supply them
    dateline: dict = field(default_factory=dict)  # a repost's date, shown so staff see why it was not used
    passages: list = field(default_factory=list)  # [{"heading", "text"}]
    passage_count: int = 0
    text: str = ""  # what will be indexed
    error: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _texts(path: Path, raw: bytes) -> tuple[str, str, dict]:
    """(text read for metadata, text to index, what the file states)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"unsupported file type {suffix or '(none)'}; use one of {' '.join(SUFFIXES)}")
    if not raw:
        raise DocumentError("the file is empty")
    if suffix == ".md" and raw.lstrip().startswith(b"---"):
        return _front_matter(raw)
    text, found = READERS[suffix](path, raw)
    check_chars(text)
    if suffix in (".txt", ".text", ".md"):
        whole = raw.decode("utf-8-sig")  # decodable: the reader has read it
        check_chars(whole)
        return garble.repair(whole), garble.repair(text), found
    text = garble.repair(text)
    return text, text, found


def _front_matter(raw: bytes) -> tuple[str, str, dict]:
    """A Markdown document with front matter: what it states there is stated, the rest is the text."""
    import yaml

    from . import safe_yaml
    from .documents import _FRONT_MATTER, _as_str

    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text ({exc.reason})") from exc
    check_chars(source)
    match = _FRONT_MATTER.match(source)
    if not match:
        raise DocumentError("the front matter has no closing ---")
    try:
        stated = safe_yaml.load(match.group(1)) or {}
    except (yaml.YAMLError, safe_yaml.AliasRefused) as exc:
        raise DocumentError(f"the front matter is not valid YAML ({exc})") from None
    if not isinstance(stated, dict):
        raise DocumentError("the front matter must be key: value lines")
    body = garble.repair(source[match.end() :].strip())
    return body, body, {"front_matter": {k: _as_str(v) for k, v in stated.items() if k in FRONT_FIELDS}}


FRONT_FIELDS = (
    "title",
    "publisher",
    "published",
    "url",
    "category",
    "issuer",
    "doc_number",
    "valid_from",
    "valid_until",
    "scope",
)


def make_draft(path: Path, places: Places | None = None, category: str = "policy", filename: str = "") -> Draft:
    """The draft of one file; a file that cannot be used comes back with `error` set (in Chinese and English)."""
    path = Path(path)
    draft = Draft(filename=filename or path.name)
    try:
        source, text, found = _texts(path, path.read_bytes())
    except garble.Garbled as exc:
        draft.error = str(exc)
        return draft
    except DocumentError as exc:
        draft.error = str(exc)
        return draft
    if not text.strip():
        draft.error = "文件中没有文字 / no text in the file"
        return draft
    stated = found.get("title", "") if path.suffix.lower() in (".html", ".htm", ".pdf", ".docx") else ""
    proposal = propose(source, places, stated_title=stated)
    draft.meta = {
        **proposal.as_meta(),
        "signed": proposal.value("signed"),
        "publisher": proposal.value("issuer"),
        "url": found.get("url", ""),
    }
    draft.meta["category"] = category if category else ("policy" if proposal.official else "release")
    draft.evidence = {
        k: {"evidence": f.evidence, "how": f.how, "label": LABELS[k], "label_en": LABELS_EN[k]}
        for k, f in proposal.found.items()
    }
    for key, value in found.get("front_matter", {}).items():  # stated by the file: wins over what was read
        if value:
            draft.meta[key] = value
            draft.evidence[key] = {
                "evidence": f"{key}: {value}",
                "how": "文件前置元数据",
                "label": LABELS.get(key, key),
                "label_en": LABELS_EN.get(key, key),
            }
    draft.asks = [k for k in proposal.asks(draft.meta["category"]) if not draft.meta.get(k)]
    if proposal.dateline:
        draft.dateline = {
            "value": proposal.dateline.value,
            "evidence": proposal.dateline.evidence,
            "how": proposal.dateline.how,
        }
    body = text
    title = draft.meta["title"]
    if title and body.lstrip().startswith(title):
        body = body.lstrip()[len(title) :].lstrip()  # the title is the citation's, not a passage
    chunks = chunk_document(
        Document(
            doc_id="draft",
            title=title,
            publisher="",
            published="",
            url="",
            category=draft.meta["category"],
            text=body or text,
        )
    )
    draft.passage_count = len(chunks)
    draft.passages = [{"heading": c.heading, "text": c.text} for c in chunks[:PREVIEW_PASSAGES]]
    draft.text = body or text
    return draft


def draft_file(path: Path, lexicon_dir: Path, category: str, filename: str) -> Draft:
    """make_draft with the places loaded here: run in the reading child (knowledge/isolated.py), so
    the web worker never loads the lexicon or a file's parser."""
    from .scope import places_for

    return make_draft(path, places_for(Path(lexicon_dir)), category, filename)


def propose_manifest(paths: list[Path], lexicon_dir: Path, category: str = "") -> tuple[list[dict], list[str]]:
    """Manifest rows (knowledge/ingest.py) proposed from each file's text, for staff to review before
    `ingest --manifest`; unknown values stay empty (a date left empty must be confirmed as unknown by
    writing `published: ''`, or filled in). Returns (rows, notes) where notes say what to check."""
    from . import isolated

    rows, notes = [], []
    for path in map(Path, paths):
        try:
            draft = isolated.run(draft_file, path, lexicon_dir, category, path.name)
        except DocumentError as exc:
            draft = Draft(filename=path.name, error=str(exc))
        if draft.error:
            notes.append(f"{path}: refused: {draft.error}")
            continue
        # Unknown values are left out, not written empty: `published: ''` would say "the source shows no
        # date", which only staff may say.
        meta = {k: v for k, v in draft.meta.items() if v and k != "signed"}
        rows.append({"path": str(path), **meta})
        for name in draft.asks + [k for k in ("url",) if not meta.get(k)]:
            hint = " (or published: '' if the source shows no date)" if name == "published" else ""
            notes.append(f"{path}: fill in {name}, the text does not state it{hint}")
        if draft.dateline:
            notes.append(f"{path}: the page's date {draft.dateline['value']} is a repost's, not the document's")
    return rows, notes
