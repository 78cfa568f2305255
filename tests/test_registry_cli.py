"""``past-outcomes score`` streamed chunk by chunk: same summary and scores as the file read
whole, the reader's checks by file line in the last chunk too, one error for every chunk, and
never a partial output."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from past_outcomes import _cli_score
from past_outcomes.cli import main

pytest.importorskip("pyarrow")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _frame(n: int = 2500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "subject": [f"S{i // 2}" for i in range(n)],
            "timepoint": np.where(np.arange(n) % 2 == 0, "pre", "post"),
        }
    )
    for j in range(1, 10):
        frame[f"phq9_{j}"] = rng.integers(0, 4, n)
    for j in range(1, 8):
        frame[f"gad7_{j}"] = rng.integers(0, 4, n)
    frame = frame.astype(object)
    frame.loc[rng.choice(n, 40, replace=False), "phq9_4"] = None  # skipped answers
    return frame


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    _frame().to_csv(path, index=False)
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_streamed_scores_and_summary_equal_the_whole_file(answers, tmp_path):
    code, whole, _ = run(["score", str(answers), "-o", str(tmp_path / "whole.csv")])
    assert code == 0
    code, streamed, err = run(
        ["score", str(answers), "-o", str(tmp_path / "streamed.csv"), "--chunk-rows", "700"]
    )
    assert code == 0 and "Scoring answers.csv" in err  # the progress bar
    assert streamed.replace("streamed.csv", "whole.csv") == whole
    assert "line 2" in whole or "(line " in whole  # clients named by file line
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_parquet_in_and_out_streams(answers, tmp_path):
    table = pd.read_csv(answers, dtype=str)
    source = tmp_path / "answers.parquet"
    table.to_parquet(source, index=False)
    code, _, _ = run(["score", str(answers), "-o", str(tmp_path / "whole.parquet")])
    assert code == 0
    code, out, _ = run(
        ["score", str(source), "-o", str(tmp_path / "s.parquet"), "--chunk-rows", "999"]
    )
    assert code == 0 and "(row " in out  # Parquet rows are named by record number
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "s.parquet"), pd.read_parquet(tmp_path / "whole.parquet")
    )


def test_ragged_line_in_the_last_chunk(answers, tmp_path):
    lines = _lines(answers)
    lines[2401] += ",9"  # file line 2402, in the last chunk of 700 rows
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "scores.csv"
    code, _, err = run(["score", str(answers), "-o", str(out), "--chunk-rows", "700"])
    assert code == 1
    assert "1 line(s) do not: line 2402 has 19" in err
    assert _leftovers(tmp_path, {"answers.csv"}) == []  # no output, no temporary file


def test_bad_cell_in_the_last_chunk_names_its_line(answers, tmp_path):
    lines = _lines(answers)
    fields = lines[2450].split(",")
    fields[2] = "7"  # phq9_1 on file line 2451
    lines[2450] = ",".join(fields)
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, errors = tmp_path / "scores.parquet", tmp_path / "errors.csv"
    code, _, err = run(
        ["score", str(answers), "-o", str(out), "--errors", str(errors), "--chunk-rows", "700"]
    )
    assert code == 1
    assert "phq9_1 must be an integer from 0 to 3; got 7 in row 2451, subject S1224" in err
    assert "Row numbers are line numbers" in err
    assert pd.read_csv(errors)["line"].tolist() == [2451]
    assert _leftovers(tmp_path, {"answers.csv", "errors.csv"}) == []


def test_duplicate_in_two_chunks(answers, tmp_path):
    lines = _lines(answers)
    lines[2490] = lines[1]  # line 2491 repeats line 2 (S0 at pre)
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run(["score", str(answers), "--chunk-rows", "500"])
    assert code == 1
    assert "duplicate-observation x2" in err
    assert "subject S0 has more than one row at timepoint pre (row 2491)" in err


def test_latin1_byte_late_in_the_file(answers, tmp_path):
    raw = answers.read_bytes().splitlines()
    raw[2300] = raw[2300].replace(b"S", b"\xe9", 1)
    answers.write_bytes(b"\n".join(raw) + b"\n")
    code, _, err = run(
        ["score", str(answers), "-o", str(tmp_path / "o.csv"), "--chunk-rows", "300"]
    )
    assert code == 2
    assert "must be encoded as UTF-8; line 2301 holds the byte b'\\xe9'" in err
    assert _leftovers(tmp_path, {"answers.csv"}) == []


def test_xlsx_is_refused_when_streaming(answers, tmp_path):
    code, _, err = run(
        ["score", str(answers), "-o", str(tmp_path / "o.xlsx"), "--chunk-rows", "300"]
    )
    assert code == 2
    assert "--out must be .csv or .parquet when the input is streamed" in err


def test_large_canonical_csv_streams_without_the_option(answers, monkeypatch):
    monkeypatch.setattr(_cli_score, "STREAM_BYTES", 1000)
    assert _cli_score.streams({"file": str(answers)})
    assert not _cli_score.streams({"file": str(answers), "codebook": "c.yaml"})
    monkeypatch.setattr(_cli_score, "STREAM_BYTES", 10**12)
    assert not _cli_score.streams({"file": str(answers)})


def _set_cell(path: Path, line: int, field: int, value: str) -> None:
    lines = _lines(path)
    fields = lines[line - 1].split(",")
    fields[field] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_hostile_cells_fail_as_in_the_file_read_whole(answers, tmp_path):
    # the fast reader reads items as numbers only where every cell is a finite number; the
    # failing chunks are checked again on their text, so the failures are those of the
    # file read whole, cell for cell (value, reason, message)
    for line, value in ((300, "nan"), (1200, "inf"), (2100, "07"), (2450, " 9"), (2460, "x")):
        _set_cell(answers, line, 3, value)  # phq9_2
    _set_cell(answers, 2470, 0, "")  # a missing subject in the last chunk
    whole, streamed = tmp_path / "whole.csv", tmp_path / "streamed.csv"
    code_w, _, err_w = run(["score", str(answers), "--errors", str(whole)])
    code_s, _, err_s = run(
        ["score", str(answers), "--errors", str(streamed), "--chunk-rows", "700"]
    )
    assert code_w == code_s == 1
    # listed chunk by chunk (the engine orders each call's failures by reason)
    got = pd.read_csv(streamed).sort_values("line", ignore_index=True)
    expected = pd.read_csv(whole).sort_values("line", ignore_index=True)
    assert got["line"].tolist() == [300, 1200, 2100, 2450, 2460, 2470]
    columns = ["line", "subject", "column", "value", "reason", "message"]
    pd.testing.assert_frame_equal(got[columns], expected[columns])
    assert "got the text 'nan' in row 300" in err_s and "the text 'inf' in row 1200" in err_s
    assert "got 7 in row 2100" in err_w and "got 7 in row 2100" in err_s


def test_validate_streams_and_names_the_bad_row_in_the_last_chunk(answers, tmp_path):
    code, out, err = run(["validate", str(answers), "--chunk-rows", "700"])
    assert code == 0 and "Validating answers.csv" in err
    assert out.strip() == f"{answers}: 2500 rows; every answer to GAD-7, PHQ-9 is valid."
    _set_cell(answers, 2451, 2, "7")  # phq9_1 on file line 2451, in the last chunk
    errors = tmp_path / "errors.csv"
    code, _, err = run(["validate", str(answers), "--errors", str(errors), "--chunk-rows", "700"])
    assert code == 1
    assert "phq9_1 must be an integer from 0 to 3; got 7 in row 2451, subject S1224" in err
    assert pd.read_csv(errors)["line"].tolist() == [2451]


def test_validate_counts_every_failure_beyond_the_cap(answers, monkeypatch):
    from past_outcomes.registry import stream_score

    monkeypatch.setattr(stream_score, "CAP", 5)
    lines = _lines(answers)
    for i in range(1, 2501, 100):  # 25 bad cells, one every 100 lines, in every chunk
        fields = lines[i].split(",")
        fields[2] = "9"
        lines[i] = ",".join(fields)
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run(["validate", str(answers), "--chunk-rows", "300"])
    assert code == 1
    assert "25 failure(s) in all (out-of-range x25); the first 5 are in .failure_cases" in err


def test_quoted_fields_stream_as_read_whole(answers, tmp_path):
    lines = _lines(answers)
    lines[0] += ",note"
    for i in range(1, len(lines)):
        lines[i] += ',"a, b"' if i % 900 == 0 else ",plain"
    lines[1500] = lines[1500][: -len(",plain")] + ',"two\nlines"'  # a field with a line break
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole, streamed = tmp_path / "whole.csv", tmp_path / "streamed.csv"
    code, out_w, _ = run(["score", str(answers), "-o", str(whole)])
    assert code == 0
    code, out_s, _ = run(["score", str(answers), "-o", str(streamed), "--chunk-rows", "700"])
    assert code == 0
    assert out_s.replace("streamed.csv", "whole.csv") == out_w
    assert streamed.read_bytes() == whole.read_bytes()


def test_a_failed_parquet_write_leaves_no_output(answers, tmp_path, monkeypatch):
    # chunks are written in a thread since session 19: a write that fails (a full disk)
    # still stops the run, and neither the output nor its temporary file is left behind
    import pyarrow.parquet as pq

    real = pq.ParquetWriter.write_table
    calls = []

    def failing(self, table, *args, **kwargs):
        calls.append(len(table))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", failing)
    out = tmp_path / "scores.parquet"
    with pytest.raises(OSError, match="No space left"):
        run(["score", str(answers), "-o", str(out), "--chunk-rows", "500"])
    assert len(calls) >= 2
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["answers.csv"]
