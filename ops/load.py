"""An asyncio load generator for the gateway, bare Rasa and the WeChat endpoint.

Why it exists: the questions "how many messages a second does the whole stack answer, how slow is
the slowest one in a hundred, and how much of that is Rasa itself" need many concurrent tenants
holding realistic multi-turn conversations, which neither the unit tests nor a browser can
produce. This module runs the users; what they say (ops/conversations.py), how a message is sent
and judged (ops/senders.py, ops/wechat_messages.py), the statistics (ops/stats.py) and the
report (ops/report.py) are plain modules of their own, tested in tests/test_ops_load.py.

Closed loop: each simulated user sends its next message only after the previous reply, as a
person in a chat window does, so offered load grows with the number of users.

    .venv/bin/python -m ops.load --url http://127.0.0.1:8000 --users 16 --duration 30
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .conversations import FLOOR_MESSAGE, conversation
from .senders import Outcome, Send, chat_sender, rasa_sender
from .stats import ms, percentile, summarize

REQUEST_TIMEOUT_S = 30.0


@dataclass
class Phase:
    label: str
    latencies_s: list[float] = field(default_factory=list)
    answered_s: list[float] = field(default_factory=list)  # every HTTP answer, deferred ones too
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    deferred: int = 0
    wall_s: float = 0.0

    degraded: int = 0

    def record(self, outcome: Outcome, latency_s: float) -> None:
        if outcome.status is not None:
            self.answered_s.append(latency_s)
        if outcome.ok:
            self.latencies_s.append(latency_s)
        elif outcome.detail == "deferred":
            self.deferred += 1
        else:
            self.errors += 1
            self.degraded += outcome.detail == "degraded"
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{outcome.status}: {outcome.detail[:200]}")

    def add(self, other: "Phase") -> None:
        """Take another round of the same phase in: its answers, errors and measured time."""
        self.latencies_s += other.latencies_s
        self.answered_s += other.answered_s
        self.errors += other.errors
        self.error_samples += other.error_samples[: max(0, 5 - len(self.error_samples))]
        self.deferred += other.deferred
        self.degraded += other.degraded
        self.wall_s += other.wall_s

    def summary(self, **extra) -> dict:
        if self.error_samples:
            extra["error_samples"] = self.error_samples
        if self.degraded:
            extra["degraded"] = self.degraded
        if self.deferred:  # WeChat: percentiles above are passive replies; these are every POST's answer
            extra["deferred"] = self.deferred
            extra.update({f"all_p{p}_ms": ms(percentile(self.answered_s, p)) for p in (50, 95, 99)})
        return summarize(self.latencies_s, self.errors, self.wall_s, **extra)


def session(users: int):
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(users, 1) * 2, force_close=False),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
    )


async def _timed(http, send: Send, sender_id: str, message: str) -> tuple[Outcome, float]:
    started = time.perf_counter()
    try:
        outcome = await send(http, sender_id, message)
    except Exception as exc:  # timeouts, refused connections, bad JSON: all errors
        outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}")
    return outcome, time.perf_counter() - started


async def closed_loop(
    send: Send,
    users: int,
    duration_s: float,
    label: str,
    script: Callable[[random.Random], list[str]] = conversation,
    progress: Callable[[str], None] | None = print,
    seed: int = 0,
    think_s: float = 0.0,
) -> Phase:
    """`users` simulated users for `duration_s`; each holds one conversation after another, a new
    sender id per conversation. Requests still in flight at the end are waited for and counted.

    think_s = 0 sends the next message as soon as the reply arrives: a capacity test, where
    latency is queueing. A person reads the reply and types before the next message; think_s > 0
    waits a random 0.5-1.5 x think_s between messages (users start at random offsets), which is
    what "16 people chatting at once" means."""
    phase = Phase(label)
    tag = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    end = started + duration_s

    async def user(index: int) -> None:
        rng = random.Random(seed * 100_003 + index)
        if think_s:
            await asyncio.sleep(rng.uniform(0, think_s))
        for n in itertools.count():
            sender_id = f"bench-{label}-{tag}-{index}-{n}"
            for message in script(rng):
                if time.perf_counter() >= end:
                    return
                outcome, latency = await _timed(http, send, sender_id, message)
                phase.record(outcome, latency)
                if think_s:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)

    async def report() -> None:
        while True:
            await asyncio.sleep(5)
            elapsed = time.perf_counter() - started
            done = len(phase.latencies_s)
            progress(f"    {label}: {elapsed:4.0f}s  {done} ok  {phase.errors} errors  {done / elapsed:.1f} msg/s")

    async with session(users) as http:
        ticker = asyncio.create_task(report()) if progress else None
        try:
            await asyncio.gather(*(user(i) for i in range(users)))
        finally:
            if ticker:
                ticker.cancel()
    phase.wall_s = time.perf_counter() - started
    return phase


async def sequential(
    send: Send, sender_id: str, messages: list[str], progress: Callable[[str], None] | None = print, label: str = ""
) -> list[float | None]:
    """One sender, one message after another; per-turn latency in seconds (None for an error)."""
    latencies: list[float | None] = []
    async with session(1) as http:
        for i, message in enumerate(messages, 1):
            outcome, latency = await _timed(http, send, sender_id, message)
            latencies.append(latency if outcome.ok else None)
            if progress and i % 50 == 0:
                progress(f"    {label} turn {i}/{len(messages)}: {latency * 1000:.0f} ms")
    return latencies


def main(argv: list[str] | None = None) -> int:
    """Ad hoc load against a running gateway (e.g. while profiling): prints one summary as JSON."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--url", required=True, help="gateway (or, with --rasa, Rasa) base URL")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--rasa", action="store_true", help="hit Rasa's REST webhook with the floor message")
    args = parser.parse_args(argv)
    if args.rasa:
        phase = asyncio.run(
            closed_loop(
                rasa_sender(args.url), args.users, args.duration, "floor", script=lambda rng: [FLOOR_MESSAGE] * 10
            )
        )
    else:
        phase = asyncio.run(closed_loop(chat_sender(args.url), args.users, args.duration, "stack"))
    print(json.dumps(phase.summary(users=args.users), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
