"""The re-index worker process: `python -m bot.reindex_worker` (a Procfile process).

It takes queued re-index jobs from the database and builds the index, so the
gateway's web workers never load the embedding model or every document. On
start it requeues jobs a stopped worker left running, and queues a build when
there is no index yet. SIGTERM (honcho, systemd) lets the current build finish.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger("bot.reindex_worker")
NOTIFY_KEYS = ("NOTIFY_WECOM_WEBHOOK_URL", "NOTIFY_DINGTALK_WEBHOOK_URL", "SMTP_URL", "NOTIFY_EMAIL_TO")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.reindex_worker", description=__doc__)
    parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the queue")
    args = parser.parse_args(argv)

    from . import create_app
    from .models import IndexJob
    from .reindex_jobs import HEARTBEAT_S, beat, requeue_interrupted, run_pending

    # Staff notices and handoff sweeps are the gateway's background work; a copy here would only race it.
    app = create_app({**{key: "" for key in NOTIFY_KEYS}, "HANDOFF_CLAIM_TIMEOUT_MINUTES": 0})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def heartbeat() -> None:  # its own thread: a long build still shows the worker alive
        while not stop.is_set():
            beat(app)
            stop.wait(HEARTBEAT_S)

    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    requeued = requeue_interrupted(app)
    if requeued:
        log.info("requeued interrupted jobs", extra={"jobs": requeued})
    if not (Path(app.config["KNOWLEDGE_INDEX_DIR"]) / "manifest.json").exists():
        with app.extensions["db_sessionmaker"]() as s:
            s.add(IndexJob(kind="startup", detail="no index yet", status="queued"))
            s.commit()
    log.info("re-index worker ready")
    while not stop.is_set():
        try:
            run_pending(app)
        except Exception:  # e.g. the database away for a moment: honcho would stop the whole stack on an exit
            log.exception("re-index queue unreadable; trying again")
            if args.once:
                return 1
            stop.wait(10 * args.poll)
        if args.once:
            break
        stop.wait(args.poll)
    return 0


if __name__ == "__main__":
    sys.exit(main())
