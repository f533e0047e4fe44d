"""The lead pipeline (issue 17 part 5): statuses with history, a board, audit, a Chinese Excel-friendly export,
and a migration that carries the old statuses over."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from alembic import command
from sqlalchemy import create_engine, text

from appsupport import add_staff, alembic_config, csrf_token, login, rows
from bot import db
from bot.models import LEAD_STATUSES, Lead, LeadChange
from bot.staff_records import AuditEntry


def logged_in(app, username, role="staff"):
    add_staff(app, username, role=role)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client, csrf_token(client, "/staff/leads")


def add_lead(app, **fields) -> int:
    with app.app_context():
        values = {"name": "王经理", "company": "临空生物", "phone": "13800000000", **fields}
        lead = Lead(idempotency_key=values.pop("key", "k1"), **values)
        db.session().add(lead)
        db.session().commit()
        return lead.id


def test_a_lead_walks_the_pipeline_and_every_step_keeps_owner_note_and_time(app):
    lead_id = add_lead(app)
    li, token = logged_in(app, "li")
    steps = [("contacted", "已电话联系"), ("visit_booked", "约了周三"), ("negotiating", ""), ("signed", "签约 2 号楼")]
    for status, note in steps:
        assert (
            li.post(f"/staff/leads/{lead_id}", data={"status": status, "note": note, "csrf_token": token}).status_code
            == 302
        )
    [lead] = rows(app, Lead)
    changes = rows(app, LeadChange)
    assert lead.status == "signed" and lead.owner_id is not None and lead.notes == "签约 2 号楼"
    assert [(c.from_status, c.to_status, c.note, c.actor) for c in changes] == [
        ("new", "contacted", "已电话联系", "li"),
        ("contacted", "visit_booked", "约了周三", "li"),
        ("visit_booked", "negotiating", "", "li"),
        ("negotiating", "signed", "签约 2 号楼", "li"),
    ]
    assert all(c.created_at is not None and c.staff_id == lead.owner_id for c in changes)
    audits = [e for e in rows(app, AuditEntry) if e.action == "lead_change"]
    assert [e.detail["status"] for e in audits] == [
        [a, b] for a, b, *_ in [(c.from_status, c.to_status) for c in changes]
    ]
    page = li.get(f"/staff/leads/{lead_id}").get_data(as_text=True)
    assert "状态记录" in page and "已电话联系" in page and "洽谈中 → 已签约" in page and "负责人" in page

    # Saving without a change or note writes nothing; a bad status changes nothing and says why.
    li.post(f"/staff/leads/{lead_id}", data={"status": "signed", "note": "", "csrf_token": token})
    bad = li.post(
        f"/staff/leads/{lead_id}", data={"status": "closed", "note": "x", "csrf_token": token}, follow_redirects=True
    )
    assert "无效的状态" in bad.get_data(as_text=True)
    assert len(rows(app, LeadChange)) == 4 and rows(app, Lead)[0].status == "signed"


def test_the_board_has_a_column_per_status_and_a_viewer_cannot_move_a_lead(app):
    first = add_lead(app, key="a")
    add_lead(app, key="b", status="negotiating", company="某医药公司")
    viewer, token = logged_in(app, "kan", "viewer")
    board = viewer.get("/staff/leads").get_data(as_text=True)
    for label in ("新线索", "已联系", "已预约考察", "洽谈中", "已签约", "已流失"):
        assert f">{label} <span" in board
    assert board.index("某医药公司") > board.index("洽谈中 <span") > board.index("临空生物")
    assert "lead-change" not in board  # no forms for a viewer
    assert viewer.post(f"/staff/leads/{first}", data={"status": "lost", "csrf_token": token}).status_code == 403
    api = viewer.patch(f"/api/staff/leads/{first}", json={"status": "lost"}, headers={"X-CSRFToken": token})
    assert api.status_code == 403 and rows(app, Lead)[0].status == "new" and rows(app, LeadChange) == []
    listed = viewer.get("/staff/leads?status=negotiating").get_data(as_text=True)
    assert "某医药公司" in listed and "临空生物" not in listed


def test_the_staff_api_moves_a_lead_with_a_note_and_refuses_unknown_statuses(app):
    lead_id = add_lead(app)
    li, token = logged_in(app, "li")
    ok = li.patch(
        f"/api/staff/leads/{lead_id}", json={"status": "lost", "note": "已在别处落户"}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and ok.get_json()["lead"]["status"] == "lost"
    bad = li.patch(f"/api/staff/leads/{lead_id}", json={"status": "closed"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and "signed" in bad.get_json()["error"]["message"]
    assert [(c.to_status, c.note) for c in rows(app, LeadChange)] == [("lost", "已在别处落户")]


def test_the_export_has_chinese_headers_labels_and_shanghai_times(app):
    # 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai.
    lead_id = add_lead(app, created_at=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc))
    li, token = logged_in(app, "li")
    li.post(f"/staff/leads/{lead_id}", data={"status": "negotiating", "note": "=1+1", "csrf_token": token})
    raw = li.get("/staff/leads.csv").get_data()
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(table[0])[:5] == ["编号", "提交时间（北京时间）", "状态", "负责人", "联系人"]
    row = table[0]
    assert row["提交时间（北京时间）"] == "2026-03-02 07:30:00" and row["状态"] == "洽谈中"
    assert row["负责人"] == "li" and row["电话"] == "13800000000" and row["备注"] == "'=1+1"
    assert [e.target for e in rows(app, AuditEntry) if e.action == "export"] == ["leads.csv"]


def test_the_migration_turns_closed_leads_into_lost_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'park.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0007_conversation_tokens")
    engine = create_engine(url)
    with engine.begin() as conn:
        for key, status in (("a", "new"), ("b", "contacted"), ("c", "closed")):
            conn.execute(
                text(
                    "INSERT INTO leads (idempotency_key, channel, sender_hash, name, company, phone, email, "
                    "industry, need, extra, status, notes, created_at, updated_at) VALUES (:k, 'web', '', "
                    "'', '', '1', '', '', '', '{}', :s, '', '2026-01-01', '2026-01-01')"
                ),
                {"k": key, "s": status},
            )
    command.upgrade(cfg, "0009_lead_pipeline")
    with engine.connect() as conn:
        statuses = [s for (s,) in conn.execute(text("SELECT status FROM leads ORDER BY idempotency_key"))]
    assert statuses == ["new", "contacted", "lost"] and set(statuses) <= set(LEAD_STATUSES)
    with engine.begin() as conn:
        conn.execute(text("UPDATE leads SET status = 'negotiating' WHERE idempotency_key = 'b'"))
    command.downgrade(cfg, "0007_conversation_tokens")
    with engine.connect() as conn:
        statuses = [s for (s,) in conn.execute(text("SELECT status FROM leads ORDER BY idempotency_key"))]
    assert statuses == ["new", "contacted", "closed"]
    engine.dispose()
