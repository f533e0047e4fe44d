"""Console security: login, CSRF on every form, lockout, roles."""

from __future__ import annotations

from datetime import timedelta

from appsupport import PASSWORD, add_staff, csrf_token, login, rows
from bot import db
from bot.models import Lead, utcnow
from bot.staff_records import LoginFailure


def test_pages_need_a_login(client):
    for path in (
        "/staff/",
        "/staff/conversations",
        "/staff/leads",
        "/staff/leads.csv",
        "/staff/ask",
        "/staff/knowledge",
        "/staff/handoffs",
        "/staff/turns/1",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], path
    response = client.get("/api/staff/turns")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_login_with_the_right_password_reaches_the_dashboard(app, client):
    add_staff(app)
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    page = client.get("/staff/")
    assert page.status_code == 200 and "概览" in page.get_data(as_text=True)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_wrong_password_is_refused(app, client):
    add_staff(app)
    response = login(client, password="not the password")
    assert response.status_code == 401
    assert client.get("/staff/").status_code == 302


def test_login_redirects_only_to_console_paths(app, client):
    add_staff(app)
    token = csrf_token(client)
    response = client.post(
        "/staff/login?next=//evil.example/x", data={"username": "li", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/staff/")


def test_a_post_without_csrf_is_refused(app, client):
    add_staff(app)
    refused = client.post("/staff/login", data={"username": "li", "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/staff/").status_code == 302  # not logged in

    login(client)
    with app.app_context():
        db.session().add(Lead(idempotency_key="k", phone="1", status="new"))
        db.session().commit()
    lead_id = rows(app, Lead)[0].id
    assert client.post(f"/staff/leads/{lead_id}", data={"status": "lost"}).status_code == 400
    assert client.post(f"/staff/leads/{lead_id}", data={"status": "lost", "csrf_token": "forged"}).status_code == 400
    assert rows(app, Lead)[0].status == "new"
    api = client.patch(f"/api/staff/leads/{lead_id}", json={"status": "lost"})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "bad_request"
    assert rows(app, Lead)[0].status == "new"

    token = csrf_token(client, "/staff/leads")
    assert client.post(f"/staff/leads/{lead_id}", data={"status": "contacted", "csrf_token": token}).status_code == 302
    assert rows(app, Lead)[0].status == "contacted"
    ok = client.patch(f"/api/staff/leads/{lead_id}", json={"status": "lost"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and rows(app, Lead)[0].status == "lost"


def test_four_failures_do_not_lock(app, client):
    add_staff(app)
    for _ in range(4):
        assert login(client, password="wrong password").status_code == 401
    assert login(client).status_code == 302


def test_the_sixth_attempt_after_five_wrong_passwords_is_locked_out(app, client):
    add_staff(app)
    for attempt in range(5):
        response = login(client, password=f"wrong {attempt}")
        assert response.status_code == 401
    assert "锁定" in response.get_data(as_text=True)
    sixth = login(client)  # even the right password
    assert sixth.status_code == 401 and "锁定" in sixth.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    [pair] = rows(app, LoginFailure)
    assert (pair.username, pair.address) == ("li", "127.0.0.1") and pair.locked_until is not None

    with app.app_context():  # the lock ends by itself
        db.session().get(LoginFailure, pair.id).locked_until = utcnow() - timedelta(seconds=1)
        db.session().commit()
    assert login(client).status_code == 302
    assert rows(app, LoginFailure) == []  # a success from that address starts it afresh


def test_only_admins_change_the_knowledge_base(app, client, tmp_path):
    add_staff(app, "staffer", role="staff")
    add_staff(app, "boss", role="admin")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(
        "---\ntitle: A\npublisher: P\npublished: '2024-01-01'\nurl: https://x/a\n"
        "category: release\n---\n\n园区在机场西侧。\n",
        "utf-8",
    )
    login(client, "staffer")
    token = csrf_token(client, "/staff/knowledge")
    assert client.post("/staff/knowledge/a/remove", data={"csrf_token": token}).status_code == 403
    assert "上传文档" not in client.get("/staff/knowledge").get_data(as_text=True)
    assert (docs / "a.md").exists()
    client.post("/staff/logout", data={"csrf_token": token})

    login(client, "boss")
    token = csrf_token(client, "/staff/knowledge")
    assert client.post("/staff/knowledge/a/remove", data={"csrf_token": token}).status_code == 302
    from bot.knowledge_access import settings
    from knowledge.library import document_paths

    with app.app_context():  # a shipped document is withdrawn (instance data), not deleted from the git tree
        assert "a" not in document_paths(settings(app))
