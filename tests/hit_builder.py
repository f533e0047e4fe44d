"""One way for tests to make a retrieved passage (knowledge.hits.Hit) without spelling out every field."""

from __future__ import annotations

from knowledge.hits import Hit


def hit(text: str = "园区位于机场西侧。", chunk_id: str = "doc#0", **fields) -> Hit:
    """A passage of one document; metadata blank unless given."""
    values = dict(
        chunk_id=chunk_id,
        doc_id=chunk_id.split("#")[0],
        title="",
        text=text,
        url="",
        published="",
        publisher="",
        category="news",
        score=1.0,
    )
    return Hit(**{**values, **fields})
