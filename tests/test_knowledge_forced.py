"""`python -m knowledge forced`: every question answered with the decision off (knowledge/forced.py)."""

from __future__ import annotations

import pytest

from knowledge.evalset import Case
from knowledge.forced import answered, ask_all, misses, summary

SEED = "2024-03-12-lingkong-biomedicine-park-opens"


def test_the_decision_is_off_but_the_rules_still_decline(kb):
    cases = [
        Case(q="园区在哪里？", kind="answerable", doc=SEED, expect=["机场西侧"]),
        Case(q="园区在哪里？", kind="answerable", doc=SEED, expect=["一个不在文中的事实"]),
        Case(q="Where is the park?", kind="answerable", doc=SEED, expect=["机场西侧"], style="english"),
        Case(q="园区目前已经入驻了多少家企业？", kind="unknown"),  # a plan (到2027年…) is not what is: a rule declines
        Case(q="园区厂房的租金是每平方米多少钱？", kind="unknown"),  # answered anyway: the decision is off
    ]
    rows = ask_all(kb, cases)
    assert [r.verdict for r in rows] == ["right", "wrong", "right", "declined", "wrong"]
    assert rows[0].first and rows[0].among
    assert rows[3].because == "a plan, not what is"
    assert summary(rows).splitlines() == [
        "answerable 3: right 2, wrong 1, declined by a rule 0, no passage 0; answering document ranked first 3,"
        " among the first 5 3",
        "ceiling, a perfect decision: right Chinese 1 of 2 (50.0 %), English 1 of 1 (100.0 %)",
        "unanswerable 2: answered anyway 1, declined by a rule 1",
    ]
    (missed,) = misses(rows)  # the one answer gone wrong with its document ranked first
    assert "一个不在文中的事实" in missed
    (said,) = answered(rows)  # the one question no document answers, answered anyway
    assert said.startswith("  园区厂房的租金是每平方米多少钱？\n    said: ") and len(said.splitlines()) == 2


@pytest.mark.parametrize("name", ["heldout", "heldout2"])
def test_the_held_out_sets_are_refused(name, capsys):
    """Neither command that lists answers shows a held-out set's: `forced` answers none of its questions, and
    `eval --failures` refuses before any corpus is built."""
    from knowledge.__main__ import main as cli

    assert cli(["forced", "--set", name]) == 2
    assert "must not be read" in capsys.readouterr().err
    assert cli(["eval", "--no-ablation", "--set", "dev", "--failures", name]) == 2
    assert "must not be read" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["dev9", ""])
def test_an_unknown_set_is_refused_before_anything_is_built(name, capsys):
    from knowledge.__main__ import main as cli

    with pytest.raises(SystemExit) as stopped:
        cli(["forced", "--set", name])
    assert stopped.value.code == 2
