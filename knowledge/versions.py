"""Versions of a policy: a re-issued or amended one supersedes the old, which is never cited again.

"An agent citing a policy that was superseded is worse than no knowledge
base." Two documents are versions of one policy when they carry the same 文号,
or the same title (amendment marks such as （修订） aside) and the same issuer.
The newer one (by date; a document being added counts as newer than one of
the same date) is current; the others get `superseded_by` and retrieval skips
them (knowledge/retrieve.py), as it skips an expired policy.

Which version supersedes which is instance data, kept in `versions.json` in
the data directory (like withdrawn.json, knowledge/library.py): a shipped
document in the git tree can be superseded without editing it, and restoring
an old version is a change to that file only. Every document stays on disk,
so the console can show a policy's history and bring an old version back.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from .config import Settings
from .documents import Document

VERSIONS = "versions.json"
_AMENDED = re.compile(
    r"[（(](?:\d{4}年)?(?:修订|修正|修改|第[一二三四五六七八九十\d]+次修订)(?:版|稿)?[）)]|修订版$|（试行）|\(试行\)"
)
_SPACE = re.compile(r"\s+")


@dataclass
class Version:
    doc_id: str
    title: str
    doc_number: str
    published: str
    superseded_by: str  # "" for the current version
    since: str = ""  # when it was superseded (or restored)


def _read(settings: Settings) -> dict:
    try:
        data = json.loads((settings.data_dir / VERSIONS).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(settings: Settings, data: dict) -> None:
    from .library import _write_json

    _write_json(settings.data_dir / VERSIONS, data)


def superseded(settings: Settings) -> dict[str, str]:
    """Superseded document id -> the id of the version that replaced it."""
    return {old: entry["by"] for old, entry in _read(settings).items() if isinstance(entry, dict) and entry.get("by")}


def _title_key(title: str) -> str:
    from .text import normalize

    return _SPACE.sub("", _AMENDED.sub("", normalize(title)))


def same_policy(a: Document, b: Document) -> bool:
    """Versions of one policy: the same 文号, or the same title and the same issuer."""
    if a.doc_id == b.doc_id or "faq" in (a.category, b.category):
        return False
    if a.doc_number and a.doc_number == b.doc_number:
        return True
    issuer_a, issuer_b = a.issuer or a.publisher, b.issuer or b.publisher
    return bool(issuer_a) and issuer_a == issuer_b and _title_key(a.title) == _title_key(b.title)


def _date(doc: Document) -> str:
    return doc.valid_from or doc.published or ""


def family(doc: Document, docs: list[Document]) -> list[Document]:
    """Every version of doc's policy among docs (doc included), oldest first."""
    members, frontier = {doc.doc_id: doc}, [doc]
    while frontier:  # versions of versions: 2019 -> 2022 by 文号, 2022 -> 2025 by title
        current = frontier.pop()
        for other in docs:
            if other.doc_id not in members and same_policy(current, other):
                members[other.doc_id] = other
                frontier.append(other)
    return sorted(members.values(), key=lambda d: (_date(d), d.doc_id))


def supersede(settings: Settings, new: Document, docs: list[Document]) -> list[str]:
    """Record that `new` supersedes the older versions of its policy; returns their ids.

    An older document (by date) never supersedes a newer one: uploading the 2019
    version after the 2025 one files the 2019 one as superseded instead.
    """
    data = _read(settings)
    versions = family(new, docs)
    dated = [d for d in versions if _date(d)]
    current = new
    if _date(new) and dated and max(_date(d) for d in dated) > _date(new):
        current = max(dated, key=_date)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    replaced = []
    for doc in versions:
        if doc.doc_id == current.doc_id:
            data.pop(doc.doc_id, None)
        elif data.get(doc.doc_id, {}).get("by") != current.doc_id:
            data[doc.doc_id] = {"by": current.doc_id, "since": stamp}
            replaced.append(doc.doc_id)
    _write(settings, data)
    return replaced


def restore(settings: Settings, doc_id: str, docs: list[Document]) -> list[str]:
    """Make an old version current again; the others of its policy are superseded by it."""
    target = next((d for d in docs if d.doc_id == doc_id), None)
    if target is None:
        raise KeyError(doc_id)
    data = _read(settings)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    data.pop(doc_id, None)
    others = [d.doc_id for d in family(target, docs) if d.doc_id != doc_id]
    for other in others:
        data[other] = {"by": doc_id, "since": stamp, "restored": True}
    _write(settings, data)
    return others


def forget(settings: Settings, doc_id: str) -> None:
    """A removed document: no longer a version of anything; the versions it superseded come back only by restore."""
    data = _read(settings)
    data.pop(doc_id, None)
    _write(settings, data)


def history(settings: Settings, doc_id: str, docs: list[Document]) -> list[Version]:
    """The versions of doc_id's policy, oldest first, each with what superseded it."""
    target = next((d for d in docs if d.doc_id == doc_id), None)
    if target is None:
        return []
    data = _read(settings)
    return [
        Version(
            doc_id=d.doc_id,
            title=d.title,
            doc_number=d.doc_number,
            published=d.published,
            superseded_by=data.get(d.doc_id, {}).get("by", ""),
            since=data.get(d.doc_id, {}).get("since", ""),
        )
        for d in family(target, docs)
    ]
