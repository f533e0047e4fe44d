"""WeChat channel settings, read from the app config first, then the environment.

The gateway's `Config` does not know about WeChat, so tests pass these in
`test_config` and deployments set them in the environment.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from flask import Flask

DEFAULT_API_BASE = "https://api.weixin.qq.com"
REQUIRED = ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET")
# plain: cleartext only. compatible: both, but a POST carrying an Encrypt element
# is read from it alone. safe: encrypted only, so a signed query seen once cannot
# be reused with a forged cleartext body.
MODES = ("plain", "compatible", "safe")


def _get(app: Flask, name: str, default: str = "") -> str:
    value = app.config.get(name)
    if value is None or value == "":
        value = os.environ.get(name, "")
    return str(value).strip() if value not in (None, "") else default


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    app_id: str
    app_secret: str
    encoding_aes_key: str
    api_base: str
    id_salt: str
    reply_budget_s: float = 4.0
    max_body_bytes: int = 64 * 1024
    dedup_ttl_s: float = 600.0
    max_age_s: float = 300.0  # POSTs with an older (or future) timestamp are refused; 0: no check
    worker_threads: int = 16
    http_timeout_s: float = 5.0
    retry_backoff_s: float = 0.5
    max_message_chars: int = 1000
    salted_with_secret: bool = False  # no SENDER_HASH_SALT: ids change if the secret is rotated
    mode: str = "plain"

    @property
    def safe_mode(self) -> bool:
        """True when encrypted messages are read (safe or compatible mode)."""
        return self.mode != "plain"

    @classmethod
    def from_app(cls, app: Flask) -> tuple[WeChatSettings | None, str]:
        """(settings, "") when the channel can run, else (None, why not)."""
        missing = [name for name in REQUIRED if not _get(app, name)]
        if missing:
            return None, f"missing {', '.join(missing)}"
        aes_key = _get(app, "WECHAT_ENCODING_AES_KEY")
        if aes_key and not _valid_aes_key(aes_key):
            return None, "WECHAT_ENCODING_AES_KEY must be the 43-character key from the WeChat console"
        mode = _get(app, "WECHAT_MODE", "safe" if aes_key else "plain").lower()
        if mode not in MODES:
            return None, f"WECHAT_MODE must be one of {', '.join(MODES)}"
        if mode != "plain" and not aes_key:
            return None, f"WECHAT_MODE={mode} needs WECHAT_ENCODING_AES_KEY"
        secret = _get(app, "WECHAT_APP_SECRET")
        try:
            settings = cls(
                token=_get(app, "WECHAT_TOKEN"),
                app_id=_get(app, "WECHAT_APP_ID"),
                app_secret=secret,
                encoding_aes_key=aes_key,
                api_base=_get(app, "WECHAT_API_BASE", DEFAULT_API_BASE).rstrip("/"),
                # A salt every worker shares and that survives restarts, so a
                # user's conversation id never changes.
                id_salt=_get(app, "SENDER_HASH_SALT") or secret,
                reply_budget_s=float(_get(app, "WECHAT_REPLY_BUDGET_S", "4.0")),
                dedup_ttl_s=float(_get(app, "WECHAT_DEDUP_TTL_S", "600")),
                max_age_s=float(_get(app, "WECHAT_MAX_AGE_S", "300")),
                worker_threads=int(_get(app, "WECHAT_WORKER_THREADS", "16")),
                http_timeout_s=float(_get(app, "WECHAT_HTTP_TIMEOUT_S", "5")),
                retry_backoff_s=float(_get(app, "WECHAT_RETRY_BACKOFF_S", "0.5")),
                max_message_chars=int(app.config.get("MAX_MESSAGE_CHARS") or 1000),
                salted_with_secret=not _get(app, "SENDER_HASH_SALT"),
                mode=mode,
            )
        except ValueError as exc:
            return None, f"a WECHAT_* number is not valid: {exc}"
        if not 0 < settings.reply_budget_s < 5:
            return None, "WECHAT_REPLY_BUDGET_S must be between 0 and 5 seconds (WeChat waits 5 s)"
        return settings, ""


def _valid_aes_key(key: str) -> bool:
    try:
        return len(key) == 43 and len(base64.b64decode(key + "=")) == 32
    except (binascii.Error, ValueError):
        return False
