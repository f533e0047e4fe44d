"""Ingestion of real files (HTML, PDF, Word, text, Markdown): what is kept, what is
refused and why, and that a failure never leaves anything half-written."""

import os
from pathlib import Path

import pytest

from knowledge.documents import content_hash, load_dir, load_markdown
from knowledge.ingest import MAX_BYTES, ingest, read_document
from knowledge.readers import policy_fields
from knowledge_files import make_docx, make_html, make_pdf

CITE = {"publisher": "杭州临空经济示范区管委会", "published": "2024-05-01", "url": "https://example.org/doc"}
ARTICLE = [
    "为加快生物医药产业发展，临空经济示范区对新落户的生物医药企业给予支持，具体办法由园区管理办公室另行公布。",
    "企业可以向园区管理办公室咨询扶持政策，申请材料包括营业执照和项目计划书。",
]


def test_html_keeps_the_article_and_its_metadata(tmp_path):
    page = make_html(tmp_path / "policy.html", "临空经济示范区发布生物医药扶持政策", ARTICLE)
    doc = read_document(page, {})
    assert doc.title == "临空经济示范区发布生物医药扶持政策"
    assert (doc.publisher, doc.published) == ("杭州网", "2024-05-01")
    assert doc.url == "https://hwyst.hangzhou.com.cn/xwfb/content/2024-05/01/policy.htm"
    assert "对新落户的生物医药企业给予支持" in doc.text and "项目计划书" in doc.text
    for noise in ("杭州网首页", "您所在的位置", "相关阅读", "另一条新闻标题", "85052222", "体育场路218号"):
        assert noise not in doc.text


def test_pdf_text_layer_is_read(tmp_path):
    pdf = make_pdf(
        tmp_path / "notice.pdf",
        ["Lingkong biomedicine park notice.", "Companies moving in may apply for support."],
        title="Park notice",
    )
    doc = read_document(pdf, CITE)
    assert doc.title == "Park notice"
    assert "Companies moving in may apply for support." in doc.text


def test_docx_paragraphs_tables_and_properties_are_read(tmp_path):
    path = make_docx(
        tmp_path / "guide.docx",
        "园区入驻指南",
        ARTICLE,
        [["事项", "说明"], ["专项基金", "不少于2支"]],
        author="杭州临空经济示范区管委会",
    )
    doc = read_document(path, {"url": "https://example.org/guide"})
    assert (doc.title, doc.publisher) == ("园区入驻指南", "杭州临空经济示范区管委会")
    assert doc.text.splitlines()[0] == ARTICLE[0]
    assert "专项基金 | 不少于2支" in doc.text


def test_a_policy_keeps_issuer_number_and_validity(tmp_path):
    path = make_docx(tmp_path / "rent.docx", "房租补贴办法", ["杭临空管〔2024〕12号", *ARTICLE])
    doc = read_document(
        path,
        {
            **CITE,
            "category": "policy",
            "issuer": "杭州临空经济示范区管委会",
            "valid_from": "2024-01-01",
            "valid_until": "2026-12-31",
        },
    )
    assert doc.doc_number == "杭临空管〔2024〕12号"  # found in the text
    assert (doc.issuer, doc.valid_from, doc.valid_until) == ("杭州临空经济示范区管委会", "2024-01-01", "2026-12-31")
    again = load_markdown(Path(_write(tmp_path, doc)))
    assert again.doc_number == doc.doc_number and again.valid_until == "2026-12-31"
    assert policy_fields("杭临空管〔2023〕 5 号\n各部门：") == {"doc_number": "杭临空管〔2023〕5号"}
    # Inside a sentence a 文号 cites another document (issue 15: a Q&A stored with the city policy's number).
    assert policy_fields("见 杭临空管〔2023〕 5 号 文件") == {}


def _write(tmp_path, doc):
    path = tmp_path / f"{doc.doc_id}.md"
    path.write_text(doc.to_markdown(), "utf-8")
    return path


def test_the_seed_page_is_cleaned_when_ingested_as_text(tmp_path):
    seed = Path("tests/fixtures/seed_hwyst_2024-03-12.txt")
    doc = read_document(seed, {"url": "https://hwyst.hangzhou.com.cn/xwfb/content/2024-03/12/content_8700233.htm"})
    assert (doc.publisher, doc.published) == ("杭州网", "2024-03-12")
    assert "85052222" not in doc.text and doc.text.startswith("3月11日")


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d: (d / "empty.txt").write_bytes(b"") and d / "empty.txt" or d / "empty.txt", "empty"),
        (lambda d: make_pdf(d / "scan.pdf", []), "no text layer"),
        (
            lambda d: (d / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf") and d / "broken.pdf",
            "cannot read the PDF",
        ),
        (
            lambda d: (d / "broken.docx").write_bytes(b"PK\x03\x04 not a zip") and d / "broken.docx",
            "cannot read the Word file",
        ),
        (
            lambda d: (d / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1")) and d / "latin1.txt",
            "not UTF-8",
        ),
        (lambda d: (d / "image.png").write_bytes(b"\x89PNG....") and d / "image.png", "unsupported file type"),
        (lambda d: d / "missing.pdf", "no such file"),
        (lambda d: (d / "folder.pdf").mkdir() or d / "folder.pdf", "not a regular file"),
        (
            lambda d: (d / "nometa.txt").write_text("只有一段正文，没有标题和日期。", "utf-8") and d / "nometa.txt",
            "cannot cite it",
        ),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path, make, reason):
    path = make(tmp_path)
    [outcome] = ingest([path], tmp_path / "docs", {})
    assert outcome.status == "refused"
    assert reason in outcome.detail


def test_an_oversized_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as fh:  # sparse: 20 MB + 1 byte on disk costs nothing
        fh.truncate(MAX_BYTES + 1)
    [outcome] = ingest([path], tmp_path / "docs", CITE)
    assert outcome.status == "refused" and "limit is 20 MB" in outcome.detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("正文", "utf-8")
    path.chmod(0)
    [outcome] = ingest([path], tmp_path / "docs", CITE)
    assert outcome.status == "refused" and "permission" in outcome.detail


def test_a_batch_goes_on_past_bad_files_and_skips_duplicates(tmp_path):
    docs = tmp_path / "docs"
    good = make_html(tmp_path / "a.html", "临空经济示范区发布生物医药扶持政策", ARTICLE)
    scan = make_pdf(tmp_path / "scan.pdf", [])
    # The same article saved again with other line breaks and spacing is the same document.
    copy = tmp_path / "a-copy.txt"
    copy.write_text("\n\n".join(ARTICLE).replace("。", "。\n  "), "utf-8")
    word = make_docx(tmp_path / "guide.docx", "园区入驻指南", ["园区位于机场西侧，交通便利。"])
    meta = {"url": "https://example.org/x", "publisher": "杭州临空经济示范区管委会"}
    outcomes = ingest([good, scan, copy, word], docs, meta)
    assert [o.status for o in outcomes] == ["added", "refused", "duplicate", "added"]
    assert outcomes[2].doc_id == outcomes[0].doc_id == "a"
    assert sorted(d.doc_id for d in load_dir(docs)) == ["a", "guide"]
    assert not list(docs.glob(".*"))  # no temporary files left behind
    # Running the same batch again adds nothing.
    assert [o.status for o in ingest([good, word], docs, meta)] == ["duplicate"] * 2


def test_an_id_taken_by_another_document_is_refused(tmp_path):
    docs = tmp_path / "docs"
    first = make_html(tmp_path / "notice.html", "第一份通知", ARTICLE)
    ingest([first], docs, {})
    second = tmp_path / "other" / "notice.html"
    second.parent.mkdir()
    make_html(second, "第二份通知", ["完全不同的内容：园区将举办峰会活动，欢迎企业报名参加，名额有限，先到先得。"])
    [outcome] = ingest([second], docs, {})
    assert outcome.status == "refused" and "already has the id notice" in outcome.detail
    assert load_markdown(docs / "notice.md").title == "第一份通知"  # not overwritten


def test_content_hash_ignores_layout_only():
    assert content_hash("第一句。\n\n第二句。") == content_hash("第一句。 第二句。")
    assert content_hash("第一句。") != content_hash("第二句。")


def test_a_failed_build_leaves_the_live_index_untouched(kb, tmp_path, monkeypatch):
    """Nothing half-written: the staging directory goes, the link still points at the old index."""
    from dataclasses import replace

    from knowledge import index as index_mod

    settings = replace(kb.settings, index_dir=tmp_path / "index")
    index_mod.build(settings, progress=False)
    live = (tmp_path / "index").resolve()

    class Broken:
        dimension = 384

        def encode(self, *a, **k):
            raise RuntimeError("disk full")

    monkeypatch.setattr(index_mod, "encoder_for", lambda name: Broken())
    with pytest.raises(RuntimeError, match="disk full"):
        index_mod.build(settings, force=True, progress=False)
    assert (tmp_path / "index").resolve() == live
    assert (live / "manifest.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_pdf_pages_wrapped_lines_are_joined_into_their_sentences():
    from knowledge.readers import unwrap_lines

    page = (
        "为发挥生物医药产业的引领作用，加快建设生物医药创新高地，健全产\n"
        "业生态体系，经市政府同意，现提出以下意见。\n"
        "（一）主要目标。力争用3年时间，使全市生物医药制造业年度工业总产\n"
        "值实现翻番。\n\n"
        "占地面积：约1.5平方公里\n总面积：约1.5平方公里\n"
        "Companies moving in may apply for\nsupport from the park."
    )
    got = unwrap_lines(page).split("\n")
    assert (
        "为发挥生物医药产业的引领作用，加快建设生物医药创新高地，健全产业生态体系，经市政府同意，现提出以下意见。"
        in got
    )
    assert got[1].startswith("（一）主要目标") and got[1].endswith("工业总产值实现翻番。")  # an item opens a line
    assert "占地面积：约1.5平方公里" in got and "总面积：约1.5平方公里" in got  # short fields stay apart
    assert "Companies moving in may apply for support from the park." in got


def test_a_policy_expires_at_midnight_in_china_not_at_the_servers_midnight():
    """valid_until is a date on the Chinese calendar: at 17:00 UTC on 31 December it is already
    1 January in Hangzhou, so a policy valid until 31 December must no longer be cited."""
    from datetime import datetime, timezone

    from knowledge.documents import Document, policy_today

    evening = datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)
    assert policy_today(evening).isoformat() == "2027-01-01"
    assert policy_today(datetime(2026, 12, 31, 15, 0, tzinfo=timezone.utc)).isoformat() == "2026-12-31"
    doc = Document("p", "t", "p", "2026-01-01", "https://example.org", "policy", "x", valid_until="2026-12-31")
    assert doc.expired(policy_today(evening)) and not doc.expired(policy_today(evening.replace(hour=15)))


def test_a_pdfs_running_header_footer_and_page_numbers_are_dropped_and_a_sentence_cut_by_a_page_rejoined(
    tmp_path,
):
    header = "Lingkong Zone Administrative Committee Document"
    wide = "Companies that move into the park before the end of this year may apply for"
    pdf = make_pdf(
        tmp_path / "policy.pdf",
        [header, "Article 1. The park supports innovative drug makers.", wide, "- 1 -"],
        more_pages=[
            [header, "a rent subsidy for the first three years.", "Article 2. Applications open in May.", "- 2 -"],
            [header, "Article 3. The committee explains these rules.", "Page 3 of 3"],
        ],
        title="Rent subsidy rules",
    )
    text = read_document(pdf, CITE).text
    assert header not in text and "- 1 -" not in text and "Page 3" not in text
    assert f"{wide} a rent subsidy for the first three years." in text.split("\n")
    assert "Article 2. Applications open in May." in text and "Article 3." in text


def test_furniture_is_what_recurs_at_page_edges_not_a_pages_own_last_figure():
    from knowledge.readers import drop_page_furniture

    pages = [
        "杭州市人民政府办公厅文件\n为发挥生物医药产业的引领作用，加快建设\n生物医药创新高地。\n— 1 —",
        "杭州市人民政府办公厅文件\n（一）主要目标。力争用3年时间。\n— 2 —",
        "杭州市人民政府办公厅文件\n附件：申请表\n— 3 —",
    ]
    assert drop_page_furniture(pages) == [
        "为发挥生物医药产业的引领作用，加快建设\n生物医药创新高地。",
        "（一）主要目标。力争用3年时间。",
        "附件：申请表",
    ]
    # one page: its last line "12" may be a table cell and stays; a line naming the page goes
    assert drop_page_furniture(["补贴标准（万元）\n12\n第 1 页 共 1 页"]) == ["补贴标准（万元）\n12"]
    # what differs from page to page stays, and so does a line that recurs away from the edges
    pages = [
        "一、总则\n第一条 适用范围。\n申报材料\n第二条 支持对象。\n第三条 条件。",
        "二、附则\n第九条 解释。\n申报材料\n第十条 施行日期。\n附件",
    ]
    assert drop_page_furniture(pages) == pages
