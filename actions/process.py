"""Whether this process serves actions, so start-up work happens once, where it is used.

rasa_sdk runs Sanic, which imports the actions package in its manager process
and again in each worker process it spawns. Loading the knowledge base (torch,
the embedding model, the index: ~600 MB) or starting the lead retrier in the
manager too would double the memory and the work for nothing; only workers
answer Rasa. ACTIONS_PRELOAD_KNOWLEDGE=1 marks a real server start (the
Procfile and ops/stack.py set it; tests import the actions without it).
"""

from __future__ import annotations

import os


def serves_actions() -> bool:
    return os.environ.get("ACTIONS_PRELOAD_KNOWLEDGE") == "1" and bool(os.environ.get("SANIC_WORKER_NAME"))
