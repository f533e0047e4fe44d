"""Messages and events through /wechat, as WeChat sends them (simulator with wechatpy on the client side)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from bot.wechat.customer_service import split_text
from bot.wechat.identity import conversation_id
from bot.wechat.inbound import PLEASE_TYPE, TEXT_ONLY
from bot.wechat.models import WeChatFollower, WeChatOptions
from bot.wechat.render import PASSIVE_LIMIT_BYTES, render
from appsupport import make_app
from wechat_sim import LOCATION_SOURCE, Simulator, WeChatDialogue, wait_for, wechat_config
from bot.privacy import wechat_notice

# A first contact's reply opens with the privacy notice (bot/privacy.py).
FIRST = wechat_notice() + "\n\n"


@pytest.fixture
def app(db_url):
    return make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_REPLY_BUDGET_S=2.0))


def calls(app):
    return app.extensions["dialogue"].sent


def follower(app, openid, **expected) -> WeChatFollower | None:
    """The follower row, once it shows `expected` (it is written just after the answer goes out)."""

    def row():
        with app.extensions["db_sessionmaker"]() as session:
            return session.get(WeChatFollower, conversation_id(openid, "test-salt")[3:])

    wait_for(lambda: (r := row()) is not None and all(getattr(r, k) == v for k, v in expected.items()), 2)
    return row()


@pytest.mark.parametrize("mode", ["safe", "compatible", "plain"])
def test_where_is_the_park_is_answered_with_its_source(db_url, mode):
    app = make_app(dialogue=WeChatDialogue(), **wechat_config(db_url, WECHAT_REPLY_BUDGET_S=2.0, WECHAT_MODE=mode))
    sim = Simulator.for_flask(app, mode=mode)
    reply = sim.send(sim.text("o-visitor-1", "园区在哪里"))
    assert reply.status == 200 and reply.encrypted == (mode != "plain")
    assert "机场西侧" in reply.text
    assert LOCATION_SOURCE["url"] in reply.text and LOCATION_SOURCE["title"] in reply.text
    assert reply.text.index("机场西侧") < reply.text.index("来源")
    [(sender_id, message)] = calls(app)
    assert message == "园区在哪里"


def test_the_conversation_id_is_a_stable_salted_hash_of_the_openid(app):
    sim = Simulator.for_flask(app)
    sim.send(sim.text("o-visitor-1", "你好"))
    sim.send(sim.text("o-visitor-1", "还有呢"))
    sim.send(sim.text("o-visitor-2", "你好"))
    ids = [sender for sender, _ in calls(app)]
    assert ids[0] == ids[1] != ids[2]
    assert re.fullmatch(r"wx-[0-9a-f]{32}", ids[0]) and "visitor" not in ids[0]
    assert ids[0] == conversation_id("o-visitor-1", "test-salt") != conversation_id("o-visitor-1", "other-salt")


def test_turns_are_logged_for_the_staff_console_under_the_wechat_channel(app):
    from bot.models import Turn

    sim = Simulator.for_flask(app)
    sim.send(sim.text("o-logged", "园区在哪里"))
    with app.extensions["db_sessionmaker"]() as session:
        [turn] = session.scalars(select(Turn)).all()
    assert (turn.channel, turn.user_text) == ("wechat", "园区在哪里") and "机场西侧" in turn.reply
    assert "o-logged" not in turn.sender_hash


def test_voice_uses_its_recognition_or_asks_for_text(app):
    sim = Simulator.for_flask(app)
    assert sim.send(sim.voice("o-v", "园区在哪里")).text.startswith(FIRST + "杭州生物科技谷")
    follower(app, "o-v")  # recorded just after the answer; the notice is not repeated
    assert sim.send(sim.voice("o-v", None)).text == PLEASE_TYPE
    assert sim.send(sim.voice("o-v", "")).text == PLEASE_TYPE
    assert [m for _, m in calls(app)] == ["园区在哪里"]


def test_an_image_gets_a_text_only_notice(app):
    sim = Simulator.for_flask(app)
    assert sim.send(sim.image("o-i")).text == FIRST + TEXT_ONLY
    follower(app, "o-i")  # recorded just after the answer
    assert sim.send(sim.image("o-i")).text == TEXT_ONLY  # once: now a known follower
    assert calls(app) == []


def test_subscribe_through_a_qr_code_welcomes_and_records_the_lead_source(app):
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.event("o-new", "subscribe", key="qrscene_booth-2024", ticket="TICKET"))
    assert reply.text.startswith(FIRST + "您好")
    assert "1. 园区位置" in reply.text and "3. 扶持政策" in reply.text
    assert [m for _, m in calls(app)] == ["/greet"]
    row = follower(app, "o-new", scene="booth-2024")
    assert (row.subscribed, row.scene) == (True, "booth-2024")
    # A plain re-follow later keeps the first lead source.
    sim.send(sim.event("o-new", "unsubscribe"))
    row = follower(app, "o-new")
    assert (row.subscribed, row.openid, row.scene) == (False, None, "booth-2024")
    sim.send(sim.event("o-new", "subscribe", key=""))
    row = follower(app, "o-new", subscribed=True)
    assert (row.subscribed, row.scene) == (True, "booth-2024")


def test_unsubscribe_is_recorded_and_answered_with_success(app):
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.event("o-leaving", "unsubscribe"))
    assert (reply.status, reply.body) == (200, "success")
    with app.extensions["db_sessionmaker"]() as session:
        [row] = session.scalars(select(WeChatFollower)).all()
    assert row.subscribed is False and calls(app) == []
    assert row.openid is None  # no OpenID kept for someone who left unseen


def test_a_digit_picks_the_numbered_option_last_shown(app):
    sim = Simulator.for_flask(app)
    sim.send(sim.event("o-d", "subscribe"))
    reply = sim.send(sim.text("o-d", "１"))  # full-width, as Chinese keyboards type it
    assert "机场西侧" in reply.text
    assert [m for _, m in calls(app)] == ["/greet", "/ask_location"]
    # The answer had no buttons, so the options are cleared: a digit is just text now.
    sim.send(sim.text("o-d", "2"))
    assert calls(app)[-1][1] == "2"
    with app.extensions["db_sessionmaker"]() as session:
        assert json.loads(session.get(WeChatOptions, calls(app)[-1][0][3:]).options) == {}


def test_options_are_per_user(app):
    sim = Simulator.for_flask(app)
    sim.send(sim.event("o-a", "subscribe"))
    sim.send(sim.text("o-b", "2"))
    assert calls(app)[-1][1] == "2"


@pytest.mark.parametrize(
    "key, payload",
    [
        ("ask_policy", "/ask_policy"),
        ("human_handoff", "/human_handoff"),
        ("request_settlement", "/request_settlement"),
        ("unknown_key", "/greet"),
        ("/restart", "/greet"),
    ],
)
def test_menu_clicks_become_topic_intents(app, key, payload):
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.event("o-m", "CLICK", key=key))
    assert reply.status == 200 and reply.text
    assert calls(app)[-1][1] == payload


def test_view_events_get_success_and_reach_nothing(app):
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.event("o-m", "VIEW", key="https://example.com"))
    assert (reply.body, calls(app)) == ("success", [])


def test_a_dialogue_failure_still_gets_a_polite_answer(db_url):
    broken = WeChatDialogue()
    broken.down = True  # every call raises DialogueUnavailable
    app = make_app(dialogue=broken, **wechat_config(db_url, WECHAT_REPLY_BUDGET_S=2.0))
    sim = Simulator.for_flask(app)
    assert "稍后再试" in sim.send(sim.text("o-x", "园区在哪里")).text
    # (a first message also gets the bilingual privacy notice, before the answer)
    english = sim.send(sim.text("o-y", "Where is the park?")).text.split("\n\n")[-1]
    assert "try again" in english and not re.search(r"[\u4e00-\u9fff]", english), english


def test_the_menu_command_prints_every_topic(app):
    result = app.test_cli_runner().invoke(args=["wechat-menu", "--dry-run"])
    assert result.exit_code == 0, result.output
    menu = json.loads(result.output)
    keys = {b["key"] for top in menu["button"] for b in top["sub_button"]}
    assert keys == {
        "ask_location",
        "ask_industries",
        "ask_policy",
        "ask_cxo",
        "ask_green_channel",
        "ask_import_export",
        "ask_funds",
        "ask_services",
        "ask_layout",
        "ask_goals",
        "ask_opening",
        "human_handoff",
        "request_settlement",
    }
    assert len(menu["button"]) <= 3 and all(len(top["sub_button"]) <= 5 for top in menu["button"])
    assert all(len(top["name"].encode()) <= 16 for top in menu["button"])


# --- rendering and splitting ------------------------------------------------------


def test_render_puts_the_answer_then_short_linked_sources_then_numbered_options():
    rendered = render(
        [
            {"text": "第一段。", "buttons": [], "sources": [LOCATION_SOURCE]},
            {
                "text": "第二段。",
                "buttons": [{"title": "转人工", "payload": "/human_handoff"}],
                "sources": [
                    LOCATION_SOURCE,
                    {"title": "无链接的来源", "publisher": "", "published": "", "url": "", "snippet": "第二段。"},
                ],
            },
        ]
    )
    assert rendered.text == (
        "第一段。\n\n第二段。\n\n来源：\n"
        '[1] <a href="https://www.example.gov.cn/park/intro.html">杭州生物科技谷简介</a>'
        "（杭州临空经济示范区管委会 2024-03-12）\n[2] 无链接的来源（日期不详）\n\n回复数字即可选择：\n1. 转人工"
    )
    assert rendered.options == {"1": "/human_handoff"} and rendered.fits_passive


def test_an_english_reply_gets_english_labels_around_it():
    """Every message an English-speaking tenant reads is English: the sources' heading, a missing
    date and the options prompt too."""
    rendered = render(
        [
            {
                "text": "From 杭州网, 2024-03-12 (in Chinese): 园区位于机场西侧。",
                "buttons": [{"title": "Talk to staff", "payload": "/human_handoff"}],
                "sources": [
                    {"title": "开园", "publisher": "", "published": "", "url": "", "snippet": "园区位于机场西侧"}
                ],
            }
        ]
    )
    assert rendered.text.endswith(
        "Sources:\n[1] 开园 (date unknown)\n\nReply with a number to choose:\n1. Talk to staff"
    )
    assert "来源" not in rendered.text and "回复数字" not in rendered.text


def test_documents_offered_with_no_answer_are_not_listed_as_sources():
    """A declined question's pointers (sources without a snippet) are documents to read, not the source
    of a fact: they get their own heading, right after the words that offer them, in either language."""
    pointer = {"title": "开园报道", "publisher": "杭州网", "published": "2024-03-12", "url": "", "snippet": ""}
    replies = [
        {"text": "暂时没有查到。下面这些公开文件谈到了相关内容：", "buttons": [], "sources": [pointer]},
        {"text": "您可以留下联系方式。", "buttons": [{"title": "转人工", "payload": "/human_handoff"}], "sources": []},
    ]
    assert render(replies).text == (
        "暂时没有查到。下面这些公开文件谈到了相关内容：\n\n相关文件：\n[1] 开园报道（杭州网 2024-03-12）"
        "\n\n您可以留下联系方式。\n\n回复数字即可选择：\n1. 转人工"
    )
    replies[0]["text"] = "I could not find it. These published documents discuss related topics:"
    assert "\n\nRelated documents:\n[1] 开园报道 (杭州网 2024-03-12)\n\n" in render(replies).text
    cited = {**pointer, "title": "政策", "snippet": "园区位于机场西侧"}
    both = render([{"text": "答。", "buttons": [], "sources": [cited, pointer]}]).text
    assert both == "答。\n\n相关文件：\n[1] 开园报道（杭州网 2024-03-12）\n\n来源：\n[2] 政策（杭州网 2024-03-12）"


def test_render_escapes_titles_and_refuses_odd_link_schemes():
    rendered = render(
        [
            {
                "text": "x",
                "buttons": [],
                "sources": [{"title": "<b>标题</b>", "url": "javascript:alert(1)", "publisher": "", "published": ""}],
            }
        ]
    )
    assert "<b>" not in rendered.text and "javascript" not in rendered.text


def test_a_long_answer_does_not_fit_a_passive_reply():
    assert not render([{"text": "园" * 700, "buttons": [], "sources": []}]).fits_passive
    assert len(("园" * 682).encode()) <= PASSIVE_LIMIT_BYTES


def test_split_keeps_order_and_the_600_character_limit():
    text = "\n".join(f"第{i}行：" + "园区" * (i * 7 % 90) for i in range(60))
    pieces = split_text(text)
    assert len(pieces) > 2 and all(0 < len(p) <= 600 for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    unbroken = "字" * 1500
    assert [len(p) for p in split_text(unbroken)] == [600, 600, 300]


def test_split_never_cuts_a_link():
    link = '<a href="https://example.com/very/long/path">来源标题</a>'
    text = "字" * 590 + link + "尾"
    pieces = split_text(text)
    assert any(link in p for p in pieces) and all(len(p) <= 600 for p in pieces)
