"""Power and sample size of a two-sample or paired t test.

Public functions
----------------
compute_power       power for given n (one n, or a list of n for a power curve)
plan_sample_size    n per arm (or pairs) for a target power, inflated for dropout

Both return a :class:`PowerResult`. The power is what statsmodels ``TTestIndPower`` /
``TTestPower`` (and pingouin ``power_ttest``) compute, from the noncentral t; tails that scipy
cannot evaluate far from the noncentrality are 0 instead of NaN. ``alpha`` here is the
significance level of the planned test (not a confidence level).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_number, check_option
from past_outcomes.errors import ArgumentError, EstimationError
from past_outcomes.results import ResultBase
from past_outcomes.stats._common import check_probability

__all__ = ["PowerResult", "compute_power", "plan_sample_size"]

ALTERNATIVES = ("two-sided", "less", "greater")
DESIGNS = ("two-sample", "paired")

#: Largest sample size (per arm, or pairs) plan_sample_size searches.
N_MAX = 1e9


@dataclass(frozen=True, eq=False, repr=False)
class PowerResult(ResultBase):
    """Power of a t test, or the sample size that reaches a power.

    Attributes
    ----------
    table : DataFrame
        ``compute_power``: one row per n (``design, effect_size, n, n_control, alpha,
        alternative, ratio, power``). ``plan_sample_size``: one row per arm plus ``total``
        (two-sample) or one row ``subjects`` (paired) (``design, arm, effect_size, alpha,
        power, alternative, ratio, dropout, n_exact, n, n_enrolled, note``).
    kind : str
        ``"power"`` (compute_power) or ``"sample-size"`` (plan_sample_size).
    design, effect_size, alpha, alternative, ratio
        The arguments (``effect_size`` is Cohen's d, or d_z when paired).
    """

    table: pd.DataFrame
    kind: str
    design: str
    effect_size: float
    alpha: float
    alternative: str
    ratio: float
    title: str = "Power"

    def notes(self) -> list[str]:
        what = "Cohen's d (pooled SD)" if self.design == "two-sample" else "d_z (paired)"
        lines = [
            f"{self.design} t test, {self.alternative}, alpha = {self.alpha:g}; effect size "
            f"{self.effect_size:g} as {what}; noncentral t (as statsmodels TTestIndPower / "
            "TTestPower)."
        ]
        if self.design == "two-sample":
            lines.append(f"n is the treatment arm; the control arm has n * ratio ({self.ratio:g}).")
        if "note" in self.table:
            lines += list(dict.fromkeys(n for n in self.table["note"] if n))
        return lines

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The power curve (power against n) of ``compute_power``; returns the Axes.

        ``kwargs`` go to ``Axes.plot`` (``marker`` defaults to ``"o"``; pass ``marker=""``
        for a plain line when several curves share the Axes).
        """
        if self.kind != "power":
            return super().plot(ax, **kwargs)
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        t = self.table.sort_values("n")
        kwargs.setdefault("marker", "o")
        ax.plot(t["n"], t["power"], **kwargs)
        ax.set_ylim(0, 1)
        ax.set_xlabel("n per arm (treatment)" if self.design == "two-sample" else "pairs")
        ax.set_ylabel("power")
        ax.set_title(f"Power at effect size {self.effect_size:g}, alpha {self.alpha:g}")
        ax.grid(True, alpha=0.3)
        return ax


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _check_effect(effect_size, alternative) -> float:
    es = check_number("effect_size", effect_size, remedy="Pass Cohen's d, e.g. 0.5.")
    if es == 0:
        raise ArgumentError(f"effect_size must be a finite non-zero number; got {effect_size!r}.")
    if (alternative == "greater" and es < 0) or (alternative == "less" and es > 0):
        raise ArgumentError(
            f"effect_size {es} points away from alternative={alternative!r}; flip its sign or "
            "the alternative."
        )
    return es


def _check_common(design, alternative, effect_size):
    """The arguments both functions share, checked, in this order."""
    design = check_option("design", design, DESIGNS)
    alternative = check_option("alternative", alternative, ALTERNATIVES)
    es = _check_effect(effect_size, alternative)
    return design, alternative, es


def _check_ratio(ratio) -> float:
    return check_number(
        "ratio", ratio, low=0, low_open=True, remedy="Pass n_control / n_treatment, e.g. 1."
    )


def _check_paired_ratio(design: str, ratio: float) -> None:
    if design == "paired" and ratio != 1:
        raise ArgumentError(f"ratio applies to design='two-sample' only; got {ratio!r}.")


def _check_ns(n: Any) -> list:
    if isinstance(n, (str, bytes)) or not (np.isscalar(n) or isinstance(n, Sequence)):
        raise ArgumentError(f"n must be a number of at least 2 (or a list of them); got {n!r}.")
    ns = list(n) if isinstance(n, Sequence) else [n]
    if not ns:
        raise ArgumentError("n must be a number of at least 2 (or a list of them); got [].")
    return [
        check_number("n", v, low=2, high=1e12, remedy="(or a list of such numbers).")
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool)
        else int(check_number("n", v, low=2, high=1e12, integer=True))
        for v in ns
    ]


# --------------------------------------------------------------------------------------------
# the noncentral t
# --------------------------------------------------------------------------------------------


def _tail(upper: bool, t: float, df: float, ncp: float) -> float:
    """P(T' > t) (upper) or P(T' < t) of the noncentral t, with the complement as fallback;
    a tail scipy cannot evaluate on the far side of the noncentrality is 0."""
    from scipy import stats

    first = stats.nct.sf if upper else stats.nct.cdf
    second = stats.nct.cdf if upper else stats.nct.sf
    v = float(first(t, df, ncp))
    if not np.isfinite(v):
        v = 1.0 - float(second(t, df, ncp))
    if not np.isfinite(v) and (ncp < t if upper else ncp > t):
        v = 0.0
    return v


def _t_power(es: float, n: float, *, design: str, alpha: float, alternative: str, ratio: float):
    """Power of a t test: what statsmodels TTestIndPower / TTestPower compute, with tails that
    scipy cannot evaluate far from the noncentrality set to 0 instead of NaN."""
    from scipy import stats

    if design == "two-sample":
        n2 = n * ratio
        df, ncp = n + n2 - 2, es * math.sqrt(n * n2 / (n + n2))
    else:
        df, ncp = n - 1, es * math.sqrt(n)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if alternative == "two-sided":
            tc = float(stats.t.isf(alpha / 2, df))
            return _tail(True, tc, df, ncp) + _tail(False, -tc, df, ncp)
        tc = float(stats.t.isf(alpha, df))
        if alternative == "greater":
            return _tail(True, tc, df, ncp)
        return _tail(False, -tc, df, ncp)


def _solve_n(power_at, target: float, what: str) -> tuple[float, str]:
    """Smallest (real) n from 2 to N_MAX whose power reaches ``target``, and a note."""
    from scipy import optimize

    grid = [2.0] + [10.0**k for k in range(1, int(math.log10(N_MAX)) + 1)]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        powers = [float(power_at(v)) for v in grid]
        if powers[0] >= target:
            return 2.0, (
                f"n = 2 {what}, the smallest the t test allows, already gives power "
                f"{powers[0]:.4g} >= {target:g}"
            )
        reach = [i for i, p in enumerate(powers) if p >= target]
        if not reach:
            raise ArgumentError(
                f"effect_size is too small to plan for: even {N_MAX:.0e} {what} do not give "
                f"power {target:g}. Check that effect_size is a standardized effect (Cohen's "
                "d), not a raw difference."
            )
        lo, hi = grid[reach[0] - 1], grid[reach[0]]
        try:
            n = optimize.brentq(lambda v: power_at(v) - target, lo, hi, xtol=1e-10, rtol=1e-14)
        except (ValueError, RuntimeError):
            raise EstimationError(
                f"the sample size could not be solved between {lo:g} and {hi:g} {what} (the "
                "noncentral t power is not computable there); try a larger effect_size."
            ) from None
    return float(n), ""


def _ceil(v: float) -> int:
    return int(math.ceil(v - 1e-9))


# --------------------------------------------------------------------------------------------
# plan_sample_size
# --------------------------------------------------------------------------------------------


def plan_sample_size(
    *,
    effect_size: float,
    design: str = "two-sample",
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> PowerResult:
    """Sample size for a two-sample or paired t test (statsmodels ``TTestIndPower`` /
    ``TTestPower``, which agree with pingouin ``power_ttest``: d = 0.5, power 0.8 gives 63.77
    per group or 33.37 pairs).

    ``effect_size`` is Cohen's d (two-sample, pooled SD) or d_z (paired). ``alpha`` is the
    significance level. ``ratio`` is n_control / n_treatment. Each arm is rounded up, then
    inflated for ``dropout`` (the proportion expected to leave: enrolled =
    ceil(n / (1 - dropout))).

    Returns
    -------
    PowerResult
        ``.table``, one row per arm plus ``total`` (two-sample) or one row ``subjects``
        (paired): ``design, arm, effect_size, alpha, power, alternative, ratio, dropout,
        n_exact, n, n_enrolled, note`` (``note`` says when n = 2 already exceeds the power).
    """
    design, alternative, es = _check_common(design, alternative, effect_size)
    power = check_probability("power", power)
    alpha = check_probability("alpha", alpha)
    ratio = _check_ratio(ratio)
    dropout = check_number("dropout", dropout, low=0, high=1)
    if dropout >= 1:
        raise ArgumentError(f"dropout must be below 1; got {dropout!r}.")
    if power <= alpha:
        raise ArgumentError(
            f"power must exceed alpha (with no effect at all a test rejects with probability "
            f"alpha); got power={power:g}, alpha={alpha:g}. Pass e.g. power=0.8."
        )
    _check_paired_ratio(design, ratio)
    n1, note = _solve_n(
        lambda v: _t_power(es, v, design=design, alpha=alpha, alternative=alternative,
                           ratio=ratio),
        power,
        "per arm" if design == "two-sample" else "pairs",
    )  # fmt: skip
    exact = {"treatment": n1, "control": n1 * ratio} if design == "two-sample" else {"subjects": n1}
    rows: list[dict[str, Any]] = [
        {"arm": arm, "n_exact": v, "n": _ceil(v), "n_enrolled": _ceil(_ceil(v) / (1 - dropout))}
        for arm, v in exact.items()
    ]
    if design == "two-sample":
        rows.append({"arm": "total", **{k: sum(r[k] for r in rows)
                                        for k in ("n_exact", "n", "n_enrolled")}})  # fmt: skip
    out = pd.DataFrame(rows)
    inputs = {"design": design, "effect_size": es, "alpha": alpha, "power": power,
              "alternative": alternative, "ratio": ratio, "dropout": dropout}  # fmt: skip
    for i, (k, v) in enumerate(inputs.items()):
        out.insert(i if k == "design" else i + 1, k, v)
    out["note"] = note
    return PowerResult(table=out, kind="sample-size", design=design, effect_size=es, alpha=alpha,
                       alternative=alternative, ratio=ratio, title="Sample size")  # fmt: skip


# --------------------------------------------------------------------------------------------
# compute_power
# --------------------------------------------------------------------------------------------


def compute_power(
    *,
    effect_size: float,
    n: int | Sequence[int],
    design: str = "two-sample",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
) -> PowerResult:
    """Power of a two-sample or paired t test (statsmodels ``TTestIndPower`` / ``TTestPower``).

    ``n`` is the treatment-arm size (two-sample; the control arm has ``n * ratio``) or the
    number of pairs (paired); a list of n gives a power curve, one row each (``.plot()``
    draws it). ``alpha`` is the significance level.

    Returns
    -------
    PowerResult
        ``.table``: ``design, effect_size, n, n_control, alpha, alternative, ratio, power``.
    """
    design, alternative, es = _check_common(design, alternative, effect_size)
    alpha = check_probability("alpha", alpha)
    ratio = _check_ratio(ratio)
    ns = _check_ns(n)
    _check_paired_ratio(design, ratio)
    rows = []
    for v in ns:
        p = _t_power(es, v, design=design, alpha=alpha, alternative=alternative, ratio=ratio)
        if not np.isfinite(p):
            raise EstimationError(
                f"the power at n = {v:g} cannot be computed (the noncentral t distribution is "
                "not evaluable there); use a smaller n or effect_size."
            )
        rows.append({"design": design, "effect_size": es, "n": v,
                     "n_control": v * ratio if design == "two-sample" else math.nan,
                     "alpha": alpha, "alternative": alternative, "ratio": ratio,
                     "power": float(p)})  # fmt: skip
    return PowerResult(table=pd.DataFrame(rows), kind="power", design=design, effect_size=es,
                       alpha=alpha, alternative=alternative, ratio=ratio)  # fmt: skip
