"""转人工 on WeChat: the waiting message comes as the reply, and a handoff nobody claims reaches the
user as customer-service messages (a WeChat user does not poll). WeChat is the loopback fake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import db
from bot.handoff import sweeper
from bot.models import Handoff, utcnow
from appsupport import make_app
from wechat_sim import FakeWeChatApi, Simulator, WeChatDialogue, wait_for, wechat_config

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
    app = make_app(dialogue=rasa, **wechat_config(db_url, api.url, HANDOFF_CLAIM_TIMEOUT_MINUTES=5))
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.text("o-wang", "转人工"))
    assert "已为您转接招商人员" in reply.text and "请稍候" in reply.text
    with app.app_context():
        session = db.session()
        [handoff] = session.query(Handoff).all()
        assert handoff.channel == "wechat" and handoff.status == "open"
        handoff.created_at = utcnow() - timedelta(minutes=6)
        session.commit()
    assert wait_for(lambda: sweeper.sweep_once(app) or api.texts("o-wang"), timeout=5)
    assert wait_for(lambda: len(api.texts("o-wang")) >= 2, timeout=5)
    notice, form = api.texts("o-wang")[:2]
    assert "没有工作人员能够接待您" in notice and form == FORM
    assert rasa.resumed and rasa.sent[-1][1] == "/request_settlement"
    with app.app_context():
        [handoff] = db.session().query(Handoff).all()
        assert (handoff.status, handoff.closed_reason, handoff.sender_id) == ("closed", "timeout", None)
