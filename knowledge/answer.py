"""Compose the bot's reply from retrieved passages: source sentences only.

The reply is extractive on purpose. Every character the user reads is a
character of a cited document, so the bot cannot state a figure, phone number
or policy detail that is not in its knowledge. The one exception is a curated
FAQ entry, which staff wrote to restate its source (a test checks every
figure and name against it): when it is the best match, it is the answer, as
written, in the question's language.

What is added around the source sentences is ours and says so: the place a
document applies to when it is not the park (【钱塘区】), and for an English
question a one-line English lead-in before the cited Chinese sentences.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from . import numbering
from .decide import STRICT_TYPES
from .query import Query
from .hits import Hit
from .scope import Places
from .structure import join
from .text import split_sentences
from .units import make_unit, run_head

_CLAUSE_END = re.compile(r"[,，、；;:：]")
SNIPPET_CHARS = 120
_REFERS_BACK = re.compile(r"^(?:会上|此外|其中|同时|与此同时|对此|为此|据此|此次|该|这一|这些|上述|在此基础上|另外)")
_PROSE_END = re.compile(r"[。！？；!?;][”’」』）)]*\s*$")
LIST_MAX_CHARS = 400  # a list is given whole up to here
# A sentence that announces a list, and the items that follow it.
_INTRODUCES = re.compile(r"[:：]\s*$|包括[:：]?$|如下|分别[为是]|主要有|具体(?:包括|如下)|以下")
# ASCII punctuation between Chinese characters, as some sites publish it: shown as Chinese.
_ASCII_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_CJK_NEAR_PUNCT = re.compile(
    r"(?<=[\u4e00-\u9fff”’）])\s*([,;:?!])\s*(?=[\u4e00-\u9fff“‘（A-Za-z\d])|"
    r"(?<=\d)\s*([,;:?!])\s*(?=[\u4e00-\u9fff“‘（])|"
    r"(?<=[\u4e00-\u9fff])\s*([()])|([()])\s*(?=[\u4e00-\u9fff])"
)


@dataclass
class Source:
    title: str
    publisher: str
    published: str
    url: str
    snippet: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    text: str
    sources: list[Source]
    confidence: float
    abstained: bool
    hits: list[Hit] = field(default_factory=list)
    # The documents discuss what was asked (the best passage covers most of it), even
    # when the bot will not state an answer: a park question, not an off-topic one.
    related: bool = False
    # An abstention's pointers: the documents the best passages come from (see_also()).
    # They are not citations of a fact: the bot says it has no answer, and offers these to read.
    see_also: list[Source] = field(default_factory=list)
    # What decided: the threshold the confidence was held against (None when a fact decided first),
    # and that fact when one declined (knowledge.decide: "no phone", "a plan, not what is").
    threshold: float | None = None
    declined_because: str = ""

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "sources": [s.to_dict() for s in self.sources],
            "confidence": round(self.confidence, 4),
            "threshold": None if self.threshold is None else round(self.threshold, 4),
            "declined_because": self.declined_because,
            "abstained": self.abstained,
            "related": self.related,
            "see_also": [s.to_dict() for s in self.see_also],
            "hits": [h.to_dict() for h in self.hits],
        }


def chinese_punctuation(text: str) -> str:
    """ASCII commas, colons and brackets between Chinese characters become Chinese ones."""

    def swap(match: re.Match) -> str:
        mark = next(g for g in match.groups() if g)
        return match.group(0).replace(mark, _ASCII_PUNCT[mark]).strip()

    return _CJK_NEAR_PUNCT.sub(swap, text)


def _fit(sentence: str, limit: int) -> str:
    """Shorten a long sentence at a clause boundary, never mid-word."""
    if len(sentence) <= limit:
        return sentence
    cut = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, limit)), default=0)
    return (sentence[: cut - 1] if cut > limit // 3 else sentence[: limit - 1]) + "…"


@dataclass(frozen=True)
class _Reading:
    """What one sentence says of the question, read once for scoring and for pruning."""

    covers: frozenset  # the question's terms the sentence covers
    states: bool  # it states the kind of answer asked for (True when none is asked)
    score: float


def _read(sentence: str, query: Query) -> _Reading:
    unit = make_unit(sentence)
    covered = [c for c in query.terms if unit.covers(c)]
    states = not query.wants or unit.states(query.wants)
    score = sum(c.weight for c in covered)
    if query.wants and states:
        score *= 1.5  # the sentence that states the figure asked for, not the one that introduces it
    return _Reading(frozenset(c.term for c in covered), states, score)


def _adding(kept: list[str], read: dict[str, _Reading]) -> list[str]:
    """The sentences that each say something of the question another does not: the row of a table for
    青梧区 goes when the next row covers 橙洲区 and 总建筑面积 both, and the sentence announcing an award
    when the next one says who founded it and names the award too. A sentence stating the kind of answer
    asked for (a figure, a date) stays unless the one covering it states one as well."""

    def redundant(s: str) -> bool:
        return any(
            other != s and read[s].covers < read[other].covers and (read[other].states or not read[s].states)
            for other in kept
            if not _INTRODUCES.search(other) and not _INTRODUCES.search(s)
        )

    return [s for s in kept if not redundant(s)] or kept


def _naming(kept: list[str], evidence: list[str], read: dict[str, _Reading], names) -> list[str]:
    """For a question asking who: the kept sentences, with the best other sentence of the place that names
    someone when none of them does (`names`: answer_types.names_someone over the tokenizer's tagging).
    开园…三期B区 matched the question most; the next sentence says who came."""
    if any(names(s) for s in kept):
        return kept
    naming = [s for s in evidence if s not in kept and read[s].score > 0 and names(s)]
    return kept + [max(naming, key=lambda s: read[s].score)] if naming else kept


def _labels_value(sentence: str, after: list[str], reading: _Reading, query: Query) -> bool:
    """The sentence is a field's label whose value is the next line (投资咨询热线 / 400-168-6016): a line
    without end punctuation that names what was asked and does not state the kind of answer asked for,
    followed by one that does. The value line shares no word with the question, so on its own it
    would never be chosen, and the label alone answers nothing."""
    return bool(
        query.wants
        and after
        and not reading.states
        and not _PROSE_END.search(sentence)
        and make_unit(after[0]).states(query.wants)
    )


def _position(hit: Hit) -> int:
    tail = hit.chunk_id.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else -1  # a document's card reads before its text


def _with_list(ordered: list[str], index: int, budget: int) -> list[int]:
    """A sentence that announces a list brings its items (as many as fit)."""
    taken, used = [index], len(ordered[index])
    for j in range(index + 1, len(ordered)):
        if not numbering.opens_item(ordered[j]) or used + len(ordered[j]) > budget:
            break
        taken.append(j)
        used += len(ordered[j])
    return taken


def extract(
    hits: list[Hit], query: Query, max_chars: int, adjacent: list[tuple[int, str]] = (), names=None
) -> tuple[str, list[Source]]:
    """The sentences of the place that decided the answer, as the document words them.

    The decision was taken on one place of the best passage (a window of
    adjacent sentences); the answer is that place, less any sentence that adds
    nothing the question asks about, plus the items of a list that a sentence
    announces. Only the best document is used, so one citation covers it all.
    What is left of the budget is filled with the sentences around them
    (`_in_context`); the source's snippet stays the answering sentences.
    """
    best = hits[0]
    if best.category == "faq":
        return best.text, [_source(best, best.text)]
    # The best document's passages among the first three, in document order: what the answer is cut from.
    own = sorted((_position(h), h.text) for h in hits[:3] if h.doc_id == best.doc_id and h.category != "faq")
    ordered = list(dict.fromkeys(s for _, text in own for s in split_sentences(text)))
    evidence = [s for s in (best.evidence or ordered[:1]) if s in ordered] or ordered[:1]
    # A clause inside a run of yearly targets (2025年达到1,500亿元；) is read with the run's first clause, as
    # retrieval read it: otherwise the first clause (到2020年全口径总产出达到500亿元) says more of the question.
    read = {s: _read(run_head(ordered, ordered.index(s)) + s, query) for s in evidence}
    scores = {s: r.score for s, r in read.items()}
    top = max(scores.values())
    kept = [s for s in evidence if scores[s] > 0 and (scores[s] >= top / 2 or len(evidence) == 1)] or evidence[:1]
    kept = _adding(kept, read)
    if query.asks_who and names is not None:
        kept = _naming(kept, evidence, read, names)
    groups = []
    for sentence in kept:
        i = ordered.index(sentence)
        groups.append(_with_list(ordered, i, LIST_MAX_CHARS) if _INTRODUCES.search(sentence) else [i])
        if _labels_value(sentence, ordered[i + 1 : i + 2], read[sentence], query):
            groups[-1].append(i + 1)
    is_list = any(len(group) > 2 and any(numbering.opens_item(ordered[j]) for j in group[1:]) for group in groups)
    budget = LIST_MAX_CHARS if is_list else max_chars
    # When not all of them fit, the sentences that say most of what was asked go first (the row of a
    # table that names the place asked about, not the row before it); the answer reads in document order.
    chosen: list[int] = []
    for group in sorted(groups, key=lambda g: -scores[ordered[g[0]]]):
        new = [j for j in group if j not in chosen]
        if chosen and sum(len(ordered[j]) for j in chosen + new) > budget:
            continue
        chosen.extend(new)
    text, used = [], 0
    for piece in (ordered[j] for j in sorted(chosen)):
        if used + len(piece) > budget:
            if not text:
                text.append(_fit(piece, budget))
            break
        text.append(piece)
        used += len(piece)
    core = _said(text)
    if not is_list:
        text = _in_context(text, own + list(adjacent), budget, set(evidence) - set(text))
    return _said(text), [_source(best, core)]


# A picture's note in a news page's text: （资料图）, （图：…会议现场。周其 摄）, which the sentence split cuts in
# two (its halves: an open note to the end of a sentence, a close that starts one). It states no fact of the
# article, and an answer that opens with （资料图） reads as a copied page.
_PICTURE_NOTE = re.compile(
    r"[（(](?:[图圖][:：]|资料图|資料圖)[^（）()]*(?:[）)]|$)|[（(][^（）()]{0,40}[摄攝]\s*[）)]|^[^（）()]{0,40}[摄攝]\s*[）)]"
)


def _said(sentences: list[str]) -> str:
    """The sentences as the tenant reads them: Chinese punctuation, no picture notes (a field or a list item
    without end punctuation keeps its line). A note that is all the answer has stays: better it than nothing."""
    kept = [t for t in (_PICTURE_NOTE.sub("", s).strip() for s in sentences) if t]
    return chinese_punctuation(join(kept or sentences))


_ROW_LABEL = re.compile(r"^\s*[-*]?\s*([\u4e00-\u9fff]{1,6})[：:]")


def _row_label(sentence: str) -> str:
    """The label a table row rendered as text opens with (园区：…, 阶段：…), or ''."""
    m = _ROW_LABEL.match(sentence)
    return m.group(1) if m else ""


def _opens_part(sentence: str) -> bool:
    """The sentence starts a numbered part: a heading (（二）重点领域。, 五、政策包括哪些具体条款？) or a
    numbered paragraph. An entry of an enumeration (1. 申请表（附件1）；2. 基本情况简介；) does not: its
    neighbours are the same list."""
    return numbering.opens_part(sentence) and not sentence.rstrip().endswith(("；", ";"))


def _in_context(core: list[str], passages: list[tuple[int, str]], budget: int, left_out: set[str]) -> list[str]:
    """The answering sentences with the ones after them (then before them) while the budget lasts:
    sentences of prose only (not a heading, a field, a table row or a reposting site's
    时间：… | 来源： line), never past a sentence the answer left out (the row on another
    district: extract chose without it), and never ending on the next part's heading. A document
    often states the figure one sentence after the one that matched the question (所需资金…,
    其中市级财政…). Sentences that are not one run in the document stay as they are."""
    doc, where = [], []
    for position, text in sorted(p for p in passages if p[0] >= 0):
        for sentence in split_sentences(text):
            if sentence not in doc:
                doc.append(sentence)
                where.append(position)
    # Passages overlap: a heading that ends one (三个新园区的情况如下：) may open the next one's sentence.
    kept = [i for i, s in enumerate(doc) if not any(s != other and s in other for other in doc)]
    doc, where = [doc[i] for i in kept], [where[i] for i in kept]
    if not core or any(s not in doc for s in core):
        return core
    lo, hi = doc.index(core[0]), doc.index(core[-1])
    if doc[lo : hi + 1] != core:
        return core
    used = sum(map(len, core))
    labels = {_row_label(s) for s in core} - {""}  # 园区：青梧区，…: the next 园区：橙洲区 row is another record

    def fits(i: int, j: int, pointed: bool = False) -> bool:  # sentence j may join next to sentence i
        return (
            0 <= j < len(doc)
            and abs(where[j] - where[i]) <= 1
            and (pointed or doc[j] not in left_out)
            and _PROSE_END.search(doc[j])
            and used + len(doc[j]) <= budget
            and not (_row_label(doc[j]) and _row_label(doc[j]) in labels)
        )

    # A sentence that opens by pointing back (会上, 其中, 这一综合体) is read with the one it points to
    # first, even one extract left out: an answer that starts 会上，… does not say which meeting.
    if _REFERS_BACK.match(core[0]) and fits(lo, lo - 1, pointed=True):
        lo -= 1
        used += len(doc[lo])
    end = hi
    while True:
        if fits(hi, hi + 1):
            hi += 1
            used += len(doc[hi])
        elif fits(lo, lo - 1):
            lo -= 1
            used += len(doc[lo])
        else:
            break
    # The answer does not end on the heading of the part after it (（二）重点领域。 五、政策包括哪些具体条款？):
    # a heading says what follows, and nothing of that part follows.
    while hi > end and _opens_part(doc[hi]):
        hi -= 1
    return doc[lo : hi + 1]


def frame(text: str, hit: Hit, query: Query, places: Places | None) -> str:
    """Name the place of a document that is not about the park; lead an English reply in English."""
    foreign = places is not None and places.foreign(hit.scope)
    if query.english:
        if hit.category == "faq" and text == hit.text and not _has_cjk_only(text):
            return text  # a curated English answer
        where = f" about {places.label(hit.scope, english=True)}" if foreign and places else ""
        date = f", {hit.published}" if hit.published else ""
        return f"From {hit.publisher}{date}{where} (in Chinese): {text}"
    if foreign and places is not None:
        return f"【{places.label(hit.scope)}】{text}"
    return text


def _has_cjk_only(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not re.search(r"[A-Za-z]{3,}", text)


def _source(hit: Hit, text: str) -> Source:
    return Source(
        title=hit.title,
        publisher=hit.publisher,
        published=hit.published,
        url=hit.url,
        snippet=_fit(text, SNIPPET_CHARS),
    )


SEE_ALSO_DOCUMENTS = 2
# A passage must cover a fifth of the question (weighted by rarity) to be worth reading: below that
# it shares a word like 园区 and nothing else. On the dev sets this floor kept the answering document
# in the list for 93-94 % of the declined answerable questions (102/110, 137/145) and listed nothing
# for 28 of 156 unanswerable ones, against 95-97 % and none without it.
SEE_ALSO_FLOOR = 0.2


def see_also(hits: list[Hit], query: Query, limit: int = SEE_ALSO_DOCUMENTS) -> list[Source]:
    """The documents of the best passages, for a question the bot will not answer.

    Retrieval already kept only documents that apply to the place asked about, and in
    the dev sets the document holding the answer was among the first two for 93 % of
    the answerable questions the bot declined. A declined tenant can read the source
    instead of waiting for staff. No snippet: an excerpt under "no answer" would read
    as one. Curated FAQ entries are answers, not documents to read, and stay out.

    A question for a phone number gets none: contact details are what staff give, and
    the numbers in documents are their publishers' or a reposting site's (a newsroom
    hotline), never the park's. A question for a 文号, a date or a sum is pointed only
    to passages that state one (decide.gate's strict types).
    """
    if query.wants == "phone":
        return []
    out: dict[str, Source] = {}
    for hit in hits:
        if hit.category == "faq" or hit.doc_id in out:
            continue
        if hit.confidence < SEE_ALSO_FLOOR and hit.doc_id not in query.documents:
            continue  # (a document the question names by its 文号 is worth reading whatever it shares)
        if query.wants in STRICT_TYPES and not hit.typed:
            continue
        out[hit.doc_id] = Source(
            title=hit.title, publisher=hit.publisher, published=hit.published, url=hit.url, snippet=""
        )
        if len(out) == limit:
            break
    return list(out.values())
