"""Two tenants booking a slot's last place at the same moment: one gets it, the other is told it is full.

The capacity check and the insert are separate statements, so without a lock both bookers can count the
slot as free before either commits. Runs on SQLite always and on PostgreSQL under `make test-pg`
(conftest.db_url), where the row lock is what keeps the slot from filling twice.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic import command

from appsupport import alembic_config, make_app
from bot.models import Lead, VisitBooking, VisitSlot, utcnow
from bot.visits import booking as bookings


@pytest.fixture
def app(tmp_path, db_url):
    cfg = alembic_config(db_url)
    command.upgrade(cfg, "head")
    app = make_app(tmp_path, DATABASE_URL=db_url)
    yield app
    app.extensions["db_engine"].dispose()


def _slot_and_leads(app) -> int:
    start = utcnow() + timedelta(days=3)
    with app.extensions["db_sessionmaker"]() as session:
        slot = VisitSlot(starts_at=start, ends_at=start + timedelta(hours=1), capacity=1, place="园区展示中心")
        session.add(slot)
        for who in ("a", "b"):
            session.add(Lead(idempotency_key=f"lead-{who}", sender_hash=f"hash-{who}", name="", phone=""))
        session.commit()
        return slot.id


def test_the_last_place_cannot_be_booked_twice(app):
    slot_id = _slot_and_leads(app)
    sessions = app.extensions["db_sessionmaker"]
    outcome: dict[str, object] = {}
    b_started = threading.Event()

    def second_tenant():
        with app.app_context(), sessions() as session:
            b_started.set()
            try:
                bookings.book(session, "hash-b", "web", "web-b", slot_id, "zh")
                session.commit()
                outcome["b"] = "booked"
            except bookings.BookingError as error:
                session.rollback()
                outcome["b"] = error.code

    with app.app_context(), sessions() as first:
        bookings.book(first, "hash-a", "web", "web-a", slot_id, "zh")  # counted 0, inserted, not committed
        other = threading.Thread(target=second_tenant)
        other.start()
        assert b_started.wait(10)
        other.join(0.5)  # b counts and inserts while a's booking is still open
        first.commit()
    other.join(30)
    assert not other.is_alive()

    assert outcome["b"] == "full"
    with sessions() as session:
        booked = session.query(VisitBooking).filter_by(slot_id=slot_id, status="booked").all()
    assert [b.sender_hash for b in booked] == ["hash-a"]
