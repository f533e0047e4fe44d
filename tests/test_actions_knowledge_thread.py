"""Questions are asked on one thread of their own (actions/knowledge_client.py ask_off_loop): in the
order they came, one at a time, while the action server's event loop goes on with other calls."""

from __future__ import annotations

import asyncio
import threading
import time

from actions import knowledge_client


def test_questions_are_asked_one_at_a_time_on_one_thread_while_the_loop_runs(monkeypatch):
    asked: list[tuple[str, str]] = []
    running = {"now": 0, "most": 0}

    def slow_ask(query: str):
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        time.sleep(0.05)
        asked.append((query, threading.current_thread().name))
        running["now"] -= 1
        return query.upper()

    monkeypatch.setattr(knowledge_client, "ask", slow_ask)

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while len(asked) < 4:
                ticks += 1
                await asyncio.sleep(0.005)

        answers, _ = await asyncio.gather(
            asyncio.gather(*(knowledge_client.ask_off_loop(q) for q in ("a", "b", "c", "d"))), ticker()
        )
        return answers, ticks

    answers, ticks = asyncio.run(scenario())
    assert answers == ["A", "B", "C", "D"]
    assert [q for q, _ in asked] == ["a", "b", "c", "d"]
    assert {name for _, name in asked} == {asked[0][1]} and asked[0][1].startswith("knowledge-ask")
    assert running["most"] == 1
    assert ticks > 10  # the loop was not blocked for the ~0.2 s of asking
