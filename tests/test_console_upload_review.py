"""The console's batch upload: several files read into drafts, reviewed, corrected and published.

What is proposed comes from each file's text (knowledge/metadata.py); what the
text does not state must be supplied before the file goes live; one bad file
never stops the others.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from appsupport import add_staff, csrf_token, login, rows

from bot.staff_records import AuditEntry
from knowledge.documents import load_markdown

KBDOCS = Path(__file__).parent / "fixtures" / "kbdocs"
FILES = {
    "萧山区生物医药意见（转载）.txt": "repost-nav-hotline.txt",
    "标准厂房租赁管理办法.txt": "signature-at-end.txt",
    "张江药谷简介.md": "no-date-page.md",
    "乱码镜像.txt": "garbled-mojibake.txt",
}


def upload_batch(client):
    token = csrf_token(client, "/staff/knowledge")
    files = [(io.BytesIO((KBDOCS / src).read_bytes()), name) for name, src in FILES.items()]
    return client.post(
        "/staff/knowledge/drafts", data={"csrf_token": token, "files": files}, content_type="multipart/form-data"
    )


def form_of(html: str) -> dict:
    """The review form's fields as a browser would send them unchanged."""
    data = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<input id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', html)
    }
    data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    for m in re.finditer(r'<select id="[^"]+" name="([^"]+)">.*?<option value="(\w+)" selected', html):
        data[m.group(1)] = m.group(2)
    return data


def test_a_batch_is_proposed_reviewed_and_published_one_bad_file_aside(app, admin, tmp_path):
    response = upload_batch(admin)
    assert response.status_code == 302
    review_url = response.headers["Location"]
    html = admin.get(review_url).get_data(as_text=True)
    # Proposed from the text, with the words it was read from.
    assert 'value="杭州市萧山区人民政府关于促进生物医药产业集聚发展的若干意见"' in html
    assert 'value="萧政发〔2022〕31号"' in html and 'value="2022-12-28"' in html
    assert "转载页日期（萧山日报），不是原文日期" in html  # the repost's date, shown and not used
    assert "依据（以成文日期为发布日期）" in html and "依据（文号行）" in html
    assert "最高500万元" in html and "0571-82888888" not in html  # the preview; the repost's hotline is gone
    assert "正文中没有写明：发布日期" in html  # the page without a date asks for it
    assert "乱码" in html  # the broken file is refused with the reason
    data = form_of(html)
    for n in range(3):
        data[f"f{n}-url"] = f"https://example.org/{n}"
    data["f0-title"] = "萧山区促进生物医药产业集聚发展的若干意见"  # a correction by staff

    refused = admin.post(review_url + "/publish", data=data)
    # The page without a date is held back (not given a placeholder); the other two go live.
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "原文没有写明发布日期" in text
    docs = {p.stem: load_markdown(p) for p in (tmp_path / "data" / "docs").glob("*.md")}
    assert len(docs) == 2
    repost = next(d for d in docs.values() if d.doc_number == "萧政发〔2022〕31号")
    assert (repost.title, repost.published, repost.valid_until, repost.scope) == (
        "萧山区促进生物医药产业集聚发展的若干意见",
        "2022-12-28",
        "2026-01-31",
        "萧山区",
    )
    assert repost.issuer == repost.publisher == "杭州市萧山区人民政府"
    assert "0571-82888888" not in repost.text and "最高500万元" in repost.text
    assert all(re.match(r"^\d{8}-[a-z0-9-]+$", d) for d in docs)  # Chinese names as readable pinyin ids

    # Said the page has no date: it goes live with its date unknown, never a placeholder.
    data2 = form_of(text)
    data2["f2-url"] = "https://example.org/2"
    data2["f2-no-date"] = "1"
    data2["f2-publisher"] = "张江科学城网站"
    data2["f2-scope"] = "上海张江"
    assert admin.post(review_url + "/publish", data=data2).status_code == 302
    nodate = [load_markdown(p) for p in (tmp_path / "data" / "docs").glob("*.md") if "zhang" in p.stem]
    assert len(nodate) == 1 and nodate[0].published == "" and nodate[0].scope == "上海张江"
    assert not (tmp_path / "data" / "staging").exists() or not any((tmp_path / "data" / "staging").iterdir())
    uploads = [e for e in rows(app, AuditEntry) if e.action == "upload"]
    assert len(uploads) == 3 and all(e.actor == "boss" for e in uploads)


def test_a_viewer_cannot_upload(app, client, tmp_path):
    (tmp_path / "docs").mkdir()
    add_staff(app, "reader", role="viewer")
    login(client, "reader")
    token = csrf_token(client, "/staff/knowledge")
    assert client.post("/staff/knowledge/drafts", data={"csrf_token": token}).status_code == 403
