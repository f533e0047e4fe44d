"""The gateway's knowledge base: its settings and one loaded KnowledgeBase per process.

Used by the console (hit testing, the knowledge page) and by degraded mode,
when the gateway answers from the knowledge package itself. Re-indexing is not
here: it runs in its own process (bot/reindex_jobs.py, bot/reindex_worker.py).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from flask import Flask, current_app

# Degraded answers search lexically: on the dev set BM25 with the coverage
# re-rank answers as well as hybrid (`python -m knowledge eval`: Hit@1 0.975
# both), and it spares each gateway worker torch and the embedding model. On a
# quiet 2-core machine the first degraded answer of a worker then takes 3.5 s
# and 280 MB RSS instead of 13.7 s and 714 MB; it is loaded on first use, so a
# gateway that never degrades never pays for it.
DEGRADED_SEARCH = "bm25"
_load_lock = threading.Lock()


def settings(app: Flask | None = None):
    """The knowledge package's settings, with the folders from the app's configuration."""
    from knowledge import Settings

    app = app or current_app
    base = Settings.from_env()
    return replace(
        base,
        docs_dir=Path(app.config["KNOWLEDGE_DOCS_DIR"]),
        faq_dir=Path(app.config.get("KNOWLEDGE_FAQ_DIR") or base.faq_dir),
        index_dir=Path(app.config["KNOWLEDGE_INDEX_DIR"]),
        data_dir=Path(app.config.get("KNOWLEDGE_DATA_DIR") or base.data_dir),
    )


def knowledge_base(app: Flask | None = None):
    """The app's KnowledgeBase, loaded on first use (it reloads itself after a rebuild)."""
    app = app or current_app
    kb = app.extensions.get("knowledge")
    if kb is None:
        with _load_lock:
            kb = app.extensions.get("knowledge")
            if kb is None:
                from knowledge import KnowledgeBase

                kb = app.extensions["knowledge"] = KnowledgeBase.load(settings(app))
    return kb
