"""A question about what is inside a thing (X里有哪些…) and an answer that names X as one item of a list."""

from knowledge.decide import Cited, answer_gate

ECOSYSTEM = "园区将构建包括专家智库、峰会活动、共享平台、孵化器集群等多项内容的产业生态。"
TRACKS = "园区以生物医药为主导产业，主要细分赛道是：创新疗治法及CXO、高端医疗器械、合成生物（含高端美妆）。"
PLATFORMS = "积极争取全国重点实验室、国家工程研究中心、国家技术创新中心等更多国家级平台在我省落地。"


def test_asked_into_a_thing_the_list_naming_it_as_an_item_does_not_answer(kb):
    """dev4's two wrong answers: 园区专家智库里都有哪些专家 got the curated ecosystem entry, and 园区高端医疗器械
    方向里包括体外诊段吗 the curated tracks. Each names the thing asked into as one item of a list; curated
    entries are held to it too (staff wrote what the entry answers, not what is inside each item)."""
    experts = kb.retriever.analyze("园区专家智库里都有哪些专家？")
    assert answer_gate(experts, Cited(ECOSYSTEM, curated=True)) == "names 专家智库 only as an item"
    ivd = kb.retriever.analyze("园区高端医疗器械方向里包括体外诊段吗？")
    assert answer_gate(ivd, Cited(TRACKS, curated=True)).endswith("only as an item")


def test_a_list_of_the_things_contents_answers(kb):
    # X's contents: the list is what X holds, and it names what was asked after the marker
    platforms = kb.retriever.analyze("浙江若干举措争取落地的国家级平台里有国家工程研究中心吗？")
    assert answer_gate(platforms, Cited(PLATFORMS)) == ""
    # X introduces the list (细分赛道是：…), it is not one of its items
    tracks = kb.retriever.analyze("咱们生物医药园的细分赛道里有高端医疗器械吗？")
    assert answer_gate(tracks, Cited(TRACKS, curated=True)) == ""
    # asked about X itself, not into it: the item answers
    think_tank = kb.retriever.analyze("园区有专家智库吗？")
    assert answer_gate(think_tank, Cited(ECOSYSTEM, curated=True)) == ""
