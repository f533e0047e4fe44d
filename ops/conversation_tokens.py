"""What a client outside a browser keeps to go on with its web conversations: each one's token.

/api/chat gives a new conversation a token (bot/chat_tokens.py) and wants it
back with every later message; without it, an id already in use starts a new
conversation. The end-to-end tests, fault drills and load generator hold many
conversations at once, so they keep one token per sender id here and send it
as `Authorization: Bearer …`, as the widget does when embedded on another site.
"""

from __future__ import annotations


class ConversationTokens:
    def __init__(self) -> None:
        self._by_sender: dict[str, str] = {}  # one writer per sender id; dict item access is atomic

    def headers(self, sender_id: str) -> dict[str, str]:
        token = self._by_sender.get(sender_id)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def remember(self, sender_id: str, body) -> None:
        """Keep the token a first message was given (the body of a 200 from /api/chat)."""
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            self._by_sender[sender_id] = body["token"]
