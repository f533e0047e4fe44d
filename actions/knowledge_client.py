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

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .process import serves_actions

if TYPE_CHECKING:  # imported on use: Sanic's manager process imports this module too and never asks
    from knowledge import Answer, KnowledgeBase

log = logging.getLogger(__name__)

_kb: KnowledgeBase | None = None
_load_lock = threading.Lock()
_ask_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()  # not _load_lock: the loop must not wait out a load to make a thread


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


def _asker() -> ThreadPoolExecutor:
    """The one thread questions are asked on, made in the process that asks (Sanic's worker, not its manager)."""
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(1, thread_name_prefix="knowledge-ask")
    return _executor


async def ask_off_loop(query: str) -> Answer:
    """`ask` on the knowledge thread, so the server's event loop reads other calls meanwhile.

    One thread, not asyncio's default pool: asking is serialised anyway, and with several pool
    threads each waiting on the ask lock, every question paid a thread wake-up and a GIL hand-over
    for nothing (ops/profiles/README.md, round 9). Questions queue in the executor instead.
    """
    return await asyncio.get_running_loop().run_in_executor(_asker(), ask, query)


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
