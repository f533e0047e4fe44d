"""The load generator's pure parts: percentiles, conversation scripts, WeChat signing, reports.

No network and no timing assertions: the benchmark itself (`make bench`) measures speed."""

import json
import random

import pytest

from ops import conversations, load, senders, stats, wechat_messages
from ops import report as reports


def test_percentile_interpolates_between_ranks_like_numpy():
    values = [4.0, 1.0, 3.0, 2.0]
    assert stats.percentile(values, 0) == 1.0
    assert stats.percentile(values, 100) == 4.0
    assert stats.percentile(values, 50) == 2.5
    assert stats.percentile(list(range(1, 11)), 99) == pytest.approx(9.91)
    assert stats.percentile([7.0], 95) == 7.0
    assert stats.percentile([], 50) is None
    with pytest.raises(ValueError):
        stats.percentile(values, 101)


def test_summarize_counts_throughput_and_errors_in_milliseconds():
    summary = stats.summarize([0.1, 0.2, 0.3, 0.4], errors=2, wall_s=2.0, users=4)
    assert summary["ok"] == 4 and summary["errors"] == 2 and summary["requests"] == 6
    assert summary["msg_per_s"] == 2.0
    assert summary["p50_ms"] == 250.0
    assert summary["max_ms"] == 400.0
    assert summary["users"] == 4
    empty = stats.summarize([], errors=3, wall_s=1.0)
    assert empty["msg_per_s"] == 0 and empty["p99_ms"] is None


@pytest.mark.parametrize("seed", range(50))
def test_a_conversation_mixes_topics_follow_ups_and_out_of_scope(seed):
    messages = conversations.conversation(random.Random(seed), 10)
    assert len(messages) == 10
    assert messages[0] in conversations.TOPIC_QUESTIONS
    assert any(m in conversations.FOLLOW_UPS for m in messages)
    assert any(m in conversations.OUT_OF_SCOPE for m in messages)
    known = set(conversations.TOPIC_QUESTIONS + conversations.FOLLOW_UPS + conversations.OUT_OF_SCOPE)
    for i, message in enumerate(messages):
        assert message in known
        if message in conversations.FOLLOW_UPS:  # a follow-up refers back to a topic question
            assert messages[i - 1] in conversations.TOPIC_QUESTIONS


def test_conversations_are_reproducible_and_short_ones_work():
    assert conversations.conversation(random.Random(3)) == conversations.conversation(random.Random(3))
    assert conversations.conversation(random.Random(3), 0) == []
    assert len(conversations.conversation(random.Random(3), 1)) == 1
    three = conversations.conversation(random.Random(3), 3)
    assert any(m in conversations.FOLLOW_UPS for m in three) and any(m in conversations.OUT_OF_SCOPE for m in three)
    long = conversations.long_conversation(0, 210)
    assert len(long) == 210 and long == conversations.long_conversation(0, 210)
    assert "Where is the park?" in long


def test_length_report_compares_early_and_late_turn_medians():
    latencies = [0.1] * 20 + [None] + [0.3] * 19  # turn 21 failed
    report = stats.length_report([latencies], early=(5, 15), late=(20, 30))
    assert report["early_median_ms"] == 100.0
    assert report["late_median_ms"] == 300.0
    assert report["ratio"] == 3.0
    assert report["senders"][0]["errors"] == 1
    assert stats.turn_window(list(range(1, 11)), 2, 4) == [2, 3, 4]


def test_wechat_request_is_signed_as_wechat_signs_it():
    path, body = wechat_messages.wechat_request("tok", "user-1", "园区在哪里", timestamp="1700000000", nonce="42")
    assert path.startswith("/wechat?")
    expected = wechat_messages.wechat_signature("42", "1700000000", "tok")  # order does not matter
    assert f"signature={expected}" in path and "openid=user-1" in path
    xml = body.decode("utf-8")
    assert "<Content><![CDATA[园区在哪里]]></Content>" in xml and "<MsgType><![CDATA[text]]>" in xml
    _, other = wechat_messages.wechat_request("tok", "user-1", "园区在哪里")
    assert other != body  # every message has its own MsgId
    assert wechat_messages.wechat_reply_text("<xml><Content><![CDATA[在机场西侧]]></Content></xml>") == "在机场西侧"
    assert wechat_messages.wechat_reply_text("success") is None


def test_report_is_written_as_utf8_json_and_summarised(tmp_path):
    level = {
        "users": 16,
        "ratio": 0.5,
        "ratio_by_round": [0.45, 0.55],
        "stack": stats.summarize([0.2, 0.4], 0, 1.0),
        "floor": stats.summarize([0.1, 0.1, 0.1, 0.1], 1, 1.0),
    }
    report = {
        "levels": [level],
        "cold_start_s": 61.2,
        "conversation_length": stats.length_report([[0.1] * 30], (5, 15), (20, 30)),
        "wechat": {**stats.summarize([0.3], 0, 1.0), "users": 16, "deferred": 0},
        "memory": {
            "services": {"actions": {"rss_mb": 700.0}, "gateway": {"rss_mb": 150.0}},
            "total_rss_mb": 850.0,
            "total_pss_mb": 800.0,
        },
    }
    path = reports.write_report(tmp_path / "out" / "bench.json", {**report, "note": "园区"})
    assert json.loads(path.read_text("utf-8"))["note"] == "园区"
    assert "园区" in path.read_text("utf-8")  # not \u-escaped
    table = reports.format_table(report)
    assert "16" in table and "0.50" in table
    assert "16 users, ratio in each round (the phases taking turns): 0.45 0.55" in table
    assert "cold start" in table and "61.2 s" in table
    assert "actions 700" in table and "total 850" in table
    assert "p99 300 ms" in table


def test_degraded_answers_are_recognised_by_the_gateways_own_notice():
    from bot.conversation import DEGRADED_NOTICE

    assert senders.DEGRADED_MARK in DEGRADED_NOTICE


def test_a_phase_keeps_deferred_wechat_answers_apart_from_errors():
    phase = load.Phase("wechat", wall_s=1.0)
    phase.record(senders.Outcome(True, 200), 0.2)
    phase.record(senders.Outcome(False, 200, "deferred"), 4.0)
    phase.record(senders.Outcome(False, 200, "degraded"), 0.5)
    phase.record(senders.Outcome(False, None, "ClientConnectorError"), 0.0)
    summary = phase.summary()
    assert summary["ok"] == 1 and summary["deferred"] == 1
    assert summary["errors"] == 2 and summary["degraded"] == 1
    assert summary["p99_ms"] == 200.0
    assert summary["all_p99_ms"] > 3000  # every answered POST, the deferred one too


def test_rounds_of_a_phase_pool_their_answers_and_time():
    first, second = load.Phase("stack"), load.Phase("stack")
    first.latencies_s, first.wall_s, first.errors = [0.1, 0.2], 1.0, 1
    first.error_samples = ["500: a"] * 4
    second.latencies_s, second.wall_s, second.errors = [0.3, 0.4, 0.5, 0.6], 2.0, 2
    second.error_samples = ["502: b"] * 3
    first.add(second)
    summary = first.summary()
    assert summary["ok"] == 6 and summary["errors"] == 3 and summary["msg_per_s"] == 2.0  # 6 answers in 3 s
    assert len(first.error_samples) == 5  # samples stay a handful
