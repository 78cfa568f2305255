"""The command line: the README's main job and its error paths."""

from __future__ import annotations

import pandas as pd

from past_outcomes.cli import main


def test_score_a_bundled_dataset_writes_csv_and_prints_a_summary(tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", "--dataset", "past_pilot", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Scored 114 administrations of FSDS-R, FSFI, GAD-7, IIEF, PCL-5, PHQ-9." in printed
    assert "phq9_band: " in printed
    scores = pd.read_csv(out)
    assert list(scores.columns[:2]) == ["subject", "timepoint"]
    assert len(scores) == 114 and "fsfi_total" in scores.columns


def test_score_a_file_with_bad_answers_exits_1_with_the_failure_list(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    rows = [[1] * 9, [1, 1, 1, 1, 1, 1, 1, 1, 5]]
    pd.DataFrame(rows, columns=[f"phq9_{i}" for i in range(1, 10)]).to_csv(path, index=False)
    assert main(["score", str(path), "--instrument", "phq9"]) == 1
    err = capsys.readouterr().err
    # rows are named by file line: the header is line 1, the second data row line 3
    assert "phq9_9 must be an integer from 0 to 3; got 5 in row 3" in err
    assert f"Row numbers are line numbers of {path}; the header is line 1." in err


def test_score_needs_exactly_one_input(capsys):
    assert main(["score"]) == 2  # a command-line error
    assert "needs either a FILE or --dataset" in capsys.readouterr().err


def test_instruments_lists_the_bundled_specs(capsys):
    assert main(["instruments"]) == 0
    printed = capsys.readouterr().out
    assert "fsfi" in printed and "Female Sexual Function Index" in printed
