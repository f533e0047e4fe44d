"""A table row whose cells hold sentences of their own keeps saying which row each sentence stands in."""

from knowledge.structure import pieces

COMPARISON = (
    "| 程序 | 纳入条件 | 政策支持 |\n| --- | --- | --- |\n"
    "| 突破性治疗药物程序 | 临床试验期间的创新药。 | （1）可与审评人员沟通交流；（2）可提交阶段性资料。 |\n"
    "| 优先审评审批程序 | 临床急需的短缺药品。 | （1）上市许可申请的审评时限为一百三十日；（2）罕见病药品审评时限为七十日。 |\n"
)


def test_every_sentence_of_a_long_cell_names_its_row_and_column():
    texts = [p.text for p in pieces(COMPARISON)]
    # the 130 days are priority review's: the sentence stating them says so, not "，政策支持：（1）…"
    assert "优先审评审批程序，政策支持：（2）罕见病药品审评时限为七十日。" in texts, texts
    assert any(t.startswith("程序：优先审评审批程序，纳入条件：临床急需的短缺药品，政策支持：（1）") for t in texts), (
        texts
    )
    assert not any(t.startswith(("，", "（2）")) for t in texts), texts
    assert sum("突破性治疗药物程序" in t for t in texts) == 2  # its own two sentences, never the other row's


def test_a_row_of_short_cells_stays_one_sentence():
    text = "| 园区 | 总建筑面积 | 建设进度 |\n|---|---|---|\n| 青梧区 | 约5.7万平方米 | 基础施工阶段，已有企业意向入驻。 |\n"
    assert [p.text for p in pieces(text)] == [
        "园区：青梧区，总建筑面积：约5.7万平方米，建设进度：基础施工阶段，已有企业意向入驻。"
    ]
    # a two-column table of label and value: one sentence a row, ended once
    pairs = "| 项目 | 内容 |\n|---|---|\n| 进度 | 基础施工阶段。 |\n"
    assert [p.text for p in pieces(pairs)] == ["进度：基础施工阶段。"]
