"""Hostile files and paths: nothing lost, nothing half written, nothing silently misread.

Attacks the whole class of file input/output defects of issue 9: an output that is an input
(in every spelling), a write that fails half way, ragged lines and repeated column names that
pandas would silently shift or rename, binary, empty and non-UTF-8 files, and arbitrary bytes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import tempfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from past_outcomes import cli, read_dataset, synthetic, synthetic_files
from past_outcomes._io import atomic_write, read_csv_safely
from past_outcomes.cli import main
from past_outcomes.errors import (
    DataValidationError,
    InputFileError,
    OutputPathError,
    PastOutcomesError,
)
from past_outcomes.instrument import instruments_dir

PHQ9 = [f"phq9_{i}" for i in range(1, 10)]
GOOD = "subject,timepoint," + ",".join(PHQ9) + "\n007,t0," + ",".join("1" * 9) + "\n"


def run(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) with stdout and stderr captured (usable inside hypothesis tests)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_clean_failure(code: int, err: str, expected: int, fragment: str) -> None:
    assert code == expected, err
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    assert fragment in err, err


def leftovers(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------------------------
# arbitrary bytes: exit 0 with a correct file, or exit 1/2 with one error block; never more


def _csv_like() -> st.SearchStrategy[bytes]:
    """CSV-shaped text: often well-formed, sometimes ragged, miscoded or oddly encoded."""
    valid = st.sampled_from(["0", "1", "2", "3", ""])
    odd = st.sampled_from(["4", "TRUE", "é", '"1"', '"a,b"', '"a\nb"', "1.5", '"', "1,2", ""])
    header = st.sampled_from(
        [PHQ9, ["subject", *PHQ9], ["subject", "timepoint", *PHQ9], [*PHQ9, "phq9_1"], [""]]
    )

    def table(names: list[str]) -> st.SearchStrategy[str]:
        rows = st.lists(st.lists(valid, min_size=len(names), max_size=len(names)), max_size=4)
        edits = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 11), odd), max_size=2)

        def build(rows: list[list[str]], edits: list) -> str:
            for r, c, value in edits:  # a few odd cells, or extra fields past the header
                if r < len(rows):
                    rows[r][c % len(rows[r])] = value
            return "\n".join(",".join(x) for x in [names, *rows]) + "\n"

        return st.builds(build, rows, edits)

    text = header.flatmap(table)
    encoding = st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "latin-1", "utf-16", "utf-16-le"])
    return st.builds(lambda t, enc: t.encode(enc, errors="replace"), text, encoding)


hostile_bytes = st.one_of(st.binary(max_size=300), _csv_like(), _csv_like())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_bytes)
def test_score_on_arbitrary_bytes_fails_cleanly_or_writes_a_correct_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source, out = folder / "in.csv", folder / "out.csv"
        source.write_bytes(data)
        code, _, err = run(["score", str(source), "-i", "phq9", "--out", str(out)])
        assert source.read_bytes() == data  # the input is never touched
        if code == 0:
            scores = pd.read_csv(out, keep_default_na=False, na_values=[""])
            try:
                items = read_csv_safely(source)[PHQ9]
            except InputFileError:  # a Windows-1252 file, read by the import reader (issue 11)
                items = pd.read_csv(source, encoding="cp1252", dtype=str)[PHQ9]
            complete = items.notna().all(axis=1).to_numpy()
            expected = items.fillna("0").astype(int).sum(axis=1).where(complete)
            assert scores["phq9_total"].tolist() == pytest.approx(expected.tolist(), nan_ok=True)
            assert leftovers(folder) == {"in.csv", "out.csv"}
        else:
            assert code in (1, 2)
            assert err.startswith("error: ") and "Traceback" not in err
            assert leftovers(folder) == {"in.csv"}  # no partial output, no temporary file


@settings(max_examples=60, deadline=None)
@given(data=hostile_bytes)
def test_read_dataset_on_arbitrary_bytes_returns_a_table_or_a_package_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "mine.csv"
        source.write_bytes(data)
        try:
            frame = read_dataset(source)
        except (InputFileError, DataValidationError) as exc:
            assert str(exc)
        else:
            assert isinstance(frame.index, pd.RangeIndex)
            assert not any(str(c).endswith(".1") for c in frame.columns)  # nothing renamed
        assert source.read_bytes() == data


# --------------------------------------------------------------------------------------------
# ragged lines and header names: refused with file line numbers


def test_ragged_lines_are_listed_by_file_line_even_after_a_multiline_field(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "subject,note,phq9_1\n"  # line 1
        "A,ok,1\n"  # line 2
        "B,ok,1,2\n"  # line 3: one field too many
        'C,"two\nlines",1\n'  # lines 4-5: one record
        "\n"  # line 6: blank, skipped
        "D,1\n"  # line 7: one field short
        "E,ok,2\n",  # line 8
        encoding="utf-8",
    )
    with pytest.raises(InputFileError, match=r"2 line\(s\) do not: line 3 has 4, line 7 has 2"):
        read_csv_safely(path)
    try:
        read_csv_safely(path)
    except InputFileError as exc:
        cases = exc.failure_cases
    assert cases["row"].tolist() == [3, 7]
    assert cases["value"].tolist() == [4, 2]
    assert set(cases["reason"]) == {"wrong-field-count"}
    path.write_text('subject,note,phq9_1\nA,ok,1\nC,"two\nlines",1\n\nE,ok,2\n', encoding="utf-8")
    assert read_csv_safely(path).index.tolist() == [2, 3, 6]  # index = line where a record starts


def test_extra_trailing_fields_on_the_first_row_do_not_shift_ids_into_answers(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("subject," + ",".join(PHQ9) + "\nS01," + ",".join("1" * 9) + ",,\n")
    # the attack: pandas moves the first columns into the index and reads shifted values
    assert pd.read_csv(path).index[0] != 0
    code, _, err = run(["score", str(path), "-i", "phq9"])
    assert_clean_failure(code, err, 1, "line 2 has 12")


@pytest.mark.parametrize(
    "header, message, column, reason",
    [
        (
            "subject,phq9_1,phq9_1",
            "'phq9_1' appears again as field 3 (first as field 2)",
            "phq9_1",
            "duplicate-column",
        ),
        ("subject,,phq9_1", "field 2 has no name", "", "missing-value"),
        ("subject, ,phq9_1", "field 2 has no name", " ", "missing-value"),
    ],
)
def test_repeated_or_empty_header_names_are_refused(tmp_path, header, message, column, reason):
    path = tmp_path / "header.csv"
    path.write_text(header + "\nA,1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=re.escape(message)) as info:
        read_csv_safely(path)
    assert info.value.failure_cases[["row", "column", "reason"]].values.tolist() == [
        [1, column, reason]
    ]
    with pytest.raises(InputFileError, match=re.escape(message)):
        read_dataset(path)
    code, _, err = run(["score", str(path), "-i", "phq9"])
    assert_clean_failure(code, err, 1, message)


# --------------------------------------------------------------------------------------------
# unreadable inputs: one error block, the remedy, exit 2 (issue 11: "2 usage error, missing or
# unreadable file"; line-by-line problems such as ragged lines are data errors found: exit 1)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "it is empty"),
        (b"\n\n  \n", "it is empty"),
        (("subject," + ",".join(PHQ9) + "\n").encode(), "must hold at least one data row"),
        (b"PK\x03\x04\x00\x00binary", "holds binary data (a NUL byte on line 1)"),
        (GOOD.encode("utf-16"), "it looks like UTF-16"),
        (GOOD.encode("utf-16-le"), "it looks like UTF-16"),
        (b'subject,phq9_1\n"A,1\n', "the record starting on line 2 cannot be read as CSV"),
    ],
)
def test_unreadable_files_exit_2_with_one_error_block(tmp_path, content, fragment):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    code, _, err = run(["score", str(path), "-i", "phq9", "--out", str(tmp_path / "o.csv")])
    assert_clean_failure(code, err, 2, fragment)
    assert leftovers(tmp_path) == {"in.csv"}


def test_a_latin1_file_is_read_by_the_import_reader_and_the_encoding_reported(tmp_path):
    path = tmp_path / "in.csv"  # issue 11: Latin-1 detected and reported, not refused
    path.write_bytes(GOOD.replace("007", "Jos\xe9").encode("latin-1"))
    out = tmp_path / "o.csv"
    code, printed, err = run(["score", str(path), "-i", "phq9", "--out", str(out)])
    assert code == 0, err
    assert "it was decoded as Windows-1252" in printed
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("Jos\xe9,t0,9.0,")


def test_non_utf8_files_name_the_remedy(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("subject\nJos\xe9\n".encode("cp1252"))
    with pytest.raises(InputFileError, match="Save the file as 'CSV UTF-8"):
        read_csv_safely(path)


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_a_missing_file_or_a_folder_exits_2(tmp_path, kind):
    path = tmp_path / "in.csv"
    if kind == "folder":
        path.mkdir()
    code, _, err = run(["score", str(path), "-i", "phq9"])
    message = "there is no file at that path" if kind == "missing" else "it is a folder"
    assert_clean_failure(code, err, 2, message)


def test_a_utf8_bom_is_accepted_and_text_stays_text(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    out = tmp_path / "o.csv"
    code, _, err = run(["score", str(path), "-i", "phq9", "--out", str(out)])
    assert code == 0, err
    written = out.read_text(encoding="utf-8")
    assert written.startswith("subject,timepoint,phq9_total")  # no BOM glued to 'subject'
    assert "\n007,t0,9.0" in written  # the id keeps its leading zeros
    path.write_text(GOOD.replace(",1\n", ",TRUE\n"), encoding="utf-8")
    code, _, err = run(["score", str(path), "-i", "phq9"])
    assert_clean_failure(code, err, 1, "got the text 'TRUE' in row 2")


# --------------------------------------------------------------------------------------------
# an output that is an input, in every spelling: refused before reading, input intact


@pytest.mark.parametrize("spelling", ["same", "dot", "dotdot", "symlink", "hardlink"])
@pytest.mark.parametrize("force", [False, True])
def test_out_resolving_to_the_input_exits_2_and_leaves_it_byte_identical(
    tmp_path, monkeypatch, spelling, force
):
    source = tmp_path / "data.csv"
    source.write_text(GOOD, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    out = {
        "same": str(source),
        "dot": "./data.csv",
        "dotdot": "sub/../data.csv",
        "symlink": "link.csv",
        "hardlink": "hard.csv",
    }[spelling]
    if spelling == "symlink":
        os.symlink(source, "link.csv")
    if spelling == "hardlink":
        os.link(source, "hard.csv")
    argv = ["score", "data.csv", "-i", "phq9", "--out", out] + (["--force"] if force else [])
    code, printed, err = run(argv)
    assert_clean_failure(code, err, 2, "must not be a file the command reads")
    assert printed == ""  # refused before scoring
    assert source.read_bytes() == GOOD.encode()


def test_out_may_not_be_the_instrument_spec_read(tmp_path):
    spec = tmp_path / "mine.yaml"
    spec.write_text((instruments_dir() / "phq9.yaml").read_text(encoding="utf-8"))
    before = spec.read_bytes()
    source = tmp_path / "data.csv"
    source.write_text(GOOD, encoding="utf-8")
    code, _, err = run(["score", str(source), "-i", str(spec), "--out", str(spec), "--force"])
    assert_clean_failure(code, err, 2, "is the input")
    assert spec.read_bytes() == before
    bundled = instruments_dir() / "phq9.yaml"
    before = bundled.read_bytes()
    code, _, err = run(["score", str(source), "--out", str(bundled), "--force"])
    assert_clean_failure(code, err, 2, "must not be a file the command reads")
    assert bundled.read_bytes() == before


def test_an_existing_out_needs_force(tmp_path):
    source, out = tmp_path / "data.csv", tmp_path / "scores.csv"
    source.write_text(GOOD, encoding="utf-8")
    out.write_text("precious\n")
    code, _, err = run(["score", str(source), "-i", "phq9", "--out", str(out)])
    assert_clean_failure(
        code, err, 2, "exists. Choose another name, delete the file, or pass --force"
    )
    assert out.read_text() == "precious\n"
    code, _, err = run(["score", str(source), "-i", "phq9", "--out", str(out), "--force"])
    assert code == 0, err
    assert out.read_text().startswith("subject,timepoint,phq9_total")


@pytest.mark.parametrize(
    "target, fragment",
    [
        (".", "is a folder"),
        ("data.csv/scores.csv", "which is a file"),
        ("data.csv/deeper/scores.csv", "which is a file"),
    ],
)
def test_invalid_output_paths_exit_2(tmp_path, monkeypatch, target, fragment):
    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_text(GOOD, encoding="utf-8")
    code, _, err = run(["score", "data.csv", "-i", "phq9", "--out", target])
    assert_clean_failure(code, err, 2, fragment)
    assert Path("data.csv").read_text(encoding="utf-8") == GOOD


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_a_read_only_folder_exits_2(tmp_path):
    source = tmp_path / "data.csv"
    source.write_text(GOOD, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run(["score", str(source), "-i", "phq9", "--out", str(locked / "o.csv")])
    assert_clean_failure(code, err, 2, "permission denied")


def test_permission_denied_while_writing_exits_2(tmp_path, monkeypatch):
    source, out = tmp_path / "data.csv", tmp_path / "scores.csv"
    source.write_text(GOOD, encoding="utf-8")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    code, _, err = run(["score", str(source), "-i", "phq9", "--out", str(out)])
    assert_clean_failure(
        code, err, 2, "could not be written (Permission denied); nothing was written"
    )
    assert leftovers(tmp_path) == {"data.csv"}


# --------------------------------------------------------------------------------------------
# atomic writes: a failure half way leaves neither a truncated file nor a temporary file


def _fail_half_way(exc: BaseException):
    def to_csv(self, buf, *args, **kwargs):
        buf.write("subject,timepoint,phq9_total\n007,t0,")  # half a file...
        raise exc  # ...then the disk fills up

    return to_csv


@pytest.mark.parametrize("existing", [False, True])
def test_a_write_failing_half_way_leaves_no_output_and_no_temporary_file(
    tmp_path, monkeypatch, existing
):
    source, out = tmp_path / "data.csv", tmp_path / "scores.csv"
    source.write_text(GOOD, encoding="utf-8")
    if existing:
        out.write_text("old scores\n")
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(pd.DataFrame, "to_csv", _fail_half_way(full))
    code, _, err = run(["score", str(source), "-i", "phq9", "--out", str(out), "--force"])
    assert_clean_failure(code, err, 2, "could not be written (No space left on device)")
    if existing:
        assert out.read_text() == "old scores\n"  # the old file is intact, not truncated
        assert leftovers(tmp_path) == {"data.csv", "scores.csv"}
    else:
        assert leftovers(tmp_path) == {"data.csv"}


def test_a_bug_while_writing_keeps_its_traceback_but_leaves_nothing(tmp_path, monkeypatch):
    source, out = tmp_path / "data.csv", tmp_path / "scores.csv"
    source.write_text(GOOD, encoding="utf-8")
    monkeypatch.setattr(pd.DataFrame, "to_csv", _fail_half_way(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        main(["score", str(source), "-i", "phq9", "--out", str(out)])
    assert leftovers(tmp_path) == {"data.csv"}


def test_atomic_write_keeps_the_mode_of_a_replaced_file(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_write(target) as fh:
        fh.write("new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(OutputPathError, match="could not be written"):
        with atomic_write(target) as fh:
            fh.write("half")
            raise OSError(errno.EIO, "I/O error")
    assert target.read_text() == "new\n" and leftovers(tmp_path) == {"t.txt"}


# --------------------------------------------------------------------------------------------
# instruments, interrupts, bugs


@pytest.mark.parametrize(
    "spec, content, code, fragment",
    [
        ("nope", None, 2, "No bundled instrument 'nope'"),
        ("missing/spec.yaml", None, 2, "No instrument spec file at"),
        ("bad.yaml", b"a: [\n", 1, "not valid safe YAML"),
        ("latin.yaml", b"name: caf\xe9\n", 1, "UTF-8"),
    ],
)
def test_bad_instruments_fail_cleanly(tmp_path, monkeypatch, spec, content, code, fragment):
    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_text(GOOD, encoding="utf-8")
    if content is not None:
        Path(spec).write_bytes(content)
    got, _, err = run(["score", "data.csv", "-i", spec])
    assert_clean_failure(got, err, code, fragment)


def test_ctrl_c_exits_130_quietly_and_bugs_keep_their_traceback(monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_instruments", interrupted)
    assert run(["instruments"]) == (130, "", "")

    def buggy(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "_cmd_instruments", buggy)
    with pytest.raises(ZeroDivisionError):
        main(["instruments"])


def test_help_documents_exit_codes_and_force(capsys):
    assert main(["score", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # click wraps the epilog
    assert "exit status: 0 success; 1 the input data are wrong" in text
    assert "2 the command line is wrong or a file is missing or unreadable" in text
    assert "--force" in text


# --------------------------------------------------------------------------------------------
# synth --out


def test_synth_out_on_a_file_exits_2(tmp_path):
    target = tmp_path / "file.csv"
    target.write_text("precious")
    code, _, err = run(["synth", "--out", str(target)])
    assert_clean_failure(code, err, 2, "is a file")
    assert target.read_text() == "precious"


def test_synth_never_changes_an_existing_file_without_force(tmp_path):
    (tmp_path / "past_pilot.csv").write_text("my own data\n")
    (tmp_path / "notes.txt").write_text("unrelated\n")
    code, _, err = run(["synth", "--out", str(tmp_path)])
    assert_clean_failure(code, err, 2, "past_pilot.csv' exists")
    assert leftovers(tmp_path) == {"past_pilot.csv", "notes.txt"}  # nothing written at all
    assert (tmp_path / "past_pilot.csv").read_text() == "my own data\n"
    code, _, err = run(["synth", "--out", str(tmp_path), "--force"])
    assert code == 0, err
    assert (tmp_path / "notes.txt").read_text() == "unrelated\n"
    again = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, err = run(["synth", "--out", str(tmp_path)])  # identical bytes: no --force needed
    assert code == 0, err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == again


def test_synth_refuses_a_manifest_it_did_not_write(tmp_path):
    (tmp_path / "manifest.json").write_text("not json")
    with pytest.raises(OutputPathError, match="is not a manifest written by"):
        synthetic_files.write_datasets(tmp_path, names=["past_pilot"])
    assert leftovers(tmp_path) == {"manifest.json"}


def test_synth_default_target_regenerates_without_force(tmp_path, monkeypatch):
    repo_data = Path(synthetic.__file__).resolve().parents[1] / "data" / "synthetic"
    copy = tmp_path / "synthetic"
    copy.mkdir()
    for path in repo_data.iterdir():
        if path.suffix in (".csv", ".json"):
            (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(synthetic_files, "_repo_data_dir", lambda: copy)
    code, printed, err = run(["synth"])
    assert code == 0, err
    assert printed.count("wrote ") == len(synthetic.DATASETS) + 1


# --------------------------------------------------------------------------------------------
# notebooks run


def _fake_papermill(monkeypatch, calls: list, error=None):
    import papermill

    def execute(source, output, **kwargs):
        calls.append(Path(output).parent)
        if error is not None:
            raise error
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("report")])
        nbformat.write(nb, output)

    monkeypatch.setattr(papermill, "execute_notebook", execute)


def test_notebooks_run_checks_data_before_starting(tmp_path, monkeypatch):
    calls: list = []
    _fake_papermill(monkeypatch, calls)
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,timepoint,phq9_1\nA,t0,1,1\n", encoding="utf-8")
    code, _, err = run(
        ["notebooks", "run", "01_scoring", "--data", str(bad), "--html", str(tmp_path / "r")]
    )
    assert_clean_failure(code, err, 1, "line 2 has 4")
    assert calls == [] and not (tmp_path / "r").exists()


def test_notebooks_run_reruns_over_its_own_reports_only(tmp_path, monkeypatch):
    calls: list = []
    _fake_papermill(monkeypatch, calls)
    reports = tmp_path / "reports"
    argv = ["notebooks", "run", "01_scoring", "--html", str(reports)]
    assert run(argv)[0] == 0
    code, _, err = run(argv)  # the README's command, run twice
    assert code == 0, err
    assert leftovers(reports) == {
        "01_scoring.html",
        "01_scoring.executed.ipynb",
        ".past-outcomes-reports.json",
    }
    (reports / "01_scoring.html").write_text("edited by hand")
    code, _, err = run(argv)
    assert_clean_failure(code, err, 2, "01_scoring.html' exists")
    assert (reports / "01_scoring.html").read_text() == "edited by hand"
    assert len(calls) == 2  # refused before running
    assert run(argv + ["--force"])[0] == 0
    assert "edited by hand" not in (reports / "01_scoring.html").read_text()


def test_notebooks_run_html_on_a_file_exits_2(tmp_path):
    target = tmp_path / "reports"
    target.write_text("x")
    code, _, err = run(["notebooks", "run", "01_scoring", "--html", str(target)])
    assert_clean_failure(code, err, 2, "--html must be a folder")


def test_a_package_error_in_a_notebook_is_one_readable_block(tmp_path, monkeypatch):
    from papermill.exceptions import PapermillExecutionError

    failure = PapermillExecutionError(
        cell_index=5,
        exec_count=4,
        source="po.score(data)",
        ename="ResponseValidationError",
        evalue="Responses to phq9 failed validation: 1 invalid cell(s)",
        traceback=["\x1b[31m---------\x1b[0m"] * 60,
    )
    _fake_papermill(monkeypatch, [], error=failure)
    code, _, err = run(["notebooks", "run", "01_scoring", "--html", str(tmp_path)])
    assert_clean_failure(
        code,
        err,
        1,
        "notebook 01_scoring stopped in cell 4 on ResponseValidationError:\n"
        "Responses to phq9 failed validation: 1 invalid cell(s)",
    )
    assert len(err.splitlines()) < 6 and "\x1b" not in err
    assert leftovers(tmp_path) == set()  # the scratch folder is gone

    bug = PapermillExecutionError(5, 4, "1/0", "ZeroDivisionError", "division by zero", [])
    _fake_papermill(monkeypatch, [], error=bug)
    with pytest.raises(PapermillExecutionError):
        main(["notebooks", "run", "01_scoring", "--html", str(tmp_path)])
    assert not isinstance(bug, PastOutcomesError)
