"""One person's data, exported or erased from every store on request (issue 18 part 1), and audited.

The stores are real: the gateway's SQLite database, a lead-queue directory,
and a Rasa tracker store written by Rasa's own SQL tracker store class in
Rasa's venv (as the running Rasa server writes it).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from appsupport import SECRET, add_staff, chat, csrf_token, login, make_app, rows, tenant

from bot.models import Feedback, Handoff, HandoffMessage, Lead, Turn
from bot.staff_records import AuditEntry

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
ALICE, BOB = "13812345678", "13900001111"
SEED = """
import asyncio, sys
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext.tracker_store import ErasingSQLTrackerStore

store = ErasingSQLTrackerStore(host=sys.argv[1])
for sender, phone in (("web-alice", "13812345678"), ("web-bob", "13900001111")):
    tracker = DialogueStateTracker(sender, [])
    for event in (ActionExecuted("action_listen"), UserUttered("我的电话是 " + phone), SlotSet("phone", phone),
                  BotUttered("好的")):
        tracker.update(event)
    asyncio.run(store.save(tracker))
"""
# slow: runs Rasa's Python (make test-fast leaves it out)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs Rasa's venv (make setup)")]


def tracker(url: str, sender: str) -> list[dict]:
    done = subprocess.run(
        [str(RASA_PYTHON), "-m", "rasa_ext.person", "export", "--url", url, "--conversation", sender],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["events"][sender]


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'rasa-tracker.db'}"
    subprocess.run(
        [str(RASA_PYTHON), "-c", SEED, url],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    queue = tmp_path / "lead-queue"
    (queue / "rejected").mkdir(parents=True)
    (queue / "lead-a.json").write_text(json.dumps({"sender_id": "web-alice", "phone": ALICE, "name": "王"}), "utf-8")
    (queue / "rejected" / "lead-b.json").write_text(json.dumps({"sender_id": "web-bob", "phone": BOB}), "utf-8")
    app = make_app(tmp_path, TRACKER_STORE_URL=url, RASA_PYTHON=RASA_PYTHON, LEADS_QUEUE_DIR=queue)
    client = app.test_client()
    for sender, text in (("web-alice", "园区在哪里"), ("web-alice", f"我的电话是 {ALICE}"), ("web-bob", "租金多少")):
        turn = chat(app, text, sender)["turn_id"]
    for sender, turn_id, rating in (("web-bob", turn, "down"), ("web-alice", 1, "up")):  # each by its owner
        rated = tenant(app, sender).post(
            "/api/chat/feedback", json={"sender_id": sender, "turn_id": turn_id, "rating": rating}
        )
        assert rated.status_code == 200
    for key, sender, phone in (("k-a", "web-alice", ALICE), ("k-b", "web-bob", BOB)):
        assert client.post(
            "/api/leads",
            headers={"X-Leads-Secret": SECRET},
            json={
                "idempotency_key": key,
                "sender_id": sender,
                "name": "王经理",
                "company": "临空生物",
                "phone": phone,
                "need": "研发用房",
            },
        ).status_code in (200, 201)
    app.extensions["dialogue"].meta = {"sources": [], "outcome": "handoff"}
    tenant(app, "web-alice").post("/api/chat", json={"sender_id": "web-alice", "message": "转人工"})
    app.extensions["dialogue"].meta = {"sources": [], "outcome": "answered"}
    yield app
    app.extensions["db_engine"].dispose()


def bobs_data_is_untouched(app, tmp_path):
    bob = [t for t in rows(app, Turn) if t.user_text == "租金多少"]
    assert len(bob) == 1 and [f.rating for f in rows(app, Feedback)] == [-1]
    assert [lead.phone for lead in rows(app, Lead)] == [BOB]
    assert (tmp_path / "lead-queue" / "rejected" / "lead-b.json").exists()
    assert any(e.get("value") == BOB for e in tracker(app.config["TRACKER_STORE_URL"], "web-bob"))


def test_export_then_erase_by_phone_from_the_command_line(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "alice.json"
    result = runner.invoke(args=["export-person", "--phone", "138 1234 5678", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    data = json.loads(out.read_text("utf-8"))
    assert data["conversations"] == ["web-alice"]
    assert [t["message"] for t in data["turns"]] == ["园区在哪里", f"我的电话是 {ALICE}", "转人工"]
    assert [lead["phone"] for lead in data["leads"]] == [ALICE] and data["queued_leads"][0]["phone"] == ALICE
    assert [f["rating"] for f in data["feedback"]] == [1] and len(data["handoffs"]) == 1
    assert {"event": "slot", "name": "phone", "value": ALICE}.items() <= data["dialogue_events"]["web-alice"][1].items()
    assert BOB not in out.read_text("utf-8")

    refused = runner.invoke(args=["erase-person", "--phone", ALICE], input="n\n")
    assert refused.exit_code != 0 and len(rows(app, Turn)) == 4  # not confirmed: nothing erased
    result = runner.invoke(args=["erase-person", "--phone", ALICE, "--yes"])
    assert result.exit_code == 0, result.output
    assert "turns 3" in result.output and "dialogue_events 4" in result.output and "queued_leads 1" in result.output
    assert [t.user_text for t in rows(app, Turn)] == ["租金多少"]
    assert rows(app, Handoff) == [] and rows(app, HandoffMessage) == []
    assert not (tmp_path / "lead-queue" / "lead-a.json").exists()
    assert tracker(app.config["TRACKER_STORE_URL"], "web-alice") == []
    bobs_data_is_untouched(app, tmp_path)

    actions = [(e.action, e.address) for e in rows(app, AuditEntry) if e.action.endswith("_person")]
    assert actions == [("export_person", "cli"), ("erase_person", "cli")]
    for entry in rows(app, AuditEntry):  # the audit log names no phone number
        assert ALICE not in json.dumps(entry.detail) + entry.target


def test_an_admin_erases_one_conversation_from_the_console(app, tmp_path):
    add_staff(app, "boss", role="admin")
    add_staff(app, "li", role="editor")
    editor = app.test_client()
    login(editor, "li")
    token = csrf_token(editor, "/staff/leads")
    assert editor.get("/staff/person").status_code == 403
    assert (
        editor.post(
            "/staff/person/erase", data={"conversation": "web-alice", "confirm": "删除", "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        editor.post("/staff/person/export", data={"conversation": "web-alice", "csrf_token": token}).status_code == 403
    )

    boss = app.test_client()
    login(boss, "boss")
    token = csrf_token(boss, "/staff/person")
    exported = boss.post("/staff/person/export", data={"conversation": "web-alice", "csrf_token": token})
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert exported.get_json()["leads"][0]["phone"] == ALICE

    unconfirmed = boss.post("/staff/person/erase", data={"conversation": "web-alice", "csrf_token": token})
    assert unconfirmed.status_code == 400 and len(rows(app, Turn)) == 4
    bad = boss.post("/staff/person/erase", data={"phone": "12345", "confirm": "删除", "csrf_token": token})
    assert bad.status_code == 400 and "手机号无效" in bad.get_data(as_text=True)
    done = boss.post("/staff/person/erase", data={"conversation": "web-alice", "confirm": "删除", "csrf_token": token})
    assert done.status_code == 200 and "已删除：会话 1 个" in done.get_data(as_text=True)
    assert [t.user_text for t in rows(app, Turn)] == ["租金多少"]
    assert tracker(app.config["TRACKER_STORE_URL"], "web-alice") == []
    bobs_data_is_untouched(app, tmp_path)
    [erased] = [e for e in rows(app, AuditEntry) if e.action == "erase_person"]
    assert erased.actor == "boss" and erased.detail["turns"] == 3 and erased.detail["by"] == "conversation"


def test_without_rasas_python_nothing_is_erased_and_the_reason_is_given(app, tmp_path):
    app.config["RASA_PYTHON"] = tmp_path / "no-such-python"
    result = app.test_cli_runner().invoke(args=["erase-person", "--conversation", "web-alice", "--yes"])
    assert result.exit_code != 0 and "RASA_PYTHON" in result.output
    assert len(rows(app, Turn)) == 4 and len(rows(app, Lead)) == 2
    assert (tmp_path / "lead-queue" / "lead-a.json").exists()
    assert not [e for e in rows(app, AuditEntry) if e.action == "erase_person"]
