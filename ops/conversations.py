"""What the simulated tenants say: the messages and the conversations they make of them.

Why it exists: every load phase (`make bench`, `make soak`, ad hoc `python -m ops.load`) and its
warm-up must send the same realistic mix — park questions the knowledge base answers, follow-ups
that lean on the previous turn, out-of-scope chatter — reproducibly for a seed. Plain functions,
tested in tests/test_ops_load.py.
"""

from __future__ import annotations

import random

# What tenants ask (the knowledge base answers these), what they follow up with (the bot resolves
# the topic from the previous turn), and what is out of scope.
TOPIC_QUESTIONS = ["园区在哪里？", "有哪些产业方向", "CXO订单补贴怎么申请", "有什么优惠政策", "Where is the park?"]
FOLLOW_UPS = ["那基金呢？"]
OUT_OF_SCOPE = ["今天天气怎么样", "讲个笑话"]
FLOOR_MESSAGE = "你好"  # Rasa answers with utter_greet: no action server call
WECHAT_MESSAGES = ["园区在哪里", "有哪些产业方向", "有什么优惠政策", "CXO订单补贴怎么申请"]


def conversation(rng: random.Random, turns: int = 10) -> list[str]:
    """One tenant's conversation: opens with a topic question, then topic questions, follow-ups
    (only right after a topic question) and out-of-scope messages; with three or more turns, at
    least one follow-up and one out-of-scope message. Deterministic for a seeded `rng`."""
    if turns <= 0:
        return []
    for _ in range(100):  # redraw until the mix is there (a couple of draws at ten turns)
        messages = [rng.choice(TOPIC_QUESTIONS)]
        while len(messages) < turns:
            roll = rng.random()
            if roll < 0.25 and messages[-1] in TOPIC_QUESTIONS:
                messages.append(rng.choice(FOLLOW_UPS))
            elif roll < 0.45:
                messages.append(rng.choice(OUT_OF_SCOPE))
            else:
                messages.append(rng.choice(TOPIC_QUESTIONS))
        if turns < 3 or (any(m in FOLLOW_UPS for m in messages) and any(m in OUT_OF_SCOPE for m in messages)):
            return messages
    head = [rng.choice(TOPIC_QUESTIONS), rng.choice(FOLLOW_UPS), rng.choice(OUT_OF_SCOPE)]
    return head + [rng.choice(TOPIC_QUESTIONS) for _ in range(turns - 3)]


def long_conversation(seed: int, turns: int) -> list[str]:
    """`turns` messages from one sender: ten-turn conversations back to back."""
    rng = random.Random(seed)
    messages: list[str] = []
    while len(messages) < turns:
        messages.extend(conversation(rng, 10))
    return messages[:turns]
