"""Uploading PDF and Word documents in the console, and refusals that lose nothing.

The files are real ones made on the fly (tests/knowledge_files.py): a PDF
with a text layer, one without (like a scan), a Word document with a table,
and broken files with the right extension.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from appsupport import add_staff, csrf_token, login, make_app, rows
from bot.models import IndexJob
from knowledge.documents import load_markdown
from knowledge_files import make_docx, make_pdf
from test_console_pages import SOURCE_MD as SEED  # the release as staff would cite it

ROOT = Path(__file__).resolve().parent.parent
CITE = {"publisher": "杭州临空经济示范区管委会", "published": "2024-05-01", "url": "https://example.org/notice"}
GUIDE = [
    "企业入驻园区前，可向园区管理办公室预约实地考察，考察后提交入驻申请表和项目计划书。",
    "园区对入驻企业提供注册登记、项目申报和人才招聘的全程代办服务。",
]


@pytest.fixture
def admin(app, client, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "park-opens.md").write_text(SEED, "utf-8")
    app.extensions["knowledge_builder"] = lambda settings: app.extensions.setdefault("built", []).append(1)
    add_staff(app, "boss", role="admin")
    assert login(client, "boss").status_code == 302
    return client


def upload(client, path: Path, **meta):
    token = csrf_token(client, "/staff/knowledge")
    return client.post(
        "/staff/knowledge/upload",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(path.read_bytes()), path.name),
            **meta,
        },
        content_type="multipart/form-data",
    )


def snapshot(root: Path) -> dict:
    """Every file under the shipped and the data folders."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parts[len(root.parts)] in ("docs", "data")
    }


def test_the_form_offers_pdf_and_word(admin):
    html = admin.get("/staff/knowledge").get_data(as_text=True)
    accept = re.search(r'<input id="file"[^>]*accept="([^"]+)"', html).group(1)
    assert set(accept.split(",")) == {".md", ".txt", ".html", ".htm", ".pdf", ".docx"}
    assert "PDF" in html and "Word" in html


def test_a_pdf_becomes_a_cited_document_and_is_indexed(app, admin, tmp_path):
    pdf = make_pdf(
        tmp_path / "notice.pdf",
        ["Lingkong biomedicine park notice.", "Companies moving in may apply for support."],
        title="Park notice",
    )
    response = upload(admin, pdf, **CITE)
    assert response.status_code == 302
    [path] = (tmp_path / "data" / "docs").glob("*notice*.md")
    doc = load_markdown(path)
    assert doc.title == "Park notice"  # from the PDF's own metadata
    assert (doc.publisher, doc.published, doc.url) == (CITE["publisher"], CITE["published"], CITE["url"])
    assert "Companies moving in may apply for support." in doc.text
    assert "已加入文档" in admin.get("/staff/knowledge").get_data(as_text=True)
    [job] = rows(app, IndexJob)
    assert (job.kind, job.status) == ("upload", "done") and app.extensions["built"] == [1]


def test_a_word_document_keeps_its_paragraphs_table_and_properties(app, admin, tmp_path):
    word = make_docx(
        tmp_path / "guide.docx",
        "园区入驻指南",
        GUIDE,
        [["事项", "说明"], ["代办服务", "全程免费"]],
        author="杭州临空经济示范区管委会",
    )
    response = upload(admin, word, url="https://example.org/guide", category="release")
    assert response.status_code == 302
    [path] = (tmp_path / "data" / "docs").glob("*guide*.md")
    doc = load_markdown(path)
    assert (doc.title, doc.publisher, doc.published) == ("园区入驻指南", "杭州临空经济示范区管委会", "2024-05-01")
    assert doc.url == "https://example.org/guide"
    assert GUIDE[0] in doc.text and "代办服务 | 全程免费" in doc.text
    html = admin.get("/staff/knowledge").get_data(as_text=True)
    assert "园区入驻指南" in html  # listed with the other documents
    assert [j.kind for j in rows(app, IndexJob)] == ["upload"]


def broken_pdf(d: Path) -> Path:
    path = d / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nthis file was cut short")
    return path


def truncated_docx(d: Path) -> Path:
    whole = make_docx(d / "whole.docx", "园区入驻指南", GUIDE).read_bytes()
    path = d / "truncated.docx"
    path.write_bytes(whole[: len(whole) // 2])  # a download that stopped half-way
    return path


def not_a_docx(d: Path) -> Path:
    path = d / "renamed.docx"
    path.write_bytes("这其实是一个文本文件".encode())
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (broken_pdf, "无法读取这个 PDF"),
        (lambda d: make_pdf(d / "scan.pdf", []), "没有文字层"),
        (truncated_docx, "无法读取这个"),
        (not_a_docx, "无法读取这个"),
    ],
)
def test_an_unusable_file_is_refused_with_a_clear_error_and_nothing_is_lost(app, admin, tmp_path, make, message):
    before = snapshot(tmp_path)
    typed = {"title": "临空园区通知", "publisher": "管委会", "published": "2024-05-01", "category": "policy"}
    path = make(tmp_path)
    response = upload(admin, path, **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    flashed = re.search(r'<p class="flash error" role="alert">(.*?)</p>', html, re.S)
    assert flashed and message in flashed.group(1) and path.name in flashed.group(1), html
    assert snapshot(tmp_path) == before  # no new, changed or half-written document
    assert rows(app, IndexJob) == [] and "built" not in app.extensions  # no re-index
    # What was typed is still in the form, for another try with a good file.
    assert 'name="title" value="临空园区通知"' in html and 'name="publisher" value="管委会"' in html
    assert 'type="date" value="2024-05-01"' in html and "<option selected>policy</option>" in html
    assert '<meta http-equiv="refresh"' not in html
    assert "park-opens" in admin.get("/staff/knowledge").get_data(as_text=True)


def test_a_pdf_without_a_citation_names_the_missing_fields(admin, tmp_path):
    pdf = make_pdf(tmp_path / "untitled.pdf", ["Lingkong park notice without a title."])
    html = upload(admin, pdf, publisher="管委会").get_data(as_text=True)
    flashed = re.search(r'<p class="flash error" role="alert">(.*?)</p>', html, re.S).group(1)
    assert "无法注明出处" in flashed and "没有标题、发布日期、原文链接，请在表单中填写" in flashed


@pytest.mark.parametrize(
    "name, message", [("old.doc", "另存为 .docx"), ("tool.exe", "只支持"), ("notes.xlsx", "只支持")]
)
def test_other_file_types_are_refused(app, admin, tmp_path, name, message):
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0 binary")
    response = upload(admin, path, **CITE)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert rows(app, IndexJob) == []


def test_an_upload_over_the_size_limit_is_a_page_not_a_bare_413(tmp_path):
    app = make_app(tmp_path, MAX_UPLOAD_BYTES=1024 * 1024, MAX_CONTENT_LENGTH=4096)
    (tmp_path / "docs").mkdir()
    client = app.test_client()
    add_staff(app, "boss", role="admin")
    login(client, "boss")
    big = make_pdf(tmp_path / "big.pdf", ["x" * 80] * 100)
    response = upload(client, big, **CITE)
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)
    assert list((tmp_path / "docs").iterdir()) == []
    app.extensions["db_engine"].dispose()


def test_staff_cannot_upload(app, client, tmp_path):
    (tmp_path / "docs").mkdir()
    add_staff(app, "li", role="staff")
    login(client, "li")
    pdf = make_pdf(tmp_path / "notice.pdf", ["Lingkong biomedicine park notice."], title="Park notice")
    assert upload(client, pdf, **CITE).status_code == 403
    assert list((tmp_path / "docs").iterdir()) == []


@pytest.mark.slow  # builds a real index
def test_an_uploaded_word_document_is_answered_from_after_the_real_reindex(tmp_path):
    """The whole way: upload, the real background build, then hit testing cites the Word document."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "knowledge" / "docs", docs)
    app = make_app(tmp_path, KNOWLEDGE_FAQ_DIR=tmp_path / "faq")  # no curated FAQ: the document must answer
    (tmp_path / "faq").mkdir()
    client = app.test_client()
    add_staff(app, "boss", role="admin")
    login(client, "boss")
    word = make_docx(tmp_path / "service.docx", "园区企业代办服务指南", GUIDE, author="杭州临空经济示范区管委会")
    assert upload(client, word, url="https://example.org/service-guide").status_code == 302
    [job] = rows(app, IndexJob)
    assert job.status == "done", job.message
    # Asked as specifically as the guide words it; the vaguer 园区提供哪些代办服务？ ranks the same
    # passage first but the learned decision declines it (0.60 < 0.79): see the note of 2026-11-29.
    html = client.get("/staff/ask", query_string={"q": "园区对入驻企业提供哪些全程代办服务？"}).get_data(as_text=True)
    answer = re.search(r'<p class="a" id="ask-answer">(.*?)</p>\s*<ul class="sources"><li>(.*?)</li>', html, re.S)
    assert answer, re.sub(r"\s+", " ", html)[-3000:]
    assert answer.group(1) == GUIDE[1]
    assert answer.group(2) == "来源：园区企业代办服务指南，杭州临空经济示范区管委会，2024-05-01"
    app.extensions["db_engine"].dispose()


@pytest.mark.slow  # builds a real index
def test_batch_hit_testing_lists_answered_and_declined_questions(tmp_path):
    """A pasted list and an uploaded file: one row per question, answered or declined, with its passage."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "knowledge" / "docs", docs)
    app = make_app(tmp_path)
    client = app.test_client()
    add_staff(app, "li", role="staff")
    login(client, "li")
    from bot.knowledge_access import settings
    from knowledge import KnowledgeBase

    KnowledgeBase.build(settings(app), progress=False)
    token = csrf_token(client, "/staff/ask")
    pasted = "园区在哪里？\n\n# a comment\n园区食堂一顿饭多少钱？\n"
    html = client.post("/staff/ask", data={"csrf_token": token, "questions": pasted}).get_data(as_text=True)
    assert "共 2 个问题：回答 1 个，不回答 1 个" in html, re.sub(r"\s+", " ", html)[-2000:]
    assert "机场西侧" in html and "不回答" in html
    pointed = client.post("/staff/ask", data={"csrf_token": token, "questions": "生物医药专项基金怎么申请"})
    assert "可供参考：杭州临空生物医药园开园" in pointed.get_data(as_text=True)  # what the declined tenant is shown
    upload = {"csrf_token": token, "file": (io.BytesIO("园区在哪里？\nWhere is the park?\n".encode()), "q.txt")}
    html = client.post("/staff/ask", data=upload, content_type="multipart/form-data").get_data(as_text=True)
    assert "共 2 个问题：回答 2 个" in html
    bad = {"csrf_token": token, "file": (io.BytesIO("园区".encode("gbk")), "q.txt")}
    response = client.post("/staff/ask", data=bad, content_type="multipart/form-data")
    assert response.status_code == 400 and "不是 UTF-8" in response.get_data(as_text=True)
    empty = client.post("/staff/ask", data={"csrf_token": token, "questions": "  \n"})
    assert empty.status_code == 400 and "没有问题" in empty.get_data(as_text=True)
    app.extensions["db_engine"].dispose()
