"""Hostile files: arbitrary bytes and malformed exports give a package error, never a crash,
a stray warning or a wrong answer."""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.errors import PastOutcomesError

EXTENSIONS = [".csv", ".txt", ".xlsx", ".sav", ".dta", ".tsv"]
LABELS = {"not at all": 0, "several days": 1, "more than half the days": 2, "nearly every day": 3}
_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read(path, **kwargs):
    try:
        return po.read_responses(path, **kwargs)
    except PastOutcomesError as exc:
        assert str(exc)  # a message, never empty
        return None


@_SETTINGS
@given(data=st.binary(max_size=600), ext=st.sampled_from(EXTENSIONS))
def test_arbitrary_bytes_never_crash(tmp_path, data, ext):
    path = tmp_path / f"upload{ext}"
    path.write_bytes(data)
    _read(path, subject="subject")


@_SETTINGS
@given(
    prefix=st.sampled_from([b"PK\x03\x04", b"$FL2@(#) SPSS DATA FILE", b"\x75\x01\x00", b""]),
    tail=st.binary(max_size=400),
    ext=st.sampled_from([".xlsx", ".sav", ".dta"]),
)
def test_damaged_binary_formats_are_input_file_errors(tmp_path, prefix, tail, ext):
    path = tmp_path / f"damaged{ext}"
    path.write_bytes(prefix + tail)
    with pytest.raises(PastOutcomesError):
        po.read_responses(path, subject="subject")


_cell = st.one_of(
    st.sampled_from(["0", "1", "2", "3", "", " 2 ", "4", "1.5", "-1"]),
    st.sampled_from(["Not at all", "SEVERAL  days", "Nearly every day", "More than half the days"]),
    st.text(alphabet=string.ascii_letters + " ;,'\"\n\t", max_size=8),
)


@_SETTINGS
@given(rows=st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=5))
def test_answers_are_read_exactly_or_refused(tmp_path, rows):
    """Whatever the cells, an imported answer is the number written or the published code of
    the label written: never a guess."""
    import csv

    path = tmp_path / "cells.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "phq9_1", "phq9_2", "phq9_3"])
        for i, row in enumerate(rows):
            w.writerow([f"S{i}", *row])
    res = _read(path)
    if res is None:
        return
    by_line = {line: i for i, line in enumerate(res.table["source_line"])}
    for k, row in enumerate(rows):
        # csv line of row k: header is line 1; a cell with a newline spans lines
        matches = [i for line, i in by_line.items() if res.table["subject"].iloc[i] == f"S{k}"]
        if not matches:  # set aside: no item answered
            assert all(not c.strip() for c in row)
            continue
        got = res.table.iloc[matches[0]][["phq9_1", "phq9_2", "phq9_3"]].tolist()
        for cell, value in zip(row, got, strict=True):
            text = cell.strip()
            if not text:
                assert (
                    value is None
                    or (isinstance(value, float) and math.isnan(value))
                    or str(value) == "<NA>"
                )
            else:
                try:
                    expected = float(text)
                except ValueError:
                    expected = LABELS[" ".join(text.split()).casefold()]
                assert float(value) == expected


def test_ragged_and_misquoted_text_exports(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("subject,phq9_1\nA,1,2\nB,1\n")
    with pytest.raises(po.InputFileError, match="line 2 has 3") as info:
        po.read_responses(ragged)
    assert info.value.failure_cases["reason"].tolist() == ["wrong-field-count"]
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('subject,phq9_1\n"A,1\n')
    with pytest.raises(po.InputFileError):
        po.read_responses(quoted)
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes("subject,phq9_1\nA,1\n".encode("utf-16"))
    with pytest.raises(po.InputFileError, match="UTF-16"):
        po.read_responses(utf16)
    with pytest.raises(po.InputFileError, match="no file at that path"):
        po.read_responses(tmp_path / "missing.csv")
    with pytest.raises(po.InputFileError, match="old Excel 97-2003"):
        po.read_responses(tmp_path / "old.xls")


def test_input_is_never_modified(tmp_path):
    path = tmp_path / "same.csv"
    text = "subject,phq9_1\nA,Several days\n"
    path.write_text(text)
    po.read_responses(path)
    assert path.read_text() == text
