"""The notice settings, read once from the app's config into a value the sender thread can keep."""

from __future__ import annotations

from dataclasses import dataclass

from .channels import SmtpTarget


@dataclass(frozen=True)
class NotifySettings:
    wecom_url: str
    dingtalk_url: str
    dingtalk_secret: str
    smtp: SmtpTarget | None
    email_to: tuple[str, ...]
    email_from: str
    console_base_url: str
    handoff_wait_minutes: float
    max_attempts: int
    retry_base_s: float
    poll_s: float
    timeout_s: float

    @classmethod
    def from_config(cls, config) -> tuple["NotifySettings", list[str]]:
        """The settings and the problems worth a log line (a channel half set up is off, not broken)."""
        problems: list[str] = []
        smtp = None
        if config.get("SMTP_URL"):
            try:
                smtp = SmtpTarget.parse(config["SMTP_URL"])
            except ValueError as exc:
                problems.append(str(exc))
        recipients = tuple(a.strip() for a in (config.get("NOTIFY_EMAIL_TO") or "").split(",") if a.strip())
        if smtp and not recipients:
            problems.append("SMTP_URL is set but NOTIFY_EMAIL_TO is empty: e-mail notices off")
        if recipients and not config.get("SMTP_URL"):
            problems.append("NOTIFY_EMAIL_TO is set but SMTP_URL is empty: e-mail notices off")
        email_from = (
            config.get("NOTIFY_EMAIL_FROM")
            or (smtp.username if smtp and "@" in smtp.username else "")
            or "park-bot@localhost"
        )
        return cls(
            wecom_url=config.get("NOTIFY_WECOM_WEBHOOK_URL") or "",
            dingtalk_url=config.get("NOTIFY_DINGTALK_WEBHOOK_URL") or "",
            dingtalk_secret=config.get("NOTIFY_DINGTALK_SECRET") or "",
            smtp=smtp if recipients else None,
            email_to=recipients,
            email_from=email_from,
            console_base_url=config.get("CONSOLE_BASE_URL") or "http://127.0.0.1:8000",
            handoff_wait_minutes=float(config.get("NOTIFY_HANDOFF_WAIT_MINUTES", 10)),
            max_attempts=max(int(config.get("NOTIFY_MAX_ATTEMPTS", 8)), 1),
            retry_base_s=float(config.get("NOTIFY_RETRY_BASE_S", 30)),
            poll_s=max(float(config.get("NOTIFY_POLL_S", 5)), 0.01),
            timeout_s=float(config.get("NOTIFY_TIMEOUT_S", 10)),
        ), problems

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels that are on, in the order notices are written."""
        on = (("wecom", self.wecom_url), ("dingtalk", self.dingtalk_url), ("email", self.smtp))
        return tuple(name for name, value in on if value)
