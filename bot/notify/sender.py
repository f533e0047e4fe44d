"""The background sender: one thread per gateway worker that empties the outbox.

Workers share the outbox, so a row is claimed with one conditional UPDATE
(its `next_attempt_at` pushed ahead by a lease): only one worker sends it,
and if that worker dies mid-send the lease runs out and another retries it.
A failure is retried after retry_base·2^(n-1) seconds until max_attempts,
then the row is `failed` and the dashboard shows it. The same loop notices
handoffs nobody has answered within the waiting time and queues one notice
for each; the unique (event, channel) key keeps two workers from both doing so.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import requests
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..models import Handoff, HandoffMessage, utcnow
from ..process_thread import ProcessThread
from . import compose
from .channels import DeliveryError, send_dingtalk, send_email, send_wecom
from .models import FAILED, PENDING, SENT, Notice
from .outbox import enqueue
from .settings import NotifySettings

log = logging.getLogger(__name__)
BATCH = 20
MAX_DELAY_S = 3600.0


def retry_delay(settings: NotifySettings, attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure: exponential, capped at an hour."""
    return min(settings.retry_base_s * 2 ** (attempts - 1), MAX_DELAY_S)


class Sender(ProcessThread):
    thread_name = "notify-sender"

    def __init__(self, sessions, settings: NotifySettings, table_ready):
        self.sessions, self.settings, self.table_ready = sessions, settings, table_ready
        self.links = compose.Links(settings.console_base_url)
        self.http = requests.Session()
        super().__init__()
        self.wakeup = threading.Event()
        self.last_scan = 0.0
        # A claim outlives the slowest send, so only a dead worker's rows are taken over.
        self.lease = timedelta(seconds=3 * settings.timeout_s + 30)

    # The thread ------------------------------------------------------------

    def wake(self, *_args) -> None:
        """Called after a commit that queued notices: send now rather than at the next poll."""
        self.wakeup.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.wakeup.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        log.info("notify sender started", extra={"channels": ",".join(self.settings.channels)})
        while not self.stopping.is_set():
            delay = self.settings.poll_s
            try:
                if self.table_ready():
                    self.scan_waiting()
                    delay = self.run_once()
            except SQLAlchemyError as exc:  # the database restarting, or not migrated yet
                log.warning("notify sender: database error; retrying", extra={"error": type(exc).__name__})
            except Exception:  # the loop must outlive anything else too
                log.exception("notify sender loop failed; retrying")
            self.wakeup.wait(delay)
            self.wakeup.clear()

    # Sending ----------------------------------------------------------------

    def run_once(self) -> float:
        """Send every due notice once; the seconds until the next one is due (at most the poll interval)."""
        now = utcnow()
        with self.sessions() as session:
            due = session.scalars(
                select(Notice.id)
                .where(Notice.status == PENDING, Notice.next_attempt_at <= now)
                .order_by(Notice.id)
                .limit(BATCH)
            ).all()
        for notice_id in due:
            if self.stopping.is_set():
                break
            self._attempt(notice_id)
        with self.sessions() as session:
            upcoming = session.scalar(
                select(Notice.next_attempt_at).where(Notice.status == PENDING).order_by(Notice.next_attempt_at).limit(1)
            )
        if upcoming is None:
            return self.settings.poll_s
        return min(max((upcoming - utcnow()).total_seconds(), 0.0), self.settings.poll_s)

    def _claim(self, notice_id: int) -> Notice | None:
        now = utcnow()
        with self.sessions() as session, session.begin():
            taken = session.execute(
                update(Notice)
                .where(Notice.id == notice_id, Notice.status == PENDING, Notice.next_attempt_at <= now)
                .values(next_attempt_at=now + self.lease)
            ).rowcount
            return session.get(Notice, notice_id) if taken else None

    def _attempt(self, notice_id: int) -> None:
        notice = self._claim(notice_id)
        if notice is None:
            return  # another worker has it
        attempt = notice.attempts + 1
        error = ""
        try:
            self.deliver(notice.channel, notice.subject, notice.body, notice.attachment)
        except DeliveryError as exc:
            error = exc.reason
        except Exception as exc:  # a bug in a channel must not stop the others
            log.exception("notice delivery crashed", extra={"notice_id": notice_id, "channel": notice.channel})
            error = type(exc).__name__
        self._record(notice, attempt, error)

    def _record(self, notice: Notice, attempt: int, error: str) -> None:
        now = utcnow()
        fields = {"kind": notice.kind, "notice_id": notice.id, "channel": notice.channel, "attempt": attempt}
        if not error:
            values = {"status": SENT, "attempts": attempt, "sent_at": now, "last_error": ""}
            log.info("notice sent", extra=fields)
        elif attempt >= self.settings.max_attempts:
            values = {"status": FAILED, "attempts": attempt, "last_error": error}
            log.error("notice failed for good", extra={**fields, "error": error})
        else:
            delay = retry_delay(self.settings, attempt)
            values = {"attempts": attempt, "last_error": error, "next_attempt_at": now + timedelta(seconds=delay)}
            log.warning("notice not delivered; will retry", extra={**fields, "error": error, "retry_in_s": delay})
        with self.sessions() as session, session.begin():
            session.execute(update(Notice).where(Notice.id == notice.id).values(**values))

    def deliver(self, channel: str, subject: str, body: str, attachment: str | None = None) -> None:
        s = self.settings
        if channel == "wecom" and s.wecom_url:
            send_wecom(self.http, s.wecom_url, subject, body, s.timeout_s)
        elif channel == "dingtalk" and s.dingtalk_url:
            send_dingtalk(self.http, s.dingtalk_url, s.dingtalk_secret, subject, body, s.timeout_s)
        elif channel == "email" and s.smtp is not None:
            send_email(s.smtp, s.email_from, list(s.email_to), subject, body, s.timeout_s, calendar=attachment)
        else:
            raise DeliveryError(f"channel {channel} is not configured")

    # Handoffs waiting too long -------------------------------------------------

    def scan_waiting(self) -> None:
        """Queue one notice per open handoff that has waited past the limit without a staff reply."""
        monotonic = time.monotonic()
        if monotonic - self.last_scan < self.settings.poll_s:
            return
        self.last_scan = monotonic
        now = utcnow()
        cutoff = now - timedelta(minutes=self.settings.handoff_wait_minutes)
        unanswered = ~exists().where(HandoffMessage.handoff_id == Handoff.id, HandoffMessage.author == "staff")
        with self.sessions() as session:
            waiting = session.scalars(
                select(Handoff).where(Handoff.status == "open", unanswered).order_by(Handoff.id)
            ).all()
            overdue = [h for h in waiting if h.created_at <= cutoff]
            if not overdue:
                return
            told = set(
                session.scalars(
                    select(Notice.event).where(
                        Notice.kind == "handoff_waiting", Notice.event.in_([f"handoff_waiting:{h.id}" for h in overdue])
                    )
                )
            )
            for handoff in overdue:
                if f"handoff_waiting:{handoff.id}" in told:
                    continue
                minutes = int((now - handoff.created_at).total_seconds() // 60)
                user_messages = sum(1 for m in handoff.messages if m.author == "user")
                message = compose.handoff_waiting(
                    self.links, handoff.id, handoff.channel, minutes, user_messages, len(waiting)
                )
                enqueue(session, self.settings.channels, message)
                try:
                    session.commit()
                except IntegrityError:  # another worker queued it a moment ago
                    session.rollback()
                except SQLAlchemyError:
                    session.rollback()
                    raise
