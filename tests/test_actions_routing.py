"""What a message is about (actions/topics.py) and what to say without an answer (actions/outcome.py).

Plain functions of the message and the tracker: no index, no server.
"""

from __future__ import annotations

import json

import pytest

from action_trackers import TRACKERS
from actions import outcome, topics

# --- topics: what a message is about ------------------------------------------


@pytest.mark.parametrize(
    "text, intent, previous, query, topic",
    [
        ("园区在哪里？", "ask_location", "基金", "园区在哪里？", "位置"),
        ("那基金呢", "ask_funds", "CXO", "那基金呢", "基金"),
        ("CDMO有什么政策", "ask_cxo", None, "CDMO有什么政策", "CXO"),
        ("/ask_layout", "ask_layout", "CXO", "启动区块两轴六期两社区的空间架构", "布局"),
        ("还有呢", "ask_follow_up", "基金", "生物医药专项基金", "基金"),
        ("tell me more", "ask_follow_up", "位置", "杭州生物科技谷位于哪里", "位置"),
        ("具体怎么申请", "ask_follow_up", "CXO", "具体怎么申请 CXO订单政策", "CXO"),
        ("这个政策适合我们吗", "ask_follow_up", "CXO", "这个政策适合我们吗 CXO订单政策", "CXO"),
        ("這個綠色通道是什麼", "ask_green_channel", "政策", "這個綠色通道是什麼", "绿色通道"),
        ("园区有几家企业", "nlu_fallback", "基金", "园区有几家企业", "基金"),
    ],
)
def test_resolve(text, intent, previous, query, topic):
    question = topics.resolve(text, intent, previous)
    assert (question.query, question.topic, question.needs_topic) == (query, topic, False)


def test_bare_follow_up_without_earlier_topic_needs_one():
    assert topics.resolve("还有呢", "ask_follow_up", None).needs_topic


# --- outcome: what to say without an answer --------------------------------------


def test_understood_intent_looks_past_nlu_fallback():
    message = json.loads((TRACKERS / "weather_fallback.json").read_text("utf-8"))["latest_message"]
    assert outcome.understood_intent(message) == ("greet", 0.41)


def test_torn_between_two_park_topics_is_still_a_park_question():
    # Neither park topic alone reaches the sure threshold, both together do.
    sure = outcome.SURE_INTENT_CONFIDENCE
    first, second = round(sure * 0.9, 3), round(sure * 0.75, 3)
    message = {
        "intent": {"name": "nlu_fallback", "confidence": sure},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": sure},
            {"name": "ask_services", "confidence": first},
            {"name": "ask_layout", "confidence": second},
            {"name": "greet", "confidence": 0.019},
        ],
    }
    assert outcome.park_question_confidence(message) == pytest.approx(first + second)
    assert outcome.decide(True, "ask_services", outcome.park_question_confidence(message)) == outcome.NO_KNOWLEDGE
    message["intent_ranking"][2] = {"name": "chitchat", "confidence": second}
    assert outcome.decide(True, "ask_services", outcome.park_question_confidence(message)) == outcome.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "abstained, intent, confidence, expected",
    [
        (False, "out_of_scope", 0.9, outcome.ANSWERED),
        (True, "ask_contact", 0.99, outcome.NO_KNOWLEDGE),
        (True, "ask_policy", 0.4, outcome.OUT_OF_SCOPE),
        (True, "greet", 0.99, outcome.OUT_OF_SCOPE),  # 今天天气 as greet at 0.99
        (True, "chitchat", 0.95, outcome.SMALL_TALK),
        (False, "chitchat", 0.92, outcome.ANSWERED),  # 园区的6+1特色功能是什么 as chitchat
        (True, None, 0.0, outcome.OUT_OF_SCOPE),
    ],
)
def test_decide(abstained, intent, confidence, expected):
    assert outcome.decide(abstained, intent, confidence) == expected


@pytest.mark.parametrize("intent", ["chitchat", "greet", "out_of_scope", None])
def test_a_question_the_documents_discuss_is_never_off_topic(intent):
    """The learned decision may decline 园区的6+1特色功能是什么 (taken for chitchat at 0.92) while its
    passage covers every word: that is a park question with nothing safe to say, not small talk."""
    assert outcome.decide(True, intent, 0.0, related=True) == outcome.NO_KNOWLEDGE
