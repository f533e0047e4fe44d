"""Compose the bot's reply from retrieved passages: source sentences only.

The reply is extractive on purpose. Every character the user reads is a
character of a cited document, so the bot cannot state a figure, phone number
or policy detail that is not in its knowledge. The one exception is a curated
FAQ entry, which staff wrote to restate its source (a test checks every
figure and name against it): when it is the best match, it is the answer, as
written, in the question's language.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .retrieve import Concept, Hit, _unit
from .text import split_sentences

_CLAUSE_END = re.compile(r"[,，、；;:：]")
SNIPPET_CHARS = 120


@dataclass
class Source:
    title: str
    publisher: str
    published: str
    url: str
    snippet: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    text: str
    sources: list[Source]
    confidence: float
    abstained: bool
    hits: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "sources": [s.to_dict() for s in self.sources],
            "confidence": round(self.confidence, 4),
            "abstained": self.abstained,
            "hits": [h.to_dict() for h in self.hits],
        }


def _fit(sentence: str, limit: int) -> str:
    """Shorten a long sentence at a clause boundary, never mid-word."""
    if len(sentence) <= limit:
        return sentence
    cut = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, limit)), default=0)
    return (sentence[: cut - 1] if cut > limit // 3 else sentence[: limit - 1]) + "…"


def _score(sentence: str, found: list[Concept]) -> float:
    unit = _unit(sentence)
    return sum(c.weight for c in found if unit.covers(c))


def _position(hit: Hit) -> int:
    return int(hit.chunk_id.rsplit("#", 1)[-1]) if "#" in hit.chunk_id else 0


def compose(hits: list[Hit], found: list[Concept], max_chars: int) -> tuple[str, list[Source]]:
    """The sentences of the best document's top passages that carry the question's concepts.

    Sentences scoring at least half the best one are taken best-first until
    the budget is spent, then shown in document order so the reply reads like
    the source. Only the best document is used, so one citation covers it all.
    """
    best = hits[0]
    if best.category == "faq":
        return best.text, [_source(best, best.text)]
    candidates: dict[str, tuple[tuple[int, int], float]] = {}
    for hit in hits[:3]:
        if hit.doc_id != best.doc_id or hit.category == "faq":
            continue  # only the document's own sentences
        for i, sentence in enumerate(split_sentences(hit.text)):
            if sentence not in candidates:
                candidates[sentence] = ((_position(hit), i), _score(sentence, found))
    top = max(score for _, score in candidates.values())
    chosen: list[tuple[tuple[int, int], str]] = []
    used = 0
    for sentence, (position, score) in sorted(candidates.items(), key=lambda kv: -kv[1][1]):
        if chosen and score < top / 2:
            break
        piece = sentence if chosen else _fit(sentence, max_chars)
        if used + len(piece) <= max_chars:
            chosen.append((position, piece))
            used += len(piece)
    text = "".join(piece for _, piece in sorted(chosen))
    return text, [_source(best, text)]


def _source(hit: Hit, text: str) -> Source:
    return Source(title=hit.title, publisher=hit.publisher, published=hit.published, url=hit.url,
                  snippet=_fit(text, SNIPPET_CHARS))
