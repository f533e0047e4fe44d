"""Calls to the WeChat server API with the shared access_token.

A token error (40001, 40014, 42001) invalidates the token and the call is
made once more with a fresh one. A call is retried after a failure only when
WeChat cannot have acted on it (no connection, or -1 "system busy"), so a
message is never sent twice by a retry.
"""

from __future__ import annotations

import json
import logging
import time

import requests
from urllib3.exceptions import NewConnectionError

from .access_token import TOKEN_ERRORS, TokenStore, TokenUnavailable
from .config import WeChatSettings

log = logging.getLogger(__name__)

SYSTEM_BUSY = -1
ATTEMPTS = 3


class WeChatApiError(RuntimeError):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


class WeChatApi:
    def __init__(self, settings: WeChatSettings, tokens: TokenStore, http: requests.Session):
        self.settings, self.tokens, self.http = settings, tokens, http

    def post(self, path: str, payload: dict) -> dict:
        """POST `payload` as UTF-8 JSON; WeChat shows \\u escapes literally, so none are used."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                token = self.tokens.get()
            except TokenUnavailable as exc:
                raise WeChatApiError(-2, f"no access_token: {exc}") from exc
            try:
                response = self.http.post(
                    f"{self.settings.api_base}{path}",
                    params={"access_token": token},
                    data=body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    timeout=self.settings.http_timeout_s,
                )
                data = response.json()
            except requests.RequestException as exc:
                if attempt < ATTEMPTS and _never_sent(exc):
                    log.warning("wechat api %s unreachable, retrying: %s", path, type(exc).__name__)
                    time.sleep(self.settings.retry_backoff_s * 2 ** (attempt - 1))
                    continue
                raise WeChatApiError(-3, f"{type(exc).__name__} calling {path}") from exc
            except ValueError as exc:
                raise WeChatApiError(-4, f"HTTP {response.status_code}, not JSON") from exc

            errcode = int(data.get("errcode") or 0) if isinstance(data, dict) else -4
            if errcode == 0:
                return data
            errmsg = str(data.get("errmsg", "")) if isinstance(data, dict) else "junk"
            if errcode in TOKEN_ERRORS and not refreshed:
                log.warning("wechat api %s: token rejected (%s), refreshing", path, errcode)
                self.tokens.invalidate(token)
                refreshed = True
                continue
            if errcode == SYSTEM_BUSY and attempt < ATTEMPTS:
                time.sleep(self.settings.retry_backoff_s * 2 ** (attempt - 1))
                continue
            raise WeChatApiError(errcode, errmsg)
