"""A retrieved passage and what retrieval measured of it: the one record the
decision (knowledge/decide.py), the answer (knowledge/answer.py) and every
caller read, kept apart from the retriever that makes it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    chunk_id: str
    doc_id: str
    title: str
    text: str
    url: str
    published: str
    publisher: str
    category: str
    score: float  # fused RRF score
    bm25: float = 0.0
    dense: float = 0.0
    confidence: float = 0.0  # share of the question's concepts this passage covers
    covered: list[str] = field(default_factory=list)
    scope: str = ""
    heading: str = ""
    typed: bool = False  # a sentence states the answer type asked for, next to the main concept
    phrase: int = 0  # longest run of the question found verbatim
    sentence: float = 0.0  # share of the question one sentence covers (with the title and heading)
    best_unit: str = ""  # the text of the place that covers the most
    glossed: float = 0.0  # English question: the share of it this place's words read back (read_back)
    evidence: tuple = ()  # that place's sentences: what the answer is made of
    asks: tuple = ()  # a curated entry: the answer types its question variants ask for (staff answered those)

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}
