"""compute_multiple_imputation and compute_responder_imputation: approximate-Bayesian MI.

Independent checks: Rubin's rules and the Barnard-Rubin df on a worked example computed by
hand (fractions); the MMRM (fit_mmrm) under MAR within Monte Carlo error; the composite
responder analysis against compare_responders on the same subjects by hand; the
conditional-mean method (compute_reference_imputation) for the imputation model's covariance.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trial_data import TIMES, simulated_trial

import past_outcomes as po
from past_outcomes.errors import ArgumentError
from past_outcomes.stats.multiple_imputation import (
    compute_multiple_imputation,
    compute_responder_imputation,
    pool_rubin,
)


def _mi(data, **kw):
    kw = {"n_imputations": 40, "seed": 11, **kw}
    return compute_multiple_imputation(data, measure="y", pre="v0", control="placebo", **kw)


def _resp(data, **kw):
    kw = {"n_imputations": 40, "seed": 11, "threshold": 3.0, **kw}
    return compute_responder_imputation(data, measure="y", pre="v0", control="placebo", **kw)


# --------------------------------------------------------------------------------------
# Rubin's rules and the Barnard-Rubin df, by hand


def test_rubin_rules_worked_example():
    """m = 3, Q_m = 1, 2, 3, U_m = 0.5, 0.6, 0.7, complete-data df 20. By hand:
    Q = 2; W = 0.6; B = ((1-2)^2 + 0 + (3-2)^2) / 2 = 1; T = W + (1 + 1/3) B = 29/15;
    lambda = (4/3) / (29/15) = 20/29; nu_old = 2 / lambda^2 = 841/200;
    nu_obs = 21/23 * 20 * (1 - 20/29) = 3780/667; nu = 1 / (200/841 + 667/3780)
    = 3178980/1316947; riv = (4/3) / 0.6 = 20/9;
    fmi = (20/9 + 2 / (841/200 + 3)) / (1 + 20/9) = (20/9 + 400/1441) / (29/9)."""
    out = pool_rubin(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.6, 0.7]), 20.0)
    fmi = (Fraction(20, 9) + Fraction(400, 1441)) / Fraction(29, 9)
    expected = {"estimate": 2.0, "within": 0.6, "between": 1.0, "total": 29 / 15,
                "lambda": 20 / 29, "df": 3178980 / 1316947, "riv": 20 / 9,
                "fmi": float(fmi)}  # fmt: skip
    for key, value in expected.items():
        assert float(out[key]) == pytest.approx(value, rel=1e-12), key


def test_rubin_limits_as_rbmi_rubin_df():
    """rbmi::rubin_df: B = 0 gives nu_obs (complete-data df 10: 11/13 * 10); an infinite
    complete-data df gives nu_old = (m - 1) / lambda^2; with B = 0 as well, infinity."""
    same = pool_rubin(np.full(4, 1.5), np.full(4, 0.2), 10.0)
    assert float(same["df"]) == pytest.approx(110 / 13, rel=1e-12)
    assert float(same["riv"]) == 0.0 and float(same["fmi"]) == 0.0
    assert np.isinf(pool_rubin(np.full(4, 1.5), np.full(4, 0.2), np.inf)["df"])
    # m = 2: Q = 0, 2; U = 1, 1; B = 2; T = 1 + 1.5 * 2 = 4; lambda = 3/4; nu_old = 1/(9/16)
    two = pool_rubin(np.array([0.0, 2.0]), np.array([1.0, 1.0]), np.inf)
    assert float(two["df"]) == pytest.approx(16 / 9, rel=1e-12)
    with pytest.raises(ArgumentError, match="Rubin's rules need at least 2 imputations; got 1"):
        pool_rubin(np.array([1.0]), np.array([1.0]), 10.0)


# --------------------------------------------------------------------------------------
# MAR: the pooled estimate is the MMRM estimate within Monte Carlo error


def test_mar_agrees_with_mmrm_within_monte_carlo_error():
    """The imputations are i.i.d. given the data with mean (to O(1/n)) the MMRM estimate and
    variance B, so the pooled estimate's Monte Carlo SE is sqrt(B / m) (Rubin 1987); 4 MC
    SEs is a false alarm once in 16,000 comparisons. The SE is compared loosely (15%): W is
    the ANCOVA's residual variance, the MMRM's the GLS variance; they agree asymptotically."""
    data = simulated_trial(2, n=80, dropout=0.4)
    result = _mi(data, n_imputations=100)
    mmrm = po.fit_mmrm(
        data, measure="y", pre="v0", control="placebo", baseline_by_timepoint=True
    ).table
    reps = result.replicates.pivot(index="imputation", columns="timepoint", values="estimate")
    mcse = reps[TIMES[1:]].std(ddof=1).to_numpy() / np.sqrt(100)
    diff = np.abs(result.table["estimate"].to_numpy() - mmrm["estimate"].to_numpy())
    assert np.all(diff <= 4 * mcse + 1e-8)
    assert mcse[-1] > 0 and mcse[0] < 1e-12  # nobody is missing at v1
    np.testing.assert_allclose(result.table["se"], mmrm["se"], rtol=0.15)
    assert result.table["fmi"].iloc[0] == 0 and result.table["fmi"].iloc[-1] > 0.02


def test_complete_data_is_the_ancova():
    """Nothing missing: every imputation is the data; B = 0, df = nu_obs of n - 3."""
    data = simulated_trial(1, n=30, dropout=0.0)
    result = _mi(data, n_imputations=5)
    wide = data.pivot(index="subject", columns="timepoint", values="y")
    grp = data.drop_duplicates("subject").set_index("subject")["group"].reindex(wide.index)
    A = np.column_stack([np.ones(len(wide)), grp == "active", wide["v0"]]).astype(float)
    for k, t in enumerate(TIMES[1:]):
        y = wide[t] - wide["v0"]
        coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
        se = np.sqrt(res[0] / 27 * np.linalg.inv(A.T @ A)[1, 1])
        row = result.table.iloc[k]
        assert row["estimate"] == pytest.approx(coef[1], abs=1e-10)
        assert row["se"] == pytest.approx(se, rel=1e-10)
        assert row["df"] == pytest.approx(28 / 30 * 27, rel=1e-12)
        assert row["riv"] == 0
    lsm = result.lsmeans.query("timepoint == 'v3'").set_index("group")["estimate"]
    assert lsm["active"] - lsm["placebo"] == pytest.approx(result.table["estimate"].iloc[-1])


# --------------------------------------------------------------------------------------
# strategies, seeds, delta


def test_j2r_shrinks_toward_zero():
    data = simulated_trial(5, n=60, dropout=0.5)
    mar, j2r = _mi(data, strategy="MAR"), _mi(data, strategy="J2R")
    reps = mar.replicates.pivot(index="imputation", columns="timepoint", values="estimate")
    mcse = reps["v3"].std(ddof=1) / np.sqrt(40)
    last_mar, last_j2r = mar.table["estimate"].iloc[-1], j2r.table["estimate"].iloc[-1]
    assert last_mar < 0 and abs(last_j2r) < abs(last_mar) - 4 * mcse
    cm = po.compute_reference_imputation(data, measure="y", pre="v0", control="placebo",
                                         strategy="J2R")  # fmt: skip
    j2r_reps = j2r.replicates.pivot(index="imputation", columns="timepoint", values="estimate")
    j2r_mcse = j2r_reps["v3"].std(ddof=1) / np.sqrt(40)
    assert (
        abs(last_j2r - cm.table["estimate"].iloc[-1])
        < 4 * j2r_mcse + 0.05 * cm.table["se"].iloc[-1]
    )
    np.testing.assert_allclose(j2r.covariance, cm.covariance, rtol=1e-6)  # one model


def test_same_seed_same_table_other_seed_other_table():
    data = simulated_trial(6, n=30, dropout=0.5)
    a, b, c = _mi(data, seed=3), _mi(data, seed=3), _mi(data, seed=4)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.replicates, b.replicates)
    assert not np.allclose(a.table["estimate"].iloc[1:], c.table["estimate"].iloc[1:])
    r1, r2 = _resp(data, seed=3, strategy="J2R"), _resp(data, seed=3, strategy="J2R")
    pd.testing.assert_frame_equal(r1.table, r2.table)


def test_delta_is_linear_with_a_fixed_seed():
    """delta draws no random numbers: with the same seed the imputations differ by delta
    exactly, so the estimate is linear in delta."""
    data = simulated_trial(9, n=40, dropout=0.5)
    est = [_mi(data, strategy="J2R", delta=d).table["estimate"].to_numpy() for d in (0, 1, 2)]
    np.testing.assert_allclose(est[2] - est[0], 2 * (est[1] - est[0]), atol=1e-9)
    assert np.all(est[1][1:] > est[0][1:])
    assert est[1][0] == pytest.approx(est[0][0])  # nobody is imputed at v1


def test_values_observed_after_an_intercurrent_event_are_kept_and_notes_say_so():
    data = simulated_trial(4, n=40, dropout=0.0)
    ice = {"s001": "v2", "s003": "v3", "s005": "v2"}
    result = _mi(data, strategy="CR", intercurrent=ice)
    assert result.n_post_ice_observed == 5
    assert result.n_imputed == (0, 0)  # kept, as rbmi: nothing is missing
    assert any("left out of the imputation model's fit" in n for n in result.notes())


# --------------------------------------------------------------------------------------
# responders


def test_composite_is_compare_responders_by_hand():
    data = simulated_trial(7, n=40, dropout=0.4)
    ice = {"s002": "v3"}  # observed at v3, but after the ICE: a non-responder
    result = _resp(data, strategy="composite", intercurrent=ice, seed=None)
    wide = data.pivot(index="subject", columns="timepoint", values="y")
    change = wide["v3"] - wide["v0"]
    responder = (change <= -3.0).astype("boolean").where(change.notna(), pd.NA)
    responder["s002"] = pd.NA
    grp = data.drop_duplicates("subject").set_index("subject")["group"]
    frame = pd.DataFrame({"subject": wide.index, "group": grp.reindex(wide.index).to_numpy(),
                          "r": responder.to_numpy()})  # fmt: skip
    ref = po.compare_responders(frame, responder="r", treatment="active", control="placebo",
                                missing="non-responder")  # fmt: skip
    row = result.table.iloc[-1]
    rd = ref.table.set_index("quantity").loc["risk_difference"]
    assert row["risk_difference"] == pytest.approx(rd["estimate"])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((rd["ci_low"], rd["ci_high"]))
    active = frame["group"] == "active"
    assert row["rate_treatment"] == pytest.approx(frame.loc[active, "r"].fillna(False).mean())
    assert np.isnan(row["fmi"]) and np.isinf(row["df"])


def test_responders_complete_data_and_direction_mirror():
    data = simulated_trial(8, n=30, dropout=0.0)
    result = _resp(data, n_imputations=3)
    wide = data.pivot(index="subject", columns="timepoint", values="y")
    active = data.drop_duplicates("subject").set_index("subject")["group"].reindex(wide.index)
    resp = (wide["v3"] - wide["v0"]) <= -3.0
    rt, rc = resp[active == "active"].mean(), resp[active == "placebo"].mean()
    row = result.table.iloc[-1]
    assert (row["rate_treatment"], row["rate_control"]) == pytest.approx((rt, rc))
    se = np.sqrt(rt * (1 - rt) / 15 + rc * (1 - rc) / 15)
    assert row["se"] == pytest.approx(se) and np.isinf(row["df"]) and row["riv"] == 0
    flipped = _resp(data.assign(y=-data["y"]), n_imputations=3, direction="higher-is-better")
    pd.testing.assert_frame_equal(flipped.table, result.table)


def test_responders_j2r_below_mar():
    data = simulated_trial(5, n=60, dropout=0.5)
    mar, j2r = _resp(data, strategy="MAR"), _resp(data, strategy="J2R")
    assert j2r.table["risk_difference"].iloc[-1] < mar.table["risk_difference"].iloc[-1]
    assert j2r.table["fmi"].iloc[-1] > 0


# --------------------------------------------------------------------------------------
# hostile arguments


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "n_imputations must be an integer from 2 to 10000; got 0"),
        (1, "n_imputations must be an integer from 2 to 10000; got 1"),
        (True, "n_imputations must be an integer from 2 to 10000; got True \\(bool\\)"),
        (10**12, "n_imputations must be an integer from 2 to 10000; got 1000000000000"),
        (2.5, "n_imputations must be .*not an integer"),
        ("200", "n_imputations must be .*\\(str\\)"),
    ],
)
def test_bad_n_imputations(value, message):
    data = simulated_trial(10, n=12)
    with pytest.raises(ArgumentError, match=message):
        _mi(data, n_imputations=value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "seed must be an integer >= 0; got 1.5 \\(not an integer\\)"),
        (True, "seed must be an integer >= 0; got True \\(bool\\)"),
        (None, "seed must be an integer >= 0; got None"),
        (-1, "seed must be an integer >= 0; got -1"),
        (np.nan, "seed must be an integer >= 0; got nan"),
    ],
)
def test_bad_seed(value, message):
    data = simulated_trial(10, n=12)
    with pytest.raises(ArgumentError, match=message):
        _mi(data, seed=value)


def test_other_hostile_arguments():
    data = simulated_trial(10, n=12)
    with pytest.raises(TypeError, match="seed"):
        compute_multiple_imputation(data, measure="y", pre="v0")  # type: ignore[call-arg]
    with pytest.raises(ArgumentError, match="delta must be a finite number; got nan"):
        _mi(data, delta=float("nan"))
    with pytest.raises(ArgumentError, match="strategy must be one of 'MAR', 'J2R'"):
        _mi(data, strategy="composite")
    with pytest.raises(ArgumentError, match="seed must be an integer for strategy='J2R'"):
        _resp(data, strategy="J2R", seed=None)
    with pytest.raises(ArgumentError, match="threshold must be a number > 0; got 0"):
        _resp(data, threshold=0)
    with pytest.raises(ArgumentError, match="threshold must be a number > 0; got nan"):
        _resp(data, threshold=float("nan"))
    with pytest.raises(ArgumentError, match="direction must be one of"):
        _resp(data, direction="down")
    with pytest.raises(ArgumentError, match="confidence must be"):
        _mi(data, confidence=1.0)
    with pytest.raises(ArgumentError, match="estimand must be an Estimand or None"):
        _mi(data, estimand="ITT")


def test_one_subject_per_arm_is_an_estimation_error():
    data = simulated_trial(10, n=2, dropout=0.0)
    with pytest.raises(po.EstimationError):
        _mi(data, n_imputations=2)


# --------------------------------------------------------------------------------------
# the result


def test_result_contract_and_estimand():
    data = simulated_trial(12, n=30, dropout=0.4)
    marker = po.Estimand(population="all randomized", endpoint="change in y at v3",
                         treatment="active versus placebo")  # fmt: skip
    result = _mi(data, strategy="J2R", estimand=marker, treatment="active")
    assert result.estimand is marker
    assert list(result.table.columns) == ["timepoint", "contrast", "estimate", "se", "df", "t",
                                          "p_value", "ci_low", "ci_high", "riv", "fmi"]  # fmt: skip
    assert "Multiple imputation (J2R)" in repr(result) and "<table" in result.to_html()
    assert any("40 imputations (seed 11)" in n for n in result.notes())
    assert result.excluded.empty and result.to_frame().equals(result.table)
    cm = po.compute_reference_imputation(data, measure="y", pre="v0", estimand=marker)
    assert cm.estimand is marker
    resp = _resp(data, strategy="composite", seed=None, estimand=marker)
    assert resp.estimand is marker and resp.n_imputations == 0
    assert any("a fall of 3 or more" in n for n in resp.notes())


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32), shift=st.floats(-50, 50))
def test_shift_invariance(seed, shift):
    """Shifting every score by a constant changes no estimate or SE (same seed)."""
    data = simulated_trial(seed % 1000, n=24, times=TIMES[:3], dropout=0.4)
    a = _mi(data, n_imputations=5, seed=seed, strategy="J2R")
    b = _mi(data.assign(y=data["y"] + shift), n_imputations=5, seed=seed, strategy="J2R")
    np.testing.assert_allclose(a.table["estimate"], b.table["estimate"], atol=1e-5)
    np.testing.assert_allclose(a.table["se"], b.table["se"], rtol=1e-5)


@st.composite
def _hostile_long(draw):
    """Small long frames with NaN, inf, duplicate rows, one arm or one subject."""
    n = draw(st.integers(1, 8))
    values = st.one_of(st.floats(-1e3, 1e3), st.just(np.nan), st.just(np.inf))
    rows = []
    for i in range(n):
        arm = draw(st.sampled_from(["placebo", "active"]))
        for t in draw(st.lists(st.sampled_from(TIMES[:3]), min_size=0, max_size=4)):
            rows.append((f"s{i}", arm, t, draw(values)))
    return pd.DataFrame(rows, columns=["subject", "group", "timepoint", "y"])


@settings(max_examples=25, deadline=None)
@given(data=_hostile_long(), strategy=st.sampled_from(["MAR", "J2R", "composite"]))
def test_hostile_data_give_a_result_or_a_documented_error(data, strategy):
    """Whatever the data, a result or a PastOutcomesError (warnings are the package's)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", po.PastOutcomesWarning)
        try:
            if strategy == "composite":
                _resp(data, strategy="composite", seed=None)
            else:
                _mi(data, strategy=strategy, n_imputations=3)
        except po.PastOutcomesError:
            pass


def test_responder_rows_with_infinite_df_say_why():
    # Found by the attack suite: df = inf (normal-based) in the responder table with no
    # note on the row, the rule for every infinite value in a result.
    data = simulated_trial(8, n=30, dropout=0.4)
    composite = _resp(data, strategy="composite", seed=None).table
    assert np.isinf(composite["df"]).all()
    assert composite["note"].str.contains("normal-based").all()
    complete = _resp(simulated_trial(8, n=30, dropout=0.0), n_imputations=3).table
    assert np.isinf(complete["df"]).all()
    assert complete["note"].str.contains("no between-imputation variance").all()
    imputed = _resp(data, n_imputations=5).table
    last = imputed.iloc[-1]  # v3: values imputed, so a Barnard-Rubin df
    assert np.isfinite(last["df"]) and last["note"] == ""
    assert list(imputed.columns)[-1] == "note"


def test_a_delta_beyond_the_largest_measure_is_refused():
    # found by the attack suite: delta=1e300 made the pooled SE infinite (squares overflow);
    # a delta, like a measure (past_outcomes._long.MAX_MAGNITUDE), is at most 1e100
    data = simulated_trial(10, n=12)
    with pytest.raises(ArgumentError, match="delta must be a finite number at most 1e\\+100"):
        _mi(data, delta=1e300, n_imputations=3)
    with pytest.raises(ArgumentError, match="delta must be a finite number at most 1e\\+100"):
        po.compute_reference_imputation(data, measure="y", pre="v0", delta={"active": -1e101})
    with pytest.raises(ArgumentError, match=r"deltas\[1\] must be a finite number at most 1e"):
        po.compute_tipping_point(data, measure="y", pre="v0", treatment="active",
                                 control="placebo", deltas=[0, 1e300])  # fmt: skip
    result = _mi(data, delta=1e100, n_imputations=3, strategy="J2R")  # the bound itself works
    assert np.isfinite(result.table[["estimate", "se", "ci_low", "ci_high"]].to_numpy()).all()


def test_plot_shows_each_difference_with_its_interval():
    import matplotlib.pyplot as plt

    from past_outcomes.stats.imputation import compute_reference_imputation

    data = simulated_trial(3)
    for result in (
        _mi(data, strategy="J2R", n_imputations=10),
        compute_reference_imputation(data, measure="y", pre="v0", control="placebo"),
    ):
        ax = result.plot()
        (bars,) = ax.containers  # one contrast: active - placebo
        y = bars.lines[0].get_ydata()
        assert list(y) == result.table["estimate"].tolist()
        segments = bars.lines[2][0].get_segments()  # the interval of each timepoint
        lows = [min(seg[:, 1]) for seg in segments]
        assert lows == pytest.approx(result.table["ci_low"].tolist(), rel=1e-12)
        assert [t.get_text() for t in ax.get_xticklabels()] == ["v1", "v2", "v3"]
        assert ax.get_legend().get_texts()[0].get_text() == "active - placebo"
        assert ax.get_title().startswith(f"{result.strategy}, ")
        assert " from " not in ax.get_title()
        plt.close(ax.figure)
