"""Hostile input for score / validate_responses (issue 9): every cell, column, index and mapping
either gives the score a reference computation gives, or an error naming exactly the bad cells.

The reference is written here from first principles: a PHQ-9 total is the sum of nine answers
0..3 when all nine are answered, else missing; ``n_answered`` counts the answers.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from past_outcomes import ArgumentError, ResponseValidationError, score, validate_responses

ITEMS = [f"phq9_{i}" for i in range(1, 10)]
OK, MISSING = "ok", "missing"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def phq9(rows, dtype=None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ITEMS, dtype=dtype)


def good(n: int = 2) -> pd.DataFrame:
    return phq9([[1, 1, 1, 1, 1, 0, 0, 0, 0], [2, 2, 2, 2, 2, 2, 2, 2, 2]][:n] * max(1, n // 2))


def fails(call) -> set[tuple]:
    """Run call(); return the failure table as {(position, column, reason)}."""
    with pytest.raises(ResponseValidationError, match="failed validation") as info:
        call()
    fc = info.value.failure_cases
    return {(p, c, r) for p, c, r in zip(fc["position"], fc["column"], fc["reason"], strict=True)}


# --------------------------------------------------------------------------------------------
# 1. One column per item, one item per column
# --------------------------------------------------------------------------------------------


def test_a_column_is_never_read_as_two_items():
    data = good()
    with pytest.raises(
        ArgumentError,
        match=r"column 'phq9_1' would be read as two items: 'phq9_1' \(its own name\) and "
        r"'phq9_2' \(items maps it there\)",
    ):
        score(data, instrument="phq9", items={"phq9_1": "phq9_2"})
    with pytest.raises(
        ArgumentError,
        match=r"column 'phq9_2' would be read as two items: 'phq9_1' \(items maps it there\) "
        r"and 'phq9_2' \(its own name\)",
    ):
        validate_responses(data, instrument="phq9", items={"phq9_2": "phq9_1"})


def test_a_column_named_like_a_mapped_item_is_not_silently_ignored():
    data = good().assign(Q1=[0, 0])
    data["phq9_1"] = 99
    with pytest.raises(
        ArgumentError,
        match=r"'phq9_1' could come from column 'Q1' \(items maps it there\) or from the "
        r"column named 'phq9_1', which would be silently ignored",
    ):
        score(data, instrument="phq9", items={"Q1": "phq9_1"})


def test_swapping_two_items_explicitly_is_allowed_and_read_as_asked():
    data = phq9([[3, 0, 0, 0, 0, 0, 0, 0, 0]])
    out = score(data, instrument="phq9", items={"phq9_1": "phq9_9", "phq9_9": "phq9_1"})
    assert out["phq9_item9_flag"].tolist() == [True]  # item 9 now reads the 3
    assert out["phq9_total"].tolist() == [3.0]
    renamed = data.rename(columns={"phq9_1": "Q1"})
    out = score(renamed, instrument="phq9", items={"Q1": "phq9_1"})  # no same-named rival: fine
    assert out["phq9_total"].tolist() == [3.0]


def test_one_column_cannot_feed_two_instruments():
    data = pd.concat([good(), good().rename(columns=lambda c: c.replace("phq9", "gad7"))], axis=1)
    data = data.drop(columns=["phq9_1", "gad7_8", "gad7_9"])
    with pytest.raises(ArgumentError, match=r"column 'gad7_1' would be read as two items"):
        score(data, instrument=["phq9", "gad7"], items={"gad7_1": "phq9_1"})


@pytest.mark.parametrize(
    "items, message",
    [
        ({"phq9_1": 1}, r"item column name \(text\); got 'phq9_1' -> 1 \(int\)"),
        ({"phq9_1": ["phq9_2"]}, r"item column name \(text\); got 'phq9_1' -> \['phq9_2'\]"),
        ({"phq9_1": None}, r"item column name \(text\); got 'phq9_1' -> None"),
        ({"Q1": "phq9_1"}, "the data have no column 'Q1'"),
        ({("a", "b"): "phq9_1"}, r"the data have no column \('a', 'b'\)"),
        ({"phq9_1": "gad7_1"}, "'gad7_1', which is not an item column of phq9"),
        ({"phq9_1": "phq9_10"}, "'phq9_10', which is not an item column of phq9"),
        ({"phq9_1": "phq9_2", "phq9_2": "phq9_2"}, "items maps two columns to 'phq9_2'"),
        (["phq9_1"], "items must map data columns to item columns"),
    ],
)
def test_bad_item_maps_are_argument_errors(items, message):
    for call in (score, validate_responses):
        with pytest.raises(ArgumentError, match=message):
            call(good(), instrument="phq9", items=items)


@FAST
@given(
    pairs=st.dictionaries(
        st.sampled_from([*ITEMS[:4], "Q1", "Q2", 0, None]),
        st.sampled_from([*ITEMS[:4], "gad7_1"]),
        max_size=4,
    ),
    present=st.sets(st.sampled_from([*ITEMS[:4], "Q1", "Q2", 0, None]), min_size=3),
)
def test_item_maps_obey_one_column_one_item(pairs, present):
    # every column holds its own distinct valid answer pattern, so a misread shows in the total
    codes = {c: k % 4 for k, c in enumerate([*ITEMS[:4], "Q1", "Q2", 0, None])}
    data = pd.DataFrame({c: [codes[c]] for c in present}, columns=list(present))
    for c in ITEMS[4:]:
        data[c] = 0
    before = data.copy(deep=True)
    # the reference: which column each item reads, and whether the map is acceptable
    ok = all(d != "gad7_1" and s in data.columns for s, d in pairs.items())
    source = {}
    for item in ITEMS:
        owners = [s for s, d in pairs.items() if d == item]
        ok = ok and len(owners) <= 1  # two columns for one item
        if owners:
            source[item] = owners[0]
        elif item in data.columns:
            source[item] = item
    used = list(source.values())
    ok = ok and len(used) == len(set(used))  # no column feeds two items
    ok = ok and not any(d in data.columns and d not in used for s, d in pairs.items() if s != d)
    if not ok:
        with pytest.raises(ArgumentError, match="items|item"):
            score(data, instrument="phq9", items=pairs)
    elif all(i in source for i in ITEMS):
        out = score(data, instrument="phq9", items=pairs)
        assert out["phq9_total"].iloc[0] == sum(codes[source[i]] for i in ITEMS[:4])
    else:
        absent = {(None, i, "missing-column") for i in ITEMS if i not in source}
        assert fails(lambda: score(data, instrument="phq9", items=pairs)) == absent
    pd.testing.assert_frame_equal(data, before)


# --------------------------------------------------------------------------------------------
# 2. What a cell may hold (one cell of an object column; the other answers sum to 8)
# --------------------------------------------------------------------------------------------

CELLS = [
    # (cell, expected): a number, MISSING, or a reason code
    (2, 2),
    (np.int64(2), 2),
    (np.uint8(3), 3),
    (np.float32(2.0), 2),
    (2.0, 2),
    (Decimal("2"), 2),
    (Fraction(2, 1), 2),
    (Fraction(1, 2), "not-an-integer"),
    ("2", 2),
    (" 2 ", 2),
    ("\t2\n", 2),
    ("\u00a02", 2),  # a non-breaking space is white space
    ("2.0", 2),
    ("1e0", 1),
    ("+1", 1),
    ("-0", 0),
    ("4", "out-of-range"),
    ("1.5", "not-an-integer"),
    (True, "not-a-number"),
    (False, "not-a-number"),
    (np.bool_(True), "not-a-number"),
    (1 + 0j, "not-a-number"),
    (np.complex128(1), "not-a-number"),
    (b"1", "not-a-number"),
    ("TRUE", "not-a-number"),
    ("nan", "not-a-number"),
    ("NaN", "not-a-number"),
    ("inf", "not-a-number"),
    ("-Infinity", "not-a-number"),
    ("NA", "not-a-number"),
    ("0x1", "not-a-number"),
    ("1,5", "not-a-number"),
    ("1_0", "not-a-number"),
    ("\uff12", "not-a-number"),  # a full-width digit 2
    ("several days", "not-a-number"),
    ([1], "not-a-number"),
    ({"a": 1}, "not-a-number"),
    (pd.Timestamp("2020-01-01"), "not-a-number"),
    (dt.date(2020, 1, 1), "not-a-number"),
    (pd.Timedelta(1), "not-a-number"),
    (Decimal("sNaN"), "not-a-number"),
    (math.inf, "not-finite"),
    (-math.inf, "not-finite"),
    (np.float64("inf"), "not-finite"),
    (Decimal("Infinity"), "not-finite"),
    (1e300, "out-of-range"),
    (10**400, "out-of-range"),
    (-(10**400), "out-of-range"),
    ("1e400", "out-of-range"),
    (None, MISSING),
    (math.nan, MISSING),
    (pd.NA, MISSING),
    (pd.NaT, MISSING),
    (Decimal("NaN"), MISSING),
    ("", MISSING),
    ("   ", MISSING),
]


@pytest.mark.parametrize("cell, expected", CELLS, ids=[repr(c)[:30] for c, _ in CELLS])
@pytest.mark.parametrize("neighbour", ["number", "text"])
def test_one_cell_of_an_object_column(cell, expected, neighbour):
    column = np.empty(2, dtype=object)
    column[0] = cell
    column[1] = 1 if neighbour == "number" else "1"  # all-number and all-text fast paths too
    data = phq9([[0, 1, 1, 1, 1, 1, 1, 1, 1], [1] * 9])
    data["phq9_1"] = column
    before = data.copy(deep=True)
    if expected == MISSING:
        out = score(data, instrument="phq9")
        assert math.isnan(out["phq9_total"].iloc[0])
        assert out["phq9_n_answered"].tolist() == [8, 9]
    elif isinstance(expected, int):
        out = score(data, instrument="phq9")
        assert out["phq9_total"].tolist() == [8 + expected, 9]
        assert not np.signbit(out["phq9_total"].iloc[0])  # "-0" is zero, not minus zero
    else:
        assert fails(lambda: score(data, instrument="phq9")) == {(0, "phq9_1", expected)}
    assert [type(v) for v in data["phq9_1"]] == [type(v) for v in before["phq9_1"]]


def test_not_a_number_messages_say_what_the_cell_holds():
    data = phq9([[0] * 9] * 3).astype(object)
    data.loc[0, "phq9_1"] = True
    data.loc[1, "phq9_1"] = 1 + 2j
    data.loc[2, "phq9_1"] = "x" * 500
    with pytest.raises(ResponseValidationError) as info:
        score(data, instrument="phq9")
    text = str(info.value)
    assert "got the boolean True (a boolean is not an answer code) in row 0" in text
    assert "got the complex number (1+2j) in row 1" in text
    assert "got the text 'xxxx" in text and "x" * 100 not in text  # long text is cut
    assert info.value.failure_cases["value"].iloc[2] == "x" * 500  # the table keeps it whole


def _bad_column(values, dtype):
    data = phq9([[1] * 9] * len(values))
    data["phq9_5"] = pd.Series(values, dtype=dtype)
    return data


@pytest.mark.parametrize(
    "values, dtype, expected",
    [
        # (column, dtype, {position: reason or number}); rows answer 1 elsewhere (sum 8)
        ([True, False], "bool", {0: "not-a-number", 1: "not-a-number"}),
        ([True, None], "boolean", {0: "not-a-number", 1: MISSING}),
        ([1 + 0j, 0j], "complex128", {0: "not-a-number", 1: "not-a-number"}),
        (["2020-01-01", None], "datetime64[ns]", {0: "not-a-number", 1: MISSING}),
        (["2020-01-01", None], "datetime64[ns, UTC]", {0: "not-a-number", 1: MISSING}),
        ([pd.Timedelta(1), None], "timedelta64[ns]", {0: "not-a-number", 1: MISSING}),
        ([pd.Period("2020-01"), None], "period[M]", {0: "not-a-number", 1: MISSING}),
        ([2, None], "Int64", {0: 2, 1: MISSING}),
        ([2, 7], "UInt8", {0: 2, 1: "out-of-range"}),
        ([2.0, None], "Float64", {0: 2, 1: MISSING}),
        ([math.inf, 1.5], "Float64", {0: "not-finite", 1: "not-an-integer"}),
        ([-math.inf, math.nan], "float64", {0: "not-finite", 1: MISSING}),
        ([1e308, -1e308], "float64", {0: "out-of-range", 1: "out-of-range"}),
        ([3, 2], "float16", {0: 3, 1: 2}),
        ([2**64 - 1, 3], "uint64", {0: "out-of-range", 1: 3}),
        ([-128, 3], "int8", {0: "out-of-range", 1: 3}),
        ([2, None], "category", {0: 2, 1: MISSING}),
        ([2, 5], "category", {0: 2, 1: "out-of-range"}),
        (["2", "x"], "category", {0: 2, 1: "not-a-number"}),
        ([True, None], "category", {0: "not-a-number", 1: MISSING}),
        (["2", None], "string", {0: 2, 1: MISSING}),
        ([" 3", "nan"], "string", {0: 3, 1: "not-a-number"}),
        (["2", None], "str", {0: 2, 1: MISSING}),
        (["", "inf"], "str", {0: MISSING, 1: "not-a-number"}),
        ([2, 0], pd.SparseDtype("int64", 0), {0: 2, 1: 0}),
        ([True, False], pd.SparseDtype("bool", False), {0: "not-a-number", 1: "not-a-number"}),
    ],
)
def test_column_dtypes(values, dtype, expected):
    data = _bad_column(values, dtype)
    before = data.copy(deep=True)
    bad = {(p, "phq9_5", r) for p, r in expected.items() if isinstance(r, str) and r != MISSING}
    if bad:
        assert fails(lambda: validate_responses(data, instrument="phq9")) == bad
    else:
        out = score(data, instrument="phq9")
        want = [8.0 + v if v != MISSING else math.nan for v in expected.values()]
        np.testing.assert_array_equal(out["phq9_total"].to_numpy(), want)
    pd.testing.assert_frame_equal(data, before)


def test_pyarrow_strings_if_installed():
    pytest.importorskip("pyarrow")
    data = _bad_column(["2", None], "string[pyarrow]")
    assert score(data, instrument="phq9")["phq9_total"].iloc[0] == 10
    data = _bad_column(["2", "nan"], "string[pyarrow]")
    assert fails(lambda: score(data, instrument="phq9")) == {(1, "phq9_5", "not-a-number")}


# --------------------------------------------------------------------------------------------
# 3. A million bad cells cost no million sentences
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["text", 7, True])
def test_messages_are_capped_and_the_failure_table_is_complete(bad):
    n = 3000
    data = phq9([[bad] * 9] * n, dtype=object if bad == "text" else None)
    with pytest.raises(ResponseValidationError) as info:
        score(data, instrument="phq9")
    fc = info.value.failure_cases
    assert len(fc) == 9 * n
    assert fc["position"].tolist() == list(range(n)) * 9
    assert fc["row"].tolist() == list(range(n)) * 9
    written = fc["message"].map(lambda m: isinstance(m, str))
    assert written.sum() == 9 * 50  # sentences for the first 50 per column only
    assert written.groupby(fc["column"]).sum().tolist() == [50] * 9
    text = str(info.value)
    assert len(text) < 3000
    assert f"and {9 * n - 10} more; see .failure_cases for all" in text
    assert text.count("phq9_1 must be an integer from 0 to 3") == 10


# --------------------------------------------------------------------------------------------
# 4. Column labels: repeated, MultiIndex, not text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [score, validate_responses])
def test_repeated_column_names_are_refused_by_name(call):
    data = pd.concat([good(), good()[["phq9_3"]]], axis=1)
    with pytest.raises(ArgumentError, match=r"unique column names; 'phq9_3' appear"):
        call(data, instrument="phq9")


@pytest.mark.parametrize("call", [score, validate_responses])
def test_multiindex_columns_are_refused(call):
    data = good()
    data.columns = pd.MultiIndex.from_tuples([("phq9", c) for c in ITEMS])
    with pytest.raises(ArgumentError, match=r"one level of column names; got 2 levels"):
        call(data, instrument="phq9")


def test_column_labels_that_are_not_text_do_not_crash():
    data = good()
    for extra in (0, None, ("a", "b"), 1.5, pd.Timestamp(0)):
        data[extra] = ["x", "y"]
    out = score(data, instrument="phq9")
    assert out["phq9_total"].tolist() == [5, 18]
    # such labels can also be mapped, and name the column in failures
    renamed = data.drop(columns=["phq9_1", "phq9_2"])
    renamed[7] = [1, 2]
    renamed[("q", 2)] = [9, 2]
    with pytest.raises(ResponseValidationError, match=r"\('q', 2\) must be an integer") as info:
        score(renamed, instrument="phq9", items={7: "phq9_1", ("q", 2): "phq9_2"})
    fc = info.value.failure_cases
    assert fc[["position", "column", "reason"]].values.tolist() == [[0, ("q", 2), "out-of-range"]]
    renamed[("q", 2)] = [1, 2]
    out = score(renamed, instrument="phq9", items={7: "phq9_1", ("q", 2): "phq9_2"})
    assert out["phq9_total"].tolist() == [5, 18]


# --------------------------------------------------------------------------------------------
# 5. Missing identifiers are missing values, not duplicates of each other
# --------------------------------------------------------------------------------------------


def test_rows_missing_an_id_are_reported_once_and_not_as_duplicates():
    data = phq9([[1] * 9] * 5)
    data["subject"] = ["a", None, np.nan, "a", "b"]
    data["timepoint"] = ["t0", "t0", "t0", "t0", pd.NA]
    with pytest.raises(ResponseValidationError) as info:
        score(data, instrument="phq9")
    fc = info.value.failure_cases
    assert fc[["position", "column", "reason"]].values.tolist() == [
        [1, "subject", "missing-value"],
        [2, "subject", "missing-value"],
        [4, "timepoint", "missing-value"],
        [0, "subject+timepoint", "duplicate-observation"],
        [3, "subject+timepoint", "duplicate-observation"],
    ]
    assert "subject must identify the subject of every row; it is missing in row 1" in str(
        info.value
    )
    out = score(data, instrument="phq9", subject=None, timepoint=None)  # no ids: nothing to check
    assert out["phq9_total"].tolist() == [9] * 5


@FAST
@given(
    ids=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", 1, None, math.nan]),
            st.sampled_from(["t0", "t1", None, pd.NA]),
        ),
        max_size=8,
    )
)
def test_id_failures_match_a_reference(ids):
    data = phq9([[0] * 9] * len(ids)) if ids else phq9([]).astype("int64")
    data["subject"] = pd.Series([s for s, _ in ids], dtype=object)
    data["timepoint"] = pd.Series([t for _, t in ids], dtype=object)
    expected = set()
    complete = []
    for pos, (s, t) in enumerate(ids):
        if s is None or (isinstance(s, float) and math.isnan(s)):
            expected.add((pos, "subject", "missing-value"))
        if t is None or t is pd.NA:
            expected.add((pos, "timepoint", "missing-value"))
        if (pos, "subject", "missing-value") not in expected and (
            (pos, "timepoint", "missing-value") not in expected
        ):
            complete.append((pos, (s, t)))
    for pos, key in complete:
        if sum(k == key for _, k in complete) > 1:
            expected.add((pos, "subject+timepoint", "duplicate-observation"))
    if expected:
        assert fails(lambda: validate_responses(data, instrument="phq9")) == expected
    else:
        assert validate_responses(data, instrument="phq9").shape == (len(ids), 9)


# --------------------------------------------------------------------------------------------
# 6. Shapes and indexes
# --------------------------------------------------------------------------------------------


def test_zero_rows_give_an_empty_result_with_every_column():
    for dtype in ("int64", "float64", object, "Int64", "str"):
        data = phq9([]).astype(dtype)
        out = score(data, instrument="phq9")
        assert len(out) == 0
        assert list(out.columns) == [
            "phq9_total",
            "phq9_band",
            "phq9_item9_flag",
            "phq9_probable_depression",
            "phq9_n_answered",
        ]


@pytest.mark.parametrize("rows", [0, 3])
def test_zero_columns_report_every_missing_item(rows):
    data = pd.DataFrame(index=range(rows))
    with pytest.raises(ResponseValidationError, match="missing-column x9") as info:
        score(data, instrument="phq9")
    assert info.value.failure_cases["column"].tolist() == ITEMS


def test_repeated_index_labels_keep_positions_apart():
    data = phq9([[1] * 9, [1] * 9, [1] * 9], dtype=object)
    data.index = ["r", "r", "s"]
    data.loc[:, "phq9_4"] = [1, "x", 9]
    with pytest.raises(ResponseValidationError) as info:
        score(data, instrument="phq9")
    fc = info.value.failure_cases
    assert fc[["row", "position", "reason"]].values.tolist() == [
        ["r", 1, "not-a-number"],
        ["s", 2, "out-of-range"],
    ]
    assert "in row 'r' (position 1; the index repeats this label)" in str(info.value)
    good_rows = data.assign(phq9_4=[1, 2, 3])
    out = score(good_rows, instrument="phq9")
    assert list(out.index) == ["r", "r", "s"]
    assert out["phq9_total"].tolist() == [9, 10, 11]  # by position, never by label


def test_a_multiindex_of_rows_is_reported_as_tuples():
    data = phq9([[1] * 9, [1] * 9])
    data.index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2)], names=["site", "n"])
    data["phq9_2"] = [1, 4]
    with pytest.raises(ResponseValidationError, match=r"got 4 in row \('a', 2\)") as info:
        score(data, instrument="phq9")
    assert info.value.failure_cases["row"].tolist() == [("a", 2)]
    out = score(data.assign(phq9_2=[1, 2]), instrument="phq9")
    assert out.index.equals(data.index)
    assert out["phq9_total"].tolist() == [9, 10]


def test_nullable_and_categorical_answers_score_like_plain_numbers():
    plain = phq9([[0, 1, 2, 3, 0, 1, 2, 3, 0], [3, 3, 3, 3, 3, 3, 3, 3, None]])
    # totals by hand: 0+1+2+3+0+1+2+3+0 = 12; second row misses item 9
    for dtype in ("float64", "Int64", "Float64", "category", object):
        out = score(plain.astype(dtype), instrument="phq9")
        np.testing.assert_array_equal(out["phq9_total"], [12.0, math.nan], err_msg=str(dtype))
        assert out["phq9_n_answered"].tolist() == [9, 8]
        assert out["phq9_item9_flag"].tolist() == [False, pd.NA]


# --------------------------------------------------------------------------------------------
# 7. No shared memory, no mutated input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "float64", "Int64", "Float64"])
def test_outputs_share_no_memory_with_the_input(dtype):
    data = phq9([[1] * 9, [2] * 9], dtype=dtype)
    data.index = pd.Index([10, 20])
    for out in (score(data, instrument="phq9"), validate_responses(data, instrument="phq9")):
        for col in out.columns:
            array = np.asarray(out[col].array) if out[col].dtype != object else None
            for src in data.columns:
                arr_in = data[src].to_numpy()
                if array is not None and array.dtype != object:
                    assert not np.shares_memory(array, arr_in), (col, src)
        assert not np.shares_memory(out.index.to_numpy(), data.index.to_numpy())
        out.iloc[0, 0] = 99  # writing to the result never reaches the input
    assert data.iloc[0, 0] == 1


# --------------------------------------------------------------------------------------------
# The attack: arbitrary mixes of answers, dtypes and indexes against a reference
# --------------------------------------------------------------------------------------------

ANSWERS = st.integers(0, 3)
# every palette entry draws (cell, expected): a number, MISSING, or a reason code
NUMERIC = st.one_of(
    ANSWERS.map(lambda k: (float(k), k)),
    st.sampled_from([-1.0, 4.0, 1e300, -1e300]).map(lambda v: (v, "out-of-range")),
    st.sampled_from([0.5, 2.25]).map(lambda v: (v, "not-an-integer")),
    st.sampled_from([math.inf, -math.inf]).map(lambda v: (v, "not-finite")),
    st.just((math.nan, MISSING)),
)
INTS = st.one_of(
    ANSWERS.map(lambda k: (k, k)),
    st.sampled_from([-3, 4, 2**40]).map(lambda v: (v, "out-of-range")),
)
OBJECTS = st.one_of(
    NUMERIC,
    INTS,
    ANSWERS.map(lambda k: (np.int64(k), k)),
    ANSWERS.map(lambda k: (Decimal(k), k)),
    ANSWERS.map(lambda k: (f" {k} ", k)),
    st.sampled_from([True, False, np.bool_(False)]).map(lambda v: (v, "not-a-number")),
    st.sampled_from(["abc", "nan", "inf", "TRUE", "1,0"]).map(lambda v: (v, "not-a-number")),
    st.sampled_from([1 + 0j, 2j, b"2"]).map(lambda v: (v, "not-a-number")),
    st.sampled_from([None, pd.NA, "", "  "]).map(lambda v: (v, MISSING)),
    st.just((10**400, "out-of-range")),
)
TEXT = st.one_of(
    ANSWERS.map(lambda k: (str(k), k)),
    ANSWERS.map(lambda k: (f"{k}.0 ", k)),
    st.sampled_from(["4", "-1"]).map(lambda v: (v, "out-of-range")),
    st.sampled_from(["x", "nan", "NaN", "inf", "True"]).map(lambda v: (v, "not-a-number")),
    st.sampled_from([None, ""]).map(lambda v: (v, MISSING)),
)
NULLABLE_INTS = st.one_of(INTS, st.just((pd.NA, MISSING)))
BOOLS = st.sampled_from([(True, "not-a-number"), (False, "not-a-number")])
COMPLEX = st.sampled_from([(1 + 0j, "not-a-number"), (0j, "not-a-number")])

#: dtype -> cell palette (the dtype keeps each cell what the palette says it is)
KINDS = {
    object: OBJECTS,
    "float64": NUMERIC,
    "int64": INTS,
    "Int64": NULLABLE_INTS,
    "Float64": NUMERIC,
    "bool": BOOLS,
    "boolean": st.one_of(BOOLS, st.just((None, MISSING))),
    "complex128": COMPLEX,
    "str": TEXT,
    "string": TEXT,
    "category": st.one_of(INTS, st.just((None, MISSING))),
}


@st.composite
def hostile_frames(draw):
    n = draw(st.integers(0, 6))
    data, expected = {}, {}
    for item in ITEMS:
        dtype = draw(st.sampled_from(list(KINDS)))
        clean = draw(st.booleans())  # many columns stay valid, so that results occur too
        if clean and dtype in ("bool", "boolean", "complex128"):
            dtype = "int64"
        palette = ANSWERS.map(lambda k: (k, k)) if clean else KINDS[dtype]
        cells = [draw(palette) for _ in range(n)]
        data[item] = pd.Series([c for c, _ in cells], dtype=dtype)
        expected[item] = [e for _, e in cells]
    frame = pd.DataFrame(data)
    index = draw(st.sampled_from(["range", "repeated", "text", "multi"]))
    if index == "repeated":
        frame.index = [0] * n
    elif index == "text":
        frame.index = [f"r{i}" for i in range(n)]
    elif index == "multi" and n:
        frame.index = pd.MultiIndex.from_tuples([("s", i) for i in range(n)])
    return frame, expected


def _snapshot(frame):
    return frame.copy(deep=True), [list(frame[c]) for c in frame.columns]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    try:
        both_missing = pd.isna(a) and pd.isna(b)
    except Exception:  # lists, Decimal("sNaN")
        both_missing = False
    if bool(both_missing) or a is b:
        return True
    equal = a == b
    return isinstance(equal, (bool, np.bool_)) and bool(equal)


def _unchanged(frame, snap) -> None:
    copy, cells = snap
    assert list(frame.dtypes) == list(copy.dtypes)
    assert frame.index.equals(copy.index)
    for c, before in zip(frame.columns, cells, strict=True):
        after = list(frame[c])
        changed = [(x, y) for x, y in zip(after, before, strict=True) if not _same(x, y)]
        assert not changed, (c, frame[c].dtype, changed)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_frames())
def test_hostile_frames_score_like_the_reference_or_name_every_bad_cell(case):
    frame, expected = case
    snap = _snapshot(frame)
    bad = {
        (pos, item, e)
        for item, column in expected.items()
        for pos, e in enumerate(column)
        if isinstance(e, str) and e != MISSING
    }
    for call in (score, validate_responses):
        if bad:
            with pytest.raises(ResponseValidationError) as info:
                call(frame, instrument="phq9")
            fc = info.value.failure_cases
            got = set(zip(fc["position"], fc["column"], fc["reason"], strict=True))
            assert got == bad
            labels = [frame.index[p] for p in fc["position"]]
            assert fc["row"].tolist() == labels
        elif call is score:
            out = call(frame, instrument="phq9")
            for pos in range(len(frame)):
                answers = [expected[item][pos] for item in ITEMS]
                answered = [a for a in answers if a != MISSING]
                total = sum(answered) if len(answered) == 9 else math.nan
                assert _same(float(out["phq9_total"].iloc[pos]), float(total))
                assert out["phq9_n_answered"].iloc[pos] == len(answered)
            assert out.index.equals(frame.index)
        else:
            matrix = call(frame, instrument="phq9")
            want = [[math.nan if e == MISSING else e for e in expected[i]] for i in ITEMS]
            np.testing.assert_array_equal(matrix.to_numpy().T.reshape(9, -1), want)
        _unchanged(frame, snap)
