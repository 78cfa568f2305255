"""past-outcomes commands through the in-process entry point (issue 11, "Command line")."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from past_outcomes import cli
from past_outcomes._cli_score import PROGRESS_ROWS, round_noise
from past_outcomes.cli import main
from past_outcomes.datasets import DATASETS
from past_outcomes.reports import NOTEBOOKS

PHQ9 = [f"phq9_{i}" for i in range(1, 10)]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_cli_lists_equal_the_package_catalogues():
    assert cli.DATASET_NAMES == tuple(DATASETS)
    assert cli.NOTEBOOK_NAMES == tuple(NOTEBOOKS)
    from past_outcomes._input import SOURCES

    assert cli.SOURCE_NAMES == SOURCES


def test_version_and_every_option_has_help():
    code, out, _ = run(["--version"])
    assert code == 0 and re.fullmatch(r"past-outcomes, version \d+\.\d+\.\d+\S*\n", out)

    def walk(command: click.Command, path: str):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    for path, command in walk(cli.cli, "past-outcomes"):
        assert command.help, path
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{path} {param.opts}"


@pytest.mark.parametrize(
    "argv, listed",
    [
        (["score", "--dataset", "nope"], "'mdma_trial', 'past_pilot', 'past_pilot_sessions'"),
        (["notebooks", "run", "nope"], "'01_scoring', '02_pilot_prepost', '03_two_arm_trial'"),
    ],
)
def test_dataset_and_notebook_names_are_listed_on_a_wrong_one(argv, listed):
    code, out, err = run(argv)
    assert code == 2 and out == ""
    assert err.startswith("error: Invalid value") and listed in err and "Traceback" not in err
    code, out, _ = run([*argv[:-2], "--help"] if argv[0] == "score" else ["notebooks", "run", "-h"])
    assert code == 0 and "practice_rom" in out or "05_psychometrics_and_power" in out


def test_score_maps_identifier_columns_and_keeps_their_names(tmp_path):
    source = write(
        tmp_path / "mine.csv",
        ["client_id", "visit", *PHQ9],
        [["A1", "t0", *[1] * 8, 2], ["A1", "t1", *[1] * 4, None, *[1] * 3, 0]],
    )
    out, errors = tmp_path / "s.csv", tmp_path / "e.csv"
    argv = ["score", str(source), "-i", "phq9", "--subject", "client_id", "--timepoint", "visit"]
    code, printed, err = run([*argv, "-o", str(out), "--errors", str(errors)])
    assert code == 0, err
    scores = pd.read_csv(out)
    assert scores.columns[:3].tolist() == ["client_id", "visit", "phq9_total"]
    assert scores["client_id"].tolist() == ["A1", "A1"]
    # the summary names the client behind the safety flag and behind the missing total
    assert "SAFETY phq9_item9_flag" in printed and "A1 at t0 (line 2)" in printed
    assert "Missing phq9_total (1; an item skipped): A1 at t1 (line 3)." in printed
    assert errors.read_text() == "line,subject,timepoint,column,value,reason,message\n"


def test_a_wrong_subject_option_names_the_columns(tmp_path):
    source = write(tmp_path / "mine.csv", ["client", *PHQ9], [["A", *[0] * 9]])
    code, _, err = run(["score", str(source), "-i", "phq9", "--subject", "client_id"])
    assert code == 2
    assert "--subject must name a column of" in err and "'client_id' is not one" in err
    assert "client, phq9_1" in err


def test_errors_file_lists_every_failure_by_file_line_and_subject(tmp_path):
    source = write(
        tmp_path / "bad.csv",
        ["subject", "timepoint", *PHQ9],
        [["S1", "t0", *[1] * 9], ["S2", "t0", 4, *[1] * 8], ["S3", "t0", *[1] * 8, "x"]],
    )
    errors = tmp_path / "errors.csv"
    code, out, err = run(["score", str(source), "-i", "phq9", "--errors", str(errors)])
    assert code == 1 and out == ""
    assert err.startswith("error: ") and f"Every failure is listed in {errors}." in err
    table = pd.read_csv(errors)
    assert table[["line", "subject", "column", "reason"]].values.tolist() == [
        [3, "S2", "phq9_1", "out-of-range"],
        [4, "S3", "phq9_9", "not-a-number"],
    ]
    assert table["message"].str.contains("row").all()


def test_errors_and_out_may_not_be_the_same_file_or_an_input(tmp_path):
    source = write(tmp_path / "in.csv", ["subject", *PHQ9], [["A", *[0] * 9]])
    same = str(tmp_path / "o.csv")
    code, _, err = run(["score", str(source), "-i", "phq9", "-o", same, "--errors", same])
    assert code == 2 and "--out and --errors must be two different files" in err
    code, _, err = run(["score", str(source), "-i", "phq9", "--errors", str(source), "--force"])
    assert code == 2 and "must not be a file the command reads" in err
    assert source.read_text().startswith("subject,phq9_1")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_scores_are_written_without_float_noise_in_every_format(tmp_path, suffix):
    # FSFI desire = (item 1 + item 2) x 0.6: 3 + 3 gives 3.5999999999999996 in binary
    items = {f"fsfi_{i}": 3 for i in range(1, 20)}
    assert (3 + 3) * 0.6 == 3.5999999999999996
    frame = pd.DataFrame([{"subject": "A", "timepoint": "t0", **items}])
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / f"scores{suffix}"
    code, _, err = run(["score", str(source), "-i", "fsfi", "-o", str(out)])
    assert code == 0, err
    if suffix == ".csv":
        text = out.read_text()
        assert ",3.6," in text and "3.5999" not in text
        scores = pd.read_csv(out)
    elif suffix == ".xlsx":
        scores = pd.read_excel(out)
    else:
        scores = pd.read_parquet(out)
    assert scores.loc[0, "fsfi_desire"] == 3.6
    assert scores.loc[0, "subject"] == "A"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v == 0 or abs(v) >= 1e-3),
        min_size=1,
        max_size=20,
    )
)
def test_rounding_removes_noise_and_keeps_ten_significant_digits(values):
    frame = pd.DataFrame({"x": values})
    rounded = round_noise(frame)["x"].to_numpy()
    top = max(abs(v) for v in values)
    tolerance = 0.5 * 10 ** (np.floor(np.log10(top)) - 9) if top else 0
    assert np.all(np.abs(rounded - np.asarray(values)) <= tolerance + 1e-300)
    assert round_noise(rounded_frame := pd.DataFrame({"x": rounded}))["x"].equals(
        rounded_frame["x"]
    )


def test_a_large_file_is_scored_behind_a_progress_bar_with_the_same_scores(tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    n = 300
    answers = rng.integers(0, 4, size=(n, 9))
    frame = pd.DataFrame(answers, columns=PHQ9)
    frame.insert(0, "subject", [f"S{i}" for i in range(n)])
    source = tmp_path / "big.csv"
    frame.to_csv(source, index=False)
    small = tmp_path / "small.csv"
    assert run(["score", str(source), "-o", str(small), "-i", "phq9", "-i", "gad7"])[0] == 1
    assert run(["score", str(source), "-o", str(small), "-i", "phq9"])[0] == 0
    monkeypatch.setattr("past_outcomes._cli_score.PROGRESS_ROWS", 100)
    big = tmp_path / "big_scores.csv"
    code, _, err = run(["score", str(source), "-o", str(big), "-i", "phq9"])
    assert code == 0, err
    assert "Scoring 300 rows" in err and "Writing" in err
    assert big.read_bytes() == small.read_bytes()
    assert PROGRESS_ROWS == 100_000


def test_validate_reports_ok_or_every_failure(tmp_path):
    source = write(tmp_path / "in.csv", ["subject", "timepoint", *PHQ9], [["A", "t0", *[0] * 9]])
    code, out, err = run(["validate", str(source)])
    assert code == 0, err
    assert "1 rows; every answer to PHQ-9 is valid." in out
    write(source, ["subject", "timepoint", *PHQ9], [["A", "t0", *[0] * 8, 7]])
    code, out, err = run(["validate", str(source)])
    assert code == 1 and "phq9_9 must be an integer from 0 to 3; got 7 in row 2" in err


def test_validate_checks_a_notebooks_contract(tmp_path):
    source = write(
        tmp_path / "in.csv", ["subject", "timepoint", *PHQ9], [["A", "intake", *[0] * 9]]
    )
    code, _, err = run(["validate", str(source), "--notebook", "04_client_progress"])
    assert code == 1 and err.startswith("error: notebook 04_client_progress cannot run")
    assert "column 'date' is missing" in err and "YYYY-MM-DD" in err
    write(
        source,
        ["subject", "timepoint", "date", *PHQ9],
        [["A", "intake", "2026-01-05", *[0] * 9]],
    )
    code, out, err = run(["validate", str(source), "--notebook", "04_client_progress"])
    assert code == 0, err
    assert "meet the contract of notebook 04_client_progress" in out


def test_source_and_codebook_need_the_import_module_or_reach_it(tmp_path, monkeypatch):
    source = write(tmp_path / "in.csv", ["subject", *PHQ9], [["A", *[0] * 9]])
    from past_outcomes import _input

    monkeypatch.setattr(_input, "_reader", lambda: None)
    code, _, err = run(["score", str(source), "-i", "phq9", "--source", "redcap"])
    assert code == 2 and "--source redcap needs the import module" in err
    calls = []

    class Result:
        table = pd.DataFrame(
            {"subject": ["A"], **{c: [0] for c in PHQ9}, "source_file": ["x"], "source_line": [5]}
        )
        excluded = pd.DataFrame({"subject": ["B"], "reason": ["preview"], "detail": ["a test"]})

        def notes(self):
            return "read as a REDCap export"

    def reader(path, **kwargs):
        calls.append(kwargs)
        return Result()

    monkeypatch.setattr(_input, "_reader", lambda: reader)
    code, out, err = run(["score", str(source), "-i", "phq9", "--source", "redcap"])
    assert code == 0, err
    assert calls == [
        {
            "keep": ["arm"],
            "keep_missing": "ignore",  # the arm column is optional for score
            "source": "redcap",
            "codebook": None,
            "subject": None,
            "timepoint": None,
        }
    ]
    assert "read as a REDCap export" in out and "1 row(s) of the file were set aside" in out
    Result.table.loc[0, "phq9_9"] = 9
    code, _, err = run(["score", str(source), "-i", "phq9", "--source", "redcap"])
    assert code == 1 and "in row 5" in err  # the row is the export's own line number


def test_instruments_list_and_show(capsys):
    code, out, _ = run(["instruments"])
    assert code == 0 and "Female Sexual Function Index" in out
    code, out, _ = run(["instruments", "show", "phq9"])
    assert code == 0
    assert "phq9_9: thoughts of death or self-harm [0-3]" in out
    assert "phq9_probable_depression (cutoff): phq9_total >= 10" in out
    assert "minimal 0-4, mild 5-9" in out and "kroenke2001: Kroenke K" in out
    code, _, err = run(["instruments", "show", "nope"])
    assert code == 2 and "No bundled instrument 'nope'" in err
