"""Statistics of a load phase: percentiles, msg/s, and early against late turns of long chats.

Why it exists: the benchmark's numbers (p50/p95/p99, msg/s, the turn-200 ÷ turn-10 ratio) must be
computed one way everywhere and be testable without a network (tests/test_ops_load.py).
"""

from __future__ import annotations

import math


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100), linear between closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: list[float]) -> float | None:
    return percentile(values, 50)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def summarize(latencies_s: list[float], errors: int, wall_s: float, **extra) -> dict:
    """msg/s over the measured window, latency percentiles in ms (successful requests), error count."""
    ok = len(latencies_s)
    return {
        "requests": ok + errors,
        "ok": ok,
        "errors": errors,
        "wall_s": round(wall_s, 2),
        "msg_per_s": round(ok / wall_s, 2) if wall_s > 0 else 0.0,
        "p50_ms": ms(percentile(latencies_s, 50)),
        "p95_ms": ms(percentile(latencies_s, 95)),
        "p99_ms": ms(percentile(latencies_s, 99)),
        "mean_ms": ms(sum(latencies_s) / ok) if ok else None,
        "max_ms": ms(max(latencies_s)) if ok else None,
        **extra,
    }


def turn_window(latencies_s: list[float], first: int, last: int) -> list[float]:
    """Latencies of turns first..last, 1-based and inclusive."""
    return latencies_s[max(first, 1) - 1 : last]


def length_report(runs: list[list[float | None]], early: tuple[int, int], late: tuple[int, int]) -> dict:
    """Median latency of early and late turns per sender and pooled, and late ÷ early."""
    per_sender, pooled_early, pooled_late = [], [], []
    for latencies in runs:  # None marks a failed turn: it keeps its place but has no latency
        e = [x for x in turn_window(latencies, *early) if x is not None]
        l_ = [x for x in turn_window(latencies, *late) if x is not None]
        pooled_early += e
        pooled_late += l_
        me, ml = median(e), median(l_)
        per_sender.append(
            {
                "turns": len(latencies),
                "errors": sum(x is None for x in latencies),
                "early_median_ms": ms(me),
                "late_median_ms": ms(ml),
                "ratio": round(ml / me, 2) if me and ml else None,
            }
        )
    me, ml = median(pooled_early), median(pooled_late)
    return {
        "early_turns": list(early),
        "late_turns": list(late),
        "senders": per_sender,
        "early_median_ms": ms(me),
        "late_median_ms": ms(ml),
        "ratio": round(ml / me, 2) if me and ml else None,
        "target_ratio": 1.5,
    }
