"""The knowledge base as the rest of the system sees it: load once, ask many times.

Actions and the gateway's degraded mode use only this: `KnowledgeBase.load()`
then `.ask(question)`. It also notices when a rebuild has swapped in a new
index directory and reloads, so staff uploads reach a running server. A
reload that fails (the directory vanished mid-read, a disk hiccup) keeps the
index already in memory answering and is tried again later: no question is
lost to a rebuild.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from . import answer_types, index as index_mod
from . import decide
from .decide import Verdict
from .answer import Answer, extract, frame, see_also
from .config import Settings
from .embed import encoder_for
from .lexicon_data import speller_for, synonyms_for
from .hits import Hit
from .retrieve import Parts, Query, Retriever
from .scope import places_for
from .text import tokenizer_for
from .thesaurus import EMPTY as NO_THESAURUS
from .thesaurus import thesaurus_for

log = logging.getLogger(__name__)
RELOAD_CHECK_S = 2.0
LOAD_ATTEMPTS = 3


class KnowledgeBase:
    def __init__(self, settings: Settings, parts: Parts = Parts(), learned: bool = True):
        self.settings = settings
        self.parts = parts  # all on in production; the evaluation's ablation turns one off
        self.decision = decide.load(settings.decision_model) if learned else None
        trained_with = self.decision.info.get("embedding_model") if self.decision is not None else None
        if trained_with and trained_with != settings.embedding_model:
            # The model reads the dense score, whose scale is the embedding model's own: its thresholds
            # were chosen for another one. It still decides, but staff should refit it.
            log.warning(
                "answer model fitted under another embedding model: run `python -m knowledge train-decision`",
                extra={"trained_with": trained_with, "embedding_model": settings.embedding_model},
            )
        self.reload_check_s = RELOAD_CHECK_S
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._retriever = self._open_with_retry()

    def _open(self) -> Retriever:
        from .embed import THREADS

        if THREADS > 0:
            index_mod.faiss.omp_set_num_threads(THREADS)  # one query at a time: spinning threads only cost
        loaded = index_mod.load(self.settings.index_dir, self.settings.embedding_model)
        tokenizer = tokenizer_for(self.settings.lexicon_dir)
        return Retriever(
            loaded,
            tokenizer,
            synonyms_for(self.settings.lexicon_dir),
            encoder_for(self.settings.embedding_model),
            rrf_k=self.settings.rrf_k,
            speller=speller_for(self.settings.lexicon_dir, tokenizer),
            window=self.settings.window_sentences,
            thesaurus=thesaurus_for(self.settings.lexicon_dir) if self.parts.thesaurus else NO_THESAURUS,
            places=places_for(self.settings.lexicon_dir),
            parts=self.parts,
        )

    def _open_with_retry(self) -> Retriever:
        """A rebuild may swap the link while we read; the next attempt sees the new one."""
        for attempt in range(LOAD_ATTEMPTS):
            try:
                return self._open()
            except index_mod.IndexUnusable:
                raise
            except (OSError, ValueError, RuntimeError):
                if attempt == LOAD_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    @classmethod
    def load(
        cls, settings: Settings | None = None, parts: Parts = Parts(), learned: bool = True, **overrides
    ) -> "KnowledgeBase":
        settings = settings or Settings.from_env()
        return cls(replace(settings, **overrides) if overrides else settings, parts=parts, learned=learned)

    @classmethod
    def build(
        cls, settings: Settings | None = None, force: bool = False, progress: bool = False, **overrides
    ) -> "KnowledgeBase":
        settings = settings or Settings.from_env()
        settings = replace(settings, **overrides) if overrides else settings
        index_mod.build(settings, force=force, progress=progress)
        return cls(settings)

    @property
    def manifest(self) -> index_mod.Manifest:
        return self._retriever.index.manifest

    @property
    def retriever(self) -> Retriever:
        return self._retriever

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.reload_check_s:
            return
        self._checked = now
        live = Path(self.settings.index_dir).resolve()
        if live == self._retriever.index.path or not (live / "manifest.json").exists():
            return
        with self._lock:
            if live == self._retriever.index.path:
                return
            try:
                self._retriever = self._open()
                log.info("knowledge index reloaded", extra={"index": str(live)})
            except Exception:  # keep answering from the index in memory
                log.warning(
                    "knowledge index reload failed; still answering from %s", self._retriever.index.path, exc_info=True
                )

    def search(self, question: str, top_k: int = 5, mode: str = "hybrid", rerank: bool = True) -> list[Hit]:
        self._maybe_reload()
        return self._retriever.search(question, top_k=top_k, mode=mode, rerank=rerank)

    def analyze(self, question: str) -> Query:
        """The concepts the question is taken to ask about, with their weights (for debugging)."""
        return self._retriever.analyze(question)

    def warm(self, mode: str = "hybrid") -> None:
        """Load now what answering in `mode` needs (the tokenizer's dictionary; for dense or hybrid,
        the embedding model), so the first question does not wait for it."""
        self._retriever.search("园区在哪里", top_k=1, mode=mode)
        self._retriever.search("Where is the park?", top_k=1, mode=mode)  # the dictionary for English
        self._retriever.translator.spelled("")  # the corpus's words in pinyin, for a name in English
        if self.decision is not None and "glossed" in self.decision.features:
            self._retriever.translator.glossed([], [])  # the definitions of the corpus's words (read_back)

    def ask(self, question: str, top_k: int = 5, mode: str = "hybrid") -> Answer:
        """An extractive (or curated FAQ) answer with its citation, or an abstention."""
        self._maybe_reload()
        retriever = self._retriever  # one index for the whole answer, even if a reload happens now
        query, hits = self.passages(question, top_k, mode, retriever)
        verdict = self.decide(query, hits)
        return self.respond(query, hits, verdict, retriever)

    def respond(self, query: Query, hits: list[Hit], verdict: Verdict, retriever: Retriever | None = None) -> Answer:
        """The reply to a query whose passages are found and whose decision is taken (training
        the decision asks what every answer would have been: a verdict that answers whatever)."""
        retriever = retriever or self._retriever
        if not (verdict.answers and hits):
            return self._declined(query, hits, verdict)
        adjacent = retriever.adjacent(hits[0]) if hits[0].category != "faq" else []
        names = (lambda text: answer_types.names_someone(retriever.tokenizer.tagged(text))) if query.asks_who else None
        said, sources = extract(hits, query, self.settings.answer_max_chars, adjacent, names)
        cited = sources[0].snippet if sources else said
        why = ""
        if self.parts.answer_types:
            unsaid = tuple(retriever.places.unsaid(query.text, hits[0].scope, said))
            # A name of its form (绿棠区, 产业园) the question asks about, that neither the answer nor the title
            # of its document says: 绿棠区项目总投资 is not answered by the park's 141亿元. (Places are unsaid's.)
            # So is a word of the question's own that no dictionary lists (美迪西, 获批): a name, mostly.
            text = f"{hits[0].title}\n{said}"
            named = decide.missing_names(query, text) + decide.missing_own_words(query, text, retriever.tokenizer)
            unsaid += tuple(dict.fromkeys(t for t in named if not retriever.places.mentions(t)))
            curated = hits[0].category == "faq"
            tagged = retriever.tokenizer.tagged
            answer = decide.Cited(cited, said, hits[0].text, hits[0].title, curated, hits[0].asks)
            why = decide.answer_gate(query, answer, tagged, unsaid)
        if why:
            return self._declined(query, hits, replace(verdict, answers=False, because=why))
        return Answer(
            text=frame(said, hits[0], query, retriever.places),
            sources=sources,
            confidence=verdict.confidence,
            abstained=False,
            hits=hits,
            related=True,
            threshold=verdict.threshold,
        )

    def _declined(self, query: Query, hits: list[Hit], verdict: Verdict) -> Answer:
        """An abstention, with the documents to point the tenant to (built only when declining)."""
        return Answer(
            text="",
            sources=[],
            confidence=verdict.confidence,
            abstained=True,
            hits=hits,
            related=bool(hits) and hits[0].confidence >= self.settings.min_confidence,
            see_also=see_also(hits, query),
            threshold=verdict.threshold,
            declined_because=verdict.because,
        )

    def passages(
        self, question: str, top_k: int = 5, mode: str = "hybrid", retriever: Retriever | None = None
    ) -> tuple[Query, list[Hit]]:
        """The question read, and its passages with the one the answer would come from first: what `ask`
        decides on, and what training and the forced answers ask of it."""
        retriever = retriever or self._retriever
        query = retriever.analyze(question)
        return query, self.candidates(query, retriever.search(question, top_k=top_k, mode=mode, query=query))

    def candidates(self, query: Query, hits: list[Hit]) -> list[Hit]:
        """The hits with the one the answer would come from first (decide.first_answerable)."""
        return decide.first_answerable(query, hits) if self.parts.answer_types else hits

    def decide(self, query: Query, hits: list[Hit]) -> Verdict:
        """The learned model's probability against its threshold (or the coverage against its own),
        unless a fact decides first (decide.gate: a phone number asked, none stated)."""
        if not hits:
            return Verdict(0.0, False, None, decide.reason("no_passage"))
        why = decide.gate(query, hits) if self.parts.answer_types else ""
        if why:
            return Verdict(0.0, False, None, why)
        if self.decision is None:
            threshold = self.settings.min_confidence
            return Verdict(hits[0].confidence, hits[0].confidence >= threshold, threshold)
        if "glossed" in self.decision.features:  # measured only for a model that reads it: ~1 ms a question
            hits[0].glossed = self._retriever.read_back(query, hits[0])
        values = decide.features(query, hits)
        probability, threshold = self.decision.probability(values), self.decision.threshold_for(values)
        return Verdict(probability, probability >= threshold, threshold)
