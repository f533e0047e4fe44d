"""The access_token, fetched and cached in one place every worker shares: a database row.

(Named access_token.py, not token.py, so it can never shadow the stdlib `token`.)

A new token invalidates the old one five minutes later, so workers must not
each fetch their own. Whoever wins the row's lease fetches; the others keep
using the current token while it is valid, or wait for the new one. Tokens
are refreshed ahead of expiry, and at once when WeChat answers 40001, 40014
or 42001. Failures are retried with backoff, logged, and surface as
`TokenUnavailable`, which callers catch: a token never crashes a request.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .config import WeChatSettings
from .models import WeChatToken, utcnow

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired
REFRESH_AHEAD = timedelta(minutes=5)
LEASE = timedelta(seconds=15)
FETCH_ATTEMPTS = 3
EPOCH = datetime(1970, 1, 1)


class TokenUnavailable(RuntimeError):
    pass


class TokenStore:
    def __init__(self, settings: WeChatSettings, sessions: sessionmaker, http: requests.Session):
        self.settings, self.sessions, self.http = settings, sessions, http
        self.app_id = settings.app_id

    def get(self, wait_s: float = 10.0) -> str:
        """A valid token, refreshing it if it is missing or near expiry."""
        deadline = time.monotonic() + wait_s
        while True:
            token, expires_at = self._read()
            now = utcnow()
            if token and expires_at - now > REFRESH_AHEAD:
                return token
            if self._take_lease():
                try:
                    return self._refresh()
                except TokenUnavailable:
                    if token and expires_at > now:
                        log.warning("wechat token refresh failed; using the current token until it expires")
                        return token
                    raise
            if token and expires_at > now:
                return token  # another worker is refreshing; this one is still good
            if time.monotonic() >= deadline:
                raise TokenUnavailable("another worker holds the refresh lease and no token is valid")
            time.sleep(0.1)

    def invalidate(self, bad_token: str) -> None:
        """WeChat rejected `bad_token`; expire it unless a newer one already replaced it."""
        with self.sessions() as session, session.begin():
            session.execute(
                update(WeChatToken)
                .where(WeChatToken.app_id == self.app_id, WeChatToken.access_token == bad_token)
                .values(expires_at=EPOCH)
            )
        log.info("wechat token invalidated after an API error")

    def _read(self) -> tuple[str | None, datetime]:
        with self.sessions() as session:
            row = session.get(WeChatToken, self.app_id)
            if row is None:
                return None, EPOCH
            return row.access_token, row.expires_at

    def _take_lease(self) -> bool:
        now = utcnow()
        try:
            with self.sessions() as session, session.begin():
                if session.get(WeChatToken, self.app_id) is None:
                    session.add(
                        WeChatToken(app_id=self.app_id, access_token=None, expires_at=EPOCH, lease_until=now + LEASE)
                    )
                    return True
        except IntegrityError:
            pass  # another worker created the row first; compete for its lease below
        with self.sessions() as session, session.begin():
            result = session.execute(
                update(WeChatToken)
                .where(
                    WeChatToken.app_id == self.app_id,
                    or_(WeChatToken.lease_until.is_(None), WeChatToken.lease_until < now),
                    # still stale: not refreshed by another worker since we looked
                    or_(WeChatToken.access_token.is_(None), WeChatToken.expires_at <= now + REFRESH_AHEAD),
                )
                .values(lease_until=now + LEASE)
            )
            return result.rowcount == 1

    def _release(self, **values) -> None:
        with self.sessions() as session, session.begin():
            session.execute(
                update(WeChatToken).where(WeChatToken.app_id == self.app_id).values(lease_until=None, **values)
            )

    def _refresh(self) -> str:
        try:
            token, expires_in = self._fetch()
        except TokenUnavailable:
            self._release()
            raise
        self._release(access_token=token, expires_at=utcnow() + timedelta(seconds=expires_in))
        log.info("wechat token refreshed", extra={"expires_in": expires_in})
        return token

    def _fetch(self) -> tuple[str, int]:
        url = f"{self.settings.api_base}/cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.settings.app_secret}
        problem = ""
        for attempt in range(FETCH_ATTEMPTS):
            if attempt:
                time.sleep(self.settings.retry_backoff_s * 2 ** (attempt - 1))
            try:
                data = self.http.get(url, params=params, timeout=self.settings.http_timeout_s).json()
            except (requests.RequestException, ValueError) as exc:
                problem = type(exc).__name__
            else:
                if isinstance(data, dict) and data.get("access_token"):
                    return str(data["access_token"]), int(data.get("expires_in") or 7200)
                # 40013 bad AppID, 40125 bad secret, 40164 server IP not whitelisted
                problem = f"errcode {data.get('errcode')}: {data.get('errmsg')}" if isinstance(data, dict) else "junk"
            log.warning("wechat token fetch failed (attempt %d/%d): %s", attempt + 1, FETCH_ATTEMPTS, problem)
        log.error("wechat token unavailable: %s", problem)
        raise TokenUnavailable(problem)
