"""Bad input: every case raises a clear, collected error; nothing is lost or mutated."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from past_outcomes import ArgumentError, ResponseValidationError, score, validate_responses


def phq9(rows, **extra) -> pd.DataFrame:
    data = pd.DataFrame(rows, columns=[f"phq9_{i}" for i in range(1, 10)])
    for k, v in extra.items():
        data[k] = v
    return data


GOOD = [[1, 1, 1, 1, 1, 0, 0, 0, 0], [2, 2, 2, 2, 2, 2, 2, 2, 2]]

# (description, mutate(data) -> data, expected failure rows as (row, column, value, reason))
CASES = [
    ("out of range high", lambda d: d.assign(phq9_3=[1, 4]), [(1, "phq9_3", 4.0, "out-of-range")]),
    ("out of range low", lambda d: d.assign(phq9_1=[-1, 2]), [(0, "phq9_1", -1.0, "out-of-range")]),
    ("fraction", lambda d: d.assign(phq9_2=[1.5, 2.0]), [(0, "phq9_2", 1.5, "not-an-integer")]),
    ("text", lambda d: d.assign(phq9_4=["abc", "2"]), [(0, "phq9_4", "abc", "not-a-number")]),
    (
        "missing column",
        lambda d: d.drop(columns="phq9_9"),
        [(None, "phq9_9", None, "missing-column")],
    ),
    (
        "unknown item column",
        lambda d: d.assign(phq9_10=[0, 1]),
        [(None, "phq9_10", None, "unknown-column")],
    ),
]


@pytest.mark.parametrize("name, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_cells_raise_one_error_with_a_failure_table(name, mutate, expected):
    data = mutate(phq9(GOOD))
    with pytest.raises(
        ResponseValidationError, match=r"Responses to phq9 failed validation"
    ) as info:
        score(data, instrument="phq9")
    fc = info.value.failure_cases
    got = [(r.row, r.column, r.value, r.reason) for r in fc.itertuples()]
    assert got == expected
    assert isinstance(info.value, ValueError)


def test_float_codes_like_3_0_are_fine_and_missing_is_not_an_error():
    data = phq9([[1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, np.nan]])
    out = score(data, instrument="phq9")
    assert math.isnan(out["phq9_total"].iloc[0])
    assert out["phq9_n_answered"].iloc[0] == 8


def test_zero_on_a_one_to_five_item_is_out_of_range():
    row = [0] + [3] * 18
    data = pd.DataFrame([row], columns=[f"fsfi_{i}" for i in range(1, 20)])
    with pytest.raises(
        ResponseValidationError, match=r"fsfi_1 must be an integer from 1 to 5; got 0 in row 0"
    ):
        score(data, instrument="fsfi")


def test_six_on_a_zero_to_five_item_is_out_of_range():
    row = [3] * 18 + [6]
    data = pd.DataFrame([row], columns=[f"fsfi_{i}" for i in range(1, 20)])
    with pytest.raises(
        ResponseValidationError, match=r"fsfi_19 must be an integer from 0 to 5; got 6"
    ):
        score(data, instrument="fsfi")


def test_all_errors_are_collected_and_located_by_subject_and_timepoint():
    data = phq9(GOOD * 2, subject=["S1", "S1", "S2", "S2"], timepoint=["t0", "t1", "t0", "t0"])
    data.loc[0, "phq9_1"] = 7
    data.loc[3, "phq9_5"] = 9
    with pytest.raises(ResponseValidationError) as info:
        validate_responses(data, instrument="phq9")
    fc = info.value.failure_cases
    assert fc[["row", "subject", "timepoint", "reason"]].values.tolist() == [
        [0, "S1", "t0", "out-of-range"],
        [3, "S2", "t0", "out-of-range"],
        [2, "S2", "t0", "duplicate-observation"],
        [3, "S2", "t0", "duplicate-observation"],
    ]
    message = str(info.value)
    assert (
        "phq9_1 must be an integer from 0 to 3; got 7 in row 0, subject S1, timepoint t0" in message
    )
    assert "subject S2 has more than one row at timepoint t0" in message
    assert "Remedy:" in message


def test_score_never_mutates_its_input():
    data = phq9(GOOD, subject=["a", "b"])
    data.loc[0, "phq9_9"] = np.nan
    before = data.copy(deep=True)
    score(data, instrument="phq9")
    pd.testing.assert_frame_equal(data, before)


def test_items_maps_other_column_names():
    data = pd.DataFrame([[1, 2, 0, 0, 0, 0, 3]], columns=[f"Q{i}" for i in range(1, 8)])
    out = score(data, instrument="gad7", items={f"Q{i}": f"gad7_{i}" for i in range(1, 8)})
    assert out["gad7_total"].iloc[0] == 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"missing": "impute"}, "missing must be one of 'complete', 'prorate'; got 'impute'"),
        ({"missing": "prorate"}, "phq9 declare\\(s\\) none"),
        ({"items": {"Q1": "phq9_1"}}, "the data have no column 'Q1'"),
        ({"items": {"phq9_1": "phq9_99"}}, "not an item column"),
        ({"subject": "client"}, "subject='client' must name a column"),
    ],
)
def test_argument_errors_raise_at_once(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        score(phq9(GOOD), instrument="phq9", **kwargs)


def test_non_dataframe_input_is_rejected():
    with pytest.raises(ArgumentError, match="data must be a pandas DataFrame"):
        score([[1] * 9], instrument="phq9")


def test_missing_codes_declared_in_a_users_spec_become_missing(tmp_path):
    from past_outcomes.instrument import instruments_dir

    text = (instruments_dir() / "gad7.yaml").read_text()
    text = text.replace(
        "response: {min: 0, max: 3, integer: true,",
        "response: {min: 0, max: 3, integer: true, missing_codes: [9],",
    )
    path = tmp_path / "gad7.yaml"
    path.write_text(text)
    out = score(
        pd.DataFrame([[1, 1, 1, 1, 1, 1, 9]], columns=[f"gad7_{i}" for i in range(1, 8)]),
        instrument=path,
    )
    assert math.isnan(out["gad7_total"].iloc[0])
    assert out["gad7_n_answered"].iloc[0] == 6


def test_nullable_integer_columns_are_accepted():
    data = phq9(GOOD).astype("Int64")
    data.loc[1, "phq9_9"] = pd.NA
    out = score(data, instrument="phq9")
    assert out["phq9_total"].iloc[0] == 5
    assert math.isnan(out["phq9_total"].iloc[1])
