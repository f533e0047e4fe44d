"""What an ordinary chat turn asks of the database: three statements and one commit.

The gateway shares two cores with Rasa and the action server under load, and each statement on
the hot path cost ~0.3-0.5 ms of its CPU, mostly SQLAlchemy (ops/profiles/README.md, round 5). An
ordinary turn (no staff hold, no visit messages waiting, no lead stored) reads its conversation's
token, reads its standing (handoff and visit messages, one statement) and writes its turn log.
Anything more is a lookup some turns need and this one did not, so a change that adds one says
so here. The turns that do need more (a held conversation, a waiting visit message, the turn that
stored a lead) are checked for behaviour in tests/test_handoff_flow.py and test_visit_booking.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from appsupport import FakeDialogue, make_app, tenant


class Statements:
    def __init__(self, engine):
        self.sql: list[str] = []
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_rest):
        self.sql.append(" ".join(statement.split()))

    def _commit(self, _conn):
        self.commits += 1

    def clear(self):
        self.sql.clear()
        self.commits = 0


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, FakeDialogue())
    yield app
    app.extensions["db_engine"].dispose()


def test_an_ordinary_turn_is_three_statements_and_one_commit(app):
    seen = Statements(app.extensions["db_engine"])
    browser = tenant(app, "web-dana")
    assert browser.post("/api/chat", json={"sender_id": "web-dana", "message": "园区在哪里？"}).status_code == 200
    seen.clear()  # the first turn also issues the conversation's token

    body = browser.post("/api/chat", json={"sender_id": "web-dana", "message": "有什么优惠政策"}).get_json()

    assert body["replies"] and body["turn_id"]
    kinds = [sql.split()[0] for sql in seen.sql]
    assert kinds == ["SELECT", "SELECT", "INSERT"], seen.sql
    assert "conversation_tokens" in seen.sql[0] and "handoffs" in seen.sql[1] and "visit_bookings" in seen.sql[1]
    assert "leads" not in " ".join(seen.sql)  # no lead was stored this turn: no lookup for the visit offer
    assert seen.commits == 1


def test_a_first_turn_adds_only_the_token_check_and_its_issue(app):
    seen = Statements(app.extensions["db_engine"])
    body = tenant(app, "web-erin").post("/api/chat", json={"sender_id": "web-erin", "message": "园区在哪里？"})

    assert body.status_code == 200 and body.get_json()["turn_id"]
    kinds = [sql.split()[0] for sql in seen.sql]
    # free to claim (one statement for the three tables), the token, the standing, the turn log
    assert kinds == ["SELECT", "INSERT", "SELECT", "INSERT"], seen.sql
    assert seen.commits == 2  # the token is committed before the turn, so a retry finds it
