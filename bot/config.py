"""Gateway settings: one object fed by the environment; tests pass their own."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw in (None, "") else raw.strip().lower() in ("1", "true", "yes", "on")


def _list(name: str) -> list[str]:
    return [item.strip().rstrip("/") for item in os.environ.get(name, "").split(",") if item.strip()]


class Config:
    def __init__(self) -> None:
        rasa_host = _env("RASA_HOST", "127.0.0.1")
        actions_host = _env("ACTIONS_HOST", "127.0.0.1")
        self.RASA_URL = _env("RASA_URL", f"http://{rasa_host}:{_env('RASA_PORT', '5005')}")
        self.ACTIONS_URL = _env("ACTIONS_URL", f"http://{actions_host}:{_env('ACTIONS_PORT', '5055')}")
        # Rasa's HTTP API token (scripts/serve-rasa); used to resume a conversation after a handoff.
        self.RASA_API_TOKEN = os.environ.get("RASA_API_TOKEN", "")
        self.RASA_API_TOKEN_FILE = os.environ.get("RASA_API_TOKEN_FILE", "")  # read when RASA_API_TOKEN is empty
        # Rasa's REST webhook answers only after the action server has run;
        # knowledge actions take well under a second, so 10 s means trouble:
        # the user gets the degraded answer while Rasa finishes the turn.
        self.RASA_TIMEOUT_S = float(_env("RASA_TIMEOUT_S", "10"))
        self.HEALTH_TIMEOUT_S = float(_env("HEALTH_TIMEOUT_S", "2"))
        # How often the action servers' health is probed in the background (bot/health.py ActionsWatch).
        self.HEALTH_PROBE_INTERVAL_S = float(_env("HEALTH_PROBE_INTERVAL_S", "5"))
        self.MAX_MESSAGE_CHARS = int(_env("MAX_MESSAGE_CHARS", "1000"))
        self.KNOWLEDGE_INDEX_DIR = Path(_env("KNOWLEDGE_INDEX_DIR", str(PROJECT_DIR / "instance" / "index")))
        self.DATABASE_URL = os.environ.get("DATABASE_URL", "")  # empty: SQLite under instance/

        # Secrets. Empty SECRET_KEY / SENDER_HASH_SALT: one is generated and
        # kept under instance/, so every worker and restart shares it.
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "")
        self.SENDER_HASH_SALT = os.environ.get("SENDER_HASH_SALT", "")
        # The action server sends leads with this header; empty refuses all.
        self.LEADS_API_SECRET = os.environ.get("LEADS_API_SECRET", "")

        # Staff console sessions.
        # Off: the cookie is still Secure on every request that came over HTTPS (bot/console/sessions.py).
        self.SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PERMANENT_SESSION_LIFETIME = int(_env("STAFF_SESSION_HOURS", "8")) * 3600
        self.STAFF_PASSWORD_METHOD = _env("STAFF_PASSWORD_METHOD", "scrypt")  # werkzeug.security syntax
        # Per (username, address): after this many wrong passwords that pair waits
        # STAFF_LOCKOUT_MINUTES, doubled by every further failure, at most STAFF_LOCKOUT_MAX_HOURS.
        self.STAFF_MAX_FAILED_LOGINS = int(_env("STAFF_MAX_FAILED_LOGINS", "5"))
        self.STAFF_LOCKOUT_MINUTES = float(_env("STAFF_LOCKOUT_MINUTES", "15"))
        self.STAFF_LOCKOUT_MAX_HOURS = float(_env("STAFF_LOCKOUT_MAX_HOURS", "24"))
        # CSRF is checked by the console and the staff API only: the chat API
        # and the WeChat webhook are called by other servers and pages.
        self.WTF_CSRF_CHECK_DEFAULT = False
        self.WTF_CSRF_TIME_LIMIT = None  # valid for the session's life

        # Retention (bot/retention.py, the Procfile's `retention` process): days each store keeps; 0 keeps for ever.
        self.TURN_RETENTION_DAYS = float(_env("TURN_RETENTION_DAYS", "180"))
        self.TRACKER_RETENTION_DAYS = float(_env("TRACKER_RETENTION_DAYS", "180"))
        self.HANDOFF_RETENTION_DAYS = float(_env("HANDOFF_RETENTION_DAYS", "180"))
        self.LEAD_RETENTION_DAYS = float(_env("LEAD_RETENTION_DAYS", "730"))
        self.LEAD_QUEUE_RETENTION_DAYS = float(_env("LEAD_QUEUE_RETENTION_DAYS", "30"))
        self.WECHAT_RETENTION_DAYS = float(_env("WECHAT_RETENTION_DAYS", "180"))
        self.RETENTION_INTERVAL_HOURS = float(_env("RETENTION_INTERVAL_HOURS", "24"))
        self.RETENTION_FIRST_RUN_S = float(_env("RETENTION_FIRST_RUN_S", "60"))
        # Where one person's data is found and erased besides the gateway's database (bot/person.py):
        # Rasa's tracker store (through Rasa's own Python) and the action server's lead queue.
        self.TRACKER_STORE_URL = _env("TRACKER_STORE_URL", f"sqlite:///{PROJECT_DIR / 'instance' / 'rasa-tracker.db'}")
        self.RASA_PYTHON = Path(_env("RASA_PYTHON", str(PROJECT_DIR / ".venv-rasa" / "bin" / "python")))
        self.LEADS_QUEUE_DIR = Path(_env("LEADS_QUEUE_DIR", str(PROJECT_DIR / "instance" / "lead-queue")))
        self.KNOWLEDGE_DOCS_DIR = Path(_env("KNOWLEDGE_DOCS_DIR", str(PROJECT_DIR / "knowledge" / "docs")))
        # What staff upload or correct (knowledge/library.py): instance data, never the git tree.
        self.KNOWLEDGE_DATA_DIR = Path(_env("KNOWLEDGE_DATA_DIR", str(PROJECT_DIR / "instance" / "knowledge")))
        self.MAX_UPLOAD_BYTES = int(_env("MAX_UPLOAD_MB", "20")) * 1024 * 1024
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 64 * 1024  # the console's uploads
        # The JSON API needs far less: bodies over this are 413, nesting deeper is 400 (bodies.py).
        self.API_MAX_BODY_BYTES = 64 * 1024
        self.API_MAX_JSON_DEPTH = 32

        # A web conversation's token (bot/chat_tokens.py) lasts this long; the widget restores the
        # conversation's last CHAT_HISTORY_HOURS after a reload or a page change.
        self.CHAT_TOKEN_DAYS = float(_env("CHAT_TOKEN_DAYS", "30"))
        self.CHAT_HISTORY_HOURS = float(_env("CHAT_HISTORY_HOURS", "24"))

        # Park websites allowed to embed the widget and call /api/chat.
        self.CORS_ALLOWED_ORIGINS = _list("CORS_ALLOWED_ORIGINS")

        # Reverse proxies in front of the gateway that append to X-Forwarded-For (nginx: 1).
        # 0 ignores the header, which any client can forge.
        self.TRUSTED_PROXY_HOPS = int(_env("TRUSTED_PROXY_HOPS", "0"))
        # /metrics for a scraper elsewhere: `Authorization: Bearer METRICS_TOKEN` (empty: this machine only).
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

        # Rate limits (Flask-Limiter syntax). memory:// is per process; use
        # redis://… to share counts between workers.
        self.RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_CHAT_PER_IP = _env("RATELIMIT_CHAT_PER_IP", "60/minute")
        self.RATELIMIT_CHAT_PER_SENDER = _env("RATELIMIT_CHAT_PER_SENDER", "20/minute")
        self.RATELIMIT_LOGIN = _env("RATELIMIT_LOGIN", "20/minute")
        self.RATELIMIT_HEADERS_ENABLED = True

        # Rasa unreachable: answer from the knowledge package directly.
        self.DEGRADED_MODE = _flag("DEGRADED_MODE", True)

        # Staff notices (bot/notify/): each channel is on when its setting is.
        self.NOTIFY_WECOM_WEBHOOK_URL = os.environ.get("NOTIFY_WECOM_WEBHOOK_URL", "")
        self.NOTIFY_DINGTALK_WEBHOOK_URL = os.environ.get("NOTIFY_DINGTALK_WEBHOOK_URL", "")
        self.NOTIFY_DINGTALK_SECRET = os.environ.get("NOTIFY_DINGTALK_SECRET", "")
        self.SMTP_URL = os.environ.get("SMTP_URL", "")  # smtp://user:pass@host:587?starttls=true, smtps://…
        self.NOTIFY_EMAIL_TO = os.environ.get("NOTIFY_EMAIL_TO", "")
        self.NOTIFY_EMAIL_FROM = os.environ.get("NOTIFY_EMAIL_FROM", "")
        # Where notices link to: the console as staff reach it.
        self.CONSOLE_BASE_URL = _env("CONSOLE_BASE_URL", "http://127.0.0.1:8000")
        self.NOTIFY_HANDOFF_WAIT_MINUTES = float(_env("NOTIFY_HANDOFF_WAIT_MINUTES", "10"))
        # Retries: base·2^(n-1) seconds after the n-th failure, until NOTIFY_MAX_ATTEMPTS.
        self.NOTIFY_MAX_ATTEMPTS = int(_env("NOTIFY_MAX_ATTEMPTS", "8"))
        self.NOTIFY_RETRY_BASE_S = float(_env("NOTIFY_RETRY_BASE_S", "30"))
        self.NOTIFY_POLL_S = float(_env("NOTIFY_POLL_S", "5"))
        self.NOTIFY_TIMEOUT_S = float(_env("NOTIFY_TIMEOUT_S", "10"))

        # Handoffs (bot/handoff/): an unclaimed one ends in the lead form after this many minutes (0: never);
        # later than NOTIFY_HANDOFF_WAIT_MINUTES, so the reminder notice comes while staff can still claim it.
        self.HANDOFF_CLAIM_TIMEOUT_MINUTES = float(_env("HANDOFF_CLAIM_TIMEOUT_MINUTES", "15"))
        self.HANDOFF_SWEEP_S = float(_env("HANDOFF_SWEEP_S", "15"))
        # The console's live queue holds one server thread per open page for this long, then reconnects.
        self.HANDOFF_STREAM_SECONDS = float(_env("HANDOFF_STREAM_SECONDS", "25"))
        # …and at most this many per worker process at once; more pages poll every 3 s instead.
        self.HANDOFF_STREAMS_PER_WORKER = int(_env("HANDOFF_STREAMS_PER_WORKER", "2"))
        # Office hours in Asia/Shanghai (bot/handoff/hours.py); empty: staff are always in.
        self.OFFICE_HOURS = os.environ.get("OFFICE_HOURS", "")
        self.OFFICE_HOLIDAYS = os.environ.get("OFFICE_HOLIDAYS", "")  # dates, or a file of dates
        self.OFFICE_WORKDAYS = os.environ.get("OFFICE_WORKDAYS", "")  # 调休: weekend dates that are worked
