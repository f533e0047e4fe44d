"""One person's conversations in Rasa's tracker store: find, export or erase them (PIPL).

Run with Rasa's Python by the gateway (bot/person.py), which has no Rasa of its
own: `.venv-rasa/bin/python -m rasa_ext.person export|erase --url URL
[--conversation ID]... [--phone DIGITS]`, or `purge --url URL --before EPOCH_SECONDS`
for retention (bot/retention.py). It answers one JSON object on stdout:
the conversation ids found, and the events (export) or how many were deleted
(erase). It uses the tracker store class Rasa runs (rasa_ext/tracker_store.py),
so there is one way into the stored events, not two.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _store(url: str):
    from rasa_ext.tracker_store import ErasingSQLTrackerStore

    return ErasingSQLTrackerStore(host=url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rasa_ext.person")
    parser.add_argument("command", choices=("export", "erase", "purge"))
    parser.add_argument("--url", required=True, help="the tracker store's SQLAlchemy URL (TRACKER_STORE_URL)")
    parser.add_argument("--conversation", action="append", default=[])
    parser.add_argument("--phone", default="")
    parser.add_argument("--before", type=float, default=None, help="purge: events older than this (epoch s)")
    args = parser.parse_args(argv)
    if args.command == "purge" and args.before is None:
        parser.error("purge needs --before")
    if args.url.startswith("sqlite:///") and not Path(args.url.removeprefix("sqlite:///")).exists():
        # No tracker database yet: nothing stored, and nothing to create by looking.
        json.dump({"senders": [], "events": {} if args.command == "export" else 0}, sys.stdout)
        return 0
    store = _store(args.url)
    if args.command == "purge":
        json.dump({"senders": [], "events": store.erase_before(args.before)}, sys.stdout)
        return 0
    senders = set(args.conversation)
    if args.phone:
        senders.update(store.senders_mentioning(args.phone))
    senders = sorted(senders)
    if args.command == "export":
        result = {"senders": senders, "events": {s: store.person_events(s) for s in senders}}
    else:
        result = {"senders": senders, "events": sum(store.erase_sender(s) for s in senders)}
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
