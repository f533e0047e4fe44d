"""The park vocabulary as retrieval uses it: synonym groups and a pinyin speller.

Both are read from knowledge/lexicon/ (data, not code):
- synonyms.yml maps how tenants ask to the words the documents use;
- the jieba user dictionary and the synonym terms are the words the speller
  can restore when a question was typed with the wrong character of the same
  sound (基斤 -> 基金, 园去 -> 园区), the usual slip with a pinyin keyboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .text import HAN_RUN, Tokenizer, latin_words, normalize


def is_latin(term: str) -> bool:
    """Matched as whole English words rather than as a substring."""
    return term.isascii() and any(c.isalpha() for c in term)


@lru_cache(maxsize=16_384)
def latin_key(term: str) -> str:
    """A phrase as a space-padded sequence of singular words: ' cell therapy '."""
    return " " + " ".join(latin_words(term)) + " "


@dataclass(frozen=True)
class Synonyms:
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (canonical, all forms incl. canonical)
    by_term: dict  # term -> tuple of group indices, terms longest first
    latin: frozenset = frozenset()  # the terms matched as English words (is_latin), found once

    def __bool__(self) -> bool:
        return bool(self.groups)

    def __iter__(self):
        return iter(self.groups)


EMPTY = Synonyms(groups=(), by_term={})


def build_synonyms(table: dict) -> Synonyms:
    """canonical -> variants, as a Synonyms (terms normalised, longest first)."""
    groups = []
    by_term: dict[str, list[int]] = {}
    for i, (canonical, variants) in enumerate(table.items()):
        forms = tuple(dict.fromkeys(normalize(str(t)).strip() for t in [canonical, *(variants or [])]))
        groups.append((forms[0], forms))
        for form in forms:
            by_term.setdefault(form, []).append(i)
    ordered = dict(sorted(((t, tuple(g)) for t, g in by_term.items()), key=lambda kv: -len(kv[0])))
    return Synonyms(groups=tuple(groups), by_term=ordered, latin=frozenset(t for t in ordered if is_latin(t)))


@lru_cache(maxsize=8)
def load_synonyms(path: Path) -> Synonyms:
    return build_synonyms(yaml.safe_load(Path(path).read_text("utf-8")) or {})


SLIP_RATIO = 1000  # a dictionary word this much rarer than a homophone term is taken for a slip of it
# jieba lists many words at its floor count of 3 (举错, 落弟, 补注) that nobody means: beside a homophone term
# it saw 100 times or more, such a word is a slip too. 两周 (221) and 公示 (119) are well above the floor.
DICTIONARY_FLOOR = 3
SLIP_FLOOR_TERM = 100


class Speller:
    """Restores park terms typed with homophones, by toneless pinyin.

    Only terms of the lexicon are restored, and a two-character slip only when
    it is not itself a word (两周 is a word and stays; 园去 becomes 园区).
    """

    def __init__(self, terms: set[str], tokenizer: Tokenizer, corpus_words: frozenset = frozenset()):
        from pypinyin import lazy_pinyin

        char = lru_cache(maxsize=20_000)(lambda c: lazy_pinyin(c)[0])
        self._pinyin = lambda text: [char(c) for c in text]  # per character, as a keyboard sees it
        self._tokenizer = tokenizer
        # Words of the corpus are both targets (澄洲区 -> 橙洲区) and protected: a word that
        # occurs in a document is never rewritten (健新原力 stays, though 原力 sounds like 园里).
        self._protected = corpus_words
        self._base_terms = terms
        self._terms = {t for t in (terms | corpus_words) if len(t) >= 2 and HAN_RUN.fullmatch(t)}
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for term in self._terms:
            by_sound.setdefault(tuple(self._pinyin(term)), set()).add(term)
        # A sound shared by two terms is ambiguous: leave it alone.
        self._by_sound = {sound: next(iter(t)) for sound, t in by_sound.items() if len(t) == 1}
        self._lengths = sorted({len(sound) for sound in self._by_sound}, reverse=True)

    def with_corpus(self, words: frozenset) -> "Speller":
        """The same speller, also restoring (and protecting) the words of a corpus."""
        return Speller(self._base_terms, self._tokenizer, words)

    def correct(self, text: str) -> str:
        return HAN_RUN.sub(lambda m: self._correct_run(m.group()), text)

    def _guarded(self, run: str) -> tuple[set[int], set[int]]:
        """Two sets of offsets, from one segmentation of the run:
        - inside a known word of two or more characters, where a replacement may not start or end
          (有食堂: 有食 sounds like 优势, but 食堂 is a word and stays);
        - inside a stretch of two or more unknown words (健新 + 原力), a name the dictionary lacks, such
          as a company's, which no replacement may touch. A slip sits among words the dictionary knows;
          a name that sounds like a park term (原力 like 园里) is not repaired into it."""
        inside: set[int] = set()
        names: set[int] = set()
        at, stretch_start, stretch_words = 0, 0, 0
        for word in [*self._tokenizer.segment(run), ""]:
            known = self._tokenizer.known(word)
            if len(word) >= 2 and known:
                inside.update(range(at + 1, at + len(word)))
            if len(word) >= 2 and not known and word not in self._terms:
                if not stretch_words:
                    stretch_start = at
                stretch_words += 1
            else:
                if stretch_words >= 2:
                    names.update(range(stretch_start, at))
                stretch_words = 0
            at += len(word)
        return inside, names

    def _slip(self, piece: str, term: str) -> bool:
        """A two-character piece is a slip for the term that sounds like it when it is no word, or a
        word the dictionary saw so seldom beside the term that it is the slip itself (jieba lists
        时侯 10 times against 时候's 31521; 两周 and 公示 are words in their own right)."""
        if not self._tokenizer.known(piece):
            return True
        seen, term_seen = self._tokenizer.frequency(piece), self._tokenizer.frequency(term)
        if seen <= DICTIONARY_FLOOR and term_seen >= SLIP_FLOOR_TERM:
            return True  # 举错, 落弟, 补注: listed at jieba's floor, beside 举措 754, 落地 954, 补助 373
        return term_seen >= SLIP_RATIO * max(seen, 1)

    def _correct_run(self, run: str) -> str:
        sounds = self._pinyin(run)
        inside, names = self._guarded(run)
        out, i = [], 0
        while i < len(run):
            for n in self._lengths:
                piece = run[i : i + n]
                if len(piece) < n:
                    continue
                if piece in self._terms or piece in self._protected:
                    out.append(piece)
                    i += n
                    break
                term = self._by_sound.get(tuple(sounds[i : i + n]))
                if (
                    term
                    and (n >= 3 or self._slip(piece, term))
                    and not ({i, i + n} & inside)
                    and not names.intersection(range(i, i + n))
                ):
                    out.append(term)
                    i += n
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


@lru_cache(maxsize=8)
def speller_for(lexicon_dir: Path, tokenizer: Tokenizer) -> Speller:
    terms = set(tokenizer.user_words)
    synonyms_path = Path(lexicon_dir) / "synonyms.yml"
    if synonyms_path.exists():
        terms |= set(load_synonyms(synonyms_path).by_term)
    return Speller(terms, tokenizer)


def synonyms_for(lexicon_dir: Path) -> Synonyms:
    """The park lexicon's synonym groups (synonyms.yml), or none when the folder has no such file."""
    path = Path(lexicon_dir) / "synonyms.yml"
    return load_synonyms(path) if path.exists() else EMPTY
