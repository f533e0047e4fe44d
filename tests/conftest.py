"""Shared fixtures: a real index built once per run, the gateway app with a fake dialogue, a fresh database.

Fixtures live here, not in helper modules, so tests use them without
importing them (an import that only feeds a fixture looks unused to linters).
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)  # tests refer to repo files by relative path
# Staff documents live in the instance's data directory; a test must never read a developer's.
os.environ["KNOWLEDGE_DATA_DIR"] = tempfile.mkdtemp(prefix="knowledge-data-")
atexit.register(shutil.rmtree, os.environ["KNOWLEDGE_DATA_DIR"], True)


# Fixtures whose tests are slow: `kb` and `staff_kb` (tests/test_knowledge_faq.py) build a real index
# (the embedding model over every document); `browser` starts Chromium (tests/e2e/conftest.py), and so does
# `made` (tests/test_metadata_proposal.py), which prints its PDF with it: the unit loop needs no browser.
SLOW_FIXTURES = frozenset({"kb", "staff_kb", "browser", "made"})


def pytest_configure(config):
    """Temporary folders on tmpfs (/dev/shm) when there is one, unless --basetemp names another place.

    Test databases are SQLite files under tmp_path, and SQLite syncs to disk on every commit: on a busy
    disk those waits were about half of the unit loop's wall time. A fresh folder per run, so two runs on one
    machine never clear each other's (pytest empties --basetemp when it starts)."""
    shm = Path("/dev/shm")
    if config.option.basetemp is None and shm.is_dir() and os.access(shm, os.W_OK):
        config.option.basetemp = tempfile.mkdtemp(prefix="pytest-", dir=shm)
        atexit.register(shutil.rmtree, config.option.basetemp, True)


def pytest_collection_modifyitems(config, items):
    """Mark `slow` every test that uses a slow fixture, directly or through another fixture,
    so `make test-fast` (-m "not slow") leaves it out without each test having to say so."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    """A KnowledgeBase built from knowledge/docs into a temporary index directory."""
    from knowledge import KnowledgeBase, Settings

    settings = Settings.from_env()
    index_dir = tmp_path_factory.mktemp("index") / "index"
    return KnowledgeBase.build(settings, index_dir=index_dir)


@pytest.fixture
def kb_in_actions(kb):
    """The action server's shared knowledge base (actions/knowledge_client.py) is the session's test index."""
    from actions import knowledge_client

    knowledge_client.use(kb)
    yield kb
    knowledge_client.use(None)


@pytest.fixture
def loopback():
    """Start fakes on 127.0.0.1 (tests/loopback.py): `loopback(Handler)` or `loopback(app=wsgi_app)`;
    every one started is closed when the test ends."""
    from loopback import Loopback

    servers: list[Loopback] = []

    def serve(handler=None, **options) -> Loopback:
        servers.append(Loopback(handler, **options))
        return servers[-1]

    yield serve
    for server in servers:
        server.close()


@pytest.fixture
def app(tmp_path):
    """The gateway from the one builder (tests/appsupport.make_app): a temporary SQLite database and the fake
    dialogue. Test files that need more (settings, a scripted dialogue, seeded stores) build on make_app too."""
    from appsupport import make_app

    app = make_app(tmp_path)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def dialogue(app):
    return app.extensions["dialogue"]


@pytest.fixture
def admin(app, client, tmp_path):
    """A logged-in admin over an empty docs folder; index builds are recorded in app.extensions["built"]
    (each as the documents it would index), not run."""
    from appsupport import add_staff, login
    from knowledge.library import document_paths

    (tmp_path / "docs").mkdir()
    app.extensions["knowledge_builder"] = lambda settings: app.extensions.setdefault("built", []).append(
        sorted(document_paths(settings))
    )
    add_staff(app, "boss", role="admin")
    assert login(client, "boss").status_code == 302
    return client


@pytest.fixture
def db_url(tmp_path):
    """A fresh database per test: on PostgreSQL when TEST_DATABASE_URL names one
    (scripts/with-postgres), else a SQLite file, on tmpfs where there is one."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if server.startswith("postgresql"):
        from sqlalchemy import create_engine

        name = f"wechat_test_{os.getpid()}_{random.randrange(10**9)}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.rsplit("/", 1)[0] + "/" + name
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        return
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        directory = Path(tempfile.mkdtemp(prefix="wechat-test-", dir=shm))
        yield f"sqlite:///{directory / 'wx.db'}"
        shutil.rmtree(directory, ignore_errors=True)
    else:
        yield f"sqlite:///{tmp_path / 'wx.db'}"
