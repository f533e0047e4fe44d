"""The widget and the staff console in real headless Chromium, against the real stack.

Debian's /usr/bin/chromium (never a downloaded build) talks to the gunicorn
gateway started by the `stack` fixture, with Rasa and the action server
behind it: the answers, the lead form and the lead delivery are the
production ones. The knowledge is a private copy (see conftest.py), so the
staff correction made here is written there, re-indexed by the gateway in
the background and picked up by the running action server, and the
checkout stays clean.

Screenshots go to instance/screenshots/ (not committed): widget.png (the
cited answer, rated down) and dashboard.png (the console after the run).
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest


# No skip when the browser is missing: `make test` installs it (scripts/system-deps),
# and a browser test that quietly does not run would read as green.
pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "instance" / "screenshots"
QUESTION = "园区有产业基金吗"
CORRECTED = "有。临空经济示范区将组建不少于2支生物医药专项基金，欢迎联系招商人员了解申报方式。"
SOURCE_URL = "https://hwyst.hangzhou.com.cn/"
XSS = '<img src=x onerror="window.__xss=1">'
LEAD = {
    "company": "杭州临空浏览器测试生物科技有限公司",
    "name": "王经理",
    "phone": "13812345678",
    "industry": "合成生物(含高端美妆)",
    "need": "需要约2000平方米研发场地",
}
REPLIES = "#park-chat-widget .msg.bot:not(.typing-row)"
REPLY_COUNT = (
    "n => document.querySelector('#park-chat-widget').shadowRoot"
    ".querySelectorAll('.msg.bot:not(.typing-row)').length > n"
)


def exchange(page, act) -> list:
    """Do `act` (type or tap), wait for the bot's replies to that turn; returns them, oldest first."""
    before = page.locator(REPLIES).count()
    act()
    page.wait_for_function(REPLY_COUNT, arg=before, timeout=30_000)
    replies = page.locator(REPLIES)
    return [replies.nth(i) for i in range(before, replies.count())]


def ask(page, text: str) -> list:
    def type_it():
        page.fill("#park-chat-input", text)
        page.press("#park-chat-input", "Enter")

    return exchange(page, type_it)


def button(scope, title: str):
    """Reply buttons titled exactly `title` (同意 must not find 不同意)."""
    return scope.locator(".buttons button").filter(has_text=re.compile(f"^{re.escape(title)}$"))


def tap(page, title: str) -> list:
    """Tap the reply button `title` offered by the latest bot message that has it."""
    return exchange(page, lambda: button(page.locator("#park-chat-widget"), title).last.click())


def text_of(replies) -> str:
    return "\n".join(r.inner_text() for r in replies)


def cited(replies):
    """The one reply that carries a source link."""
    with_links = [r for r in replies if r.locator(".sources a").count()]
    assert len(with_links) == 1, text_of(replies)
    return with_links[0]


def log_in(page, url: str, account) -> None:
    page.goto(url + "/staff/login")
    page.fill("#username", account[0])
    page.fill("#password", account[1])
    page.click("button[type=submit]")
    page.wait_for_selector("nav >> text=概览")


def test_ask_rate_correct_ask_again_and_leave_a_lead(stack, console_admin, browser):
    url = stack["url"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    page.goto(url + "/")
    page.click("#park-chat-widget .bubble")
    page.wait_for_selector(f"{REPLIES} >> text=招商助手")  # Rasa's greeting
    assert (
        page.evaluate("document.querySelector('#park-chat-widget').shadowRoot.activeElement.id") == "park-chat-input"
    )  # focus moves into the panel

    # 1. Ask; the answer cites its source as a link; thumbs down.
    replies = ask(page, QUESTION)
    answer = cited(replies)
    assert "基金" in answer.inner_text()
    link = answer.locator(".sources a").first
    assert link.get_attribute("href").startswith(SOURCE_URL)
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert "杭州网" in link.inner_text()
    original = answer.inner_text()
    assert "了解申报方式" not in original
    answer.locator(".rate-down").click()  # one rating per turn, under its cited answer
    page.wait_for_selector("#park-chat-widget .rate-down[aria-pressed=true]")
    page.screenshot(path=str(SHOTS / "widget.png"))

    # An XSS payload stays text in the widget.
    ask(page, XSS)
    user = page.locator("#park-chat-widget .msg.user").last
    assert user.inner_text() == XSS
    assert page.locator("#park-chat-widget .msg img").count() == 0
    assert page.evaluate("window.__xss") is None

    # 2. The console: the turn is under thumbs-down; correct it.
    console = context.new_page()
    log_in(console, url, console_admin)
    console.goto(url + "/staff/conversations?filter=thumbs_down")
    turns = console.locator("article.turn")
    assert turns.count() == 1
    disliked = turns.first
    assert QUESTION in disliked.locator(".user-text").inner_text()
    assert "基金" in disliked.locator(".reply-text").inner_text()  # the answer Rasa gave, logged
    assert "差评" in disliked.inner_text()
    disliked.locator("text=查看 / 纠正").click()
    console.fill("#answer", CORRECTED)
    assert console.locator("#source").input_value() != ""  # preselected: the cited document
    console.click("text=保存纠正")
    console.wait_for_selector("text=已保存纠正")
    deadline = time.monotonic() + 180
    while "已生效" not in console.locator("section.card").last.inner_text():
        assert "失败" not in console.locator("section.card").last.inner_text(), console.content()
        assert time.monotonic() < deadline, (
            "the re-index did not finish in time:\n" + (stack["logs"] / "gateway.log").read_text()[-3000:]
        )
        time.sleep(1)
        console.reload()
    live_at = time.monotonic()
    docs = Path(stack["env"]["KNOWLEDGE_DATA_DIR"]) / "docs"
    [written] = docs.glob("faq-correction-*.md")  # in the stack's data directory, not in the checkout
    assert CORRECTED in written.read_text("utf-8")
    assert not list((ROOT / "knowledge" / "docs").glob("faq-correction-*.md"))

    console.goto(url + "/staff/conversations")
    xss_turn = console.locator("article.turn", has_text="onerror")
    assert XSS in xss_turn.locator(".user-text").inner_text()
    assert console.locator("article.turn img").count() == 0  # stays text in the console too
    assert console.evaluate("window.__xss") is None

    # 3. Asked again, the action server answers with the correction (its
    # KnowledgeBase looks for a new index every 2 s and reloads by itself).
    time.sleep(max(0.0, live_at + 2.5 - time.monotonic()))
    again = cited(ask(page, QUESTION))
    assert CORRECTED in again.inner_text()
    assert again.locator(".sources a").count() == 1
    assert again.locator(".sources a").get_attribute("href").startswith(SOURCE_URL)

    # 4. The lead form to the end, answered as a person would, through the widget.
    first = text_of(tap(page, "我想入驻"))  # the greeting's button
    assert "公司" in first, first
    assert "称呼" in text_of(ask(page, LEAD["company"]))
    assert "电话" in text_of(ask(page, LEAD["name"]))
    wrong = text_of(ask(page, "12345"))
    assert "11位" in wrong and "电话" in wrong, wrong  # asked again, with the reason
    industry = ask(page, LEAD["phone"])
    assert "产业方向" in text_of(industry)
    assert button(industry[-1], LEAD["industry"]).count() == 1
    assert "需求" in text_of(tap(page, LEAD["industry"]))
    consent = ask(page, LEAD["need"])
    assert "同意" in text_of(consent) and button(consent[-1], "不同意").count() == 1
    assert "已收到" in text_of(tap(page, "同意"))

    # The action server delivered it to the gateway: the Leads page and the CSV.
    deadline = time.monotonic() + 30
    console.goto(url + "/staff/leads?view=list")
    while LEAD["company"] not in console.locator("table.leads").inner_text():
        assert time.monotonic() < deadline, (
            "the lead did not arrive:\n" + (stack["logs"] / "actions.log").read_text()[-3000:]
        )
        time.sleep(1)
        console.reload()
    row = console.locator("table.leads tbody tr", has_text=LEAD["company"])
    assert row.count() == 1
    cells = [c.inner_text().strip() for c in row.locator("td").all()]
    assert cells[2:7] == [LEAD["name"], LEAD["company"], LEAD["phone"], "", LEAD["industry"]], cells
    assert cells[7].startswith(LEAD["need"]), cells  # followed by the link to the conversation
    assert row.locator("select").first.input_value() == "new"
    with console.expect_download() as download:
        console.click("text=导出 CSV")
    assert download.value.suggested_filename.startswith("leads-")
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    every_lead = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    exported = [r for r in every_lead if r["企业"] == LEAD["company"]]
    assert len(exported) == 1  # Chinese headers and status names, for Excel
    assert {k: exported[0][k] for k in ("联系人", "企业", "电话", "行业", "需求", "状态", "渠道")} == {
        "联系人": LEAD["name"],
        "企业": LEAD["company"],
        "电话": LEAD["phone"],
        "行业": LEAD["industry"],
        "需求": LEAD["need"],
        "状态": "新线索",
        "渠道": "web",
    }

    # 5. The dashboard after all this.
    console.goto(url + "/staff/")
    stat = lambda label: console.locator(".totals .stat", has_text=label).locator("b").inner_text()  # noqa: E731
    assert (stat("差评"), stat("已纠正"), stat("新线索（共")) == ("1", "1", str(len(every_lead)))
    assert int(stat("已回答")) >= 2 and console.locator("svg.chart rect").count() > 0
    console.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
    context.close()


def test_the_widget_fits_a_phone_and_works_by_keyboard(stack, browser):
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(stack["url"] + "/")
    page.focus("#park-chat-widget .bubble")
    page.keyboard.press("Enter")
    page.wait_for_selector("#park-chat-input")
    box = page.locator("#park-chat-widget .panel").bounding_box()
    assert box["width"] == 375 and box["height"] >= 600  # full screen on a phone
    page.wait_for_selector(f"{REPLIES} >> text=招商助手")
    page.keyboard.type("园区在哪里")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{REPLIES} >> text=机场西侧", timeout=30_000)
    assert page.locator(f"{REPLIES}", has_text="机场西侧").last.locator(".sources a").count() >= 1
    page.keyboard.press("Escape")
    assert page.locator("#park-chat-widget .panel").is_hidden()
    sender = page.evaluate("localStorage.getItem('park-chat-sender')")
    page.reload()
    assert page.evaluate("localStorage.getItem('park-chat-sender')") == sender  # stable across visits
    context.close()
