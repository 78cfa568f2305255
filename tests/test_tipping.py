"""compute_tipping_point: delta-adjusted conditional-mean imputation over a grid.

Independent checks: every grid point against a direct call of compute_reference_imputation
with that delta (method="direct" and calls in the test); the tipping delta against a direct
call at it (p = alpha); the linear form's SE against the jackknife formula on the replicates.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import past_outcomes as po
from past_outcomes.errors import ArgumentError
from past_outcomes.stats.imputation import compute_reference_imputation
from past_outcomes.stats.tipping import compute_tipping_point

matplotlib.use("Agg")
TIMES = ["v0", "v1", "v2", "v3"]


def _trial(seed: int = 3, n: int = 40, effect=-4.0, dropout=0.5) -> pd.DataFrame:
    """Long data: placebo/active, correlated visits, monotone dropout in both arms."""
    rng = np.random.default_rng(seed)
    cov = 4.0 * 0.6 ** np.abs(np.subtract.outer(np.arange(4), np.arange(4))) + 1.0
    rows = []
    for i in range(n):
        arm = "active" if i % 2 else "placebo"
        y = 30 + rng.multivariate_normal(np.zeros(4), cov) - np.arange(4)
        if arm == "active":
            y = y + effect * np.arange(4) / 3
        last = 4 if rng.random() > dropout else int(rng.integers(2, 4))
        rows += [(f"s{i:03d}", arm, TIMES[k], y[k]) for k in range(last)]
    return pd.DataFrame(rows, columns=["subject", "group", "timepoint", "y"])


KW = {"measure": "y", "pre": "v0", "control": "placebo", "treatment": "active"}


def _tip(data, **kw):
    return compute_tipping_point(data, **{**KW, **kw})


def _direct(data, d_t, d_c=0.0, strategy="MAR", time="v3"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = compute_reference_imputation(
            data, **KW, strategy=strategy, delta={"active": d_t, "placebo": d_c}
        )
    return r.table.set_index("timepoint").loc[time]


@pytest.fixture(scope="module")
def data():
    return _trial()


@pytest.fixture(scope="module")
def mar(data):
    return _tip(data, deltas=np.linspace(0, 12, 7))


def test_grid_points_equal_direct_runs(data, mar):
    direct = _tip(data, deltas=np.linspace(0, 12, 7), method="direct")
    cols = ["estimate", "se", "p_value", "ci_low", "ci_high"]
    np.testing.assert_allclose(mar.table[cols], direct.table[cols], rtol=1e-8, atol=1e-10)
    assert mar.n_runs == 2 and direct.n_runs == 2 + 7
    row = _direct(data, 8.0)  # and one call here, outside the module
    got = mar.table.loc[mar.table["delta"] == 8.0].iloc[0]
    assert got["estimate"] == pytest.approx(row["estimate"], rel=1e-9)
    assert got["se"] == pytest.approx(row["se"], rel=1e-8)


def test_tipping_delta_is_where_p_reaches_alpha(data, mar):
    assert mar.base["significant"].iloc[0]  # the effect is significant without adjustment
    tip = mar.tipping_delta
    assert tip is not None and 0 < tip < 12
    assert _direct(data, tip)["p_value"] == pytest.approx(0.05, abs=1e-7)
    # the grid points around it are on either side of alpha
    t = mar.table
    assert t.loc[t["delta"] < tip, "significant"].all()
    assert not t.loc[t["delta"] > tip, "significant"].iloc[0]
    assert f"Tipping point: delta = {tip:.4g}" in " ".join(mar.notes())


def test_does_not_tip_on_a_short_grid_but_extrapolates(data, mar):
    short = _tip(data, deltas=[0, 0.5, 1])
    assert short.tipping_delta is None and short.tipping.empty
    assert short.extrapolated_tipping_delta == pytest.approx(mar.tipping_delta, rel=1e-8)
    assert "does not tip on the grid" in " ".join(short.notes())


def test_default_grid_runs_against_the_effect(data):
    result = _tip(data)
    base = result.base["estimate"].iloc[0]
    d = result.table["delta"]
    assert len(d) == 21 and d.iloc[0] == 0
    assert np.sign(d.iloc[-1]) == -np.sign(base)
    assert abs(d.iloc[-1]) == pytest.approx(2 * abs(base))


def test_both_arms_grid_and_curve(data):
    grid = {"treatment": np.linspace(0, 12, 5), "control": np.linspace(0, -6, 3)}
    result = _tip(data, arms="both", deltas=grid, strategy="J2R")
    assert len(result.table) == 15 and result.n_runs == 3
    row = result.table.iloc[-1]
    direct = _direct(data, row["delta_treatment"], row["delta_control"], strategy="J2R")
    assert row["estimate"] == pytest.approx(direct["estimate"], rel=1e-9)
    assert row["se"] == pytest.approx(direct["se"], rel=1e-8)
    curve = result.tipping.set_index("delta_control")
    # control deltas -6 and -3 alone make the effect non-significant (p 0.57 and 0.19 at
    # delta_treatment 0); without one it tips between treatment deltas 0 and 3
    assert curve["tipped_by_control"].tolist() == [True, True, False]
    assert curve.loc[-6.0, "delta_treatment"] == 0.0
    dt = curve.loc[0.0, "delta_treatment"]
    assert 0 < dt < 3
    assert _direct(data, dt, 0.0, strategy="J2R")["p_value"] == pytest.approx(0.05, abs=1e-7)
    assert "change the conclusion on their own" in " ".join(result.notes())
    ax = result.plot()
    assert ax.get_xlabel().startswith("delta, active")


def test_estimand_and_rendering(data, mar):
    est = po.Estimand("adults", "y change at v3", "active vs placebo",
                      [("dropout", "hypothetical", "MAR with delta")])  # fmt: skip
    result = _tip(data, deltas=[0, 6, 12], estimand=est)
    assert result.notes()[0].startswith("Estimand: ")
    assert "<caption>Estimand</caption>" in result.to_html()
    ax = mar.plot()
    assert ax.get_xlabel().startswith("delta added")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_timepoint_of_interest(data):
    result = _tip(data, deltas=[0, 1], timepoint_of_interest="v2")
    assert result.timepoint == "v2"
    assert result.base["estimate"].iloc[0] == pytest.approx(_direct(data, 0, time="v2")["estimate"])


def test_input_not_mutated(data):
    before = data.copy()
    _tip(data, deltas=[0, 1])
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"arms": "control"}, "arms must be one of"),
        ({"method": "fast"}, "method must be one of"),
        ({"deltas": [0, float("nan")]}, r"deltas\[1\] must be a finite number"),
        ({"deltas": [0, True]}, r"deltas\[1\] must be a finite number"),
        ({"deltas": "0,1"}, "deltas must be a sequence of numbers"),
        ({"deltas": []}, "must hold from 1 to"),
        ({"deltas": {"treatment": [0]}}, "exactly the keys 'treatment' and 'control'"),
        ({"confidence": 95}, "confidence must be"),
        ({"timepoint_of_interest": "v9"}, "timepoint_of_interest must be a post-baseline"),
        ({"estimand": "ITT"}, "estimand must be an Estimand or None"),
        ({"strategy": "LOCF"}, "strategy must be one of"),
    ],
)
def test_bad_arguments(data, kw, message):
    with pytest.raises(ArgumentError, match=message):
        _tip(data, **{"deltas": [0, 1], **kw})


def test_exported():
    assert po.compute_tipping_point is compute_tipping_point
