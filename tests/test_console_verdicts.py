"""What decided an answer, in the staff's words (bot/console/verdicts.py)."""

from bot.console.verdicts import reason_text, verdict_text


def test_a_threshold_verdict_names_the_threshold_that_applied():
    assert verdict_text(True, 0.953, 0.89) == "回答（置信度 0.95 ≥ 阈值 0.89）"
    assert verdict_text(False, 0.85, 0.89) == "不回答（置信度 0.85 < 阈值 0.89）"


def test_a_fact_that_declined_is_said_instead_of_a_threshold():
    assert verdict_text(False, 0.0, None, "no phone") == "不回答：段落里没有所问的电话号码"
    assert verdict_text(False, 0.93, 0.83, "a plan, not what is") == "不回答：引用的句子只有规划，问的是现状"
    assert reason_text("no figure in 名") == "段落里没有以“名”计的数字"
    assert reason_text("not about 2023年") == "段落没有提到问题里的“2023年”"
    assert reason_text("something new") == "something new"  # shown as it is, never hidden
