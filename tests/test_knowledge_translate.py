"""English questions over Chinese documents: which English words become concepts, how they are
looked up in CC-CEDICT, and how much of a question a Chinese passage reads back."""

from __future__ import annotations

from knowledge import Settings
from knowledge.decide import features
from knowledge.query import Concept, Query
from knowledge.hits import Hit

from hit_builder import hit
from knowledge.text import tokenizer_for
from knowledge.translate import Translator, base_forms, is_adverb

LEXICON = Settings().lexicon_dir


def test_english_function_words_are_not_what_a_question_is_about():
    """'as' once became a concept (作为) that outweighed 阶段 and ranked another passage first."""
    words = tokenizer_for(LEXICON).content_words("What stage of construction was the district in as of August 2025?")
    assert words == ["stage", "construction", "district", "august", "2025"]
    assert tokenizer_for(LEXICON).content_words("Is there such a subsidy through the park's own fund?") == [
        "subsidy",
        "park",
        "fund",
    ]


def test_an_english_word_in_ly_is_dropped_only_when_it_is_an_adverb(kb):
    """'apply' was dropped as an adverb, and 'How do I apply for the fund?' was answered with the number of
    funds. The dictionary decides: exactly is exact's adverb; app, supp and assemb are no words."""
    assert [is_adverb(w) for w in ("exactly", "currently", "necessarily", "possibly", "specifically")] == [True] * 5
    assert not any(is_adverb(w) for w in ("apply", "supply", "assembly", "family", "italy", "early"))
    assert sorted(c.term for c in kb.retriever.analyze("How exactly do I apply for the fund?").terms) == [
        "apply",
        "fund",
    ]


def test_an_english_word_frames_a_question_only_when_half_its_senses_do(kb):
    """apply's first senses are 申领, 应征, 予以, 投考: one that frames (予以) does not make it a frame, so an
    answer that does not say how to apply covers only part of the question; 'situation' still frames."""
    terms = {c.term: c for c in kb.retriever.analyze("How do I apply for the fund in this situation?").terms}
    assert not terms["apply"].frames and terms["apply"].weight > 0
    assert terms["situation"].frames and terms["situation"].weight == 0
    assert kb.ask("How do I apply for the biomedicine fund?").abstained


def test_a_british_spelling_finds_the_american_headword():
    translator = Translator({"产业化", "动员"})
    assert translator.forms("industrialisation") == ("产业化",)
    assert translator.forms("mobilisation") == ("动员",)
    assert "organize" in base_forms("organising") and "labor" in base_forms("labour")
    assert base_forms("four") == ["four"] and base_forms("enterprise")[0] == "enterprise"  # nothing else lost


def _concept(term: str, weight: float = 1.0, *forms: str) -> Concept:
    return Concept(term=term, forms=(term, *forms), weight=weight, source="english")


def test_a_passage_reads_back_the_words_its_translation_missed():
    """The question's 'meeting' translates to 会议; a passage saying 大会 ("general meeting") still says it."""
    translator = Translator({"大会", "会议", "使命", "机场"})
    meeting, mission, rent = _concept("meeting", 2.0, "会议"), _concept("mission", 1.0, "使命"), _concept("rent")
    assert translator.glossed([meeting, mission], ["大会"], covered=("mission",)) == 1.0
    assert translator.glossed([meeting, mission], ["机场"], covered=("mission",)) == 1 / 3
    assert translator.glossed([meeting, rent], ["大会"]) == 2 / 3  # rent: no word of the passage means it
    assert translator.glossed([_concept("general meeting")], ["大会"]) == 1.0  # every word of a phrase


def _hit(category: str = "", glossed: float = 0.0) -> Hit:
    return hit(
        "杭州以高规格召开临空经济示范区动员大会", "d#0", title="t", category=category, confidence=0.5, glossed=glossed
    )


def test_the_decision_sees_the_read_back_share_of_an_english_question_only():
    concepts = [_concept("meeting", 1.0, "会议")]
    english = Query(question="Which meeting?", text="which meeting?", concepts=concepts, english=True)
    chinese = Query(question="哪个大会", text="哪个大会", concepts=[Concept("大会", ("大会",))], english=False)
    assert features(english, [_hit(glossed=0.8)])["glossed"] == 0.8
    assert features(english, [_hit(category="faq", glossed=0.8)])["glossed"] == 0.0  # matched in its own English
    assert features(chinese, [_hit(glossed=0.8)])["glossed"] == 0.0


def test_an_english_question_is_read_back_from_the_passages_it_retrieves(kb):
    question = "When did the park open?"
    query = kb.retriever.analyze(question)
    hits = kb.retriever.search(question, query=query)
    passages = [h for h in hits if h.category != "faq"]
    shares = [kb.retriever.read_back(query, h) for h in passages]
    assert shares and all(s >= h.confidence * 0.999 for s, h in zip(shares, passages)) and max(shares) > 0
    assert all(kb.retriever.read_back(query, h) == 0.0 for h in hits if h.category == "faq")
    chinese = kb.retriever.analyze("园区什么时候开园")
    assert all(kb.retriever.read_back(chinese, h) == 0.0 for h in hits)  # a Chinese question has bigrams


def test_a_name_english_spells_in_pinyin_finds_the_corpus_word_it_begins():
    """Qingwu and Chengzhou are in no dictionary; the documents write 青梧区 and 橙洲区. Read as pinyin
    against the corpus's own words, a name in a new document is reachable in English without a glossary
    entry. Only a capitalised word the dictionary cannot translate is tried, never one syllable."""
    translator = Translator({"青梧区", "橙洲区", "绿棠区", "江南", "江南科技城", "吴", "青", "五一", "制造"})
    assert translator.spelled("qingwu") == translator.spelled("qingwuqu") == ("青梧区",)
    assert translator.spelled("lutang") == translator.spelled("lvtang") == ("绿棠区",)  # ü written u or v
    assert translator.spelled("jiangnan") == ("江南", "江南科技城")
    assert translator.spelled("wu") == () and translator.spelled("qing") == ()  # never one character
    assert translator.phrases(["chengzhou", "district"], frozenset({"chengzhou"}))[0] == ([0], ("橙洲区",))
    assert translator.phrases(["chengzhou"], frozenset()) == []  # not capitalised: not read as a name
    assert translator.phrases(["make"], frozenset({"make"})) == [([0], ("制造",))]  # the dictionary first


def test_an_english_question_naming_a_district_in_pinyin_is_about_its_chinese_name(kb):
    """The question's capital letter marks the name; lower case leaves an unknown English word."""
    terms = {c.term: c for c in kb.retriever.analyze("Where is Lingkong's Jiangnan science city?").terms}
    named = [c for c in terms.values() if any(f.startswith("江南") for f in c.forms)]
    assert named and named[0].known
    lower = {c.term: c for c in kb.retriever.analyze("where is jiangnan science city?").terms}
    assert not any(f.startswith("江南") for f in lower.get("jiangnan", Concept("jiangnan", ("jiangnan",))).forms)
