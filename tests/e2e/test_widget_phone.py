"""The widget on a phone (390×844, touch) in real Chromium: it can be used with a thumb.

Issue 16: in the full-screen panel the floating bubble sat on 发送, so a tap
closed the chat instead of sending; targets were 28–34 px; on its side the
panel showed one message. The gateway is the real one with a scripted
dialogue engine (widget_harness.py). Screenshots go to instance/screenshots/
(not committed): phone.png, phone-500.png, phone-landscape.png.
"""

from __future__ import annotations

from pathlib import Path

from .widget_harness import REPLIES, WIDGET, box, open_widget, reply_count, wait_replies

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
PANEL = f"{WIDGET} .panel"
INPUT = "#park-chat-input"
SEND = f"{WIDGET} form button.send"


def tap_send(page, text: str) -> None:
    before = reply_count(page)
    page.locator(INPUT).tap()
    page.fill(INPUT, text)
    page.locator(SEND).tap()
    wait_replies(page, before)


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
        and inner["x"] >= outer["x"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
    )


def latest_message_and_input_visible(page, height: int) -> None:
    """The newest message lies wholly inside the log, the log above the input, the input on screen."""
    log, field, send = box(page, f"{WIDGET} .log"), box(page, INPUT), box(page, SEND)
    latest = box(page, f"{WIDGET} .log > li")
    assert inside(latest, log), (latest, log)
    assert log["y"] + log["height"] <= field["y"] + 0.5
    for control in (field, send):
        assert 0 <= control["y"] and control["y"] + control["height"] <= height, (control, height)


def test_tapping_send_sends_and_every_control_is_thumb_sized(phone, gateway):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    panel = box(page, PANEL)
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)  # the whole screen
    # The bubble is out of the way: what sits under 发送's centre is 发送 itself.
    assert page.locator(f"{WIDGET} .bubble").is_hidden()
    send = box(page, SEND)
    on_top = page.evaluate(
        "([x, y]) => document.querySelector('#park-chat-widget').shadowRoot.elementFromPoint(x, y).className",
        [send["x"] + send["width"] / 2, send["y"] + send["height"] / 2],
    )
    assert on_top == "send"

    tap_send(page, "园区在哪里")
    assert page.locator(PANEL).is_visible()  # the tap did not close the chat
    assert page.locator(f"{WIDGET} .msg.user").last.inner_text() == "园区在哪里"
    assert "园区在哪里" in page.locator(REPLIES).last.inner_text()
    assert gateway["dialogue"].messages() == ["/greet", "园区在哪里"]

    # ≥ 44 px: ×, the input, 发送, the reply buttons, 有帮助/没帮助 (WCAG 2.5.5).
    for selector in (f"{WIDGET} header .close", INPUT, SEND, f"{WIDGET} .buttons button", f"{WIDGET} .rate button"):
        for target in page.locator(selector).all():
            size = target.bounding_box()
            assert size["width"] >= 44 and size["height"] >= 44, (selector, size)
    page.screenshot(path=str(SHOTS / "phone.png"))

    page.locator(f"{WIDGET} header .close").tap()
    assert page.locator(PANEL).is_hidden() and page.locator(f"{WIDGET} .bubble").is_visible()


def test_the_latest_message_and_the_input_stay_visible_when_the_screen_shrinks(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    for i in range(6):  # more than fits, so the log scrolls
        tap_send(page, f"第{i + 1}个问题：园区有哪些优惠政策？")
    latest_message_and_input_visible(page, 844)

    # The on-screen keyboard takes the lower part of the screen.
    page.set_viewport_size({"width": 390, "height": 500})
    page.wait_for_timeout(300)
    assert box(page, PANEL)["height"] == 500
    latest_message_and_input_visible(page, 500)
    assert "第6个问题" in page.locator(f"{WIDGET} .log > li").last.inner_text()
    page.screenshot(path=str(SHOTS / "phone-500.png"))

    # On its side: the panel is still the whole screen, not 270 px under a bubble.
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_timeout(300)
    panel = box(page, PANEL)
    assert (panel["width"], panel["height"]) == (844, 390)
    latest_message_and_input_visible(page, 390)
    assert box(page, f"{WIDGET} .log")["height"] >= 200  # room for more than one message
    page.screenshot(path=str(SHOTS / "phone-landscape.png"))


def swipe(context, page, x: float, y_from: float, y_to: float) -> None:
    """A finger drag, as touch events (CDP), from y_from to y_to."""
    cdp = context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y_from}]})
    for step in range(1, 11):
        y = y_from + (y_to - y_from) * step / 10
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(400)


def test_scrolling_the_log_does_not_scroll_the_page_behind(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/")
    for i in range(5):
        tap_send(page, f"问题{i + 1}")
    log_top = "document.querySelector('#park-chat-widget').shadowRoot.querySelector('.log').scrollTop"
    assert page.evaluate("document.documentElement.scrollHeight") > 844  # the page itself could scroll
    log = box(page, f"{WIDGET} .log")
    x, middle = log["x"] + log["width"] / 2, log["y"] + log["height"] / 2

    swipe(phone, page, x, middle - 150, middle + 150)  # the log scrolls back ...
    assert (
        page.evaluate(log_top)
        < page.evaluate("document.querySelector('#park-chat-widget').shadowRoot.querySelector('.log').scrollHeight")
        - log["height"]
    )
    swipe(phone, page, x, middle + 250, middle - 250)  # ... and forward, well past its end
    swipe(phone, page, x, middle + 250, middle - 250)
    assert page.evaluate("window.scrollY") == 0  # the page behind did not move

    # The same swipes without overscroll-behavior: contain do move the page, so the check above means something.
    page.evaluate(
        "document.querySelector('#park-chat-widget').shadowRoot.querySelector('.log').style.overscrollBehavior = 'auto'"
    )
    swipe(phone, page, x, middle + 250, middle - 250)
    assert page.evaluate("window.scrollY") > 0
