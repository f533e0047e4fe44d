"""What decided an answer, in the staff's words (bot/console/verdicts.py)."""

import re

from bot.console.verdicts import reason_text, verdict_text


def test_a_threshold_verdict_names_the_threshold_that_applied():
    assert verdict_text(True, 0.953, 0.89) == "回答（置信度 0.95 ≥ 阈值 0.89）"
    assert verdict_text(False, 0.85, 0.89) == "不回答（置信度 0.85 < 阈值 0.89）"


def test_a_fact_that_declined_is_said_instead_of_a_threshold():
    assert verdict_text(False, 0.0, None, "no phone") == "不回答：段落里没有所问的电话号码"
    assert verdict_text(False, 0.93, 0.83, "a plan, not what is") == "不回答：引用的句子只有规划，问的是现状"
    assert reason_text("no figure in 名") == "段落里没有以“名”计的数字"
    # every kind of answer a question can want has its Chinese name, the figure too
    from knowledge.answer_types import KINDS

    for kind in KINDS:
        assert re.fullmatch(r"段落里没有所问的[\u4e00-\u9fff]+", reason_text(f"no {kind}")), kind
    assert reason_text("not about 2023年") == "段落没有提到问题里的“2023年”"
    assert reason_text("something new") == "something new"  # shown as it is, never hidden


def test_every_reason_the_engine_gives_is_said_in_chinese():
    """A reason added to knowledge.decide without its Chinese fails here, not in front of staff."""
    from bot.console.verdicts import CHINESE
    from knowledge.decide import DECLINE_REASONS, reason

    assert set(CHINESE) == set(DECLINE_REASONS)
    for code in DECLINE_REASONS:
        said = reason_text(reason(code, "名"))
        assert said != reason(code, "名") and re.search(r"[\u4e00-\u9fff]{4}", said), code
    assert reason_text(reason("no_list")) == "引用的句子没有列出所问的各项"  # not read as "no {}" with "list"
