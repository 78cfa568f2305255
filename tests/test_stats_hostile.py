"""Hostile long data for every long-data function, and regressions of issue 9.

Property: fed small long frames whose cells may be finite floats, NaN, inf, booleans or text,
with duplicated rows, missing subject ids and subjects switching group, each of
compute_change, classify_change, classify_responders, compare_prepost, compare_groups,
compare_responders, fit_mmrm and compute_reliability either returns a result whose numbers
are finite, or NaN only where a note says why, or raises a PastOutcomesError; never another
exception, never a warning other than a PastOutcomesWarning, and the input is unchanged.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from past_outcomes._checks import check_number
from past_outcomes._long import validate_long
from past_outcomes.change.difference import compute_change
from past_outcomes.change.rci import classify_change
from past_outcomes.change.responders import classify_responders
from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    EstimationError,
    PastOutcomesError,
    PastOutcomesWarning,
    ResponseValidationError,
)
from past_outcomes.stats.effect_size import compute_cohen_d, compute_dppc2, compute_smcr
from past_outcomes.stats.groups import compare_groups
from past_outcomes.stats.mmrm import fit_mmrm
from past_outcomes.stats.power import compute_power, plan_sample_size
from past_outcomes.stats.prepost import compare_prepost
from past_outcomes.stats.proportions import compare_responders
from past_outcomes.stats.reliability import compute_reliability

# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
HOSTILE = st.one_of(
    FINITE,
    FINITE,
    FINITE,
    st.just(math.nan),
    st.sampled_from([math.inf, -math.inf]),
    st.booleans(),
    st.sampled_from(["", "n/a", "3", "x"]),
    st.integers(-20, 20),
)


#: Few distinct values: ties, equal scores, constant differences.
ROUNDED = st.sampled_from([0.0, 1.0, 1.0, 2.0, 5.0])


@st.composite
def long_frames(draw, *, visits=("pre", "post")):
    """Subjects x timepoints in two arms, then optional duplicates, missing ids, switches.
    Half the frames have finite or missing values only, so that results are examined too."""
    n = draw(st.integers(1, 7))
    values = draw(st.sampled_from([HOSTILE, st.one_of(FINITE, st.just(math.nan)), ROUNDED]))
    rows = []
    for s in range(n):
        arm = "a" if s % 2 else "b"
        for t in visits:
            if draw(st.integers(0, 9)) == 0:
                continue  # a missed visit
            rows.append({"subject": f"s{s}", "timepoint": t, "arm": arm, "score": draw(values)})
    data = pd.DataFrame(rows, columns=["subject", "timepoint", "arm", "score"])
    if len(data) and draw(st.integers(0, 4)) == 0:  # a duplicated row
        data = pd.concat([data, data.iloc[[draw(st.integers(0, len(data) - 1))]]])
    if len(data) and draw(st.integers(0, 5)) == 0:  # a missing subject id
        data = data.reset_index(drop=True)
        data.loc[draw(st.integers(0, len(data) - 1)), "subject"] = None
    if len(data) and draw(st.integers(0, 5)) == 0:  # a subject switching arm
        data = data.reset_index(drop=True)
        i = draw(st.integers(0, len(data) - 1))
        data.loc[i, "arm"] = "a" if data.loc[i, "arm"] == "b" else "b"
    return data


def _snapshot(data: pd.DataFrame):
    return data.copy(deep=True), data.dtypes.copy()


def _unchanged(data: pd.DataFrame, snapshot) -> None:
    copy, dtypes = snapshot
    assert data.equals(copy)
    assert data.dtypes.equals(dtypes)


def _run(func, data, *args, **kwargs):
    """Call; return the result or None for a PastOutcomesError. Anything else fails."""
    snap = _snapshot(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = func(data, *args, **kwargs)
        except PastOutcomesError as err:
            assert str(err)  # a message, never empty
            result = None
    for w in caught:
        assert issubclass(w.category, PastOutcomesWarning), f"{w.category}: {w.message}"
    _unchanged(data, snap)
    return result


def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.select_dtypes(include=[np.number]).astype(float)


def _assert_finite_or_explained(frame: pd.DataFrame, notes: list[str], what: str) -> None:
    values = _numbers(frame).to_numpy()
    assert not np.isinf(values).any(), f"{what}: infinite value"
    if np.isnan(values).any():
        assert notes, f"{what}: NaN without a note"


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

PAIR = {"pre": "pre", "post": "post"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames())
def test_compute_change_hostile(data):
    out = _run(compute_change, data, measure="score", **PAIR)
    if out is not None:
        table = out.table
        _assert_finite_or_explained(table, out.notes(), "compute_change")
        both = table["pre"].notna() & table["post"].notna()
        assert np.allclose(
            table.loc[both, "change"], table.loc[both, "post"] - table.loc[both, "pre"]
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames(), st.sampled_from(["jt", "gln", "hll", "en", "nk", "ha"]))
def test_classify_change_hostile(data, method):
    res = _run(
        classify_change,
        data,
        measure="score",
        method=method,
        reliability=0.8,
        direction="lower-is-better",
        m_functional=0.0,
        sd_functional=1.0,
        **PAIR,
    )
    if res is not None:
        _assert_finite_or_explained(res.table, res.notes()[4:], "classify_change")
        for name in ("sd_pre", "se_measurement", "s_diff", "critical_value", "rci_scale"):
            assert math.isfinite(getattr(res, name)), name
        # the label is missing exactly where a score is
        assert (res.table["reliable"].isna() == res.table["rci"].isna()).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames())
def test_classify_responders_hostile(data):
    data = data.rename(columns={"score": "phq9_total"})
    rule = {"scale": "phq9_total", "kind": "percent_change", "threshold": 50}
    out = _run(classify_responders, data, instrument="phq9", rule=rule, **PAIR)
    if out is not None:
        _assert_finite_or_explained(out.table, out.notes()[2:], "classify_responders")


def _prepost_ok(out: pd.DataFrame) -> None:
    numbers = _numbers(out).to_numpy()
    assert not np.isinf(numbers).any()
    for i in np.flatnonzero(np.isnan(numbers).any(axis=1)):
        assert out["note"].iloc[i], f"NaN without a note in row {i}: {out.iloc[i].to_dict()}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames())
def test_compare_prepost_hostile(data):
    res = _run(compare_prepost, data, measure="score", **PAIR)
    if res is not None:
        _prepost_ok(res.table)
        _excluded_ok(res, data)


def _excluded_ok(res, data: pd.DataFrame) -> None:
    """Nothing disappears: every subject at pre or post is analysed or in .excluded, once."""
    ex = res.excluded
    assert list(ex.columns) == ["subject", "reason", "detail"]
    assert not ex.duplicated(["subject", "detail"]).any()
    seen = set(data.loc[data["timepoint"].isin(["pre", "post"]), "subject"])
    n = res.table["n"].iloc[0] if "n" in res.table else res.groups["n"].sum()
    assert n + len(ex) == len(seen)


#: NaN by design in compare_groups' table (not applicable, not missing).
STRUCTURAL = {
    "change_difference": {"se"},
    "mann_whitney": {"estimate", "se", "ci_low", "ci_high", "dof"},
    "cohen_d_change": {"se"},
    "d_ppc2": {"statistic", "dof", "p_value"},
}


def _groups_ok(res) -> None:
    for row in res.table.itertuples(index=False):
        for col in ("estimate", "se", "ci_low", "ci_high", "statistic", "dof", "p_value"):
            v = getattr(row, col)
            assert not math.isinf(v), (row.quantity, col)
            if math.isnan(v) and col not in STRUCTURAL.get(row.quantity, set()):
                assert row.note, f"{row.quantity}.{col} is NaN without a note"
    for table in (res.adjusted_means, res.model, res.groups):
        _assert_finite_or_explained(table, res.notes()[2:], "compare_groups tables")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames())
def test_compare_groups_hostile(data):
    res = _run(
        compare_groups, data, measure="score", group="arm", treatment="b", control="a", **PAIR
    )
    if res is not None:
        _groups_ok(res)
        _excluded_ok(res, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames())
def test_compare_responders_hostile(data):
    data = data.rename(columns={"score": "responder"})
    res = _run(
        compare_responders,
        data,
        responder="responder",
        group="arm",
        treatment="b",
        control="a",
        subject="subject",
    )
    if res is not None:
        # every row is counted in its arm or listed as set aside (missing="exclude")
        assert res.arms["n"].sum() + len(res.excluded) == len(data)
        assert set(res.excluded["reason"]) <= {"missing-response"}
        for row in res.table.itertuples(index=False):
            for col in ("estimate", "ci_low", "ci_high"):
                v = getattr(row, col)
                if row.quantity in ("risk_difference", "relative_risk", "odds_ratio"):
                    assert not math.isinf(v) and (not math.isnan(v) or row.note), row
                if row.quantity == "nnt" and not math.isfinite(v):
                    assert row.note  # NNT infinite / undefined, said in words
            if row.quantity.startswith("chi_square") and math.isnan(row.p_value):
                assert row.note


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_frames(visits=("w0", "w1", "w2")))
def test_fit_mmrm_hostile(data):
    res = _run(
        fit_mmrm, data, measure="score", group="arm", pre="w0", covariance="compound-symmetry"
    )
    if res is not None:
        notes = res.notes()[2:]
        for table in (res.lsmeans, res.table, res.coefficients):
            _assert_finite_or_explained(table, notes, "fit_mmrm")


ITEMS = [f"phq9_{i}" for i in range(1, 10)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([HOSTILE, st.sampled_from([0, 1, 2, 3, math.nan])]).flatmap(
        lambda v: st.lists(st.lists(v, min_size=9, max_size=9), min_size=0, max_size=8)
    )
)
def test_compute_reliability_hostile(rows):
    data = pd.DataFrame(rows, columns=ITEMS)
    res = _run(compute_reliability, data, instrument="phq9")
    if res is not None:
        s = res.table
        stats = s[["cronbach_alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"]]
        assert not np.isinf(stats.to_numpy()).any()
        for i in np.flatnonzero(stats.isna().any(axis=1).to_numpy()):
            assert s["note"].iloc[i], s.iloc[i].to_dict()


# --------------------------------------------------------------------------------------------
# regressions: one validation of long data
# --------------------------------------------------------------------------------------------


def _pairs(pre, post, arm=None):
    n = len(pre)
    out = pd.DataFrame(
        {
            "subject": [f"s{i}" for i in range(n)] * 2,
            "timepoint": ["pre"] * n + ["post"] * n,
            "score": np.r_[pre, post].astype(float),
        }
    )
    if arm is not None:
        out["arm"] = list(arm) * 2
    return out


@pytest.fixture
def clean():
    rng = np.random.default_rng(9)
    pre = rng.normal(20, 5, 12)
    return _pairs(pre, pre - 3 + rng.normal(0, 4, 12), ["t", "c"] * 6)


def _call_all(data, **extra):
    """Every long-data function on ``data``; yields (name, thunk)."""
    kw = dict(pre="pre", post="post")
    yield "compute_change", lambda: compute_change(data, measure="score", **kw)
    yield (
        "classify_change",
        lambda: classify_change(
            data, measure="score", reliability=0.8, direction="lower-is-better", **kw
        ),
    )
    yield (
        "classify_responders",
        lambda: classify_responders(
            data.rename(columns={"score": "phq9_total"}),
            instrument="phq9",
            rule={"scale": "phq9_total", "kind": "change", "threshold": 5},
            **kw,
        ),
    )
    yield "compare_prepost", lambda: compare_prepost(data, measure="score", **kw)
    yield (
        "compare_groups",
        lambda: compare_groups(
            data, measure="score", group="arm", treatment="t", control="c", **kw
        ),
    )
    yield (
        "fit_mmrm",
        lambda: fit_mmrm(data, measure="score", group="arm", pre="pre"),
    )


@pytest.mark.parametrize("bad", [math.inf, -math.inf])
def test_infinite_scores_are_refused_everywhere(clean, bad):
    data = clean.copy()
    data.loc[15, "score"] = bad  # s3 at post
    for name, call in _call_all(data):
        with pytest.raises(DataValidationError, match="not-finite x1") as err:
            call()
        fc = err.value.failure_cases
        assert fc[["row", "subject", "column", "reason"]].values.tolist() == [
            [15, "s3", "score" if name != "classify_responders" else "phq9_total", "not-finite"]
        ], name


@pytest.mark.parametrize("bad", [True, 1 + 2j, pd.Timestamp("2024-01-01")])
def test_booleans_and_complex_are_not_numbers(clean, bad):
    data = clean.astype({"score": object})
    data.loc[2, "score"] = bad
    for name, call in _call_all(data):
        with pytest.raises(DataValidationError, match="not-a-number x1") as err:
            call()
        assert err.value.failure_cases["row"].tolist() == [2], name


def test_group_switch_is_inconsistent_everywhere_including_mmrm(clean):
    data = clean.copy()
    data.loc[12, "arm"] = "t"  # s0 is "t" at pre and now "t"... make s1 switch
    data.loc[13, "arm"] = "t"  # s1: "c" at pre, "t" at post
    for name in ("compare_groups", "fit_mmrm"):
        call = dict(_call_all(data))[name]
        with pytest.raises(DataValidationError, match="inconsistent-group x2") as err:
            call()
        fc = err.value.failure_cases
        assert sorted(fc["row"]) == [1, 13] and set(fc["subject"]) == {"s1"}, name
        assert "subject s1 must be in one arm at every timepoint" in str(err.value)


def test_missing_ids_are_missing_not_duplicates(clean):
    data = clean.copy()
    data.loc[[0, 1], "subject"] = None  # two rows without id at the same timepoint
    for name, call in _call_all(data):
        with pytest.raises(DataValidationError, match=r"missing-value x2\)") as err:
            call()
        fc = err.value.failure_cases
        assert set(fc["reason"]) == {"missing-value"}, name
        assert sorted(fc["row"]) == [0, 1], name


def test_duplicates_are_listed_with_their_rows(clean):
    data = pd.concat([clean, clean.iloc[[4]]], ignore_index=True)
    for name, call in _call_all(data):
        with pytest.raises(DataValidationError, match="duplicate-observation x2") as err:
            call()
        assert sorted(err.value.failure_cases["row"]) == [4, 24], name


def test_values_beyond_double_precision_squares_are_out_of_range(clean):
    data = clean.copy()
    data.loc[3, "score"] = 1e200  # its square overflows: SDs would be inf, RCIs silently 0
    for name, call in _call_all(data):
        with pytest.raises(DataValidationError, match="no larger than 1e\\+100") as err:
            call()
        assert err.value.failure_cases["reason"].tolist() == ["out-of-range"], name


def test_validate_long_returns_floats_and_leaves_input_alone():
    data = pd.DataFrame(
        {
            "subject": ["a", "a"],
            "timepoint": ["pre", "post"],
            "score": pd.Series(["1", 2], dtype=object),
        }
    )
    snap = _snapshot(data)
    out = validate_long(data, subject="subject", timepoint="timepoint", id_columns=["subject"],
                        measures=["score"], context="t")  # fmt: skip
    assert out["score"].dtype == float and out["score"].tolist() == [1.0, 2.0]
    _unchanged(data, snap)


def test_compare_responders_missing_subject_ids_are_not_duplicates():
    data = pd.DataFrame(
        {"subject": [None, None, "x", "y"], "arm": ["t", "c", "t", "c"], "r": [True, False] * 2}
    )
    with pytest.raises(DataValidationError, match=r"missing-value x2\)") as err:
        compare_responders(data, responder="r", group="arm", treatment="t", control="c",
                           subject="subject")  # fmt: skip
    assert set(err.value.failure_cases["reason"]) == {"missing-value"}


def test_compare_responders_reasons_for_bad_outcomes():
    data = pd.DataFrame(
        {
            "arm": ["t", "t", "t", "c", "c"],
            "r": pd.Series([True, 2, math.inf, "yes", 0], dtype=object),
        }
    )
    with pytest.raises(DataValidationError, match="compare_responders") as err:
        compare_responders(
            data, responder="r", group="arm", treatment="t", control="c", subject=None
        )
    fc = err.value.failure_cases
    assert fc[["row", "reason"]].values.tolist() == [
        [1, "out-of-range"],
        [2, "not-finite"],
        [3, "not-a-number"],
    ]


# --------------------------------------------------------------------------------------------
# regressions: reliability validates items as score does
# --------------------------------------------------------------------------------------------


def _phq9(n=50, seed=3):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    raw = np.clip(np.round(1.5 + latent + rng.normal(scale=1.2, size=(n, 9))), 0, 3)
    return pd.DataFrame(raw, columns=ITEMS)


@pytest.mark.parametrize(
    ("value", "reason"), [(99, "out-of-range"), (2.5, "not-an-integer"), (math.inf, "not-finite")]
)
def test_reliability_refuses_answers_score_refuses(value, reason):
    data = _phq9()
    data.loc[7, "phq9_1"] = value  # 99 used to move alpha silently
    with pytest.raises(ResponseValidationError, match=reason) as err:
        compute_reliability(data, instrument="phq9")
    fc = err.value.failure_cases
    assert fc[["row", "column", "reason"]].values.tolist() == [[7, "phq9_1", reason]]


def test_reliability_plain_columns_refuse_non_finite_and_text():
    from types import SimpleNamespace

    data = pd.DataFrame({"i1": [1.0, 2, 3, 4], "i2": [2.0, 3, 1, 4]}).astype(object)
    data.loc[1, "i1"] = math.inf
    data.loc[2, "i2"] = "often"
    data.loc[3, "i2"] = True
    inst = SimpleNamespace(scales={"s": SimpleNamespace(item_columns=("i1", "i2"), label="S")})
    with pytest.raises(DataValidationError, match="compute_reliability") as err:
        compute_reliability(data, instrument=inst)
    fc = err.value.failure_cases
    assert fc[["row", "column", "reason"]].values.tolist() == [
        [1, "i1", "not-finite"],
        [2, "i2", "not-a-number"],
        [3, "i2", "not-a-number"],
    ]


def test_reliability_absent_items_skip_their_scale_not_a_validation_error():
    # validate_responses would call the absent item a missing-column; here the scale is skipped
    data = _phq9().drop(columns=["phq9_9"])
    with pytest.raises(ArgumentError, match="item columns of at least one scale of phq9"):
        compute_reliability(data, instrument="phq9")


# --------------------------------------------------------------------------------------------
# regressions: numbers in rules
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"threshold": math.nan}, r"threshold must be a finite number; got nan"),
        ({"threshold": math.inf}, r"threshold must be a finite number; got inf"),
        ({"threshold": True}, r"threshold must be a finite number; got True \(bool\)"),
        ({"threshold": "5"}, r"threshold must be a finite number; got '5' \(str\)"),
        (
            {"threshold": 5, "remission": {"operator": "<=", "value": math.nan}},
            r"remission value must be a finite number; got nan",
        ),
        (
            {"by_baseline": [{"min": 0, "max": math.nan, "threshold": 4}]},
            r"by_baseline\[0\].max must be a finite number; got nan",
        ),
        (
            {"by_baseline": [{"min": 10, "max": 0, "threshold": 4}]},
            r"by_baseline\[0\] must have min <= max; got min=10, max=0",
        ),
    ],
)
def test_numbers_in_a_rule_dict_are_checked(clean, rule, message):
    data = clean.rename(columns={"score": "phq9_total"})
    full = {"scale": "phq9_total", "kind": "change", **rule}
    with pytest.raises(ArgumentError, match=message):
        classify_responders(data, instrument="phq9", rule=full, pre="pre", post="post")


def test_nan_remission_override_is_refused(clean):
    data = clean.rename(columns={"score": "phq9_total"})
    with pytest.raises(ArgumentError, match="remission value must be a finite number; got nan"):
        classify_responders(data, instrument="phq9",
                            rule={"scale": "phq9_total", "kind": "change", "threshold": 5},
                            remission={"operator": "<", "value": math.nan}, pre="pre", post="post")  # fmt: skip


# --------------------------------------------------------------------------------------------
# regressions: degenerate data give notes, not raw errors or bare NaN
# --------------------------------------------------------------------------------------------


def test_constant_difference_gives_a_note_not_a_solver_error():
    pre = np.random.default_rng(1).normal(20, 5, 10)
    out = compare_prepost(_pairs(pre, pre + 0.6), measure="score", pre="pre", post="post").table
    row = out.iloc[0]
    assert row["mean_diff"] == pytest.approx(0.6)
    assert math.isnan(row["cohen_dz"]) and math.isnan(row["t"]) and math.isnan(row["p_value"])
    assert "the same (0.6) for every subject, so its SD is 0" in row["note"]
    assert math.isfinite(row["cohen_dav"]) and math.isfinite(row["wilcoxon_p"])
    _prepost_ok(out)


def test_prepost_with_one_pair_says_why_everything_is_missing():
    with pytest.warns(PastOutcomesWarning, match="lack score"):
        out = compare_prepost(
            _pairs([1.0, 2.0], [3.0, math.nan]), measure="score", pre="pre", post="post"
        ).table
    assert out["note"].iloc[0].startswith("1 complete pair(s)")
    _prepost_ok(out)


def test_compare_groups_constant_baseline_within_both_arms():
    post = np.random.default_rng(4).normal(10, 3, 10)
    data = _pairs(np.full(10, 10.0), post, ["t", "c"] * 5)
    res = compare_groups(data, measure="score", group="arm", treatment="t", control="c",
                         pre="pre", post="post")  # fmt: skip
    s = res.table.set_index("quantity")
    # the adjusted difference is the unadjusted one; the baseline slope is R's NA
    t, c = post[0::2].mean(), post[1::2].mean()
    assert s.loc["adjusted_difference", "estimate"] == pytest.approx(t - c)
    assert "baseline does not vary" in s.loc["adjusted_difference", "note"]
    assert math.isnan(res.model.set_index("term").loc["baseline", "estimate"])
    assert math.isnan(s.loc["d_ppc2", "estimate"])
    assert "pre-test scores do not vary" in s.loc["d_ppc2", "note"]
    assert any("d_ppc2" in n for n in res.notes())
    _groups_ok(res)


def test_compare_groups_perfectly_correlated_pre_post_is_about_the_data():
    pre = np.random.default_rng(5).normal(20, 5, 12)
    data = _pairs(pre, 2 * pre + 1, ["t", "c"] * 6)
    res = compare_groups(data, measure="score", group="arm", treatment="t", control="c",
                         pre="pre", post="post")  # fmt: skip
    s = res.table.set_index("quantity")
    assert "pooled r = 1.000" in s.loc["d_ppc2", "method"]
    assert math.isfinite(s.loc["d_ppc2", "se"])  # Morris eq. 25 is finite at r = 1
    assert "exactly" in s.loc["adjusted_difference", "note"]  # post = 2 pre + 1: a perfect fit
    _groups_ok(res)


def test_dppc2_se_with_two_per_arm_is_explained():
    data = _pairs([1.0, 2, 4, 3], [2.0, 5, 3, 1], ["t", "t", "c", "c"])
    res = compare_groups(data, measure="score", group="arm", treatment="t", control="c",
                         pre="pre", post="post")  # fmt: skip
    s = res.table.set_index("quantity")
    assert math.isnan(s.loc["d_ppc2", "se"])
    assert "2 subjects per arm" in s.loc["d_ppc2", "note"]


@pytest.mark.parametrize(
    ("func", "kwargs", "message"),
    [
        (compute_smcr, {"sd_pre": 0}, r"sd_pre must be a number > 0; got 0"),
        (compute_smcr, {"sd_pre": -2}, r"sd_pre must be a number > 0; got -2.*flip the sign"),
        (compute_smcr, {"n": True}, r"n must be an integer >= 2; got True \(bool\)"),
        (compute_smcr, {"r": math.nan}, r"r must be a number from -1 to 1; got nan"),
    ],
)
def test_smcr_arguments(func, kwargs, message):
    args = {"mean_pre": 10, "mean_post": 8, "sd_pre": 3, "n": 20, "r": 0.5, **kwargs}
    with pytest.raises(ArgumentError, match=message):
        func(**args)


DPPC2 = dict(mean_pre_treatment=10, mean_post_treatment=6, sd_pre_treatment=3, n_treatment=20,
             mean_pre_control=10, mean_post_control=8, sd_pre_control=3, n_control=20, r=0.5)  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sd_pre_treatment": 0, "sd_pre_control": 0}, "must not both be 0"),
        ({"sd_pre_control": -3}, r"sd_pre_control must be a number >= 0; got -3"),
        ({"mean_post_control": math.inf}, r"mean_post_control must be a finite number; got inf"),
        ({"confidence": True}, r"confidence must be strictly between 0 and 1; got True"),
        ({"n_control": 2.0}, r"n_control must be an integer >= 2; got 2.0 \(not an integer\)"),
    ],
)
def test_dppc2_arguments(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        compute_dppc2(**{**DPPC2, **kwargs})


def test_cohen_d_negative_sd_refused():
    with pytest.raises(ArgumentError, match="sd_control must be a number >= 0; got -1"):
        compute_cohen_d(mean_treatment=1, sd_treatment=1, n_treatment=5, mean_control=0,
                        sd_control=-1, n_control=5)  # fmt: skip


def test_plan_sample_size_extremes():
    big = plan_sample_size(effect_size=6).table.set_index("arm")
    assert big.loc["treatment", "n"] == 2
    assert "smallest the t test allows" in big.loc["treatment", "note"]
    paired = plan_sample_size(effect_size=6, design="paired").table.iloc[0]
    assert paired["n"] == 3 and paired["note"] == ""  # 2 pairs are not enough, 3 are
    with pytest.raises(ArgumentError, match="effect_size is too small to plan for"):
        plan_sample_size(effect_size=1e-12)
    with pytest.raises(ArgumentError, match="power must exceed alpha"):
        plan_sample_size(effect_size=0.5, power=0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": math.inf}, r"n must be a number from 2 to 1e\+12; got inf"),
        ({"n": True}, r"n must be .*got True \(bool\)"),
        ({"n": [20, math.nan]}, r"n must be .*got nan"),
        ({"ratio": math.inf}, r"ratio must be a number > 0; got inf"),
        ({"alpha": math.nan}, r"alpha must be strictly between 0 and 1; got nan"),
        ({"alternative": "two_sided"}, r"alternative must be one of"),
        ({"effect_size": math.nan}, r"effect_size must be a finite number; got nan"),
    ],
)
def test_power_arguments(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        compute_power(**{"effect_size": 0.5, "n": 20, **kwargs})


@pytest.mark.parametrize("confidence", [math.nan, math.inf, True, "0.95", 1.0])
def test_confidence_everywhere(clean, confidence):
    with pytest.raises(ArgumentError, match="confidence must be strictly between 0 and 1"):
        compare_prepost(clean, measure="score", pre="pre", post="post", confidence=confidence)
    with pytest.raises(ArgumentError, match="confidence must be strictly between 0 and 1"):
        fit_mmrm(clean, measure="score", group="arm", pre="pre", confidence=confidence)


def test_check_number_domain_texts():
    assert check_number("x", 3, low=2, integer=True) == 3
    with pytest.raises(ArgumentError, match=r"x must be a number in \[-1, 1\); got 1"):
        check_number("x", 1, low=-1, high=1, high_open=True)
    with pytest.raises(ArgumentError, match=r"x must be a finite number; got \(1\+2j\)"):
        check_number("x", 1 + 2j)


def test_classify_change_huge_scores_are_refused_not_silently_unchanged():
    rng = np.random.default_rng(2)
    pre = rng.normal(20, 5, 30) * 1e200
    data = _pairs(pre, pre * 0.5)
    with pytest.raises(DataValidationError, match="out-of-range x60"):
        classify_change(data, measure="score", pre="pre", post="post", method="ha",
                        reliability=0.8, direction="lower-is-better")  # fmt: skip


def test_classify_change_ha_large_sample():
    rng = np.random.default_rng(3)
    n = 20000
    pre = rng.normal(20, 5, n)
    with pytest.warns(PastOutcomesWarning, match="sd_pre = 4.9"):
        res = classify_change(_pairs(pre, pre - 3 + rng.normal(0, 4, n)), measure="score",
                              pre="pre", post="post", method="ha", reliability=0.8,
                              direction="lower-is-better", m_clinical=20, sd_clinical=5)  # fmt: skip
    assert 0 < res.r_dd < 1 and res.table["rci"].notna().all()


def test_fit_mmrm_degenerate_inputs(clean):
    base = dict(measure="score", group="arm", pre="pre")
    one = clean[clean["subject"] == "s0"]
    with pytest.raises(ArgumentError, match="arm must have at least two levels"):
        fit_mmrm(one, **base)
    with pytest.raises(EstimationError, match="no residual variation: the outcome is constant"):
        fit_mmrm(clean.assign(score=4.0), **base)
    res = fit_mmrm(clean, **base)  # one timepoint after pre
    assert res.timepoints == ("post",)
    assert np.isfinite(res.lsmeans[["estimate", "se", "dof"]].to_numpy()).all()
    size = np.tile(np.arange(12.0), 2)  # one value per subject, at both timepoints
    collinear = clean.assign(size=size, size2=2 * size)
    res = fit_mmrm(collinear, **base, covariates=["size", "size2"])
    assert res.aliased == ("size2",)
    assert math.isnan(res.coefficients.set_index("term").loc["size2", "estimate"])
    assert any("Aliased" in n and "size2" in n for n in res.notes())


def test_percent_change_of_a_subnormal_baseline_is_missing_with_a_note():
    data = _pairs([2.225074e-309, 4.0], [1.0, 2.0])
    out = compute_change(data, measure="score", pre="pre", post="post")
    assert math.isnan(out.table["pct_change"].iloc[0]) and out.table["pct_change"].iloc[1] == -50
    assert any("pct_change is missing for 1 subject" in n for n in out.notes())


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        (compute_dppc2, dict(mean_pre_treatment=1.18e154, mean_post_treatment=0.0,
                             sd_pre_treatment=0.0, n_treatment=3, mean_pre_control=0.0,
                             mean_post_control=0.0, sd_pre_control=1, n_control=3, r=0.0)),
        (compute_smcr, dict(mean_pre=1e200, mean_post=0, sd_pre=1e-100, n=5, r=0.5)),
        (compute_cohen_d, dict(mean_treatment=1e300, sd_treatment=1e-10, n_treatment=5,
                               mean_control=0, sd_control=1e-10, n_control=5)),
    ],
    ids=["dppc2", "smcr", "cohen_d"],
)  # fmt: skip
def test_effect_sizes_beyond_double_precision_are_refused_not_infinite(function, kwargs):
    # found by the attack census: d of about 1e154 made d squared overflow (inf or OverflowError)
    with pytest.raises(EstimationError, match="too large to compute in double precision"):
        function(**kwargs)
