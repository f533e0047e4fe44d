"""Everything the WeChat channel holds for the life of a worker process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy.orm import sessionmaker
from wechatpy.crypto import WeChatCrypto

from .access_token import TokenStore
from .api_client import WeChatApi
from .config import WeChatSettings


class WeChatChannel:
    def __init__(self, settings: WeChatSettings, sessions: sessionmaker):
        self.settings = settings
        self.sessions = sessions
        self.crypto = (
            WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id) if settings.safe_mode else None
        )
        self.http = requests.Session()
        self.tokens = TokenStore(settings, sessions, self.http)
        self.api = WeChatApi(settings, self.tokens, self.http)
        # Dialogue turns and late deliveries; a request never waits on more than its budget.
        self.executor = ThreadPoolExecutor(max_workers=settings.worker_threads, thread_name_prefix="wechat")
