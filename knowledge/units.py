"""The places in a passage that may answer a question on their own.

Facts scattered over a long passage do not answer a question together, so
coverage is measured per place: a window of adjacent sentences (with the
document's title and section heading), or one language of a curated FAQ entry.
What the sparse and dense indexes see of a row (match_text) lives here too, so
the index builder and the retriever read one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import answer_types, years
from .lexicon_data import is_latin, latin_key
from .query import Concept
from .structure import headings_along
from .text import has_cjk, latin_words, normalize, split_sentences

# Punctuation that may sit inside a name (招、投、管、服 ; “6+1”) and that a
# question typed in a hurry leaves out.
INNER_PUNCT = re.compile(r"[、“”‘’\"'《》〈〉()（）·\s]")
WINDOW_SENTENCES = 2
FOCUS_WINDOW = 24  # characters between what is asked about and the figure that answers it
FOCUS_MIN_SHARE = 0.25  # a focus concept lighter than this share of the heaviest is the park's name, not a focus


@lru_cache(maxsize=65_536)
def _form_key(form: str) -> tuple[bool, str, str]:
    """How a concept's form is looked for: (English, its whole-word key or the form, the form without inner
    punctuation). Every question checks each form against every place of every candidate row (~1,000
    checks an ask), and a question's forms repeat, so they are worked out once, not per check."""
    if is_latin(form):
        return True, latin_key(form), ""
    return False, form, INNER_PUNCT.sub("", form)


_PUBLISHED = re.compile(r"(\d{4})-")
_POINTS_TO_YEAR = re.compile(r"当年|同年|去年|上年|前年|次年|往年")  # another year than its date


def _find_all(text: str, needle: str) -> list[int]:
    out, at = [], text.find(needle)
    while at >= 0:
        out.append(at)
        at = text.find(needle, at + 1)
    return out


@dataclass
class Unit:
    """One place in a passage that may answer a question on its own."""

    text: str  # normalised, for Chinese substrings
    latin: str  # space-padded singular English words, for whole-word matches
    compact: str  # text without inner punctuation
    parts: list["Unit"] = field(default_factory=list)  # its sentences, for the answer-type check
    lang: str = ""  # "zh" or "en" for one language of a bilingual FAQ entry; "" matches any question
    asks: frozenset = frozenset()  # answer types its FAQ question variants ask for: staff answered those
    sentences: tuple = ()  # the raw sentences it spans, for the answer
    context: "Unit | None" = None  # what names it: title, 文号 and the heading it stands under
    section: "Unit | None" = None  # the heading alone (基地二期), for what its lines are about

    def covers(self, concept: Concept) -> bool:
        if concept.kind != "term":
            return any(part.states(concept.kind) for part in self.parts or [self])
        return any(self.has(f) for f in concept.forms)

    def has(self, form: str) -> bool:
        latin, key, compact = _form_key(form)
        if latin:
            return key in self.latin
        return key in self.text or compact in self.compact

    def states(self, kind: str, named: frozenset = frozenset()) -> bool:
        return answer_types.states(kind, self.text, named)

    def states_near(
        self, kind: str, concept: Concept, within: int = FOCUS_WINDOW, named: frozenset = frozenset()
    ) -> bool:
        """The answer type stated within `within` characters of a form of the concept."""
        spots = [i for f in concept.forms if f and not is_latin(f) for i in _find_all(self.text, f)]
        if not spots:
            return False
        return any(abs(m.start() - at) <= within for m in answer_types.matches(kind, self.text, named) for at in spots)

    def answers_type(
        self, kind: str, concepts: list[Concept], focus: tuple = (), named: frozenset = frozenset()
    ) -> bool:
        """A sentence states the figure (or date, or number) next to the thing asked about:
        within a few characters of a concept at the question word (the focus), else (no
        focus) in a sentence with the heaviest of the concepts the unit mentions. The focus
        leaves out the park's own name, which every sentence is about. A figure the question names
        itself (`named`: 2025 in 2025年第一次例会是哪天) is context, not the answer."""
        if kind in self.asks:
            return True
        parts = self.parts or [self]
        heaviest = max((c.weight for c in concepts), default=0.0)
        focus = tuple(
            c
            for c in focus
            if c.weight > 0 and c.weight >= FOCUS_MIN_SHARE * heaviest and any(not is_latin(f) for f in c.forms)
        )  # an untranslated English word has no place to be near
        if focus:
            if any(part.states_near(kind, c, named=named) for part in parts for c in focus):
                return True
            # A section's heading names what its lines are about: under 基地二期, the line 集聚情况：近300家
            # 生物医药领域创新企业 gives 二期's count, though 二期 is nowhere near the figure. The line must still
            # say something of the question itself. (Not the title: it names every line of the document.)
            headed = self.section is not None and any(self.section.covers(c) for c in focus)
            return headed and any(part.states(kind, named) and any(part.covers(c) for c in concepts) for part in parts)
        mentioned = [c for c in concepts if c.weight > 0 and any(part.covers(c) for part in parts)]
        anchor = max(mentioned, key=lambda c: c.weight, default=None)
        return any(part.states(kind, named) and (anchor is None or part.covers(anchor)) for part in parts)


def make_unit(text: str, answer_sentences: list[str] | None = None) -> Unit:
    norm = normalize(text)
    unit = Unit(text=norm, latin=" " + " ".join(latin_words(norm)) + " ", compact=INNER_PUNCT.sub("", norm))
    if answer_sentences is not None:
        unit.parts = [make_unit(sentence) for sentence in answer_sentences]
        unit.sentences = tuple(answer_sentences)
    return unit


def units_of(row: dict, window: int = WINDOW_SENTENCES) -> list[Unit]:
    """The places of one indexed row: sentence windows, or an FAQ entry per language.

    Curated answers are focused, so an FAQ answer counts as one sentence for
    the answer-type check; and an entry whose question variants ask for a
    figure or date was written to answer exactly that (园区的招商热线是多少？
    answered with "leave your contact details"), so it passes the check.
    """
    if row.get("category") == "faq":
        questions = row.get("questions", [])
        zh_questions = [q for q in questions if has_cjk(q)]
        en_questions = [q for q in questions if not has_cjk(q)]
        units = []
        if row.get("text_en"):
            units.append(make_unit("\n".join([*en_questions, row["text_en"]]), [row["text_en"]]))
            units[-1].lang = "en"
            if row.get("text"):
                units.append(make_unit("\n".join([*zh_questions, row["text"]]), [row["text"]]))
                units[-1].lang = "zh"
        else:  # a staff FAQ document: one language, whatever it is
            units.append(make_unit("\n".join([*questions, row["text"]]), [row["text"]]))
        for unit in units:
            own = en_questions if unit.lang == "en" else zh_questions if unit.lang == "zh" else questions
            unit.asks = frozenset(filter(None, (answer_types.asked(q) for q in own)))
        return units
    sentences = split_sentences(row["text"]) or [row["text"]]
    # A passage is read with what names it: the document's title and 文号 (a question citing
    # 杭政办函〔2021〕39号 is about every passage of it), the place it applies to (滨江那边BT+IT项目… is
    # about every passage of a 滨江区 policy whose rows never say 滨江), and the heading each window
    # stands under.
    named = " ".join(filter(None, (row["title"], row.get("doc_number", ""), row.get("scope", ""))))
    headings = headings_along(row.get("heading", ""), sentences, row["text"])
    starts = [0] if window <= 0 or len(sentences) <= window else range(len(sentences) - window + 1)
    spans = [(headings[i], sentences[i : i + window] if window > 0 else sentences) for i in starts]
    contexts: dict[str, tuple[Unit, Unit | None]] = {}  # the windows of one section share them
    published = _PUBLISHED.match(row.get("published") or "")
    units = []
    for start, (heading, span) in zip(starts, spans):
        own = "".join(span)
        when = _as_of(published, own)
        lead = run_head(sentences, start)
        units.append(make_unit(f"{_lent(named, own)}\n{heading}\n{lead}{own}{when}", span))
        if heading not in contexts:
            contexts[heading] = (make_unit(f"{named}\n{heading}"), make_unit(heading) if heading.strip() else None)
        units[-1].context, units[-1].section = contexts[heading]
    return units


# A clause that opens with a year (2025年达到1,500亿元；) after a clause ending in ；
_YEAR_FIRST = re.compile(r"^\s*(?:到|至)?\s*(?:19|20)\d{2}\s*年")


def run_head(sentences: list[str], start: int) -> str:
    """The clause a run of targets by year starts with, for a window that opens inside the run:
    预计到2020年全口径总产出达到500亿元；2025年达到1,500亿元；2030年达到3,000亿元； says what reaches 3,000
    only in its first clause, and a window holding the 2030 clause alone was about nothing the question
    asked (总产出). '' when the window does not open on such a clause."""
    if start == 0 or not _YEAR_FIRST.match(sentences[start]):
        return ""
    head = start
    while head > 0 and sentences[head - 1].rstrip().endswith(("；", ";")):
        head -= 1
    return sentences[head] if head < start else ""


# Items a title lists (突破性治疗药物、附条件批准、优先审评审批、特别审批): runs set off by 、.
_LISTED = re.compile(r"[^、，,。；;：:（）()\s《》“”\"]+(?:、[^、，,。；;：:（）()\s《》“”\"]+)+")


def _lent(named: str, own: str) -> str:
    """What names a passage, with a list in its title cut to the items the passage names, when it names
    any. A title listing what the document compares (药品加快上市注册程序（突破性治疗药物、附条件批准、
    优先审评审批、特别审批）对比表) names the document, not each of its rows: the row on priority review is
    not about the breakthrough procedure, and 突破性治疗药物程序的审评时限 got its 130 days."""

    def cut(listed: re.Match) -> str:  # called only for a title with a list: most have none
        text = normalize(own)
        items = listed.group().split("、")
        said = [item for item in items if normalize(item) in text]
        return "、".join(said) if said else listed.group()

    return _LISTED.sub(cut, named)


def _as_of(published: re.Match | None, text: str) -> str:
    """The date a place speaks as of, when it gives none of its own: 杭州2018年的实施意见 is every passage
    of a policy published in 2018 that says 目前, 到2022年 or nothing. A place naming an earlier year
    (2017年…增长21.2%) or pointing to one (当年, 去年) keeps its own; a later year is what it plans for
    (到2022年), not when it speaks. Not the month: the 5 of 5#地块 is no May."""
    if not published or _POINTS_TO_YEAR.search(text):
        return ""
    year = published.group(1)
    if any(named < int(year) for named in years.years_named(text)):
        return ""
    return f"（{year}年）"


def match_text(row: dict) -> str:
    """What the sparse and dense indexes see of a row."""
    if row.get("category") == "faq":
        return "\n".join([*row.get("questions", []), row["text"], row.get("text_en", "")])
    return f"{row['title']}\n{row.get('heading', '')}\n{row['text']}"
