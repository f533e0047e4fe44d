"""Roles decide who may do what, and every staff action lands in an audit log that admins read and export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from appsupport import add_staff, alembic_config, csrf_token, login, rows
from bot import db
from bot.models import Handoff, Lead, grants
from bot.staff_records import AuditEntry, AuditLogIsAppendOnly
from test_console_pages import SOURCE_MD

SHANGHAI = timezone(timedelta(hours=8))


def entries(app, action=None) -> list[AuditEntry]:
    return [e for e in rows(app, AuditEntry) if action is None or e.action == action]


@pytest.fixture
def seeded(app, tmp_path):
    """A source document, a lead, an open handoff and a turn to correct; index rebuilds are recorded, not run."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "park-opens.md").write_text(SOURCE_MD, "utf-8")
    (docs / "old.md").write_text(SOURCE_MD.replace("开园", "旧文"), "utf-8")
    app.extensions["knowledge_builder"] = lambda settings: None
    chat = app.test_client()
    app.extensions["dialogue"].meta = {"sources": [], "outcome": "answered"}
    turn_id = chat.post("/api/chat", json={"sender_id": "web-a", "message": "园区有产业基金吗"}).get_json()["turn_id"]
    app.extensions["dialogue"].meta = {"sources": [], "outcome": "handoff"}
    chat.post("/api/chat", json={"sender_id": "web-b", "message": "转人工"})
    with app.app_context():
        db.session().add(Lead(idempotency_key="k1", name="王经理", company="临空生物", phone="13800000000"))
        db.session().commit()
    return {"turn": turn_id, "lead": rows(app, Lead)[0].id, "handoff": rows(app, Handoff)[0].id}


def logged_in(app, username, role):
    add_staff(app, username, role=role)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client, csrf_token(client, "/staff/leads")


def test_each_role_grants_what_the_ones_before_it_do_and_more():
    assert grants("viewer") == {"read"}
    assert grants("staff") == {"read", "handoffs", "leads"}
    assert grants("editor") == {"read", "handoffs", "leads", "knowledge"}
    assert grants("admin") == {"read", "handoffs", "leads", "knowledge", "accounts"}
    assert grants("root") == frozenset()  # an unknown role may do nothing


def test_a_viewer_reads_but_gets_403_on_publish_export_and_every_change(app, seeded):
    viewer, token = logged_in(app, "kan", "viewer")
    for path in (
        "/staff/",
        "/staff/conversations",
        f"/staff/turns/{seeded['turn']}",
        "/staff/knowledge",
        "/staff/leads",
        "/staff/handoffs",
    ):
        assert viewer.get(path).status_code == 200, path
    assert "保存纠正" not in viewer.get(f"/staff/turns/{seeded['turn']}").get_data(as_text=True)
    assert "导出 CSV" not in viewer.get("/staff/leads").get_data(as_text=True)

    publish = viewer.post(
        f"/staff/turns/{seeded['turn']}",
        data={"question": "园区有产业基金吗", "answer": "有。", "source": "park-opens", "csrf_token": token},
    )
    assert publish.status_code == 403
    upload = viewer.post("/staff/knowledge/upload", data={"csrf_token": token, "file": (io.BytesIO(b"x"), "a.md")})
    assert upload.status_code == 403
    assert viewer.post("/staff/knowledge/old/remove", data={"csrf_token": token}).status_code == 403
    assert viewer.get("/staff/leads.csv").status_code == 403
    assert viewer.get("/staff/audit.csv").status_code == 403
    assert viewer.get("/staff/audit").status_code == 403
    assert (
        viewer.post(f"/staff/leads/{seeded['lead']}", data={"status": "contacted", "csrf_token": token}).status_code
        == 403
    )
    assert (
        viewer.post(
            f"/staff/handoffs/{seeded['handoff']}/reply", data={"text": "您好", "csrf_token": token}
        ).status_code
        == 403
    )
    api = viewer.patch(f"/api/staff/leads/{seeded['lead']}", json={"status": "closed"}, headers={"X-CSRFToken": token})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"

    assert rows(app, Lead)[0].status == "new" and (app.config["KNOWLEDGE_DOCS_DIR"] / "old.md").exists()
    assert not list(app.config["KNOWLEDGE_DOCS_DIR"].glob("faq-correction-*.md"))
    assert entries(app, "export") == [] and entries(app, "correction") == []


def test_staff_work_leads_and_handoffs_but_do_not_publish(app, seeded):
    staff, token = logged_in(app, "li", "staff")
    assert (
        staff.post(f"/staff/leads/{seeded['lead']}", data={"status": "contacted", "csrf_token": token}).status_code
        == 302
    )
    assert staff.get("/staff/leads.csv").status_code == 200
    assert (
        staff.post(
            f"/staff/turns/{seeded['turn']}",
            data={"question": "q", "answer": "a", "source": "park-opens", "csrf_token": token},
        ).status_code
        == 403
    )
    assert staff.get("/staff/accounts").status_code == 403

    editor, token = logged_in(app, "zhang", "editor")
    assert (
        editor.post(
            f"/staff/turns/{seeded['turn']}",
            data={"question": "园区有产业基金吗", "answer": "有。", "source": "park-opens", "csrf_token": token},
        ).status_code
        == 302
    )
    assert editor.get("/staff/accounts").status_code == 403


def test_every_staff_action_is_recorded_with_who_what_and_where(app, seeded):
    add_staff(app, "boss", role="admin")
    boss = app.test_client()
    assert login(boss, "boss", password="wrong password").status_code == 401
    assert login(boss, "nobody", password="wrong password").status_code == 401
    assert login(boss, "boss").status_code == 302
    token = csrf_token(boss, "/staff/leads")
    post = lambda path, **data: boss.post(path, data={**data, "csrf_token": token})  # noqa: E731

    assert (
        post(
            f"/staff/turns/{seeded['turn']}", question="园区有产业基金吗", answer="有。", source="park-opens"
        ).status_code
        == 302
    )
    assert (
        post(
            "/staff/knowledge/upload",
            file=(io.BytesIO("# 指南\n\n园区提供代办服务。".encode()), "guide.md"),
            title="服务指南",
            publisher="园区",
            published="2024-05-01",
            url="https://example.org/g",
        ).status_code
        == 302
    )
    assert post("/staff/knowledge/old/remove").status_code == 302
    assert boss.get("/staff/leads.csv").status_code == 200
    assert post(f"/staff/leads/{seeded['lead']}", status="contacted", notes="已电话联系").status_code == 302
    assert post(f"/staff/handoffs/{seeded['handoff']}/reply", text="您好，13900001111 是我的电话").status_code == 302
    assert post(f"/staff/handoffs/{seeded['handoff']}/release").status_code == 302
    kan = add_staff(app, "kan", role="viewer")
    assert post(f"/staff/accounts/{kan}/role", role="staff").status_code == 302
    assert post(f"/staff/accounts/{kan}/active", active="0").status_code == 302
    assert post(f"/staff/accounts/{kan}/unlock").status_code == 302
    assert post("/staff/logout").status_code == 302

    log = entries(app)
    actions = [e.action for e in log]
    for action in (
        "login_failed",
        "login",
        "correction",
        "upload",
        "remove",
        "export",
        "lead_change",
        "handoff_reply",
        "handoff_release",
        "account_change",
        "logout",
    ):
        assert action in actions, action
    boss_id = next(e.staff_id for e in log if e.action == "login")
    for e in log:
        assert isinstance(e.created_at, datetime)
        if e.action == "account_change" and e.actor.startswith("cli"):
            assert e.address == "cli"  # created from the command line (add_staff)
        else:
            assert e.address == "127.0.0.1", e.action
    by_boss = [e for e in log if e.action not in ("login_failed",) and not e.actor.startswith("cli")]
    assert {(e.staff_id, e.actor) for e in by_boss} == {(boss_id, "boss")}
    failed = entries(app, "login_failed")
    assert [(e.target, e.staff_id) for e in failed] == [("boss", boss_id), ("nobody", None)]
    [lead] = entries(app, "lead_change")
    assert lead.target == f"lead:{seeded['lead']}"
    assert lead.detail == {"status": ["new", "contacted"], "notes_changed": True}
    [export] = entries(app, "export")
    assert export.target == "leads.csv" and export.detail["rows"] == 1
    [reply] = entries(app, "handoff_reply")
    assert reply.target == f"handoff:{seeded['handoff']}" and "13900001111" not in str(reply.detail)
    assert [e.target for e in entries(app, "remove")] == ["old"]
    assert entries(app, "correction")[0].target == f"turn:{seeded['turn']}"
    changes = [e.detail for e in entries(app, "account_change") if e.target == "kan" and not e.actor.startswith("cli")]
    assert changes[0]["role"] == ["viewer", "staff"] and changes[1]["active"] is False and "unlock" in changes[2]


def test_the_admin_page_shows_the_log_and_exports_it_in_chinese_and_beijing_time(app):
    add_staff(app, "boss", role="admin")
    boss = app.test_client()
    login(boss, "boss")
    with app.app_context():  # a known time: 23:30 UTC is 07:30 the next day in Shanghai
        db.session().add(
            AuditEntry(
                actor="li",
                action="lead_change",
                target="lead:7",
                address="10.0.0.9",
                detail={"status": ["new", "contacted"]},
                created_at=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc),
            )
        )
        db.session().commit()
    page = boss.get("/staff/audit").get_data(as_text=True)
    assert "操作记录" in page and "线索变更" in page and "lead:7" in page and "10.0.0.9" in page
    assert "2026-03-02 07:30:00" in page and "new → contacted" in page
    filtered = boss.get("/staff/audit?action=login").get_data(as_text=True)
    assert "lead:7" not in filtered and "登录" in filtered

    response = boss.get("/staff/audit.csv")
    assert response.mimetype == "text/csv" and response.get_data().startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert table[0] == ["时间（北京时间）", "账号", "操作", "对象", "详情", "来源地址"]
    row = next(r for r in table if r[3] == "lead:7")
    assert row == ["2026-03-02 07:30:00", "li", "线索变更", "lead:7", "status: new → contacted", "10.0.0.9"]
    login_row = next(r for r in table if r[2] == "登录")
    logged = datetime.strptime(login_row[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    assert abs((logged - datetime.now(timezone.utc)).total_seconds()) < 120  # local time, not UTC
    assert entries(app, "export")[-1].target == "audit.csv"  # exporting the log is recorded too


def test_the_log_cannot_be_edited(app):
    add_staff(app, "boss", role="admin")
    boss = app.test_client()
    login(boss, "boss")
    token = csrf_token(boss, "/staff/audit")
    for method in (boss.post, boss.put, boss.delete):
        assert method("/staff/audit", data={"csrf_token": token}).status_code == 405
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert audit_rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in audit_rules)
    with app.app_context():  # nor by any code path of the gateway
        session = db.session()
        session.query(AuditEntry).first().actor = "someone else"
        with pytest.raises(AuditLogIsAppendOnly):
            session.commit()
        session.rollback()
        session.delete(session.query(AuditEntry).first())
        with pytest.raises(AuditLogIsAppendOnly):
            session.commit()
        session.rollback()
    assert "someone else" not in {e.actor for e in entries(app)} and len(entries(app)) == 2  # creation, login


def test_create_staff_takes_a_role_and_is_recorded(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-staff", "--username", "zhang", "--role", "editor", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["create-staff", "--username", "x", "--role", "owner", "--password", "long enough pw"])
    assert refused.exit_code != 0 and "owner" in refused.output
    [entry] = entries(app, "account_change")
    assert entry.target == "zhang" and entry.detail == {"created": True, "role": "editor"}
    assert entry.actor.startswith("cli") and entry.address == "cli"


def test_an_oversized_upload_without_a_login_is_refused_plainly(app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    stranger = app.test_client()
    token = csrf_token(stranger)
    response = stranger.post(
        "/staff/knowledge/upload", data={"csrf_token": token, "file": (io.BytesIO(b"x" * 4096), "big.md")}
    )
    assert response.status_code in (302, 413)  # never a 500


def test_the_migration_keeps_existing_accounts_roles_and_makes_unknown_ones_viewers(tmp_path):

    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0004")
    engine = create_engine(url)
    with engine.begin() as conn:  # accounts as the older code made them, one of them locked
        for name, role in (("boss", "admin"), ("li", "staff"), ("odd", "owner")):
            conn.execute(
                text(
                    "INSERT INTO staff_users (username, password_hash, role, failed_logins, locked_until,"
                    " active, created_at) VALUES (:n, 'x', :r, 3, '2030-01-01 00:00:00', 1,"
                    " '2026-01-01 00:00:00')"
                ),
                {"n": name, "r": role},
            )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT username, role FROM staff_users")).all())
        columns = {c["name"] for c in inspect(conn).get_columns("staff_users")}
    assert roles == {"boss": "admin", "li": "staff", "odd": "viewer"}
    assert not {"failed_logins", "locked_until"} & columns  # lockout is per address now, not per account

    with engine.begin() as conn:
        conn.execute(text("UPDATE staff_users SET role = 'editor' WHERE username = 'li'"))
    command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT username, role FROM staff_users")).all())
    assert roles == {"boss": "admin", "li": "staff", "odd": "staff"}  # the only other role the old code knows
    engine.dispose()
