"""A title that lists what a document compares names the document, not each of its passages."""

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
