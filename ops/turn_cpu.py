"""The gateway's own CPU per chat turn, in one process, without the rest of the stack.

Why it exists: `make bench` measures the gateway beside Rasa and the action server on a shared
machine, where other jobs move its numbers by more than a change of a millisecond per turn. This
runs the real app (the real DialogueClient, its HTTP call, the real SQLite turn log, conversation
tokens) against a stand-in Rasa in another process that answers at once with a payload shaped like
the real one, and reports the gateway process's CPU time (`time.process_time()`: every thread,
not the wall clock) per /api/chat turn.

Compare two trees in one run, alternating, so both see the same machine:

    python -m ops.turn_cpu --tree /tmp/base --tree . --rounds 6 --conversations 40

Each round runs every tree once in a fresh process (--once), in turn; the summary gives each tree's
median over rounds. The stand-in Rasa's CPU is not counted (it is another process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What Rasa's REST webhook returns for a park question the knowledge action answers: the answer,
# its custom payload for the turn log (outcome, confidence, intent, five passages, the sources),
# as actions/actions.py sends it (~2 KB).
ANSWER_PAYLOAD = {
    "outcome": "answered",
    "confidence": 0.7321,
    "intent": "ask_location",
    "hits": [
        {
            "chunk_id": f"doc{i}#{i}",
            "doc_id": f"doc{i}",
            "title": f"杭州生物科技谷政策文件第{i}号",
            "url": f"https://www.example.gov.cn/art/2024/3/{i}/art_{i}.html",
            "score": 0.031 - i * 0.001,
            "bm25": 7.1 - i,
            "dense": 0.61 - i * 0.02,
            "confidence": 0.73 - i * 0.05,
        }
        for i in range(5)
    ],
    "sources": [
        {
            "title": f"杭州生物科技谷政策文件第{i}号",
            "publisher": "杭州市萧山区人民政府",
            "published": "2024-03-12",
            "url": f"https://www.example.gov.cn/art/2024/3/{i}/art_{i}.html",
            "snippet": "杭州生物科技谷位于萧山国际机场西侧，规划面积约十平方公里，重点发展生物医药产业。",
            "score": 0.03,
            "confidence": 0.73,
        }
        for i in range(2)
    ],
}
ANSWER_TEXT = (
    "杭州生物科技谷位于杭州市萧山区，紧邻萧山国际机场西侧，规划面积约十平方公里，"
    "重点发展创新药、高端医疗器械和CXO等生物医药产业。"
)
OUT_OF_SCOPE_TEXT = "这个问题超出了我能回答的范围。我可以介绍园区的位置、产业方向和优惠政策。"


def rasa_reply(message: str) -> list[dict]:
    from ops.conversations import OUT_OF_SCOPE

    if message in OUT_OF_SCOPE:
        return [{"recipient_id": "x", "text": OUT_OF_SCOPE_TEXT, "custom": {"outcome": "out_of_scope"}}]
    return [{"recipient_id": "x", "text": ANSWER_TEXT, "custom": ANSWER_PAYLOAD}]


def serve_rasa(port_file: str) -> None:
    """The stand-in Rasa: keep-alive HTTP/1.1, one canned reply per message."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            data = json.dumps(rasa_reply(body.get("message", "")), ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def run_once(conversations: int, turns: int, warmup: int, seed: int) -> dict:
    """Chat through the app in this process; CPU ms per turn after `warmup` conversations."""
    import random

    from ops.conversations import conversation

    work = Path(tempfile.mkdtemp(prefix="turn-cpu-"))
    port_file = work / "port"
    rasa = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve-rasa", str(port_file)])
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        port = int(port_file.read_text())
        from bot import create_app, db

        url = f"sqlite:///{work / 'park.db'}"
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "turn-cpu",
                "SENDER_HASH_SALT": "turn-cpu",
                "RASA_API_TOKEN": "turn-cpu",
                "RASA_URL": f"http://127.0.0.1:{port}",
                "RATELIMIT_ENABLED": False,
                "HEALTH_PROBE_INTERVAL_S": 3600.0,
                "NOTIFY_POLL_S": 3600.0,
                "HANDOFF_SWEEP_S": 3600.0,
                "RETENTION_FIRST_RUN_S": 3600.0,
            }
        )
        db.Base.metadata.create_all(app.extensions["db_engine"])
        client = app.test_client()
        rng = random.Random(seed)
        cpu: list[float] = []
        for number in range(warmup + conversations):
            sender, headers = f"web-cpu-{seed}-{number}", {}
            spent = 0.0
            for message in conversation(rng, turns):
                started = time.process_time()
                response = client.post("/api/chat", json={"sender_id": sender, "message": message}, headers=headers)
                spent += time.process_time() - started
                body = response.get_json()
                assert response.status_code == 200 and body["replies"], body
                if body.get("token"):
                    headers = {"Authorization": f"Bearer {body['token']}"}
                sender = body["sender_id"]
            if number >= warmup:
                cpu.append(spent * 1000 / turns)
        return {"ms_per_turn": statistics.fmean(cpu), "turns": conversations * turns}
    finally:
        rasa.terminate()
        rasa.wait()
        for path in sorted(work.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        work.rmdir()


def compare(trees: list[str], rounds: int, conversations: int, turns: int, warmup: int) -> None:
    here = Path(__file__).resolve()
    results: dict[str, list[float]] = {tree: [] for tree in trees}
    for number in range(rounds):
        for tree in trees if number % 2 == 0 else list(reversed(trees)):
            root = Path(tree).resolve()
            ops_dir = root / "ops"
            if not (ops_dir / "turn_cpu.py").exists():  # an older tree: lend it this harness
                ops_dir = here.parent
            env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{ops_dir.parent}"}
            out = subprocess.run(
                [sys.executable, str(here), "--once", str(conversations), str(turns), str(warmup), str(number)],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            value = json.loads(out.stdout.strip().splitlines()[-1])["ms_per_turn"]
            results[tree].append(value)
            print(f"round {number} {tree}: {value:.3f} ms CPU per turn", flush=True)
    for tree, values in results.items():
        print(f"{tree}: median {statistics.median(values):.3f} ms, all {[round(v, 3) for v in values]}")


def main(argv: list[str] | None = None) -> None:
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)  # run as a script: import the tree's packages, not ops/ modules as top-level ones
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", help="a checkout to measure (repeat to compare)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--serve-rasa", help=argparse.SUPPRESS)
    parser.add_argument("--once", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_rasa:
        serve_rasa(args.serve_rasa)
    elif args.once:
        conversations, turns, warmup, seed = args.once
        print(json.dumps(run_once(conversations, turns, warmup, seed)))
    else:
        compare(args.tree or ["."], args.rounds, args.conversations, args.turns, args.warmup)


if __name__ == "__main__":
    main()
