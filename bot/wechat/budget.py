"""The 5-second budget: answer passively if ready in time, else `success` now and a
customer-service message later.

The dialogue runs on the channel's thread pool, never on the request thread,
so the request can give up at its deadline while the answer is still being
made. Whatever happens, the answer goes out once (see dedup.py for how).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import current_app

from ..conversation import converse
from ..errors import ApiError
from ..handoff.messages import language_of
from ..privacy import wechat_notice
from . import dedup, followers, options
from .customer_service import CustomerServiceError, send_text
from .identity import conversation_id
from .inbound import Turn, dedup_key
from .models import CUSTOM, DONE, utcnow
from .render import Rendered, render

log = logging.getLogger(__name__)

SORRY = {
    "zh": "抱歉，助手暂时无法回答，请稍后再试；需要人工服务可以回复“转人工”。",
    "en": 'Sorry, the assistant cannot answer right now. Please try again later, or reply "talk to staff" for a person.',
}
POLL_S = 0.05
# After the last POST's wait ends, a little longer before sending a late answer,
# so a passive claim finishing right at its deadline wins cleanly.
GRACE = timedelta(seconds=0.3)


class Job:
    """Make the answer to one message, then make sure it is delivered exactly once."""

    def __init__(self, app, channel, ticket: dedup.Ticket, openid: str, who: str, turn: Turn, deadline: float):
        self.app, self.channel, self.ticket = app, channel, ticket
        self.openid, self.who, self.turn, self.deadline = openid, who, turn, deadline
        self.finished = threading.Event()  # the answer is stored
        self.owner_done = threading.Event()  # the owning request has replied
        # Guards the hand-over to the owning request: either the answer is
        # stored as its passive reply while it still waits, or it has stopped
        # waiting first and the answer takes the late path.
        self.lock = threading.Lock()
        self.owner_waiting = True
        self.passive_text: str | None = None

    def run(self) -> None:
        sessions = self.channel.sessions
        try:
            rendered = self._answer()
        except Exception:
            log.exception("wechat answer failed", extra={"key": self.ticket.key})
            rendered = Rendered(self._sorry())
        try:
            with self.lock:
                if dedup.finish(
                    sessions, self.ticket.key, rendered.text, rendered.fits_passive, owner_waiting=self.owner_waiting
                ):
                    self.passive_text = rendered.text
        except Exception:
            log.exception("wechat answer could not be stored", extra={"key": self.ticket.key})
            return
        finally:
            self.finished.set()
        if rendered.text:
            self._deliver_late_unless_passive(rendered.text)
        self._record_follower()

    def _record_follower(self) -> None:
        """After the answer, off its path: who wrote, when, and the lead source of a follow."""
        try:
            if self.turn.follow == "subscribe":
                followers.subscribed(self.channel.sessions, self.who, self.openid, self.turn.scene)
            else:
                followers.touched(self.channel.sessions, self.who, self.openid)
            followers.forget_unreachable(self.channel.sessions)
        except Exception:
            log.exception("wechat follower not recorded", extra={"user": self.who})

    def _answer(self) -> Rendered:
        rendered = self._dialogue_answer()
        if self.turn.follow == "subscribe" or followers.lookup(self.channel.sessions, self.who) is None:
            # A new follower (or anyone we hold no record of) reads the privacy notice first. WeChat lets
            # only followers write, so the welcome of a subscribe carries it before any message is stored.
            rendered = Rendered(wechat_notice() + "\n\n" + rendered.text, rendered.options)
        return rendered

    def _dialogue_answer(self) -> Rendered:
        sessions, turn = self.channel.sessions, self.turn
        if turn.notice is not None:
            return Rendered(turn.notice)

        message = turn.ask[: self.channel.settings.max_message_chars]
        if turn.typed:
            message = options.resolve(sessions, self.who, message)
        sender_id = conversation_id(self.openid, self.channel.settings.id_salt)
        try:
            # converse: the handoff check, the dialogue (or degraded mode) and the
            # turn log the staff console reads. While staff hold the conversation
            # it returns no replies, and the bot stays quiet.
            with self.app.app_context():
                replies = converse("wechat", sender_id, message).replies
        except ApiError as exc:  # Rasa down and degraded mode failed (or is off)
            log.warning("wechat dialogue unavailable: %s", exc.code)
            return Rendered(self._sorry())
        rendered = render(replies)
        options.save(sessions, self.who, rendered.options)
        return rendered

    def _sorry(self) -> str:
        """The apology in the language the tenant wrote in."""
        return SORRY[language_of(self.turn.ask or "")]

    def _deliver_late_unless_passive(self, text: str) -> None:
        sessions, key = self.channel.sessions, self.ticket.key
        self.owner_done.wait(max(0.0, self.deadline - time.monotonic()) + 1.0)
        while True:
            state = dedup.read(sessions, key)
            if state is None or state.delivery not in (None, CUSTOM):
                return  # answered passively (or purged)
            if state.delivery is None:
                remaining = (state.wait_until + GRACE - utcnow()).total_seconds()
                if remaining > 0:
                    time.sleep(min(remaining, 0.25))
                    continue
                if not dedup.claim_custom(sessions, key):
                    continue  # a waiting POST claimed it passively just now
            # delivery == custom: claimed above, or set by finish() for a long answer
            self._send(text)
            return

    def _send(self, text: str) -> None:
        try:
            pieces = send_text(self.channel.api, self.openid, text)
        except CustomerServiceError as exc:
            log.error(
                "wechat late answer not delivered: errcode %s (%s), %d pieces sent",
                exc.errcode,
                exc.errmsg,
                exc.sent,
                extra={"key": self.ticket.key, "user": self.who},
            )
            return
        log.info("wechat late answer delivered", extra={"key": self.ticket.key, "pieces": pieces})


def respond(channel, message, turn: Turn, who: str, started: float) -> str | None:
    """The text to reply passively, or None to reply `success`."""
    settings, sessions = channel.settings, channel.sessions
    deadline = started + settings.reply_budget_s
    ticket = dedup.begin(sessions, dedup_key(message, who), who, settings.reply_budget_s, settings.dedup_ttl_s)
    if ticket.owner:
        job = Job(current_app._get_current_object(), channel, ticket, message.source, who, turn, deadline)
        channel.executor.submit(job.run)
        try:
            job.finished.wait(max(0.0, deadline - time.monotonic()))
            with job.lock:
                job.owner_waiting = False
            if job.passive_text is not None:
                return job.passive_text
            return dedup.claim_passive(sessions, ticket)  # a retry came first, or the answer is late
        finally:
            job.owner_done.set()

    # A retry: wait for the owner's answer, wherever it is being made.
    while time.monotonic() < deadline:
        state = dedup.read(sessions, ticket.key)
        if state is None or state.status == DONE:
            break
        time.sleep(POLL_S)
    return dedup.claim_passive(sessions, ticket)
