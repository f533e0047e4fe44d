"""The access log keeps no signed WeChat query and no sender id (issue 18).

A real gunicorn with the logger class the repo's gunicorn.conf.py names,
serving the WeChat simulator's app; the log file is then read back.
"""

from __future__ import annotations

import ast
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from bot.accesslog import redact_query, redact_uri
from ops.stores import free_port
from appsupport import create_schema
from wechat_sim import FakeWeChatApi, Simulator, signature, wait_for

pytestmark = pytest.mark.slow  # starts gunicorn: left out of make test-fast

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def configured_logger_class() -> str:
    """`logger_class` from gunicorn.conf.py, read without running it (it sets up instance/)."""
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "logger_class" for t in node.targets):
            return ast.literal_eval(node.value)
    pytest.fail("gunicorn.conf.py sets no logger_class")


def test_redaction_keeps_the_names_and_drops_the_values():
    assert (
        redact_query("signature=abc&timestamp=1&nonce=2&openid=o-x&encrypt_type=aes")
        == "signature=-&timestamp=-&nonce=-&openid=-&encrypt_type=aes"
    )
    assert redact_uri("/api/chat/poll?sender_id=web-alice&after=3") == "/api/chat/poll?sender_id=-&after=3"
    assert redact_uri("/wechat") == "/wechat"


@pytest.mark.skipif(not GUNICORN.exists(), reason="needs .venv/bin/gunicorn")
def test_the_gunicorn_access_log_holds_no_signed_query(tmp_path, db_url):
    port = free_port()
    access_log = tmp_path / "access.log"
    create_schema(db_url)
    with FakeWeChatApi() as api:
        env = dict(
            os.environ,
            WX_TEST_DB_URL=db_url,
            WX_TEST_API_BASE=api.url,
            WX_TEST_BUDGET_S="1.0",
            WX_TEST_DIALOGUE_DELAY_S="0",
            WX_TEST_DIALOGUE_LOG=str(tmp_path / "dialogue.log"),
            WX_TEST_READY_LOG=str(tmp_path / "ready.log"),
        )
        config = tmp_path / "gunicorn.conf.py"
        config.write_text("# gunicorn defaults; the logger class comes from the repo's config\n")
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "--config",
                str(config),
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--logger-class",
                configured_logger_class(),
                "--access-logfile",
                str(access_log),
                "--pythonpath",
                f"{ROOT / 'tests'},{ROOT}",
                "--chdir",
                str(ROOT),
                "wechat_sim:create_gunicorn_app()",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "gunicorn.log", "wb"),
        )
        base = f"http://127.0.0.1:{port}"
        try:

            def up():
                try:
                    return requests.get(base + "/wechat", timeout=0.5).status_code == 403
                except requests.RequestException:
                    return False

            assert wait_for(up, timeout=20, interval=0.1), (tmp_path / "gunicorn.log").read_text()[-2000:]
            sim = Simulator.for_url(base)
            timestamp, nonce = str(int(time.time())), "918273645"
            body, query = sim.envelope(sim.text("o-secret-openid", "园区在哪里"), timestamp, nonce)
            response = requests.post(f"{base}/wechat?{urlencode(query)}", data=body, timeout=10)
            assert response.status_code == 200
            handshake = {
                "signature": signature("sim-token", timestamp, "564738291"),
                "timestamp": timestamp,
                "nonce": "564738291",
                "echostr": "echo-918273",
            }
            assert requests.get(f"{base}/wechat?{urlencode(handshake)}", timeout=5).text == "echo-918273"
            requests.get(f"{base}/api/chat/poll?sender_id=web-secret-sender", timeout=5)
            assert wait_for(lambda: access_log.exists() and access_log.read_text().count("\n") >= 4, timeout=5)
        finally:
            process.terminate()
            process.wait(15)
    log = access_log.read_text()
    assert "POST /wechat?" in log and "GET /api/chat/poll?" in log
    secrets = [
        query["signature"],
        query["msg_signature"],
        timestamp,
        nonce,
        "o-secret-openid",
        handshake["signature"],
        "564738291",
        "echo-918273",
        "web-secret-sender",
    ]
    leaked = [s for s in secrets if s in log]
    assert not leaked, log
