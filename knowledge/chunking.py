"""Cut documents into passages small enough to cite and large enough to mean something.

Chinese has no spaces, so passages are built from whole pieces (sentences,
headings, table rows; knowledge/structure.py): a passage grows piece by piece
to about 150–300 characters, and the next one starts with the last piece of
the previous, so a fact that straddles the cut is still found whole in one of
them. Each passage carries the heading path of its first piece.
"""

from __future__ import annotations

from dataclasses import dataclass

from .documents import Document
from .structure import Piece, join, pieces

MIN_CHARS = 150
MAX_CHARS = 300


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    text: str
    heading: str = ""


def _windows(items: list[Piece]) -> list[list[Piece]]:
    windows: list[list[Piece]] = []
    current: list[Piece] = []
    for piece in items:
        size = sum(len(p.text) for p in current)
        if current and size >= MIN_CHARS and size + len(piece.text) > MAX_CHARS:
            windows.append(current)
            current = [current[-1]]  # one piece of overlap
        current.append(piece)
    if current and (not windows or current != windows[-1][-1:]):
        windows.append(current)
    return windows


def chunk_document(doc: Document) -> list[Chunk]:
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{i}",
            doc_id=doc.doc_id,
            title=doc.title,
            text=join([p.text for p in window], frozenset(j for j, p in enumerate(window) if p.is_heading)),
            heading=window[0].heading,
        )
        for i, window in enumerate(_windows(pieces(doc.text, doc.title)))
    ]
