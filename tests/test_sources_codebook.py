"""Codebooks and the checks on coding: every refusal names the file, column, value and fix."""

from __future__ import annotations

import pytest

import past_outcomes as po
from past_outcomes.errors import ArgumentError, DataValidationError, InputFileError

PHQ = [f"phq9_{n}" for n in range(1, 10)]


def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _book(tmp_path, text, name="book.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unmapped_label_names_file_column_line_subject_and_remedy(tmp_path):
    data = _csv(tmp_path, "subject,phq9_1,phq9_2\nA,Several days,Sometimes\nB,1,Often\n")
    with pytest.raises(
        DataValidationError, match=r"answers that no codebook or spec decodes"
    ) as info:
        po.read_responses(data)
    fc = info.value.failure_cases
    assert fc[["row", "subject", "column", "value", "reason"]].values.tolist() == [
        [2, "A", "phq9_2", "Sometimes", "unmapped-label"],
        [3, "B", "phq9_2", "Often", "unmapped-label"],
    ]
    assert str(data) in str(info.value)
    assert "add it to the codebook's labels" in str(info.value)


def test_copyrighted_instrument_words_need_a_codebook(tmp_path):
    data = _csv(tmp_path, "subject,fsfi_1\nA,Almost always\n")
    with pytest.raises(DataValidationError, match="FSFI declares no answer labels"):
        po.read_responses(data)
    book = _book(tmp_path, "labels:\n  Almost always: 5\n")
    assert po.read_responses(data, codebook=book).table["fsfi_1"].tolist() == [5]


def test_codebook_label_mapped_twice_is_refused(tmp_path):
    book = _book(tmp_path, "labels:\n  Several days: 1\n  'several  DAYS': 2\n")
    with pytest.raises(
        ArgumentError, match=r"book.yaml: the label 'several  DAYS' is mapped twice, to 1 and 2"
    ):
        po.load_codebook(book)


def test_codebook_two_columns_to_one_item_is_refused(tmp_path):
    book = _book(tmp_path, "columns:\n  Q1: phq9_1\n  Q2: phq9_1\n")
    with pytest.raises(
        ArgumentError, match=r"two columns are mapped to the item 'phq9_1': 'Q1' and 'Q2'"
    ):
        po.load_codebook(book)


def test_csv_codebook_and_its_errors(tmp_path):
    book = _book(
        tmp_path,
        "column,item,label,code\nQ1,phq9_1,,\nQ2,phq9_2,,\n,,Never,0\nQ2,,Rarely,1\n",
        "book.csv",
    )
    data = _csv(tmp_path, "subject,Q1,Q2\nA,Never,Rarely\n")
    t = po.read_responses(data, codebook=book).table
    assert t[["phq9_1", "phq9_2"]].iloc[0].tolist() == [0, 1]
    bad = _book(tmp_path, "column,item\nQ1,PHQ nine\n", "bad.csv")
    with pytest.raises(
        ArgumentError, match=r"bad.csv \(line 2\): the column 'Q1' must map to an item column"
    ):
        po.load_codebook(bad)
    bad = _book(tmp_path, "label,code\nNever,zero\n", "bad2.csv")
    with pytest.raises(ArgumentError, match="code of the label 'Never' must be a finite number"):
        po.load_codebook(bad)


def test_codebook_yaml_is_plain_bounded_data(tmp_path):
    with pytest.raises(ArgumentError, match="unknown key"):
        po.load_codebook(_book(tmp_path, "colums:\n  Q1: phq9_1\n"))
    with pytest.raises(ArgumentError, match="read by YAML as a boolean"):
        po.load_codebook(_book(tmp_path, "labels:\n  Yes: 1\n  No: 0\n"))
    with pytest.raises(ArgumentError, match="aliases|anchor"):
        po.load_codebook(_book(tmp_path, "labels: &a\n  x: 1\ncolumn_labels:\n  Q1: *a\n"))
    with pytest.raises(ArgumentError, match="tag"):
        po.load_codebook(_book(tmp_path, "labels: !!python/object:os.system {}\n"))
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 1_000_001)
    with pytest.raises(ArgumentError, match="at most 1,000,000 bytes"):
        po.load_codebook(big)
    with pytest.raises(InputFileError, match="must be an existing file"):
        po.load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(ArgumentError, match=r"must be a \.yaml, \.yml or \.csv file"):
        po.load_codebook(_book(tmp_path, "x", "book.json"))


def test_codebook_column_absent_from_the_file(tmp_path):
    data = _csv(tmp_path, "subject,Q1\nA,1\n")
    book = _book(tmp_path, "columns:\n  Q1: phq9_1\n  Q 2 renamed: phq9_2\n")
    with pytest.raises(DataValidationError, match="maps the column 'Q 2 renamed', which") as info:
        po.read_responses(data, codebook=book)
    assert info.value.failure_cases["reason"].tolist() == ["missing-column"]


def test_two_file_columns_for_one_item(tmp_path):
    data = _csv(tmp_path, "subject,PHQ9_1,phq9_1\nA,1,1\n")
    with pytest.raises(
        DataValidationError, match=r"2 columns supply the item phq9_1: 'PHQ9_1', 'phq9_1'"
    ) as info:
        po.read_responses(data)
    assert info.value.failure_cases["reason"].tolist() == ["ambiguous-column"]


def test_shifted_scale_detected_and_a_correct_scale_accepted(tmp_path):
    shifted = _csv(tmp_path, "subject," + ",".join(PHQ) + "\nA," + ",".join("1234" * 3)[:17] + "\n")
    with pytest.raises(
        DataValidationError,
        match=r"PHQ-9 answers run from 1 to 4 .* scale is 0-3.*recode 1-4 to 0-3",
    ):
        po.read_responses(shifted)
    ok = _csv(tmp_path, "subject," + ",".join(PHQ) + "\nA," + ",".join("123" * 3) + "\n", "ok.csv")
    assert po.read_responses(ok).table["phq9_3"].tolist() == [3]  # no 0, but no 4: not shifted


def test_codebook_labels_shifted_against_the_spec_are_caught(tmp_path):
    data = _csv(
        tmp_path, "subject," + ",".join(PHQ) + "\nA," + ",".join(["Nearly every day"] * 9) + "\n"
    )
    book = _book(
        tmp_path,
        "labels:\n  Not at all: 1\n  Several days: 2\n  More than half the days: 3\n  Nearly every day: 4\n",
    )
    with pytest.raises(DataValidationError, match="shifted by one"):
        po.read_responses(data, codebook=book)


def test_subject_must_be_found_and_named_columns_must_exist(tmp_path):
    data = _csv(tmp_path, "client_id,phq9_1\nA,1\n")
    with pytest.raises(
        ArgumentError,
        match=r"needs a column identifying each client.*Candidates: 'client_id'.*subject='<column>'",
    ):
        po.read_responses(data)
    with pytest.raises(ArgumentError, match=r"timepoint= must name a column of .*; got 'visit'"):
        po.read_responses(data, subject="client_id", timepoint="visit")
    with pytest.raises(ArgumentError, match="source must be one of auto, redcap"):
        po.read_responses(data, source="sas")
    with pytest.raises(ArgumentError, match="keep must name columns"):
        po.read_responses(data, subject="client_id", keep=["gender"])
    empty_id = _csv(tmp_path, "subject,phq9_1\n,1\n", "e.csv")
    with pytest.raises(DataValidationError, match="subject column 'subject' is empty"):
        po.read_responses(empty_id)


def test_no_item_column_says_how_to_map(tmp_path):
    data = _csv(tmp_path, "subject,How are you\nA,fine\n")
    with pytest.raises(DataValidationError, match=r"(?s)nothing to score.*codebook="):
        po.read_responses(data)


def test_result_contract(tmp_path):
    data = _csv(tmp_path, "subject,timepoint,phq9_1,phq9_10\nA,t0,2,1\n")
    res = po.read_responses(data)
    assert res.to_frame().equals(res.table) and res.to_frame() is not res.table
    assert "phq9_10" not in res.table.columns
    assert any("'phq9_10' is not an item of PHQ-9" in n for n in res.notes())
    assert repr(res).startswith("<ImportResult: Imported responses; 1 row(s)>")
    assert "<strong>Imported responses</strong>" in res.to_html()
    with pytest.raises(Exception, match="FrozenInstanceError|cannot assign"):
        res.source = "x"  # type: ignore[misc]
