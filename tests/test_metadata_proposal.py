"""Metadata read from real-world-shaped documents and proposed to staff, with the passages they become.

Each fixture in tests/fixtures/kbdocs is written in our own words after the
shapes public policy pages take (facts from evaluation/corpus). The .docx and
the PDF are made here (the PDF by Debian's Chromium, like a printed page).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from knowledge_files import make_docx

from knowledge.config import Settings
from knowledge.drafts import make_draft
from knowledge.metadata import propose
from knowledge.scope import places_for
from knowledge.structure import pieces

FIXTURES = Path(__file__).parent / "fixtures" / "kbdocs"
PLACES = places_for(Settings().lexicon_dir)
ABSENT = None  # the field must not be proposed: the text does not state it

# file -> (expected metadata, words that must be in some passage, words no passage may hold)
EXPECTED = {
    "repost-nav-hotline.txt": (
        {
            "title": "杭州市萧山区人民政府关于促进生物医药产业集聚发展的若干意见",
            "issuer": "杭州市萧山区人民政府",
            "doc_number": "萧政发〔2022〕31号",
            "published": "2022-12-28",
            "valid_from": "2023-02-01",
            "valid_until": "2026-01-31",
            "scope": "萧山区",
        },
        ["最高500万元"],
        ["0571-82888888", "首页", "相关阅读", "萧山区召开生物医药产业推进会"],
    ),
    "signature-at-end.txt": (
        {
            "title": "杭州临空经济示范区管理委员会关于印发生物医药标准厂房租赁管理办法的通知",
            "issuer": "杭州临空经济示范区管理委员会",
            "doc_number": ABSENT,
            "published": "2024-04-10",
            "valid_from": "2024-04-10",
            "valid_until": "2026-04-09",
            "scope": "临空经济示范区",
        },
        ["租赁期限一般为三年"],
        [],
    ),
    "traditional-copy.md": (
        {
            "title": "空港经济区六个项目集中签约落户",
            "published": "2023-03-08",
            "issuer": ABSENT,
            "scope": "临空经济示范区",
        },
        ["投資進度已達56.29%"],
        [],
    ),
    "garbled-mirror.txt": (
        {"title": "杭州生物科技谷扩区建设情况", "published": "2023-06-29", "scope": "杭州生物科技谷"},
        ["規模約一千畝"],
        ["(guī)", "(yuē)"],
    ),
    "no-date-page.md": (
        {"title": "张江药谷园区简介", "published": ABSENT, "signed": ABSENT, "scope": "上海张江"},
        ["公共技术服务平台"],
        [],
    ),
    "info-table-joint.md": (
        {
            "title": "浙江省药品监督管理局等7部门关于印发浙江省全面深化药品医疗器械监管改革促进医药产业高质量发展的实施意见的通知",
            "issuer": "浙江省药品监督管理局、浙江省发展和改革委员会、浙江省医疗保障局",
            "signed": "2025-10-22",
            "published": "2025-10-27",
            "doc_number": "浙药监规〔2025〕3号",
            "scope": "浙江省",
        },
        ["审评审批更加高效"],
        [],
    ),
    "district-qa-cites-city.md": (
        {"title": "萧山区生物医药产业政策问答", "doc_number": ABSENT, "published": ABSENT, "scope": "萧山区"},
        ["萧山区经济和信息化局"],
        [],
    ),
    "news-dateline.txt": (
        {"title": "临空生物医药园正式开园", "published": "2024-03-12", "doc_number": ABSENT, "scope": "杭州生物科技谷"},
        ["首批12家企业签约入驻"],
        ["责任编辑"],
    ),
    "chinese-numeral-signature.txt": (
        {
            "issuer": "杭州市经济和信息化局",
            "doc_number": "杭经信〔2024〕5号",
            "signed": "2024-01-08",
            "valid_from": "2024-01-08",
            "valid_until": "2029-01-07",
            "scope": "杭州市",
        },
        ["为规范专项资金管理"],
        [],
    ),
    "amended-old.md": (
        {
            "title": "杭州临空经济示范区生物医药人才公寓管理办法",
            "doc_number": "杭临空管〔2023〕8号",
            "issuer": "杭州临空经济示范区管理委员会",
            "published": "2023-05-06",
        },
        ["市场价的50%"],
        [],
    ),
    "amended-new.md": (
        {
            "title": "杭州临空经济示范区生物医药人才公寓管理办法",
            "doc_number": "杭临空管〔2025〕2号",
            "issuer": "杭州临空经济示范区管理委员会",
            "published": "2025-02-20",
            "valid_from": "2025-03-01",
        },
        ["首年免收"],
        [],
    ),
    "policy-page.html": (
        {
            "title": "萧山区关于支持医疗器械创新发展的实施办法",
            "issuer": "杭州市萧山区人民政府办公室",
            "doc_number": "萧政办发〔2024〕12号",
            "published": "2024-05-20",
            "valid_from": "2024-06-01",
            "scope": "萧山区",
        },
        ["每个产品奖励200万元"],
        ["0571-82899999", "分享到", "相关文章"],
    ),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """The binary fixtures: a policy .docx with a table, a PDF with numbered articles."""
    out = tmp_path_factory.mktemp("kbdocs")
    docx = make_docx(
        out / "萧山区生物医药企业补助标准.docx",
        title="",
        paragraphs=[
            "杭州市萧山区经济和信息化局关于公布2024年生物医药企业补助标准的通知",
            "萧经信〔2024〕17号",
            "各镇街、平台：",
            "现将2024年生物医药企业补助标准公布如下。",
            "本通知自2024年7月1日起施行。",
            "杭州市萧山区经济和信息化局",
            "2024年6月15日",
            "一、补助标准",
        ],
        table=[
            ["项目类别", "补助比例", "最高金额"],
            ["新药临床试验", "30%", "1000万元"],
            ["医疗器械注册", "20%", "200万元"],
        ],
    )
    pdf = out / "入驻评审办法.pdf"
    made = subprocess.run(
        [sys.executable, str(FIXTURES / "make_pdf.py"), str(pdf)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    return {"docx": docx, "pdf": pdf}


def _check(draft, expected: dict, present: list[str], absent_words: list[str]):
    assert not draft.error, draft.error
    for name, value in expected.items():
        if value is ABSENT:
            assert not draft.meta.get(name) and name not in draft.evidence, (name, draft.meta.get(name))
        else:
            assert draft.meta.get(name) == value, (name, draft.meta.get(name))
            assert draft.evidence[name]["evidence"], name  # every proposal says where it was read
    passages = " ".join(p["text"] for p in draft.passages)
    for words in present:
        assert words in passages, words
    for words in absent_words:
        assert words not in passages, words


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_proposes_its_metadata_and_keeps_its_passages(name):
    expected, present, absent_words = EXPECTED[name]
    draft = make_draft(FIXTURES / name, PLACES)
    _check(draft, expected, present, absent_words)


def test_a_repost_dateline_is_reported_but_never_becomes_the_documents_date():
    draft = make_draft(FIXTURES / "repost-nav-hotline.txt", PLACES)
    assert draft.dateline["value"] == "2023-01-05" and "萧山日报" in draft.dateline["how"]
    assert draft.meta["published"] == "2022-12-28" and "2022年12月28日" in draft.evidence["published"]["evidence"]


def test_what_the_text_does_not_state_is_asked_for_never_invented():
    draft = make_draft(FIXTURES / "no-date-page.md", PLACES)
    assert "published" in draft.asks and draft.meta["published"] == ""
    qa = make_draft(FIXTURES / "district-qa-cites-city.md", PLACES)
    # The city policy's 文号 inside a sentence is a citation of another document, not this one's number.
    assert qa.meta["doc_number"] == "" and {"published", "issuer"} <= set(qa.asks)


def test_the_docx_table_keeps_its_column_names_and_the_heading_path(made):
    draft = make_draft(made["docx"], PLACES)
    _check(
        draft,
        {
            "issuer": "杭州市萧山区经济和信息化局",
            "doc_number": "萧经信〔2024〕17号",
            "published": "2024-06-15",
            "valid_from": "2024-07-01",
            "scope": "萧山区",
            "title": "杭州市萧山区经济和信息化局关于公布2024年生物医药企业补助标准的通知",
        },
        ["项目类别：新药临床试验，补助比例：30%，最高金额：1000万元。"],
        [],
    )
    row = next(p for p in pieces(draft.text, draft.meta["title"]) if "医疗器械注册" in p.text)
    assert row.text == "项目类别：医疗器械注册，补助比例：20%，最高金额：200万元。"
    assert row.heading.endswith("一、补助标准")


def test_the_pdf_numbered_articles_and_validity_in_years(made):
    draft = make_draft(made["pdf"], PLACES)
    # The PDF's own properties (about:blank, the day it was printed) are never taken for its title or date.
    _check(
        draft,
        {
            "title": "杭州临空经济示范区企业入驻评审办法",
            "doc_number": "杭临空管〔2024〕3号",
            "issuer": "杭州临空经济示范区管理委员会",
            "published": "2024-02-18",
            "valid_from": "2024-03-01",
            "valid_until": "2027-02-28",
            "scope": "临空经济示范区",
        },
        ["第三条 申请入驻的企业应当提交营业执照"],
        [],
    )


def test_mojibake_is_refused_with_the_reason():
    draft = make_draft(FIXTURES / "garbled-mojibake.txt", PLACES)
    assert "乱码" in draft.error and "garbled" in draft.error and not draft.passages


def test_propose_is_pure_on_text_and_reads_numbered_dates():
    text = "某某办法\n杭州市人民政府\n二〇二二年十月十五日\n本办法自2022年11月1日起施行，有效期至2025年10月31日。"
    proposal = propose(text)
    assert proposal.value("signed") == "2022-10-15" and proposal.value("valid_until") == "2025-10-31"
    assert proposal.value("scope") == ""  # no places given: nothing is assumed


def test_a_signature_date_is_not_taken_for_a_news_dateline():
    from knowledge.readers import read_text

    path = FIXTURES / "signature-at-end.txt"
    text, found = read_text(path, path.read_bytes())
    # Before, the cleaner took 2024年4月10日 for the page's dateline and the issuer's name for the title.
    assert found.get("title") == "杭州临空经济示范区管理委员会关于印发生物医药标准厂房租赁管理办法的通知"
    assert "租赁期限一般为三年" in text


def test_ingestion_removes_glosses_and_refuses_mojibake(tmp_path):
    from knowledge.ingest import ingest

    meta = {"title": "t", "publisher": "p", "published": "2023-06-29", "url": "https://example.org/x"}
    ok, bad = ingest([FIXTURES / "garbled-mirror.txt", FIXTURES / "garbled-mojibake.txt"], tmp_path, meta)
    assert ok.status == "added" and "(guī)" not in (tmp_path / "garbled-mirror.md").read_text("utf-8")
    assert bad.status == "refused" and "乱码" in bad.detail and not (tmp_path / "garbled-mojibake.md").exists()


def test_a_cited_city_number_is_not_taken_as_the_district_qa_number(tmp_path):
    from knowledge.ingest import read_document

    meta = {
        "title": "萧山区生物医药产业政策问答",
        "publisher": "萧山区经信局",
        "published": "2024-01-01",
        "url": "https://example.org/qa",
        "category": "policy",
    }
    doc = read_document(FIXTURES / "district-qa-cites-city.md", meta)
    assert doc.doc_number == ""  # before: 杭政办函〔2022〕59号, the city policy it quotes


def test_a_proposed_manifest_leaves_unknowns_out_so_ingest_asks_for_them(tmp_path, monkeypatch, capsys):
    import yaml

    from knowledge.__main__ import main

    files = [FIXTURES / "repost-nav-hotline.txt", FIXTURES / "no-date-page.md"]
    assert main(["propose", *map(str, files)]) == 0
    out = capsys.readouterr().out
    rows = yaml.safe_load(out)
    assert rows[0]["doc_number"] == "萧政发〔2022〕31号" and rows[0]["published"] == "2022-12-28"
    assert "published" not in rows[1] and "fill in published" in out and "is a repost's" in out
    for row in rows:
        row["url"] = "https://example.org/" + Path(row["path"]).stem
        row["publisher"] = row.get("publisher") or "张江科学城网站"
    (tmp_path / "manifest.yml").write_text(yaml.safe_dump(rows, allow_unicode=True), "utf-8")
    (tmp_path / "docs").mkdir()
    monkeypatch.setenv("KNOWLEDGE_DOCS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", "--manifest", str(tmp_path / "manifest.yml")]) == 1  # one refused
    out = capsys.readouterr().out
    assert "1 added" in out and "does not state its published" in out


CORPUS = Path(__file__).parents[1] / "evaluation" / "corpus" / "docs"


def test_on_the_corpus_pages_no_date_is_invented_and_titles_are_headlines():
    from knowledge.metadata import DATE, fold, parse_date

    for path in sorted(CORPUS.iterdir()):
        draft = make_draft(path, PLACES, "")
        assert not draft.error, path.name
        stated = {parse_date(m) for m in DATE.finditer(fold(path.read_text("utf-8")))}
        for key in ("published", "valid_from"):
            value = draft.meta.get(key)
            assert not value or value in stated or key == "valid_from", (path.name, key, value)
        if not draft.meta.get("published"):
            assert "published" in draft.asks, path.name
        title = draft.meta.get("title", "")
        assert not title or (">" not in title and not title.startswith("·") and not re.match(r"\d{4}-", title)), (
            path.name,
            title,
        )
    shapes = {
        name: make_draft(CORPUS / name, PLACES, "").meta
        for name in (
            "2018-05-21-hangzhou-biomedicine-thousand-billion-plan.txt",
            "2025-09-25-biotech-valley-top30-award.txt",
            "nodate-zhangjiang-yaogu-park-intro.txt",
            "2023-01-29-xiaoshan-modern-industry-system-policy.txt",
        )
    }
    assert (
        shapes["2018-05-21-hangzhou-biomedicine-thousand-billion-plan.txt"]["title"]
        == "杭州拟把生物医药培育成超千亿元规模的产业"
    )
    assert shapes["2025-09-25-biotech-valley-top30-award.txt"]["title"].startswith(
        "“中国生物医药产业最具活力园区TOP30”"
    )
    assert shapes["nodate-zhangjiang-yaogu-park-intro.txt"]["title"] == "上海张江药谷"
    joint = shapes["2023-01-29-xiaoshan-modern-industry-system-policy.txt"]
    assert (joint["issuer"], joint["doc_number"]) == ("中共杭州市萧山区委、杭州市萧山区人民政府", "萧委〔2023〕4号")
    assert joint["published"] == ""  # a bare page date over an official document is shown, not taken
