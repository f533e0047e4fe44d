"""py-spy's collapsed stacks read as a top-function table (ops/profile_summary.py)."""

import pytest

from ops import profile_summary

RAW = [
    "<module> (app.py:1);handle (/x/lib/python3.10/site-packages/rasa/core/processor.py:10);parse (nlu.py:5) 6",
    "<module> (app.py:1);handle (/x/lib/python3.10/site-packages/rasa/core/processor.py:12);save (store.py:9) 3",
    "<module> (app.py:1);walk (tree.py:3);walk (tree.py:4);walk (tree.py:4) 1",
    "not a sample line",
]


def test_frames_are_named_by_function_and_short_path_not_line():
    assert profile_summary.frame_name("handle (/x/lib/python3.10/site-packages/rasa/core/processor.py:10)") == (
        "handle (rasa/core/processor.py)"
    )
    assert profile_summary.frame_name("parse (nlu.py:5)") == "parse (nlu.py)"


def test_total_counts_a_recursive_function_once_per_sample_and_own_is_the_leaf():
    samples, total, own = profile_summary.summarize(RAW)
    assert samples == 10
    assert total["<module> (app.py)"] == 10
    assert total["handle (rasa/core/processor.py)"] == 9  # two lines of one function are one name
    assert total["walk (tree.py)"] == 1  # three frames, one sample
    assert own["parse (nlu.py)"] == 6 and own["handle (rasa/core/processor.py)"] == 0


def test_report_lists_shares_largest_first():
    text = profile_summary.report(RAW, top=2, title="rasa")
    lines = text.splitlines()
    assert lines[0] == "# rasa" and "10 samples" in lines[1]
    assert lines[3].split()[:2] == ["100.0%", "0.0%"] and "<module>" in lines[3]
    assert lines[4].split()[:2] == ["90.0%", "0.0%"] and "handle" in lines[4]
    assert "60.0%" in lines[6] and "parse (nlu.py)" in lines[6]  # first by own time


def test_main_refuses_a_file_without_samples(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n")
    assert profile_summary.main([str(empty)]) == 1
    full = tmp_path / "raw.txt"
    full.write_text("\n".join(RAW) + "\n")
    assert profile_summary.main([str(full), "--top", "3"]) == 0
    assert "handle (rasa/core/processor.py)" in capsys.readouterr().out


def test_a_part_is_the_share_of_samples_with_a_matching_frame():
    shares = profile_summary.part_shares(RAW, {"rasa": r"rasa/core/", "save": r"^save ", "none": r"nowhere"})
    assert shares == {"rasa": 0.9, "save": 0.3, "none": 0.0}
    text = profile_summary.report(RAW, top=1, parts={"walk": r"^walk "})
    assert text.splitlines()[-1].split()[:2] == ["10.0%", "walk"]


def test_main_refuses_a_part_without_a_regex(tmp_path):
    full = tmp_path / "raw.txt"
    full.write_text("\n".join(RAW) + "\n")
    with pytest.raises(SystemExit):
        profile_summary.main([str(full), "--part", "no regex"])
