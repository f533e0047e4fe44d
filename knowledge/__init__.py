"""Park knowledge: ingest documents, index them, retrieve and answer with citations.

This package knows nothing of Rasa or Flask; actions and the gateway call
`KnowledgeBase.load().ask(question)`.
"""
from .answer import Answer, Source
from .base import KnowledgeBase
from .config import Settings
from .retrieve import Hit

__all__ = ["Answer", "Hit", "KnowledgeBase", "Settings", "Source"]
