"""Staff sessions end when they should, lockout stops guessing without locking colleagues out, cookies are safe."""

from __future__ import annotations

import re
from datetime import timedelta

from appsupport import PASSWORD, add_staff, csrf_token, login, rows
from bot import db
from bot.models import utcnow
from bot.staff_records import AuditEntry, LoginFailure, StaffSession


def at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def thief_with_cookie_of(app, victim):
    """Another browser holding a copy of the victim's session cookie (same address and browser)."""
    thief = app.test_client()
    thief.set_cookie("session", victim.get_cookie("session").value)
    return thief


def flashed(response) -> str:
    return re.search(r'<p class="flash error" role="alert">(.*?)</p>', response.get_data(as_text=True)).group(1)


def test_a_cookie_copied_before_logout_no_longer_works(app, client):
    add_staff(app)
    assert login(client).status_code == 302
    thief = thief_with_cookie_of(app, client)
    assert thief.get("/staff/").status_code == 200  # the copy works while the session is open
    assert len(rows(app, StaffSession)) == 1

    token = csrf_token(client, "/staff/leads")
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert rows(app, StaffSession) == []
    stolen = thief.get("/staff/")
    assert stolen.status_code == 302 and "/staff/login" in stolen.headers["Location"]
    assert thief.get("/api/staff/turns").status_code == 401


def test_a_password_reset_ends_every_session_of_the_account(app):
    add_staff(app, "li")
    add_staff(app, "wang")
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    for browser, name in ((laptop, "li"), (phone, "li"), (colleague, "wang")):
        assert login(browser, name).status_code == 302
    add_staff(app, "li", password="a brand new password")  # create-staff on an existing account resets it
    assert laptop.get("/staff/").status_code == 302 and phone.get("/staff/").status_code == 302
    assert colleague.get("/staff/").status_code == 200  # other accounts are untouched
    assert login(laptop, "li").status_code == 401
    assert login(laptop, "li", password="a brand new password").status_code == 302


def test_deactivation_ends_sessions_at_once_and_refuses_login(app):
    add_staff(app, "li")
    add_staff(app, "boss", role="admin")
    li, boss = app.test_client(), app.test_client()
    login(li, "li")
    login(boss, "boss")
    li_id = next(e.staff_id for e in rows(app, AuditEntry) if e.action == "login" and e.actor == "li")
    token = csrf_token(boss, "/staff/accounts")
    assert boss.post(f"/staff/accounts/{li_id}/active", data={"active": "0", "csrf_token": token}).status_code == 302
    assert li.get("/staff/").status_code == 302
    refused = login(li, "li")
    assert refused.status_code == 401 and "已停用" in flashed(refused)
    assert "已停用" not in flashed(login(li, "li", password="wrong password"))  # only the password holder learns it
    # An admin cannot lock themselves out, nor remove the last admin.
    boss_id = next(e.staff_id for e in rows(app, AuditEntry) if e.action == "login" and e.actor == "boss")
    boss.post(f"/staff/accounts/{boss_id}/active", data={"active": "0", "csrf_token": token})
    boss.post(f"/staff/accounts/{boss_id}/role", data={"role": "viewer", "csrf_token": token})
    assert boss.get("/staff/accounts").status_code == 200

    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff-active", "--username", "li", "--on"]).exit_code == 0
    assert login(li, "li").status_code == 302
    assert runner.invoke(args=["staff-active", "--username", "li", "--off"]).exit_code == 0
    assert li.get("/staff/").status_code == 302


def test_a_role_change_takes_effect_on_the_next_request(app):
    add_staff(app, "li", role="editor")
    add_staff(app, "boss", role="admin")
    li, boss = app.test_client(), app.test_client()
    login(li, "li")
    login(boss, "boss")
    li_id = next(e.staff_id for e in rows(app, AuditEntry) if e.action == "login" and e.actor == "li")
    token = csrf_token(boss, "/staff/accounts")
    boss.post(f"/staff/accounts/{li_id}/role", data={"role": "viewer", "csrf_token": token})
    assert li.get("/staff/").status_code == 302  # logged out, to log in again as a viewer


def test_lockout_is_per_address_and_does_not_tell_which_usernames_exist(app):
    add_staff(app, "li")
    attacker, colleague = at(app, "203.0.113.7"), at(app, "10.1.2.3")
    real, ghost = [], []
    for attempt in range(5):
        real.append(login(attacker, "li", password=f"wrong {attempt}"))
        ghost.append(login(attacker, "nobody-here", password=f"wrong {attempt}"))
    for mine, theirs in zip(real, ghost):  # word for word the same, for an account and for no account
        assert mine.status_code == theirs.status_code == 401
        assert flashed(mine) == flashed(theirs)
    assert "锁定" in flashed(real[-1]) and "li" not in flashed(real[-1])
    locked_right = login(attacker, "li")
    locked_ghost = login(attacker, "nobody-here", password=PASSWORD)
    assert locked_right.status_code == locked_ghost.status_code == 401
    assert flashed(locked_right) == flashed(locked_ghost)

    # The right password from a clean address always works: the attacker locked out only themselves.
    assert login(colleague, "li").status_code == 302
    assert colleague.get("/staff/").status_code == 200
    pairs = {(f.username, f.address) for f in rows(app, LoginFailure)}
    assert pairs == {("li", "203.0.113.7"), ("nobody-here", "203.0.113.7")}


def test_each_failure_after_a_lock_doubles_the_next_one(app):
    add_staff(app)
    attacker = at(app, "203.0.113.7")
    for attempt in range(5):
        login(attacker, password=f"wrong {attempt}")
    first = _lock_minutes(app)
    assert round(first) == app.config["STAFF_LOCKOUT_MINUTES"]
    _expire_lock(app)
    assert "锁定" in flashed(login(attacker, password="wrong again"))  # one more failure locks again at once
    assert round(_lock_minutes(app)) == 2 * app.config["STAFF_LOCKOUT_MINUTES"]
    _expire_lock(app)
    assert login(attacker).status_code == 302  # the right password after the lock ends
    assert rows(app, LoginFailure) == []


def _lock_minutes(app) -> float:
    [row] = rows(app, LoginFailure)
    return (row.locked_until - utcnow()).total_seconds() / 60


def _expire_lock(app):
    with app.app_context():
        row = db.session().query(LoginFailure).one()
        row.locked_until = utcnow() - timedelta(seconds=1)
        db.session().commit()


def test_the_csrf_token_rotates_at_login(app, client):
    add_staff(app)
    before = csrf_token(client)
    assert (
        client.post("/staff/login", data={"username": "li", "password": PASSWORD, "csrf_token": before}).status_code
        == 302
    )
    after = csrf_token(client, "/staff/leads")
    assert after != before
    # A token learnt before login (say, planted by an attacker) is worthless afterwards.
    assert client.post("/staff/logout", data={"csrf_token": before}).status_code == 400
    assert client.post("/staff/logout", data={"csrf_token": after}).status_code == 302


def test_the_cookie_is_secure_over_https_only(app):
    add_staff(app)
    for scheme, secure in (("https", True), ("http", False)):
        browser = app.test_client()
        page = browser.get("/staff/login", base_url=f"{scheme}://localhost")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        response = browser.post(
            "/staff/login",
            base_url=f"{scheme}://localhost",
            headers={"Referer": f"{scheme}://localhost/staff/login"},  # as browsers send
            data={"username": "li", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        assert ("; Secure" in cookie) is secure, cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_session_replayed_from_another_address_is_ended_whatever_the_headers_say(app):
    add_staff(app)
    office = at(app, "10.1.2.3")
    assert login(office, "li").status_code == 302
    elsewhere = at(app, "198.51.100.9")
    elsewhere.set_cookie("session", office.get_cookie("session").value)
    # Pretending to be the office through X-Forwarded-For does not help (TRUSTED_PROXY_HOPS is 0).
    assert elsewhere.get("/staff/", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 302
    assert rows(app, StaffSession) == []  # ended for the owner too: the cookie has leaked
    assert office.get("/staff/").status_code == 302


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(app):
    add_staff(app)
    here, there = app.test_client(), app.test_client()
    login(here)
    login(there)
    token = csrf_token(here, "/staff/password")
    wrong = here.post(
        "/staff/password",
        data={
            "current_password": "not it",
            "new_password": "another long one",
            "repeat_password": "another long one",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400 and there.get("/staff/").status_code == 200
    done = here.post(
        "/staff/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another long one",
            "repeat_password": "another long one",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert here.get("/staff/").status_code == 200  # this browser goes on, with a new session
    assert there.get("/staff/").status_code == 302  # the other one is out at once
    assert len(rows(app, StaffSession)) == 1
    assert login(there).status_code == 401 and login(there, password="another long one").status_code == 302
    [change] = [e for e in rows(app, AuditEntry) if e.action == "account_change" and e.actor == "li"]
    assert change.detail == {"password": "changed", "sessions_ended": 2}
