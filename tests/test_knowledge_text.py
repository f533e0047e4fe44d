"""How questions are read: sentences, chunks, homophone typos, question frames, concepts."""

from functools import cache

import pytest

from knowledge import Settings
from knowledge.chunking import MAX_CHARS, MIN_CHARS, chunk_document
from knowledge.documents import Document, load_dir
from knowledge.lexicon_data import speller_for
from knowledge.lexicon_data import synonyms_for
from knowledge.query import analyze
from knowledge.text import normalize, split_sentences, stem, tokenizer_for

SETTINGS = Settings.from_env()


# Built on first use, not at import: every xdist worker imports this module to collect it, and the one that
# runs none of its tests should not pay for jieba's dictionaries.
@cache
def tokenizer():
    return tokenizer_for(SETTINGS.lexicon_dir)


@cache
def synonyms():
    return synonyms_for(SETTINGS.lexicon_dir)


@cache
def speller():
    return speller_for(SETTINGS.lexicon_dir, tokenizer())


def _terms(question):
    return [c.term for c in analyze(question, tokenizer(), synonyms(), speller()).concepts]


def test_a_closing_quote_stays_with_its_sentence():
    assert split_sentences("“园区通达四方。”负责人表示。") == ["“园区通达四方。”", "负责人表示。"]


def test_a_web_address_is_not_cut_at_its_question_mark():
    """网址 http://…/huiqi.htm?site=6 was two sentences, so an answer could cite half the address. A ? ; !
    before a letter, digit or URL sign is inside a link; before Chinese or a space it still ends one."""
    text = "网上申报请登录直报平台（网址 http://a.gov.cn:8771/huiqi.htm?site=6&x=1）。有关事项如下：申报条件?园区;见附件! Yes."
    assert split_sentences(text) == [
        "网上申报请登录直报平台（网址 http://a.gov.cn:8771/huiqi.htm?site=6&x=1）。",
        "有关事项如下：申报条件?",
        "园区;",
        "见附件!",
        "Yes.",
    ]


def test_a_page_flattened_onto_one_line_is_cut_where_its_lines_ended():
    """A policy page copied out of its layout table (dev5's bioeconomy plan) ran attachments, signatures and
    the first paragraph together as one 'sentence', which then answered anything the plan's title matched."""
    flattened = (
        "附件：1. 浙江省生物经济发展行动计划（2019-2022年） 2. 省级有关单位名单 浙江省发展和改革委员会 "
        "浙江省经济和信息化厅 浙江省科学技术厅 2019年11月6日 附件1 浙江省生物经济发展行动计划 （2019-2022年） "
        "为加快发展以生物医药、生物农业、生物基材料等领域为重点的生物经济，推动新旧动能转换，制定本行动计划。"
    )
    parts = split_sentences(flattened)
    assert "浙江省科学技术厅" in parts and parts[-1].startswith("为加快发展")
    assert all(len(p) <= 150 for p in parts)
    # a title or a byline with a space in it is one line, as the page had it
    assert split_sentences("杭州临空生物医药园开园 打造生物医药专业产业平台") == [
        "杭州临空生物医药园开园 打造生物医药专业产业平台"
    ]
    assert split_sentences("（通讯员 唐骁 记者 余敏）园区开工。") == ["（通讯员 唐骁 记者 余敏）园区开工。"]


def test_release_chunks_are_150_to_300_characters_with_one_sentence_overlap():
    doc = load_dir(SETTINGS.docs_dir)[0]
    chunks = chunk_document(doc)
    assert len(chunks) >= 2, "the release is long enough for several chunks, so the overlap is checked"
    # Every chunk fits, the last one too; all but the last (the remainder) are full.
    assert all(len(c.text) <= MAX_CHARS for c in chunks), [len(c.text) for c in chunks]
    assert all(len(c.text) >= MIN_CHARS for c in chunks[:-1]), [len(c.text) for c in chunks]
    assert not any(c.text.startswith("”") for c in chunks)
    assert split_sentences(doc.text)[-1] in chunks[-1].text  # nothing at the end is lost
    for a, b in zip(chunks, chunks[1:]):
        assert split_sentences(a.text)[-1] == split_sentences(b.text)[0]


def test_a_long_document_chunks_within_bounds():
    text = "".join(f"第{i}句话讲园区的一个事实，长度大约二十个字。" for i in range(60))
    doc = Document(doc_id="d", title="t", publisher="p", published="2024-01-01", url="u", category="release", text=text)
    chunks = chunk_document(doc)
    assert len(chunks) >= 4
    assert all(MIN_CHARS <= len(c.text) <= MAX_CHARS for c in chunks[:-1])


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("园区有基斤吗", "基金"),
        ("园去有几个项目", "园区"),
        ("两周六期两社区是啥", "两轴六期两社区"),
        ("进出口有绿色通到吗", "绿色通道"),
        ("生物科技股在哪", "生物科技谷"),
    ],
)
def test_park_terms_typed_as_homophones_are_restored(typed, meant):
    assert meant in speller().correct(normalize(typed))


@pytest.mark.parametrize(
    "typed, meant",
    [("若干举错最终要打造什么集群", "举措"), ("实验室落弟", "落地"), ("研发投入补注最高多少", "补助")],
)
def test_a_word_at_the_dictionarys_floor_is_a_slip_of_a_common_homophone(typed, meant):
    """jieba lists 举错, 落弟 and 补注 at its floor count (3), so they passed for words and were kept."""
    known = speller().with_corpus(frozenset({"举措", "落地", "补助"}))
    assert meant in known.correct(normalize(typed))


def test_real_words_are_not_corrected():
    assert speller().correct("两周内能办下来吗") == "两周内能办下来吗"  # 两周 is a word, not 两轴
    assert "租金" in speller().correct("园区租金多少")  # zu jin is not ji jin


@pytest.mark.parametrize("question", ["健新原力在园区吗", "健新原力入驻了吗", "园区里有健新原力吗"])
def test_a_name_the_dictionary_lacks_is_not_repaired_into_a_park_term(question):
    """健新 + 原力 are two unknown words side by side, a company's name: 原力 sounds like 园里 (a word of
    the park's documents), but a name is not a slip, even when no document names the company."""
    assert "健新原力" in speller().with_corpus(frozenset({"园里"})).correct(question)
    assert "基金" in speller().with_corpus(frozenset({"园里"})).correct("园区有基斤吗")  # a slip among known words


@pytest.mark.parametrize(
    "question, wanted, unwanted",
    [
        ("园区由谁来运营", ["园区"], ["由谁来"]),
        ("你们园区离萧山机场远不远", ["机场"], ["远", "不远"]),
        ("临空生物医药园是哪天开的园", ["临空生物医药园"], ["天开"]),
        ("做医美产品的能不能入驻", ["医美", "入驻"], ["产品", "不能"]),
        ("化妆品原料企业可以来吗", ["化妆品原料"], ["企业"]),
    ],
)
def test_question_frames_are_not_concepts(question, wanted, unwanted):
    terms = _terms(question)
    for term in wanted:
        assert any(term in t for t in terms), (question, terms)
    for term in unwanted:
        assert term not in terms, (question, terms)


def test_synonyms_merge_into_one_concept_and_english_is_singular():
    query = analyze("Where is the park located?", tokenizer(), synonyms(), speller())
    location = [c for c in query.concepts if "位于" in c.forms]
    assert len(location) == 1  # where + located: one thing asked
    assert query.english
    assert stem("companies") == "company" and stem("funds") == "fund" and stem("access") == "access"


@pytest.mark.parametrize(
    "question, kind",
    [
        ("园区什么时候开园", "date"),
        ("When did the park open?", "date"),
        ("园区有几支基金", "number"),
        ("园区租金多少钱一平米", "amount"),
        ("How much funding can we get?", "amount"),
        ("园区在哪里", None),
        ("临空经济示范区有哪几个产业平台", None),
    ],
)
def test_the_answer_type_asked_for(question, kind):
    kinds = [c.kind for c in analyze(question, tokenizer(), synonyms(), speller()).concepts if c.kind != "term"]
    assert kinds == ([kind] if kind else [])


def test_tokenizers_share_jiebas_tag_table_but_keep_their_own_words_tags(tmp_path):
    """One tag table for jieba's dictionary in a process (~35 MB), not one per tokenizer; a lexicon's
    words are tagged by the tokenizer that loaded them, and never leak into the shared table."""
    from jieba import posseg

    from knowledge.text import Tokenizer

    (tmp_path / "jieba").mkdir()
    (tmp_path / "jieba" / "words.txt").write_text("青梧智谷 20 nz\n", "utf-8")
    (tmp_path / "stopwords.txt").write_text("的\n", "utf-8")
    own, other = Tokenizer(tmp_path), Tokenizer(Settings.from_env().lexicon_dir)
    assert ("青梧智谷", "nz") in own.tagged("青梧智谷的补贴")
    assert "青梧智谷" not in posseg.dt.word_tag_tab and ("补贴", "n") in own.tagged("青梧智谷的补贴")
    assert own._pos.word_tag_tab.maps[-1] is posseg.dt.word_tag_tab is other._pos.word_tag_tab.maps[-1]
    assert ("杭州生物科技谷", "nz") in other.tagged("杭州生物科技谷在哪里")
