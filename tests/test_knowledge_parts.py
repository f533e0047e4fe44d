"""The parts the answer engine is made of, each on its own: scope, thesaurus,
dictionary translation, document structure, manifests and the speller."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from knowledge import Settings
from knowledge import safe_yaml
from knowledge.answer import chinese_punctuation
from knowledge.answer_types import asked, states
from knowledge.documents import DocumentError, parse_markdown
from knowledge.ingest import ingest_manifest, load_manifest
from knowledge.scope import places_for
from knowledge.structure import headings_along, join, pieces
from knowledge.text import split_sentences
from knowledge.thesaurus import thesaurus_for
from knowledge.units import make_unit, units_of

from hit_builder import hit as make_hit
from knowledge.translate import Translator, base_forms

LEXICON = Settings().lexicon_dir


def test_a_question_about_the_park_allows_the_places_it_lies_in_and_no_other():
    places = places_for(LEXICON)
    park = places.asked("园区的产业基金有多大")
    assert park.named == () and {"杭州生物科技谷", "萧山区", "杭州市", "浙江省", "全国"} <= park.allowed
    assert "钱塘区" not in park.allowed
    qiantang = places.asked("钱塘区的产业基金有多大")
    assert qiantang.named == ("钱塘区",) and "钱塘区" in qiantang.allowed and "杭州生物科技谷" not in qiantang.allowed
    assert "杭州生物科技谷" in places.asked("杭州生物科技谷和医药港比哪个好").allowed  # a comparison allows both
    assert places.asked("What about Suzhou BioBAY?").named == ("苏州工业园区",)
    assert places.propose("关于支持钱塘区生物医药的若干意见", "钱塘区人民政府", "……") == "钱塘区"
    assert places.propose("园区开园", "", "杭州生物科技谷位于临空经济示范区") == "杭州生物科技谷"


def test_a_district_question_is_answered_from_its_citys_document_only_in_sentences_naming_it(kb):
    from knowledge.decide import Cited, answer_gate

    places = places_for(LEXICON)
    asked = "2022年滨江生命健康产业营收是多少？"
    city = "到2022年，杭州生物医药主营业务收入达到1000亿元以上。"
    assert places.unsaid(asked, "杭州市", city) == ["滨江区"]
    assert places.unsaid(asked, "杭州市", "高新区（滨江）生命健康产业营收突破400亿元。") == []
    assert places.unsaid(asked, "滨江区", city) == []  # 滨江's own document speaks for 滨江
    # another place's alias counts (医药港 is 钱塘区), and a place that is no district of the city is
    # the scope rule's business, not this one's
    port = "2018年杭州医药港的产业规模有多大？"
    assert places.unsaid(port, "杭州市", "杭州醫藥港入駐企業超過300家，產業規模達到250億元。") == []
    assert places.unsaid("苏州BioBAY有多少家企业", "钱塘区", city) == []
    # the places the park lies in too: the province's revenue is not 杭州市's, the city's award not 萧山区's
    province = "2024年，浙江省生物医药产业实现营业收入3127.9亿元。"
    assert places.unsaid("2024年杭州市生物医药产业营业收入是多少？", "浙江省", province) == ["杭州市"]
    assert places.unsaid("萧山区对仿制药奖励多少？", "杭州市", "每个品种奖励100万元。") == ["萧山区"]
    # but not the park itself: 园区 says who asks, and national and provincial policies apply to it
    assert places.unsaid("咱们园区企业做临床试验，审批时限能压到多少天？", "全国", "时限压缩为30个工作日。") == []
    query = kb.retriever.analyze(asked)
    assert answer_gate(query, Cited(city, city), unsaid=("滨江区",)) == "not about 滨江区"


def test_the_thesaurus_tells_framing_words_from_topics():
    thesaurus = thesaurus_for(LEXICON)
    assert thesaurus.frames("关系") and thesaurus.frames("情况") and thesaurus.frames("安排")
    assert not thesaurus.frames("食堂") and not thesaurus.frames("租金") and not thesaurus.frames("学校")
    assert not thesaurus.frames("申请")  # 怎么申请 asks a real question
    # What a tenant must meet or do is what the question asks, though Cilin files it with 情况 and 办法.
    assert not any(thesaurus.frames(w) for w in ("门槛", "条件", "标准", "资格", "手续", "流程"))
    assert "职工" in thesaurus.synonyms("员工")
    assert all(len(w) >= 2 for w in thesaurus.synonyms("产业"))
    assert thesaurus.is_noun("进度") and not thesaurus.is_noun("现在") and not thesaurus.is_noun("一起")


def test_a_requirement_no_document_states_is_not_answered_with_what_the_documents_say_of_the_rest(kb):
    """The release and the curated FAQ speak of CXO firms and of moving in, none of a threshold."""
    for question in ("CXO企业入驻园区有什么门槛", "入驻园区需要什么条件"):
        answer = kb.ask(question)
        assert answer.abstained, (question, answer.text)


def test_a_noun_jieba_tags_as_an_adverb_stays_in_the_question(kb):
    terms = [c.term for c in kb.retriever.analyze("产业基金现在投资进度到多少了？").terms]
    assert "进度" in terms and "现在" not in terms


def test_english_words_translate_into_the_corpus_vocabulary():
    translator = Translator({"机场", "租金", "补贴", "规划"})
    assert translator.forms("airport") == ("机场",)
    assert set(translator.forms("subsidies")) == {"补贴"}
    assert "规划" in translator.forms("planned")  # base form
    assert translator.forms("spaceship") == ()
    assert "plan" in base_forms("planned") and "kilometer" in base_forms("kilometre")
    assert translator.phrases(["rent", "airport"]) == [([0], ("租金",)), ([1], ("机场",))]


def test_a_place_named_in_the_possessive_is_still_the_place(kb):
    """Zhejiang's industry: the glossary claims zhejiang for 浙江省 as it does without the 's."""
    for question in ("What is Zhejiang's biomedicine output?", "What is the biomedicine output of Zhejiang?"):
        concepts = {c.term: c for c in kb.analyze(question).terms}
        assert concepts["zhejiang"].source == "lexicon" and "浙江" in concepts["zhejiang"].forms, question


def test_answer_types_are_asked_and_stated():
    assert asked("园区招商电话是多少") == "phone" and states("phone", "咨询热线：0571-82345678")
    assert asked("这份文件的文号是什么") == "doc_number" and states("doc_number", "杭政办函〔2022〕59号")
    assert asked("什么时候开园") == "date" and asked("租金多少钱") == "amount"
    # a month's rent is a sum of money, not a count: 2栋 does not answer it
    assert asked("配套宿舍的月租是多少？") == asked("人才公寓年租多少？") == asked("实验室单价是多少") == "amount"
    assert asked("有几家企业") == "number" and not states("number", "2024年3月")  # a date is not a count
    assert (
        asked("公司注册地址在哪")
        == asked("BioBAY三期B区在哪条路上")
        == asked("What is its street address?")
        == "address"
    )
    assert states("address", "三期B区坐落于园区金谷路99号") and states("address", "在园区3号楼二层")
    assert not states("address", "杭州生物科技谷位于临空经济示范区机场西侧") and asked("园区在哪里") == ""
    # the English noun, not the verb: dev3's TJ202 question was declined as "no address"
    assert asked("Address of the park office?") == asked("What is the address of the park?") == "address"
    assert asked("Which target does I-Mab's TJ202 address?") != "address"
    assert asked("How will the policy address talent shortages?") != "address"
    # how long money has gone in is a span of years, not a sum: 持续投入了多少年 is answered by 经过16年的持续投入
    assert asked("产业园已经持续投入了多少年？") == "number" and asked("累计投入了多少？") == "amount"


def test_the_figure_must_be_stated_next_to_what_it_is_asked_about(kb):
    query = kb.retriever.analyze("园区有多少个重点项目")
    assert query.wants == "number" and "重点项目" in [c.term for c in query.focus]
    assert [c.term for c in kb.retriever.analyze("园区租金多少钱").focus][0] == "租金"
    from knowledge.units import make_unit

    focus = next(c for c in query.concepts if c.term == "重点项目")
    near = make_unit("园区已集聚31个重点项目。")
    far = make_unit("园区重点项目进展顺利，各项配套工程正在同步推进之中，今年新开工的厂房面积达到了12万平方米以上。")
    assert near.states_near("number", focus) and not far.states_near("number", focus)


def test_the_unit_a_figure_is_asked_in_must_be_stated():
    from knowledge.answer_types import measure, states_measure
    from knowledge.text import tokenizer_for

    tagged = tokenizer_for(LEXICON).tagged
    assert measure(tagged("BioBAY集聚了多少名领军人才")) == "名" and measure(tagged("一共建几栋厂房")) == "栋"
    assert measure(tagged("总规模有多少亿元")) == "亿元" and measure(tagged("占地多少亩")) == "亩"
    assert measure(tagged("园区现在有多少项目")) == ""  # 项目 is what is counted, not a unit
    assert measure(tagged("有哪几个细分赛道")) == "" and measure(tagged("第几个附件")) == ""  # a list, an ordinal
    assert states_measure("天", "审评时限压缩至30个工作日") and states_measure("亿", "基金总规模50亿元")
    assert states_measure("年", "有效期5年") and not states_measure("年", "自2022年起施行")  # a year is not a span
    assert not states_measure("亿元", "园区将组建不少于2支生物医药专项基金")
    # people are counted in 人, 名 or 位 alike; firms are not people
    assert states_measure("名", "集聚各级领军人才超过900人") and states_measure("人", "引进院士3位")
    assert not states_measure("名", "入驻高科技创新企业550余家")
    # a rate or a share is asked in per cent: a sum does not give it
    from knowledge.answer_types import PERCENT, asks_rate

    assert asks_rate("钱塘那支基金的管理费率是多少？") and asks_rate("增加值同比增长了多少？")
    assert asks_rate("按研发投入的多少比例给支持？") and not asks_rate("基金总规模有多少亿？")
    assert states_measure(PERCENT, "增加值同比增长10.3%") and states_measure(PERCENT, "按百分之三十给予补助")
    assert not states_measure(PERCENT, "基金总规模50亿元，首期规模20.02亿元")


def test_the_gate_declines_what_the_best_passage_cannot_state_and_takes_the_next_that_can(kb):
    from knowledge.decide import Cited, answer_gate, first_answerable, gate

    def hit(text, chunk="a#0"):
        return make_hit(text, chunk, best_unit=text, covered=[])

    fund = kb.retriever.analyze("园区那两支专项基金，规模各是多少亿元？")
    assert fund.measure == "亿元" and gate(fund, [hit("园区将组建不少于2支生物医药专项基金。")])
    assert not gate(fund, [hit("两支专项基金规模分别为10亿元和5亿元。")])
    year = kb.retriever.analyze("2023年浙江省生物医药产业营业收入是多少？")
    assert gate(year, [hit("2024年，浙江省生物医药产业实现营业收入3127.9亿元。")]).startswith("not about")
    # a document quoted by its title is answered from that document, or by a passage that names it
    titled = kb.retriever.analyze("《关于支持生物医药产业创新发展若干举措》的文号是多少？")
    record = "《杭州市人民政府办公厅关于加快生物医药产业高质量发展的若干意见》，文号杭政办函〔2021〕39号。"
    other = make_hit(
        record, "hz#card", title="杭州市人民政府办公厅关于加快生物医药产业高质量发展的若干意见", typed=True
    )
    assert gate(titled, [other]) == "not about 《关于支持生物医药产业创新发展若干举措》"
    own = make_hit(
        "文号浙制高办〔2023〕5号。",
        "zj#card",
        title="关于印发《关于支持生物医药产业创新发展若干举措》的通知",
        typed=True,
    )
    assert gate(titled, [own]) == ""
    quoting = make_hit(
        "为落实《关于支持生物医药产业 创新发展若干举措》（浙制高办〔2023〕5号），制定本方案。", "xs#0", typed=True
    )
    assert gate(titled, [quoting]) == ""  # named in its text, spacing aside
    # a curated answer answers what its variants ask, but not for a year neither they nor it say
    projects = "截至报道时，杭州生物科技谷已集聚31个重点项目。"
    asked_2025 = kb.retriever.analyze("截至2025年底生物科技谷集聚了多少个项目？")
    assert (
        gate(asked_2025, [make_hit(projects, "faq:projects", category="faq", covered=[], typed=True)])
        == "not about 2025"
    )
    assert not gate(asked_2025, [make_hit(projects, "faq:projects", category="faq", covered=["2025"], typed=True)])
    assert not gate(
        kb.retriever.analyze("园区有多少个重点项目？"), [make_hit(projects, "faq:projects", category="faq", typed=True)]
    )
    phone = kb.retriever.analyze("园区的招商电话是多少？")
    assert gate(phone, [hit("园区位于机场西侧。")]) == "no phone"
    # nor is an address: the preamble of the office's policy was given as its office's address (dev4)
    office = kb.retriever.analyze("浙江省制造业高质量发展领导小组办公室的办公地址在哪？")
    assert office.wants == "address"
    assert gate(office, [hit("为贯彻制造强国和健康中国建设战略，特制定如下举措。")]) == "no address"
    assert answer_gate(office, Cited("园区位于机场西侧。")) == "no address"
    assert answer_gate(office, Cited("办公室坐落于丹枫路399号。")) == ""
    # a quantity set as a condition: the rule for 10亿元以上 does not answer for 5亿元 (nor 15亿元 for 5亿元)
    five = kb.retriever.analyze("萧山对新引进固定资产投资5亿元的制造业项目，设备补助多少？")
    rule = "固定资产投资在10亿元以上的制造业项目，可获得最高20%的设备投入补助。"
    stating = lambda text: make_hit(text, best_unit=text, covered=["5"], typed=True)  # noqa: E731 (any 5 covers "5")
    assert gate(five, [stating(rule)]) == "not about 5亿元"
    assert gate(five, [stating(rule.replace("10亿元", "15亿元"))]) == "not about 5亿元"
    assert not gate(five, [stating(rule.replace("10亿元", "5亿元"))])
    # an article asked for by number: the preamble that opens 一、 is not the second measure
    second = kb.retriever.analyze("《关于支持生物医药产业创新发展若干举措》的第二条举措是什么？")
    preamble = "特制定如下举措。一、布局高能级创新平台。积极争取国家级平台在我省落地。"
    measures = "关于支持生物医药产业创新发展若干举措"
    assert gate(second, [replace(hit(preamble), title=measures)]) == "not about 第二条"
    assert not gate(second, [replace(hit(preamble + "二、支持创新药研发。"), title=measures)])
    eighth = kb.retriever.analyze("国办意见第（八）条讲的是什么？")
    assert not gate(eighth, [hit("（八）优化临床试验审评审批机制。")]) and gate(eighth, [hit("（七）加快审评。")])
    lacks, states = hit("园区将组建不少于2支基金。", "a#0"), hit("两支基金分别为10亿元和5亿元。", "b#0")
    assert first_answerable(fund, [lacks, states]) == [states, lacks]
    assert first_answerable(fund, [lacks]) == [lacks]  # nothing better: the gate declines


def test_an_article_asked_by_number_is_read_in_either_script_and_answered_from_inside_it(kb):
    from knowledge.decide import Cited, answer_gate, gate

    def hit(text):
        return make_hit(text, "a#0", best_unit=text, covered=[])

    # 第2条 is 第二条; a policy table's rows come out of ingestion as 序号：2，… (structure.py)
    rows = "（一）提升产业创新研发能力\n序号：1，支持领域：鼓励融合发展，支持方式：择优支持。序号：2，支持领域：加强药物核心技术攻关，支持方式：……"
    second = kb.retriever.analyze("滨江政策第2条的支持领域叫什么？")
    assert not gate(second, [hit(rows)])
    assert gate(second, [hit(rows.split("序号：2")[0])]) == "not about 第2条"
    assert gate(kb.retriever.analyze("滨江政策第12条的支持领域叫什么？"), [hit(rows)]) == "not about 第12条"
    # ... and answered only by the sentence on its own row, not the one before it
    first_row = "序号：1，支持领域：鼓励融合发展，支持方式：择优支持。"
    second_row = "序号：2，支持领域：加强药物核心技术攻关，支持方式：……"
    assert answer_gate(second, Cited(first_row, passage=rows)) == "not about 第2条"
    assert answer_gate(second, Cited(second_row, passage=rows)) == ""
    # a sentence that runs into the article from the one before still reaches it (the preamble, then 一、)
    measures = "特制定如下举措。一、布局高能级创新平台。积极争取国家级平台落地。二、支持创新药研发。"
    first = kb.retriever.analyze("若干举措的第一条举措是什么？")
    assert answer_gate(first, Cited("特制定如下举措。一、布局高能级创新平台。", passage=measures)) == ""
    assert answer_gate(first, Cited("二、支持创新药研发。", passage=measures)) == "not about 第一条"
    # a part (第二部分) is a numbered heading too: 二、
    part = kb.retriever.analyze("杭政办函〔2021〕39号第二部分的标题是什么？")
    assert gate(part, [hit("一、明确目标。")]) == "not about 第二部分"
    assert answer_gate(part, Cited("二、提升创新研发能力。", passage="一、明确目标。二、提升创新研发能力。")) == ""


def test_a_question_about_the_negated_case_is_not_answered_by_the_positive_one(kb):
    from knowledge.decide import Cited, answer_gate

    negated = kb.retriever.analyze("不需要核查检验的药品补充申请，审评时限是多少个工作日？")
    positive_only = "需要核查检验的补充申请，审评时限从200个工作日压缩为60个工作日。"
    assert answer_gate(negated, Cited(positive_only)) == "the opposite case"
    assert not answer_gate(negated, Cited("不需要核查检验的补充申请，审评时限压缩为30个工作日。"))
    # 有没有 asks yes or no; it negates nothing
    assert not answer_gate(kb.retriever.analyze("有没有审批绿色通道"), Cited("园区突出审批绿色通道等功能。"))
    positive = kb.retriever.analyze("需要核查检验的补充申请审评时限多少天？")
    assert not answer_gate(positive, Cited(positive_only))


def test_an_answer_whose_figures_are_another_years_is_declined(kb):
    """2025年浙江全年获批了多少个创新药 was answered with 2024年…全年获批创新药6个: the passage it was found in
    reached a 2025 in the sentence after. An answer that names years, none of them asked, is another year's."""
    from knowledge.years import other_years, years_named
    from knowledge.decide import Cited, answer_gate

    asked = kb.retriever.analyze("2025年浙江全年获批了多少个创新药？")
    figures = "2024年，浙江省生物医药产业实现营业收入3127.9亿元。全年获批创新药6个品种7个品规。"
    assert answer_gate(asked, Cited(figures, figures)) == "not about 2025年"
    assert answer_gate(asked, Cited("2025年全省获批创新药9个。", "2025年全省获批创新药9个。")) == ""
    # an answer that names no year speaks as of its document's date: not this rule's to judge
    assert answer_gate(asked, Cited("全年获批创新药6个。", "全年获批创新药6个。")) == ""
    # a span names every year in it; a plan's target year is no time its figures speak of, yet may be asked
    assert years_named("行动方案（2022—2024年）") == {2022, 2023, 2024}
    assert other_years("2023年的目标是什么", "行动方案（2022—2024年）") == []
    assert other_years("2018年的意见定了什么目标", "到2022年，收入达到1000亿元以上。") == []
    assert other_years("定的2022年收入目标是多少", "2017年产值507.9亿元。到2022年，收入达到1000亿元。") == []
    # a 文号's year names a document, not a time; 2000万元 is no year
    assert other_years("杭政办函〔2021〕39号提出多少年内翻番", "力争用3年时间实现翻番，2017年产值507.9亿元。") == []
    assert years_named("最高补助2000万元") == set()


def test_the_year_a_document_is_for_names_the_document(kb):
    """2025年专项…还包括哪些 was declined as "not about 2025年": the 2025 call's sentences speak of the period
    it covers (2024年1月1日—12月31日). The title's 2025年度 says which document the question names; another
    year's call, or a title that only mentions a year, still leaves the year to the sentences."""
    from knowledge.decide import Cited, answer_gate

    asked = kb.retriever.analyze("2025年专项说的国家级重大创新载体，除了国家实验室还包括哪些？")
    period = "于2024年1月1日—2024年12月31日期间获得的国家实验室、国家实验室基地、国家技术创新中心等。"
    call_2025 = "关于开展2025年度杭州市生物医药高质量发展专项申报工作的通知"
    assert answer_gate(asked, Cited(period, period)) == "not about 2025年"
    assert answer_gate(asked, Cited(period, period, title=call_2025)) == ""
    assert answer_gate(asked, Cited(period, period, title=call_2025.replace("2025", "2024"))) == "not about 2025年"
    assert (
        answer_gate(asked, Cited(period, period, title="2025年杭州市生物医药专项申报工作的通知")) == "not about 2025年"
    )


def test_a_document_for_one_year_does_not_answer_another_years_question_with_sentences_naming_none(kb):
    """2017年药审中心完成审评的注册申请有多少件 was answered from the 2016年度药品审评报告's 全年完成审评…12068件:
    its sentences name no year because the whole report is for 2016. A title without 年度 leaves such
    sentences to the document's date, as before."""
    from knowledge.decide import Cited, answer_gate

    asked = kb.retriever.analyze("2017年药审中心完成审评并呈送审批的注册申请有多少件？")
    whole_year = "全年完成审评并呈送总局审批的注册申请共12068件。"
    assert answer_gate(asked, Cited(whole_year, whole_year, title="2016年度药品审评报告")) == "not about 2017年"
    assert answer_gate(asked, Cited(whole_year, whole_year, title="2017年度药品审评报告")) == ""
    assert answer_gate(asked, Cited(whole_year, whole_year, title="药品审评报告")) == ""


def test_an_answer_that_states_no_kind_of_answer_asked_for_is_declined(kb):
    from knowledge.decide import Cited, answer_gate

    location = "杭州生物科技谷位于杭州临空经济示范区机场西侧，离杭州萧山国际机场近。"
    hotline = kb.retriever.analyze("杭州生物科技谷的招商咨询热线是多少？")
    assert hotline.wants == "phone"
    assert answer_gate(hotline, Cited(location, location)) == "no phone"
    assert answer_gate(hotline, Cited("投资咨询热线", "投资咨询热线 400-168-6016")) == ""
    # a curated entry too, unless its variants ask for that kind: asked 招商热线是多少, staff may answer
    # "leave your details"; the location entry shares only the park's name with the question
    assert answer_gate(hotline, Cited(location, location, curated=True)) == "no phone"
    leave_details = "请留下联系方式，招商人员会与您联系。"
    assert answer_gate(hotline, Cited(leave_details, leave_details, curated=True, asks=("phone",))) == ""
    # ... and the unit asked in holds for it whatever its variants ask
    scale = kb.retriever.analyze("园区的专项基金总规模有多少亿？")
    funds = "园区将组建不少于2支生物医药专项基金。"
    assert answer_gate(scale, Cited(funds, funds, curated=True, asks=("number",))) == "no figure in 亿"
    # a figure in the sentences around the cited one counts (the answer states it), one in neither does not
    how_many = kb.retriever.analyze("咱们园区跟几家医院合作共建了临床试验中心？")
    assert how_many.wants == "number"
    cited = "园区将打造创新服务和产业转化中心，如与专业研究机构合作。"
    assert answer_gate(how_many, Cited(cited, cited)) == "no number"
    assert answer_gate(how_many, Cited(cited, cited + "目前已与3家医院共建临床试验中心。")) == ""
    # traditional characters state a sum as well
    award = kb.retriever.analyze("一类新药奖励多少钱？")
    assert answer_gate(award, Cited("每個品種獎勵一千萬元。", "每個品種獎勵一千萬元。")) == ""
    # a figure asked in a unit (多少亿) is not answered by a count in another (2支)
    scale = kb.retriever.analyze("园区的生物医药专项基金总规模有多少亿？")
    assert answer_gate(scale, Cited("", "园区将组建不少于2支生物医药专项基金。")) == "no figure in 亿"
    assert answer_gate(scale, Cited("", "基金总规模50亿元，首期规模20.02亿元。")) == ""
    fee = kb.retriever.analyze("钱塘那支生物医药基金的管理费率是多少？")
    assert fee.measure == "%"
    assert answer_gate(fee, Cited("", "基金总规模50亿元，首期规模20.02亿元。")) == "no figure in %"
    # English writes a year alone; a sum in 万 is no year
    when = kb.retriever.analyze("When will the park be completed?")
    assert answer_gate(when, Cited("", "By 2027, the park will be a cluster of 100 firms.")) == ""
    assert answer_gate(kb.retriever.analyze("园区哪年建成？"), Cited("", "总投资2000万元。")) == "no date"


def _passage(sentences):
    return make_hit("".join(sentences), "doc#1", best_unit="".join(sentences), evidence=tuple(sentences))


def test_when_not_every_sentence_fits_the_row_that_names_what_was_asked_goes_first(kb):
    from knowledge.answer import extract

    rows = [
        "园区：绿棠区，总建筑面积约5.7万平方米，4栋单体建筑，其中1栋为配套宿舍，3栋为厂房，"
        "功能定位：聚焦生物医药相关产业，设置不同类型的生产和配套模块，模块功能智慧共享，建设进度：基础施工阶段。",
        "园区：青梧区，总建筑面积约5.7万平方米，共建7栋GMP厂房，"
        "功能定位：集技术研发、日常办公、产品生产等功能于一体的综合型医药制造产业园，建设进度：基础施工阶段。",
    ]
    query = kb.retriever.analyze("青梧区的功能定位是什么？")
    assert len("".join(rows)) > 150  # both rows do not fit one answer
    text, _ = extract([_passage(rows)], query, max_chars=150)
    assert "青梧区" in text and "绿棠区" not in text


def test_a_sentence_that_says_nothing_another_does_not_is_left_out_even_when_it_fits(kb):
    from knowledge.answer import extract

    award = "“创新价值榜”正式揭晓，杭州生物科技谷获评最具活力园区TOP30。"
    founders = "“创新价值榜”已连续举办四年，由医耘科技与国家技术转移东部中心联合发起。"
    text, _ = extract([_passage([award, founders])], kb.retriever.analyze("创新价值榜由谁发起？"), max_chars=400)
    assert text == founders
    rows = ["园区：青梧区，总建筑面积：约5.7万平方米。", "园区：橙洲区，总建筑面积：约15.8万平方米。"]
    text, _ = extract([_passage(rows)], kb.retriever.analyze("橙洲区的总建筑面积有多大？"), max_chars=400)
    assert text == rows[1]


def test_the_sentence_stating_the_figure_asked_for_stays_beside_one_that_covers_more(kb):
    from knowledge.answer import extract

    named = "橙洲区是园区的智慧园区，总建筑面积正在核算。"  # covers more of the question, states no figure
    figure = "总建筑面积约15.8万平方米。"
    text, _ = extract([_passage([named, figure])], kb.retriever.analyze("橙洲区的总建筑面积有多大？"), max_chars=400)
    assert "15.8万平方米" in text


def test_an_answer_that_opens_by_pointing_back_brings_the_sentence_it_points_to(kb):
    from knowledge.answer import extract

    meeting = "全球技术转移大会日前在上海闭幕。"
    award = "会上，“2025中国生物医药科技创新价值榜”正式揭晓，杭州生物科技谷获评最具活力园区TOP30。"
    after = "该榜单已连续发布四年，由医耘科技与国家技术转移东部中心联合发起。"
    query = kb.retriever.analyze("这个价值榜是在哪个会上发布的？")
    passage = make_hit(meeting + award + after, "doc#1", best_unit=award, evidence=(meeting, award))
    # extract keeps the sentence on the award and leaves the meeting out; 会上 points back to it, so it
    # comes first even before the sentence after, which the budget then leaves out
    text, sources = extract([passage], query, max_chars=len(meeting + award) + 5)
    assert text == meeting + award, text
    assert sources[0].snippet.startswith("会上")  # the excerpt stays the answering sentence
    plain = award.replace("会上，", "")
    passage = make_hit(meeting + plain + after, "doc#1", best_unit=plain, evidence=(meeting, plain))
    text, _ = extract([passage], query, max_chars=len(meeting + plain) + 5)
    assert text.startswith(plain), text  # nothing points back: the sentence left out stays out


def test_an_answer_is_read_with_the_sentences_around_it_while_the_budget_lasts(kb):
    from knowledge.answer import extract

    matched = "2024年市级财政安排生物医药专项资金。"
    figure = "其中创新药研发补助总额为3亿元。"
    later = "申报时间另行通知。"
    before = "为加快产业发展，现就有关事项通知如下。"
    query = kb.retriever.analyze("市级财政安排的生物医药专项资金有多少？")
    passage = make_hit(matched, "doc#1", best_unit=matched, evidence=(matched,))
    # the figure the document states one sentence on (in its next passage) joins; the next one does not fit
    text, sources = extract([passage], query, max_chars=40, adjacent=[(2, figure + later)])
    assert text == matched + figure
    assert sources[0].snippet == matched  # the citation's excerpt stays the sentence that answered
    # when nothing after fits, the sentence before does; a passage further away is not a neighbour
    text, _ = extract([passage], query, max_chars=60, adjacent=[(0, before), (3, figure)])
    assert text == before + matched
    # a heading opens another section: the answer does not run into it
    text, _ = extract([passage], query, max_chars=200, adjacent=[(2, "三、人才保障\n对博士给予补贴。")])
    assert text == matched
    # nor into a reposting site's furniture, and a heading two passages share is said once
    furniture = "时间：2024-05-07 16:52 | 来源： | 浏览量： | 字号：大 中 小"
    text, _ = extract([passage], query, max_chars=200, adjacent=[(0, f"{furniture}\n通知如下：")])
    assert text == matched
    row = "通知如下：" + matched
    listed = make_hit(row, "doc#1", best_unit=row, evidence=(row,))
    text, _ = extract([listed], query, max_chars=200, adjacent=[(0, f"{before}\n通知如下：")])
    assert text == before + row  # not before + "通知如下：" + row


def test_a_pictures_note_is_not_said(kb):
    """（资料图） opened dev answers, and （圖：2025年…會議現場。周其 攝） stood in one: a note under a news photo
    is no fact of the article, whole or cut in two by the sentence split."""
    from knowledge.answer import extract

    figure = "2024年，全省获批创新药6个。"
    plan = "2025年，全省将继续深化改革。"
    note = "（圖：2025年全省监管工作会议现场。周其 攝）"
    query = kb.retriever.analyze("2024年全省获批多少个创新药？")
    text = "（资料图）" + figure + note + plan
    hit = make_hit(text, "doc#1", best_unit=figure, evidence=(figure,))
    said, sources = extract([hit], query, max_chars=200, adjacent=[])
    assert said == figure + plan
    assert sources[0].snippet == figure
    # a note that is all an answer has is kept rather than saying nothing
    alone = make_hit(note, "doc#2", best_unit=note, evidence=("（圖：2025年全省监管工作会议现场。",))
    said, _ = extract([alone], query, max_chars=200, adjacent=[])
    assert said


def test_a_which_ones_question_is_answered_only_by_sentences_that_name_them(kb):
    from knowledge.decide import Cited, answer_gate

    which = kb.retriever.analyze("浙江争取创建的两个国家医学中心具体是哪两个？")
    assert which.asks_list
    assert answer_gate(which, Cited("支持西湖实验室建设国家实验室基地，力争创建两个国家医学中心。")) == "no list"
    assert answer_gate(which, Cited("两个国家医学中心分别为：国家儿童区域医疗中心、国家传染病医学中心。")) == ""
    # two asked for: two names joined by 和 name them; for 哪些 one 和 is not yet a list
    wheels = kb.retriever.analyze("浦东方案靠哪两个轮子驱动？")
    assert answer_gate(wheels, Cited("方案要求以科技创新和制度创新双轮驱动。")) == ""
    assert answer_gate(wheels, Cited("方案要求对标国际一流水平。")) == "no list"
    which_ones = kb.retriever.analyze("浦东方案有哪些要求？")
    assert answer_gate(which_ones, Cited("方案要求以科技创新和制度创新双轮驱动。")) == "no list"
    assert not kb.retriever.analyze("园区在哪里").asks_list


def test_a_who_question_is_answered_only_by_sentences_that_name_someone(kb):
    """苏州BioBAY三期B区开园那天，管委会是谁到场的 was answered with the opening's date and the count of
    new firms; a person (林小明) or an organisation (医耘科技, 东部中心, 省政府) answers a who-question."""
    from knowledge.decide import Cited, answer_gate

    tagged = kb.retriever.tokenizer.tagged
    who = kb.retriever.analyze("苏州BioBAY三期B区开园那天，管委会是谁到场的？")
    assert who.asks_who and not kb.retriever.analyze("园区在哪里").asks_who
    opening = "7月18日上午，苏州生物医药产业园（BioBAY）三期B区正式开园，首批21家新企业同日入驻。"
    assert answer_gate(who, Cited(opening), tagged=tagged) == "names no one"
    assert answer_gate(who, Cited("园区管委会副主任林小明出席开园仪式。"), tagged=tagged) == ""
    founded = kb.retriever.analyze("这个价值榜由谁发起？")
    assert answer_gate(founded, Cited("由医耘科技与国家技术转移东部中心联合发起。"), tagged=tagged) == ""
    assert answer_gate(kb.retriever.analyze("Who supplies utilities to the factories?"), Cited(opening), tagged=tagged)
    # staff wrote a curated answer to say who in its own words; and "都有谁" asks for the members of a set
    assert answer_gate(who, Cited(opening, curated=True), tagged=tagged) == ""
    # 哪家, 哪个部门 and "which department" ask for an organisation as 谁 does
    builder = kb.retriever.analyze("那个GMP标准厂房到底是哪家国企在开发建设的？")
    assert builder.asks_who
    assert answer_gate(builder, Cited("GMP标准厂房是示范区的重要产业载体。"), tagged=tagged) == "names no one"
    assert answer_gate(builder, Cited("项目由市临空建投集团开发建设。"), tagged=tagged) == ""
    assert kb.retriever.analyze("Which department published the notice?").asks_who
    assert kb.retriever.analyze("首批入驻的21家企业都有谁？").asks_list


def test_a_question_about_one_of_like_named_places_is_not_answered_from_another(kb):
    """橙洲区已经有哪些企业意向入驻 was rated a likely answer (0.87 in cross-validation) by 青梧区's row,
    which says 已有企业意向入驻: the row of the district asked about answers, not its neighbour's."""
    from knowledge.decide import Cited, answer_gate

    tagged = kb.retriever.tokenizer.tagged
    asked = kb.retriever.analyze("橙洲区已经有哪些企业意向入驻？")
    neighbour = "园区：杭州生物科技谷·青梧区，建设进度：基础施工阶段，已有企业意向入驻、引进。"
    assert answer_gate(asked, Cited(neighbour), tagged=tagged) == "not about 橙洲区"
    own = "园区：杭州生物科技谷·橙洲区，建设进度：主体结顶，已有企业意向入驻、引进。"
    assert answer_gate(asked, Cited(own), tagged=tagged) == ""
    # a sentence that names no other district is left to the model (the title may name the one asked about)
    assert answer_gate(asked, Cited("建设进度：基础施工阶段，已有企业意向入驻、引进。"), tagged=tagged) == ""
    # and a district the question itself names is not another one (两个园区: 橙洲区 and 青梧区 compared)
    both = kb.retriever.analyze("橙洲区和青梧区哪个先有企业意向入驻？")
    assert answer_gate(both, Cited(neighbour), tagged=tagged) == ""
    # the name said with punctuation inside it is still said: 县市区 by 各县（市、区）, not replaced by 余杭区
    ranked = kb.retriever.analyze("余杭医疗器械生产企业数量在全省各县市区排第几？")
    first = "余杭区医疗器械生产企业共有161家，数量居全省各县（市、区）首位。"
    assert answer_gate(ranked, Cited(first), tagged=tagged) == ""


def test_which_years_asks_for_a_period_not_a_list(kb):
    """浦东…功能提升方案管哪几年 is answered by 方案（2025—2027年）: 哪几年 asks for the years, not for members
    of a set, so the list rule does not decline it; 哪几期 still asks for a list."""
    from knowledge.answer_types import asked, asks_list
    from knowledge.decide import Cited, answer_gate

    question = "浦东生物医药产业园区功能提升方案管哪几年？"
    assert not asks_list(question) and asked(question) == "date"
    cited = "浦东新区人民政府办公室近日印发《浦东新区生物医药产业园区功能提升方案（2025—2027年）》。"
    assert answer_gate(kb.retriever.analyze(question), Cited(cited)) == ""
    assert asks_list("苏州BioBAY目前已经建成了哪几期？")


def test_one_item_after_a_colon_or_one_bullet_is_a_count_not_a_list():
    """首批入驻的21家企业都有谁 was rated a likely answer by 首批入驻企业：21家 (the colon made it a list)."""
    from knowledge.answer_types import enumerates

    for count in ("【苏州工业园区】首批入驻企业：21家。", "痛点和难点：- 综合体内已集聚各类公共服务平台20余个；"):
        assert not enumerates(count), count
    assert not enumerates("建设进度：基础施工阶段，已有企业意向入驻。")  # one comma joins two clauses
    for listed in (
        "包括天境生物、维亚生物",
        "一是创新药；二是高端医疗器械",
        "重点发展三大方向：创新药，医疗器械，合成生物",
        "（一）研发（二）临床",
        "1. 申请表 2. 简介",
    ):
        assert enumerates(listed), listed


def test_structure_keeps_headings_tables_and_unpunctuated_lines():
    text = (
        "# 三期B区\n一、基本情况\n投资进度已达56.29%\n园区坐落于金谷路99号。\n"
        "| 概况 |  |\n|---|---|\n| 项目 | 内容 |\n| 总投资额 | 50亿元 |\n| 占地面积 | 3.11公顷 |\n"
    )
    got = pieces(text)
    texts = [p.text for p in got]
    assert "投资进度已达56.29%" in texts  # a short heading is kept as a fact
    assert "总投资额：50亿元。" in texts and "占地面积：3.11公顷。" in texts
    row = next(p for p in got if p.text.startswith("总投资额"))
    assert row.heading == "三期B区 > 一、基本情况 > 投资进度已达56.29% > 概况"
    assert join(["投资进度已达56.29%", "园区坐落于金谷路99号。"]) == "投资进度已达56.29%\n园区坐落于金谷路99号。"


def test_an_ordinal_the_question_names_is_a_term_it_must_find(kb):
    analyze = kb.retriever.analyze
    terms = {c.term: c.forms for c in analyze("余杭拿到第二类医疗器械注册证具体奖励多少？").terms}
    assert terms["第二类"] == ("第二类", "二类", "2类")  # jieba tags 第二类 a numeral; it was dropped
    assert "三期" in {c.term for c in analyze("三期B区有多大").terms}
    assert {c.term: c.forms for c in analyze("首期规模多少").terms}["首期"] == ("首期", "第一期", "一期", "1期")
    assert "上半年" in {c.term for c in analyze("上半年产值多少").terms}  # not the whole year's
    # "that batch" and a bare "first" name no part of anything
    assert not any(c.term.endswith("批") for c in analyze("那一批一共有几个项目开工了？").terms)
    assert "第一" not in {c.term for c in analyze("申报通知的第一项支持内容是什么？").terms}
    # A passage on class-unspecified device certificates does not cover the class asked about.
    unit = make_unit("产品获得医疗器械注册证的，最高可奖励200万元。")
    asked = analyze("第二类医疗器械注册证奖励多少").terms
    assert not unit.covers(next(c for c in asked if c.term == "第二类"))


def test_a_section_heading_inside_a_passage_names_the_sentences_after_it():
    # A plain-text page (张江药谷's profile) lists two sites, each a short heading over "label: value" fields.
    text = (
        "基地一期\n位置：园区北部；四至为龙东大道以南、科苑路以东\n占地面积：约1.5平方公里\n"
        "基地二期\n位置：园区中部\n总面积：约1.5平方公里\n"
    )
    got = pieces(text)
    assert [p.text for p in got if p.is_heading] == ["基地一期", "基地二期"]  # fields are not headings
    area = next(p for p in got if p.text.startswith("总面积"))
    assert area.heading == "基地二期"
    # In a passage each heading starts its own line, so the section can be read back from the text.
    passage = join([p.text for p in got], frozenset(i for i, p in enumerate(got) if p.is_heading))
    sentences = split_sentences(passage)
    along = dict(zip(sentences, headings_along("", sentences, passage)))
    assert along["总面积：约1.5平方公里"] == "基地二期"
    assert along["占地面积：约1.5平方公里"] == "基地一期"
    # The end of a field after a ； is not a heading, though it has no end punctuation.
    assert along["四至为龙东大道以南、科苑路以东"] == "基地一期"


def test_a_passage_is_read_with_its_section_and_its_document_number():
    row = {
        "title": "某市关于加快生物医药产业发展的若干意见",
        "doc_number": "杭政办函〔2021〕39号",
        "heading": "",
        "text": "基地一期\n占地面积：约1.5平方公里\n基地二期\n总面积：约2平方公里\n功能：研发和孵化",
    }
    units = units_of(row)
    last = units[-1]
    assert "基地二期" in last.context.text and "基地一期" not in last.context.text
    assert all("39号" in u.context.text for u in units)  # a question citing the 文号 is about every passage


def test_ascii_punctuation_between_chinese_becomes_chinese():
    assert chinese_punctuation("3月11日,园区开园;CXO(外包服务)") == "3月11日，园区开园；CXO（外包服务）"
    assert chinese_punctuation("Hello, world (test)") == "Hello, world (test)"


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_yaml_aliases_are_refused(libyaml, monkeypatch):
    if not libyaml:  # a machine whose PyYAML was built without libyaml takes the other road, to the same end
        import yaml

        monkeypatch.delattr(yaml, "CSafeLoader")
    assert safe_yaml.load("a: [1, 2]\nb: 标题\n") == {"a": [1, 2], "b": "标题"}
    with pytest.raises(safe_yaml.AliasRefused):
        safe_yaml.load("a: &x [1, 2]\nb: *x\n")
    with pytest.raises(DocumentError, match="aliases"):
        parse_markdown("---\ntitle: &t 标题\npublisher: *t\npublished: ''\nurl: u\ncategory: release\n---\n正文。", "d")


def test_a_manifest_gives_each_file_its_metadata_and_an_unknown_date_stays_unknown(tmp_path):
    (tmp_path / "a.md").write_text("园区位于机场西侧。", "utf-8")
    (tmp_path / "b.txt").write_text("钱塘区设立产业基金，规模50亿元。", "utf-8")
    (tmp_path / "manifest.yml").write_text(
        "- {path: a.md, title: 开园, publisher: 杭州网, published: 2024-03-12, url: https://a, category: release,"
        " scope: 杭州生物科技谷}\n"
        "- {path: b.txt, title: 基金, publisher: 某站, published: '', url: https://b, category: release, scope: 钱塘区}\n",
        "utf-8",
    )
    rows = load_manifest(tmp_path)
    assert [p.name for p, _ in rows] == ["a.md", "b.txt"]
    outcomes = ingest_manifest(tmp_path, tmp_path / "docs")
    assert [o.status for o in outcomes] == ["added", "added"]
    b = (tmp_path / "docs" / "b.md").read_text("utf-8")
    assert "published: ''" in b and "scope: 钱塘区" in b and "1970" not in b


def test_the_speller_restores_corpus_words_and_never_cuts_a_word(kb):
    analyze = kb.retriever.analyze
    assert analyze("园区有食堂吗").text == "园区有食堂吗"  # 有食 sounds like 优势, but 食堂 is a word
    assert analyze("生物科技股在哪").text == "生物科技谷在哪"
    assert analyze("基斤有多少").text.startswith("基金")
    # 时侯 is in jieba's dictionary, as the slip it is (10 against 时候's 31521): the question still asks for a date.
    slipped = analyze("园区什么时侯开园")
    assert "什么时候" in slipped.text and slipped.wants == "date"
    assert analyze("两周内能办完吗").text == "两周内能办完吗"  # a word in its own right stays


def test_ask_takes_a_file_of_questions_and_writes_json_lines(tmp_path, capsys, kb, monkeypatch):
    from knowledge.__main__ import main

    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(kb.settings.index_dir))  # the session's index, not instance/
    questions = tmp_path / "q.txt"
    questions.write_text("园区在哪里？\n\n# skipped\n园区食堂一顿饭多少钱？\n", "utf-8")
    assert main(["ask", "--json", "--file", str(questions)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["question"] for r in lines] == ["园区在哪里？", "园区食堂一顿饭多少钱？"]
    assert lines[0]["answered"] and "机场西侧" in lines[0]["text"] and lines[0]["sources"]
    assert not lines[1]["answered"] and lines[1]["passage"]["chunk_id"]


@pytest.mark.parametrize(
    "argv, said",
    [
        (["query", "  "], "a question cannot be empty"),
        (["ask", "--json", ""], "a question cannot be empty"),
        (["query", "园区在哪里", "--top-k", "-3"], "-3 passages: give 1 or more"),  # once listed every passage
        (["query", "园区在哪里", "--top-k", "five"], "'five' is not a whole number"),
        (["ask", "--file", "no-such-questions.txt"], "no such file: no-such-questions.txt"),
    ],
)
def test_the_command_line_refuses_bad_input_with_a_reason_before_loading_anything(argv, said, capsys):
    from knowledge.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err


def test_a_question_file_that_is_not_utf8_is_refused_by_name(tmp_path, capsys):
    from knowledge.__main__ import main

    legacy = tmp_path / "questions-gbk.txt"
    legacy.write_bytes("园区在哪里？\n".encode("gbk"))
    with pytest.raises(SystemExit):
        main(["ask", "--file", str(legacy)])
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_a_fields_label_brings_its_value_on_the_next_line(kb):
    from knowledge.answer import extract

    label, value, later = "投资咨询热线", "400-168-6016", "产业扶持政策"
    passage = make_hit(f"{label}\n{value}\n{later}", "doc#1", best_unit=label, evidence=(label,))
    text, _ = extract([passage], kb.retriever.analyze("张江药谷的投资咨询热线是多少？"), max_chars=200)
    assert text.split() == [label, value]
    # a next line that states no phone number is not the label's value
    passage = make_hit(f"{label}\n{later}", "doc#1", best_unit=label, evidence=(label,))
    text, _ = extract([passage], kb.retriever.analyze("张江药谷的投资咨询热线是多少？"), max_chars=200)
    assert text == label
    # a sentence of prose is no label: what follows it is not its value
    prose = "园区设有投资咨询热线。"
    passage = make_hit(f"{prose}\n{value}", "doc#1", best_unit=prose, evidence=(prose,))
    text, _ = extract([passage], kb.retriever.analyze("园区的投资咨询热线是多少？"), max_chars=200)
    assert value not in text


def test_a_sections_heading_says_what_the_figures_under_it_are_about(kb):
    """Under the heading 基地二期, 集聚情况：近300家生物医药领域创新企业 is 二期's count: the question's focus
    (二期) is in the heading, nowhere near the figure, and the line was not counted as stating one.
    Under 基地一期 the same line is not 二期's."""
    question = kb.retriever.analyze("张江药谷二期现在有多少家生物医药创新企业？")
    assert any(c.term == "二期" for c in question.focus)

    def typed(heading):
        row = {"title": "上海张江药谷", "heading": heading, "text": "集聚情况：近300家生物医药领域创新企业。"}
        unit = units_of(row)[0]
        covered = [c for c in question.terms if unit.covers(c)]
        return unit.answers_type(question.wants, covered, question.focus, question.named)

    assert typed("基地二期")
    assert not typed("基地一期")


def test_a_passage_that_names_no_year_speaks_as_of_its_documents_date():
    """杭州2018年的实施意见 asks about a policy published in 2018 whose sentences never say 2018: they are
    read with the document's year. A sentence that names an earlier year, or points to one (当年), keeps
    its own: 2017's growth is not 2018's. 到2022年 is the plan the 2018 policy sets."""
    from knowledge.query import Concept

    year = Concept(term="2018", forms=("2018",))

    def covers(text, published="2018-05-21"):
        row = {"title": "杭州市实施意见", "heading": "", "text": text, "published": published}
        return units_of(row)[0].covers(year)

    assert covers("杭州将把生物制药放在优先发展的位置。")
    assert not covers("2017年规模以上医药制造业增加值增长21.2%。")
    # a later year is what the policy plans for, still said in 2018; an earlier one is another year's fact
    assert covers("按照计划，到2022年，杭州要初步成为国内领先的生物医药研发与产业化高地。")
    assert not covers("到2022年主营业务收入较2017年翻一番。")
    assert not covers("当年，园区生物医药产业总产值接近400亿元。")
    assert not covers("杭州将把生物制药放在优先发展的位置。", published="2021-03-12")
    assert not covers("杭州将把生物制药放在优先发展的位置。", published="")
    # the year of a 文号 it cites names a document, not a time (one reading of years: years.years_named)
    assert covers("根据《实施意见》（杭政办函〔2017〕59号），杭州将加快发展生物医药。")
    assert not covers("2016—2017年，杭州生物医药产业保持较快增长。")


def test_a_who_question_gets_the_sentence_that_names_someone(kb):
    """苏州BioBAY三期B区开园那天，管委会是谁到场的: the opening sentence matches the question most and names
    no one, so alone it was declined (names no one); the next sentence of the place says who came."""
    from knowledge.answer import extract
    from knowledge.answer_types import names_someone

    opening = "7月18日上午，苏州生物医药产业园（BioBAY）三期B区正式开园，首批21家新企业同日入驻。"
    guests = "园区党工委副书记、管委会主任林小明，管委会副主任倪乾到场参加活动。"
    query = kb.retriever.analyze("苏州BioBAY三期B区开园那天，管委会是谁到场的？")

    def names(text):
        return names_someone(kb.retriever.tokenizer.tagged(text))

    text, sources = extract([_passage([opening, guests])], query, max_chars=400, names=names)
    assert "林小明" in sources[0].snippet and "开园" in sources[0].snippet
    # without the names read, the sentence that matched most is all it cites; a question not asking who
    # is not given the other sentence either
    assert "林小明" not in extract([_passage([opening, guests])], query, max_chars=400)[1][0].snippet
    opened = kb.retriever.analyze("苏州BioBAY三期B区哪天开园？")
    assert "林小明" not in extract([_passage([opening, guests])], opened, max_chars=400, names=names)[1][0].snippet


def test_the_context_of_a_table_row_is_not_the_next_row():
    """青梧区总建筑面基是多少 was answered with 青梧区's row and, as context, 橙洲区's row after it (约15.8万
    平方米): a row of the same table is another record, not the sentence around the answer."""
    from knowledge.answer import _in_context

    rows = [
        "园区：杭州生物科技谷·青梧区，总建筑面积：约5.7万平方米，已有企业意向入驻。",
        "园区：杭州生物科技谷·橙洲区，总建筑面积：约15.8万平方米，主体结构已经完工。",
        "三大园区建成后将形成完整的产业链。",
    ]
    passage = [(0, "".join(rows))]
    assert _in_context([rows[0]], passage, 400, set()) == [rows[0]]
    # prose around a row still joins it
    prose = ["眼下，三大新产业园正加紧施工。", rows[1]]
    assert _in_context([rows[1]], [(0, "".join(prose))], 400, set()) == prose


def test_a_passage_is_read_with_the_place_its_document_applies_to():
    """滨江那边BT+IT技术研发项目，单个企业一年最多能拿多少奖励 is answered by a row of a 滨江区 policy that never
    says 滨江 (序号：1，支持领域：…): the place the document applies to names every passage of it, as its
    title does. Another document's passage with the same words does not."""
    from knowledge.query import Concept

    binjiang = Concept(term="滨江", forms=("滨江",))
    row = {"title": "实施意见政策解读", "heading": "", "text": "支持领域：鼓励BT+IT融合发展，最高奖励300万元。"}
    assert units_of({**row, "scope": "滨江区"})[0].covers(binjiang)
    assert not units_of({**row, "scope": "萧山区"})[0].covers(binjiang)
    assert not units_of(row)[0].covers(binjiang)


def test_a_word_of_the_question_no_dictionary_lists_must_be_in_the_answer():
    """美迪西杭州中心是哪年开业的 got the park's opening day: 美迪西, a name the documents use and jieba's
    dictionary lacks, was in neither the answer nor its document's title. A dictionary word (开业) is the
    model's to weigh, and a cut that starts or ends with a stopword (来建) is not a name."""
    from knowledge.decide import missing_own_words
    from knowledge.query import Concept, Query

    class Words:
        stopwords = {"来", "的"}

        @staticmethod
        def known(word):
            return word in {"开业", "中心"}

    terms = [Concept(term=t, forms=(t,), source="word", known=True) for t in ("美迪西", "开业", "来建")]
    query = Query(question="", text="", concepts=terms, english=False)
    assert missing_own_words(query, "杭州临空生物医药园于3月11日开园。", Words) == ["美迪西"]
    assert missing_own_words(query, "美迪西杭州中心于2023年开业。", Words) == []
    unknown = [Concept(term="美迪西", forms=("美迪西",), source="word", known=False)]  # in no document
    assert missing_own_words(Query(question="", text="", concepts=unknown, english=False), "开园。", Words) == []


def test_an_answer_does_not_end_on_the_next_parts_heading():
    """按杭州2021年的若干意见…要冲万亿级 was answered with its sentence and, as context, （二）重点领域。: the
    heading of the next part, with nothing of that part after it (a passage ends there, or the budget
    does). 38 of 471 answers to the dev questions ended on such a heading (五、政策包括哪些具体条款？)."""
    from knowledge.answer import _in_context

    goal = "到2030年力争全市生物医药与健康产业规模达到万亿级。"
    heading, scope = "（二）重点领域。", "本意见重点支持药品、高端医疗器械、先进制药装备及材料等领域。"
    opening = ["（一）主要目标。", "立足现有基础。", goal]
    assert _in_context([goal], [(0, "".join(opening) + heading)], 400, set()) == opening
    # the next part's sentence does not fit the budget: its heading is not said either
    budget = len(goal) + len(heading) + len(scope) - 1
    assert _in_context([goal], [(0, goal + heading + scope)], budget, set()) == [goal]
    # with room for what the heading announces, the two come together
    assert _in_context([goal], [(0, "".join(opening) + heading + scope)], 400, set()) == [*opening, heading, scope]
    # an entry of an enumeration is not a heading: 1. 申请表（附件1）； brings 2. 基本情况简介；
    items = ["1. 项目申请表（附件1）；", "2. 基本情况简介；"]
    assert _in_context([items[0]], [(0, "".join(items))], 400, set()) == items
