"""The test corpus is what the issue asks for, and the engine holds its floors on it.

The floors sit a little under what the full engine measured when they were set
(2026-11-29; the held-out set is scored once per design change, never tuned
on): held-out 17.7 % answered right, 97.1 % of unanswerable declined, 0.6 %
wrong; dev 24.3 / 100 / 0.5 %; the seed release's dev set 88.4 % right (95.2 %
of its English questions) on the shipped knowledge. A
change that loses answers or adds wrong ones fails here, not in production.
"""

from __future__ import annotations

import collections
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from knowledge import Settings
from knowledge.evalset import Case, load_cases, verdict
from knowledge.evaluate import CORPUS_DIR, CORPUS_SETS, SEED_DEV, evaluate
from knowledge.scope import places_for
from knowledge.text import normalize

sys.path.insert(0, str(CORPUS_DIR))
import split  # noqa: E402 (the corpus folder's split rule)

pytestmark = pytest.mark.slow  # builds indexes and scores the whole evaluation corpus: left out of make test-fast

DEV = load_cases(CORPUS_DIR / "dev.yml")
HELDOUT = load_cases(CORPUS_DIR / "heldout.yml")
DEV2 = load_cases(CORPUS_DIR / "dev2.yml")  # a second dev batch, written later from dev documents only
DEV3 = load_cases(CORPUS_DIR / "dev3.yml")  # a third, likewise
DEV4 = load_cases(CORPUS_DIR / "dev4.yml")  # a fourth, likewise (2026-12-01)
HELDOUT2 = load_cases(CORPUS_DIR / "heldout2.yml")  # new questions on the held-out documents (2026-12-02)
# Eight documents new to the corpus (2026-12-02), their questions split by the same rule
DEV5 = load_cases(CORPUS_DIR / "dev5.yml")
HELDOUT3 = load_cases(CORPUS_DIR / "heldout3.yml")
# Six more (2026-12-03), likewise
DEV6 = load_cases(CORPUS_DIR / "dev6.yml")
HELDOUT4 = load_cases(CORPUS_DIR / "heldout4.yml")
ALL = DEV + DEV2 + DEV3 + DEV4 + DEV5 + DEV6 + HELDOUT + HELDOUT2 + HELDOUT3 + HELDOUT4
MANIFEST = yaml.safe_load((CORPUS_DIR / "manifest.yml").read_text("utf-8"))


def test_the_corpus_has_what_the_issue_asks_for():
    assert len(MANIFEST) >= 25
    places = places_for(Settings().lexicon_dir)
    for entry in MANIFEST:
        assert (CORPUS_DIR / entry["path"]).exists(), entry["path"]
        assert entry["scope"] in places.by_name, (entry["path"], entry["scope"])
        assert entry.get("source", {}).get("url") or "seed" in str(entry.get("quirks")), entry["path"]
    scopes = {e["scope"] for e in MANIFEST}
    assert {"杭州生物科技谷", "萧山区", "杭州市", "浙江省", "全国"} <= scopes and len(scopes - places.park_chain) >= 4
    quirks = collections.Counter(q for e in MANIFEST for q in e.get("quirks", []))
    for quirk in ("repost-furniture", "hotline", "traditional", "no-date", "table"):
        assert quirks[quirk] >= 1, quirk
    kinds = collections.Counter(c.kind for c in ALL)
    assert len(ALL) >= 300
    assert kinds["unknown"] / len(ALL) >= 0.25
    assert sum(c.style == "english" for c in ALL) / len(ALL) >= 0.10
    assert sum(c.trap for c in ALL) / len(ALL) >= 0.10
    assert len({normalize(c.q) for c in ALL}) == len(ALL), "a question is listed twice"


def test_every_question_sits_where_the_split_rule_puts_it():
    for case in DEV + DEV5 + DEV6:
        assert not split.held_out({"q": case.q, "doc": case.doc, "docs": case.docs}), case.q
    for case in HELDOUT + HELDOUT3 + HELDOUT4:
        assert split.held_out({"q": case.q, "doc": case.doc, "docs": case.docs}), case.q


def test_the_second_held_out_batch_asks_only_about_held_out_documents():
    """heldout2.yml measures documents the engine was not tuned on: each answer it expects is on one."""
    for case in HELDOUT2:
        assert case.kind != "answerable" or split.held_out_doc(case.doc), case.q


def test_the_later_dev_batches_ask_only_about_dev_documents():
    """dev2.yml, dev3.yml and dev4.yml were written later, from the dev documents only: nothing of a
    held-out document leaks in."""
    for case in DEV2 + DEV3 + DEV4:
        assert not any(d and split.held_out_doc(d) for d in [case.doc, *case.docs]), case.q


def test_every_expected_span_is_in_its_twin():
    twins = {
        Path(e["path"]).stem: normalize((CORPUS_DIR / e["path"]).read_text("utf-8")).replace(" ", "") for e in MANIFEST
    }
    for case in ALL:
        if case.kind == "answerable":
            assert case.doc in twins, case.q
            assert any(normalize(e).replace(" ", "") in twins[case.doc] for e in case.expect), (case.q, case.expect)


class _Answer:
    def __init__(self, text, doc_id="", abstained=False):
        self.text, self.abstained = text, abstained
        self.hits = [type("H", (), {"doc_id": doc_id})()]


def test_a_verdict_needs_the_fact_the_document_and_no_other_places_figure():
    case = Case(q="园区有多少重点项目", kind="answerable", doc="seed", expect=["31个"], wrong=["48个"])
    docs = {"seed": "已集聚31个重点项目", "other": "已集聚31个重点项目", "elsewhere": "无关"}
    applies = lambda doc_id, _case: doc_id != "other"  # noqa: E731 (a document of another place)
    assert verdict(case, _Answer("已集聚31个重点项目", "seed"), docs, applies) == "right"
    assert verdict(case, _Answer("", abstained=True), docs, applies) == "declined"
    assert verdict(case, _Answer("已集聚31个重点项目", "other"), docs, applies) == "wrong"
    assert verdict(case, _Answer("已集聚31个、48个", "seed"), docs, applies) == "wrong"
    assert verdict(case, _Answer("园区位于机场西侧", "seed"), docs, applies) == "wrong"
    dated = Case(q="政策解读是哪天发布的", kind="answerable", doc="seed", expect=["2023-11-22"])
    assert verdict(dated, _Answer("于2023年11月22日发布", "seed"), {"seed": "2023年11月22日"}, applies) == "right"
    assert verdict(dated, _Answer("于2023年11月2日发布", "seed"), {"seed": "2023年11月2日"}, applies) == "wrong"
    unknown = Case(q="园区食堂多少钱", kind="unknown")
    assert verdict(unknown, _Answer("", abstained=True), docs, applies) == "declined"
    assert verdict(unknown, _Answer("园区位于机场西侧", "seed"), docs, applies) == "wrong"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    settings = Settings.from_env()
    return evaluate(
        CORPUS_SETS,
        settings,
        work_dir=tmp_path_factory.mktemp("corpus"),
        ablation=False,
    )


# (most wrong of all, fewest declined of the unanswerable, fewest right of the answerable), a little under what
# each set measured. When set (2026-11-30, answers read in context, thresholds on document-held-out folds): right %
# held-out 19.2, dev 36.8, dev2 36.1, dev3 25.8; wrong % 0.6, 0.0, 0.4, 0.0; declined % 97.1, 100, 100, 100.
FLOORS = {
    "heldout": (0.015, 0.95, 0.16),
    "dev": (0.01, 0.0, 0.32),
    "dev2": (0.015, 0.0, 0.31),
    # not learned from (evaluate.TRAINING_SETS); first scored before anything was tuned on it: 11.6 % right
    "dev3": (0.015, 0.95, 0.20),
    # likewise; first scored (2026-12-01) 24.6 / 95.2 / 2.5 % (right, declined, wrong), then 24.1 / 96.8 / 1.5 %
    "dev4": (0.02, 0.95, 0.22),
    # held out like heldout: first scored 2026-12-02 (15.3 / 100 / 0.0 %), failures not read
    "heldout2": (0.015, 0.95, 0.12),
    # dev5 and heldout3 ask about eight documents new to the corpus (2026-12-02). First scored before any change:
    # dev5 27.7 / 92.7 / 6.8 %, heldout3 19.6 / 95.8 / 2.5 %; after the rules found on dev5: 34.0 / 100 / 1.1 % and
    # 21.4 / 91.7 / 3.8 % (3 wrong of 80, failures not read). On documents it has not met, the engine is not yet as
    # safe as on the others.
    "dev5": (0.025, 0.95, 0.30),
    "heldout3": (0.05, 0.85, 0.18),
    # dev6 and heldout4 ask about six more documents (2026-12-03), first scored before any change (the new
    # documents moved heldout3 to 21.4 / 95.8 / 2.5 % and dev5 to 34.0 / 100 / 2.3 %): dev6 26.5 / 100 / 0.0 %,
    # heldout4 31.2 / 100 / 3.5 % (2 wrong of 57, both traps; failures not read).
    "dev6": (0.02, 0.95, 0.22),
    "heldout4": (0.06, 0.95, 0.26),
}


def test_held_out_and_dev_hold_their_floors(report):
    for name, (wrong, declined, right) in FLOORS.items():
        summary = report["variants"]["full"][name]
        assert summary["wrong_of_all"] <= wrong, (name, summary)
        assert summary["declined_unanswerable"] >= declined, (name, summary)
        assert summary["answered_right"] >= right, (name, summary)


def test_right_answers_owe_their_fact_to_the_sentences_they_cite(report):
    """An answer is read with the sentences around it (answer._in_context); the grader finds the fact
    anywhere in it. Right answers whose fact is only in that context, not in the cited snippet, stay
    rare (2026-11-30, right % and right with the fact in the snippet: held-out 19.2 and 17.7, dev2 36.1 and
    34.9, dev and dev3 the same). dev4, new in 2026-12-01, reads 24.8 and 21.2: five right answers of 138
    found their fact in the sentence after the cited one (苏州生物医药产业园…形成了…产业创新生态), so the bound
    is four points, not the three it was set at; or two questions, for a set as small as dev5 (47 answerable,
    two of them right from the context: 4.2 points)."""
    for name, summary in report["variants"]["full"].items():
        bound = max(0.04, 2 / summary["answerable"])
        assert summary["right_in_snippet"] >= summary["answered_right"] - bound, (name, summary)


def test_a_declined_question_is_pointed_to_its_document_and_never_elsewhere(report):
    """Measured when set (2026-11-30): held-out 87.4 %, dev 90.9 %, dev2 93.8 % of the declined
    answerable questions listed the answering document; no list named another place's document."""
    for name, floor in (
        ("heldout", 0.8),
        ("heldout2", 0.8),
        ("dev", 0.85),
        ("dev2", 0.85),
        ("dev3", 0.85),
        ("dev4", 0.85),
        ("dev5", 0.85),
        ("heldout3", 0.8),
        ("dev6", 0.85),
        ("heldout4", 0.8),
    ):
        summary = report["variants"]["full"][name]
        assert summary["declined_pointed_right"] >= floor, (name, summary["declined_pointed_right"])
        assert summary["pointed_elsewhere"] == 0, name


def test_a_question_about_the_park_is_never_answered_from_another_place(report):
    scope_of = {Path(e["path"]).stem: e["scope"] for e in MANIFEST}
    places = places_for(Settings().lexicon_dir)
    for name in CORPUS_SETS:
        for row in report["cases"][name]:
            if row["cited"] and not places.asked(row["q"]).named:
                assert scope_of[row["cited"]] in places.park_chain, row


def test_the_seed_dev_set_does_not_regress(tmp_path):
    settings = Settings.from_env()
    seed = evaluate({"seed": SEED_DEV}, settings, corpus_dir=settings.docs_dir, work_dir=tmp_path, ablation=False)
    score = seed["variants"]["full"]["seed"]
    # 87.2 % right and 0.5 % wrong (one question) with answers read in context and thresholds on
    # document-held-out folds; 86.4 % and none wrong before (2026-11-30).
    assert score["answered_right"] >= 0.86, score
    assert score["wrong_of_all"] <= 0.02, score
    assert score["english_right"] >= 0.85, score


def test_the_ablation_scores_every_part_on_the_same_index(tmp_path):
    small = tmp_path / "small.yml"
    small.write_text(
        yaml.safe_dump(
            [
                {"q": "园区在哪里？", "kind": "answerable", "doc": split.SEED, "expect": ["机场西侧"]},
                {"q": "园区食堂一顿饭多少钱？", "kind": "unknown"},
            ],
            allow_unicode=True,
        ),
        "utf-8",
    )
    settings = replace(Settings.from_env())
    out = evaluate({"small": small}, settings, corpus_dir=settings.docs_dir, work_dir=tmp_path / "w")
    assert list(out["variants"]) == [
        "full",
        "no-thesaurus",
        "no-scope",
        "no-answer-types",
        "no-translation",
        "threshold-not-learned",
    ]
    full = out["variants"]["full"]["small"]
    assert full["answered_right"] == 1.0 and full["declined_unanswerable"] == 1.0


def test_eval_takes_a_set_by_name_or_path_and_refuses_anything_else(tmp_path, capsys):
    """`eval --set dev` once crashed with a traceback (it read "dev" as a file): a name the evaluation
    knows is its set, a file is read as one, and anything else stops argument parsing with the names."""
    from knowledge.__main__ import main as cli
    from knowledge.cli_measure import question_set

    assert question_set("heldout") == CORPUS_SETS["heldout"]
    own = tmp_path / "mine.yml"
    own.write_text("[]\n", "utf-8")
    assert question_set(str(own)) == own
    with pytest.raises(SystemExit) as stopped:
        cli(["eval", "--no-ablation", "--set", "dev9"])
    assert stopped.value.code == 2
    assert "no question set 'dev9'" in capsys.readouterr().err


def test_wrong_answers_are_reported_with_the_interval_a_set_of_this_size_allows():
    """One wrong answer in 165 held-out questions is 0.6 %, with a 95 % interval of 0.1-3.4 %: two
    (1.2 %) sit inside it, so a single scoring cannot tell them apart; a larger set narrows it."""
    from knowledge.evaluate import wilson

    one = wilson(1, 165)
    assert 0.0010 < one[0] < 0.0012 and 0.033 < one[1] < 0.034
    assert one[0] < 2 / 165 < one[1]
    many = wilson(10, 1650)
    assert many[1] - many[0] < one[1] - one[0]
    assert wilson(0, 165)[0] == 0.0 and wilson(165, 165)[1] == 1.0


def test_the_interval_is_taken_on_the_count_of_wrong_answers_not_a_rounded_share():
    """The table once recovered the count from the rounded share (wrong_of_all x questions); the
    summary now carries the count itself, and the table's "k of n" is it."""
    from knowledge.evaluate import summarize, table

    def row(kind, verdict):
        return {
            "kind": kind,
            "style": "plain",
            "trap": False,
            "verdict": verdict,
            "in_snippet": False,
            "pointed_right": False,
            "pointers": 0,
            "pointed_elsewhere": False,
            "scope": "park",
        }

    rows = [row("unknown", "wrong")] * 3 + [row("answerable", "right")] * 4 + [row("unknown", "declined")] * 19994
    summary = summarize(rows)
    assert summary["wrong"] == 3 and round(summary["wrong_of_all"] * 20001) == 2  # the share rounds 3 away
    assert "  dev: 3 of 20001," in table({"variants": {"full": {"dev": summary}}})
