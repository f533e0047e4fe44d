"""Cut documents into passages small enough to cite and large enough to mean something.

Chinese has no spaces, so passages are built from whole sentences: a passage
grows sentence by sentence to about 150–300 characters, and the next one
starts with the last sentence of the previous, so a fact that straddles the
cut is still found whole in one of them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .documents import Document
from .text import split_sentences

MIN_CHARS = 150
MAX_CHARS = 300


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    text: str


def _windows(sentences: list[str]) -> list[list[str]]:
    windows: list[list[str]] = []
    current: list[str] = []
    for sentence in sentences:
        size = sum(map(len, current))
        if current and size >= MIN_CHARS and size + len(sentence) > MAX_CHARS:
            windows.append(current)
            current = [current[-1]]  # one sentence of overlap
        current.append(sentence)
    if current and (not windows or current != windows[-1][-1:]):
        windows.append(current)
    return windows


def chunk_document(doc: Document) -> list[Chunk]:
    return [
        Chunk(chunk_id=f"{doc.doc_id}#{i}", doc_id=doc.doc_id, title=doc.title, text="".join(window))
        for i, window in enumerate(_windows(split_sentences(doc.text)))
    ]
