"""Helpers for the gateway's persistence and console tests (their fixtures are in conftest.py).

`make_app` is the one app builder: the real app factory with a temporary
database (schema from the models), the one fake dialogue engine
(`FakeDialogue`), and no rate limits unless a test asks. `tenant` is the chat
helper: one test client per web conversation.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bot import create_app, db
from bot.db import Base
from bot.dialogue import DialogueUnavailable

SECRET = "test-leads-secret"
PASSWORD = "correct horse battery"


class FakeDialogue:
    """The one stand-in for Rasa: implements bot.dialogue.Dialogue, as DialogueClient does.

    `answer(sender_id, message)` says what Rasa would; by default the canned `replies` and `meta` (a cited
    park answer), which a test may change. Tests that script a conversation subclass it and override
    `answer` only, so recording and failure work the same everywhere: `sent` holds (sender_id, message) in
    order (session starts as "/session_start"), `resumed` the resumed senders; `down` makes every call raise
    DialogueUnavailable; `delay_s` slows each turn; `gate`, when set, holds each turn until a test opens it
    (timing by events, not by the clock, where a busy machine would change the outcome); `log_path` appends each turn to a file (JSON lines of
    [pid, sender_id, message]) so a test sees the turns of several gunicorn workers.
    """

    def __init__(self, delay_s: float = 0.0, log_path: str | None = None, gate: threading.Event | None = None):
        self.delay_s, self.log_path, self.gate = delay_s, log_path, gate
        self.sent: list[tuple[str, str]] = []
        self.resumed: list[str] = []
        self.down = False
        self._lock = threading.Lock()
        self.replies: list[dict] = [
            {
                "text": "园区位于萧山机场西侧。",
                "buttons": [],
                "sources": [
                    {
                        "title": "开园",
                        "publisher": "杭州网",
                        "published": "2024-03-12",
                        "url": "https://example.org/a",
                        "snippet": "机场西侧",
                    }
                ],
            }
        ]
        self.meta: dict = {
            "outcome": "answered",
            "confidence": 0.82,
            "intent": "ask_park_info",
            "sources": [{"title": "开园", "url": "https://example.org/a", "confidence": 0.82}],
        }

    def exchange(self, sender_id: str, message: str) -> tuple[list[dict], dict]:
        self._record(sender_id, message)
        if self.down:
            raise DialogueUnavailable("connection refused")
        if self.gate is not None:
            self.gate.wait(30)
        if self.delay_s:
            time.sleep(self.delay_s)
        return self.answer(sender_id, message)

    def answer(self, sender_id: str, message: str) -> tuple[list[dict], dict]:
        return [dict(r) for r in self.replies], dict(self.meta)

    def start_session(self, sender_id: str) -> None:
        self._record(sender_id, "/session_start")  # never raises: the real one starts it in the background

    def resume(self, sender_id: str) -> None:
        if self.down:
            raise DialogueUnavailable("connection refused")
        self.resumed.append(sender_id)

    def messages(self) -> list[str]:
        """What reached Rasa, in order, without the senders."""
        return [message for _, message in self.sent]

    def _record(self, sender_id: str, message: str) -> None:
        with self._lock:  # the WeChat storm tests send from several threads
            self.sent.append((sender_id, message))
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps([os.getpid(), sender_id, message], ensure_ascii=False) + "\n")


# What every test app has, whatever else a test sets: no rate limits, fixed secrets, cheap password hashes.
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SENDER_HASH_SALT": "test-salt",
    "LEADS_API_SECRET": SECRET,
    "RATELIMIT_ENABLED": False,
    "KNOWLEDGE_REINDEX_SYNC": True,
    "STAFF_PASSWORD_METHOD": "scrypt:1024:8:1",  # still scrypt, cheap enough for a fast suite
}


def make_app(tmp_path=None, dialogue=None, *, real_dialogue: bool = False, schema: bool = True, **overrides):
    """The one way tests build the gateway: the real app factory with test settings.

    With `tmp_path`, the database and the knowledge folders live there; without it, the overrides name the
    database (DATABASE_URL). The schema is made first, as `make migrate` would (schema=False: a test that made
    it itself, with alembic, or wants none). `dialogue` stands in for Rasa (default: a new FakeDialogue);
    real_dialogue=True keeps the app's own DialogueClient, for tests of what happens when Rasa is not there.
    """
    config = dict(BASE_CONFIG)
    if tmp_path is not None:
        config.update(
            DATABASE_URL=f"sqlite:///{tmp_path / 'test.db'}",
            KNOWLEDGE_DOCS_DIR=tmp_path / "docs",
            KNOWLEDGE_DATA_DIR=tmp_path / "data",  # what staff upload or correct
            KNOWLEDGE_INDEX_DIR=tmp_path / "index",
        )
    config.update(overrides)
    if schema:
        create_schema(config["DATABASE_URL"])
    app = create_app(config)
    if not real_dialogue:
        app.extensions["dialogue"] = dialogue if dialogue is not None else FakeDialogue()
    return app


def alembic_config(url: str):
    """The project's alembic.ini aimed at `url`, without alembic re-configuring the tests' logging."""
    from alembic.config import Config

    cfg = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["skip_logging"] = True
    return cfg


def create_schema(url: str) -> None:
    """Every table of the models (the gateway's and WeChat's). A new SQLite file is a copy of one made once per
    run: creating ~20 tables and their indexes costs a fsync per statement, paid by hundreds of tests."""
    from bot.db import _sqlite_file, make_engine

    database = _sqlite_file(url)
    if database is not None and not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_schema_template(), database)
        return
    engine = make_engine(url)
    try:
        _create_all(engine)
    finally:
        engine.dispose()


_TEMPLATE: list[Path] = []


def _schema_template() -> Path:
    if not _TEMPLATE:
        from bot.db import make_engine

        folder = Path(tempfile.mkdtemp(prefix="schema-template-"))
        atexit.register(shutil.rmtree, folder, True)
        engine = make_engine(f"sqlite:///{folder / 'template.db'}")
        _create_all(engine)
        with engine.connect() as connection:  # one self-contained file: no -wal beside it to copy
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATE.append(folder / "template.db")
    return _TEMPLATE[0]


def _create_all(engine) -> None:
    from bot import models  # noqa: F401  (the models register their tables on import)
    from bot.wechat import models as wechat_models  # noqa: F401

    Base.metadata.create_all(engine)


def rows(app, model):
    with app.app_context():
        return db.session().query(model).order_by(model.id).all()


def csrf_token(client, path="/staff/login") -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def add_staff(app, username="li", password=PASSWORD, role="staff"):
    from bot.cli import create_staff

    with app.app_context():
        return create_staff(username, password, role).id


def staff_reply(app, text: str, username: str = "xiaoli") -> None:
    """A colleague's reply in the one open handoff, stored as the console stores one: with its author.
    (A handoff message without a staff member is the gateway's own notice, shown as the assistant's.)"""
    from bot.cli import create_staff
    from bot.models import Handoff, HandoffMessage, StaffUser

    with app.app_context():
        session = db.session()
        handoff = session.query(Handoff).filter_by(status="open").one()
        colleague = session.query(StaffUser).filter_by(username=username).first() or create_staff(username, PASSWORD)
        session.add(HandoffMessage(handoff_id=handoff.id, author="staff", staff_id=colleague.id, text=text))
        session.commit()


def login(client, username="li", password=PASSWORD):
    token = csrf_token(client)
    return client.post("/staff/login", data={"username": username, "password": password, "csrf_token": token})


class FakeKnowledge:
    """Stands in for KnowledgeBase: one canned answer (or abstention) with scored passages."""

    def __init__(self, abstain=False):
        from knowledge import Answer, Source

        from hit_builder import hit as make_hit

        self.asked: list[str] = []
        hit = make_hit(
            "园区位于机场西侧。",
            "park#0",
            title="开园",
            url="https://example.org/a",
            published="2024-03-12",
            publisher="杭州网",
            category="release",
            score=0.0328,
            bm25=7.5,
            dense=0.61,
            confidence=0.9 if not abstain else 0.2,
        )
        self.answer = Answer(
            text="" if abstain else "园区位于机场西侧。",
            sources=[] if abstain else [Source("开园", "杭州网", "2024-03-12", "https://example.org/a", "机场西侧")],
            confidence=hit.confidence,
            abstained=abstain,
            hits=[hit],
            threshold=0.6,  # as the real one: the threshold the confidence was held against
            # as the real one: a declined question points to the documents that discuss it
            see_also=[Source("开园", "杭州网", "2024-03-12", "https://example.org/a", "")] if abstain else [],
        )

    def ask(self, question, top_k=5, mode="hybrid"):
        self.asked.append(question)
        return self.answer


def chat(app, message: str, sender: str = "web-carol") -> dict:
    """One answered turn: the tenant's message to /api/chat through its own client (`tenant`), the reply's JSON.
    For a status code, headers or a body of its own, a test posts through `tenant(app, sender)` itself."""
    response = tenant(app, sender).post("/api/chat", json={"sender_id": sender, "message": message})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def tenant(app, sender: str = "web-carol"):
    """One browser per web conversation: a test client that keeps the conversation's cookie
    (bot/chat_tokens.py), so its later messages and polls reach the same conversation."""
    clients = app.extensions.setdefault("test_tenants", {})
    if sender not in clients:
        clients[sender] = app.test_client()
    return clients[sender]
