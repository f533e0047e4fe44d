"""The conversation survives a reload and a page change, and a retried message is delivered once: on a phone
(390×844, touch) in real Chromium, against the real gateway with a scripted dialogue engine (widget_harness.py).

Issue 16: a reload or another page of the park's site showed a fresh greeting; during a handoff, only the
staff's bubble. Issue 18: the widget polled with its sender id in the URL. Now the widget restores from
GET /api/chat/history with the conversation's token (an HttpOnly cookie here, same site).
"""

from __future__ import annotations

from appsupport import rows, staff_reply
from bot import db
from bot.models import Handoff, HandoffMessage, Turn

from .widget_harness import REPLIES, WIDGET, open_widget, reply_count, wait_replies

INPUT = "#park-chat-input"
SEND = f"{WIDGET} form button.send"
RETRY = f"{WIDGET} .notice .retry"
BUBBLES = f"{WIDGET} .log > li.msg:not(.typing-row):not(.notice)"


def send(page, text: str) -> None:
    before = reply_count(page)
    page.fill(INPUT, text)
    page.locator(SEND).tap()
    wait_replies(page, before)


def conversation(page) -> list[tuple[str, str]]:
    """(role, text) of every bubble in the log, top to bottom."""
    found = page.evaluate("""() => Array.from(document.querySelector('#park-chat-widget').shadowRoot
        .querySelectorAll('.log > li.msg:not(.typing-row):not(.notice)')).map(li => [
          li.classList.contains('user') ? 'user' : li.classList.contains('staff') ? 'staff' : 'bot',
          Array.from(li.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim()])""")
    return [tuple(item) for item in found]


def reopen(page) -> None:
    """After a reload the panel is open again (it was open on the page before); wait for the restore."""
    page.wait_for_selector(f"{WIDGET} .panel:not([hidden])")
    page.wait_for_function(
        "() => document.querySelector('#park-chat-widget').shadowRoot"
        ".querySelectorAll('.msg.bot:not(.typing-row)').length > 0"
    )


def test_reload_and_another_page_restore_the_conversation_even_during_a_handoff(phone, gateway):
    app, dialogue = gateway["app"], gateway["dialogue"]
    page = phone.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_widget(page, gateway["url"] + "/test-host")
    page.locator(f"{WIDGET} .buttons button", has_text="园区位置").tap()  # a button: its title is what shows
    wait_replies(page, 1)
    send(page, "园区有产业基金吗")
    before = conversation(page)
    assert [role for role, _ in before] == ["bot", "user", "bot", "user", "bot"]

    page.reload()
    reopen(page)
    page.wait_for_function(
        "n => document.querySelector('#park-chat-widget').shadowRoot.querySelectorAll('.log > li.msg').length >= n",
        arg=len(before),
    )
    assert conversation(page) == before  # the same bubbles, in order, and no second greeting
    answer = page.locator(REPLIES, has_text="园区有产业基金吗").last
    assert answer.locator(".sources a").first.get_attribute("href") == "https://example.org/park"
    assert answer.locator(".rate button").count() == 2  # still rateable, as when first shown
    assert page.locator(REPLIES).first.locator(".rate").count() == 0  # the greeting never was
    assert dialogue.messages() == ["/greet", "/ask_location", "园区有产业基金吗"]  # nothing re-sent on reload

    # A handoff: the person asks for staff, staff answer, the person writes again (the bot stays quiet).
    send(page, "转人工")
    staff_reply(app, "您好，我是招商部小李，请问需要多大面积？")
    page.wait_for_selector(f"{WIDGET} .msg.staff >> text=招商部小李", timeout=10_000)  # by polling
    page.fill(INPUT, "大约1000平米")
    page.locator(SEND).tap()
    page.wait_for_function(
        "() => { const r = document.querySelector('#park-chat-widget').shadowRoot; "
        "return !r.querySelector('.typing-row'); }"
    )
    during = conversation(page)
    assert during[-4][0] == "bot" and during[-4][1] == "好的，正在为您转接招商人员。"
    assert during[-3][0] == "bot" and during[-3][1].startswith("请稍候")  # how long staff usually take
    assert during[-2:] == [("staff", "您好，我是招商部小李，请问需要多大面积？"), ("user", "大约1000平米")]

    # Another page of the same site, then a reload: staff and bot bubbles both come back, in order, with sources.
    page.goto(gateway["url"] + "/test-host?page=policies")
    reopen(page)
    page.wait_for_function(
        "n => document.querySelector('#park-chat-widget').shadowRoot.querySelectorAll('.log > li.msg').length >= n",
        arg=len(during),
    )
    assert conversation(page) == during
    page.reload()
    reopen(page)
    page.wait_for_function(
        "n => document.querySelector('#park-chat-widget').shadowRoot.querySelectorAll('.log > li.msg').length >= n",
        arg=len(during),
    )
    assert conversation(page) == during
    assert page.locator(REPLIES, has_text="园区有产业基金吗").last.locator(".sources li").count() == 1
    staff_label = page.locator(f"{WIDGET} .msg.staff .who").first.inner_text()
    assert staff_label == "招商人员"

    # Still in the handoff after the reload: the next staff reply arrives, once.
    staff_reply(app, "好的，我们明天联系您。")
    page.wait_for_selector(f"{WIDGET} .msg.staff >> text=明天联系您", timeout=10_000)
    page.wait_for_timeout(3500)  # another poll goes by
    assert page.locator(f"{WIDGET} .msg.staff").count() == 2
    # What the gateway says in staff's place (no colleague wrote it) reads as the assistant's, unlabelled.
    with app.app_context():
        session = db.session()
        handoff = session.query(Handoff).filter_by(status="open").order_by(Handoff.id.desc()).first()
        session.add(
            HandoffMessage(handoff_id=handoff.id, author="staff", text="人工服务已结束，您可以继续向智能助手提问。")
        )
        session.commit()
    page.wait_for_selector(f"{REPLIES} >> text=人工服务已结束", timeout=10_000)
    assert page.locator(f"{WIDGET} .msg.staff").count() == 2

    # The conversation id never travelled in a URL; the token is a cookie page scripts cannot read.
    assert not any("sender_id" in url for url in requests)
    assert "park_chat" not in page.evaluate("document.cookie")
    page.context.clear_cookies()  # without the token the conversation is not shown to anyone
    page.reload()
    reopen(page)
    page.wait_for_selector(f"{REPLIES} >> text=招商助手")
    assert page.locator(f"{WIDGET} .msg.staff").count() == 0


def test_offline_online_retry_after_a_lost_answer_delivers_the_message_once(phone, gateway):
    app, dialogue = gateway["app"], gateway["dialogue"]
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    turns_before = len(rows(app, Turn))

    # The message reaches the gateway and is answered, but the phone goes offline before the answer arrives.
    def lost_on_the_way(route):
        route.fetch()  # the gateway answers (and would answer again to a plain resend)
        phone.set_offline(True)
        route.abort("internetdisconnected")

    page.route("**/api/chat", lost_on_the_way, times=1)
    page.fill(INPUT, "园区在哪里")
    page.locator(SEND).tap()
    page.wait_for_selector(RETRY)
    assert "网络已断开" in page.locator(f"{WIDGET} .msg.notice").last.inner_text()

    phone.set_offline(False)
    page.wait_for_selector(f"{WIDGET} .msg.notice >> text=网络已恢复")
    before = reply_count(page)
    page.locator(RETRY).tap()
    wait_replies(page, before)
    page.wait_for_timeout(500)  # nothing more goes out behind the person's back

    assert dialogue.messages().count("园区在哪里") == 1  # Rasa was asked once
    stored = [t.user_text for t in rows(app, Turn)[turns_before:]]
    assert stored == ["园区在哪里"]  # one user turn stored
    assert page.locator(REPLIES, has_text="回答：园区在哪里").count() == 1  # one reply shown
    assert page.locator(f"{WIDGET} .msg.user", has_text="园区在哪里").count() == 1
    assert page.locator(f"{WIDGET} .msg.notice").count() == 0


def test_embedded_on_another_site_the_bearer_token_restores_the_conversation(phone, gateway):
    app = gateway["app"]
    site = gateway["url"]  # http://127.0.0.1:port: the park's site
    api = site.replace("127.0.0.1", "localhost")  # the gateway, another origin: its cookies are third-party
    app.config["CORS_ALLOWED_ORIGINS"] = [site]
    try:
        page = phone.new_page()
        sent = []
        page.on("request", lambda r: sent.append((r.url, r.headers.get("authorization", ""))))
        open_widget(page, f"{site}/test-host?api={api}")
        send(page, "园区在哪里")
        token = page.evaluate("localStorage.getItem('park-chat-token')")
        assert token  # kept by the embedding page, since no cookie of the gateway's reaches it
        before = conversation(page)

        page.reload()
        reopen(page)
        page.wait_for_function(
            "n => document.querySelector('#park-chat-widget').shadowRoot.querySelectorAll('.log > li.msg').length >= n",
            arg=len(before),
        )
        assert conversation(page) == before
        history = [auth for url, auth in sent if url.startswith(f"{api}/api/chat/history")]
        assert history == [f"Bearer {token}"]
        assert not any("sender_id" in url for url, _ in sent)
    finally:
        app.config["CORS_ALLOWED_ORIGINS"] = []
