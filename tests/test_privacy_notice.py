"""One privacy notice, the same words everywhere (issue 18 part 1): the widget, WeChat and the README.

bot/privacy.py holds the text. WeChat must send it with the welcome of a
subscribe, and with the first reply to someone it holds no record of, and
not again after that; the widget and the README must say exactly the same.
(The widget's on-screen behaviour is tests/e2e/test_privacy_notice_browser.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.privacy import NOTICE, wechat_notice
from appsupport import make_app
from bot.widget import source
from wechat_sim import Simulator, WeChatDialogue, wait_for, wechat_config

ROOT = Path(__file__).resolve().parent.parent


def test_the_widget_and_the_readme_say_what_the_notice_says():
    widget = source()  # the widget as served (bot/widget/__init__.py)
    readme = (ROOT / "README.md").read_text("utf-8")
    for language, text in NOTICE.items():
        assert f"privacy: {json.dumps(text, ensure_ascii=False)}" in widget, language
        assert text in readme, language


def test_wechat_sends_the_notice_on_subscribe_and_to_a_first_contact_only(db_url):
    from bot.models import Turn
    from bot.wechat.identity import conversation_id
    from bot.wechat.models import WeChatFollower

    app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_REPLY_BUDGET_S=2.0))
    sim = Simulator.for_flask(app)

    def known(openid):
        who = conversation_id(openid, "test-salt")[3:]
        return wait_for(lambda: app.extensions["db_sessionmaker"]().get(WeChatFollower, who) is not None, 2)

    welcome = sim.send(sim.event("o-follow", "subscribe")).text
    assert welcome.startswith(wechat_notice() + "\n\n") and NOTICE["zh"] in welcome and NOTICE["en"] in welcome
    with app.extensions["db_sessionmaker"]() as session:
        assert [t.user_text for t in session.query(Turn).all()] == ["/greet"]  # nothing the person typed yet
    assert known("o-follow")
    assert NOTICE["zh"] not in sim.send(sim.text("o-follow", "园区在哪里")).text

    # Someone we hold no record of (a follower from before, or after retention forgot them): told at once.
    first = sim.send(sim.text("o-stranger", "园区在哪里")).text
    assert first.startswith(wechat_notice()) and "机场西侧" in first
    assert known("o-stranger")
    assert NOTICE["zh"] not in sim.send(sim.text("o-stranger", "园区在哪里")).text
    # A re-follow hears it again.
    assert NOTICE["zh"] in sim.send(sim.event("o-follow", "subscribe")).text
