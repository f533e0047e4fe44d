"""Curated FAQ: every answer restates its source, is indexed with the source's
citation, wins when it matches confidently, and is answered as written."""

import re

import pytest

from knowledge import KnowledgeBase, Settings
from knowledge.documents import load_dir
from knowledge.faq import load_faq
from knowledge.lexicon_data import load_synonyms
from knowledge.text import normalize, tokenizer_for

SETTINGS = Settings.from_env()
ENTRIES = load_faq(SETTINGS.faq_dir)
DOCS = {d.doc_id: d for d in load_dir(SETTINGS.docs_dir)}
CORE_TOPICS = ("location", "industries", "cxo", "green-channels", "funds", "services", "layout", "goals", "opening")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")


def _source_text(doc) -> str:
    meta = " ".join(str(v) for k, v in doc.meta().items() if k != "doc_id" and v)
    return re.sub(r"[\s、,，]", "", normalize(f"{doc.text} {meta}"))


def _park_terms() -> set[str]:
    """Names and terms of the park lexicon: the words an answer could get wrong."""
    tokenizer = tokenizer_for(SETTINGS.lexicon_dir)
    synonyms = load_synonyms(SETTINGS.lexicon_dir / "synonyms.yml")
    return {t for t in tokenizer.user_words | {canonical for canonical, _ in synonyms} if len(t) >= 2}


def test_core_topics_have_chinese_and_english_entries():
    by_id = {e.faq_id: e for e in ENTRIES}
    for topic in CORE_TOPICS:
        entry = by_id.get(topic)
        assert entry, f"no FAQ entry for {topic}"
        assert entry.questions["zh"] and entry.questions["en"], topic
        assert entry.answer["zh"] and entry.answer["en"], topic


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.faq_id)
def test_answer_restates_its_source(entry):
    """Every figure and every park name or term in an answer appears in the source document."""
    assert entry.source in DOCS, f"{entry.faq_id}: source {entry.source} is not in knowledge/docs"
    source = _source_text(DOCS[entry.source])
    terms = _park_terms()
    tokenizer = tokenizer_for(SETTINGS.lexicon_dir)
    for lang, answer in entry.answer.items():
        if not answer:
            continue
        text = normalize(answer)
        for number in _NUMBER.findall(text):
            assert number in source, f"{entry.faq_id}/{lang}: figure {number} is not in the source"
        for term in terms:
            if term in text:
                assert term in source, f"{entry.faq_id}/{lang}: {term} is not in the source"
        for quoted in _QUOTED.findall(answer):
            if _CJK_RUN.search(quoted):
                assert re.sub(r"[\s、,，]", "", normalize(quoted)) in source, f"{entry.faq_id}/{lang}: “{quoted}”"
        if lang == "en":  # names are given in Chinese, exactly as the source writes them
            for run in _CJK_RUN.findall(text):
                assert run in source, f"{entry.faq_id}/en: {run} is not in the source"
        else:  # long words are names or terms; each must be the source's own
            for word in tokenizer.words(answer):
                if len(word) >= 4 and _CJK_RUN.fullmatch(word):
                    assert word in source, f"{entry.faq_id}/zh: {word} is not in the source"
    assert len(entry.answer["zh"]) <= 200, f"{entry.faq_id}: the Chinese answer is over 200 characters"


def test_entries_are_indexed_with_the_source_citation(kb):
    rows = [r for r in kb.retriever.index.rows if r["category"] == "faq"]
    assert {r["chunk_id"] for r in rows} == {f"faq:{e.faq_id}" for e in ENTRIES}
    for row in rows:
        doc = DOCS[row["doc_id"]]
        assert (row["title"], row["publisher"], row["published"], row["url"]) == (
            doc.title,
            doc.publisher,
            doc.published,
            doc.url,
        )


@pytest.mark.parametrize(
    "question, faq_id",
    [
        ("园区有产业基金吗", "funds"),
        ("审批能不能走绿色通道", "green-channels"),
        ("园区的空间布局是怎样的", "layout"),
    ],
)
def test_a_confident_match_ranks_first_and_is_answered_as_written(kb, question, faq_id):
    entry = next(e for e in ENTRIES if e.faq_id == faq_id)
    answer = kb.ask(question)
    assert not answer.abstained
    assert answer.hits[0].chunk_id == f"faq:{faq_id}"
    assert answer.text == entry.answer["zh"]
    source = DOCS[entry.source]
    assert answer.sources[0].title == source.title and answer.sources[0].url == source.url


def test_english_questions_get_the_english_answer(kb):
    entry = next(e for e in ENTRIES if e.faq_id == "industries")
    answer = kb.ask("Which industries does the park focus on?")
    assert not answer.abstained
    assert answer.text == entry.answer["en"]
    assert answer.sources[0].publisher == "杭州网"


def test_a_faq_entry_without_its_source_is_left_out(tmp_path):
    from knowledge.faq import parse_entries, rows

    [entry] = parse_entries([{"id": "x", "source": "gone", "questions": ["问"], "answer": "答"}], "test")
    assert rows([entry], list(DOCS.values())) == []


# --- a knowledge base with a staff correction and policies -------------------------

STAFF_FAQ = """---
title: 杭州临空生物医药园开园 打造“离世界最近”的生物医药专业产业平台
publisher: 杭州网
published: '2024-03-12'
url: https://hwyst.hangzhou.com.cn/xwfb/content/2024-03/12/content_8700233.htm
category: faq
---

园区的招商热线是多少？
请通过本页面留下联系方式，招商人员会与您联系。
"""

POLICY = """---
title: 临空经济示范区生物医药企业房租补贴办法
publisher: 杭州临空经济示范区管委会
published: '{published}'
url: https://example.org/policy/{doc_id}
category: policy
issuer: 杭州临空经济示范区管委会
doc_number: 杭临空管〔{year}〕{number}号
valid_from: '{valid_from}'
valid_until: '{valid_until}'
---

新落户的生物医药企业可申请实验室房租补贴，补贴标准为每平方米每天{amount}元，期限三年。
"""


@pytest.fixture(scope="module")
def staff_kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("staff")
    docs, faq_dir = root / "docs", root / "faq"
    docs.mkdir()
    faq_dir.mkdir()
    release = next(iter(DOCS.values()))
    (docs / f"{release.doc_id}.md").write_text(release.to_markdown(), "utf-8")
    (docs / "faq-correction-1-abcd1234.md").write_text(STAFF_FAQ, "utf-8")
    (docs / "rent-2019.md").write_text(
        POLICY.format(
            published="2019-01-01",
            doc_id="rent-2019",
            year=2019,
            number=3,
            valid_from="2019-01-01",
            valid_until="2021-12-31",
            amount="0.5",
        ),
        "utf-8",
    )
    (docs / "rent-2024.md").write_text(
        POLICY.format(
            published="2024-01-01",
            doc_id="rent-2024",
            year=2024,
            number=7,
            valid_from="2024-01-01",
            valid_until="2099-12-31",
            amount="1.2",
        ),
        "utf-8",
    )
    (faq_dir / "policy.yml").write_text(
        "- id: old-rent\n  source: rent-2019\n  questions:\n    zh: [房租补贴标准是多少？]\n"
        "  answer:\n    zh: 新落户的生物医药企业可申请实验室房租补贴，补贴标准为每平方米每天0.5元。\n",
        "utf-8",
    )
    settings = Settings(
        docs_dir=docs,
        faq_dir=faq_dir,
        index_dir=root / "index",
        lexicon_dir=SETTINGS.lexicon_dir,
        embedding_model=SETTINGS.embedding_model,
    )
    return KnowledgeBase.build(settings)


def test_a_staff_correction_is_answered_as_written(staff_kb):
    answer = staff_kb.ask("园区招商热线是多少")
    assert not answer.abstained, answer.confidence
    assert answer.hits[0].category == "faq"
    assert answer.text == "请通过本页面留下联系方式，招商人员会与您联系。"
    assert answer.sources[0].publisher == "杭州网"


def test_an_expired_policy_and_its_faq_are_never_cited(staff_kb):
    hits = staff_kb.search("实验室房租补贴标准每平方米每天多少元", top_k=20)
    cited = {h.doc_id for h in hits}
    assert "rent-2019" not in cited
    assert "rent-2024" in cited
    answer = staff_kb.ask("实验室房租补贴标准是多少")
    assert not answer.abstained
    assert "1.2元" in answer.text and "0.5" not in answer.text
    assert answer.sources[0].url.endswith("rent-2024")


def test_a_wen_hao_the_index_carries_names_the_document_and_is_not_asked_about(staff_kb):
    query = staff_kb.retriever.analyze("杭临空管〔2024〕7号的房租补贴标准是多少？")
    terms = [c.term for c in query.terms]
    assert "房租" in terms or "补贴" in terms
    assert not any(t in "杭临空管〔2024〕7号" for t in terms), terms  # neither coverage nor a number to state
    answer = staff_kb.ask("杭临空管〔2024〕7号的房租补贴标准是多少？")
    assert not answer.abstained and "1.2元" in answer.text, answer
    assert answer.sources[0].url.endswith("rent-2024")
    # declined, a question that names the document by its 文号 is pointed to it, whatever else it shares
    declined = staff_kb.ask("杭临空管〔2024〕7号是发给哪些单位的？")
    assert declined.abstained and [s.url for s in declined.see_also] == ["https://example.org/policy/rent-2024"]


def test_policy_metadata_is_kept_in_the_index(staff_kb):
    row = next(r for r in staff_kb.retriever.index.rows if r["doc_id"] == "rent-2024")
    assert row["doc_number"] == "杭临空管〔2024〕7号"
    assert (row["issuer"], row["valid_from"], row["valid_until"]) == (
        "杭州临空经济示范区管委会",
        "2024-01-01",
        "2099-12-31",
    )
