"""A rebuild swaps the index under a running knowledge base without losing a query."""

import threading
import time
from dataclasses import replace

import pytest

from knowledge import KnowledgeBase
from knowledge.index import build

pytestmark = pytest.mark.slow  # rebuilds the real index while querying it: left out of make test-fast


def test_rebuilds_during_queries_lose_no_query(kb, tmp_path):
    settings = replace(kb.settings, index_dir=tmp_path / "index")
    build(settings, progress=False)
    live = KnowledgeBase.load(settings)
    live.reload_check_s = 0  # look for a new index on every question
    first = live.retriever.index.path

    questions = ["园区在哪里？", "园区有产业基金吗", "Where is the park?", "园区招商电话是多少"]
    stop = threading.Event()
    errors: list[BaseException] = []
    counts = {"answers": 0, "abstained_wrongly": 0}
    lock = threading.Lock()

    def ask_forever(offset: int) -> None:
        i = offset
        while not stop.is_set():
            question = questions[i % len(questions)]
            try:
                answer = live.ask(question)
            except BaseException as exc:  # any exception is a lost query
                errors.append(exc)
                return
            with lock:
                counts["answers"] += 1
                if answer.abstained != (question == "园区招商电话是多少"):
                    counts["abstained_wrongly"] += 1
            i += 1

    workers = [threading.Thread(target=ask_forever, args=(n,)) for n in range(3)]
    for w in workers:
        w.start()
    try:
        for _ in range(3):
            build(settings, force=True, progress=False)  # a new directory, swapped in, the old one pruned
            time.sleep(0.2)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)

    assert not errors, errors[:1]
    assert counts["answers"] > 0
    assert counts["abstained_wrongly"] == 0, counts
    live.ask("园区在哪里？")
    assert live.retriever.index.path != first  # it did move to a rebuilt index
    assert live.retriever.index.path == (tmp_path / "index").resolve()
    # Only the live version and the one before it stay on disk.
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("index-")]) <= 2
