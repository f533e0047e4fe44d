"""Only a conversation's owner rates its answers (issue 18): /api/chat/feedback (and the older /api/feedback)
need the conversation's token, as poll and history do, so knowing a sender id is not enough to rate, or spam
thumbs-down notices about, someone else's answers."""

from __future__ import annotations

import pytest

from appsupport import rows, tenant
from bot.models import Feedback
from bot.notify.models import Notice

PATHS = ("/api/chat/feedback", "/api/feedback")


def asked(app, sender):
    """A turn asked in `sender`'s conversation, through that conversation's own client (it keeps the cookie)."""
    client = tenant(app, sender)
    body = client.post("/api/chat", json={"sender_id": sender, "message": "园区在哪里？"}).get_json()
    assert body["sender_id"] == sender and body["turn_id"]
    return client, body


def refused(response, code):
    assert response.status_code == 403, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert "未保存" in error["message"] and "nothing was stored" in error["message"]  # Chinese first, English too


@pytest.mark.parametrize("path", PATHS)
def test_rating_someone_elses_answer_by_their_id_is_refused_and_stores_nothing(app, path):
    _, alice = asked(app, "web-alice")
    steal = {"sender_id": "web-alice", "turn_id": alice["turn_id"], "rating": "down", "comment": "垃圾"}
    refused(app.test_client().post(path, json=steal), "conversation_token_required")  # an id and no token
    forged = {"Authorization": "Bearer not-a-signed-token"}
    refused(app.test_client().post(path, json=steal, headers=forged), "conversation_token_required")
    # Bob holds a token, but for his own conversation: it is no key to Alice's, by her id or by his.
    bob, mine = asked(app, "web-bob")
    bearer = {"Authorization": f"Bearer {mine['token']}"}
    refused(bob.post("/api/chat/feedback", json=steal), "not_your_conversation")
    refused(app.test_client().post(path, json=steal, headers=bearer), "not_your_conversation")
    as_bob = {**steal, "sender_id": "web-bob"}
    assert app.test_client().post(path, json=as_bob, headers=bearer).status_code == 404  # not a turn of his
    assert rows(app, Feedback) == [] and rows(app, Notice) == []  # no rating, no thumbs-down notice


def test_the_owner_rates_with_the_cookie_or_with_the_bearer_token(app):
    alice, first = asked(app, "web-alice")
    # The widget on the gateway's own site: the cookie (path /api/chat) reaches /api/chat/feedback.
    rated = alice.post(
        "/api/chat/feedback", json={"sender_id": "web-alice", "turn_id": first["turn_id"], "rating": "up"}
    )
    assert rated.status_code == 200 and rated.get_json()["feedback"]["rating"] == "up"
    # Embedded on another site, or a client that is no browser: the bearer token, on either path, id optional.
    bearer = {"Authorization": f"Bearer {first['token']}"}
    for path, rating in (("/api/feedback", "down"), ("/api/chat/feedback", "up")):
        response = app.test_client().post(path, json={"turn_id": first["turn_id"], "rating": rating}, headers=bearer)
        assert response.status_code == 200, response.get_data(as_text=True)
    [row] = rows(app, Feedback)
    assert (row.turn_id, row.rating) == (first["turn_id"], 1)  # one rating per turn, the last one kept
