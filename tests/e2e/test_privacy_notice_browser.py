"""The widget shows the privacy notice before anything is sent (issue 18 part 1), in real Chromium.

The chat API is held back (routed to fail) so nothing can reach the gateway:
the notice must already be on screen, above the conversation, in the page's
language, with the words of bot/privacy.py.
"""

from __future__ import annotations

from bot.privacy import NOTICE

from .widget_harness import WIDGET, open_widget, reply_count, wait_replies

PRIVACY = f"{WIDGET} .privacy"


def test_the_notice_is_on_screen_before_the_first_message_goes_out(phone, gateway):
    page = phone.new_page()
    requests = []
    page.route("**/api/chat**", lambda route: (requests.append(route.request.url), route.abort()))
    page.goto(gateway["url"] + "/")
    page.locator(f"{WIDGET} .bubble").tap()
    page.wait_for_selector(PRIVACY, state="visible")
    assert page.locator(PRIVACY).inner_text() == NOTICE["zh"]
    notice, log = page.locator(PRIVACY).bounding_box(), page.locator(f"{WIDGET} .log").bounding_box()
    assert notice["y"] + notice["height"] <= log["y"] + 0.5 and notice["height"] < 0.3 * 844
    assert gateway["dialogue"].sent == [] and not any("/api/chat/history" not in r for r in requests[1:])


def test_an_english_page_gets_the_english_notice(phone, gateway):
    page = phone.new_page()
    page.route("**/api/chat**", lambda route: route.abort())
    page.goto(gateway["url"] + "/test-host?lang=en")
    page.locator(f"{WIDGET} .bubble").tap()
    page.wait_for_selector(PRIVACY, state="visible")
    assert page.locator(PRIVACY).inner_text() == NOTICE["en"]


def test_after_the_first_message_the_notice_folds_to_one_line_that_a_tap_unfolds(phone, gateway):
    page = phone.new_page()
    open_widget(page, gateway["url"] + "/test-host?lang=en")
    unfolded = page.locator(PRIVACY).bounding_box()["height"]
    assert unfolded > 100  # five or six lines of English on a phone
    before = reply_count(page)
    page.fill("#park-chat-input", "Where is the park?")
    page.locator(f"{WIDGET} form button.send").tap()
    wait_replies(page, before)
    folded = page.locator(PRIVACY).bounding_box()
    assert 44 <= folded["height"] <= 46, folded  # one line, still a thumb-sized target
    assert page.locator(PRIVACY).inner_text() == NOTICE["en"]  # folded, not cut: the whole text is there
    assert page.locator(PRIVACY).get_attribute("aria-expanded") == "false"
    page.locator(PRIVACY).tap()
    assert page.locator(PRIVACY).bounding_box()["height"] == unfolded
    assert page.locator(PRIVACY).get_attribute("aria-expanded") == "true"
    before = reply_count(page)
    page.fill("#park-chat-input", "And the airport?")
    page.locator(f"{WIDGET} form button.send").tap()
    wait_replies(page, before)
    assert page.locator(PRIVACY).bounding_box()["height"] == unfolded  # opened by hand, it stays open


def test_a_host_page_that_forbids_inline_style_still_gets_the_widgets_look(phone, gateway):
    """/test-host is served with the gateway's strict CSP (style-src 'self', no 'unsafe-inline'), like a park
    site that allows no inline style: the widget's look must not depend on a <style> element."""
    page = phone.new_page()
    response = page.goto(gateway["url"] + "/test-host")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.locator(f"{WIDGET} .bubble").tap()
    page.wait_for_selector(PRIVACY, state="visible")
    panel = page.locator(f"{WIDGET} .panel").bounding_box()
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)  # the phone layout
