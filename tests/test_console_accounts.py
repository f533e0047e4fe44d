"""Admins see locked staff accounts and unlock them; staff cannot."""

from __future__ import annotations

import re

from appsupport import add_staff, csrf_token, login, rows
from bot.models import StaffUser
from bot.staff_records import LoginFailure


def lock_out(client, username: str):
    for attempt in range(5):
        response = login(client, username, password=f"wrong {attempt}")
        assert response.status_code == 401
    assert "锁定" in response.get_data(as_text=True)
    assert login(client, username).status_code == 401  # even the right password


def user(app, username: str) -> StaffUser:
    return next(u for u in rows(app, StaffUser) if u.username == username)


def locked(app, username: str) -> bool:
    return any(f.username == username and f.locked_until is not None for f in rows(app, LoginFailure))


def failures(app, username: str) -> int:
    return sum(f.failures for f in rows(app, LoginFailure) if f.username == username)


def test_an_admin_sees_the_locked_account_and_unlocks_it(app):
    add_staff(app, "li", role="staff")
    add_staff(app, "boss", role="admin")
    lock_out(app.test_client(), "li")
    assert locked(app, "li")

    admin = app.test_client()
    assert login(admin, "boss").status_code == 302
    assert "账号" in admin.get("/staff/").get_data(as_text=True)  # in the admin's menu
    page = admin.get("/staff/accounts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "1 个账号已锁定" in html
    row = re.search(r'<tr id="account-(\d+)">(.*?)</tr>', html, re.S)  # locked accounts come first
    assert row and "li" in row.group(2) and "已锁定" in row.group(2) and "解锁" in row.group(2)
    boss_row = re.search(rf'<tr id="account-{user(app, "boss").id}">(.*?)</tr>', html, re.S).group(1)
    assert "正常" in boss_row and "解锁" not in boss_row and "停用" not in boss_row  # not oneself

    li_id = user(app, "li").id
    # Unlocking is a POST with the CSRF token; without it nothing changes.
    assert admin.post(f"/staff/accounts/{li_id}/unlock").status_code == 400
    assert admin.post(f"/staff/accounts/{li_id}/unlock", data={"csrf_token": "forged"}).status_code == 400
    assert admin.get(f"/staff/accounts/{li_id}/unlock").status_code == 405
    assert locked(app, "li")

    token = csrf_token(admin, "/staff/accounts")
    done = admin.post(f"/staff/accounts/{li_id}/unlock", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/accounts")
    after = admin.get("/staff/accounts").get_data(as_text=True)
    assert "已解锁账号 li" in after and "已锁定" not in after
    assert not locked(app, "li") and failures(app, "li") == 0

    colleague = app.test_client()
    assert login(colleague, "li").status_code == 302  # back in at once
    assert colleague.get("/staff/").status_code == 200
    assert admin.post("/staff/accounts/9999/unlock", data={"csrf_token": token}).status_code == 404


def test_unlocking_also_clears_failed_attempts_that_have_not_locked_yet(app):
    add_staff(app, "li", role="staff")
    add_staff(app, "boss", role="admin")
    for attempt in range(3):
        login(app.test_client(), "li", password=f"wrong {attempt}")
    admin = app.test_client()
    login(admin, "boss")
    html = admin.get("/staff/accounts").get_data(as_text=True)
    assert "清零失败次数" in html and "已锁定" not in html
    token = csrf_token(admin, "/staff/accounts")
    admin.post(f"/staff/accounts/{user(app, 'li').id}/unlock", data={"csrf_token": token})
    assert failures(app, "li") == 0
    assert "未被锁定" in admin.get("/staff/accounts").get_data(as_text=True)


def test_staff_get_403_and_cannot_unlock(app):
    add_staff(app, "li", role="staff")
    add_staff(app, "wang", role="staff")
    lock_out(app.test_client(), "wang")
    staff = app.test_client()
    assert login(staff, "li").status_code == 302
    assert "/staff/accounts" not in staff.get("/staff/").get_data(as_text=True)  # not in the menu
    assert staff.get("/staff/accounts").status_code == 403
    token = csrf_token(staff, "/staff/leads")
    assert staff.post(f"/staff/accounts/{user(app, 'wang').id}/unlock", data={"csrf_token": token}).status_code == 403
    assert locked(app, "wang")


def test_the_accounts_page_needs_a_login(app, client):
    add_staff(app, "li", role="staff")
    response = client.get("/staff/accounts")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    token = csrf_token(client)
    refused = client.post("/staff/accounts/1/unlock", data={"csrf_token": token})
    assert refused.status_code == 302 and "/staff/login" in refused.headers["Location"]
