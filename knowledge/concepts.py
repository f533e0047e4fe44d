"""What a question asks, in this corpus's words and weights.

Query analysis (knowledge/query.py) reads a question on its own: its content
words, the park lexicon's synonym groups, the answer type it wants. Weighing
needs the corpus: a concept weighs the IDF of the rows that mention any of its
forms, a concept no row mentions weighs the most (食堂: the documents do not
cover it) unless the thesaurus says it only frames the question (关系, 安排),
English words are put into the corpus's Chinese (knowledge/translate.py), and
the places the question names set its scope. Retrieval (knowledge/retrieve.py)
ranks passages by what this returns.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .doc_numbers import DocNumbers
from .lexicon_data import Speller, Synonyms, is_latin
from .query import Concept, Query, analyze
from .scope import Places
from .text import HAN_RUN, Tokenizer, latin_words
from .thesaurus import Thesaurus
from .translate import Translator, names_in, reverse_cedict

if TYPE_CHECKING:
    from .retrieve import Parts
    from .units import Unit


class QuestionReader:
    """A question's concepts with the forms and weights of one corpus (one index's rows)."""

    def __init__(
        self,
        whole: list[Unit],
        vocabulary: frozenset[str],
        tokenizer: Tokenizer,
        synonyms: Synonyms,
        speller: Speller | None,
        thesaurus: Thesaurus,
        places: Places,
        doc_numbers: DocNumbers,
        parts: Parts,
    ):
        self._whole = whole  # each row's whole text as one unit: what a form is looked up in
        self._vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.synonyms = synonyms
        self.speller = speller
        self.thesaurus = thesaurus
        self.places = places
        self._doc_numbers = doc_numbers
        self.parts = parts
        self._df_cache: dict[str, np.ndarray] = {}
        self._translator: Translator | None = None

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
        if len(term) < 3 or not HAN_RUN.fullmatch(term):
            return ""
        return term[1:] if self._in_corpus(term[1:]) else ""

    def _idf(self, df: int) -> float:
        n = len(self._whole)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            self._translator = Translator(set(self._vocabulary))
        return self._translator

    def _translate(self, concepts: list[Concept], question: str) -> list[Concept]:
        """English words the glossary did not claim get their Chinese translations;
        adjacent words that translate as a phrase (clinical trial) become one concept;
        a capitalised word no dictionary translates is read as pinyin (Qingwu: 青梧区)."""
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
            rows = np.zeros(len(self._whole), dtype=bool)
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
