"""Knowledge operations in real Chromium: a batch upload with Chinese file names, reviewed and published.

Issue 15's acceptance: staff pick several files at once (Chinese names), see
the metadata proposed from each text and confirm or correct it, preview the
passages each file was cut into, publish, and then a question the new
document answers is answered from it in hit testing (/staff/ask), with its
own date in the citation. The gateway is the production app over HTTP with
a real index build (KNOWLEDGE_REINDEX_SYNC: the rebuild runs in the request
rather than the worker process, so the test needs no second process); no Rasa
is involved.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from appsupport import PASSWORD, add_staff, make_app
from loopback import Loopback

KBDOCS = Path(__file__).resolve().parent.parent / "fixtures" / "kbdocs"
SEED = """---
title: 临空生物医药园正式开园
publisher: 杭州日报
published: 2024-03-12
url: https://example.org/opens
category: release
---

3月12日上午，临空生物医药园举行开园仪式，首批12家企业签约入驻。园区规划面积约1000亩，重点发展创新药和高端医疗器械。
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch-upload")
    (root / "docs").mkdir()
    (root / "docs" / "park-opens.md").write_text(SEED, "utf-8")
    app = make_app(root)  # KNOWLEDGE_REINDEX_SYNC: publishing builds the real index
    add_staff(app, "editor", role="editor")
    with Loopback(app=app) as server:
        yield {"url": server.url, "app": app, "root": root}
    app.extensions["db_engine"].dispose()


def test_batch_upload_review_preview_publish_then_ask(browser, gateway):
    url = gateway["url"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/staff/login")
    page.fill("#username", "editor")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{url}/staff/knowledge")
    page.set_input_files(
        "#files",
        [
            {
                "name": "标准厂房租赁管理办法.txt",
                "mimeType": "text/plain",
                "buffer": (KBDOCS / "signature-at-end.txt").read_bytes(),
            },
            {
                "name": "萧山区生物医药意见（转载）.txt",
                "mimeType": "text/plain",
                "buffer": (KBDOCS / "repost-nav-hotline.txt").read_bytes(),
            },
            {
                "name": "人才公寓管理办法（2025）.md",
                "mimeType": "text/markdown",
                "buffer": (KBDOCS / "amended-new.md").read_bytes(),
            },
        ],
    )
    page.locator("#batch-upload button[type=submit]").click()
    page.wait_for_selector("#review")

    # Both files, by their Chinese names, with what was read from their text and the evidence.
    assert page.locator("#draft-0 h2").inner_text() == "标准厂房租赁管理办法.txt"
    assert page.input_value("#f0-issuer") == "杭州临空经济示范区管理委员会"
    assert page.input_value("#f0-published") == "2024-04-10"
    assert page.input_value("#f0-valid_until") == "2026-04-09"
    assert "有效期两年" in page.locator("#draft-0 .evidence[data-field=valid_until]").inner_text()
    assert page.input_value("#f1-doc_number") == "萧政发〔2022〕31号"
    assert "转载页日期" in page.locator("#draft-1 .dateline").inner_text()
    # The passages each file was cut into, before anything is published.
    passages = page.locator("#draft-0 .passage").all_inner_texts()
    assert any("租赁期限一般为三年" in p for p in passages)
    assert not any("0571-82888888" in p for p in page.locator("#draft-1 .passage").all_inner_texts())

    # Confirm, correct one title, give the links the files do not state, publish.
    page.fill("#f0-title", "生物医药标准厂房租赁管理办法")
    page.fill("#f0-url", "https://example.org/rent")
    page.fill("#f1-url", "https://example.org/xiaoshan")
    assert page.input_value("#f2-doc_number") == "杭临空管〔2025〕2号"
    assert page.input_value("#f2-valid_from") == "2025-03-01"
    page.fill("#f2-url", "https://example.org/apartments")
    page.click("#publish")
    page.wait_for_url(f"{url}/staff/knowledge", timeout=180_000)
    assert "已发布 3 篇文档" in page.content()
    assert page.locator("text=生物医药标准厂房租赁管理办法").count() >= 1

    # The new document answers in hit testing, cited with its own (signature) date.
    page.goto(f"{url}/staff/ask?q={quote('人才公寓租金按市场价的多少收取？')}")
    top = page.locator("table.passages tbody tr").first.inner_text()
    assert "市场价的30%" in top
    answer = page.locator("#ask-answer")
    assert answer.count() == 1 and "30%" in answer.inner_text()
    sources = page.locator("ul.sources").inner_text()
    assert "杭州临空经济示范区生物医药人才公寓管理办法" in sources and "2025-02-20" in sources
    # The rent rules were proposed as valid for two years from 2024-04-10: past that, never cited.
    page.goto(f"{url}/staff/ask?q={quote('标准厂房租赁期限一般是多久？')}")
    assert "租赁期限一般为三年" not in page.locator("table.passages").inner_text()
    context.close()
