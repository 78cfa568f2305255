"""Every fast path of the scoring engine gives exactly what the general path gives.

``past_outcomes._responses.FAST_PATHS = False`` forces the general path: every cell read one
by one (``cells_to_float``), every column checked with per-cell masks, the items answered
counted cell by cell. The fast paths (plain integers checked by min and max, float64 columns
read in place, the block pass of reductions over a 2-D view or stacked blocks, text read once
per distinct value, scales and count rules computed inside the block pass) must give the same scores, the same validated
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
    monkeypatch.setattr(responses, "_BLOCK_CELLS", 4096)  # blocks of 1024 rows
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


@pytest.mark.parametrize("layout", ["block", "columns", "ints"])
def test_fsfi_in_pass_scores_across_many_blocks(monkeypatch, layout):
    """Scales and the count rule made block by block (a last block of 544 rows) equal the
    general path, for one float block, for separate columns (the stacked blocks) and for
    complete int64 columns (read in place as integers, made floats block by block; also
    when prorating, which scores after the pass)."""
    monkeypatch.setattr(responses, "_BLOCK_CELLS", 4096)  # 1024 rows per block
    rng = np.random.default_rng(16)
    values = rng.integers(0, 6, size=(20_000, 19)).astype(float)
    values[:, [0, 1, 14, 15]] = np.maximum(values[:, [0, 1, 14, 15]], 1.0)
    values[rng.random(values.shape) < 0.05] = np.nan
    values[rng.random(20_000) < 0.2, 2:14] = 0.0  # many zeros: both sides of the count rule
    values[777] = np.nan  # not administered
    data = pd.DataFrame(values, columns=FSFI)
    if layout == "columns":
        data = pd.DataFrame({c: values[:, j].copy() for j, c in enumerate(FSFI)})
    if layout == "ints":
        data = pd.DataFrame(np.nan_to_num(values, nan=1.0).astype(np.int64), columns=FSFI)
        _check(monkeypatch, data, "fsfi", missing="prorate")
        assert score(data, instrument="fsfi")["fsfi_total"].notna().all()
    else:
        active = score(data, instrument="fsfi")["fsfi_sexually_active"]
        assert active.isna().sum() == 1 and 0 < active.sum() < 20_000 - 1
    _check(monkeypatch, data, "fsfi")


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


# --------------------------------------------------------------------------------------------
# Scores computed inside the validation pass (scoring._InPassScores) against the general path

BLOCKS_SPEC = """
id: blk
name: In-pass scoring
short_name: BLK
version: "1"
sources:
  src: "Test spec: every scale method and count rule the in-pass scorer handles."
licence: public domain
recall_period: past week
administration: self-report
direction: lower-is-better
response: {min: 0, max: 4, integer: true, missing_codes: [9], source: src}
items:
  - {n: 1, label: one}
  - {n: 2, label: two}
  - {n: 3, label: three, values: [0, 2, 4]}
  - {n: 4, label: four, min: 1, max: 3}
  - {n: 5, label: five, integer: false, min: 0, max: 2.5}
  - {n: 6, label: six, integer: false, min: 0, max: 1}
scales:
  - {id: core, label: Core, method: sum, items: [4, 1, 3], range: [1, 11], source: src}
  - {id: one, label: One, method: sum, items: [2], factor: 0.5, range: [0, 2], source: src}
  - {id: weighted, label: Weighted, method: weighted_sum, items: [1, 5, 4], weights: [2, 0.1, 0.7],
     factor: 0.3, range: [0.21, 3.105], source: src}
  - {id: avg, label: Average, method: mean, items: [6, 5, 2], range: [0, 2.5], source: src}
  - {id: total, label: Total, method: sum_of_scales, scales: [avg, core, weighted], factor: 0.9,
     range: [1.089, 14.9445], source: src}
classifications:
  - {id: high, label: High, type: cutoff, scale: total, operator: ">=", value: 6, source: src}
  - {id: zeros, type: count, items: [3, 1, 2, 6], count_values: [0, 2], count_missing: false,
     operator: ">=", value: 2, source: src}
  - {id: gaps, type: count, items: [1, 2, 3, 4, 5, 6], count_values: [1], count_missing: true,
     operator: "<", value: 3, source: src}
"""
BLK = [f"blk_{i}" for i in range(1, 7)]
BLK_CELL = st.one_of(st.sampled_from([3.0, 0.5, 7.0, 9.0]), HOSTILE)


@pytest.fixture(scope="module")
def blk(tmp_path_factory):
    from past_outcomes import load_instrument

    folder = tmp_path_factory.mktemp("spec")
    plain = folder / "blk.yaml"
    plain.write_text(BLOCKS_SPEC, encoding="utf-8")
    # the same spec with a reverse-keyed item: scored after the pass (general scoring)
    reverse = folder / "blk_reverse.yaml"
    reverse.write_text(
        BLOCKS_SPEC.replace("{n: 2, label: two}", "{n: 2, label: two, reverse: true}").replace(
            "{n: 1, label: one}", "{n: 1, label: one, reverse: true}"
        ),
        "utf-8",
    )
    return load_instrument(plain), load_instrument(reverse)


#: Valid answers per item of BLK_SPEC, with blanks and the missing code 9 (fractions in the
#: non-integer items 5 and 6, so that the order of additions shows in the last bit).
BLK_VALID = [
    [0.0, 1.0, 4.0, -0.0, np.nan, 9.0],
    [0.0, 2.0, 3.0, np.nan, 9.0],
    [0.0, 2.0, 4.0, np.nan],
    [1.0, 2.0, 3.0, np.nan],
    [0.1, 0.7, 2.5, 1 / 3, 0.0, np.nan],
    [0.1, 0.7, 1 / 3, 1.0, np.nan],
]


@st.composite
def blk_frame(draw, max_rows=30):
    """Valid answers (so that scores are reached), blanks, codes and a few hostile cells; one
    float block, or one array per column (the stacked path), or ints beside floats."""
    n = draw(st.integers(0, max_rows))
    values = np.array(
        [[draw(st.sampled_from(pool)) for pool in BLK_VALID] for _ in range(n)], dtype=float
    ).reshape(n, 6)
    for _ in range(draw(st.integers(0, 2))):
        if n and draw(st.booleans()):
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, 5))
            values[i, j] = draw(BLK_CELL)
    layout = draw(st.sampled_from(["block", "columns", "ints"]))
    if layout == "block":
        return pd.DataFrame(values, columns=BLK)
    frame = pd.DataFrame({c: values[:, j].copy() for j, c in enumerate(BLK)})
    if layout == "ints" and n:  # complete integer columns are checked by min and max
        frame["blk_1"] = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
        frame["blk_4"] = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    return frame


@MONKEY
@given(data=blk_frame())
def test_in_pass_scales_and_counts_same_as_general_path(monkeypatch, data, blk):
    plain, reverse = blk
    with np.errstate(invalid="ignore"):
        _check(monkeypatch, data, plain)
        _check(monkeypatch, data, reverse)


def test_in_pass_scores_are_used_and_match_by_hand(monkeypatch, blk):
    """The fast path scores in the pass (spied), and the scores are the spec's arithmetic,
    done here by hand in the same order: e.g. row 0 weighted = (2*1 + 0.1*2.5 + 0.7*3) x 0.3."""
    from past_outcomes import scoring

    used = []
    real = scoring._InPassScores.scores
    monkeypatch.setattr(scoring._InPassScores, "scores", lambda self: used.append(1) or real(self))
    data = pd.DataFrame(
        [[1, 2, 4, 3, 2.5, 0.7], [0, 9, 2, 1, 0.1, np.nan]], columns=BLK, dtype=float
    )
    out = score(data, instrument=blk[0])
    assert used == [1]
    core = [3.0 + 1.0 + 4.0, 1.0 + 0.0 + 2.0]
    weighted = [(2 * 1.0 + 0.1 * 2.5 + 0.7 * 3.0) * 0.3, (0.0 + 0.1 * 0.1 + 0.7 * 1.0) * 0.3]
    avg = [(0.7 + 2.5 + 2.0) / 3, np.nan]  # item 2 = 9 is the missing code
    np.testing.assert_array_equal(out["blk_core"], core)
    np.testing.assert_array_equal(out["blk_one"], [1.0, np.nan])
    np.testing.assert_array_equal(out["blk_weighted"], weighted)
    np.testing.assert_array_equal(out["blk_avg"], avg)
    np.testing.assert_array_equal(
        out["blk_total"], [(avg[0] + core[0] + weighted[0]) * 0.9, np.nan]
    )
    # zeros: items 3, 1, 2, 6 answered 0 or 2 -> row 0: item 2 (2) = 1; row 1: items 3 (2), 1 (0),
    # and item 2 and 6 missing -> unknown; gaps: items answered 1 or missing -> row 0: 0,
    # row 1: item 2 (code 9), item 4 (1), item 6 (NaN) = 3
    assert out["blk_zeros"].tolist() == [False, pd.NA]
    assert out["blk_gaps"].tolist() == [True, False]
    monkeypatch.setattr(responses, "FAST_PATHS", False)  # the general path: no pass scores
    pd.testing.assert_frame_equal(score(data, instrument=blk[0]), out, check_exact=True)
    assert used == [1]


def test_in_pass_on_no_rows_and_on_invalid_cells(blk):
    empty = pd.DataFrame({c: pd.Series([], dtype=float) for c in BLK})
    out = score(empty, instrument=blk[0])
    assert len(out) == 0 and out["blk_total"].dtype == np.float64
    bad = pd.DataFrame([[np.inf, -np.inf, 4, 3, 1e308, 1e308]], columns=BLK)
    with pytest.raises(ResponseValidationError, match="blk_1 must be an integer from 0 to 4"):
        score(bad, instrument=blk[0])  # inf - inf inside the pass: no warning, an error


def test_runs_of_consecutive_rows():
    from past_outcomes.scoring import _runs

    assert _runs([2, 3, 4, 7]) == [(2, 5), (7, 8)]
    assert _runs([3, 2, 2]) == [(3, 4), (2, 3), (2, 3)]
    assert _runs([]) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-5, 40), st.just(np.nan), st.sampled_from([0.0, 4.0, 5.0, 27.0])),
        max_size=50,
    )
)
def test_bands_taken_by_arrow_equal_the_labels_built_cell_by_cell(totals):
    # since session 19 band labels are taken by Arrow (no Python object per row); the array
    # must equal the one pandas builds from the labels cell by cell, missing where the score is
    from past_outcomes.instrument import load_instrument
    from past_outcomes.scoring import _classify_bands

    cls = load_instrument("phq9").classifications["phq9_band"]
    s = np.array(totals, dtype=float)
    got = _classify_bands(cls, {cls.scale: s}, None, None, None)
    mins = np.array([b.min for b in cls.bands])
    labels = [
        None if np.isnan(v) else cls.bands[max(0, int(np.searchsorted(mins, v, "right")) - 1)].label
        for v in s
    ]
    pd.testing.assert_extension_array_equal(got, pd.array(labels, dtype="string"))
