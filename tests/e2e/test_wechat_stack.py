"""WeChat through the real stack: a wechatpy-based client encrypts and signs, Rasa and the actions answer."""

import uuid

import pytest

from wechat_sim import Simulator

pytestmark = pytest.mark.e2e


def test_a_safe_mode_question_gets_the_cited_answer_from_the_real_stack(stack):
    sim = Simulator.for_url(stack["url"])
    reply = sim.send(sim.text(f"o-e2e-{uuid.uuid4().hex[:8]}", "园区在哪里"))
    assert reply.status == 200 and reply.encrypted
    assert "机场西侧" in reply.text
    assert "杭州网" in reply.text and "https://hwyst.hangzhou.com.cn/" in reply.text  # the source line


def test_a_follow_up_on_wechat_keeps_the_conversation(stack):
    sim = Simulator.for_url(stack["url"])
    openid = f"o-e2e-{uuid.uuid4().hex[:8]}"
    assert "CXO" in sim.send(sim.text(openid, "CXO订单有什么政策")).text
    assert "CXO" in sim.send(sim.text(openid, "还有呢")).text  # same conversation id, topic remembered
