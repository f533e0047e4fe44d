"""The widget shows the privacy notice before anything is sent (issue 18 part 1), in real Chromium.

The chat API is held back (routed to fail) so nothing can reach the gateway:
the notice must already be on screen, above the conversation, in the page's
language, with the words of bot/privacy.py.
"""

from __future__ import annotations

from bot.privacy import NOTICE

from .widget_harness import WIDGET

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
