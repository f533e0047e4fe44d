"""What a question gives is not its answer: the whole it starts from, or a generic name for who it asks."""

from knowledge.answer_types import asks_who, like_named, restates_given
from knowledge.decide import Cited, answer_gate

SIGNED = "本次云签约的26个重大项目覆盖生物医药、集成电路、人工智能等领域。"


def test_the_quantity_a_question_starts_from_does_not_answer_its_count(kb):
    # dev5's 26个项目里…有几个 got back the 26 it started from; 161家企业里有多少家规上企业 likewise
    part = kb.retriever.analyze("萧山那次云签约的26个项目里，生物医药项目有几个？")
    assert restates_given(part.text, SIGNED)
    assert answer_gate(part, Cited(SIGNED)) == "no number"
    # a figure beyond the given one answers (or is judged by the other rules)
    assert not restates_given(part.text, "26个重大项目中，生物医药项目有9个。")
    assert answer_gate(part, Cited("26个重大项目中，生物医药项目有9个。")) == ""
    # a question that gives no figure is not this rule's
    assert not restates_given("云签约了几个项目？", SIGNED)


def test_naming_the_kind_of_body_before_which_asks_who():
    assert asks_who("医疗器械优先审批程序的审批部门是哪个？")
    assert asks_who("哪个部门负责审批？")
    assert not asks_who("优先审批程序是哪年开始的？")


def test_a_generic_department_names_no_one(kb):
    tagged = kb.retriever.tokenizer.tagged
    who = kb.retriever.analyze("医疗器械优先审批程序的审批部门是哪个？")
    assert (
        answer_gate(who, Cited("注册申报资料的审评依照分类管理原则，转交对应的审评部门。"), tagged=tagged)
        == "names no one"
    )
    assert answer_gate(who, Cited("优先审批申请由国家药品监督管理局医疗器械技术审评中心审核。"), tagged=tagged) == ""


def test_a_question_phrase_of_a_places_form_names_no_place():
    # 天府国际生物城位于成都哪个区 was declined "not about 哪个区": the location synonyms' 哪个区 read as a district
    assert not like_named("哪个区")
    assert like_named("橙洲区") and like_named("第二期")
