"""Hybrid retrieval: BM25 over jieba tokens and dense vectors, fused by RRF,
then a confidence that says whether the best passage really answers.

Ranking alone always returns *something*; a bot that cites the nearest
passage for 园区招商电话是多少 invents an answer. The confidence here is the
share of the question's key concepts (weighted by rarity) that one place in
the passage actually contains:

- a concept is a content word of the question (nouns, verbs, names, English
  words; not the words that only frame a question) or a synonym group from
  the park lexicon, which bridges how tenants ask and how documents write;
- "one place" is a window of two adjacent sentences (with the document
  title), or a whole curated FAQ entry: facts scattered over a long passage
  do not answer a question together;
- a question that asks for a date, an amount or a count (什么时候, 多少钱,
  几, how many) is fully covered only where one sentence states it next to
  the rarest concept the place covers; elsewhere the place counts half;
- a concept that no document mentions weighs the most, so a question about
  something absent (租金, 电话) cannot be "mostly covered".

Below the configured threshold the caller must say it does not know.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .faq import is_curated
from .lexicon_data import EMPTY, Speller, Synonyms, is_latin, latin_key, load_synonyms  # noqa: F401 (re-export)
from .text import Tokenizer, has_cjk, latin_words, normalize, split_sentences, stem

if TYPE_CHECKING:
    from .index import LoadedIndex

# The question asks for a figure or a date: only a passage that states one can answer it.
_ASKS_DATE = re.compile(r"什么时候|啥时候|何时|哪天|哪一天|哪年|哪一年|几月|几号|哪个月|\bwhen\b|what (year|date|day)")
# (多远 / how far is not here: "close to the airport" answers it without a figure.)
_ASKS_NUMBER = re.compile(r"(?<!哪)几|多少|多大|多长|多久|多高|多宽|多重|数量|数目|\bhow (many|much|long|big|large)\b|"
                          r"\bnumber of\b")
_STATES_DATE = re.compile(
    r"\d{4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|\d{4}-\d{1,2}|\b(january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b")
_STATES_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+[个家支期条项座栋层名位亿万元倍]|千亿|百亿")
# An amount of money (or a rate) is a narrower figure than a count: "2 funds"
# does not answer "how much funding".
_ASKS_AMOUNT = re.compile(r"多少钱|多少资金|多少补贴|多少补助|多少租金|多少费用|金额|价格|费用|税率|\bhow much\b|\bprice\b|"
                          r"\bcost\b|\brate\b")
_STATES_AMOUNT = re.compile(r"\d[\d.,]*\s*[亿万千百]?\s*(元|块|美元)|[千百]亿元|\d\s*%|yuan|rmb|\$|\d\s*percent")
ANSWER_TYPES = {"date": _STATES_DATE, "amount": _STATES_AMOUNT, "number": _STATES_NUMBER}
WINDOW_SENTENCES = 2
_LATIN_TOKEN = re.compile(r"[a-z][a-z0-9\-']*")


@lru_cache(maxsize=4096)
def _words_of(term: str) -> tuple[str, ...]:
    return tuple(latin_words(term))


@dataclass
class Concept:
    """One thing the question asks about, and the words that express it."""

    term: str  # as the user wrote it, normalised
    forms: tuple[str, ...]  # any of these in a passage covers the concept
    weight: float = 1.0
    kind: str = "term"  # term, or the answer type the question wants: number | date


@dataclass
class Query:
    question: str
    text: str  # normalised, with park terms typed as homophones restored
    concepts: list[Concept]
    english: bool  # no Chinese at all: answer in English where an English text exists


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

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _contains(haystack: str, needle: str) -> bool:
    """Substring for Chinese; whole-word for Latin, so 'art' is not found in 'start'."""
    if not is_latin(needle):
        return needle in haystack
    return latin_key(needle) in latin_key(haystack)


# Punctuation that may sit inside a name (招、投、管、服 ; “6+1”) and that a
# question typed in a hurry leaves out.
_INNER_PUNCT = re.compile(r"[、“”‘’\"'《》〈〉()（）·\s]")
TYPE_PENALTY = 0.5  # a place that lacks the figure or date asked for covers at most half


@dataclass
class Unit:
    """One place in a passage that may answer a question on its own."""

    text: str  # normalised, for Chinese substrings
    latin: str  # space-padded singular English words, for whole-word matches
    compact: str  # text without inner punctuation
    parts: list["Unit"] = field(default_factory=list)  # its sentences, for the figure-or-date check
    lang: str = ""  # "zh" or "en" for one language of a bilingual FAQ entry; "" matches any question
    asks: frozenset = frozenset()  # answer types its FAQ question variants ask for: staff answered those

    def covers(self, concept: Concept) -> bool:
        if concept.kind != "term":
            return any(part.states(concept.kind) for part in self.parts or [self])
        return any(self.has(f) for f in concept.forms)

    def has(self, form: str) -> bool:
        if is_latin(form):
            return latin_key(form) in self.latin
        return form in self.text or _INNER_PUNCT.sub("", form) in self.compact

    def states(self, kind: str) -> bool:
        if kind == "number":  # a year or a date is not the count asked for
            return bool(_STATES_NUMBER.search(_STATES_DATE.sub(" ", self.text)))
        return bool(ANSWER_TYPES[kind].search(self.text))

    def answers_type(self, kind: str, concepts: list[Concept]) -> bool:
        """A sentence states the figure (or date) next to the main thing asked about:
        the rarest of the concepts that the unit's sentences mention."""
        if kind in self.asks:
            return True
        parts = self.parts or [self]
        mentioned = [c for c in concepts if any(part.covers(c) for part in parts)]
        anchor = max(mentioned, key=lambda c: c.weight, default=None)
        return any(part.states(kind) and (anchor is None or part.covers(anchor)) for part in parts)


def _unit(text: str, answer_sentences: list[str] | None = None) -> Unit:
    norm = normalize(text)
    unit = Unit(text=norm, latin=" " + " ".join(latin_words(norm)) + " ", compact=_INNER_PUNCT.sub("", norm))
    if answer_sentences is not None:
        unit.parts = [_unit(sentence) for sentence in answer_sentences]
    return unit


def asked_types(question: str) -> set[str]:
    text = normalize(question)
    if _ASKS_DATE.search(text):
        return {"date"}
    if _ASKS_AMOUNT.search(text):
        return {"amount"}
    return {"number"} if _ASKS_NUMBER.search(text) else set()


def units_of(row: dict, window: int = WINDOW_SENTENCES) -> list[Unit]:
    """The places of one indexed row: sentence windows, or an FAQ entry per language.

    Curated answers are focused, so an FAQ answer counts as one sentence for
    the figure-or-date check; and an entry whose question variants ask for a
    figure or date was written to answer exactly that (园区的招商热线是多少？
    answered with "leave your contact details"), so it passes the check.
    """
    if row.get("category") == "faq":
        questions = row.get("questions", [])
        zh_questions = [q for q in questions if has_cjk(q)]
        en_questions = [q for q in questions if not has_cjk(q)]
        units = []
        if row.get("text_en"):
            units.append(_unit("\n".join([*en_questions, row["text_en"]]), [row["text_en"]]))
            units[-1].lang = "en"
            if row.get("text"):
                units.append(_unit("\n".join([*zh_questions, row["text"]]), [row["text"]]))
                units[-1].lang = "zh"
        else:  # a staff FAQ document: one language, whatever it is
            units.append(_unit("\n".join([*questions, row["text"]]), [row["text"]]))
        for unit in units:
            own = en_questions if unit.lang == "en" else zh_questions if unit.lang == "zh" else questions
            unit.asks = frozenset(set().union(*(asked_types(q) for q in own)) if own else set())
        return units
    sentences = split_sentences(row["text"]) or [row["text"]]
    if window <= 0 or len(sentences) <= window:
        spans = [sentences]
    else:
        spans = [sentences[i:i + window] for i in range(len(sentences) - window + 1)]
    return [_unit(f"{row['title']}\n{''.join(span)}", span) for span in spans]


def match_text(row: dict) -> str:
    """What the sparse and dense indexes see of a row."""
    if row.get("category") == "faq":
        return "\n".join([*row.get("questions", []), row["text"], row.get("text_en", "")])
    return f"{row['title']}\n{row['text']}"


def analyze(question: str, tokenizer: Tokenizer, synonyms: Synonyms, speller: Speller | None = None) -> Query:
    """The question's concepts: synonym groups first (longest terms first), then
    the remaining content words, then the answer type it asks for."""
    text = normalize(question)
    if speller is not None:
        text = speller.correct(text)
    masked = list(text)
    concepts: list[Concept] = []
    groups_of: list[set[int]] = []

    def claim(term: str, groups: tuple[int, ...]) -> None:
        joined = [i for i, g in enumerate(groups_of) if g & set(groups)]
        merged_groups = set(groups).union(*(groups_of[i] for i in joined))
        terms = [term] + [concepts[i].term for i in joined]
        for i in reversed(joined):
            del concepts[i], groups_of[i]
        forms = tuple(dict.fromkeys(f for g in sorted(merged_groups) for f in synonyms.groups[g][1]))
        concepts.append(Concept(term=max(terms, key=len), forms=forms))
        groups_of.append(merged_groups)

    current = text
    latin_spans: list[tuple[int, int, str]] | None = None
    for term, groups in synonyms.by_term.items():
        found: list[tuple[int, int]] = []
        if is_latin(term):
            if latin_spans is None:
                latin_spans = [(m.start(), m.end(), stem(m.group().strip("-'")))
                               for m in _LATIN_TOKEN.finditer(current)]
            words = _words_of(term)
            for i in range(len(latin_spans) - len(words) + 1):
                if all(latin_spans[i + j][2] == w for j, w in enumerate(words)):
                    found.append((latin_spans[i][0], latin_spans[i + len(words) - 1][1]))
        else:
            start = current.find(term)
            while start >= 0:
                found.append((start, start + len(term)))
                start = current.find(term, start + len(term))
        if not found:
            continue
        for start, end in found:
            masked[start:end] = " " * (end - start)
        current, latin_spans = "".join(masked), None
        claim(term, groups)

    seen = {f for c in concepts for f in c.forms}
    for word in tokenizer.content_words("".join(masked)):
        if word not in seen:
            seen.add(word)
            concepts.append(Concept(term=word, forms=(word,)))
    if _ASKS_DATE.search(text):
        concepts.append(Concept(term="<date>", forms=(), kind="date"))
    elif _ASKS_AMOUNT.search(text):
        concepts.append(Concept(term="<amount>", forms=(), kind="amount"))
    elif _ASKS_NUMBER.search(text):
        concepts.append(Concept(term="<number>", forms=(), kind="number"))
    english = not has_cjk(text) and bool(latin_words(text))
    return Query(question=question, text=text, concepts=concepts, english=english)


# Kept for callers of the first version: the concepts alone.
def concepts(question: str, tokenizer: Tokenizer, synonyms: Synonyms) -> list[Concept]:
    return analyze(question, tokenizer, synonyms).concepts


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, idx in enumerate(ranking):
            fused[idx] = fused.get(idx, 0.0) + 1.0 / (k + rank + 1)
    return fused


class Retriever:
    def __init__(self, index: LoadedIndex, tokenizer: Tokenizer, synonyms: Synonyms, encoder, rrf_k: int = 60,
                 speller: Speller | None = None, window: int = WINDOW_SENTENCES):
        self.index = index
        self.tokenizer = tokenizer
        self.synonyms = synonyms
        self.speller = speller
        self.encoder = encoder
        self.rrf_k = rrf_k
        self.window = window
        self._units = [units_of(r, window) for r in index.rows]
        self._whole = [_unit(match_text(r)) for r in index.rows]
        self._row_of = {r["chunk_id"]: i for i, r in enumerate(index.rows)}
        self._df_cache: dict[str, np.ndarray] = {}

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

    def _idf(self, df: int) -> float:
        n = len(self.index.rows)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def analyze(self, question: str) -> Query:
        """The question's concepts, weighted by how rare they are in this corpus.

        A concept's weight is the IDF of the rows that mention any of its
        forms. A concept no row mentions gets the highest weight.
        """
        query = analyze(question, self.tokenizer, self.synonyms, self.speller)
        for concept in query.concepts:
            if concept.kind != "term":
                concept.weight = 0.0  # not a share of the question: a condition on the answer
                continue
            rows = np.zeros(len(self.index.rows), dtype=bool)
            for form in concept.forms:
                rows |= self._rows_with(form)
            concept.weight = self._idf(int(rows.sum()))
        return query

    def concepts(self, question: str) -> list[Concept]:
        return self.analyze(question).concepts

    def coverage(self, found: list[Concept], idx: int, lang: str = "") -> tuple[float, list[str]]:
        """The best share of the concepts' weight that one place of row idx covers.

        When the question asks for a figure or a date, a place that does not
        state one in the same sentence as the main concept it covers (the
        rarest) is worth at most half.
        """
        terms = [c for c in found if c.kind == "term"]
        wanted = next((c.kind for c in found if c.kind != "term"), None)
        total = sum(c.weight for c in terms)
        if not total:
            return 0.0, []
        best, best_terms = 0.0, []
        for unit in self._units[idx]:
            if lang and unit.lang and unit.lang != lang:
                continue  # a Chinese question is answered by the Chinese side of an FAQ entry
            covered = [c for c in terms if unit.covers(c)]
            share = sum(c.weight for c in covered) / total
            if wanted:
                if unit.answers_type(wanted, covered):
                    covered = covered + [Concept(term=f"<{wanted}>", forms=(), kind=wanted)]
                else:
                    share *= TYPE_PENALTY
            if share > best:
                best, best_terms = share, [c.term for c in covered]
        return best, best_terms

    def _phrase(self, text: str, chunk_id: str) -> int:
        """Length of the longest run of the question found verbatim in the passage
        (characters of Chinese, words of English)."""
        idx = self._row_of[chunk_id]
        body = self._whole[idx].compact
        best = 0
        words = latin_words(text)
        for i in range(len(words)):
            n = best + 1
            while i + n <= len(words) and (" " + " ".join(words[i:i + n]) + " ") in self._whole[idx].latin:
                best = n
                n += 1
        for run in re.findall(r"[\u4e00-\u9fff]{2,}", _INNER_PUNCT.sub("", text)):
            for i in range(len(run)):
                n = best + 1
                while i + n <= len(run) and run[i:i + n] in body:
                    best = n
                    n += 1
        return best

    # --- the two retrievers -------------------------------------------------
    def _bm25_ranking(self, query: Query, depth: int) -> tuple[list[int], np.ndarray]:
        tokens = self.tokenizer.tokens(query.text)
        for concept in query.concepts:
            for form in concept.forms:
                tokens.extend(self.tokenizer.tokens(form))
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

    def search(self, question: str, top_k: int = 5, mode: str = "hybrid", today: date | None = None,
               found: list[Concept] | None = None, rerank: bool = True, query: Query | None = None) -> list[Hit]:
        """Best passages first. mode is hybrid, bm25 or dense (for the ablation);
        rerank=False keeps the retrievers' own order (also for the ablation)."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"mode must be hybrid, bm25 or dense, not {mode!r}")
        query = query or self.analyze(question)
        found = query.concepts if found is None else found
        depth = max(top_k * 4, 20)
        bm25_rank, bm25_scores = self._bm25_ranking(query, depth) if mode != "dense" else ([], None)
        dense_rank, dense_scores = self._dense_ranking(question, depth) if mode != "bm25" else ([], {})
        fused = rrf([r for r in (bm25_rank, dense_rank) if r], self.rrf_k)
        today = today or date.today()

        hits: list[Hit] = []
        for idx, score in fused.items():
            row = self.index.rows[idx]
            if row.get("valid_until") and date.fromisoformat(row["valid_until"]) < today:
                continue  # an expired policy is never cited
            confidence, covered = self.coverage(found, idx, "en" if query.english else "zh")
            text = row.get("text_en") if query.english and row.get("text_en") else row["text"]
            hits.append(Hit(
                chunk_id=row["chunk_id"], doc_id=row["doc_id"], title=row["title"], text=text,
                url=row["url"], published=row["published"], publisher=row["publisher"],
                category=row["category"], score=score,
                bm25=float(bm25_scores[idx]) if bm25_scores is not None else 0.0,
                dense=dense_scores.get(idx, 0.0), confidence=confidence, covered=covered,
            ))
        if rerank:
            # Fusion orders candidates; the coverage check re-ranks them so the
            # passage that answers more of the question comes first. Curated FAQ
            # entries win ties: staff wrote them to be the answer. Among equals,
            # the one that repeats the longest piece of the question verbatim
            # (产业生态 rather than 产业 … 生态) comes first.
            best = max((round(h.confidence, 6) for h in hits), default=0.0)
            phrase = {h.chunk_id: self._phrase(query.text, h.chunk_id) for h in hits
                      if round(h.confidence, 6) == best}
            # Ties go to FAQ entries, and among them to staff corrections (FAQ
            # documents) over the curated YAML entries: a correction is
            # a person fixing this exact answer, so it must be what users get next.
            hits.sort(key=lambda h: (round(h.confidence, 6), h.category == "faq", not is_curated(h.chunk_id),
                                     phrase.get(h.chunk_id, 0), h.score),
                      reverse=True)
        else:
            hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:top_k]


def synonyms_for(lexicon_dir: Path) -> Synonyms:
    path = Path(lexicon_dir) / "synonyms.yml"
    return load_synonyms(path) if path.exists() else EMPTY
