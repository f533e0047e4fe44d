"""Staff notices (bot/notify/): handoff, lead, long wait and thumbs-down reach WeCom, DingTalk and e-mail.

The channels are local fakes (tests/notify_fakes.py): a robot webhook on
127.0.0.1 and an aiosmtpd server. The app's own background sender delivers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
import urllib.parse

import pytest

from appsupport import SECRET, add_staff, alembic_config, login, make_app, rows
from bot.notify.channels import SmtpTarget, dingtalk_sign, dingtalk_url
from bot.notify.compose import mask_personal, quote
from bot.notify.models import Notice
from notify_fakes import FakeMailbox, FakeRobot

CONSOLE = "https://zhaoshang.example.org"
PHONE = "13912345678"


@pytest.fixture
def apps(tmp_path):
    """Makes apps with notices on; stops their sender threads afterwards."""
    made = []

    def make(**config):
        settings = {"NOTIFY_POLL_S": 0.1, "NOTIFY_RETRY_BASE_S": 0.2, "CONSOLE_BASE_URL": CONSOLE, **config}
        app = make_app(tmp_path, **settings)
        made.append(app)
        return app

    yield make
    for app in made:
        if "notify" in app.extensions:
            app.extensions["notify"].stop()
        app.extensions["db_engine"].dispose()


@pytest.fixture
def robot():
    server = FakeRobot()
    yield server
    server.close()


def chat(client, message, sender="web-zhang"):
    response = client.post("/api/chat", json={"sender_id": sender, "message": message})
    assert response.status_code == 200
    return response.get_json()


def ask_for_a_person(app, client, message="转人工", sender="web-zhang"):
    fake = app.extensions["dialogue"]
    fake.meta = {"outcome": "handoff", "sources": []}
    fake.replies = [{"text": "好的，正在为您转接招商人员。", "buttons": [], "sources": []}]
    return chat(client, message, sender)


def notices(app) -> list[Notice]:
    return rows(app, Notice)


def wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


@pytest.mark.slow  # waits out a real deadline or reply window (make test runs it)
def test_a_handoff_through_the_api_reaches_the_wecom_robot_within_5_s_with_a_console_link(apps):
    slow_robot = FakeRobot(delay_s=2.0)
    try:
        app = apps(NOTIFY_WECOM_WEBHOOK_URL=slow_robot.url())
        client = app.test_client()
        chat(client, "园区在哪里？")
        asked = time.monotonic()
        body = ask_for_a_person(app, client)
        assert body["handoff"] is True and body["replies"]
        assert time.monotonic() - asked < 1.5, "the tenant's reply waited for the robot"

        [received] = slow_robot.wait_for(1, timeout=5.0)
        assert received["at"] - asked < 5.0
        payload = received["json"]
        assert payload["msgtype"] == "markdown"
        content = payload["markdown"]["content"]
        assert f"({CONSOLE}/staff/handoffs#handoff-1)" in content
        assert "转人工请求 #1" in content and "此前对话：1 轮" in content
        assert received["query"] == {"key": ["test-key"]}
        [notice] = wait_until(lambda: [n for n in notices(app) if n.status == "sent"])
        assert (notice.kind, notice.channel, notice.attempts, notice.last_error) == ("handoff", "wecom", 1, "")
    finally:
        slow_robot.close()


def test_dingtalk_signature_follows_the_documented_algorithm():
    secret, timestamp = "SEC0123456789abcdef/+=", 1577262236757
    # DingTalk: string_to_sign = timestamp + "\n" + secret; HmacSHA256 keyed by the secret; Base64; urlEncode.
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), digestmod=hashlib.sha256)
    expected = urllib.parse.quote_plus(base64.b64encode(mac.digest()).decode("ascii"))
    assert dingtalk_sign(secret, timestamp) == expected
    webhook = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    assert dingtalk_url(webhook, secret, timestamp) == f"{webhook}&timestamp={timestamp}&sign={expected}"
    assert dingtalk_url(webhook, "", timestamp) == webhook  # no secret: the robot is not in signing mode


def test_a_new_lead_reaches_the_dingtalk_robot_signed_and_in_markdown(apps, robot):
    secret = "SECtest-secret"
    app = apps(NOTIFY_DINGTALK_WEBHOOK_URL=robot.url("/robot/send?access_token=tok"), NOTIFY_DINGTALK_SECRET=secret)
    response = app.test_client().post(
        "/api/leads",
        headers={"X-Leads-Secret": SECRET},
        json={
            "idempotency_key": "k1",
            "name": "王经理",
            "company": "临空生物",
            "phone": PHONE,
            "need": "1000平方米研发用房",
            "extra": {"topic": "租金"},
        },
    )
    assert response.status_code == 201
    [received] = robot.wait_for(1, timeout=5.0)
    query = received["query"]
    assert query["access_token"] == ["tok"]
    timestamp = int(query["timestamp"][0])
    assert abs(timestamp - time.time() * 1000) < 60_000
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(mac).decode()]  # parse_qs has undone the URL-encoding
    assert "sign=" + urllib.parse.quote_plus(base64.b64encode(mac).decode()) in received["raw_query"]
    payload = received["json"]
    assert payload["msgtype"] == "markdown" and "新线索 #1" in payload["markdown"]["title"]
    text = payload["markdown"]["text"]
    assert f"({CONSOLE}/staff/leads#lead-1)" in text and "话题：租金" in text and "留有：电话" in text
    assert "王经理" not in text and "临空生物" not in text


def test_a_thumbs_down_is_mailed_through_smtp_with_login(apps):
    mailbox = FakeMailbox(username="bot@park.example", password="p@ss:word")
    try:
        app = apps(
            SMTP_URL=f"smtp://bot%40park.example:p%40ss%3Aword@127.0.0.1:{mailbox.port}",
            NOTIFY_EMAIL_TO="li@park.example, wang@park.example",
        )
        client = app.test_client()
        turn_id = chat(client, "园区有食堂吗？")["turn_id"]
        rated = client.post("/api/chat/feedback", json={"sender_id": "web-zhang", "turn_id": turn_id, "rating": "down"})
        assert rated.status_code == 200
        [mail] = mailbox.wait_for(1, timeout=5.0)
        assert mail["to"] == ["li@park.example", "wang@park.example"]
        assert mail["from"] == "bot@park.example" and mailbox.logins == ["bot@park.example"]
        assert mail["subject"] == f"【招商助手】差评：对话轮次 #{turn_id}"
        assert f"{CONSOLE}/staff/turns/{turn_id}" in mail["body"] and "园区有食堂吗？" in mail["body"]
        # Flipping the rating back and forth tells staff once.
        for rating in ("up", "down"):
            client.post("/api/chat/feedback", json={"sender_id": "web-zhang", "turn_id": turn_id, "rating": rating})
        time.sleep(0.5)
        assert len(mailbox.messages) == 1 and len(notices(app)) == 1
    finally:
        mailbox.close()


def test_smtp_urls_say_how_to_connect():
    plain = SmtpTarget.parse("smtp://u%40x:p%2Fw@mail.example:2525")
    assert (plain.host, plain.port, plain.username, plain.password, plain.ssl, plain.starttls) == (
        "mail.example",
        2525,
        "u@x",
        "p/w",
        False,
        False,
    )
    assert SmtpTarget.parse("smtp://mail.example").port == 25
    tls = SmtpTarget.parse("smtp://u:p@mail.example?starttls=true")
    assert (tls.port, tls.starttls, tls.ssl) == (587, True, False)
    assert SmtpTarget.parse("smtp+starttls://mail.example").starttls is True
    secure = SmtpTarget.parse("smtps://u:p@mail.example")
    assert (secure.port, secure.ssl, secure.starttls) == (465, True, False)
    with pytest.raises(ValueError):
        SmtpTarget.parse("http://mail.example")


class SenderWatch:
    """Wakes the test on what the app's notice sender does, instead of guessing how long it takes: each attempt
    it records, each pass of its loop, and each retry delay it schedules. A loaded machine makes the waits
    longer; the generous timeouts only bound a real failure."""

    def __init__(self, app, monkeypatch):
        from bot.notify import sender as sender_module

        self.sender = app.extensions["notify"]
        self.changed = threading.Condition()
        self.recorded: list[tuple[int, str]] = []  # (attempt, error) of every attempt, as stored
        self.passes = 0  # run_once calls finished
        self.delays: list[float] = []  # the retry delays the sender chose
        record, run_once, delay = self.sender._record, self.sender.run_once, sender_module.retry_delay

        def recording(notice, attempt, error):
            record(notice, attempt, error)
            self._note(lambda: self.recorded.append((attempt, error)))

        def passing():
            try:
                return run_once()
            finally:
                self._note(lambda: setattr(self, "passes", self.passes + 1))

        def scheduling(settings, attempts):
            chosen = delay(settings, attempts)
            self._note(lambda: self.delays.append(chosen))
            return chosen

        monkeypatch.setattr(sender_module, "retry_delay", scheduling)
        self.sender._record, self.sender.run_once = recording, passing  # the loop looks them up on each pass

    def _note(self, change) -> None:
        with self.changed:
            change()
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 60.0) -> bool:
        with self.changed:
            return self.changed.wait_for(condition, timeout)


@pytest.mark.slow  # waits out the retry backoff: left out of make test-fast
def test_a_failing_webhook_is_retried_with_backoff_then_shown_as_failed_on_the_dashboard(apps, monkeypatch):
    broken = FakeRobot(status=500)
    try:
        app = apps(NOTIFY_WECOM_WEBHOOK_URL=broken.url(), NOTIFY_MAX_ATTEMPTS=3)
        watch = SenderWatch(app, monkeypatch)
        client = app.test_client()
        assert ask_for_a_person(app, client)["handoff"] is True  # the tenant is answered all the same
        assert watch.wait(lambda: len(watch.recorded) >= 3), watch.recorded  # the third failure is stored
        tries = broken.wait_for(3, timeout=60.0)
        assert len(tries) == 3
        # Exponential backoff: 0.2 s, then 0.4 s, as scheduled, and no try came before its time (a loaded
        # machine can only make a gap longer, so these hold however slow it is).
        assert watch.delays == [0.2, 0.4]
        first_gap, second_gap = tries[1]["at"] - tries[0]["at"], tries[2]["at"] - tries[1]["at"]
        assert first_gap >= 0.18 and second_gap >= 0.38
        [notice] = [n for n in notices(app) if n.status == "failed"]
        assert (notice.attempts, notice.last_error) == (3, "HTTP 500")
        # Given up: a second past the last failure (when a fourth try would have been due at 0.8 s), and two
        # more full passes of the sender's loop after that, there is still no fourth try.
        time.sleep(1.0)
        seen = watch.passes
        assert watch.wait(lambda: watch.passes >= seen + 2)
        assert len(broken.received) == 3 and len(watch.recorded) == 3

        add_staff(app)
        login(client)
        html = client.get("/staff/").get_data(as_text=True)
        counts = re.search(r'id="notice-counts"><b>(\d+)</b><span>通知发送失败（待发送 (\d+)）', html)
        assert counts and counts.groups() == ("1", "0")
    finally:
        broken.close()


def test_a_robot_refusal_counts_as_a_failure(apps):
    refusing = FakeRobot(errcode=93000)  # WeCom: invalid webhook key
    try:
        app = apps(NOTIFY_WECOM_WEBHOOK_URL=refusing.url(), NOTIFY_MAX_ATTEMPTS=1)
        ask_for_a_person(app, app.test_client())
        [notice] = wait_until(lambda: [n for n in notices(app) if n.status == "failed"])
        assert notice.last_error == "errcode 93000"
    finally:
        refusing.close()


def _compact(text: str) -> str:
    return re.sub(r"[\s\-－()（）+]", "", text)


def test_no_phone_number_or_name_reaches_any_notice(apps, robot):
    dingtalk = FakeRobot()
    mailbox = FakeMailbox()
    try:
        app = apps(
            NOTIFY_WECOM_WEBHOOK_URL=robot.url(),
            NOTIFY_DINGTALK_WEBHOOK_URL=dingtalk.url(),
            NOTIFY_DINGTALK_SECRET="SECx",
            SMTP_URL=f"smtp://127.0.0.1:{mailbox.port}",
            NOTIFY_EMAIL_TO="staff@park.example",
            NOTIFY_HANDOFF_WAIT_MINUTES=0,
        )
        client = app.test_client()
        turn_id = chat(client, f"我是张伟，电话{PHONE}，想租1000平米的研发用房")["turn_id"]
        client.post(
            "/api/chat/feedback",
            json={
                "sender_id": "web-zhang",
                "turn_id": turn_id,
                "rating": "down",
                "comment": "请打 139-1234-5678 找张伟",
            },
        )
        ask_for_a_person(app, client, "转人工，我叫张伟，电话 139 1234 5678")
        client.post(
            "/api/leads",
            headers={"X-Leads-Secret": SECRET},
            json={
                "idempotency_key": "k-phone",
                "name": "张伟",
                "company": "张伟生物",
                "phone": PHONE,
                "email": "zhangwei@example.com",
                "need": f"电话{PHONE}",
                "extra": {"topic": "租金"},
            },
        )

        kinds = {"handoff", "handoff_waiting", "lead", "thumbs_down"}
        wecom, ding, mails = robot.wait_for(4, 10.0), dingtalk.wait_for(4, 10.0), mailbox.wait_for(4, 10.0)
        assert len(wecom) == len(ding) == len(mails) == 4
        stored = notices(app)
        assert {n.kind for n in stored} == kinds and len(stored) == 12
        texts = (
            [r["json"]["markdown"]["content"] for r in wecom]
            + [r["raw"] for r in ding]
            + [r["json"]["markdown"]["text"] for r in ding]
            + [m["subject"] + m["body"] for m in mails]
            + [n.subject + n.body for n in stored]
        )
        for text in texts:
            assert PHONE not in _compact(text), text
            assert not re.search(r"\d{7,}", _compact(text)), text
            assert "张伟" not in text and "zhangwei" not in text, text
        handoff_notice = next(n.body for n in stored if n.kind == "handoff")
        assert "［号码已隐藏］" in handoff_notice and "1000平米" in handoff_notice
    finally:
        dingtalk.close()
        mailbox.close()


@pytest.mark.parametrize(
    "typed",
    [
        PHONE,
        "139 1234 5678",
        "+86 139-1234-5678",
        "(0571) 8888-8888",
        "057188888888",
        "１３９１２３４５６７８",
        "一三九一二三四五六七八",
        "幺三九 一二三四 五六七八",
    ],
)
def test_phone_like_numbers_are_masked(typed):
    masked = mask_personal(f"联系我{typed}谢谢")
    assert masked == "联系我[号码已隐藏]谢谢", masked


@pytest.mark.parametrize("kept", ["租1000平米", "2024-03-12 开园", "2024年3月12日", "第3期 5栋", "投资2.5亿元"])
def test_ordinary_numbers_stay(kept):
    assert mask_personal(kept) == kept


@pytest.mark.parametrize(
    "typed, masked",
    [
        ("我是张伟，想了解政策", "我是[姓名已隐藏]，想了解政策"),
        ("我叫李娜", "我叫[姓名已隐藏]"),
        ("联系人：王芳 需要厂房", "联系人[姓名已隐藏] 需要厂房"),
        ("我是做CXO的企业", "我是做CXO的企业"),
        ("邮件 wang.fang@example.com", "邮件 [邮箱已隐藏]"),
    ],
)
def test_introduced_names_and_email_addresses_are_masked(typed, masked):
    assert mask_personal(typed) == masked


def test_tenant_text_cannot_make_a_link_or_heading_in_the_staff_group():
    text = quote("# 点这里 [领取补贴](http://evil.example/x) <b>急</b>\n第二行")
    assert "](" not in text and "http://" not in text and "<b>" not in text and "\n" not in text
    assert not text.startswith("#")


def test_without_a_channel_nothing_is_queued_and_no_thread_runs(tmp_path):
    app = make_app(tmp_path)
    try:
        assert "notify" not in app.extensions
        client = app.test_client()
        ask_for_a_person(app, client)
        assert notices(app) == []
        add_staff(app)
        login(client)
        assert 'id="notice-counts"' not in client.get("/staff/").get_data(as_text=True)
    finally:
        app.extensions["db_engine"].dispose()


def test_the_outbox_migration_follows_0002_and_downgrades(tmp_path):

    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'park.db'}"
    cfg = alembic_config(url)
    script = ScriptDirectory.from_config(cfg).get_revision("0003")
    assert script.down_revision == "0002"
    command.upgrade(cfg, "head")
    engine = create_engine(url)
    assert "notify_outbox" in inspect(engine).get_table_names()
    command.downgrade(cfg, "0002")
    assert "notify_outbox" not in inspect(engine).get_table_names()
    engine.dispose()
