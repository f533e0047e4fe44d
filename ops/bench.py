"""`make bench`'s full-stack benchmark: throughput and latency of the real stack against its floor.

Why it exists: the knowledge bench measures retrieval alone; tenants feel the whole path —
gateway, Rasa, action server, database — and nothing else tells us how much that path costs
over what Rasa needs anyway, whether long conversations slow down, whether WeChat's passive
reply stays far inside its 5-second window, and how much memory the three services take.

    .venv/bin/python -m ops.bench [--quick]

One stack, one trained model, one run:
  1. cold start: launch of all services -> every health check green;
  2. at each concurrency: closed-loop users holding ten-turn conversations through /api/chat,
     and the floor — the same users sending 你好 (utter_greet, no action call) straight to Rasa's
     REST webhook — taking turns in rounds; msg/s, p50/p95/p99 and errors for both, pooled over
     the rounds, and the ratio of their msg/s (pooled and per round);
  3. conversation length: single senders, one after another, ~210 turns each; median latency of
     turns 5-15 against turns 195-205;
  4. WeChat: concurrent users posting signed plain-mode text messages to /wechat;
  5. memory per process after the load.
Writes results/stack-bench.json and results/stack-bench.png and prints a short table. The
machine is shared with other jobs: load averages are recorded with every phase.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import load
from .conversations import FLOOR_MESSAGE, FOLLOW_UPS, OUT_OF_SCOPE, TOPIC_QUESTIONS, WECHAT_MESSAGES, long_conversation
from .report import format_table, write_report
from .senders import chat_sender, rasa_sender, wechat_sender
from .stats import length_report
from .wechat_messages import WECHAT_ENV
from .stack import MODEL, ROOT, Stack

FULL = {
    "levels": [1, 16, 64],
    # Each level's full-stack and floor phases take turns in rounds, and the ratio is taken on the pooled
    # counts: one 20 s phase after the other read Rasa's own CPU per greeting at 18.1-22.2 ms within an hour
    # on a shared machine, and the ratio at 16 users at 0.72-0.92.
    "rounds": 3,
    "stack_s": 20.0,  # in all, over the rounds
    "floor_s": 15.0,
    "length_turns": 210,
    "length_senders": 3,
    "early": (5, 15),
    "late": (195, 205),
    "wechat_users": 16,
    "wechat_s": 15.0,
    "paced_users": 16,
    "think_s": 3.0,
    "paced_s": 40.0,
}
QUICK = {
    "levels": [1, 8],
    "rounds": 1,
    "stack_s": 6.0,
    "floor_s": 4.0,
    "length_turns": 40,
    "length_senders": 1,
    "early": (5, 15),
    "late": (25, 35),
    "wechat_users": 8,
    "wechat_s": 5.0,
    "paced_users": 8,
    "think_s": 3.0,
    "paced_s": 10.0,
}

_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", flush=True)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _phase(stack: Stack, coro, **extra) -> dict:
    """Run one load phase; its summary with the CPU seconds each service used and the load average."""
    return _summary(*_measured(stack, coro), **extra)


def _measured(stack: Stack, coro) -> tuple[load.Phase, dict[str, float]]:
    """One load phase run, and the CPU seconds each service used during it."""
    # The load generator shares the two cores with the stack: its own CPU ("load") says how much it took.
    before = {**stack.cpu_seconds(), "load": time.process_time()}
    phase = asyncio.run(coro)
    after = {**stack.cpu_seconds(), "load": time.process_time()}
    return phase, {name: after[name] - before.get(name, 0.0) for name in after}


def _summary(phase: load.Phase, cpu: dict[str, float], **extra) -> dict:
    cpu = {name: round(sec, 2) for name, sec in cpu.items()}
    summary = phase.summary(cpu_s=cpu, loadavg=_load(), **extra)
    if summary["ok"]:
        summary["cpu_ms_per_msg"] = {name: round(sec * 1000 / summary["ok"], 1) for name, sec in cpu.items()}
    return summary


def _in_rounds(stack: Stack, phases: dict, rounds: int) -> dict[str, dict]:
    """The phases ({name: round -> coroutine}) taking turns, `rounds` times, each pooled over its rounds
    (answers, time, CPU) with its msg/s per round, so a slow spell of the machine falls on both sides."""
    pooled = {name: (load.Phase(name), {}) for name in phases}
    per_round: dict[str, list[float]] = {name: [] for name in phases}
    for r in range(rounds):
        for name, make in phases.items():
            phase, cpu = _measured(stack, make(r))
            pooled[name][0].add(phase)
            for service, sec in cpu.items():
                pooled[name][1][service] = pooled[name][1].get(service, 0.0) + sec
            per_round[name].append(round(len(phase.latencies_s) / phase.wall_s, 2) if phase.wall_s else 0.0)
    return {name: _summary(phase, cpu, rounds_msg_per_s=per_round[name]) for name, (phase, cpu) in pooled.items()}


def warm_up(stack: Stack) -> None:
    """Every distinct message once through each path, so first-use costs stay out of the numbers."""
    chat, rasa, wechat = chat_sender(stack.url), rasa_sender(stack.rasa_url), wechat_sender(stack.url)
    messages = TOPIC_QUESTIONS + FOLLOW_UPS + OUT_OF_SCOPE

    async def go() -> None:
        async with load.session(1) as http:
            for message in messages:
                await chat(http, "bench-warmup", message)
            for _ in range(3):
                await rasa(http, "bench-warmup-floor", FLOOR_MESSAGE)
            await wechat(http, "bench-warmup-wechat", WECHAT_MESSAGES[0])

    asyncio.run(go())


def run(quick: bool = False) -> dict:
    cfg = QUICK if quick else FULL
    report: dict = {
        "benchmark": "stack",
        "quick": quick,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": _load(),
            "note": "shared machine: other jobs ran at the same time, see loadavg per phase",
        },
        "model": {
            "path": str(MODEL.relative_to(ROOT)),
            "mtime": datetime.fromtimestamp(MODEL.stat().st_mtime, timezone.utc).isoformat(timespec="seconds"),
        },
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
    }
    try:
        import psutil

        report["machine"]["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    stack = Stack(ratelimit=False, extra_env=WECHAT_ENV)
    say(f"starting actions, rasa, gateway (gunicorn) on free ports; logs in {stack.workdir}")
    try:
        stack.start()
        report["cold_start_s"] = round(stack.cold_start_s, 1)
        report["ready_s"] = {name: round(s.ready_s, 1) for name, s in stack.services.items()}
        report["migrate_s"] = round(stack.migrate_s, 1)
        report["gateway_workers"] = int(stack.env.get("GATEWAY_WORKERS", "2"))
        report["gateway_threads"] = int(stack.env.get("GATEWAY_THREADS", "8"))
        say(f"stack healthy after {stack.cold_start_s:.1f}s (per service: {report['ready_s']})")
        say("warming up (every message once, not measured)")
        warm_up(stack)

        levels = []
        rounds = cfg["rounds"]
        for users in cfg["levels"]:
            say(
                f"{users} users, {rounds} round(s): ten-turn conversations via /api/chat for {cfg['stack_s'] / rounds:.0f}s, "
                f"then the floor (你好 straight to Rasa's REST webhook) for {cfg['floor_s'] / rounds:.0f}s"
            )
            measured = _in_rounds(
                stack,
                {
                    "stack": lambda r, users=users: load.closed_loop(
                        chat_sender(stack.url), users, cfg["stack_s"] / rounds, "stack", progress=say, seed=r
                    ),
                    "floor": lambda r, users=users: load.closed_loop(
                        rasa_sender(stack.rasa_url),
                        users,
                        cfg["floor_s"] / rounds,
                        "floor",
                        script=lambda rng: [FLOOR_MESSAGE] * 10,
                        progress=say,
                        seed=r,
                    ),
                },
                rounds,
            )
            full, floor = measured["stack"], measured["floor"]
            for name, part in measured.items():
                say(
                    f"  {name} -> {part['msg_per_s']} msg/s (rounds {part['rounds_msg_per_s']}), p50 {part['p50_ms']} "
                    f"p95 {part['p95_ms']} p99 {part['p99_ms']} ms, {part['errors']} errors"
                )
            ratio = round(full["msg_per_s"] / floor["msg_per_s"], 3) if floor["msg_per_s"] else None
            by_round = [
                round(a / b, 3) if b else None for a, b in zip(full["rounds_msg_per_s"], floor["rounds_msg_per_s"])
            ]
            levels.append({"users": users, "stack": full, "floor": floor, "ratio": ratio, "ratio_by_round": by_round})
        report["levels"] = levels

        runs = []
        for i in range(cfg["length_senders"]):
            sender_id = f"bench-long-{i}-{int(time.time())}"
            say(
                f"conversation length: sender {i + 1}/{cfg['length_senders']}, {cfg['length_turns']} turns "
                "one after another via /api/chat"
            )
            runs.append(
                asyncio.run(
                    load.sequential(
                        chat_sender(stack.url),
                        sender_id,
                        long_conversation(i, cfg["length_turns"]),
                        progress=say,
                        label=f"sender {i + 1}",
                    )
                )
            )
        length = length_report(runs, cfg["early"], cfg["late"])
        length["loadavg"] = _load()
        length["latencies_ms"] = [[None if x is None else round(x * 1000, 1) for x in r] for r in runs]
        report["conversation_length"] = length
        say(
            f"  -> turns {cfg['early']}: {length['early_median_ms']} ms, turns {cfg['late']}: "
            f"{length['late_median_ms']} ms, ratio {length['ratio']}"
        )

        say(f"wechat: {cfg['wechat_users']} users posting signed plain-mode text to /wechat for {cfg['wechat_s']:.0f}s")
        report["wechat"] = _phase(
            stack,
            load.closed_loop(
                wechat_sender(stack.url),
                cfg["wechat_users"],
                cfg["wechat_s"],
                "wechat",
                script=lambda rng: rng.sample(WECHAT_MESSAGES, len(WECHAT_MESSAGES)),
                progress=say,
            ),
            users=cfg["wechat_users"],
            mode="plain",
        )
        w = report["wechat"]
        say(
            f"  -> p50 {w['p50_ms']} p95 {w['p95_ms']} p99 {w['p99_ms']} ms, {w['errors']} errors, "
            f"{w.get('deferred', 0)} deferred"
        )

        paced_users, think = cfg["paced_users"], cfg["think_s"]
        say(
            f"paced: {paced_users} people chatting (~{think:.0f}s to read and type between messages) "
            f"via /api/chat and /wechat, {cfg['paced_s']:.0f}s each"
        )
        report["paced"] = {
            "users": paced_users,
            "think_s": think,
            "chat": _phase(
                stack,
                load.closed_loop(
                    chat_sender(stack.url), paced_users, cfg["paced_s"], "paced", progress=say, think_s=think
                ),
            ),
            "wechat": _phase(
                stack,
                load.closed_loop(
                    wechat_sender(stack.url),
                    paced_users,
                    cfg["paced_s"],
                    "paced-wechat",
                    script=lambda rng: rng.sample(WECHAT_MESSAGES, len(WECHAT_MESSAGES)),
                    progress=say,
                    think_s=think,
                ),
                mode="plain",
            ),
        }
        for key in ("chat", "wechat"):
            p = report["paced"][key]
            say(f"  -> {key}: p50 {p['p50_ms']} p95 {p['p95_ms']} p99 {p['p99_ms']} ms, {p['errors']} errors")

        say("memory per process after the load")
        report["memory"] = stack.rss()
    except BaseException:
        say(f"stopping the stack; its logs stay in {stack.workdir}")
        stack.stop()
        raise
    say("stopping the stack")
    stack.stop()
    stack.cleanup()
    report["machine"]["loadavg_end"] = _load()
    report["duration_s"] = round(time.monotonic() - _T0, 1)
    return report


def plot(report: dict, path: Path) -> Path:
    """Latency p50/p95 and msg/s against concurrency, full stack and floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = report["levels"]
    users = [lv["users"] for lv in levels]
    fig, (lat, thr) = plt.subplots(1, 2, figsize=(9, 3.6))
    for key, colour in (("stack", "tab:blue"), ("floor", "tab:orange")):
        name = "full stack" if key == "stack" else "floor (bare Rasa)"
        lat.plot(users, [lv[key]["p50_ms"] for lv in levels], "o-", color=colour, label=f"{name} p50")
        lat.plot(users, [lv[key]["p95_ms"] for lv in levels], "s--", color=colour, label=f"{name} p95")
        thr.plot(users, [lv[key]["msg_per_s"] for lv in levels], "o-", color=colour, label=name)
    for ax in (lat, thr):
        ax.set_xscale("log", base=2)
        ax.set_xticks(users, [str(u) for u in users])
        ax.set_xlabel("concurrent users")
        ax.grid(True, alpha=0.3)
    lat.set_yscale("log")
    lat.set_ylabel("latency (ms)")
    thr.set_ylabel("messages / s")
    lat.legend(fontsize=7)
    thr.legend(fontsize=7)
    fig.suptitle(f"stack bench {report['started_at'][:10]} ({report['machine']['cpus']} cores, shared)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def soak(duration_s: float, users: int = 16, think_s: float = 3.0, sample_every_s: float = 30.0) -> dict:
    """`users` people chatting for `duration_s`, memory sampled as it runs: errors must stay at 0
    and memory flat. Drift is the last sample minus the first one taken after a minute of load."""
    report: dict = {
        "benchmark": "soak",
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "loadavg_start": _load()},
    }
    stack = Stack(ratelimit=False)
    say(f"soak: starting the stack; logs in {stack.workdir}")
    samples: list[dict] = []

    async def load_and_sample() -> load.Phase:
        task = asyncio.create_task(
            load.closed_loop(chat_sender(stack.url), users, duration_s, "soak", progress=say, think_s=think_s)
        )
        started = time.monotonic()
        while not task.done():
            memory = await asyncio.to_thread(stack.rss)
            samples.append(
                {
                    "t_s": round(time.monotonic() - started, 1),
                    "total_rss_mb": memory["total_rss_mb"],
                    **{name: svc["rss_mb"] for name, svc in memory["services"].items()},
                }
            )
            await asyncio.wait([task], timeout=sample_every_s)
        return task.result()

    try:
        stack.start()
        warm_up(stack)
        say(f"soak: {users} people chatting (~{think_s:.0f}s between messages) for {duration_s:.0f}s")
        phase = asyncio.run(load_and_sample())
    finally:
        stack.stop()
    stack.cleanup()
    baseline = next((s for s in samples if s["t_s"] >= 60), samples[0])
    names = [k for k in samples[-1] if k not in ("t_s",)]
    report["soak"] = {
        **phase.summary(),
        "duration_s": duration_s,
        "users": users,
        "think_s": think_s,
        "rss_samples": samples,
        "rss_drift_mb": {name: round(samples[-1][name] - baseline[name], 1) for name in names},
    }
    report["machine"]["loadavg_end"] = _load()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer users, shorter phases, fewer turns (smoke run)")
    parser.add_argument("--output", "-o", default=str(ROOT / "results" / "stack-bench.json"))
    parser.add_argument("--png", default=str(ROOT / "results" / "stack-bench.png"))
    parser.add_argument(
        "--soak",
        type=float,
        metavar="SECONDS",
        help="instead: a soak of 16 people chatting for SECONDS (results/stack-soak.json)",
    )
    args = parser.parse_args(argv)
    if args.soak:
        report = soak(args.soak)
        out = write_report(ROOT / "results" / "stack-soak.json", report)
        print(format_table(report))
        print(f"wrote {out}")
        return 0 if report["soak"]["errors"] == 0 else 1
    report = run(quick=args.quick)
    out = write_report(args.output, report)
    png = plot(report, Path(args.png))
    print()
    print(format_table(report))
    print(f"\nwrote {out} and {png} in {report['duration_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
