"""File names, front matter and plain text as staff really upload them.

Every Chinese file name once became `YYYYMMDD-upload` and the second one of a
day was refused; a .md without `category` was refused in English although the
form said 类别; a .txt file's first line was glued into the answer text. And
what staff upload belongs to the instance's data directory, not the git tree.
"""

from __future__ import annotations

import io
import re
import subprocess
import time


from appsupport import csrf_token, rows
from bot.models import IndexJob
from knowledge import Settings
from knowledge.documents import load_markdown
from knowledge.library import load_all, migrate_uploads, untracked_uploads
from knowledge.naming import readable_id, unique_id
from knowledge_files import make_docx

CITE = {"publisher": "杭州临空经济示范区管委会", "published": "2024-05-01", "url": "https://example.org/guide"}


def today() -> str:
    return time.strftime("%Y%m%d")


def named_on(stem: str, days: set[str], rest: str) -> bool:
    """The id is `DAY-rest` for a day the upload may have happened on: a run that crosses midnight between
    two steps (it did in CI) names the file by the later day."""
    day, _, tail = stem.partition("-")
    return day in days and tail == rest


def upload(client, name: str, data: bytes, **meta):
    token = csrf_token(client, "/staff/knowledge")
    return client.post(
        "/staff/knowledge/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **meta},
        content_type="multipart/form-data",
    )


def test_ids_read_as_pinyin_and_never_clash():
    assert readable_id("园区入驻指南", day="20261130") == "20261130-yuan-qu-ru-zhu-zhi-nan"
    assert readable_id("醫療保障 2024（修订）", day="1") == "1-yi-liao-bao-zhang-2024-xiu-ding"
    assert readable_id("！！", "园区通知", day="1") == "1-yuan-qu-tong-zhi"  # no readable name: the title
    assert readable_id("", "", day="1") == "1-upload"
    assert unique_id("a", set()) == "a" and unique_id("a", {"a", "a-2"}) == "a-3"


def test_two_chinese_file_names_on_one_day_are_both_kept_with_readable_ids(app, admin, tmp_path):
    first = make_docx(tmp_path / "a.docx", "园区入驻指南", ["企业入驻园区前，可预约实地考察。"])
    second = make_docx(tmp_path / "b.docx", "园区入驻指南（二）", ["园区提供注册登记的全程代办服务。"])
    days = {today()}
    for path in (first, second):
        response = upload(admin, "入驻指南.docx", path.read_bytes(), **CITE)
        assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    days.add(today())
    staff_docs = tmp_path / "data" / "docs"
    stems = sorted(p.stem for p in staff_docs.glob("*.md"))
    assert len(stems) == 2 and stems[0][:8] == stems[1][:8]  # one day: the second is the day's second
    assert named_on(stems[0], days, "ru-zhu-zhi-nan") and named_on(stems[1], days, "ru-zhu-zhi-nan-2")
    assert list((tmp_path / "docs").iterdir()) == []  # nothing in the shipped folder
    html = admin.get("/staff/knowledge").get_data(as_text=True)
    assert "园区入驻指南（二）" in html and stems[1] in html
    assert [j.kind for j in rows(app, IndexJob)] == ["upload", "upload"]


def test_a_markdown_without_category_takes_the_forms(app, admin, tmp_path):
    md = "---\ntitle: 人才公寓申请\npublisher: 管委会\npublished: 2024-05-01\nurl: https://x/t\n---\n\n园区提供人才公寓。\n"
    days = {today()}
    response = upload(admin, "人才公寓.md", md.encode(), category="policy")
    days.add(today())
    assert response.status_code == 302
    [path] = (tmp_path / "data" / "docs").glob("*.md")
    assert named_on(path.stem, days, "ren-cai-gong-yu")
    assert load_markdown(path).category == "policy"
    refused = upload(admin, "人才公寓2.md", md.replace("人才公寓。", "人才住房。").encode())  # 类别 left on 自动
    message = re.search(r'<p class="flash error" role="alert">(.*?)</p>', refused.get_data(as_text=True), re.S).group(1)
    assert refused.status_code == 400 and "缺少类别" in message and "lacks" not in message.split("（")[0]


def test_a_text_files_first_line_is_its_title_not_answer_text(app, admin, tmp_path):
    text = "园区企业服务指南\n企业入驻园区前，可向园区管理办公室预约实地考察。\n园区对入驻企业提供全程代办服务。\n"
    assert upload(admin, "服务指南.txt", text.encode(), **CITE).status_code == 302
    [path] = (tmp_path / "data" / "docs").glob("*.md")
    doc = load_markdown(path)
    assert doc.title == "园区企业服务指南"
    assert doc.text.startswith("企业入驻园区前") and "服务指南" not in doc.text
    # A first line that is a sentence stays text.
    plain = "企业入驻园区前，可预约实地考察。\n园区提供人才公寓。\n"
    assert upload(admin, "说明.txt", plain.encode(), title="说明", **CITE).status_code == 302
    [other] = [p for p in (tmp_path / "data" / "docs").glob("*.md") if p != path]
    assert load_markdown(other).text.startswith("企业入驻园区前，可预约实地考察。")


SHIPPED = "---\ntitle: 开园\npublisher: 杭州网\npublished: 2024-03-12\nurl: https://x/a\ncategory: release\n---\n\n{}\n"


def test_the_index_reads_shipped_and_staff_documents_and_old_uploads_are_migrated(tmp_path):
    repo = tmp_path / "repo"
    docs = repo / "knowledge" / "docs"
    docs.mkdir(parents=True)
    (docs / "park-opens.md").write_text(SHIPPED.format("园区开园。"), "utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "shipped"], check=True)
    (docs / "20261129-upload.md").write_text(SHIPPED.format("旧的上传。"), "utf-8")  # an upload from before
    settings = Settings(docs_dir=docs, data_dir=tmp_path / "data")
    (settings.staff_docs_dir).mkdir(parents=True)
    (settings.staff_docs_dir / "new-upload.md").write_text(SHIPPED.format("新的上传。"), "utf-8")

    # Before the move, the old upload is still found where it is.
    assert sorted(d.doc_id for d in load_all(settings)) == ["20261129-upload", "new-upload", "park-opens"]
    assert untracked_uploads(settings) == [docs / "20261129-upload.md"]
    moved = migrate_uploads(settings)
    assert moved == [(docs / "20261129-upload.md", settings.staff_docs_dir / "20261129-upload.md")]
    assert sorted(p.name for p in docs.iterdir()) == ["park-opens.md"]  # the git tree holds only what ships
    assert sorted(d.doc_id for d in load_all(settings)) == ["20261129-upload", "new-upload", "park-opens"]
    assert migrate_uploads(settings) == []  # idempotent


def test_the_command_line_ingests_into_the_data_directory_unless_told_shipped(tmp_path, monkeypatch):
    from knowledge.__main__ import main

    monkeypatch.setenv("KNOWLEDGE_DOCS_DIR", str(tmp_path / "shipped"))
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(tmp_path / "data"))
    page = tmp_path / "notice.txt"
    page.write_text("园区通知\n园区对入驻企业提供全程代办服务。\n", "utf-8")
    assert (
        main(["ingest", str(page), "--publisher", "管委会", "--published", "2024-05-01", "--url", "https://x/n"]) == 0
    )
    assert [p.name for p in (tmp_path / "data" / "docs").iterdir()] == ["notice.md"]
    assert not (tmp_path / "shipped").exists() or not list((tmp_path / "shipped").iterdir())
    other = tmp_path / "rule.txt"
    other.write_text("园区规则\n入驻企业须遵守园区管理规定。\n", "utf-8")
    assert (
        main(
            [
                "ingest",
                str(other),
                "--shipped",
                "--publisher",
                "管委会",
                "--published",
                "2024-05-01",
                "--url",
                "https://x/r",
            ]
        )
        == 0
    )
    assert [p.name for p in (tmp_path / "shipped").iterdir()] == ["rule.md"]
    # The same text again, into the other folder: known there, so a duplicate.
    assert (
        main(
            [
                "ingest",
                str(page),
                "--shipped",
                "--publisher",
                "管委会",
                "--published",
                "2024-05-01",
                "--url",
                "https://x/n",
            ]
        )
        == 0
    )
    assert [p.name for p in (tmp_path / "shipped").iterdir()] == ["rule.md"]


def test_a_broken_staff_document_is_explained_in_chinese_in_the_list(app, admin, tmp_path):
    staff_docs = tmp_path / "data" / "docs"
    staff_docs.mkdir(parents=True)
    (staff_docs / "broken.md").write_text("no front matter here\n", "utf-8")
    html = admin.get("/staff/knowledge").get_data(as_text=True)
    assert "broken：文件没有前置元数据" in html


def test_the_form_can_name_the_id_and_a_taken_one_is_refused_in_chinese(app, admin, tmp_path):
    text = "园区通知\n园区对入驻企业提供全程代办服务。\n".encode()
    assert upload(admin, "通知.txt", text, doc_id="park-service-2024", **CITE).status_code == 302
    assert [p.stem for p in (tmp_path / "data" / "docs").glob("*.md")] == ["park-service-2024"]
    again = upload(admin, "另一个.txt", "园区通知\n园区提供人才公寓。\n".encode(), doc_id="park-service-2024", **CITE)
    assert again.status_code == 400 and "已有同名文档 park-service-2024" in again.get_data(as_text=True)
    assert 'name="doc_id" value="park-service-2024"' in again.get_data(as_text=True)  # kept for another try
