"""The knowledge base as the action server uses it: one instance, loaded once.

Loading means reading the index and an embedding model, which takes seconds
and a few hundred MB, so it happens once per process, on first use or at
start-up when ACTIONS_PRELOAD_KNOWLEDGE=1. Asking is serialised: the process
serves a handful of users on a small machine, and one question at a time
keeps the encoder and FAISS free of thread-safety questions.

A knowledge base that cannot be loaded or asked is reported in the log and
treated as having no answer, so the user is offered staff, never an error.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from .process import serves_actions

if TYPE_CHECKING:  # imported on use: Sanic's manager process imports this module too and never asks
    from knowledge import Answer, KnowledgeBase

log = logging.getLogger(__name__)

_kb: KnowledgeBase | None = None
_load_lock = threading.Lock()
_ask_lock = threading.Lock()


def knowledge_base() -> KnowledgeBase:
    global _kb
    if _kb is None:
        with _load_lock:
            if _kb is None:
                from knowledge import KnowledgeBase

                _kb = KnowledgeBase.load()
    return _kb


def use(kb: KnowledgeBase | None) -> None:
    """Install a knowledge base (tests, or a caller that built its own)."""
    global _kb
    _kb = kb


def ask(query: str) -> Answer:
    """The knowledge base's answer, or an abstention if it is unavailable."""
    from knowledge import Answer

    if not query.strip():
        return Answer(text="", sources=[], confidence=0.0, abstained=True)
    try:
        kb = knowledge_base()
        with _ask_lock:
            return kb.ask(query)
    except Exception:  # a broken index must not break the conversation
        log.exception("knowledge base unavailable; answering as if nothing was found")
        return Answer(text="", sources=[], confidence=0.0, abstained=True)


def _preload() -> None:
    try:
        knowledge_base().warm()
        log.info("knowledge base loaded")
    except Exception:
        log.exception("knowledge base could not be preloaded; will retry on first question")


if serves_actions():
    threading.Thread(target=_preload, name="knowledge-preload", daemon=True).start()
