"""Versions: an amended policy supersedes the old one, which is never cited; history, restore, removal record."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from appsupport import csrf_token, rows

from bot.staff_records import AuditEntry
from knowledge import KnowledgeBase, Settings
from knowledge.documents import Document
from knowledge.ingest import read_document, write_document
from knowledge.library import load_all
from knowledge.metadata import propose
from knowledge.versions import history, restore, same_policy, supersede

KBDOCS = Path(__file__).parent / "fixtures" / "kbdocs"


def policy(name: str, doc_id: str) -> Document:
    """A fixture read the way the console reads it: metadata proposed from its own text."""
    meta = propose((KBDOCS / name).read_text("utf-8")).as_meta()
    meta = {
        **{k: v for k, v in meta.items() if v},
        "publisher": meta["issuer"],
        "category": "policy",
        "url": f"https://example.org/{doc_id}",
        "doc_id": doc_id,
    }
    return read_document(KBDOCS / name, meta)


@pytest.fixture
def settings(tmp_path) -> Settings:
    (tmp_path / "docs").mkdir()
    return replace(
        Settings.from_env(),
        docs_dir=tmp_path / "docs",
        data_dir=tmp_path / "data",
        index_dir=tmp_path / "index",
        faq_dir=tmp_path / "faq",
    )


def test_same_title_and_issuer_or_same_number_are_versions_of_one_policy():
    old, new = policy("amended-old.md", "apt-2023"), policy("amended-new.md", "apt-2025")
    assert old.doc_number != new.doc_number and same_policy(old, new)
    other = policy("signature-at-end.txt", "rent")
    assert not same_policy(old, other)
    renumbered = replace(other, doc_id="rent-copy", title="另一个标题", doc_number=old.doc_number)
    assert same_policy(old, renumbered)  # the same 文号 re-issued under another title


@pytest.mark.slow  # builds a real index twice
def test_the_amended_policy_supersedes_and_the_old_is_never_cited_until_restored(settings):
    old, new = policy("amended-old.md", "apt-2023"), policy("amended-new.md", "apt-2025")
    settings.staff_docs_dir.mkdir(parents=True)
    write_document(old, settings.staff_docs_dir)
    write_document(new, settings.staff_docs_dir)
    assert supersede(settings, new, load_all(settings)) == ["apt-2023"]
    marks = {d.doc_id: d.superseded_by for d in load_all(settings)}
    assert marks == {"apt-2023": "apt-2025", "apt-2025": ""}

    kb = KnowledgeBase.build(settings, index_dir=settings.index_dir)
    cited = {h.doc_id for h in kb.retriever.search("人才公寓租金按市场价的多少收取？", top_k=10)}
    assert cited == {"apt-2025"}  # the 2023 rent (50%) is never a candidate

    assert restore(settings, "apt-2023", load_all(settings)) == ["apt-2025"]
    kb = KnowledgeBase.build(settings, index_dir=settings.index_dir)
    cited = {h.doc_id for h in kb.retriever.search("人才公寓租金按市场价的多少收取？", top_k=10)}
    assert cited == {"apt-2023"}
    assert [(v.doc_id, v.superseded_by) for v in history(settings, "apt-2025", load_all(settings))] == [
        ("apt-2023", ""),
        ("apt-2025", "apt-2023"),
    ]


def test_an_older_version_uploaded_later_is_filed_as_superseded(settings):
    old, new = policy("amended-old.md", "apt-2023"), policy("amended-new.md", "apt-2025")
    settings.staff_docs_dir.mkdir(parents=True)
    write_document(new, settings.staff_docs_dir)
    write_document(old, settings.staff_docs_dir)
    assert supersede(settings, old, load_all(settings)) == ["apt-2023"]
    assert json.loads((settings.data_dir / "versions.json").read_text("utf-8"))["apt-2023"]["by"] == "apt-2025"


# --- the console -------------------------------------------------------------------------------------------


def publish(client, name: str, source: str) -> str:
    token = csrf_token(client, "/staff/knowledge")
    review = client.post(
        "/staff/knowledge/drafts",
        data={"csrf_token": token, "files": [(io.BytesIO((KBDOCS / source).read_bytes()), name)]},
        content_type="multipart/form-data",
    ).headers["Location"]
    html = client.get(review).get_data(as_text=True)
    client.last_review = html
    data = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<input id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', html)
    }
    data.update(
        csrf_token=re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        **{"f0-url": f"https://example.org/{source}", "f0-category": "policy"},
    )
    response = client.post(review + "/publish", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return client.get("/staff/knowledge").get_data(as_text=True)


def test_console_history_restore_and_a_removal_record(app, admin, tmp_path):
    publish(admin, "人才公寓管理办法（2023）.md", "amended-old.md")
    assert "与已有文档是同一政策的不同版本" not in admin.last_review  # nothing to replace yet
    page = publish(admin, "人才公寓管理办法（2025修订）.md", "amended-new.md")
    # Before publishing, the review said which document the new version will replace.
    assert "与已有文档是同一政策的不同版本" in admin.last_review and "2023-05-06" in admin.last_review
    assert "的新版本：旧版本保留在版本历史中，不再被引用" in page
    assert "替代，不再引用" in page
    ids = sorted(p.stem for p in (tmp_path / "data" / "docs").glob("*.md"))
    old_id, new_id = sorted(ids, key=lambda i: "2025" in i)
    assert old_id.endswith("2023") and new_id.endswith("2025-xiu-ding")

    history_page = admin.get(f"/staff/knowledge/{new_id}/history").get_data(as_text=True)
    assert f"已被 {new_id} 替代" in history_page and "现行版本" in history_page
    token = csrf_token(admin, f"/staff/knowledge/{new_id}/history")
    assert admin.post(f"/staff/knowledge/{old_id}/restore", data={"csrf_token": token}).status_code == 302
    versions = json.loads((tmp_path / "data" / "versions.json").read_text("utf-8"))
    assert versions == {new_id: {**versions[new_id], "by": old_id}} and old_id not in versions

    token = csrf_token(admin, "/staff/knowledge")
    assert admin.post(f"/staff/knowledge/{new_id}/remove", data={"csrf_token": token}).status_code == 302
    assert not (tmp_path / "data" / "docs" / f"{new_id}.md").exists()
    archived = list((tmp_path / "data" / "removed").glob(f"{new_id}-*.md"))
    assert len(archived) == 1 and "首年免收" in archived[0].read_text("utf-8")
    entries = {e.action: e for e in rows(app, AuditEntry)}
    removal = entries["remove"]
    assert removal.actor == "boss" and removal.created_at is not None and removal.target == new_id
    assert removal.detail["title"] == "杭州临空经济示范区生物医药人才公寓管理办法"
    assert removal.detail["doc_number"] == "杭临空管〔2025〕2号"
    assert {"supersede", "restore_version", "upload"} <= set(entries)


def test_ingesting_an_amended_policy_from_a_manifest_supersedes_the_old(tmp_path, monkeypatch, capsys):
    from knowledge.__main__ import main

    rows_ = [("amended-old.md", "apt-old", "2023-05-06"), ("amended-new.md", "apt-new", "2025-02-20")]
    (tmp_path / "manifest.yml").write_text(
        "".join(
            f"- path: {KBDOCS / name}\n  title: 杭州临空经济示范区生物医药人才公寓管理办法\n  publisher: 杭州临空经济示范区管理委员会\n"
            f"  issuer: 杭州临空经济示范区管理委员会\n  published: '{day}'\n  url: https://example.org/{doc_id}\n"
            f"  category: policy\n  doc_id: {doc_id}\n"
            for name, doc_id, day in rows_
        ),
        "utf-8",
    )
    (tmp_path / "docs").mkdir()
    monkeypatch.setenv("KNOWLEDGE_DOCS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", "--manifest", str(tmp_path / "manifest.yml")]) == 0
    assert "superseded apt-old: replaced by apt-new" in capsys.readouterr().out
    settings = Settings.from_env()
    assert {d.doc_id: d.superseded_by for d in load_all(settings)} == {"apt-old": "apt-new", "apt-new": ""}
