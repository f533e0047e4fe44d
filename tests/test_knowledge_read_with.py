"""What a passage is read with besides its own sentences: its title (cut to the items it names), and the
clause a run of targets by year starts with."""

from knowledge.text import split_sentences
from knowledge.units import units_of

ROW = {
    "title": "药品加快上市注册程序（突破性治疗药物、附条件批准、优先审评审批、特别审批）对比表",
    "text": "优先审评审批程序，政策支持：（1）药品上市许可申请的审评时限为一百三十日；",
    "scope": "全国",
    "published": "",
}


def test_a_listed_title_lends_a_passage_only_the_items_it_names():
    unit = units_of(ROW, window=0)[0]
    assert unit.has("优先审评审批") and unit.has("药品加快上市注册程序")
    assert not unit.has("突破性治疗药物")  # dev5's trap: the breakthrough procedure's time limit is not given


def test_a_passage_naming_no_item_keeps_the_whole_title():
    unit = units_of({**ROW, "text": "各程序均可与审评中心沟通交流。"}, window=0)[0]
    assert unit.has("突破性治疗药物") and unit.has("特别审批")
    plain = units_of(
        {**ROW, "title": "杭州市关于促进生物医药、医疗器械产业发展的若干意见", "text": "企业可获得补助。"}, 0
    )[0]
    assert plain.has("医疗器械") and plain.has("生物医药")


TARGETS = {
    "title": "成都天府国际生物城规划出炉",
    "text": "生物城总规划面积为44平方公里。预计到2020年全口径总产出达到500亿元；2025年达到1,500亿元；2030年达到3,000亿元；"
    "2035年达到5,000亿元，届时企业总数将超过30,000家。",
    "scope": "成都天府国际生物城",
    "published": "2016-09-08",
}


def test_a_window_inside_a_run_of_targets_is_read_with_the_runs_first_clause():
    units = units_of(TARGETS, window=2)
    late = next(u for u in units if u.sentences[0].startswith("2030年"))
    assert late.has("全口径总产出") and late.has("3,000")  # dev5: 天府国际生物城2030年的总产出目标是多少
    assert late.sentences == ("2030年达到3,000亿元；", "2035年达到5,000亿元，届时企业总数将超过30,000家。")
    first = units_of({**TARGETS, "text": "2025年达到1,500亿元；园区开工。"}, window=2)[0]
    assert not first.has("全口径")  # a window at the start of a passage has no run to read back into
    after_a_full_stop = units_of({**TARGETS, "text": "总产出达到500亿元。2025年园区开工。"}, window=1)[1]
    assert not after_a_full_stop.has("总产出")  # only a clause ending in ； continues


def test_the_answer_cites_the_clause_of_the_year_asked(kb):
    """dev5's 天府生物城2025年的全口径总产出目标是多少 cited the run's first clause (2020's 500亿元): read alone,
    the 2025 clause says less of the question than the clause that names what reaches it."""
    from hit_builder import hit
    from knowledge.answer import extract

    text = "".join(TARGETS["text"].split("。", 1)[1:])  # the run of targets alone
    passage = hit(text, "plan#1", evidence=tuple(split_sentences(text)[:2]))
    _, sources = extract([passage], kb.retriever.analyze("天府生物城2025年的全口径总产出目标是多少？"), max_chars=200)
    assert sources[0].snippet.startswith("2025年达到1,500亿元"), sources[0].snippet
