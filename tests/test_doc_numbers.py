"""A 文号 in a question names its document (knowledge/doc_numbers.py)."""

from __future__ import annotations

from knowledge.answer_types import about_document
from knowledge.doc_numbers import DocNumbers

ROWS = [
    {"doc_id": "2022-hz", "doc_number": "杭政办函〔2022〕59号"},
    {"doc_id": "2022-hz", "doc_number": "杭政办函〔2022〕59号"},
    {"doc_id": "2021-hz", "doc_number": "杭政办函 〔2021〕 39号"},
    {"doc_id": "2023-xs", "doc_number": "萧委〔2023〕4号"},
    {"doc_id": "2018-hz", "doc_number": ""},
]


def named(numbers: DocNumbers, question: str) -> frozenset[str]:
    return frozenset(doc for _, doc in numbers.matches(question))


def spans(numbers: DocNumbers, question: str) -> list[str]:
    return list(dict.fromkeys(span for span, _ in numbers.matches(question)))


def test_a_question_giving_a_wen_hao_names_the_document_that_carries_it():
    numbers = DocNumbers(ROWS)
    # run into the question's own words, in traditional characters or with spaces, it is still the number
    assert named(numbers, "按现行的杭政办函〔2022〕59号，一类新药能奖多少？") == {"2022-hz"}
    assert named(numbers, "杭政辦函〔2021〕39號提出多少年內翻番？") == {"2021-hz"}
    assert named(numbers, "萧委 〔2023〕 4号是哪两个单位联合发的？") == {"2023-xs"}
    assert numbers.rows(named(numbers, "萧委〔2023〕4号有效期多久")) == [3]
    assert numbers.rows(frozenset({"2022-hz"})) == [0, 1]


def test_a_number_no_document_carries_narrows_nothing():
    numbers = DocNumbers(ROWS)
    # cited inside a document, not its own: every document may still answer
    assert named(numbers, "萧山区块方案贯彻的国发〔2020〕10号是什么？") == frozenset()
    # the same year and number under another issuer is another document
    assert named(numbers, "浙政办函〔2022〕59号讲了什么？") == frozenset()
    assert named(numbers, "杭州的生物医药政策有哪些？") == frozenset()


def test_which_units_issued_it_is_a_question_about_the_document():
    assert about_document("萧委〔2023〕4号是哪两个单位联合发的？")
    assert about_document("这个文件是哪个部门发的？")
    assert not about_document("园区有哪些单位入驻？")


def test_the_wen_hao_a_question_gives_is_not_what_it_asks(kb):
    numbers = DocNumbers(ROWS)
    assert spans(numbers, "杭政辦函〔2021〕39號提出多少年內翻番？") == ["杭政办函〔2021〕39号"]
    assert spans(numbers, "萧山区块方案贯彻的国发〔2020〕10号是什么？") == []  # cited only: it is asked about
    # a 文号 no document of the index carries stays in the question (the `kb` fixture's index has none)
    kept = [c.term for c in kb.retriever.analyze("杭政办函〔2021〕39号提出多少年内让产值翻番？").terms]
    assert "翻番" in kept and "39" in kept
