"""Rasa and a restarted action server: the domain is sent again when the action server lacks it.

Rasa sends the domain to the action server once and afterwards only its digest
(rasa_ext/action_domain.py). An action server that was restarted has no domain: it answers
the next call with 449, and Rasa makes the call again with the domain. Here, with the real
Rasa, the real rasa-sdk and a trained model, the action server is killed and started again
between two park questions, and a lead form (whose validation reads the domain) is run
after the restart: the replies must be the real ones, and Rasa must log no failed action.
"""

from __future__ import annotations

import signal
import uuid

import pytest
import requests

from ops.stack import MODEL, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    running = Stack(workdir=tmp_path_factory.mktemp("restart-stack"), ratelimit=False)
    with running:
        yield running


def rasa_says(stack: Stack, sender: str, message: str) -> str:
    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=120
    )
    response.raise_for_status()
    return "\n".join(r.get("text") or "" for r in response.json())


def test_a_restarted_action_server_gets_the_domain_again(stack):
    before = f"e2e-{uuid.uuid4().hex[:8]}"
    assert "机场西侧" in rasa_says(stack, before, "园区在哪里？")

    stack.restart("actions-1", signal.SIGKILL)  # its copy of the domain is gone

    after = f"e2e-{uuid.uuid4().hex[:8]}"
    assert "机场西侧" in rasa_says(stack, after, "园区在哪里？")
    form = f"e2e-{uuid.uuid4().hex[:8]}"
    assert "贵公司的名称" in rasa_says(stack, form, "我们公司想入驻园区")
    asked_next = rasa_says(stack, form, "杭州示例生物科技有限公司")
    assert "怎么称呼您" in asked_next, asked_next  # the form took the name and asks the next field

    rasa_log = stack.service("rasa-1").log.read_text("utf-8", errors="replace")
    assert "Failed to execute custom action" not in rasa_log
    assert "Failed to run custom action" not in rasa_log
