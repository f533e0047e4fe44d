"""Deliver leads to the gateway's lead API without ever losing one.

A lead is a person waiting for a call, so it must survive the gateway being
restarted or briefly down. Each lead is first written to a queue directory
(one JSON file), then posted with retries and backoff; the file is removed
only once the gateway has stored it. Whatever is left is retried by a
background thread and on every later submission. The idempotency key is
derived from the lead itself, so a retry after a lost response never makes a
second lead (the gateway answers 200 "created": false).

Settings (environment):
  LEADS_API_URL     default http://$GATEWAY_HOST:$GATEWAY_PORT/api/leads
  LEADS_API_SECRET  sent as X-Leads-Secret; the gateway refuses leads without it
  LEADS_QUEUE_DIR   default instance/lead-queue
  LEADS_RETRY_EVERY_S  seconds between retries of queued leads (30)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

import requests

from .process import serves_actions

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
SENT, QUEUED, REJECTED = "sent", "queued", "rejected"
RETRY_EVERY_S = float(os.environ.get("LEADS_RETRY_EVERY_S") or 30.0)


def _private_dir(path: Path) -> None:
    """0700, also when an older version made it 0755: it holds people's contact details."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o777 != 0o700:
        os.chmod(path, 0o700)


def queued_for(queue_dir: Path, sender_ids: set[str], phone: str = "") -> list[tuple[Path, dict]]:
    """Queued and set-aside leads of one person (by conversation id or phone), for export or erasure."""
    from .lead_fields import check_phone

    found = []
    for path in sorted([*Path(queue_dir).glob("*.json"), *Path(queue_dir).glob("rejected/*.json")]):
        try:
            lead = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            log.exception("unreadable queued lead", extra={"file": path.name})
            continue
        same_phone = bool(phone) and check_phone(str(lead.get("phone") or "")).value == phone
        if lead.get("sender_id") in sender_ids or same_phone:
            found.append((path, lead))
    return found


def idempotency_key(lead: dict) -> str:
    basis = "|".join(str(lead.get(k, "")) for k in ("sender_id", "company", "name", "phone"))
    return "lead-" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:40]


class LeadOutbox:
    def __init__(
        self,
        url: str,
        secret: str,
        queue_dir: Path,
        timeout_s: float = 5.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.url = url
        self.secret = secret
        self.queue_dir = Path(queue_dir)
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._lock = threading.Lock()
        self._http = requests.Session()
        self._retrier: threading.Thread | None = None

    @classmethod
    def from_env(cls) -> "LeadOutbox":
        env = os.environ
        host, port = env.get("GATEWAY_HOST", "127.0.0.1"), env.get("GATEWAY_PORT", "8000")
        return cls(
            url=env.get("LEADS_API_URL") or f"http://{host}:{port}/api/leads",
            secret=env.get("LEADS_API_SECRET", ""),
            queue_dir=Path(env.get("LEADS_QUEUE_DIR") or PROJECT_DIR / "instance" / "lead-queue"),
        )

    def submit(self, lead: dict) -> str:
        """Queue the lead durably, then try to deliver everything queued."""
        lead = {**lead, "idempotency_key": lead.get("idempotency_key") or idempotency_key(lead)}
        _private_dir(self.queue_dir)
        path = self.queue_dir / f"{lead['idempotency_key']}.json"
        tmp = path.with_suffix(".tmp")
        # A queued lead is a name and a phone number: 0600 from the first byte, not after.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a .tmp left over from an older version keeps its mode otherwise
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(lead, ensure_ascii=False))
        tmp.replace(path)  # atomic: a crash leaves the old file or the new one
        self.flush()
        if path.exists():
            self._start_retrier()
            return QUEUED
        return REJECTED if (self.queue_dir / "rejected" / path.name).exists() else SENT

    def pending(self) -> list[Path]:
        """The queued leads, oldest first. A file another thread delivers between listing and dating is
        no longer pending: raising here once killed the retry thread, stranding the leads after it."""
        dated = []
        for path in self.queue_dir.glob("*.json") if self.queue_dir.exists() else ():
            try:
                dated.append((path.stat().st_mtime, path))
            except FileNotFoundError:
                continue
        return [path for _, path in sorted(dated)]

    def flush(self) -> int:
        """Deliver queued leads, oldest first; returns how many were delivered."""
        delivered = 0
        with self._lock:
            for path in self.pending():
                try:
                    lead = json.loads(path.read_text("utf-8"))
                except (OSError, ValueError):
                    log.exception("unreadable queued lead", extra={"file": path.name})
                    self._set_aside(path)
                    continue
                status = self._deliver(lead)
                if status == SENT:
                    path.unlink(missing_ok=True)
                    delivered += 1
                elif status == REJECTED:
                    self._set_aside(path)
                else:
                    break  # the gateway is down: keep order, try again later
        return delivered

    def _deliver(self, lead: dict) -> str:
        headers = {"X-Leads-Secret": self.secret, "Idempotency-Key": lead["idempotency_key"]}
        for attempt in range(self.attempts):
            if attempt:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = self._http.post(self.url, json=lead, headers=headers, timeout=self.timeout_s)
            except requests.RequestException as exc:
                log.warning("lead API unreachable", extra={"error": str(exc), "attempt": attempt + 1})
                continue
            if response.status_code in (200, 201):
                log.info("lead delivered", extra={"key": lead["idempotency_key"]})
                return SENT
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                # Retrying cannot fix a refused lead (bad secret, bad field).
                log.error(
                    "lead API refused a lead", extra={"status": response.status_code, "body": response.text[:300]}
                )
                return REJECTED
            log.warning("lead API error", extra={"status": response.status_code, "attempt": attempt + 1})
        return QUEUED

    def _set_aside(self, path: Path) -> None:
        """Keep a lead the gateway refused where staff can find it, out of the queue."""
        rejected = self.queue_dir / "rejected"
        _private_dir(rejected)
        path.replace(rejected / path.name)

    def _start_retrier(self) -> None:
        if self._retrier is not None and self._retrier.is_alive():
            return

        def retry_until_empty() -> None:
            while self.pending():
                time.sleep(RETRY_EVERY_S)
                try:
                    self.flush()
                except Exception:
                    log.exception("retrying queued leads failed")

        self._retrier = threading.Thread(target=retry_until_empty, name="lead-retry", daemon=True)
        self._retrier.start()


_outbox: LeadOutbox | None = None


def outbox() -> LeadOutbox:
    global _outbox
    if _outbox is None:
        _outbox = LeadOutbox.from_env()
        if _outbox.pending():  # left over from before a restart
            _outbox._start_retrier()
    return _outbox


def use(box: LeadOutbox | None) -> None:
    """Install an outbox (tests)."""
    global _outbox
    _outbox = box


if serves_actions():
    outbox()  # leads still queued from before a restart are retried from the start, not at the next lead
