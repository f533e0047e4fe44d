"""An asyncio load generator for the gateway, bare Rasa and the WeChat endpoint.

Why it exists: the questions "how many messages a second does the whole stack answer, how slow is
the slowest one in a hundred, and how much of that is Rasa itself" need many concurrent tenants
holding realistic multi-turn conversations, which neither the unit tests nor a browser can
produce. Everything that does not touch the network (conversation scripts, percentiles,
summaries, WeChat signing, report writing) is plain functions, tested in tests/test_ops_load.py.

Closed loop: each simulated user sends its next message only after the previous reply, as a
person in a chat window does, so offered load grows with the number of users.

    .venv/bin/python -m ops.load --url http://127.0.0.1:8000 --users 16 --duration 30
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import random
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import urlencode

from ops.conversation_tokens import ConversationTokens

# What tenants ask (the knowledge base answers these), what they follow up with (the bot resolves
# the topic from the previous turn), and what is out of scope.
TOPIC_QUESTIONS = ["园区在哪里？", "有哪些产业方向", "CXO订单补贴怎么申请", "有什么优惠政策", "Where is the park?"]
FOLLOW_UPS = ["那基金呢？"]
OUT_OF_SCOPE = ["今天天气怎么样", "讲个笑话"]
FLOOR_MESSAGE = "你好"  # Rasa answers with utter_greet: no action server call
WECHAT_MESSAGES = ["园区在哪里", "有哪些产业方向", "有什么优惠政策", "CXO订单补贴怎么申请"]

# Settings for the gateway's WeChat channel in plain mode (no AES key). The API base is a closed
# loopback port: nothing reaches WeChat, and a late answer's customer-service send fails fast.
WECHAT_TOKEN = "bench-token"
WECHAT_ACCOUNT = "gh_park_bench"
WECHAT_ENV = {
    "WECHAT_TOKEN": WECHAT_TOKEN,
    "WECHAT_APP_ID": "wxbench0000000000",
    "WECHAT_APP_SECRET": "bench-secret",
    "WECHAT_API_BASE": "http://127.0.0.1:9",
    "WECHAT_ENCODING_AES_KEY": "",
}

REQUEST_TIMEOUT_S = 30.0
# The gateway's degraded mode (Rasa unreachable or too slow) still answers 200, prefixed with this
# notice (bot/conversation.py DEGRADED_NOTICE): such a reply is counted as an error, not a success.
DEGRADED_MARK = "智能助手暂时不可用"


# --- conversation scripts ------------------------------------------------------------------
def conversation(rng: random.Random, turns: int = 10) -> list[str]:
    """One tenant's conversation: opens with a topic question, then topic questions, follow-ups
    (only right after a topic question) and out-of-scope messages; with three or more turns, at
    least one follow-up and one out-of-scope message. Deterministic for a seeded `rng`."""
    if turns <= 0:
        return []
    for _ in range(100):  # redraw until the mix is there (a couple of draws at ten turns)
        messages = [rng.choice(TOPIC_QUESTIONS)]
        while len(messages) < turns:
            roll = rng.random()
            if roll < 0.25 and messages[-1] in TOPIC_QUESTIONS:
                messages.append(rng.choice(FOLLOW_UPS))
            elif roll < 0.45:
                messages.append(rng.choice(OUT_OF_SCOPE))
            else:
                messages.append(rng.choice(TOPIC_QUESTIONS))
        if turns < 3 or (any(m in FOLLOW_UPS for m in messages) and any(m in OUT_OF_SCOPE for m in messages)):
            return messages
    head = [rng.choice(TOPIC_QUESTIONS), rng.choice(FOLLOW_UPS), rng.choice(OUT_OF_SCOPE)]
    return head + [rng.choice(TOPIC_QUESTIONS) for _ in range(turns - 3)]


def long_conversation(seed: int, turns: int) -> list[str]:
    """`turns` messages from one sender: ten-turn conversations back to back."""
    rng = random.Random(seed)
    messages: list[str] = []
    while len(messages) < turns:
        messages.extend(conversation(rng, 10))
    return messages[:turns]


# --- statistics ----------------------------------------------------------------------------
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


def _ms(seconds: float | None) -> float | None:
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
        "p50_ms": _ms(percentile(latencies_s, 50)),
        "p95_ms": _ms(percentile(latencies_s, 95)),
        "p99_ms": _ms(percentile(latencies_s, 99)),
        "mean_ms": _ms(sum(latencies_s) / ok) if ok else None,
        "max_ms": _ms(max(latencies_s)) if ok else None,
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
                "early_median_ms": _ms(me),
                "late_median_ms": _ms(ml),
                "ratio": round(ml / me, 2) if me and ml else None,
            }
        )
    me, ml = median(pooled_early), median(pooled_late)
    return {
        "early_turns": list(early),
        "late_turns": list(late),
        "senders": per_sender,
        "early_median_ms": _ms(me),
        "late_median_ms": _ms(ml),
        "ratio": round(ml / me, 2) if me and ml else None,
        "target_ratio": 1.5,
    }


# --- reports -------------------------------------------------------------------------------
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
        lines.append("(latencies in ms; ratio = full-stack msg/s ÷ bare-Rasa floor msg/s)")
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


# --- WeChat messages -----------------------------------------------------------------------
_MSG_IDS = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))


def wechat_signature(*parts: str) -> str:
    """WeChat's SHA-1 over the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def wechat_text(
    openid: str, content: str, msg_id: int | None = None, create_time: int | None = None, account: str = WECHAT_ACCOUNT
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{create_time or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id or next(_MSG_IDS)}</MsgId></xml>"
    )


def wechat_request(
    token: str, openid: str, content: str, timestamp: str | None = None, nonce: str | None = None
) -> tuple[str, bytes]:
    """(path with query, body) of a signed plain-mode text message, as WeChat's server sends it."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(random.randrange(10**9))
    query = {
        "signature": wechat_signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": openid,
    }
    return "/wechat?" + urlencode(query), wechat_text(openid, content).encode("utf-8")


def wechat_reply_text(body: str) -> str | None:
    """The Content of a passive reply; None for `success` (the answer comes later) or no content."""
    match = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", body, re.S)
    return match.group(1) if match else None


# --- running load --------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    status: int | None
    detail: str = ""


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

    def summary(self, **extra) -> dict:
        if self.error_samples:
            extra["error_samples"] = self.error_samples
        if self.degraded:
            extra["degraded"] = self.degraded
        if self.deferred:  # WeChat: percentiles above are passive replies; these are every POST's answer
            extra["deferred"] = self.deferred
            extra.update({f"all_p{p}_ms": _ms(percentile(self.answered_s, p)) for p in (50, 95, 99)})
        return summarize(self.latencies_s, self.errors, self.wall_s, **extra)


Send = Callable[["aiohttp.ClientSession", str, str], Awaitable[Outcome]]  # noqa: F821


def chat_sender(base_url: str) -> Send:
    """POST /api/chat; a success is 200 with at least one reply."""
    url = base_url.rstrip("/") + "/api/chat"
    tokens = ConversationTokens()  # a conversation goes on only with its token (bot/chat_tokens.py)

    async def send(http, sender_id: str, message: str) -> Outcome:
        async with http.post(
            url, json={"sender_id": sender_id, "message": message}, headers=tokens.headers(sender_id)
        ) as response:
            text = await response.text()
            if response.status != 200:
                return Outcome(False, response.status, text)
            body = json.loads(text)
            tokens.remember(sender_id, body)
            replies = body.get("replies") or []
            if any(DEGRADED_MARK in (r.get("text") or "") for r in replies):
                return Outcome(False, 200, "degraded")
            return Outcome(bool(replies), 200, "" if replies else "no replies")

    return send


def rasa_sender(rasa_url: str) -> Send:
    """POST Rasa's REST webhook; a success is 200 with at least one message."""
    url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"

    async def send(http, sender_id: str, message: str) -> Outcome:
        async with http.post(url, json={"sender": sender_id, "message": message}) as response:
            text = await response.text()
            if response.status != 200:
                return Outcome(False, response.status, text)
            return Outcome(bool(json.loads(text)), 200, "" if text.strip() != "[]" else "no messages")

    return send


def wechat_sender(base_url: str, token: str = WECHAT_TOKEN) -> Send:
    """POST a signed plain-mode text message to /wechat; a success is a passive reply with text,
    `success` (answer deferred to a customer-service message) is counted apart."""
    base = base_url.rstrip("/")

    async def send(http, openid: str, message: str) -> Outcome:
        path, body = wechat_request(token, openid, message)
        async with http.post(base + path, data=body, headers={"Content-Type": "text/xml"}) as response:
            text = await response.text()
            if response.status != 200:
                return Outcome(False, response.status, text)
            if wechat_reply_text(text):
                return Outcome(True, 200)
            return Outcome(False, 200, "deferred" if text.strip() == "success" else text)

    return send


def _session(users: int):
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

    async with _session(users) as http:
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
    async with _session(1) as http:
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
