"""转人工 on WeChat: the waiting message comes as the reply, and a handoff nobody claims reaches the
user as customer-service messages (a WeChat user does not poll). WeChat is the loopback fake."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot import db
from bot.handoff import sweeper
from bot.wechat import followers
from bot.models import Handoff, utcnow
from appsupport import make_app
from wechat_sim import FakeWeChatApi, Simulator, WeChatDialogue, wechat_config

FORM = "欢迎关注杭州生物科技谷！请留下几项信息，招商人员会与您联系。"


class HandoffRasa(WeChatDialogue):
    def answer(self, sender_id, message):
        if message == "转人工":
            return [{"text": "好的，已为您转接招商人员。", "buttons": [], "sources": []}], {"outcome": "handoff"}
        if message == "/request_settlement":
            return [{"text": FORM, "buttons": [], "sources": []}], {"outcome": "answered", "form_step": True}
        return super().answer(sender_id, message)


@pytest.fixture
def api():
    with FakeWeChatApi() as server:
        yield server


def test_an_unclaimed_wechat_handoff_reaches_the_user_as_customer_service_messages(db_url, api):
    rasa = HandoffRasa()
    # The production budget for the passive reply (4 s), not the suite's 0.5 s: this test is about the handoff,
    # and on a loaded machine the answer could miss the reply and go out late (the budget's designed path,
    # tests/test_wechat_delivery.py). Should it still, the answer is read from where it went.
    config = wechat_config(db_url, api.url, HANDOFF_CLAIM_TIMEOUT_MINUTES=5, WECHAT_REPLY_BUDGET_S=4.0)
    app = make_app(dialogue=rasa, **config)
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.text("o-wang", "转人工"))
    assert reply.status == 200, reply
    late = 0 if reply.text else 1  # customer-service messages the answer itself took up
    answer = reply.text or api.wait_for_texts("o-wang", 1)[0]
    assert "已为您转接招商人员" in answer and "请稍候" in answer
    with app.app_context():
        session = db.session()
        [handoff] = session.query(Handoff).all()
        assert handoff.channel == "wechat" and handoff.status == "open"
        handoff.created_at = utcnow() - timedelta(minutes=6)
        session.commit()
        overdue, conversation = handoff.id, handoff.sender_id
        # Who wrote is recorded after the answer, off its path (bot/wechat/budget.py): wait for it, as the
        # minutes a real timeout takes would.
        channel = app.extensions["wechat"]
        deadline = time.monotonic() + 30
        while followers.lookup(channel.sessions, conversation.removeprefix("wx-")) is None:
            assert time.monotonic() < deadline, "the follower was never recorded"
            time.sleep(0.05)
    # The sweep (no sweeper thread under TESTING) times the handoff out; the two customer-service messages
    # then go out in the background, and arrive however loaded the machine is.
    assert sweeper.sweep_once(app) == [overdue]
    sent = api.wait_for_texts("o-wang", late + 2)
    assert len(sent) >= late + 2, sent
    notice, form = sent[late : late + 2]
    assert "没有工作人员能够接待您" in notice and form == FORM
    assert rasa.resumed and rasa.sent[-1][1] == "/request_settlement"
    with app.app_context():
        [handoff] = db.session().query(Handoff).all()
        assert (handoff.status, handoff.closed_reason, handoff.sender_id) == ("closed", "timeout", None)
