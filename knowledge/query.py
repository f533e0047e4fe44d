"""What a question asks about: its concepts, the answer type it wants, its language.

A concept is one thing the question asks about and every word that expresses
it: a synonym group of the park lexicon (how tenants ask -> how documents
write), otherwise a content word of the question widened by the thesaurus
(Cilin "=" groups) and, for English, by its Chinese translations. Words that
only frame a question (的, 哪些, 是否) never become concepts; a content word
that no document uses either sinks the answer (食堂: the documents do not
cover it) or, when the thesaurus says it only frames (关系, 安排), is noted and
left out of the share (Retriever.analyze decides, knowing the corpus).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import answer_types
from .lexicon_data import Speller, Synonyms, is_latin
from .text import QUESTION_PHRASE, Tokenizer, english_word, has_cjk, latin_words, normalize, ordinal_forms
from .translate import is_adverb

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
    kind: str = "term"  # term, or the answer type the question wants (answer_types.KINDS)
    source: str = "word"  # lexicon | word | english (how the forms were found)
    known: bool = True  # some document contains one of its forms
    frames: bool = False  # unknown to the documents, but only frames the question (关系)


@dataclass
class Query:
    question: str
    text: str  # normalised, with park terms typed as homophones restored
    concepts: list[Concept]
    english: bool  # no Chinese at all: answer in English where an English text exists
    wants: str = ""  # answer type asked for: phone | date | amount | number | ""
    measure: str = ""  # the unit the figure is asked in (多少名 -> 名, 几栋 -> 栋), '' for any
    asks_list: bool = False  # asks for the members of a set (哪些, 哪两个)
    asks_who: bool = False  # asks who (谁, 哪位): a person or an organisation answers
    named: frozenset = frozenset()  # digit runs the question names itself: context, never its answer
    focus: tuple = ()  # what the answer type is asked about (concepts at the question word)
    places: tuple = ()  # other places the question names (scope.Asked.named)
    allowed: frozenset = field(default_factory=frozenset)  # scopes whose documents may answer
    documents: frozenset = frozenset()  # the documents a 文号 the question gives names (DocNumbers.read)

    @property
    def terms(self) -> list[Concept]:
        return [c for c in self.concepts if c.kind == "term"]


_DIGIT = re.compile(r"\d")


def analyze(
    question: str, tokenizer: Tokenizer, synonyms: Synonyms, speller: Speller | None = None, is_noun=None
) -> Query:
    """The question's concepts: synonym groups first (longest terms first), then
    the remaining content words, then the answer type it asks for."""
    text = normalize(question)
    if speller is not None:
        text = speller.correct(text)
    masked = list(text)
    concepts: list[Concept] = []
    groups_of: list[set[int]] = []

    def claim(term: str, groups: tuple[int, ...]) -> None:
        if _DIGIT.search(term):
            # A year or figure in a group (2027年 beside 目标) is said only by itself: another document's
            # 目标是到2025年 does not cover a question's 2027年.
            forms = tuple(dict.fromkeys(f for g in groups for f in synonyms.groups[g][1] if _DIGIT.search(f)))
            concepts.append(Concept(term=term, forms=forms or (term,), source="lexicon"))
            groups_of.append(set())
            return
        joined = [i for i, g in enumerate(groups_of) if g & set(groups)]
        merged_groups = set(groups).union(*(groups_of[i] for i in joined))
        terms = [term] + [concepts[i].term for i in joined]
        for i in reversed(joined):
            del concepts[i], groups_of[i]
        forms = tuple(dict.fromkeys(f for g in sorted(merged_groups) for f in synonyms.groups[g][1]))
        concepts.append(Concept(term=max(terms, key=len), forms=forms, source="lexicon"))
        groups_of.append(merged_groups)

    current = text
    # A lexicon term cut short by a question phrase is not said: 在哪些环节 asks which stages (哪些), not where.
    cut_short = {end for m in QUESTION_PHRASE.finditer(text) for end in range(m.start() + 1, m.end())}
    latin_spans: list[tuple[int, int, str]] | None = None
    chars = set(text)  # every lexicon term is tried, so one whose first character is absent is skipped early
    for term, groups in synonyms.by_term.items():
        found: list[tuple[int, int]] = []
        if term in synonyms.latin:
            if latin_spans is None:
                latin_spans = [(m.start(), m.end(), english_word(m.group())) for m in _LATIN_TOKEN.finditer(current)]
            words = _words_of(term)
            for i in range(len(latin_spans) - len(words) + 1):
                if all(latin_spans[i + j][2] == w for j, w in enumerate(words)):
                    found.append((latin_spans[i][0], latin_spans[i + len(words) - 1][1]))
        elif term[0] in chars:
            start = current.find(term)
            while start >= 0:
                if start + len(term) not in cut_short:
                    found.append((start, start + len(term)))
                start = current.find(term, start + len(term))
        if not found:
            continue
        for start, end in found:
            masked[start:end] = " " * (end - start)
        current, latin_spans = "".join(masked), None
        claim(term, groups)

    seen = {f for c in concepts for f in c.forms}
    # The words that ask for the answer type (百分之多少, 金额) say what kind of answer, not what about.
    rest = answer_types.ASKS_FRAME.sub(" ", "".join(masked))
    for word in tokenizer.content_words(rest, is_noun):
        if word not in seen and not is_adverb(word):  # exactly, currently frame an English question
            seen.add(word)
            forms = ordinal_forms(word) or (word,)
            concepts.append(Concept(term=word, forms=forms, source="english" if is_latin(word) else "word"))
    wants = answer_types.asked(text)
    focus = _focus(text, concepts, wants) if wants else ()
    if wants:
        concepts.append(Concept(term=f"<{wants}>", forms=(), kind=wants, weight=0.0))
    english = not has_cjk(text) and bool(latin_words(text))
    measure = ""
    if wants in ("number", "amount"):
        measure = answer_types.PERCENT if answer_types.asks_rate(text) else answer_types.measure(tokenizer.tagged(text))
    return Query(
        question=question,
        text=text,
        concepts=concepts,
        english=english,
        wants=wants,
        focus=focus,
        measure=measure,
        asks_list=answer_types.asks_list(text),
        asks_who=answer_types.asks_who(text),
        named=answer_types.named_numbers(text),
    )


def _focus(text: str, concepts: list[Concept], wants: str) -> tuple[Concept, ...]:
    """What the asked-for figure is about: the concepts written at the question word
    (租金 in 租金多少钱), right after it (重点项目 in 有多少个重点项目, 开园 in 什么时候开园)
    and the two right before it (投资进度 in 投资进度到多少了, 规模 in 产业规模预计多大)."""
    asked_at = answer_types.ASKS[wants].search(text)
    if asked_at is None:
        return ()
    placed = []
    for concept in concepts:
        spots = [text.find(f) for f in (concept.term, *concept.forms) if f and text.find(f) >= 0]
        if spots:
            placed.append((min(spots), concept))
    start, end = asked_at.span()
    at = [c for pos, c in placed if start <= pos < end]
    before = [pair for pair in placed if pair[0] < start]
    after = [pair for pair in placed if pair[0] >= end]
    before = [c for _, c in sorted(before, key=lambda p: -p[0])[:2]]  # 规模 in 产业规模预计多大
    after = [c for _, c in sorted(after, key=lambda p: p[0])[:1]]
    near = at + before + after
    unique: list[Concept] = []
    for concept in near:
        if all(concept is not seen for seen in unique):
            unique.append(concept)
    return tuple(unique)
