"""Tests for past_outcomes.mmrm.fit_mmrm.

Golden values come from R (nlme::gls REML with corSymm + varIdent, emmeans Satterthwaite mode),
produced by tests/golden/mmrm/make_golden.R from tests/golden/mmrm/input.csv (itself generated
by tests/golden/mmrm/make_input.py). Tolerances per quantity: estimates and SEs 1e-4 relative,
Satterthwaite df 1 % (emmeans differentiates a profiled-sigma variance with numDeriv; we use the
exact gradient, as R mmrm does), log-likelihood 1e-6 relative.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    EstimationError,
    PastOutcomesWarning,
)
from past_outcomes.mmrm import MMRMResult, _Reml, fit_mmrm

GOLDEN = Path(__file__).parent / "golden" / "mmrm"
VISITS = ["week2", "week4", "week8", "week12"]
BASE_ARGS = dict(measure="chg", subject="subject", visit="visit", group="arm", baseline="base")
MODELS = {
    "a": {},
    "b": {"covariates": ["site"]},
    "c": {"covariance": "compound-symmetry"},
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "input.csv")


@pytest.fixture(scope="module")
def complete(data) -> pd.DataFrame:
    return data.dropna(subset=["chg"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def fits(data) -> dict[str, MMRMResult]:
    out = {}
    for tag, extra in MODELS.items():
        with pytest.warns(PastOutcomesWarning, match="2 row"):
            out[tag] = fit_mmrm(data, **BASE_ARGS, reference="placebo", **extra)
    return out


def _golden(name: str, tag: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN / f"{name}_{tag}.csv")


def _rel(ours, theirs) -> np.ndarray:
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    return np.abs(ours - theirs) / np.abs(theirs)


# ----------------------------------------------------------------------------- R comparison


@pytest.mark.parametrize("tag", MODELS)
def test_loglik_matches_r(fits, tag):
    r = _golden("loglik", tag)
    assert fits[tag].loglik == pytest.approx(r["loglik"][0], rel=1e-6)
    assert fits[tag].n_observations == r["n_obs"][0]


@pytest.mark.parametrize("tag", MODELS)
@pytest.mark.parametrize("table", ["lsmeans", "contrasts", "coefficients"])
def test_estimates_se_df_match_r(fits, tag, table):
    ours = getattr(fits[tag], table)
    r = _golden(table, tag)
    assert len(ours) == len(r)
    if table == "lsmeans":
        assert list(ours["group"]) == list(r["group"])
        assert list(ours["visit"]) == list(r["visit"])
    if table == "contrasts":
        assert list(ours["visit"]) == list(r["visit"])
        assert list(ours["contrast"]) == list(r["contrast"])
    assert _rel(ours["estimate"], r["estimate"]).max() < 1e-4
    assert _rel(ours["se"], r["se"]).max() < 1e-4
    assert _rel(ours["dof"], r["dof"]).max() < 0.01
    if table != "coefficients":
        # interval ends: tolerance relative to the standard error (ends can be near zero)
        for col in ("ci_low", "ci_high"):
            assert (np.abs(ours[col] - r[col]) / r["se"]).max() < 1e-3
    if table == "contrasts":
        assert _rel(ours["t"], r["t"]).max() < 1e-4
        assert _rel(ours["p_value"], r["p_value"]).max() < 0.02


@pytest.mark.parametrize("tag", MODELS)
def test_covariance_matches_r(fits, tag):
    r = _golden("covariance", tag).set_index("visit")
    ours = fits[tag].covariance
    assert list(ours.index) == VISITS
    np.testing.assert_allclose(ours.to_numpy(), r.to_numpy(), rtol=1e-4)


def test_coefficient_terms_follow_r_order(fits):
    r = _golden("coefficients", "a")
    expected = [
        t.replace("armactive", "arm[active]").replace("visitweek", "visit[week") for t in r["term"]
    ]
    expected = [t + "]" if "visit[" in t else t for t in expected]
    assert list(fits["a"].coefficients["term"]) == expected


# ----------------------------------------------------------------------------- result object


def test_result_shape_and_rendering(fits):
    res = fits["a"]
    assert res.summary is res.lsmeans
    assert list(res.lsmeans.columns) == [
        "group",
        "visit",
        "estimate",
        "se",
        "dof",
        "ci_low",
        "ci_high",
    ]
    assert list(res.contrasts.columns) == [
        "visit",
        "contrast",
        "estimate",
        "se",
        "dof",
        "t",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    assert list(res.coefficients.columns) == ["term", "estimate", "se", "dof", "t", "p_value"]
    assert res.n_subjects == 60
    assert res.method == (
        "REML GLS, unstructured covariance, Satterthwaite df; "
        "LS means with equal weights (as emmeans)"
    )
    assert "Satterthwaite" in str(res)
    assert "<table" in res._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.loglik = 0.0  # type: ignore[misc]


def test_dropped_rows_reported(data, fits):
    dropped = fits["a"].dropped_rows
    expected = data[data["chg"].isna()]
    assert list(dropped.index) == list(expected.index)
    assert list(dropped["subject"]) == ["S003", "S023"]
    assert set(dropped["reason"]) == {"missing chg"}
    assert fits["a"].n_observations == len(data) - 2
    assert "2 row(s) left out" in str(fits["a"])


def test_missing_covariate_rows_dropped(complete):
    d = complete.copy()
    d.loc[[3, 10], "base"] = np.nan
    with pytest.warns(PastOutcomesWarning, match="2 row"):
        res = fit_mmrm(d, **BASE_ARGS)
    assert list(res.dropped_rows.index) == [3, 10]
    assert set(res.dropped_rows["reason"]) == {"missing base"}


def test_no_warning_when_nothing_dropped(complete):
    res = fit_mmrm(complete, **BASE_ARGS, reference="placebo")  # warnings are errors here
    assert len(res.dropped_rows) == 0


# ----------------------------------------------------------------------------- invariances


def test_row_order_invariance(data, fits):
    shuffled = data.sample(frac=1.0, random_state=7)
    with pytest.warns(PastOutcomesWarning):
        res = fit_mmrm(shuffled, **BASE_ARGS, reference="placebo")
    ref = fits["a"]
    for table in ("lsmeans", "contrasts", "coefficients"):
        a, b = getattr(res, table), getattr(ref, table)
        for col in ("estimate", "se", "dof"):
            np.testing.assert_allclose(a[col], b[col], rtol=1e-6)
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-10)


def test_visit_order_default_is_natural_and_categorical_respected(complete):
    res = fit_mmrm(complete, **BASE_ARGS, reference="placebo")
    assert res.visits == tuple(VISITS)
    d = complete.copy()
    d["visit"] = pd.Categorical(d["visit"], categories=VISITS[::-1])
    res2 = fit_mmrm(d, **BASE_ARGS, reference="placebo")
    assert res2.visits == tuple(VISITS[::-1])
    # the model is the same; only the order of the tables changes
    a = res.contrasts.set_index("visit")["estimate"]
    b = res2.contrasts.set_index("visit")["estimate"]
    np.testing.assert_allclose(a.loc[VISITS], b.loc[VISITS], rtol=1e-6)
    assert res2.loglik == pytest.approx(res.loglik, rel=1e-9)


def test_default_reference_is_first_sorted_level(complete):
    res = fit_mmrm(complete, **BASE_ARGS)
    assert res.reference == "active"
    assert set(res.contrasts["contrast"]) == {"placebo - active"}


def test_compound_symmetry_method_text(fits):
    assert "compound-symmetry" in fits["c"].method


# ----------------------------------------------------------------------------- recovery


def test_recovers_known_effect():
    rng = np.random.default_rng(11)
    n, visits = 400, [1, 2, 3]
    effect = np.array([-1.0, -2.0, -4.0])
    sd = np.array([3.0, 4.0, 5.0])
    corr = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.5], [0.3, 0.5, 1.0]])
    sigma = corr * np.outer(sd, sd)
    arm = rng.integers(0, 2, n)
    base = rng.normal(20, 4, n)
    e = rng.multivariate_normal(np.zeros(3), sigma, n)
    y = -2.0 + 0.4 * (base[:, None] - 20) + arm[:, None] * effect + e
    rows = [
        (i, "drug" if arm[i] else "placebo", visits[t], base[i], y[i, t])
        for i in range(n)
        for t in range(3)
        if not (t > 0 and rng.random() < 0.15 * t)
    ]
    d = pd.DataFrame(rows, columns=["id", "arm", "week", "base", "chg"])
    res = fit_mmrm(
        d, measure="chg", subject="id", visit="week", group="arm", baseline="base", reference=None
    )
    assert res.reference == "drug"  # sorted: "drug" < "placebo"
    res = fit_mmrm(
        d,
        measure="chg",
        subject="id",
        visit="week",
        group="arm",
        baseline="base",
        reference="placebo",
    )
    con = res.contrasts
    z = (con["estimate"].to_numpy() - effect) / con["se"].to_numpy()
    assert np.all(np.abs(z) < 3)
    assert np.all((con["ci_low"] < effect) & (effect < con["ci_high"]))
    np.testing.assert_allclose(res.covariance.to_numpy(), sigma, rtol=0.25)
    assert res.coefficients.set_index("term").loc["base", "estimate"] == pytest.approx(0.4, abs=0.1)


# ----------------------------------------------------------------------------- internals


def test_analytic_gradient_matches_finite_differences(complete):
    import past_outcomes.mmrm as m

    captured = {}
    original = m._optimise

    def spy(reml, theta0):
        captured["reml"] = reml
        captured["theta0"] = theta0
        return original(reml, theta0)

    mp = pytest.MonkeyPatch()
    mp.setattr(m, "_optimise", spy)
    try:
        fit_mmrm(complete, **BASE_ARGS, covariates=["site"])
    finally:
        mp.undo()
    reml: _Reml = captured["reml"]
    theta = captured["theta0"] + 0.05
    _, grad = reml.value_and_grad(theta)
    fd = np.empty_like(theta)
    for j in range(len(theta)):
        h = np.zeros_like(theta)
        h[j] = 1e-5
        fd[j] = (reml.value(theta + h) - reml.value(theta - h)) / 2e-5
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- edge cases


def test_group_without_data_at_a_visit(complete):
    d = complete[~((complete["arm"] == "active") & (complete["visit"] == "week12"))]
    with pytest.warns(PastOutcomesWarning, match="'active' at 'week12'"):
        res = fit_mmrm(d, **BASE_ARGS, reference="placebo")
    ls = res.lsmeans.set_index(["group", "visit"])
    assert np.isnan(ls.loc[("active", "week12"), "estimate"])
    assert np.isfinite(ls.loc[("placebo", "week12"), "estimate"])
    con = res.contrasts.set_index("visit")
    assert np.isnan(con.loc["week12", "estimate"])
    assert np.isfinite(con.loc[["week2", "week4", "week8"], "estimate"]).all()
    assert res.non_estimable == (("active", "week12"),)
    coef = res.coefficients.set_index("term")
    assert np.isnan(coef.loc["arm[active]:visit[week12]", "estimate"])


def test_constant_outcome_is_an_estimation_error(complete):
    d = complete.copy()
    d["chg"] = 1.0  # no residual variation: the covariance is undefined (was a convergence error)
    with pytest.raises(EstimationError, match="no residual variation: the outcome is constant"):
        fit_mmrm(d, **BASE_ARGS)


# ----------------------------------------------------------------------------- errors


def test_duplicate_rows_listed(complete):
    d = pd.concat([complete, complete.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="subject S001 has more than one row") as info:
        fit_mmrm(d, **BASE_ARGS)
    fc = info.value.failure_cases
    assert list(fc["row"]) == [0, len(d) - 1]
    assert set(fc["reason"]) == {"duplicate-observation"}
    assert set(fc["subject"]) == {"S001"}
    assert set(fc["timepoint"]) == {"week2"}
    assert set(fc["column"]) == {"subject"}  # one long-data validation: as compare_groups


def test_missing_identifier_listed(complete):
    d = complete.copy()
    d.loc[4, "arm"] = None
    with pytest.raises(DataValidationError, match="missing-value") as info:
        fit_mmrm(d, **BASE_ARGS)
    fc = info.value.failure_cases
    assert fc[["row", "column", "reason"]].values.tolist() == [[4, "arm", "missing-value"]]


def test_non_numeric_outcome_listed(complete):
    d = complete.astype({"chg": object})
    d.loc[2, "chg"] = "n/a"
    with pytest.raises(DataValidationError, match="not-a-number") as info:
        fit_mmrm(d, **BASE_ARGS)
    fc = info.value.failure_cases
    assert fc[["row", "column", "value", "reason"]].values.tolist() == [
        [2, "chg", "n/a", "not-a-number"]
    ]


def test_visit_outside_visits_listed(complete):
    with pytest.raises(DataValidationError, match="out-of-range") as info:
        fit_mmrm(complete, **BASE_ARGS, visits=["week2", "week4", "week8"])
    fc = info.value.failure_cases
    assert set(fc["value"]) == {"week12"}
    assert len(fc) == (complete["visit"] == "week12").sum()


def test_missing_column(complete):
    with pytest.raises(ArgumentError, match=r"'score'.*not among its columns"):
        fit_mmrm(complete, **{**BASE_ARGS, "measure": "score"})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"covariance": "ar1"}, "covariance must be one of"),
        ({"confidence": 1.5}, "confidence must be strictly between 0 and 1"),
        ({"reference": "sham"}, "reference must be one of the levels of arm"),
        ({"visits": ["week2", "week2"]}, "visits must list each visit once"),
        ({"visits": [*VISITS, "week16"]}, "visits lists 'week16'"),
        ({"covariates": ["base"]}, "each column must play one role"),
        ({"measure": 3}, "measure must be a column name"),
    ],
)
def test_argument_errors(complete, kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        fit_mmrm(complete, **{**BASE_ARGS, **kwargs})


def test_data_must_be_dataframe():
    with pytest.raises(ArgumentError, match="data must be a pandas DataFrame"):
        fit_mmrm([1, 2], **BASE_ARGS)


def test_three_arms_each_compared_with_reference(complete):
    d = complete.copy()
    high = d["subject"].isin(d["subject"].unique()[::3]) & (d["arm"] == "active")
    d.loc[high, "arm"] = "high"
    d.loc[high, "chg"] -= 2.0
    res = fit_mmrm(d, **BASE_ARGS, reference="placebo")
    assert res.groups == ("placebo", "active", "high")
    assert list(res.contrasts["contrast"]) == ["active - placebo", "high - placebo"] * 4
    assert list(res.lsmeans["group"][:3]) == ["placebo", "active", "high"]
    assert res.contrasts["estimate"].notna().all()
