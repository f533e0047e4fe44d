"""/metrics and /healthz's details are not for the internet (issue 18 part 7).

Requests come from a loopback or an outside address (the test client's
REMOTE_ADDR), directly or through a reverse proxy (X-Forwarded-For, with and
without TRUSTED_PROXY_HOPS), as anonymous visitors, logged-in staff or a
scraper with the metrics token. GET /healthz keeps its contract for everyone:
200 only when ready, 503 otherwise.
"""

from __future__ import annotations

import json

import pytest

from appsupport import add_staff, login, make_app

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def app(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "manifest.json").write_text(json.dumps({"chunks": 5, "model": "m", "built_at": "now"}))
    app = make_app(
        tmp_path,
        RASA_URL="http://127.0.0.1:9",
        ACTIONS_URL="http://127.0.0.1:9",
        HEALTH_TIMEOUT_S=0.3,
        METRICS_TOKEN="scrape-me",
    )
    yield app
    app.extensions["db_engine"].dispose()


def health(app, environ, headers=None, client=None):
    response = (client or app.test_client()).get("/healthz", environ_base=environ, headers=headers or {})
    return response.status_code, response.get_json()


def test_healthz_details_are_for_this_machine_only(app):
    status, body = health(app, LOCAL)
    assert status == 503 and body["status"] == "degraded" and "127.0.0.1:9" in json.dumps(body["components"])
    status, body = health(app, OUTSIDE)
    assert (status, body) == (503, {"status": "degraded"})
    # Through a proxy on this machine that nobody declared: the socket is loopback, the client is not.
    assert health(app, LOCAL, {"X-Forwarded-For": "198.51.100.7"}) == (503, {"status": "degraded"})


def test_behind_a_declared_proxy_the_forwarded_client_decides(tmp_path):
    app = make_app(
        tmp_path,
        RASA_URL="http://127.0.0.1:9",
        ACTIONS_URL="http://127.0.0.1:9",
        HEALTH_TIMEOUT_S=0.3,
        TRUSTED_PROXY_HOPS=1,
    )
    assert health(app, LOCAL, {"X-Forwarded-For": "198.51.100.7"})[1] == {"status": "unavailable"}
    assert "components" in health(app, LOCAL, {"X-Forwarded-For": "127.0.0.1"})[1]  # curl on the host, via nginx
    assert (
        app.test_client().get("/metrics", environ_base=LOCAL, headers={"X-Forwarded-For": "198.51.100.7"}).status_code
        == 404
    )


def test_healthz_is_still_200_for_everyone_when_ready(app, monkeypatch):
    from bot import health as health_module

    monkeypatch.setattr(health_module, "_probe_all", lambda *a: {"ok": True})
    assert health(app, OUTSIDE) == (200, {"status": "ok"})
    status, body = health(app, LOCAL)
    assert status == 200 and body["components"]["rasa"] == {"ok": True}


def test_logged_in_staff_see_the_details_from_anywhere(app):
    add_staff(app, role="viewer")
    client = app.test_client()
    client.environ_base.update(OUTSIDE)
    assert login(client).status_code in (302, 303)
    status, body = health(app, OUTSIDE, client=client)
    assert status == 503 and set(body["components"]) == {"gateway", "database", "rasa", "actions", "knowledge"}


def test_metrics_need_this_machine_or_the_token(app):
    client = app.test_client()
    assert client.get("/metrics", environ_base=LOCAL).status_code == 200
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base=LOCAL, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer wrong"}).status_code == 404
    scraped = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer scrape-me"})
    assert scraped.status_code == 200 and "park_chat_turns_total" in scraped.get_data(as_text=True)


def test_without_a_token_only_this_machine_reads_metrics(app):
    app.config["METRICS_TOKEN"] = ""
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/metrics", environ_base=LOCAL).status_code == 200
