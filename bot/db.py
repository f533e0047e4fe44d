"""The gateway's database: SQLAlchemy 2, SQLite (WAL) by default, PostgreSQL by DATABASE_URL.

One engine per app, one session per request (closed at teardown). Models of
every blueprint derive from `Base`, so Alembic sees them all in one metadata.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, g
from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .private import private_sqlite


class Base(DeclarativeBase):
    pass


class UtcDateTime(TypeDecorator):
    """A moment, stored in UTC and read back aware. PostgreSQL's timestamptz converts by itself, but SQLite
    stores the wall-clock digits of whatever zone a value carries: a console filter bound to 00:00 in
    Asia/Shanghai missed eight hours of turns there. Converting every bound value here fixes each query at once."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, datetime):
            return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def default_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'park.db'}"


def _sqlite_file(url: str) -> Path | None:
    """The database file of a sqlite:/// URL, or None (in memory, or a URI with options)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    return None if (not path or path.startswith(":memory:") or "?" in path or path.startswith("file:")) else Path(path)


SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def sqlite_synchronous() -> str:
    """SQLITE_SYNCHRONOUS (SQLite's levels), NORMAL when unset or unknown; Rasa's tracker store reads
    the same setting (rasa_ext/tracker_store.py)."""
    value = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    return value if value in SYNCHRONOUS else "NORMAL"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = _sqlite_file(url)
        if database is not None:
            try:
                private_sqlite(database)  # 0600 before SQLite makes it 0644 (and its -wal, -shm alike)
            except OSError:
                pass  # an unwritable place: SQLite itself says so on first use, with its own error
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the gateway's workers read while one writes. In WAL mode NORMAL
            # syncs at checkpoints, not at every commit: the turn log's commit was the
            # gateway's largest item under `make bench` (ops/profiles/). A crash of the
            # process loses nothing and the file never corrupts; a power cut may lose the
            # last commits. SQLITE_SYNCHRONOUS=FULL brings back a sync per commit.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or default_url(app.instance_path)
    engine = make_engine(url)  # makes a SQLite file's folder too
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def session() -> Session:
    """The request's session, opened on first use."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session
