"""Prometheus metrics at /metrics: chat latency per channel, outcomes, retrieval confidence.

The metric objects are module-level (one registry per process). Under
gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty
directory so /metrics adds up every worker's counts.

Only this machine, or a scraper sending `Authorization: Bearer METRICS_TOKEN`,
reads them (bot/local_only.py); anyone else gets 404, as if there were none.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

from .local_only import from_this_machine, has_metrics_token

bp = Blueprint("metrics", __name__)

CHAT_LATENCY = Histogram(
    "park_chat_latency_seconds",
    "Time to answer one chat message, by channel",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
TURNS = Counter("park_chat_turns_total", "Chat turns by channel and outcome", ["channel", "outcome"])
DEGRADED = Counter("park_chat_degraded_total", "Turns answered without Rasa (degraded mode)", ["channel"])
CONFIDENCE = Histogram(
    "park_retrieval_confidence",
    "Confidence of the best retrieved passage per answered or abstained turn",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
# Outcomes the dialogue reported that the turn contract does not name (bot/conversation.py).
UNKNOWN_OUTCOMES = Counter(
    "park_chat_unknown_outcomes_total", "Turns whose reported outcome is not in the turn contract (logged as unknown)"
)
FEEDBACK = Counter("park_feedback_total", "Thumbs up/down from users", ["rating"])
LEADS = Counter("park_leads_total", "Leads received (new ones only)")


def observe_turn(channel: str, outcome: str, seconds: float, confidence: float | None, degraded: bool) -> None:
    CHAT_LATENCY.labels(channel).observe(seconds)
    TURNS.labels(channel, outcome).inc()
    if degraded:
        DEGRADED.labels(channel).inc()
    if confidence is not None:
        CONFIDENCE.observe(confidence)


@bp.get("/metrics")
def metrics():
    if not (from_this_machine() or has_metrics_token()):
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
