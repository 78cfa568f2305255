"""compute_reference_imputation: conditional-mean imputation with jackknife SEs.

Independent checks: the MMRM (fit_mmrm) under MAR, a by-hand J2R imputation from fit_mmrm's
own coefficients and covariance, and a direct leave-one-subject-out loop over the public
function for the jackknife.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trial_data import TIMES, simulated_trial

import past_outcomes as po
from past_outcomes.errors import ArgumentError
from past_outcomes.stats.imputation import compute_reference_imputation


def _run(data, **kw):
    return compute_reference_imputation(data, measure="y", pre="v0", control="placebo", **kw)


def _mmrm(data):
    return po.fit_mmrm(data, measure="y", pre="v0", control="placebo", baseline_by_timepoint=True)


# --------------------------------------------------------------------------------------
# MAR: the conditional-mean estimate is the MMRM estimate


def test_complete_data_mar_equals_mmrm_and_ancova():
    data = simulated_trial(1, dropout=0.0)
    result = _run(data, strategy="MAR")
    mmrm = _mmrm(data)
    np.testing.assert_allclose(result.table["estimate"], mmrm.table["estimate"], atol=1e-6)
    # and the plain ANCOVA per visit by least squares
    wide = data.pivot(index="subject", columns="timepoint", values="y")
    grp = data.drop_duplicates("subject").set_index("subject")["group"].reindex(wide.index)
    A = np.column_stack([np.ones(len(wide)), grp == "active", wide["v0"]]).astype(float)
    for k, t in enumerate(TIMES[1:]):
        coef = np.linalg.lstsq(A, wide[t] - wide["v0"], rcond=None)[0]
        assert result.table["estimate"][k] == pytest.approx(coef[1], abs=1e-8)
    assert not result.imputed["imputed"].any()


def test_monotone_dropout_mar_equals_mmrm():
    data = simulated_trial(2, n=60)
    result = _run(data, strategy="MAR")
    mmrm = _mmrm(data)
    assert result.imputed["imputed"].sum() > 5
    diff = np.abs(result.table["estimate"] - mmrm.table["estimate"])
    assert (diff <= 1e-4 * result.table["se"]).all()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_mar_equivalence_property(seed):
    data = simulated_trial(seed, n=24, times=TIMES[:3], dropout=0.4)
    result = _run(data, strategy="MAR")
    diff = np.abs(result.table["estimate"] - _mmrm(data).table["estimate"])
    assert (diff <= 1e-4 * result.table["se"]).all()


# --------------------------------------------------------------------------------------
# J2R by hand on two visits


@pytest.mark.parametrize("strategy", ["J2R", "CR", "CIR", "MAR"])
def test_two_visits_by_hand(strategy):
    """Carpenter et al. (2013) joint means, Sigma and beta read from fit_mmrm, then the
    conditional mean of visit 2 given visit 1 and an ANCOVA by least squares."""
    data = simulated_trial(3, n=40, times=["v0", "v1", "v2"], dropout=0.5)
    result = _run(data, strategy=strategy)
    mmrm = _mmrm(data)  # the same imputation model (no data after the dropouts)
    b = mmrm.coefficients.set_index("term")["estimate"]
    S = mmrm.covariance.to_numpy()
    wide = data.pivot(index="subject", columns="timepoint", values="y")
    grp = data.drop_duplicates("subject").set_index("subject")["group"].reindex(wide.index)
    base, ch1, ch2 = wide["v0"], wide["v1"] - wide["v0"], (wide["v2"] - wide["v0"]).copy()
    active = (grp == "active").astype(float)
    mu_ref1 = b["(Intercept)"] + b["y_pre"] * base
    mu_own1 = mu_ref1 + b["group[active]"] * active
    mu_ref2 = b["(Intercept)"] + b["timepoint[v2]"] + (b["y_pre"] + b["y_pre:timepoint[v2]"]) * base
    mu_own2 = mu_ref2 + active * (b["group[active]"] + b["group[active]:timepoint[v2]"])
    mean1, mean2 = {
        "MAR": (mu_own1, mu_own2),
        "J2R": (mu_own1, mu_ref2),
        "CR": (mu_ref1, mu_ref2),
        "CIR": (mu_own1, mu_own1 + mu_ref2 - mu_ref1),
    }[strategy]
    gone = ch2.isna()
    assert gone.sum() > 5 and (gone & (active == 1)).sum() > 2
    ch2[gone] = (mean2 + S[1, 0] / S[0, 0] * (ch1 - mean1))[gone]
    A = np.column_stack([np.ones(len(wide)), active, base])
    expected = np.linalg.lstsq(A, ch2, rcond=None)[0][1]
    assert result.table["estimate"][1] == pytest.approx(expected, abs=1e-6)
    imp = result.imputed.set_index(["subject", "timepoint"])["change"]
    got = imp.xs("v2", level="timepoint").reindex(gone[gone].index)
    np.testing.assert_allclose(got, ch2[gone], atol=1e-6)
    # the placebo dropouts are imputed under MAR whatever the strategy
    mar2 = (mu_own2 + S[1, 0] / S[0, 0] * (ch1 - mu_own1))[gone]
    placebo = grp[gone[gone].index] == "placebo"
    np.testing.assert_allclose(got[placebo], mar2[placebo], atol=1e-6)
    if strategy != "MAR":
        assert np.all(np.abs(got[~placebo] - mar2[~placebo]) > 1e-3)


def test_subject_without_post_values_is_imputed_and_mar_still_equals_mmrm():
    data = simulated_trial(12, n=40)
    extra = pd.DataFrame([("s999", "active", "v0", 31.0)], columns=data.columns)
    with_extra = pd.concat([data, extra], ignore_index=True)
    result = _run(with_extra, strategy="MAR")
    assert result.excluded.empty
    assert result.imputed.query("subject == 's999'")["imputed"].all()
    with pytest.warns(po.PastOutcomesWarning, match="set aside"):
        mmrm = _mmrm(with_extra)  # fit_mmrm sets it aside (no-post)
    diff = np.abs(result.table["estimate"] - mmrm.table["estimate"])
    assert (diff <= 1e-4 * result.table["se"]).all()
    j2r = _run(with_extra, strategy="J2R").imputed.query("subject == 's999'")
    assert j2r["post_ice"].all()


def test_values_observed_after_an_intercurrent_event_stay_but_leave_the_fit():
    """As rbmi: under J2R an observed value at or after the ICE is kept (not imputed) and
    conditioned on, but the imputation model is fitted without it."""
    data = simulated_trial(4, n=40, dropout=0.0)
    ice = {"s001": "v2", "s003": "v3", "s005": "v1", "s002": "v2"}
    with_map = _run(data, strategy="J2R", intercurrent=ice)
    key = data["subject"] + data["timepoint"]
    drop = [s + t for s, first in ice.items() for t in TIMES[TIMES.index(first) :]]
    cut = data[~key.isin(drop)]
    # the fit leaves them out: the same covariance as on data without them
    np.testing.assert_allclose(
        with_map.covariance.to_numpy(), _run(cut, strategy="J2R").covariance.to_numpy(), rtol=1e-8
    )
    # ... but they stay in the analysis, unchanged, so the estimate differs
    imp = with_map.imputed
    kept = imp[(imp["subject"] + imp["timepoint"]).isin(drop)]
    assert len(kept) == len(drop) == 8 and not kept["imputed"].any()
    observed = data.set_index(["subject", "timepoint"])["y"]
    pairs = list(zip(kept["subject"], kept["timepoint"], strict=True))
    np.testing.assert_allclose(kept["score"].to_numpy(), observed.loc[pairs].to_numpy())
    assert with_map.n_post_ice_observed == 8
    assert any("left out of the imputation model's fit" in n for n in with_map.notes())
    column = data.assign(ice=data["subject"].map(ice))
    by_column = _run(column, strategy="J2R", intercurrent="ice")
    np.testing.assert_allclose(by_column.table["estimate"], with_map.table["estimate"])


# --------------------------------------------------------------------------------------
# shrinkage: J2R pulls the effect furthest toward the reference


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_reference_based_shrinkage_order(seed):
    data = simulated_trial(seed, n=60, dropout=0.5)
    est = {s: _run(data, strategy=s).table["estimate"].abs().to_numpy() for s in po_strategies()}
    tol = 1e-9
    assert np.all(est["J2R"] <= est["CIR"] + tol)
    assert np.all(est["J2R"] <= est["CR"] + tol)
    assert np.all(est["CR"] <= est["MAR"] + tol)
    assert np.all(est["CIR"] <= est["MAR"] + tol)
    assert est["J2R"][-1] < est["MAR"][-1] - 1e-3  # the last visit shrinks for real


def po_strategies():
    return ["MAR", "J2R", "CR", "CIR"]


# --------------------------------------------------------------------------------------
# the jackknife


def test_jackknife_against_direct_leave_one_out_loop():
    data = simulated_trial(8, n=20, times=["v0", "v1", "v2"], dropout=0.3)
    result = _run(data, strategy="J2R")
    ids = sorted(data["subject"].unique())
    loo = np.array(
        [_run(data[data["subject"] != s], strategy="J2R").table["estimate"] for s in ids]
    )
    reps = result.replicates.pivot(index="subject", columns="timepoint", values="estimate")
    np.testing.assert_allclose(reps.loc[ids, ["v1", "v2"]].to_numpy(), loo, atol=1e-6)
    n = len(ids)
    se = np.sqrt((n - 1) / n * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(result.table["se"], se, rtol=1e-5)
    z = 1.959963984540054
    np.testing.assert_allclose(
        result.table["ci_high"] - result.table["estimate"], z * se, rtol=1e-5
    )


# --------------------------------------------------------------------------------------
# delta adjustment


def test_delta_is_linear_and_only_on_post_ice_imputed_values():
    data = simulated_trial(9, n=40, dropout=0.5)
    base = _run(data, strategy="J2R").table["estimate"].to_numpy()
    one = _run(data, strategy="J2R", delta=1.5).table["estimate"].to_numpy()
    two = _run(data, strategy="J2R", delta=3.0).table["estimate"].to_numpy()
    np.testing.assert_allclose(two - base, 2 * (one - base), atol=1e-8)
    assert np.all(one[1:] > base[1:])  # worse outcome imputed in the active arm
    assert one[0] == pytest.approx(base[0])  # nobody drops out before v2's successor
    same = _run(data, strategy="J2R", delta={"placebo": 0.0, "active": 1.5})
    np.testing.assert_allclose(same.table["estimate"], one)
    assert any("Delta adjustment: +1.5 in 'active'" in n for n in same.notes())


# --------------------------------------------------------------------------------------
# arguments


def test_argument_errors():
    data = simulated_trial(10, n=12)
    with pytest.raises(ArgumentError, match="strategy must be one of 'MAR', 'J2R'"):
        _run(data, strategy="j2r")
    with pytest.raises(ArgumentError, match="it must be one of the post-baseline timepoints"):
        _run(data, intercurrent={"s001": "week9"})
    with pytest.raises(ArgumentError, match="delta must be a finite number; got 'x'"):
        _run(data, delta="x")
    with pytest.raises(ArgumentError, match="delta must map levels of the group column"):
        _run(data, delta={"other": 1.0})
    with pytest.raises(ArgumentError, match="intercurrent names subject\\(s\\) not in data: s777"):
        _run(data, intercurrent={"s777": "v2"})
    with pytest.raises(ArgumentError, match="intercurrent must be a column of data"):
        _run(data, intercurrent="nope")


def test_result_contract():
    result = _run(simulated_trial(11, n=20), strategy="CR", treatment="active")
    assert list(result.table.columns) == [
        "timepoint",
        "contrast",
        "estimate",
        "se",
        "z",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    assert set(result.table["contrast"]) == {"active - placebo"}
    assert "CR" in result.notes()[1] and "Wolbers" in result.notes()[0]
    assert result.excluded.empty
    assert "Conditional-mean imputation (CR)" in repr(result)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50))
def test_invariances(seed, shift):
    """Dropout only in the control group: every strategy is MAR. Adding a constant to every
    score (baseline included) leaves every estimate and SE unchanged."""
    data = simulated_trial(seed, n=24, times=TIMES[:3], dropout=0.5)
    active = set(data.loc[data["group"] == "active", "subject"])
    complete = data.groupby("subject")["y"].transform("size") == 3
    data = data[complete | ~data["subject"].isin(active)]
    tables = {s: _run(data, strategy=s).table for s in ["MAR", "J2R", "CR", "CIR"]}
    for s in ["J2R", "CR", "CIR"]:
        np.testing.assert_allclose(tables[s]["estimate"], tables["MAR"]["estimate"], atol=1e-9)
    moved = _run(data.assign(y=data["y"] + shift), strategy="J2R").table
    np.testing.assert_allclose(moved["estimate"], tables["J2R"]["estimate"], atol=1e-6)
    np.testing.assert_allclose(moved["se"], tables["J2R"]["se"], rtol=1e-5)


def test_estimand_is_typed_and_checked_like_the_other_analyses():
    import typing

    from past_outcomes.estimand import Estimand

    hints = typing.get_type_hints(compute_reference_imputation)
    assert hints["estimand"] == Estimand | None
    data = simulated_trial(3, n=12)
    with pytest.raises(ArgumentError, match="estimand must be an Estimand or None; got 'ITT'"):
        _run(data, estimand="ITT")


def test_a_number_as_covariates_is_an_argument_error():
    # found by the attack suite (it was iterated: "'float' object is not iterable")
    with pytest.raises(ArgumentError, match="covariates must be a column name or a list"):
        _run(simulated_trial(3, n=12), covariates=0.0)
    with pytest.raises(ArgumentError, match="covariates must be a column name or a list"):
        po.fit_mmrm(
            simulated_trial(3, n=12), measure="y", pre="v0", control="placebo", covariates=1
        )
