"""Delivery to the channels a park's staff read: WeCom group robot, DingTalk robot, e-mail.

Each sender takes a subject and a Markdown body and either returns or raises
DeliveryError with a short reason fit for the outbox and the log: an HTTP
status, a robot's errcode, an exception's class. Never the exception's text,
which for requests holds the webhook URL and its access token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import requests

WECOM_MAX_BYTES = 4096  # WeCom's limit for markdown.content


class DeliveryError(RuntimeError):
    """A notice that did not arrive; `reason` is safe to store and log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:200]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret, base64, URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(webhook_url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The webhook URL with `timestamp` and `sign` appended (unchanged without a secret)."""
    if not secret:
        return webhook_url
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    joiner = "&" if "?" in webhook_url else "?"
    # sign is URL-encoded already, as DingTalk documents; it goes into the query as it is.
    return f"{webhook_url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def _truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[: limit - 3].decode("utf-8", "ignore") + "…"


def _post_robot(http: requests.Session, url: str, payload: dict, timeout: float) -> None:
    """POST to a WeCom or DingTalk robot; both answer 200 with {"errcode": 0} when the message is taken."""
    try:
        response = http.post(url, json=payload, timeout=timeout)
    except requests.RequestException as exc:
        raise DeliveryError(type(exc).__name__) from None
    if response.status_code != 200:
        raise DeliveryError(f"HTTP {response.status_code}")
    try:
        errcode = response.json().get("errcode", 0)
    except (ValueError, AttributeError):
        raise DeliveryError("unreadable robot response") from None
    if errcode != 0:
        raise DeliveryError(f"errcode {errcode}")


def send_wecom(http: requests.Session, url: str, subject: str, body: str, timeout: float) -> None:
    _post_robot(
        http, url, {"msgtype": "markdown", "markdown": {"content": _truncate_utf8(body, WECOM_MAX_BYTES)}}, timeout
    )


def send_dingtalk(http: requests.Session, url: str, secret: str, subject: str, body: str, timeout: float) -> None:
    _post_robot(
        http, dingtalk_url(url, secret), {"msgtype": "markdown", "markdown": {"title": subject, "text": body}}, timeout
    )


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str
    password: str
    ssl: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://…?starttls=true or smtp+starttls://: upgrade the plain connection

    @classmethod
    def parse(cls, url: str) -> "SmtpTarget":
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
        query = urllib.parse.parse_qs(parts.query)
        flag = (query.get("starttls") or [""])[0].lower() in ("1", "true", "yes", "on")
        secure = scheme == "smtps"
        starttls = scheme == "smtp+starttls" or (flag and not secure)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if secure else 587 if starttls else 25),
            username=urllib.parse.unquote(parts.username or ""),
            password=urllib.parse.unquote(parts.password or ""),
            ssl=secure,
            starttls=starttls,
        )


def send_email(
    target: SmtpTarget,
    sender: str,
    recipients: list[str],
    subject: str,
    body: str,
    timeout: float,
    calendar: str | None = None,
) -> None:
    """`calendar`: an iCalendar text, attached as visit.ics (text/calendar) for the mail client's calendar."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(recipients), subject
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="park-bot")
    message.set_content(body)
    if calendar:
        method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in calendar else "PUBLISH"
        message.add_attachment(
            calendar.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="visit.ics",
            params={"method": method, "charset": "utf-8"},
        )
    context = ssl.create_default_context()
    try:
        if target.ssl:
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            if target.starttls:
                client.starttls(context=context)
            if target.username:
                client.login(target.username, target.password)
            refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(type(exc).__name__) from None
    if refused:
        raise DeliveryError(f"{len(refused)} recipients refused")
