"""Chatting through deploy/'s nginx, with the whole stack behind it (issue 18 part 5).

Debian's nginx with the rendered site file terminates TLS (a certificate made
for the test) in front of the end-to-end stack's gateway, Rasa and action
server. A tenant's conversation goes through it as a browser's would: the
widget script, two messages in one conversation (its cookie), the poll and
the history. tests/test_nginx_proxy.py covers rate-limit buckets, CORS, body
sizes and streaming against the same configuration.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests

from nginx_harness import Nginx, available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not available(), reason="needs Debian's nginx and openssl (make system-deps)"),
]


@pytest.fixture(scope="module")
def proxy(stack):
    with Nginx(urlparse(stack["url"]).netloc) as running:
        yield running


def test_a_conversation_through_nginx(proxy):
    tenant, verify = requests.Session(), str(proxy.cert)
    assert "ParkChat" in tenant.get(proxy.base + "/widget.js", verify=verify, timeout=10).text
    first = tenant.post(
        proxy.base + "/api/chat", json={"sender_id": "web-nginx-1", "message": "园区在哪里"}, verify=verify, timeout=60
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert "机场" in " ".join(r.get("text") or "" for r in body["replies"])
    assert any(r.get("sources") for r in body["replies"])
    second = tenant.post(
        proxy.base + "/api/chat",
        json={"sender_id": "web-nginx-1", "message": "有哪些扶持政策"},
        verify=verify,
        timeout=60,
    )
    assert second.status_code == 200 and second.json()["sender_id"] == body["sender_id"]
    assert tenant.get(proxy.base + "/api/chat/poll?after=0", verify=verify, timeout=10).json()["handoff"] is False
    said = [
        m["text"]
        for m in tenant.get(proxy.base + "/api/chat/history", verify=verify, timeout=10).json()["messages"]
        if m["role"] == "user"
    ]
    assert said[-2:] == ["园区在哪里", "有哪些扶持政策"]


def test_readiness_passes_through_but_not_the_details(proxy):
    health = requests.get(proxy.base + "/healthz", verify=str(proxy.cert), timeout=15)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert requests.get(proxy.base + "/metrics", verify=str(proxy.cert), timeout=10).status_code == 404
