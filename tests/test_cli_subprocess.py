"""The installed `past-outcomes` command end to end, in a subprocess (a few cases; the rest of
the command line is tested in process in test_cli_commands.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from past_outcomes.contracts import example_path

PHQ9 = [f"phq9_{i}" for i in range(1, 10)]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "past_outcomes.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_score_a_practitioners_file_end_to_end(tmp_path):
    source = tmp_path / "clinic.csv"
    rows = [["C-1", "intake", *[2] * 9], ["C-1", "week4", *[1] * 8, 0]]
    pd.DataFrame(rows, columns=["client_id", "visit", *PHQ9]).to_csv(source, index=False)
    done = cli(
        "score", "clinic.csv", "-i", "phq9", "--subject", "client_id", "--timepoint", "visit",
        "-o", "scores.xlsx", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "SAFETY phq9_item9_flag" in done.stdout and "C-1 at intake (line 2)" in done.stdout
    scores = pd.read_excel(tmp_path / "scores.xlsx")
    assert scores[["client_id", "visit", "phq9_total"]].values.tolist() == [
        ["C-1", "intake", 18],
        ["C-1", "week4", 8],
    ]


def test_exit_codes_and_no_traceback(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("subject," + ",".join(PHQ9) + "\nA," + ",".join(["5"] * 9) + "\n")
    done = cli("score", "bad.csv", "-i", "phq9", "--errors", "errors.csv", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert len(pd.read_csv(tmp_path / "errors.csv")) == 9
    for missing in (
        ["missing.csv", "-i", "phq9"],
        ["missing.parquet", "-o", "out.parquet"],
        ["missing.csv", "--chunk-rows", "10"],  # the streamed path
        ["missing.xlsx"],
        ["broken.csv"],  # a link to nothing
    ):
        if missing[0] == "broken.csv":
            (tmp_path / "broken.csv").symlink_to(tmp_path / "gone.csv")
        done = cli("score", *missing, cwd=tmp_path)
        # one readable line, no traceback, exit 2 (a file is missing)
        assert done.returncode == 2, (missing, done.stderr)
        assert done.stderr.startswith(f"error: {missing[0]} must be an existing"), done.stderr
        assert "there is no file at that path" in done.stderr
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert not (tmp_path / "out.parquet").exists()
    done = cli("score", "bad.csv", "--missing", "sometimes", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: Invalid value for '--missing'")
    done = cli("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("past-outcomes, version ")


def test_a_notebook_on_a_file_missing_a_required_column_is_one_readable_message(tmp_path):
    data = pd.read_csv(example_path("04_client_progress"), dtype=str, keep_default_na=False)
    data.drop(columns="date").to_csv(tmp_path / "rom.csv", index=False)
    done = cli(
        "notebooks", "run", "04_client_progress", "--data", "rom.csv", "--html", "out",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "KeyError" not in done.stderr
    assert done.stderr.startswith(
        "error: notebook 04_client_progress cannot run on these data: 1 thing(s) it needs are "
        "missing.\n  - column 'date' is missing. The notebook uses it: places every "
        "administration on the calendar"
    )
    assert "a column 'date' with dates written YYYY-MM-DD" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_practice_questionnaire_from_a_blank_file_to_scores(tmp_path):
    assert cli("instruments", "new", "mpq", cwd=tmp_path).returncode == 0
    checked = cli("instruments", "check", "mpq.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "mpq_total: sum of 1, 2, 3, 4, 5, range 0-20" in checked.stdout
    answers = pd.DataFrame(
        [["A", "t0", 0, 1, 2, 3, 4]],
        columns=["subject", "timepoint", *[f"mpq_{i}" for i in range(1, 6)]],
    )
    answers.to_csv(tmp_path / "answers.csv", index=False)
    done = cli("score", "answers.csv", "-i", "mpq.yaml", "-o", "scores.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert scores.loc[0, "mpq_total"] == 0 + 1 + 2 + 3 + (4 - 4)  # item 5 reverse-keyed
    assert scores.loc[0, "mpq_band"] == "low"
