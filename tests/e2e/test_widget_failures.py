"""What the widget does when things go wrong, on a phone (390×844, touch) in real Chromium.

Issue 16: offline showed "抱歉，暂时无法回复：Failed to fetch", a 502 showed
"Bad Gateway", the typed message was gone with no retry, Enter did nothing
while a reply was pending, a 1,100-character paste was cut to 1,000 without a
word, and ratings sat under form prompts. The gateway is the real one with a
scripted dialogue engine (widget_harness.py).
"""

from __future__ import annotations

from pathlib import Path

from .widget_harness import REPLIES, WIDGET, open_widget, reply_count, wait_replies

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
INPUT = "#park-chat-input"
SEND = f"{WIDGET} form button.send"
NOTICE = f"{WIDGET} .msg.notice"
RETRY = f"{WIDGET} .notice .retry"
RAW = ("Failed to fetch", "Bad Gateway", "NetworkError", "TypeError", "network error")


def type_and_send(page, text: str) -> None:
    page.fill(INPUT, text)
    page.locator(SEND).tap()


def retry_in_view(page) -> bool:
    """The retry button lies wholly inside the log's visible area."""
    log, retry = page.locator(f"{WIDGET} .log").bounding_box(), page.locator(RETRY).bounding_box()
    return log["y"] <= retry["y"] and retry["y"] + retry["height"] <= log["y"] + log["height"] + 0.5


def panel_text(page) -> str:
    return page.locator(f"{WIDGET} .panel").inner_text()


def test_offline_then_online_then_retry_delivers_the_message_once(phone, gateway):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    phone.set_offline(True)
    type_and_send(page, "园区在哪里")
    page.wait_for_selector(RETRY)
    assert retry_in_view(page)
    notice = page.locator(NOTICE).last.inner_text()
    assert "网络已断开" in notice and "重试" in notice
    assert not any(raw in panel_text(page) for raw in RAW)
    kept = page.locator(f"{WIDGET} .msg.user").last
    assert "园区在哪里" in kept.inner_text() and "未发送" in kept.inner_text()  # kept, and marked as not sent
    # Still possible to type: the next message waits behind the unsent one, in order.
    type_and_send(page, "有哪些优惠政策")
    assert page.locator(f"{WIDGET} .msg.user").count() == 2
    page.screenshot(path=str(SHOTS / "phone-offline.png"))

    phone.set_offline(False)
    page.wait_for_selector(f"{NOTICE} >> text=网络已恢复")
    before = reply_count(page)
    page.locator(RETRY).tap()
    wait_replies(page, before + 1)
    assert page.locator(NOTICE).count() == 0 and page.locator(f"{WIDGET} .msg.user.unsent").count() == 0
    replies = page.locator(REPLIES)
    assert "园区在哪里" in replies.nth(before).inner_text() and "有哪些优惠政策" in replies.nth(before + 1).inner_text()
    page.wait_for_timeout(500)  # nothing more goes out behind the person's back
    assert gateway["dialogue"].messages() == ["/greet", "园区在哪里", "有哪些优惠政策"]  # each exactly once, in order


def test_a_gateway_error_reads_as_words_and_retry_sends_again(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    for i in range(4):  # a full log, so a notice at its end has to be scrolled to
        before = reply_count(page)
        type_and_send(page, f"园区的第{i + 1}个问题")
        wait_replies(page, before)
    # What nginx says when the gateway is down: 502 with an HTML page.
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=502, content_type="text/html", body="<html><body><h1>502 Bad Gateway</h1></body></html>"
        ),
    )
    type_and_send(page, "园区有产业基金吗")
    page.wait_for_selector(RETRY)
    assert "服务暂时出了问题" in page.locator(NOTICE).last.inner_text()
    assert retry_in_view(page)
    assert not any(raw in panel_text(page) for raw in RAW)
    page.unroute("**/api/chat")
    before = reply_count(page)
    page.locator(RETRY).tap()
    wait_replies(page, before)
    assert "园区有产业基金吗" in page.locator(REPLIES).last.inner_text()
    assert gateway["dialogue"].messages().count("园区有产业基金吗") == 1  # the 502 never reached it


def test_a_slow_reply_says_still_working_and_a_lost_one_times_out_with_retry(phone, gateway):
    page = phone.new_page()
    dialogue = gateway["dialogue"]
    open_widget(page, gateway["url"] + "/test-host?slow=300&timeout=2000")
    dialogue.delays["慢一点的问题"] = 1.0  # slow, but within the timeout
    before = reply_count(page)
    type_and_send(page, "慢一点的问题")
    page.wait_for_selector(f"{WIDGET} .typing-row >> text=仍在处理")
    wait_replies(page, before)
    assert page.locator(f"{WIDGET} .typing-row").count() == 0  # the notice goes with the dots

    dialogue.delays["超时的问题"] = 3.0  # longer than the widget waits
    type_and_send(page, "超时的问题")
    page.wait_for_selector(RETRY, timeout=5000)
    assert "还没有收到回复" in page.locator(NOTICE).last.inner_text()
    dialogue.delays["超时的问题"] = 0
    before = reply_count(page)
    page.locator(RETRY).tap()
    wait_replies(page, before)
    assert "超时的问题" in page.locator(REPLIES).last.inner_text()


def test_messages_typed_while_a_reply_is_pending_go_out_in_order(phone, gateway):
    page = phone.new_page()
    dialogue = gateway["dialogue"]
    open_widget(page, gateway["url"] + "/")
    dialogue.delays["第一问"] = 1.0
    before = reply_count(page)
    for text in ("第一问", "第二问", "第三问"):  # Enter, as on a hardware or on-screen keyboard
        page.fill(INPUT, text)
        page.press(INPUT, "Enter")
    assert [u.inner_text() for u in page.locator(f"{WIDGET} .msg.user").all()] == ["第一问", "第二问", "第三问"]
    assert page.locator(INPUT).input_value() == ""  # each one taken, none dropped
    # A reply button tapped while waiting joins the queue too.
    page.locator(f"{WIDGET} .buttons button", has_text="园区位置").tap()
    wait_replies(page, before + 3)
    assert dialogue.messages() == ["/greet", "第一问", "第二问", "第三问", "/ask_location"]
    answers = [r.inner_text() for r in page.locator(REPLIES).all()[before:]]
    assert [a.split("。")[0] for a in answers] == [
        "回答：第一问",
        "回答：第二问",
        "回答：第三问",
        "回答：/ask_location",
    ]


def test_a_paste_over_the_limit_is_said_not_cut(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    counter = page.locator(f"{WIDGET} .counter")
    assert counter.is_hidden()  # nothing to say for short messages
    long_text = "我们是一家做细胞治疗的企业，" * 78 + "想了解园区。"  # 1,098 characters
    long_text += "谢谢"
    assert len(long_text) == 1100
    phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway["url"])
    page.evaluate("text => navigator.clipboard.writeText(text)", long_text)
    page.locator(INPUT).tap()
    page.keyboard.press("Control+V")
    assert page.locator(INPUT).input_value() == long_text  # all of it, not cut at 1,000
    assert counter.is_visible()
    assert "1100/1000" in counter.inner_text() and "超出 100 字" in counter.inner_text()
    page.screenshot(path=str(SHOTS / "phone-too-long.png"))
    page.locator(SEND).tap()
    page.wait_for_timeout(300)
    assert gateway["dialogue"].messages() == ["/greet"]  # not sent ...
    assert page.locator(INPUT).input_value() == long_text  # ... and not lost

    page.fill(INPUT, long_text[:950])
    assert counter.inner_text() == "950/1000"  # near the limit: the count, nothing more
    page.fill(INPUT, long_text[:1000])
    before = reply_count(page)
    page.locator(SEND).tap()
    wait_replies(page, before)
    assert gateway["dialogue"].messages()[-1] == long_text[:1000] and counter.is_hidden()


def test_ratings_only_under_cited_answers(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    assert page.locator(f"{WIDGET} .rate").count() == 0  # the greeting
    before = reply_count(page)
    page.locator(f"{WIDGET} .buttons button", has_text="我想入驻").tap()  # a form prompt
    wait_replies(page, before)
    type_and_send(page, "明天天气怎么样")  # a scope message
    wait_replies(page, before + 1)
    assert page.locator(f"{WIDGET} .rate").count() == 0
    type_and_send(page, "园区在哪里")  # a cited answer
    wait_replies(page, before + 2)
    assert page.locator(f"{WIDGET} .rate").count() == 1
    assert page.locator(REPLIES).last.locator(".sources a").count() == 1
    page.locator(REPLIES).last.locator(".rate-up").tap()
    page.wait_for_selector(f"{WIDGET} .rate-up[aria-pressed=true]")


def test_documents_offered_with_no_answer_read_as_related_not_as_sources_and_are_not_rated(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    before = reply_count(page)
    type_and_send(page, "CXO企业入驻有什么门槛")
    wait_replies(page, before + 1)
    pointer = page.locator(REPLIES).nth(before).locator(".sources a").inner_text()
    assert pointer.startswith("相关文件：杭州临空生物医药园开园"), pointer
    assert page.locator(f"{WIDGET} .rate").count() == 0  # no answer was given: nothing to rate
    type_and_send(page, "园区在哪里")  # a cited answer is still labelled and rated as one
    wait_replies(page, before + 2)
    assert page.locator(REPLIES).last.locator(".sources a").inner_text().startswith("来源：")
    assert page.locator(f"{WIDGET} .rate").count() == 1


def test_a_source_without_a_date_says_so(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    before = reply_count(page)
    type_and_send(page, "这篇报道是什么日期的")
    wait_replies(page, before)
    source = page.locator(REPLIES).last.locator(".sources a").inner_text()
    assert source.endswith("杭州网，日期不详"), source


def test_english_pages_and_conversations_get_english_words(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/test-host?lang=en")
    assert page.locator(INPUT).get_attribute("placeholder").startswith("Ask a question")
    assert page.locator(SEND).inner_text() == "Send"
    phone.set_offline(True)
    type_and_send(page, "Where is the park?")
    page.wait_for_selector(RETRY)
    assert "You are offline" in page.locator(NOTICE).last.inner_text()
    assert page.locator(RETRY).inner_text() == "Retry"
    phone.set_offline(False)

    # On the Chinese demo page, an English question switches the widget's own words to English.
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    assert page.locator(SEND).inner_text() == "发送"
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error": {"code": "dialogue_unavailable"}}'
        ),
    )
    type_and_send(page, "Which industries does the park focus on?")
    page.wait_for_selector(RETRY)
    assert "Something went wrong on our side" in page.locator(NOTICE).last.inner_text()
    assert page.locator(SEND).inner_text() == "Send"
