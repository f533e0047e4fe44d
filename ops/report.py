"""Bench reports: written as UTF-8 JSON and summarised as a short table for the terminal.

Why it exists: `make bench` and `make soak` write results/*.json for later comparison and print
what a person reads at the end of a run; both take the report dict `ops/bench.py` assembles.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_report(path: Path | str, report: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _f(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(report: dict) -> str:
    """A short human summary of a bench report (the parts that are present)."""
    lines = []
    levels = report.get("levels") or []
    if levels:
        lines.append(
            f"{'users':>5} | {'stack msg/s':>11} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} | "
            f"{'floor msg/s':>11} {'p50':>6} {'p95':>6} {'p99':>6} {'err':>4} | {'ratio':>5}"
        )
        for level in levels:
            s, f = level.get("stack") or {}, level.get("floor") or {}
            lines.append(
                f"{level['users']:>5} | {_f(s.get('msg_per_s'), 1):>11} {_f(s.get('p50_ms')):>7} "
                f"{_f(s.get('p95_ms')):>7} {_f(s.get('p99_ms')):>7} {_f(s.get('errors')):>4} | "
                f"{_f(f.get('msg_per_s'), 1):>11} {_f(f.get('p50_ms')):>6} {_f(f.get('p95_ms')):>6} "
                f"{_f(f.get('p99_ms')):>6} {_f(f.get('errors')):>4} | {_f(level.get('ratio'), 2):>5}"
            )
        lines.append("(latencies in ms; ratio = full-stack msg/s ÷ bare-Rasa floor msg/s, pooled over the rounds)")
        for level in levels:
            if len(level.get("ratio_by_round") or []) > 1:
                rounds = " ".join(_f(r, 2) for r in level["ratio_by_round"])
                lines.append(f"  {level['users']} users, ratio in each round (the phases taking turns): {rounds}")
    length = report.get("conversation_length")
    if length:
        lines.append(
            f"conversation length: turns {length['early_turns'][0]}-{length['early_turns'][1]} median "
            f"{_f(length['early_median_ms'])} ms, turns {length['late_turns'][0]}-"
            f"{length['late_turns'][1]} median {_f(length['late_median_ms'])} ms, ratio "
            f"{_f(length['ratio'], 2)} (target ≤ {length['target_ratio']})"
        )
    wechat = report.get("wechat")
    if wechat:
        lines.append(
            f"wechat ({wechat.get('users')} users, plain mode): passive replies p50 {_f(wechat['p50_ms'])} "
            f"ms, p95 {_f(wechat['p95_ms'])} ms, p99 {_f(wechat['p99_ms'])} ms; {wechat['ok']} passive, "
            f"{wechat.get('deferred', 0)} deferred (`success`, answer sent later), {wechat['errors']} errors"
        )
        if wechat.get("deferred"):
            lines.append(
                f"  every POST until its answer: p50 {_f(wechat.get('all_p50_ms'))} ms, p95 "
                f"{_f(wechat.get('all_p95_ms'))} ms, p99 {_f(wechat.get('all_p99_ms'))} ms"
            )
    paced = report.get("paced")
    if paced:
        for key in ("chat", "wechat"):
            p = paced[key]
            lines.append(
                f"paced {key} ({paced['users']} people, ~{paced['think_s']:.0f}s between messages): "
                f"p50 {_f(p['p50_ms'])} p95 {_f(p['p95_ms'])} p99 {_f(p['p99_ms'])} ms, {p['errors']} errors"
            )
    soak = report.get("soak")
    if soak:
        drift = ", ".join(f"{name} {d:+.0f}" for name, d in soak["rss_drift_mb"].items())
        lines.append(
            f"soak {soak['duration_s']:.0f}s: {soak['ok']} ok, {soak['errors']} errors, p95 "
            f"{_f(soak['p95_ms'])} ms; RSS drift MiB (last minute - first minute): {drift}"
        )
    memory = report.get("memory")
    if memory:
        parts = ", ".join(f"{name} {svc['rss_mb']:.0f}" for name, svc in memory["services"].items())
        lines.append(
            f"RSS MiB after load: {parts}; total {memory['total_rss_mb']:.0f} (PSS total {memory['total_pss_mb']:.0f})"
        )
    if report.get("cold_start_s") is not None:
        lines.append(f"cold start (launch → all healthy): {report['cold_start_s']:.1f} s")
    return "\n".join(lines)
