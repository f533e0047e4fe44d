"""Gunicorn settings for the gateway, from the same environment variables as everything else.

Threaded workers: a chat or WeChat request mostly waits on Rasa, so a thread
per request keeps WeChat's 5-second budget under load where a sync worker
would queue it. Prometheus needs a shared directory to sum its counters over
the worker processes; it is emptied at every start.
"""

import os
import shutil
from pathlib import Path

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = 30
keepalive = 5
accesslog = "-"
# The same line format, with signed WeChat queries and sender ids blanked out (bot/accesslog.py).
logger_class = "bot.accesslog.RedactingLogger"

_metrics_dir = Path(
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent / "instance" / "prometheus"))
)


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
