"""One table of numbering forms, read by headings, list answers, enumeration and PDF unwrapping alike."""

from knowledge import numbering
from knowledge.answer_types import enumerates
from knowledge.readers import unwrap_lines
from knowledge.structure import pieces


def test_a_figure_with_a_decimal_point_opens_nothing():
    # 1.5亿元 opened a list item in the answer's pattern and not in the part pattern before they were one
    assert not numbering.opens_item("1.5亿元用于支持临床试验。")
    assert not numbering.opens_part("1.5亿元用于支持临床试验。")
    assert numbering.opens_item("1. 申请表（附件1）；")
    assert numbering.opens_part("3、对首次取得注册证的产品给予奖励。")


def test_parts_and_items_differ_where_a_list_only_marks_an_item():
    for part in (
        "第五条 本办法自发布之日起施行。",
        "（二）重点领域。",
        "（3）设备购置补助。",
        "二、支持政策",
        "第一章 总则",
    ):
        assert numbering.opens_part(part), part
        assert numbering.opens_item(part), part
    for item in ("一是加强要素保障；", "• 共享实验室", "- 孵化器集群"):
        assert numbering.opens_item(item), item
        assert not numbering.opens_part(item), item
    assert not numbering.opens_item("园区位于萧山机场西侧。")


def test_heading_levels_outermost_first():
    assert numbering.heading_level("第一章 总则") == 1
    assert numbering.heading_level("第二节 资金管理") == 2
    assert numbering.heading_level("三、保障措施") == 2
    assert numbering.heading_level("（一）主要目标") == 3
    # an article or a numbered paragraph is body text until its length says otherwise (structure.py)
    assert numbering.heading_level("第五条 本办法自发布之日起施行") == 0
    assert numbering.heading_level("1. 申请表") == 0


def test_markers_inside_running_text_count_items_not_references_or_decimals():
    assert numbering.markers_in("一是强化平台支撑，二是优化审评服务。") == 2
    assert numbering.markers_in("（一）加强研发；（二）扩大生产。") == 2
    assert numbering.markers_in("根据第三条和第五条的规定执行。") == 0
    assert numbering.markers_in("2024.05发布，规模1.5亿元，增长2.3%。") == 0
    assert enumerates("方案提出两项任务：1.建设平台 2.引进人才")
    assert not enumerates("根据第三条和第五条的规定执行。")


def test_the_same_forms_cut_headings_and_join_wrapped_pdf_lines():
    text = "（一）主要目标\n到2027年，园区产业规模达到千亿元级。\n（二）重点任务\n建设公共服务平台。"
    headings = {p.heading for p in pieces(text)}
    assert any(h.endswith("（二）重点任务") for h in headings), headings
    wrapped = "园区对首次取得三类医疗器械注册证的企业给予奖励，对取得二类注册证的企业\n一是给予一次性补助"
    # the second line opens an item (一是): kept apart though the first line looks wrapped
    assert unwrap_lines(wrapped).count("\n") == 1
    joined = "园区对首次取得三类医疗器械注册证的企业给予奖励，对取得二类注册证的企业\n1.5倍的配套支持。"
    assert unwrap_lines(joined).count("\n") == 0
