"""Every fast path of the scoring engine gives exactly what the general path gives.

``past_outcomes._responses.FAST_PATHS = False`` forces the general path: every cell read one
by one (``cells_to_float``), every column checked with per-cell masks, the items answered
counted cell by cell. The fast paths (plain integers checked by min and max, float64 columns
read in place, the block pass of reductions over a 2-D view or stacked blocks, text read once
per distinct value, blocked sums and counts) must give the same scores, the same validated
items (down to the sign of zero) and, for invalid input, the same failure table: booleans,
complex numbers, text, inf, fractions, out-of-range answers, duplicate and missing ids.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import past_outcomes._responses as responses
from past_outcomes import score, validate_responses
from past_outcomes.errors import ResponseValidationError

PHQ = [f"phq9_{i}" for i in range(1, 10)]
FSFI = [f"fsfi_{i}" for i in range(1, 20)]

VALID = st.sampled_from([0.0, 1.0, 2.0, 3.0, -0.0])
HOSTILE = st.one_of(
    st.just(np.nan),
    st.just(np.inf),
    st.just(-np.inf),
    st.sampled_from([0.5, 2.5, 4.0, -1.0, 1e300, 7.0]),
    st.floats(allow_nan=True, allow_infinity=True),
)
CELL_OBJECTS = st.one_of(
    st.sampled_from(["0", "3", " 2 ", "2.0", "1e0", "-0", "", "  ", "nan", "inf", "x", "1,5"]),
    st.sampled_from([None, pd.NA, np.nan, True, False, 1 + 2j, b"1", Decimal("2"), 10**400]),
    st.integers(-2, 5),
    VALID,
)


def _outcome(fn):
    """('result', value) or ('error', failure_cases, message)."""
    try:
        return ("result", fn())
    except ResponseValidationError as exc:
        return ("error", exc.failure_cases, str(exc))


def _both_paths(monkeypatch, fn):
    fast = _outcome(fn)
    monkeypatch.setattr(responses, "FAST_PATHS", False)
    general = _outcome(fn)
    monkeypatch.setattr(responses, "FAST_PATHS", True)
    return fast, general


def _assert_same(fast, general) -> None:
    assert fast[0] == general[0], (fast, general)
    if fast[0] == "error":
        pd.testing.assert_frame_equal(fast[1], general[1])
        assert fast[2] == general[2]
        return
    got, want = fast[1], general[1]
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for col in want.columns:  # assert_frame_equal does not tell 0.0 from -0.0
        if want[col].dtype == np.float64:
            np.testing.assert_array_equal(np.signbit(got[col]), np.signbit(want[col]))
            assert not np.signbit(got[col].to_numpy()[got[col].to_numpy() == 0]).any()


def _check(monkeypatch, data: pd.DataFrame, instrument, **kwargs) -> None:
    before = data.copy(deep=True)
    for fn in (
        lambda: score(data, instrument=instrument, **kwargs),
        lambda: validate_responses(data, instrument=instrument),
    ):
        _assert_same(*_both_paths(monkeypatch, fn))
    pd.testing.assert_frame_equal(data, before)  # never mutated


@st.composite
def float_block(draw, columns=PHQ, max_rows=40):
    """One 2-D float64 array as a frame (pandas keeps it as one block: the 2-D view path)."""
    n = draw(st.integers(0, max_rows))
    values = np.array(
        draw(st.lists(VALID, min_size=n * len(columns), max_size=n * len(columns))), dtype=float
    ).reshape(n, len(columns))
    for _ in range(draw(st.integers(0, 4))):  # a few blanks and hostile cells
        if n:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, len(columns) - 1))
            values[i, j] = draw(st.one_of(st.just(np.nan), HOSTILE))
    return pd.DataFrame(values, columns=columns)


MONKEY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@MONKEY
@given(data=float_block())
def test_float_block_same_as_general_path(monkeypatch, data):
    _check(monkeypatch, data, "phq9")


@MONKEY
@given(
    data=float_block(columns=FSFI, max_rows=20), missing=st.sampled_from(["complete", "prorate"])
)
def test_fsfi_scales_counts_and_proration_same_as_general_path(monkeypatch, data, missing):
    data = data.clip(lower=1.0) if data.shape[0] and missing == "complete" else data
    with np.errstate(invalid="ignore"):
        _check_quiet(monkeypatch, data, missing)


def _check_quiet(monkeypatch, data, missing):
    import warnings

    from past_outcomes.errors import ProrationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProrationWarning)
        _check(monkeypatch, data, "fsfi", missing=missing)


@st.composite
def mixed_columns(draw):
    """Each item column of its own dtype: int64, float64, object cells, str, Int64."""
    n = draw(st.integers(1, 12))
    cols = {}
    for name in PHQ:
        kind = draw(st.sampled_from(["int", "float", "object", "str", "Int64"]))
        if kind == "int":
            cols[name] = pd.Series(draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n)))
        elif kind == "float":
            cells = draw(st.lists(st.one_of(VALID, HOSTILE), min_size=n, max_size=n))
            cols[name] = pd.Series(cells, dtype="float64")
        elif kind == "object":
            cells = draw(st.lists(CELL_OBJECTS, min_size=n, max_size=n))
            cols[name] = pd.Series(cells, dtype=object)
        elif kind == "str":
            cells = draw(
                st.lists(
                    st.sampled_from(["0", "1", "3", "4", "2.5", "x", None]), min_size=n, max_size=n
                )
            )
            cols[name] = pd.Series(cells, dtype="str")
        else:
            cells = draw(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=n, max_size=n))
            cols[name] = pd.Series(cells, dtype="Int64")
    frame = pd.DataFrame(cols)
    if draw(st.booleans()):  # identifiers, with duplicates and missing ones
        ids = st.sampled_from(["a", "b", None])
        frame.insert(0, "subject", draw(st.lists(ids, min_size=n, max_size=n)))
        frame.insert(1, "timepoint", draw(st.lists(ids, min_size=n, max_size=n)))
    if draw(st.booleans()):
        frame = frame.drop(columns=draw(st.sampled_from(PHQ)))
    return frame


@MONKEY
@given(data=mixed_columns())
def test_mixed_dtypes_and_hostile_cells_same_as_general_path(monkeypatch, data):
    _check(monkeypatch, data, "phq9")


@MONKEY
@given(data=float_block(max_rows=30), instruments=st.just(["phq9", "gad7"]))
def test_two_instruments_share_no_rows(monkeypatch, data, instruments):
    gad = data.iloc[:, :7].set_axis([f"gad7_{i}" for i in range(1, 8)], axis=1)
    _check(monkeypatch, pd.concat([data, gad], axis=1), instruments)


def test_large_float_block_with_blanks_crosses_many_blocks(monkeypatch):
    rng = np.random.default_rng(3)
    values = rng.integers(0, 4, size=(50_000, 9)).astype(float)
    values[rng.random(values.shape) < 0.01] = np.nan
    values[123, 4] = -0.0
    data = pd.DataFrame(values, columns=PHQ)
    _check(monkeypatch, data, "phq9")
    out = score(data, instrument="phq9")
    assert out["phq9_n_answered"].tolist() == (~np.isnan(values)).sum(axis=1).tolist()
    bad = data.copy()
    bad.iloc[40_000, 2] = 2.5
    bad.iloc[45_000, 7] = np.inf
    _check(monkeypatch, bad, "phq9")
    with pytest.raises(ResponseValidationError, match="phq9_3 must be an integer") as info:
        score(bad, instrument="phq9")
    assert info.value.failure_cases["reason"].tolist() == ["not-an-integer", "not-finite"]


def test_read_in_place_never_written_and_never_shared():
    values = np.zeros((5, 9))
    values[0] = -0.0
    data = pd.DataFrame(values, columns=PHQ)
    out = validate_responses(data, instrument="phq9")
    scores = score(data, instrument="phq9")
    assert not np.signbit(out.to_numpy()).any() and not np.signbit(scores["phq9_total"]).any()
    for frame in (out, scores):
        for col in frame.columns:
            assert not np.shares_memory(frame[col].to_numpy(), values)
    assert np.signbit(data.to_numpy()[0]).all()  # the input keeps its -0.0


def test_as_2d_only_for_evenly_spaced_rows_of_one_array():
    block = np.arange(40.0).reshape(4, 10)
    view = responses._as_2d([block[0], block[1], block[2]])
    assert view is not None and not view.flags.writeable
    np.testing.assert_array_equal(view, block[:3])
    assert responses._as_2d([block[0], block[2], block[3]]) is None  # uneven
    assert responses._as_2d([block[0], np.arange(10.0)]) is None  # two arrays
    assert responses._as_2d([block[0, ::2], block[1, ::2]]) is None  # not contiguous
