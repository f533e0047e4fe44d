"""Behind a reverse proxy (TRUSTED_PROXY_HOPS): the real client address for limits, the audit log and sessions.

The proxy is simulated by what it adds to the request: the address it
connects from (REMOTE_ADDR) and the X-Forwarded-For / X-Forwarded-Proto it
appends. With hops=0 those headers are ignored, since any client can send them.
"""

from __future__ import annotations

from appsupport import PASSWORD, add_staff, make_app, rows
from bot.staff_records import AuditEntry, StaffSession

PROXY = "127.0.0.1"  # nginx on the same machine


def limited_app(tmp_path, hops: int):
    tmp_path.mkdir(exist_ok=True)
    return make_app(
        tmp_path,
        TRUSTED_PROXY_HOPS=hops,
        RATELIMIT_ENABLED=True,
        RATELIMIT_CHAT_PER_IP="2/minute",
        RATELIMIT_CHAT_PER_SENDER="100/minute",
    )


def chat_from(client, forwarded_for: str, n: int) -> int:
    client.environ_base["REMOTE_ADDR"] = PROXY
    return client.post(
        "/api/chat",
        json={"sender_id": f"web-{forwarded_for}-{n}", "message": "园区在哪里？"},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def test_with_one_hop_two_forwarded_clients_get_separate_rate_limit_buckets(tmp_path):
    app = limited_app(tmp_path / "one", hops=1)
    client = app.test_client()
    assert [chat_from(client, "198.51.100.1", n) for n in range(3)] == [200, 200, 429]
    assert [chat_from(client, "198.51.100.2", n) for n in range(2)] == [200, 200]  # a bucket of its own
    # The client can prepend whatever it likes: only the address the proxy saw counts.
    assert chat_from(client, "10.9.9.9, 198.51.100.1", 9) == 429
    app.extensions["db_engine"].dispose()


def test_with_no_hops_the_header_is_ignored(tmp_path):
    app = limited_app(tmp_path / "zero", hops=0)
    client = app.test_client()
    codes = [chat_from(client, f"198.51.100.{n}", n) for n in range(1, 4)]
    assert codes == [200, 200, 429]  # every "client" is the proxy's one bucket: the header was not believed
    app.extensions["db_engine"].dispose()


def _login(client, forwarded_for: str, proto: str = "http"):
    import re

    headers = {
        "X-Forwarded-For": forwarded_for,
        "X-Forwarded-Proto": proto,
        "Referer": f"{proto}://localhost/staff/login",
    }
    page = client.get("/staff/login", headers=headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/staff/login", headers=headers, data={"username": "li", "password": PASSWORD, "csrf_token": token}
    )


def test_the_audit_log_and_session_protection_see_the_real_client(tmp_path):
    app = make_app(tmp_path, TRUSTED_PROXY_HOPS=1)
    add_staff(app)
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = PROXY
    response = _login(office, "203.0.113.5", proto="https")
    assert response.status_code == 302
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "; Secure" in cookie  # HTTPS at the proxy, plain HTTP behind it
    [entry] = [e for e in rows(app, AuditEntry) if e.action == "login"]
    assert entry.address == "203.0.113.5"
    [session] = rows(app, StaffSession)
    assert session.address == "203.0.113.5"
    assert office.get("/staff/", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 200

    # The same cookie from another client behind the same proxy is a stolen one: the session ends.
    assert office.get("/staff/", headers={"X-Forwarded-For": "192.0.2.66"}).status_code == 302
    assert rows(app, StaffSession) == []
    app.extensions["db_engine"].dispose()
