"""Answer or decline: a small learned model over what retrieval measured.

A hand-tuned coverage threshold was right only on the text it was tuned on:
everyday words no document uses sank good answers, and partial matches on
another topic were stated with a citation. Here the decision is a forest of
randomised trees (knowledge/forest.py) over scale-free signals of the best passage (coverage with and without
the words no document knows, the answer type, margins, verbatim overlap, the
dense score), trained on the dev questions by `python -m knowledge
train-decision` and stored as data (knowledge/learned/answerability.json) with
the thresholds that kept wrong answers at or under 0.5 % of the dev questions in
cross-validation. Without a model file the coverage threshold decides.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import answer_types, articles, containers, years
from .answer_types import NAMES_A_NUMBER
from .forest import Forest
from .query import Query
from .hits import Hit
from .units import FOCUS_MIN_SHARE, INNER_PUNCT, make_unit
from .text import HAN_RUN, normalize

FEATURES = (
    "coverage",
    "known_coverage",
    "unknown_share",
    "framing_words",
    "terms",
    "wants_type",
    "type_missing",
    "margin",
    "phrase",
    "bigrams",
    "dense",
    "faq",
    "english",
    "other_place",
    "main_covered",
    "numbers_missing",
    "english_unknown",
    "sentence",
    "max_uncovered",
    "bm25_agrees",
    "unit_bigrams",
    "faq_coverage",
    "faq_bigrams",
    "english_coverage",
    "glossed",
)


def _bigrams(text: str) -> set[str]:
    out = set()
    for run in HAN_RUN.findall(INNER_PUNCT.sub("", text)):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def features(query: Query, hits: list[Hit]) -> dict[str, float]:
    """The signals of the best hit, each in [0, 1] or a small count."""
    terms = query.terms
    total = sum(c.weight for c in terms) or 1.0
    if not hits:
        return {name: 0.0 for name in FEATURES}
    top = hits[0]
    covered = set(top.covered)
    known = [c for c in terms if c.known]
    known_total = sum(c.weight for c in known) or 1.0
    unknown = [c for c in terms if not c.known and not c.frames]
    main = max(terms, key=lambda c: c.weight, default=None)
    other = next((h.confidence for h in hits[1:] if h.doc_id != top.doc_id), 0.0)
    asked = _bigrams(query.text)
    passage = _bigrams(top.text)
    unit_bigrams = len(asked & _bigrams(top.best_unit)) / len(asked) if asked else 0.0
    compact = len(INNER_PUNCT.sub("", query.text)) or 1
    return {
        "coverage": top.confidence,
        "known_coverage": sum(c.weight for c in known if c.term in covered) / known_total,
        "unknown_share": sum(c.weight for c in unknown) / total,
        "framing_words": float(sum(c.frames for c in terms)),
        "terms": math.log1p(len(terms)),
        "wants_type": float(bool(query.wants)),
        "type_missing": float(bool(query.wants) and not top.typed),
        "margin": top.confidence - other,
        "phrase": min(top.phrase / compact, 1.0),
        "bigrams": len(asked & passage) / len(asked) if asked else 0.0,
        "dense": top.dense,
        "faq": float(top.category == "faq"),
        "english": float(query.english),
        "other_place": float(bool(query.places)),
        "main_covered": float(main is not None and main.term in covered),
        # A year or figure the question names (2023年, 第二期) that the passage does not: another year's fact.
        "numbers_missing": float(bool(_numbers_missing(query, top))),
        "english_unknown": sum(c.weight for c in unknown) / total if query.english else 0.0,
        "sentence": top.sentence,
        "max_uncovered": max((c.weight for c in terms if c.term not in covered), default=0.0) / total,
        # BM25 agrees with the coverage ranking: the best passage is also the best lexical match.
        "bm25_agrees": float(top.bm25 >= max(h.bm25 for h in hits)),
        "unit_bigrams": unit_bigrams,
        # A curated entry's question variants were written for exactly this: its match means more.
        "faq_coverage": top.confidence if top.category == "faq" else 0.0,
        "faq_bigrams": unit_bigrams if top.category == "faq" else 0.0,
        # Bigram overlaps are Chinese-only and zero for every English question: coverage of the
        # translated concepts is what an English question has instead.
        "english_coverage": top.confidence if query.english else 0.0,
        # The English counterpart of the bigram overlaps: how much of the question the passage's own
        # words read back (Translator.glossed), where the translation kept other senses than it uses.
        "glossed": top.glossed if query.english and top.category != "faq" else 0.0,
    }


# Answer types a passage must state for its answer to be one: a phone number, a street address, a 文号, a
# date or a sum of money is there or it is not, and no other wording answers for it (a count does; see gate).
STRICT_TYPES = ("phone", "address", "doc_number", "date", "amount")

# Why a fact declined, as logs, `ask --json` (declined_because) and staff's hit testing read it: one
# English form per reason, {} for what the question named. The console says each in Chinese
# (bot/console/verdicts.py), and a test checks that it knows every one of these.
DECLINE_REASONS = {
    "no_passage": "no passage",
    "no_type": "no {}",  # phone, address, doc_number, date, amount
    "no_figure_in": "no figure in {}",
    "not_about": "not about {}",
    "no_list": "no list",
    "only_an_item": "names {} only as an item",
    "no_one": "names no one",
    "only_plans": "a plan, not what is",
    "opposite_case": "the opposite case",
}


def reason(code: str, named: str = "") -> str:
    return DECLINE_REASONS[code].format(named)


def gate(query: Query, hits: list[Hit]) -> str:
    """Why the best passage cannot answer, whatever the model says ('' when it may): it lacks the kind
    of answer asked for (a 文号, a date, a sum of money), the unit the figure is asked in (多少名 is
    not answered by a figure in 家), the year or period the question names, or the document it quotes by
    title (《…》). A learned weight only lowers a probability; these are facts."""
    if not hits:
        return reason("no_passage")
    top = hits[0]
    titled = answer_types.titles_missing(query.text, top.title, top.text)
    if titled:
        return reason("not_about", titled[0])  # 《若干举措》 is not answered from the 若干意见's record
    if top.category == "faq":
        # Staff wrote the answer for these questions, and its variants say what it answers; but not for
        # a year or figure the question names that neither its variants nor its answer say: 截至2025年9月…
        # is not answered by a 2024 release's 31个重点项目. (The kind of answer is answer_gate's: declined
        # there, the question is not handed to a weaker passage.)
        missing = _numbers_missing(query, top)
        return reason("not_about", missing[0]) if missing else ""
    if query.wants in STRICT_TYPES and not top.typed:
        return reason("no_type", query.wants)
    if query.measure and not answer_types.states_measure(query.measure, top.best_unit or top.text):
        return reason("no_figure_in", query.measure)
    named = (
        articles.missing(query.text, top.text)
        or answer_types.quantities_missing(query.text, top.text)
        or _numbers_missing(query, top)
    )
    if named:
        # 2023年's figure is not 2024年's; 第二期 is not 首期; 5亿元 is not 10亿元以上
        return reason("not_about", named[0])
    return ""


def _numbers_missing(query: Query, top: Hit) -> list[str]:
    """The years and periods the question names (2023年, 第二期) that the passage does not cover. A numbered
    article (第3项, 第二部分) is articles.missing's, which reads it in the passage's own numbering (3. or 三、)."""
    covered = set(top.covered)
    referred = "".join(articles.references(query.text))
    return [
        c.term
        for c in query.terms
        if NAMES_A_NUMBER.search(c.term) and c.term not in covered and c.term not in referred
    ]


@dataclass(frozen=True)
class Cited:
    """An answer as the answer rules read it: the sentences it cites (`text`), all it would say (`said`:
    those and the sentences around them; `text` when empty), the passage they come from, its document's
    title, whether staff wrote it (a curated entry) and the kinds of answer its variants ask for (asks)."""

    text: str
    said: str = ""
    passage: str = ""
    title: str = ""
    curated: bool = False
    asks: tuple = ()


def answer_gate(query: Query, answer: Cited, tagged=None, unsaid: tuple = ()) -> str:
    """Why the sentences an answer would cite do not answer ('' when they do).

    - A question for a kind of answer (a phone number, a date, a sum, a figure: query.wants) or a figure
      in a unit (多少亿: query.measure) is not answered by an answer that states none (`Cited.said`). A
      curated entry is held to the kind only when its variants do not ask for it (`Cited.asks`, Unit.asks:
      asked 招商热线是多少, staff may answer "leave your details"; the location entry gives no hotline), and
      always to the unit (不少于2支 does not say 多少亿).
    - A question asking for the members of a set (哪些, 哪两个) is not answered by sentences that name
      none, nor one about what is now (目前, 入驻了) by sentences that only state a plan (将, 到2027年),
      nor one about the negated case (不需要核查) by sentences on the positive one only. The plan and the
      negation hold for a curated answer too: staff wrote the park's 2027 target, not how many firms are
      there today. A curated answer may describe a list in its own words, so the list rule is for
      documents, and so are the next two.
    - A question for who (谁) is answered by sentences naming a person or an organisation (`tagged`: the
      tokenizer's part-of-speech tagging, answer_types.names_someone), and a question naming one of
      several like-named things (橙洲区) not by sentences about another (青梧区, answer_types.stands_in).
    - A question naming a place (滨江) answered from the document of a place it lies in (杭州市) is
      answered only by sentences that name it (`unsaid`: the named places they do not,
      scope.Places.unsaid).
    - A question for another year than the document's (its title, years.other_years), or for a numbered
      article (第2条) the cited sentences are not in (the passage, articles.not_cited), is not answered.
    """
    if unsaid:
        return reason("not_about", unsaid[0])
    said, cited, curated = answer.said or answer.text, answer.text, answer.curated
    other = [] if curated else years.other_years(query.text, said, answer.title)
    if other:
        return reason("not_about", f"{other[0]}年")  # 2025年 asked, the answer's figures are 2024年's
    article = articles.not_cited(query.text, answer.passage, cited) if answer.passage else []
    if article:
        return reason("not_about", article[0])  # 第2条 asked, the sentence cited is row 序号：1's
    if query.wants and query.wants not in answer.asks and not answer_types.STATES[query.wants].search(normalize(said)):
        return reason("no_type", query.wants)
    if query.measure and not answer_types.states_measure(query.measure, said):
        return reason("no_figure_in", query.measure)  # 多少亿 is not answered by 2支
    if query.wants in ("number", "amount") and answer_types.restates_given(query.text, cited):
        return reason("no_type", query.wants)  # 26个项目里…有几个, answered with the 26个 it starts from
    inside = containers.only_an_item(query, said)
    if inside:
        return reason("only_an_item", inside)  # 专家智库里有哪些专家, answered 包括专家智库、峰会活动…
    pair = bool(answer_types.ASKS_PAIR.search(query.text))
    if not curated and query.asks_list and not answer_types.enumerates(cited, pair):
        return reason("no_list")
    if not curated and tagged is not None:
        missing = missing_names(query, cited)
        if query.asks_who or missing:
            words = tagged(cited)  # ~0.3 ms, so only when one of the two rules can apply
            if query.asks_who and not answer_types.names_someone(words):
                return reason("no_one")
            named = next((t for t in missing if answer_types.stands_in(t, [w for w, _ in words], query.text)), "")
            if named:
                return reason("not_about", named)  # 橙洲区 asked, the sentences are 青梧区's
    if answer_types.asks_current(query.text) and answer_types.only_plans(cited):
        return reason("only_plans")
    if answer_types.opposite_case(query.text, cited):
        return reason("opposite_case")  # 不需要核查 asked, only 需要核查 stated
    return ""


def missing_names(query: Query, cited: str) -> list[str]:
    """The question's main terms of a like-named form (橙洲区) that the cited sentences do not say: each is
    declined if a word of its form (青梧区) stands there instead (answer_types.stands_in)."""
    heaviest = max((c.weight for c in query.terms), default=0.0)
    named = [c for c in query.terms if c.weight >= FOCUS_MIN_SHARE * heaviest and answer_types.like_named(c.term)]
    if not named:
        return []  # most questions: no sentence to read
    said = make_unit(cited)  # read as coverage reads a passage: 县市区 is said by 各县（市、区）
    return [c.term for c in named if not any(f and said.has(f) for f in (c.term, *c.forms))]


def missing_own_words(query: Query, said: str, tokenizer) -> list[str]:
    """The question's words that the documents use and no dictionary lists (names: 美迪西, 速博雷尔, 和达;
    the field's own words: 获批, 代建) that the answer does not say: 美迪西杭州中心是哪年开业的 is not answered
    by the park's opening. A word that starts or ends with a stopword (来建, 区能) is jieba's cut, not one."""
    own = [
        c
        for c in query.terms
        if c.source == "word"
        and c.known
        and len(c.term) >= 2
        and HAN_RUN.fullmatch(c.term)
        and not tokenizer.known(c.term)
        and c.term[0] not in tokenizer.stopwords
        and c.term[-1] not in tokenizer.stopwords
    ]
    if not own:
        return []
    unit = make_unit(said)
    return [c.term for c in own if not unit.covers(c)]


def first_answerable(query: Query, hits: list[Hit], depth: int = 3) -> list[Hit]:
    """The hits with the best of the first `depth` that the gate lets through moved to the front:
    when the best-covering passage lacks the date or figure asked for, the next one may state it.
    Unchanged when none does (then the gate declines)."""
    for i, hit in enumerate(hits[:depth]):
        if not gate(query, [hit]):
            return [hit] + hits[:i] + hits[i + 1 :] if i else hits
    return hits


@dataclass(frozen=True)
class Verdict:
    """Answer or not, and on what: the confidence held against a threshold, or the fact that decided
    without one (a gate's reason). Staff's hit testing shows exactly this, so it must be what applied."""

    confidence: float
    answers: bool
    threshold: float | None = None  # None: a fact decided before any probability was taken
    because: str = ""  # why a fact declined (gate or answer_gate), '' when the threshold decided


ANSWER_ANYWAY = Verdict(0.0, True)  # what answering would have said: training and evaluation ask it


@dataclass
class Decision:
    """P(the best passage answers) from a forest of trees over the features (knowledge/forest.py),
    and the thresholds that turn it into answer or decline."""

    features: tuple[str, ...]
    forest: Forest
    threshold: float  # for a sentence from a document
    info: dict
    curated_threshold: float | None = None  # for a curated FAQ answer; None: the same as threshold

    @staticmethod
    def curated(values: dict[str, float]) -> bool:
        """The answer would be a curated FAQ entry (its own threshold), not a sentence from a document."""
        return values.get("faq", 0.0) > 0

    def threshold_for(self, values: dict[str, float]) -> float:
        if self.curated_threshold is not None and self.curated(values):
            return self.curated_threshold
        return self.threshold

    def probability(self, values: dict[str, float]) -> float:
        return self.forest.probability(np.array([values.get(name, 0.0) for name in self.features], dtype=float))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "threshold": self.threshold,
            "curated_threshold": self.curated_threshold,
            "info": self.info,
            **self.forest.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Decision":
        return cls(
            features=tuple(data["features"]),
            forest=Forest.from_json(data),
            threshold=float(data["threshold"]),
            info=dict(data.get("info", {})),
            curated_threshold=None if data.get("curated_threshold") is None else float(data["curated_threshold"]),
        )


def load(path: Path | None) -> Decision | None:
    """The model at path, or None (then the coverage threshold decides)."""
    if path is None or not Path(path).exists():
        return None
    data = json.loads(Path(path).read_text("utf-8"))
    if "trees" not in data:
        raise ValueError(
            f"{path}: not a forest model (an older format?): refit it with `python -m knowledge train-decision`"
        )
    missing = [f for f in data.get("features", []) if f not in FEATURES]
    if missing:
        raise ValueError(f"{path}: the model uses features this code does not compute: {', '.join(missing)}")
    return Decision.from_json(data)
