"""The 5-second budget, retries, the access_token and customer-service messages.

A loopback server plays api.weixin.qq.com; the dialogue is a slow fake.
Budgets are scaled down (0.5 s) so the suite stays fast.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from bot.wechat.access_token import TokenStore
from bot.wechat.customer_service import QUOTA_EXCEEDED, WINDOW_CLOSED, CustomerServiceError, send_to_conversation
from bot.wechat.identity import conversation_id
from bot.wechat.models import WeChatMessage
from appsupport import make_app
from wechat_sim import FakeWeChatApi, LOCATION_ANSWER, Simulator, WeChatDialogue, wait_for, wechat_config
from bot.privacy import wechat_notice

BUDGET = 0.5


@pytest.fixture
def api():
    with FakeWeChatApi() as server:
        yield server


def slow_app(db_url, api, delay_s, **overrides):
    dialogue = WeChatDialogue(
        delay_s=delay_s, long_answer=overrides.pop("long_answer", None), gate=overrides.pop("gate", None)
    )
    config = wechat_config(db_url, api.url, **{"WECHAT_REPLY_BUDGET_S": BUDGET, **overrides})
    return make_app(dialogue=dialogue, **config)


def known(app, openid) -> bool:
    """The follower row staff replies need; written just after the answer goes out."""
    from bot.wechat.followers import openid_for

    who = conversation_id(openid, "test-salt")[3:]
    return wait_for(lambda: openid_for(app.extensions["db_sessionmaker"], who) == openid, 2)


def answers(replies, api, openid) -> list[str]:
    """Every answer the user saw: passive replies plus customer-service messages."""
    return [r.text for r in replies if r.text] + api.texts(openid)


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_fast_answer_is_passive_and_no_api_is_called(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0)
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.text("o-fast", "园区在哪里"))
    assert "机场西侧" in reply.text
    time.sleep(BUDGET + 0.5)
    assert api.messages == [] and api.token_requests == []


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_slow_answer_gets_success_now_and_a_customer_service_message_later(db_url, api):
    app = slow_app(db_url, api, delay_s=1.2)
    sim = Simulator.for_flask(app)
    started = time.monotonic()
    reply = sim.send(sim.text("o-slow", "园区在哪里"))
    elapsed = time.monotonic() - started
    assert (reply.status, reply.body) == (200, "success")
    assert BUDGET - 0.05 < elapsed < BUDGET + 1.5  # far inside WeChat's 5 s, even on a busy machine
    assert wait_for(lambda: api.messages, timeout=5)
    [message] = api.messages
    assert message["touser"] == "o-slow" and message["msgtype"] == "text"
    assert "机场西侧" in message["text"]["content"] and "来源" in message["text"]["content"]
    assert not message["raw_has_escapes"]  # UTF-8 JSON, not \\u escapes
    [token_request] = api.token_requests
    assert token_request["grant_type"] == "client_credential" and token_request["appid"] == app.config["WECHAT_APP_ID"]


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_long_late_answer_arrives_in_order_in_pieces_of_at_most_600(db_url, api):
    long_answer = "\n".join(f"第{i:02d}段：" + "生物医药产业" * 12 for i in range(40))
    app = slow_app(db_url, api, delay_s=0.8, long_answer=long_answer)
    sim = Simulator.for_flask(app)
    assert sim.send(sim.text("o-long", "详细介绍一下")).body == "success"
    assert wait_for(lambda: len(api.messages) >= 5 and "来源" in api.texts()[-1], timeout=5)
    time.sleep(0.3)
    texts = api.texts("o-long")
    assert all(len(t) <= 600 for t in texts)
    joined = "".join(texts).replace("\n", "")
    assert joined.startswith((wechat_notice() + long_answer).replace("\n", ""))
    assert [int(n) for n in __import__("re").findall(r"第(\d\d)段", joined)] == list(range(40))


def test_a_long_fast_answer_goes_by_customer_service_too(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0, long_answer="园" * 1000)
    sim = Simulator.for_flask(app)
    assert sim.send(sim.text("o-l", "x")).body == "success"
    whole = (wechat_notice() + "园" * 1000).replace("\n", "")  # a first contact: the privacy notice first
    assert wait_for(lambda: "来源" in "".join(api.texts()))
    assert "".join(api.texts()).replace("\n", "").startswith(whole)
    assert len(api.texts()) >= 3 and all(len(t) <= 600 for t in api.texts())


def _storm(app, openid, retries, gap_s, delay_first=0.0):
    """POST one message, then the same MsgId `retries` more times, `gap_s` apart, concurrently."""
    sim = Simulator.for_flask(app)
    msg_id = sim.next_msg_id()
    create_time = int(time.time())
    replies, threads = [None] * (retries + 1), []

    def post(i):
        replies[i] = sim.send(sim.text(openid, "园区在哪里", msg_id=msg_id, create_time=create_time))

    for i in range(retries + 1):
        threads.append(threading.Thread(target=post, args=(i,)))
        threads[-1].start()
        time.sleep(gap_s)
    for thread in threads:
        thread.join(10)
    return replies


@pytest.mark.slow  # waits out a slow dialogue through a storm of retries: left out of make test-fast
def test_retry_storm_while_in_flight_delivers_exactly_one_late_answer(db_url, api):
    app = slow_app(db_url, api, delay_s=1.5)
    replies = _storm(app, "o-storm", retries=3, gap_s=0.1)
    assert all(r.status == 200 for r in replies)
    assert wait_for(lambda: api.messages, timeout=5)
    time.sleep(0.5)
    assert len(app.extensions["dialogue"].sent) == 1
    got = answers(replies, api, "o-storm")
    assert len(got) == 1 and LOCATION_ANSWER in got[0]


@pytest.mark.slow  # waits out a slow dialogue through a storm of retries: left out of make test-fast
def test_retry_storm_answered_passively_by_the_latest_retry(db_url, api):
    # The dialogue ends while the last retry still waits: that retry answers, nobody else. The dialogue is held
    # until all four POSTs have joined the message, so a busy machine cannot let it finish before the last
    # retry arrives (then two POSTs would rightly get the same passive answer, and the test would say nothing).
    # The last retry must still be waiting when the gate opens: with the 0.5 s budget, a CI machine busy enough
    # (PostgreSQL, 2026-12-03) let it give up between its arrival and the gate, and the answer went out later by
    # the API. Its budget here is 3 s, inside WeChat's 5 s; what is checked does not depend on its length.
    budget = 3.0
    gate = threading.Event()
    app = slow_app(db_url, api, delay_s=0.0, gate=gate, WECHAT_REPLY_BUDGET_S=budget)
    replies: list = []
    storm = threading.Thread(target=lambda: replies.extend(_storm(app, "o-storm2", retries=3, gap_s=0.05)))
    storm.start()

    def attempts() -> int:
        with app.extensions["db_sessionmaker"]() as session:
            return max(session.execute(select(WeChatMessage.attempts)).scalars(), default=0)

    assert wait_for(lambda: attempts() == 4, timeout=10)
    gate.set()
    storm.join(15)
    time.sleep(budget + 0.3)
    assert len(app.extensions["dialogue"].sent) == 1
    got = answers(replies, api, "o-storm2")
    assert len(got) == 1 and LOCATION_ANSWER in got[0]
    assert replies[-1].text and api.messages == []


def test_a_retry_after_a_passive_answer_gets_the_same_answer(db_url, api):
    # WeChat retries only when it missed our reply; the same content goes again, the dialogue does not run again.
    app = slow_app(db_url, api, delay_s=0.0)
    sim = Simulator.for_flask(app)
    msg_id, now = sim.next_msg_id(), int(time.time())
    first = sim.send(sim.text("o-r", "园区在哪里", msg_id=msg_id, create_time=now))
    again = sim.send(sim.text("o-r", "园区在哪里", msg_id=msg_id, create_time=now))
    assert first.text == again.text and len(app.extensions["dialogue"].sent) == 1


def test_events_are_deduplicated_by_sender_and_create_time(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0)
    sim = Simulator.for_flask(app)
    now = int(time.time())
    sim.send(sim.event("o-e", "CLICK", key="ask_policy", create_time=now))
    sim.send(sim.event("o-e", "CLICK", key="ask_policy", create_time=now))
    sim.send(sim.event("o-e", "CLICK", key="ask_policy", create_time=now + 1))
    assert [m for _, m in app.extensions["dialogue"].sent] == ["/ask_policy", "/ask_policy"]


def test_the_token_is_refreshed_when_wechat_says_40001(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0)
    channel = app.extensions["wechat"]
    assert channel.tokens.get() == "TOKEN-1"
    api.tokens_issued += 1  # WeChat issued a new token elsewhere: TOKEN-1 is now rejected with 40001
    with app.app_context():
        sim = Simulator.for_flask(app)
        sim.send(sim.text("o-t", "你好"))
        assert known(app, "o-t")
        assert send_to_conversation(conversation_id("o-t", "test-salt"), "招商人员回复：您好") == 1
    assert api.texts("o-t") == ["招商人员回复：您好"]
    assert len(api.token_requests) == 2 and channel.tokens.get() == "TOKEN-3"


def test_one_token_is_shared_by_every_worker(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0)
    channel = app.extensions["wechat"]
    # Two more stores on the same database stand in for other worker processes.
    stores = [channel.tokens] + [TokenStore(channel.settings, channel.sessions, channel.http) for _ in range(2)]
    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.get())) for s in stores * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"TOKEN-1"} and len(api.token_requests) == 1


@pytest.mark.slow  # waits out retries against a failing token endpoint: left out of make test-fast
def test_token_failures_are_retried_and_never_crash_a_request(db_url, api):
    app = slow_app(db_url, api, delay_s=0.8, WECHAT_APP_SECRET="wrong-secret")
    sim = Simulator.for_flask(app)
    reply = sim.send(sim.text("o-nt", "园区在哪里"))
    assert (reply.status, reply.body) == (200, "success")
    assert wait_for(lambda: len(api.token_requests) == 3, timeout=5)  # three tries with backoff
    time.sleep(0.2)
    assert api.messages == []
    # The same user's next message still works.
    app.extensions["dialogue"].delay_s = 0
    assert "收到" in sim.send(sim.text("o-nt", "你好")).text


@pytest.mark.parametrize("errcode", [WINDOW_CLOSED, QUOTA_EXCEEDED])
def test_window_and_quota_refusals_reach_staff_with_a_message(db_url, api, errcode):
    app = slow_app(db_url, api, delay_s=0.0)
    sim = Simulator.for_flask(app)
    sim.send(sim.text("o-staff", "转人工"))
    assert known(app, "o-staff")
    api.send_errors.append(errcode)
    with app.app_context(), pytest.raises(CustomerServiceError) as refused:
        send_to_conversation(conversation_id("o-staff", "test-salt"), "您好，我是招商人员")
    assert refused.value.errcode == errcode and refused.value.staff_message
    assert "48" in refused.value.staff_message if errcode == WINDOW_CLOSED else "回复" in refused.value.staff_message


def test_openids_are_forgotten_when_wechat_would_refuse_them(db_url, api):
    from datetime import timedelta

    from bot.wechat import followers
    from bot.wechat.models import WeChatFollower

    app = slow_app(db_url, api, delay_s=0.0)
    sim = Simulator.for_flask(app)
    for openid in ("o-quiet", "o-gone", "o-active"):
        sim.send(sim.text(openid, "你好"))
        assert known(app, openid)
    sessions = app.extensions["db_sessionmaker"]
    with sessions() as session, session.begin():
        quiet = session.get(WeChatFollower, conversation_id("o-quiet", "test-salt")[3:])
        quiet.last_message_at -= timedelta(hours=49)
    sim.send(sim.event("o-gone", "unsubscribe"))
    followers._last_forget = 0.0
    followers.forget_unreachable(sessions)
    with app.app_context():
        for openid in ("o-quiet", "o-gone"):
            with pytest.raises(CustomerServiceError) as refused:
                send_to_conversation(conversation_id(openid, "test-salt"), "您好")
            assert refused.value.errcode == WINDOW_CLOSED
        assert send_to_conversation(conversation_id("o-active", "test-salt"), "您好") == 1
    with sessions() as session:
        assert {f.openid for f in session.query(WeChatFollower)} == {None, "o-active"}


def test_staff_cannot_reach_an_unknown_conversation(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0)
    with app.app_context(), pytest.raises(CustomerServiceError):
        send_to_conversation("wx-" + "0" * 32, "hello")


def test_the_menu_command_pushes_the_menu(db_url, api):
    app = slow_app(db_url, api, delay_s=0.0)
    result = app.test_cli_runner().invoke(args=["wechat-menu"])
    assert result.exit_code == 0, result.output
    [menu] = api.menus
    assert menu["button"][0]["sub_button"][0] == {"type": "click", "name": "园区位置", "key": "ask_location"}


def test_dedup_rows_expire(db_url, api):
    from datetime import timedelta

    from bot.wechat import dedup

    app = slow_app(db_url, api, delay_s=0.0, WECHAT_DEDUP_TTL_S=60)
    sim = Simulator.for_flask(app)
    msg_id, now = sim.next_msg_id(), int(time.time())
    sim.send(sim.text("o-x", "你好", msg_id=msg_id, create_time=now))
    sessions = app.extensions["db_sessionmaker"]
    with sessions() as session, session.begin():
        row = session.get(WeChatMessage, f"msg:{msg_id}")
        row.created_at -= timedelta(seconds=120)
    ticket = dedup.begin(sessions, f"msg:{msg_id}", "h", 0.5, 60)
    assert ticket.owner  # an expired row no longer deduplicates
    with sessions() as session:
        assert len(session.scalars(select(WeChatMessage)).all()) == 1
