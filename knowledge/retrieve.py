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

import math
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
from .lexicon_data import Speller, Synonyms, build_synonyms, is_latin
from .query import Concept, Query, analyze
from .scope import Places
from .text import Tokenizer, latin_words
from .thesaurus import Thesaurus
from .thesaurus import EMPTY as NO_THESAURUS
from .translate import Translator, names_in, reverse_cedict
from .units import INNER_PUNCT, WINDOW_SENTENCES, make_unit, match_text, units_of

if TYPE_CHECKING:
    from .index import LoadedIndex

TYPE_PENALTY = 0.5  # a place that lacks the figure or date asked for covers at most half
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")


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
                w for w in self._vocabulary | frame_words if 2 <= len(w) <= 6 and _CJK_WORD.fullmatch(w)
            )
            speller = speller.with_corpus(corpus_words)
        self.speller = speller
        self.encoder = encoder
        self.rrf_k = rrf_k
        self.window = window
        self.thesaurus = thesaurus
        self.parts = parts
        self._units = [units_of(r, window) for r in index.rows]
        self._whole = [make_unit(match_text(r)) for r in index.rows]
        self._titles = [make_unit(f"{r['title']}\n{r.get('heading', '')}") for r in index.rows]
        self._row_of = {r["chunk_id"]: i for i, r in enumerate(index.rows)}
        self._doc_numbers = DocNumbers(index.rows)
        self._df_cache: dict[str, np.ndarray] = {}
        self._translator: Translator | None = None

    # --- concepts and their weights ---------------------------------------
    def _rows_with(self, form: str) -> np.ndarray:
        """Which rows mention a form anywhere (cached: forms repeat across questions)."""
        mask = self._df_cache.get(form)
        if mask is None:
            mask = np.fromiter((u.has(form) for u in self._whole), bool, len(self._whole))
            if len(self._df_cache) > 50_000:
                self._df_cache.clear()
            self._df_cache[form] = mask
        return mask

    def _in_corpus(self, form: str) -> bool:
        return bool(self._rows_with(form).any())

    def _corpus_part(self, term: str) -> str:
        """An unknown word less the particle jieba glued before it (里明峰: 明峰), if the documents say the
        rest; '' otherwise. Not the last character: 有效期 is a word, and 有效 another."""
        if len(term) < 3 or not _CJK_WORD.fullmatch(term):
            return ""
        return term[1:] if self._in_corpus(term[1:]) else ""

    def _idf(self, df: int) -> float:
        n = len(self.index.rows)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            self._translator = Translator(set(self._vocabulary))
        return self._translator

    def _translate(self, concepts: list[Concept], question: str) -> list[Concept]:
        """English words the glossary did not claim get their Chinese translations;
        adjacent words that translate as a phrase (clinical trial) become one concept;
        a capitalised word no dictionary translates is read as pinyin (Qingwu: 青梧)."""
        english = [i for i, c in enumerate(concepts) if c.source == "english"]
        if not english:
            return concepts
        words = [concepts[i].term for i in english]
        merged: dict[int, Concept] = {}
        dropped: set[int] = set()
        for positions, forms in self.translator.phrases(words, names_in(question)):
            first = english[positions[0]]
            term = " ".join(words[p] for p in positions)
            merged[first] = Concept(term=term, forms=(term, *forms), source="english")
            dropped.update(english[p] for p in positions[1:])
        return [merged.get(i, c) for i, c in enumerate(concepts) if i not in dropped]

    def _frames(self, concept: Concept) -> bool:
        if not self.thesaurus:
            return False
        if is_latin(concept.term):  # an English word frames when half its first Chinese senses do
            senses = reverse_cedict().get(" ".join(latin_words(concept.term)), ())[:4]
            # (apply: 申领, 应征, 予以, 投考; one sense that frames does not make "how do I apply" a frame)
            return bool(senses) and 2 * sum(self.thesaurus.frames(w) for w in senses) >= len(senses)
        return self.thesaurus.frames(concept.term)

    def analyze(self, question: str) -> Query:
        """The question's concepts, weighted by how rare they are in this corpus.

        A concept's weight is the IDF of the rows that mention any of its
        forms. A concept no row mentions gets the highest weight, unless it
        only frames the question; then it weighs nothing.
        """
        query = analyze(
            question, self.tokenizer, self.synonyms, self.speller, self.thesaurus.is_noun if self.thesaurus else None
        )
        if self.parts.translation:
            query.concepts = self._translate(query.concepts, question)
        if not self.parts.answer_types and query.wants:
            query.concepts = [c for c in query.concepts if c.kind == "term"]
            query.wants = ""
        self._doc_numbers.read(query)  # 杭政办函〔2021〕39号 names the document; it is not what is asked
        asked = self.places.asked(question)
        query.places = asked.named
        query.allowed = asked.allowed if self.parts.scope else frozenset()
        for concept in query.concepts:
            if concept.kind != "term":
                concept.weight = 0.0  # not a share of the question: a condition on the answer
                continue
            if self.parts.thesaurus and concept.source == "word" and self.thesaurus:
                extra = sorted(w for w in self.thesaurus.synonyms(concept.term) if self._in_corpus(w))
                concept.forms = tuple(dict.fromkeys([*concept.forms, *extra]))
            rows = np.zeros(len(self.index.rows), dtype=bool)
            for form in concept.forms:
                rows |= self._rows_with(form)
            df = int(rows.sum())
            if not df and concept.source == "word":
                part = self._corpus_part(concept.term)
                if part:  # 医药港里明峰医疗: jieba cut 里明峰, which no document says; 明峰 is the name
                    concept.term, concept.forms = part, (part,)
                    df = int(self._rows_with(part).sum())
            concept.known = df > 0
            # An English word the dictionary cannot put into the documents' Chinese (big, kind) frames
            # the question like an unknown Chinese word does, even where a curated English answer uses it.
            untranslated = concept.source == "english" and len(concept.forms) == 1
            concept.frames = (not concept.known or untranslated) and self._frames(concept)
            concept.weight = 0.0 if concept.frames else self._idf(df)
        return query

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


__all__ = ["Concept", "Parts", "Query", "Retriever", "answer_types", "rrf"]
