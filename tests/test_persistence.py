"""The gateway's database: migrations, turn log, feedback, leads, handoffs, retention.

Runs on SQLite always, and on PostgreSQL too when TEST_DATABASE_URL points
at one (`make test-pg` starts a throwaway server and sets it).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from appsupport import SECRET, FakeDialogue, alembic_config, make_app, rows
from bot import db
from bot.db import Base
from bot.dialogue import fold_messages
from bot.models import Feedback, Handoff, HandoffMessage, Lead, StaffUser, Turn, utcnow

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="TEST_DATABASE_URL not set (make test-pg runs these on PostgreSQL)"
        ),
    ),
]


def _wipe(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _url(backend: str, tmp_path) -> str:
    if backend == "postgresql":
        _wipe(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'park.db'}"


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    url = _url(request.param, tmp_path)
    command.upgrade(alembic_config(url), "head")  # the real schema, not create_all
    app = make_app(tmp_path, schema=False, DATABASE_URL=url)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def chat(client, message="园区在哪里？", sender="web-alice"):
    return client.post("/api/chat", json={"sender_id": sender, "message": message})


def lead_post(client, key="lead-1", secret=SECRET, **fields):
    body = {
        "idempotency_key": key,
        "name": "王经理",
        "company": "临空生物",
        "phone": "13800000000",
        "need": "1000平方米研发用房",
        **fields,
    }
    headers = {"X-Leads-Secret": secret} if secret is not None else {}
    return client.post("/api/leads", json=body, headers=headers)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models_and_downgrade_cleanly(backend, tmp_path):
    url = _url(backend, tmp_path)
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    engine = create_engine(url)
    from bot import models  # noqa: F401
    import bot.wechat.models  # noqa: F401  the initial migration creates the WeChat tables too

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {
        "turns",
        "feedback",
        "leads",
        "handoffs",
        "staff_users",
        "faq_corrections",
        "wechat_messages",
        "wechat_tokens",
        "wechat_followers",
        "wechat_options",
    } <= tables
    command.downgrade(cfg, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_chat_answers_even_before_the_database_is_migrated(tmp_path):
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    with app.extensions["db_engine"].begin() as conn:
        for table in ("feedback", "faq_corrections", "handoff_messages", "handoffs", "turns"):
            conn.execute(text(f"DROP TABLE {table}"))
    response = app.test_client().post("/api/chat", json={"sender_id": "web-a", "message": "园区在哪里？"})
    assert response.status_code == 200 and response.get_json()["replies"][0]["text"]


def test_the_migration_adopts_tables_an_app_start_already_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'started.db'}"
    import bot.wechat.models as wechat_models

    engine = create_engine(url)
    Base.metadata.create_all(engine, tables=wechat_models.TABLES)  # what the WeChat channel does at start
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        assert {"turns", "wechat_messages"} <= set(inspect(conn).get_table_names())
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def test_a_turn_is_logged_with_hashed_sender_sources_scores_and_outcome(app, client):
    response = chat(client, "园区在哪里？", sender="web-alice")
    assert response.status_code == 200
    body = response.get_json()
    assert body["replies"][0]["text"] == "园区位于萧山机场西侧。"
    [turn] = rows(app, Turn)
    assert body["turn_id"] == turn.id
    assert turn.channel == "web"
    assert turn.user_text == "园区在哪里？"
    assert turn.reply == "园区位于萧山机场西侧。"
    assert turn.outcome == "answered" and turn.intent == "ask_park_info"
    assert turn.confidence == pytest.approx(0.82)
    assert turn.sources[0]["confidence"] == pytest.approx(0.82)
    assert turn.latency_ms >= 0 and turn.degraded is False
    expected = hmac.new(b"test-salt", b"web-alice", hashlib.sha256).hexdigest()
    assert turn.sender_hash == expected and "alice" not in turn.sender_hash


@pytest.mark.parametrize(
    "meta,outcome",
    [
        ({"outcome": "abstained", "confidence": 0.2}, "abstained"),
        ({"intent": "out_of_scope"}, "out_of_scope"),
        ({}, "answered"),  # a response that reports nothing: a greeting, a lead-form question
    ],
)
def test_the_outcome_comes_from_the_action_metadata(app, client, meta, outcome):
    app.extensions["dialogue"].meta = {"sources": [], **meta}
    assert chat(client).status_code == 200
    assert rows(app, Turn)[0].outcome == outcome


def test_an_outcome_outside_the_turn_contract_is_logged_counted_and_never_called_answered(app, client, caplog):
    from bot import metrics

    before = metrics.UNKNOWN_OUTCOMES._value.get()
    app.extensions["dialogue"].meta = {"sources": [], "outcome": "nonsense"}
    with caplog.at_level("WARNING", logger="bot.conversation"):
        assert chat(client).status_code == 200
    assert rows(app, Turn)[0].outcome == "unknown"
    assert metrics.UNKNOWN_OUTCOMES._value.get() == before + 1
    [warning] = [r for r in caplog.records if "turn contract" in r.getMessage()]
    assert warning.levelname == "WARNING" and warning.outcome == "nonsense"


def test_action_metadata_is_logged_but_never_reaches_the_client():
    messages = [
        {"recipient_id": "u", "text": "园区在机场西侧。"},
        {
            "recipient_id": "u",
            "custom": {
                "sources": [
                    {
                        "title": "开园",
                        "publisher": "杭州网",
                        "published": "2024-03-12",
                        "url": "https://x/a",
                        "snippet": "机场西侧",
                        "score": 0.03,
                        "doc_id": "d1",
                    }
                ],
                "outcome": "answered",
                "confidence": 0.9,
                "intent": "ask_location",
            },
        },
    ]
    replies, meta = fold_messages(messages)
    assert replies == [
        {
            "text": "园区在机场西侧。",
            "buttons": [],
            "sources": [
                {
                    "title": "开园",
                    "publisher": "杭州网",
                    "published": "2024-03-12",
                    "url": "https://x/a",
                    "snippet": "机场西侧",
                }
            ],
        }
    ]
    assert meta["outcome"] == "answered" and meta["confidence"] == 0.9 and meta["intent"] == "ask_location"
    assert meta["sources"][0]["score"] == 0.03


def test_chat_still_answers_when_the_turn_log_cannot_be_written(app, client):
    with app.app_context():
        with app.extensions["db_engine"].begin() as conn:
            # Renamed away rather than dropped: other tables' foreign keys (chat_requests, feedback, ...)
            # refer to it, and PostgreSQL refuses to drop a table that is referred to.
            conn.execute(text("ALTER TABLE turns RENAME TO turns_gone"))
    response = chat(client)
    assert response.status_code == 200
    assert response.get_json()["turn_id"] is None
    assert response.get_json()["replies"][0]["text"]


def test_thumbs_down_is_stored_once_per_sender_and_only_by_the_asker(app, client):
    turn_id = chat(client, sender="web-alice").get_json()["turn_id"]
    assert (
        client.post(
            "/api/chat/feedback", json={"sender_id": "web-bob", "turn_id": turn_id, "rating": "down"}
        ).status_code
        == 403  # alice's token names her conversation, not bob's (tests/test_feedback_ownership.py)
    )
    assert (
        client.post(
            "/api/chat/feedback", json={"sender_id": "web-alice", "turn_id": turn_id, "rating": "up"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/chat/feedback",
            json={"sender_id": "web-alice", "turn_id": turn_id, "rating": "down", "comment": "不对"},
        ).status_code
        == 200
    )
    [fb] = rows(app, Feedback)
    assert (fb.turn_id, fb.rating, fb.comment) == (turn_id, -1, "不对")
    assert (
        client.post(
            "/api/chat/feedback", json={"sender_id": "web-alice", "turn_id": turn_id, "rating": "meh"}
        ).status_code
        == 400
    )


def test_leads_without_the_secret_get_401(app, client):
    for secret in (None, "wrong-secret"):
        response = lead_post(client, secret=secret)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    assert rows(app, Lead) == []


def test_leads_are_refused_when_no_secret_is_configured(tmp_path):
    app = make_app(tmp_path, LEADS_API_SECRET="")
    assert lead_post(app.test_client(), secret="").status_code == 401


def test_a_lead_is_stored_once_per_idempotency_key(app, client):
    first = lead_post(client, key="k-1", sender_id="web-alice")
    assert first.status_code == 201 and first.get_json()["created"] is True
    again = lead_post(client, key="k-1", sender_id="web-alice")
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["lead"]["id"] == first.get_json()["lead"]["id"]
    other = lead_post(client, key="k-2")
    assert other.status_code == 201
    stored = rows(app, Lead)
    assert [(lead.idempotency_key, lead.status, lead.company) for lead in stored] == [
        ("k-1", "new", "临空生物"),
        ("k-2", "new", "临空生物"),
    ]
    assert stored[0].sender_hash and stored[0].sender_hash != "web-alice"


@pytest.mark.parametrize(
    "change,code",
    [
        ({"key": ""}, "missing_field"),
        ({"phone": ""}, "missing_field"),
        ({"name": "x" * 101}, "invalid_field"),
    ],
)
def test_bad_leads_are_refused_with_a_reason(app, client, change, code):
    change = dict(change)  # the parameter is shared by both backends' runs
    key = change.pop("key", "k-bad")
    response = lead_post(client, key=key, **change)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_a_handoff_keeps_the_bot_quiet_and_staff_replies_reach_the_poll(app, client):
    fake: FakeDialogue = app.extensions["dialogue"]
    fake.meta = {"outcome": "handoff", "sources": []}
    fake.replies = [{"text": "好的，正在为您转接招商人员。", "buttons": [], "sources": []}]
    opened = chat(client, "转人工", sender="web-carol").get_json()
    assert opened["handoff"] is True
    waiting = chat(client, "我想租1000平米", sender="web-carol").get_json()
    assert waiting["replies"] == [] and waiting["handoff"] is True
    assert fake.sent == [("web-carol", "转人工")]  # the second message never reached Rasa
    [handoff] = rows(app, Handoff)
    assert handoff.status == "open" and handoff.sender_id == "web-carol"
    assert [m.text for m in rows(app, HandoffMessage)] == ["转人工", "我想租1000平米"]
    assert [t.outcome for t in rows(app, Turn)] == ["handoff", "handoff"]

    with app.app_context():
        db.session().add(HandoffMessage(handoff_id=handoff.id, author="staff", text="您好，我是招商部小李"))
        db.session().commit()
    # The poll names no one: the client's cookie is web-carol's conversation token (bot/chat_tokens.py).
    polled = client.get("/api/chat/poll?after=0").get_json()
    assert polled["handoff"] is True and [m["text"] for m in polled["messages"]] == ["您好，我是招商部小李"]
    last = polled["messages"][-1]["id"]
    assert client.get(f"/api/chat/poll?after={last}").get_json()["messages"] == []
    assert app.test_client().get("/api/chat/poll").status_code == 401  # no token, no conversation


def test_purge_removes_turns_past_retention_with_their_feedback(app, client):
    old_id = chat(client, "旧问题").get_json()["turn_id"]
    new_id = chat(client, "新问题").get_json()["turn_id"]
    client.post("/api/chat/feedback", json={"sender_id": "web-alice", "turn_id": old_id, "rating": "down"})
    with app.app_context():
        s = db.session()
        s.get(Turn, old_id).created_at = utcnow() - timedelta(days=181)
        s.commit()
    result = app.test_cli_runner().invoke(args=["purge-turns"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 turns" in result.output
    assert [t.id for t in rows(app, Turn)] == [new_id]
    assert rows(app, Feedback) == []


def test_create_staff_command_stores_a_hashed_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff", "--username", "li", "--role", "admin", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    [user] = rows(app, StaffUser)
    assert user.username == "li" and user.role == "admin"
    assert "long enough pw" not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    short = runner.invoke(args=["create-staff", "--username", "x", "--role", "staff", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output


@pytest.mark.parametrize(("setting", "level"), [(None, 1), ("full", 2), ("nonsense", 1)])
def test_the_sqlite_database_syncs_at_checkpoints_unless_told_otherwise(tmp_path, monkeypatch, setting, level):
    """WAL with synchronous NORMAL (1) by default, SQLITE_SYNCHRONOUS=FULL (2) on request."""
    from bot.db import make_engine

    if setting is None:
        monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("SQLITE_SYNCHRONOUS", setting)
    engine = make_engine(f"sqlite:///{tmp_path / 'park.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == level
    engine.dispose()
