"""Park knowledge: ingest documents, index them, retrieve and answer with citations.

This package knows nothing of Rasa or Flask; actions and the gateway call
`KnowledgeBase.load().ask(question)`.

The names below are imported on first use: the gateway's console reads and
ingests documents (knowledge.documents, knowledge.ingest) without loading the
retrieval stack (numpy, FAISS, BM25, jieba), which would cost each web worker
about 150 MB it never uses for that.
"""

from __future__ import annotations

import importlib

_WHERE = {"Answer": ".answer", "Source": ".answer", "KnowledgeBase": ".base", "Settings": ".config", "Hit": ".hits"}
__all__ = ["Answer", "Hit", "KnowledgeBase", "Settings", "Source"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
