"""Chinese text handling shared by indexing and querying.

Both sides must see text the same way, or a query word can never meet the
document word it means: traditional characters are folded to simplified,
full-width forms to half-width, English plurals to their singular, and words
are cut by jieba with the park's own dictionary so that 临空经济示范区 stays
one term.
"""

from __future__ import annotations

import re
import unicodedata
from collections import ChainMap
from functools import lru_cache
from pathlib import Path

import jieba
from opencc import OpenCC

from .config import Settings

jieba.setLogLevel(60)  # jieba prints its cache banner on every load otherwise

_t2s = OpenCC("t2s")
# A sentence ends at 。！？；(or their ASCII forms) plus any closing quotes or
# brackets that belong to it, or at a line break. An ASCII ? ! ; right before a
# letter, digit or URL sign is inside a link (huiqi.htm?site=6) or a code, not an end:
# cut there, an answer would cite half a web address.
_SENTENCE_END = re.compile(
    r"(?<=[。！？；])(?![”’」』\"')）\]])"
    r"|(?<=[!?;])(?![”’」』\"')）\]]|[A-Za-z0-9=&/%#_.-])"
    r"|(?<=[。！？；!?;][”’」』\"')）\]])|\n+"
)
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9\-']*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A run of Chinese characters (all of a word or name, with fullmatch): one definition for every module that
# finds, rewrites or checks such runs.
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_POSSESSIVE = re.compile(r"'s$")  # Zhejiang's -> zhejiang

# Parts of speech (jieba's ICTCLAS tags) that name a topic: nouns, verbs,
# names, English words, idioms and abbreviations. Pronouns, adverbs,
# adjectives, numerals with measure words, prepositions and particles only
# frame a question ("多远", "哪些", "能不能") and never decide what it asks.
CONTENT_POS = ("n", "v", "eng", "j", "l", "i", "b", "z", "g")
_DIGITS = re.compile(r"\d")
# An ordinal part of a thing (第二类, 三期, 首批, 一期) or a part of a year (上半年, 三季度): jieba tags it a numeral,
# a time or an adverb, yet it names which one is asked about, and a figure for 一期 does not answer 二期. Not 一批
# (那一批 is "that batch"), not a bare 第一, and not 第一条 or 第一项, which documents number as 一、 or （一）.
ORDINAL = re.compile(
    r"^(?:第([一二三四五六七八九十两]+)([期批次届类级轮])|([二三四五六七八九十两]+)([期批次届类])|(一)(期)|首([期批]))$"
)
_PART_OF_YEAR = re.compile(r"^(?:上半年|下半年|第?[一二三四]季度)$")
_SMALL_NUMERALS = {c: str(i) for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": "2"}


def ordinal_forms(word: str) -> tuple[str, ...]:
    """How documents write the same ordinal: 第二类 = 二类 = 2类, 三期 = 第三期 = 3期; () for any other word."""
    if _PART_OF_YEAR.match(word):
        if "季度" not in word:
            return (word,)  # 上半年, 下半年
        return (word, word[1:]) if word.startswith("第") else (word, f"第{word}")
    match = ORDINAL.match(word)
    if not match:
        return ()
    groups = [g for g in match.groups() if g]
    numeral, unit = ("一", groups[0]) if word.startswith("首") else (groups[0], groups[1])
    forms = [word, f"第{numeral}{unit}", f"{numeral}{unit}"]
    if numeral in _SMALL_NUMERALS:
        forms.append(f"{_SMALL_NUMERALS[numeral]}{unit}")
    return tuple(dict.fromkeys(forms))


# A word built around a question pronoun is part of the question's frame
# (由谁来, 哪几个, 什么样), whatever its tag.
_INTERROGATIVE = re.compile(r"[谁哪啥怎吗呢]|什么|多少")


def interrogative(word: str) -> bool:
    """The word is built around a question pronoun (哪个区, 由谁来): it asks, it names nothing."""
    return bool(_INTERROGATIVE.search(word))


# A-not-A questions (远不远, 管不管, 能不能) ask yes or no; the verb is not the
# topic. Question phrases are cut out before segmentation, so 哪天开的园 is
# not read as 哪 / 天开 / 的 / 园.
A_NOT_A = re.compile(r"([\u4e00-\u9fff]{1,2})[不没]\1")
QUESTION_PHRASE = re.compile(
    r"什么时候|啥时候|哪一天|哪天|哪一年|哪年|何时|几月|几号|什么样|什么|多少|哪些|哪个|哪里|哪儿|哪|为什么|怎么样|怎么|怎样|"
    r"如何|是否|有没有|是不是|能不能|可不可以|(?<!哪)几"
)


# A question is folded a dozen times on its way through ask() (query analysis, scope, years, the
# answer's sentences), and OpenCC's pure-Python conversion was ~7 % of the action server's CPU
# (ops/profiles/README.md, round 8). Short strings are remembered; a document's text is not kept.
NORMALIZE_CACHED_CHARS = 256


def normalize(text: str) -> str:
    """Fold width and script so 園區 and 园区, ＣＸＯ and CXO compare equal."""
    if len(text) <= NORMALIZE_CACHED_CHARS:
        return _normalize_short(text)
    return _fold(text)


def _fold(text: str) -> str:
    return _t2s.convert(unicodedata.normalize("NFKC", text)).lower()


_normalize_short = lru_cache(maxsize=8192)(_fold)


# A page whose lines were flattened into one (a policy page's layout table copied out) runs on for hundreds
# of characters with only spaces where its lines ended: 附件：1. …（2019-2022年） 2. 省级有关单位名单 浙江省
# 发展和改革委员会 … 为加快发展…. A run that long is no sentence; it is cut at the spaces between Chinese
# words. Shorter ones keep their spaces: a title (…开园 打造…) or a byline (通讯员 唐骁 记者 余敏) is one line.
FLATTENED_CHARS = 150
_LINE_GAP = re.compile(r"(?<=[\u4e00-\u9fff）)》”])\s+(?=[\u4e00-\u9fff（(《“\d])")


def split_sentences(text: str) -> list[str]:
    """Sentences in order, each keeping its closing punctuation and quotes."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    if all(len(p) <= FLATTENED_CHARS for p in parts):
        return parts
    return [q for p in parts for q in (_LINE_GAP.split(p) if len(p) > FLATTENED_CHARS else [p]) if q]


def stem(word: str) -> str:
    """English plural to singular (companies -> company); anything else unchanged.

    Deliberately tiny: it only has to make a question's "funds" meet an
    answer's "fund", not be a linguist.
    """
    if not word.isascii() or not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def latin_words(text: str) -> list[str]:
    """The English words of normalised text, singular."""
    return [english_word(w) for w in _LATIN_WORD.findall(text)]


def english_word(token: str) -> str:
    """One English token as every matcher compares it: no outer hyphens or quotes, no possessive, singular."""
    return stem(_POSSESSIVE.sub("", token.strip("-'")))


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _pos_tokenizer(tokenizer: jieba.Tokenizer):
    """jieba's part-of-speech tagger over `tokenizer`. Importing jieba.posseg builds a tag table for the
    default dictionary (~35 MB), and a new POSTokenizer would build a second one from the same file; ours
    reads through to posseg's own and keeps only the park's words' tags (load_userdict) to itself.
    Imported here, not at the top: only a tokenizer needs the tables, not every process that imports
    this module for normalize() (Sanic's manager, the gateway)."""
    from jieba import posseg

    if tokenizer.dictionary != posseg.dt.tokenizer.dictionary:
        return posseg.POSTokenizer(tokenizer)
    tagger = posseg.POSTokenizer.__new__(posseg.POSTokenizer)  # its __init__ would read the file again
    tagger.tokenizer = tokenizer
    tagger.word_tag_tab = ChainMap({}, posseg.dt.word_tag_tab)
    return tagger


class Tokenizer:
    """jieba in search mode over normalised text, minus stopwords.

    Search mode also emits the shorter words inside a long one, so a question
    about 医疗器械 still meets a document that says 高端医疗器械.
    """

    def __init__(self, lexicon_dir: Path):
        self._jieba = jieba.Tokenizer()
        self.user_words: set[str] = set()
        for path in sorted((lexicon_dir / "jieba").glob("*.txt")):
            self._jieba.load_userdict(str(path))
            self.user_words |= {
                normalize(line.split()[0])
                for line in path.read_text("utf-8").splitlines()
                if line.strip() and not line.startswith("#")
            }
        self._pos = _pos_tokenizer(self._jieba)
        self.stopwords = frozenset(
            normalize(line.strip())
            for line in (lexicon_dir / "stopwords.txt").read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        )
        # English function words (as, so, such, through, under, own) as NLTK lists them, bundled by bm25s:
        # jieba tags every English word alike, so without a list each became a concept, and its
        # dictionary sense (as -> 作为, so -> 如此) weighed like a topic and ranked the passages that say it.
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        self.english_function_words = frozenset(STOPWORDS_EN_PLUS)
        # A question's synonym forms come from the lexicon and the thesaurus, so the same few thousand
        # recur from question to question: each is cut once (an ask tokenises ~20 of them).
        self.term_tokens = lru_cache(maxsize=32_768)(lambda term: tuple(self.tokens(term)))

    def _keep(self, word: str) -> bool:
        word = word.strip()
        return bool(word) and word not in self.stopwords and bool(_WORDLIKE.search(word))

    def _all_stop(self, word: str) -> bool:
        """能来 is 能 + 来: a word made only of stopwords frames the question too."""
        return len(word) > 1 and not word.isascii() and all(c in self.stopwords for c in word)

    def known(self, word: str) -> bool:
        """A word of jieba's general dictionary or of the park's."""
        return word in self.user_words or bool(self._jieba.FREQ.get(word))

    def frequency(self, word: str) -> int:
        """How often jieba's dictionary saw the word (0 when it has not)."""
        return self._jieba.FREQ.get(word) or 0

    def segment(self, text: str) -> list[str]:
        """jieba's precise cut of text as it is (no normalising, nothing dropped)."""
        return self._jieba.lcut(text)

    def words(self, text: str) -> list[str]:
        """Whole words (precise mode), minus stopwords."""
        return [stem(w.strip()) for w in self._jieba.lcut(normalize(text)) if self._keep(w)]

    def content_words(self, text: str, is_noun=None) -> list[str]:
        """The words that carry what a question is about: content parts of
        speech, minus stopwords. Numbers written in digits count (2027, 80%).
        is_noun(word) overrules jieba's tag where a word list knows better
        (jieba tags 进度 in 投资进度到多少了 as an adverb)."""
        kept = []
        text = QUESTION_PHRASE.sub(" ", A_NOT_A.sub(" ", normalize(text)))
        for word, flag in self._pos.cut(text):
            word = word.strip()
            if not self._keep(word) or interrogative(word) or self._all_stop(word):
                continue
            if word.isascii() and word.isalpha():
                if stem(word) in self.stopwords or word in self.english_function_words:  # companies: company
                    continue
                kept.append(stem(word))  # adverbs (exactly) are judged by the query (translate.is_adverb)
            elif _DIGITS.search(word) or ordinal_forms(word):
                kept.append(word)
            elif flag.startswith(CONTENT_POS) or (is_noun is not None and is_noun(word)):
                kept.append(word)
        return kept

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """jieba's words with their part of speech (m numeral, q measure word), for the unit a
        question asks its figure in (多少/名, 几栋)."""
        return [(w.word, w.flag) for w in self._pos.cut(normalize(text))]

    def tokens(self, text: str) -> list[str]:
        """Index and query tokens (search mode, with sub-words)."""
        return [stem(w.strip()) for w in self._jieba.lcut_for_search(normalize(text)) if self._keep(w)]


@lru_cache(maxsize=4)
def tokenizer_for(lexicon_dir: Path | None = None) -> Tokenizer:
    return Tokenizer(lexicon_dir or Settings.from_env().lexicon_dir)
