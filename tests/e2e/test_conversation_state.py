"""Conversation state kept by Rasa's SQL tracker store: handoff pauses, long chats split into sessions."""

import sqlite3
import time
import uuid

import pytest
import requests

from bot.dialogue import DialogueClient

from .test_chat_stack import all_text, chat

pytestmark = pytest.mark.e2e


def tracker_events(stack, sender):
    """(type_name, action_name) of every stored event of one conversation, oldest first."""
    with sqlite3.connect(stack["env"]["TRACKER_STORE_URL"].removeprefix("sqlite:///")) as db:
        return db.execute(
            "SELECT type_name, action_name FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()


def rasa_says(stack, sender, message):
    response = requests.post(
        f"{stack['env']['RASA_URL']}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def test_handoff_pauses_rasa_until_staff_release_resumes_it(stack):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    replies = chat(stack, "转人工", sender)
    assert "招商人员" in all_text(replies)
    assert ("pause", None) in tracker_events(stack, sender)

    # Paused in the tracker: even a message that reaches Rasa directly gets no bot reply.
    assert rasa_says(stack, sender, "园区在哪里？") == []

    DialogueClient(stack["env"]["RASA_URL"], 10, stack["env"]["RASA_API_TOKEN"]).resume(sender)
    assert ("resume", None) in tracker_events(stack, sender)
    answer = "\n".join(m.get("text") or "" for m in rasa_says(stack, sender, "园区在哪里？"))
    assert "机场西侧" in answer


def test_resume_without_the_api_token_is_refused(stack):
    client = DialogueClient(stack["env"]["RASA_URL"], 10, "wrong-token")
    with pytest.raises(Exception):
        client.resume(f"e2e-{uuid.uuid4().hex[:8]}")


def test_a_long_conversation_moves_to_a_new_session_and_keeps_its_topic(stack):
    limit = int(stack["env"]["SESSION_MAX_TURNS"])
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for _ in range(limit):
        replies = chat(stack, "CXO订单有什么政策", sender)
        assert any(r["sources"] for r in replies), replies
    # The gateway starts the new session after the reply, in the background: give it a moment.
    deadline = time.monotonic() + 10
    while (
        len(started := [e for e in tracker_events(stack, sender) if e[0] == "session_started"]) < 2
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert len(started) == 2, "the first session, then the one the gateway started after the limit"

    # The topic slot carried over: the first message of the new session, a bare
    # follow-up, still resolves to CXO orders.
    replies = chat(stack, "还有呢", sender)
    assert any(r["sources"] for r in replies), replies
    assert "CXO" in all_text(replies)


@pytest.mark.parametrize("message", ["今天天气怎么样", "CXO企业入驻园区有什么门槛"])
def test_a_turn_the_documents_do_not_answer_ends_with_the_knowledge_action(stack, message):
    """The reply the rules give a verdict (the scope message; the offer of staff) is said by the
    knowledge action itself, so Rasa runs no response action after it and predicts nothing more
    that turn (actions/actions.py `_verdict`)."""
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    replies = chat(stack, message, sender)
    assert any(r["buttons"] for r in replies), replies
    events = tracker_events(stack, sender)
    turn = events[max(i for i, (kind, _) in enumerate(events) if kind == "user") :]
    assert [name for kind, name in turn if kind == "action"] == ["action_answer_from_knowledge", "action_listen"]
