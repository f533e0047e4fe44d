"""The gateway behind the real nginx of deploy/ (issue 18 part 5), with a scripted dialogue engine.

nginx is Debian's (scripts/system-deps installs it), configured by the file an
operator renders, terminating TLS with a certificate made here. The gateway
runs with TRUSTED_PROXY_HOPS=1 as the README says. Two clients connect from two
loopback addresses (127.0.0.2 and 127.0.0.3), each sending an X-Forwarded-For
of its own choosing: each must get its own rate-limit bucket, and a forged
header must not buy a fresh one. tests/e2e/test_nginx_stack.py chats through the
same configuration with Rasa behind it.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import time

import pytest
import requests

from appsupport import PASSWORD, add_staff, make_app
from loopback import Loopback
from nginx_harness import Nginx, available

pytestmark = [
    pytest.mark.slow,  # starts nginx and a threaded gateway: left out of make test-fast
    pytest.mark.skipif(not available(), reason="needs Debian's nginx and openssl (make system-deps)"),
]
SITE = "https://park.example.org"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    app = make_app(
        tmp_path_factory.mktemp("nginx-gateway"),
        TRUSTED_PROXY_HOPS=1,
        RATELIMIT_ENABLED=True,
        RATELIMIT_CHAT_PER_IP="3/minute",
        RATELIMIT_CHAT_PER_SENDER="100/minute",
        CORS_ALLOWED_ORIGINS=[SITE],
        HANDOFF_STREAM_SECONDS=6,
    )
    try:
        with Loopback(app=app) as server, Nginx(f"127.0.0.1:{server.port}") as proxy:
            yield {"app": app, "proxy": proxy}
    finally:
        app.extensions["db_engine"].dispose()


def chat_from(proxy: Nginx, address: str, forwarded_for: str, sender: str) -> int:
    """POST /api/chat through nginx from a given loopback address, with a client-written X-Forwarded-For."""
    context = ssl.create_default_context(cafile=str(proxy.cert))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.https_port, context=context, source_address=(address, 0), timeout=10
    )
    try:
        connection.request(
            "POST",
            "/api/chat",
            body=json.dumps({"sender_id": sender, "message": "园区在哪里"}),
            headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_two_clients_have_two_buckets_and_a_forged_header_buys_none(proxied):
    proxy = proxied["proxy"]
    a = [chat_from(proxy, "127.0.0.2", "198.51.100.1", f"web-a{i}") for i in range(4)]
    assert a == [200, 200, 200, 429]
    # Client A claims to be somebody else: nginx appends the address it saw, and that is the one counted.
    assert chat_from(proxy, "127.0.0.2", "203.0.113.77", "web-a9") == 429
    assert chat_from(proxy, "127.0.0.2", "127.0.0.3", "web-a10") == 429
    # Client B, from another address with the header A used first, still has its whole allowance.
    assert [chat_from(proxy, "127.0.0.3", "198.51.100.1", f"web-b{i}") for i in range(3)] == [200, 200, 200]
    assert chat_from(proxy, "127.0.0.3", "198.51.100.1", "web-b3") == 429


def test_tls_is_terminated_and_http_is_sent_to_https(proxied):
    proxy = proxied["proxy"]
    page = requests.get(proxy.base + "/", verify=str(proxy.cert), timeout=10)
    assert page.status_code == 200 and page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "nginx/" not in page.headers.get("Server", "")
    plain = requests.get(f"http://127.0.0.1:{proxy.http_port}/healthz", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://127.0.0.1/healthz")
    # The gateway knows the request came over HTTPS (X-Forwarded-Proto): the console cookie is Secure.
    login = requests.get(proxy.base + "/staff/login", verify=str(proxy.cert), timeout=10)
    assert "Secure" in login.headers["Set-Cookie"]


def test_the_widgets_cors_passes_through(proxied):
    proxy = proxied["proxy"]
    headers = {
        "Origin": SITE,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    allowed = requests.options(proxy.base + "/api/chat", headers=headers, verify=str(proxy.cert), timeout=10)
    assert allowed.headers.get("Access-Control-Allow-Origin") == SITE
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    other = requests.options(
        proxy.base + "/api/chat",
        headers={**headers, "Origin": "https://evil.example"},
        verify=str(proxy.cert),
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    script = requests.get(proxy.base + "/widget.js", headers={"Origin": SITE}, verify=str(proxy.cert), timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]


def test_body_sizes(proxied):
    proxy = proxied["proxy"]
    api = requests.post(
        proxy.base + "/api/chat",
        data=b'{"message": "' + b"x" * 100_000 + b'"}',
        headers={"Content-Type": "application/json"},
        verify=str(proxy.cert),
        timeout=10,
    )
    assert api.status_code == 413 and api.headers["Content-Type"].startswith("application/json")  # the gateway's
    huge = requests.post(
        proxy.base + "/staff/knowledge/upload", data=b"x" * (22 * 1024 * 1024), verify=str(proxy.cert), timeout=30
    )
    assert huge.status_code == 413 and "nginx" in huge.text  # refused at the door, never reaching a worker


def test_the_live_handoff_queue_streams_through_unbuffered(proxied):
    proxy, app = proxied["proxy"], proxied["app"]
    add_staff(app, username="stream", role="staff")
    staff, verify = requests.Session(), str(proxy.cert)  # verify per request: an env CA bundle would win
    form = staff.get(proxy.base + "/staff/login", verify=verify, timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert staff.post(
        proxy.base + "/staff/login",
        data={"username": "stream", "password": PASSWORD, "csrf_token": token},
        verify=verify,
        timeout=10,
        headers={"Referer": proxy.base + "/staff/login"},
    ).ok  # HTTPS: Flask-WTF checks it
    started, first = time.monotonic(), None
    with staff.get(proxy.base + "/api/staff/handoffs/events", stream=True, verify=verify, timeout=20) as events:
        assert events.headers["Content-Type"].startswith("text/event-stream")
        for line in events.iter_lines(chunk_size=1):
            if first is None and line.startswith(b"event: queue"):
                first = time.monotonic() - started
    ended = time.monotonic() - started
    # The first event arrives at once, not when the gateway ends the 6 s stream and nginx lets go of it.
    assert first < 3 and ended >= 5, (first, ended)
