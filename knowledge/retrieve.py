"""Hybrid retrieval: BM25 over jieba tokens and dense vectors, fused by RRF,
then re-ranked by how much of the question one place of a passage covers.

Ranking alone always returns *something*; whether the best passage really
answers is decided afterwards (knowledge/decide.py) from the signals this
module measures for it:

- coverage: the share of the question's concepts, weighted by rarity (IDF),
  that one place of the passage contains (knowledge/units.py);
- a concept that no document mentions weighs the most, so a question about
  something absent (租金, 食堂) cannot be "mostly covered" — unless the
  thesaurus says the word only frames the question (关系, 安排);
- a question that asks for a date, amount, count or phone number is fully
  covered only where a sentence states one next to the main concept;
- scope: only documents that apply to the place asked about are candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from . import answer_types
from .documents import policy_today
from .faq import is_curated
from .hits import Hit
from .doc_numbers import DocNumbers
from .concepts import QuestionReader
from .lexicon_data import Speller, Synonyms, build_synonyms
from .query import Query
from .scope import Places
from .text import HAN_RUN, Tokenizer, latin_words
from .thesaurus import Thesaurus
from .thesaurus import EMPTY as NO_THESAURUS
from .translate import Translator
from .units import INNER_PUNCT, WINDOW_SENTENCES, make_unit, match_text, units_of

if TYPE_CHECKING:
    from .index import LoadedIndex

TYPE_PENALTY = 0.5  # a place that lacks the figure or date asked for covers at most half


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, idx in enumerate(ranking):
            fused[idx] = fused.get(idx, 0.0) + 1.0 / (k + rank + 1)
    return fused


@dataclass(frozen=True)
class Parts:
    """The optional parts of retrieval, switchable for the ablation."""

    thesaurus: bool = True
    scope: bool = True
    answer_types: bool = True
    translation: bool = True


class Retriever:
    def __init__(
        self,
        index: LoadedIndex,
        tokenizer: Tokenizer,
        synonyms: Synonyms,
        encoder,
        rrf_k: int = 60,
        speller: Speller | None = None,
        window: int = WINDOW_SENTENCES,
        thesaurus: Thesaurus = NO_THESAURUS,
        places: Places | None = None,
        parts: Parts = Parts(),
    ):
        self.index = index
        self.tokenizer = tokenizer
        self.places = places or Places([])
        # The park lexicon, then the places (one table, so the longest term still wins).
        table = {canonical: list(forms) for canonical, forms in synonyms.groups}
        for name, aliases in self.places.glossary().items():
            table.setdefault(name, []).extend(aliases)
        self.synonyms = build_synonyms(table)
        self._vocabulary = frozenset(w for w in index.bm25.vocab_dict if w and not w.isascii())
        if speller is not None:
            # The question's own frame words (时候, 哪里) are restored too, so 什么时侯 still asks for a date.
            frame_words = {w for w in tokenizer.stopwords if len(w) >= 2}
            corpus_words = frozenset(
                w for w in self._vocabulary | frame_words if 2 <= len(w) <= 6 and HAN_RUN.fullmatch(w)
            )
            speller = speller.with_corpus(corpus_words)
        self.encoder = encoder
        self.rrf_k = rrf_k
        self.window = window
        self.parts = parts
        self._units = [units_of(r, window) for r in index.rows]
        self._whole = [make_unit(match_text(r)) for r in index.rows]
        self._titles = [make_unit(f"{r['title']}\n{r.get('heading', '')}") for r in index.rows]
        self._row_of = {r["chunk_id"]: i for i, r in enumerate(index.rows)}
        self._doc_numbers = DocNumbers(index.rows)
        # What a question asks, in this corpus's words and weights (knowledge/concepts.py).
        self.reader = QuestionReader(
            self._whole,
            self._vocabulary,
            tokenizer,
            self.synonyms,
            speller,
            thesaurus,
            self.places,
            self._doc_numbers,
            parts,
        )

    @property
    def translator(self) -> Translator:
        return self.reader.translator

    def analyze(self, question: str) -> Query:
        """The question's concepts, weighted by how rare they are in this corpus (knowledge/concepts.py)."""
        return self.reader.analyze(question)

    def coverage(self, query: Query, idx: int, lang: str = "") -> tuple[float, list[str], bool, float, object]:
        """The best share of the concepts' weight that one place of row idx covers,
        the concepts it covers, whether it states the answer type asked for, the
        share its best single sentence covers, and the place's text.

        When the question asks for a figure or a date, a place that does not
        state one next to the main concept it covers is worth at most half.
        """
        terms = query.terms
        wanted = query.wants
        total = sum(c.weight for c in terms)
        if not total:
            return 0.0, [], False, 0.0, None
        best, best_terms, best_typed, best_unit, best_own = -1.0, [], False, None, -1.0
        for unit in self._units[idx]:
            if lang and unit.lang and unit.lang != lang:
                continue  # a Chinese question is answered by the Chinese side of an FAQ entry
            covered = [c for c in terms if unit.covers(c)]
            share = sum(c.weight for c in covered) / total
            typed = bool(wanted) and unit.answers_type(wanted, covered, query.focus, query.named)
            if wanted and not typed:
                share *= TYPE_PENALTY
            if any(answer_types.NAMES_A_NUMBER.search(c.term) and c not in covered for c in terms):
                share *= TYPE_PENALTY  # 2023年's figure is not 2024年's: a number asked about must be there
            # Every window of a section shares its title and heading: among equals, the window whose
            # own sentences say more of the question is the one that answers it.
            if share < best:
                continue
            own = sum(c.weight for c in covered if any(part.covers(c) for part in unit.parts)) if unit.parts else 0.0
            if share > best or own > best_own:
                best, best_terms, best_typed, best_unit, best_own = share, [c.term for c in covered], typed, unit, own
        sentence = 0.0
        if best_unit is not None:
            title = best_unit.context or self._titles[idx]
            for part in best_unit.parts or [best_unit]:
                sentence = max(sentence, sum(c.weight for c in terms if part.covers(c) or title.covers(c)) / total)
        return max(best, 0.0), best_terms, best_typed, sentence, best_unit

    def _phrase(self, text: str, idx: int) -> int:
        """Length of the longest run of the question found verbatim in the passage
        (characters of Chinese, words of English)."""
        body = self._whole[idx].compact
        best = 0
        words = latin_words(text)
        for i in range(len(words)):
            n = best + 1
            while i + n <= len(words) and (" " + " ".join(words[i : i + n]) + " ") in self._whole[idx].latin:
                best = n
                n += 1
        for run in re.findall(r"[\u4e00-\u9fff]{2,}", INNER_PUNCT.sub("", text)):
            for i in range(len(run)):
                n = best + 1
                while i + n <= len(run) and run[i : i + n] in body:
                    best = n
                    n += 1
        return best

    # --- the two retrievers -------------------------------------------------
    def _bm25_ranking(self, query: Query, depth: int) -> tuple[list[int], np.ndarray]:
        tokens = self.tokenizer.tokens(query.text)
        for concept in query.concepts:
            for form in concept.forms:
                tokens.extend(self.tokenizer.term_tokens(form))
        ids = self.index.bm25.get_tokens_ids(tokens)
        n = len(self.index.rows)
        if not ids:
            return [], np.zeros(n, dtype=np.float32)
        scores = np.asarray(self.index.bm25.get_scores_from_ids(ids), dtype=np.float32)
        top = np.argpartition(-scores, depth)[:depth] if len(scores) > depth else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [int(i) for i in top if scores[i] > 0], scores

    def _dense_ranking(self, question: str, depth: int) -> tuple[list[int], dict[int, float]]:
        vector = self.encoder.encode_query(question)
        scores, ids = self.index.vectors.search(vector, min(depth, len(self.index.rows)))
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return [i for i, _ in pairs], dict(pairs)

    def search(
        self,
        question: str,
        top_k: int = 5,
        mode: str = "hybrid",
        today: date | None = None,
        rerank: bool = True,
        query: Query | None = None,
    ) -> list[Hit]:
        """Best passages first, from documents that apply to the place asked about.
        mode is hybrid, bm25 or dense (for the ablation); rerank=False keeps the
        retrievers' own order (also for the ablation)."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"mode must be hybrid, bm25 or dense, not {mode!r}")
        query = query or self.analyze(question)
        depth = max(top_k * 4, 20)
        bm25_rank, bm25_scores = self._bm25_ranking(query, depth) if mode != "dense" else ([], None)
        # In hybrid mode the model is asked only about what it can read (Encoder.reads); dense mode
        # (the ablation) always asks it.
        dense = mode == "dense" or (mode == "hybrid" and self.encoder.reads(question))
        dense_rank, dense_scores = self._dense_ranking(question, depth) if dense else ([], {})
        fused = rrf([r for r in (bm25_rank, dense_rank) if r], self.rrf_k)
        today = today or policy_today()
        about_document = answer_types.about_document(query.text)
        named_docs = query.documents  # a 文号 the question gives names its document
        for idx in self._doc_numbers.rows(named_docs):
            fused.setdefault(idx, 0.0)  # read whole, however retrieval ranked its passages

        hits: list[Hit] = []
        for idx, score in fused.items():
            row = self.index.rows[idx]
            if row.get("valid_until") and date.fromisoformat(row["valid_until"]) < today:
                continue  # an expired policy is never cited
            if row.get("superseded_by"):
                continue  # nor is a version a re-issued or amended policy replaced (knowledge/versions.py)
            if query.allowed and not self.places.applies(row.get("scope", ""), query.allowed):
                continue  # another place's document never answers for this one
            if named_docs and row["doc_id"] not in named_docs:
                continue
            if row.get("card") and not about_document:
                continue  # a document's record answers questions about the document only
            confidence, covered, typed, sentence, unit = self.coverage(query, idx, "en" if query.english else "zh")
            text = row.get("text_en") if query.english and row.get("text_en") else row["text"]
            hits.append(
                Hit(
                    chunk_id=row["chunk_id"],
                    doc_id=row["doc_id"],
                    title=row["title"],
                    text=text,
                    url=row["url"],
                    published=row["published"],
                    publisher=row["publisher"],
                    category=row["category"],
                    score=score,
                    bm25=float(bm25_scores[idx]) if bm25_scores is not None else 0.0,
                    dense=dense_scores.get(idx, 0.0),
                    confidence=confidence,
                    covered=covered,
                    scope=row.get("scope", ""),
                    heading=row.get("heading", ""),
                    typed=typed,
                    sentence=sentence,
                    best_unit=unit.text if unit is not None else "",
                    evidence=unit.sentences if unit is not None else (),
                    asks=tuple(sorted(unit.asks)) if unit is not None else (),
                )
            )
        if rerank:
            # Fusion orders candidates; coverage re-ranks them so the passage that
            # answers more of the question comes first. Among equals: curated FAQ
            # entries (staff wrote them to be the answer), staff corrections over
            # curated YAML (a person fixed this exact answer), then the passage
            # that repeats the longest piece of the question verbatim.
            best = max((round(h.confidence, 6) for h in hits), default=0.0)
            for h in hits:
                if round(h.confidence, 6) == best:
                    h.phrase = self._phrase(query.text, self._row_of[h.chunk_id])
            hits.sort(
                key=lambda h: (
                    round(h.confidence, 6),
                    h.category == "faq",
                    not is_curated(h.chunk_id),
                    h.phrase,
                    h.score,
                ),
                reverse=True,
            )
        else:
            hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:top_k]

    def adjacent(self, hit: Hit) -> list[tuple[int, str]]:
        """The passages just before and after the hit's in its document, as (position, text): the
        context an answer may be read in (answer.extract)."""
        doc, _, tail = hit.chunk_id.rpartition("#")
        if not tail.isdigit():
            return []  # a document's card or a curated entry has no neighbours
        out = []
        for position in (int(tail) - 1, int(tail) + 1):
            row = self._row_of.get(f"{doc}#{position}")
            if row is not None:
                out.append((position, self.index.rows[row]["text"]))
        return out

    def read_back(self, query: Query, hit: Hit) -> float:
        """How much of an English question the hit's own words say (Translator.glossed); 0 otherwise."""
        if not (query.english and self.parts.translation) or hit.category == "faq":
            return 0.0
        return self.translator.glossed(query.terms, self.tokenizer.tokens(hit.best_unit or hit.text), hit.covered)


__all__ = ["Parts", "Query", "Retriever", "answer_types", "rrf"]
