"""Standardized effect sizes from summary statistics.

Public functions
----------------
compute_cohen_d     between-group Cohen's d (pooled SD), Hedges' g and Student t, exact CI
compute_smcr        standardized mean change, raw-score standardization (Becker; metafor "SMCR")
compute_dppc2       Morris (2008) d_ppc2: difference in mean change over the pooled pre-test SD

Each returns an :class:`EffectSizeResult` whose ``.table`` has one row. Everything here is
hand-written (no Python package has these formulas or the exact CI of d); the docstrings name
the R function each one matches. ``small_sample_correction`` is the exact Hedges correction
shared with ``groups``. Sign convention: ``treatment - control`` and ``post - pre``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_number
from past_outcomes.errors import ArgumentError, EstimationError
from past_outcomes.results import ResultBase
from past_outcomes.stats._common import check_confidence, nct_ci, z_quantile

__all__ = [
    "EffectSizeResult",
    "compute_cohen_d",
    "compute_dppc2",
    "compute_smcr",
    "small_sample_correction",
]


@dataclass(frozen=True, eq=False, repr=False)
class EffectSizeResult(ResultBase):
    """A standardized effect size computed from summary statistics.

    Attributes
    ----------
    table : DataFrame
        One row; its columns are documented by the function that made it
        (``compute_cohen_d``, ``compute_smcr``, ``compute_dppc2``). A ``note`` column, where
        present, says why a missing value is missing (also in ``notes()``).
    statistic : str
        The column holding the effect size: ``"cohen_d"``, ``"smcr"`` or ``"d_ppc2"``.
    method : str
        The formula and its source, in words (the first line of ``notes()``).
    confidence : float or None
        Level of the CI (None when the table has no CI).
    """

    table: pd.DataFrame
    statistic: str
    method: str
    confidence: float | None = None
    title: str = "Effect size"
    estimation_notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def value(self) -> float:
        """The effect size itself (``table[statistic]`` of the one row)."""
        return float(self.table[self.statistic].iloc[0])

    def notes(self) -> list[str]:
        return [self.method, *self.estimation_notes]


def _from_row(
    row: dict[str, Any], statistic: str, method: str, confidence: float, title: str
) -> EffectSizeResult:
    """The result of one row whose ``note`` (parts joined by '; ') become notes."""
    notes = tuple(n for n in row.get("note", "").split("; ") if n)
    return EffectSizeResult(table=pd.DataFrame([row]), statistic=statistic, method=method,
                            confidence=confidence, title=title, estimation_notes=notes)  # fmt: skip


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _computed(fn: Any, *args: Any) -> dict[str, Any]:
    """``fn(*args)``, a row of statistics, refused when double precision cannot hold it (means
    that differ by some 1e154 SDs make d squared overflow): never an inf or a raw error."""
    try:
        with np.errstate(over="raise", invalid="ignore"):
            row = fn(*args)
    except (OverflowError, FloatingPointError):
        row = None
    numbers = [v for v in (row or {}).values() if isinstance(v, float)]
    if row is None or any(math.isinf(v) for v in numbers):
        raise EstimationError(
            "the effect size is too large to compute in double precision: the means differ "
            "by an astronomical number of SDs. Check that the means and SDs are on the same "
            "scale (raw scores, not sums of squares)."
        )
    return row


def _check_n(name: str, value: Any) -> int:
    return int(check_number(name, value, low=2, integer=True))


def _check_sd(name: str, value: Any, *, positive: bool = False) -> float:
    return check_number(
        name, value, low=0, low_open=positive,
        remedy="An SD is never negative (a negative one would flip the sign of d).",
    )  # fmt: skip


def _check_sd_pair(
    names: tuple[str, str], values: tuple[Any, Any], what: str
) -> tuple[float, float]:
    """Both SDs checked; refused together when both are 0 (the pooled SD, and ``what``, would be
    undefined)."""
    sd_t, sd_c = (_check_sd(n, v) for n, v in zip(names, values, strict=True))
    if sd_t == 0 and sd_c == 0:
        raise ArgumentError(
            f"{names[0]} and {names[1]} must not both be 0; got 0 and 0, so the pooled SD is 0 "
            f"and {what} is undefined. Pass the SDs of the scores."
        )
    return sd_t, sd_c


def _check_r(value: Any, *, below_one: bool = False) -> float:
    return check_number(
        "r", value, low=-1, high=1, high_open=below_one, remedy="Pass the pre-post correlation."
    )


def small_sample_correction(m: float) -> float:
    """Exact small-sample bias correction c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)).

    Hedges (1981); used by Morris (2008) and metafor. ``1 - 3/(4m - 1)`` is its approximation.
    Computed on the log scale with ``scipy.special.gammaln`` so that large m do not overflow.
    """
    from scipy.special import gammaln

    if m <= 1:
        return math.nan
    return math.exp(gammaln(m / 2) - 0.5 * math.log(m / 2) - gammaln((m - 1) / 2))


# --------------------------------------------------------------------------------------------
# Cohen's d
# --------------------------------------------------------------------------------------------


def compute_cohen_d(
    *,
    mean_treatment: float,
    sd_treatment: float,
    n_treatment: int,
    mean_control: float,
    sd_control: float,
    n_control: int,
    confidence: float = 0.95,
) -> EffectSizeResult:
    """Between-group Cohen's d from summary statistics, with Student t and an exact CI.

    ``cohen_d = (mean_treatment - mean_control) / sd_pooled`` with
    ``sd_pooled = sqrt(((n_t - 1) sd_t**2 + (n_c - 1) sd_c**2) / (n_t + n_c - 2))``; applied to
    change scores this is the d that MAPP1 reported (change -24.4 (11.6), n = 42 vs -13.9 (11.5),
    n = 37 gives -0.909; the paper prints its magnitude, 0.91). ``hedges_g`` multiplies d by the
    exact correction ``c(n_t + n_c - 2)``. The CI of d inverts the noncentral t distribution
    (``scipy.stats.nct``) at ``t = d * sqrt(n_t n_c / (n_t + n_c))`` with ``n_t + n_c - 2`` df.
    Hand-written: scipy's ``ttest_ind_from_stats`` gives t and p, nothing gives the d CI.

    Returns
    -------
    EffectSizeResult
        ``.table``, one row: ``cohen_d, ci_low, ci_high, hedges_g, sd_pooled, t, dof,
        p_value, n_treatment, n_control, note``.
    """
    confidence = check_confidence(confidence)
    n_treatment = _check_n("n_treatment", n_treatment)
    n_control = _check_n("n_control", n_control)
    mean_treatment = check_number("mean_treatment", mean_treatment)
    mean_control = check_number("mean_control", mean_control)
    sd_treatment, sd_control = _check_sd_pair(
        ("sd_treatment", "sd_control"), (sd_treatment, sd_control), "d"
    )
    row = _computed(cohen_d_row, mean_treatment, sd_treatment, n_treatment, mean_control,
                    sd_control, n_control, confidence)  # fmt: skip
    return _from_row(
        row,
        "cohen_d",
        "Cohen's d = (treatment - control) / pooled SD; CI by inverting the noncentral t; "
        "hedges_g with the exact gamma correction.",
        confidence,
        "Cohen's d",
    )


def cohen_d_row(mt, sdt, nt, mc, sdc, nc, confidence) -> dict[str, Any]:
    """compute_cohen_d without the argument checks; undefined values are NaN with a note."""
    from scipy import stats

    dof = nt + nc - 2
    sd_pooled = math.sqrt(((nt - 1) * sdt**2 + (nc - 1) * sdc**2) / dof)
    d = (mt - mc) / sd_pooled if sd_pooled > 0 else math.nan
    note = "" if sd_pooled > 0 else "d undefined: the pooled SD is 0 (no variation in either arm)"
    scale = math.sqrt(nt * nc / (nt + nc))
    t = d * scale
    p = float(2 * stats.t.sf(abs(t), dof)) if np.isfinite(t) else math.nan
    lo, hi, ci_note = nct_ci(t, dof, confidence)
    return {
        "cohen_d": d,
        "ci_low": lo / scale,
        "ci_high": hi / scale,
        "hedges_g": d * small_sample_correction(dof),
        "sd_pooled": sd_pooled,
        "t": t,
        "dof": float(dof),
        "p_value": p,
        "n_treatment": int(nt),
        "n_control": int(nc),
        "note": note or ci_note,
    }


# --------------------------------------------------------------------------------------------
# standardized mean change (one group)
# --------------------------------------------------------------------------------------------


def compute_smcr(
    *, mean_pre: float, mean_post: float, sd_pre: float, n: int, r: float
) -> EffectSizeResult:
    """Standardized mean change with raw-score (pre-test SD) standardization, one group.

    Becker (1988); metafor ``escalc(measure="SMCR")``: ``d = c(n - 1) (mean_post - mean_pre) /
    sd_pre`` with the exact correction c (``small_sample_correction``), and sampling variance
    ``var = 2 (1 - r) / n + d**2 / (2 n)`` where r is the pre-post correlation. Morris (2008)
    d_ppc1 is ``SMCR_treatment - SMCR_control``. Hand-written (no Python package has it).

    ``sd_pre`` must be positive (an SD of 0 leaves d undefined; a negative one would flip its
    sign).

    Returns
    -------
    EffectSizeResult
        ``.table``, one row: ``smcr, var, n, r``.
    """
    n = _check_n("n", n)
    r = _check_r(r)
    mean_pre = check_number("mean_pre", mean_pre)
    mean_post = check_number("mean_post", mean_post)
    sd_pre = _check_sd("sd_pre", sd_pre, positive=True)

    def smcr_row(n: int, r: float) -> dict[str, Any]:
        d = small_sample_correction(n - 1) * (mean_post - mean_pre) / sd_pre
        return {"smcr": float(d), "var": float(2 * (1 - r) / n + d**2 / (2 * n)), "n": n, "r": r}

    row = _computed(smcr_row, int(n), float(r))
    return EffectSizeResult(
        table=pd.DataFrame({k: [v] for k, v in row.items()}),
        statistic="smcr",
        method=(
            "SMCR = c(n - 1) (post - pre) / SD(pre), exact correction c; variance "
            "2 (1 - r) / n + d^2 / (2 n) (Becker 1988; metafor escalc 'SMCR')."
        ),
        title="Standardized mean change (SMCR)",
    )


# --------------------------------------------------------------------------------------------
# Morris d_ppc2
# --------------------------------------------------------------------------------------------


def compute_dppc2(
    *,
    mean_pre_treatment: float,
    mean_post_treatment: float,
    sd_pre_treatment: float,
    n_treatment: int,
    mean_pre_control: float,
    mean_post_control: float,
    sd_pre_control: float,
    n_control: int,
    r: float,
    confidence: float = 0.95,
) -> EffectSizeResult:
    """Morris (2008) d_ppc2: difference in mean change over the pooled pre-test SD.

    ``d_ppc2 = c(n_t + n_c - 2) * ((post_t - pre_t) - (post_c - pre_c)) / sd_pre_pooled`` with
    ``sd_pre_pooled = sqrt(((n_t - 1) sd_pre_t**2 + (n_c - 1) sd_pre_c**2) / (n_t + n_c - 2))``
    and the exact correction ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m - 1)/2))``.

    Variance: Morris (2008) equation 25, with the estimate in place of delta and r the pooled
    pre-post correlation::

        var = 2 c**2 (1 - r) (n_t + n_c)/(n_t n_c) (n_t + n_c - 2)/(n_t + n_c - 4)
              * (1 + d**2 / (2 (1 - r) (n_t + n_c)/(n_t n_c))) - d**2

    The CI is ``d +/- z * sqrt(var)`` (normal approximation). Hand-written (no Python package
    has it; R: ``MDMA::dPPC2``).

    Returns
    -------
    EffectSizeResult
        ``.table``, one row: ``d_ppc2, var, ci_low, ci_high, sd_pre_pooled, r, note``; with
        two subjects per arm the variance (and so the CI) is undefined: NaN, with a note.
    """
    confidence = check_confidence(confidence)
    r = _check_r(r, below_one=True)
    nt = _check_n("n_treatment", n_treatment)
    nc = _check_n("n_control", n_control)
    means = [
        check_number(name, value)
        for name, value in (
            ("mean_pre_treatment", mean_pre_treatment),
            ("mean_post_treatment", mean_post_treatment),
            ("mean_pre_control", mean_pre_control),
            ("mean_post_control", mean_post_control),
        )
    ]
    sdt, sdc = _check_sd_pair(
        ("sd_pre_treatment", "sd_pre_control"), (sd_pre_treatment, sd_pre_control), "d_ppc2"
    )
    m_pre_t, m_post_t, m_pre_c, m_post_c = means
    row = _computed(dppc2_row, m_pre_t, m_post_t, m_pre_c, m_post_c, sdt, sdc, nt, nc, r,
                    confidence)  # fmt: skip
    return _from_row(
        row,
        "d_ppc2",
        "Morris (2008) d_ppc2 = c (change_t - change_c) / pooled pre-test SD; variance "
        "Morris eq. 25; normal CI.",
        confidence,
        "Morris d_ppc2",
    )


def dppc2_row(m_pre_t, m_post_t, m_pre_c, m_post_c, sdt, sdc, nt, nc, r, confidence):
    """compute_dppc2 without the argument checks; undefined values are NaN with a note."""
    m = nt + nc - 2
    sd_pooled = math.sqrt(((nt - 1) * sdt**2 + (nc - 1) * sdc**2) / m)
    cp = small_sample_correction(m)
    change_diff = (m_post_t - m_pre_t) - (m_post_c - m_pre_c)
    notes = []
    if sd_pooled > 0:
        d = cp * change_diff / sd_pooled
    else:
        d = math.nan
        notes.append("d_ppc2 undefined: the pre-test scores do not vary within either arm")
    var, var_note = _dppc2_variance(d, cp, nt, nc, r)
    if var_note:
        notes.append(var_note)
    half = z_quantile(confidence) * math.sqrt(var) if var >= 0 else math.nan
    return {
        "d_ppc2": d,
        "var": var,
        "ci_low": d - half,
        "ci_high": d + half,
        "sd_pre_pooled": sd_pooled,
        "r": float(r),
        "note": "; ".join(notes),
    }


def _dppc2_variance(d: float, cp: float, nt: int, nc: int, r: float) -> tuple[float, str]:
    """Morris (2008) equation 25; NaN with a note where it is undefined."""
    m = nt + nc - 2
    k = (nt + nc) / (nt * nc)
    if nt + nc <= 4:
        return math.nan, "SE of d_ppc2 undefined with 2 subjects per arm (Morris eq. 25 needs 5)"
    if not np.isfinite(r):
        return math.nan, "SE of d_ppc2 undefined: the pre-post correlation cannot be computed"
    if not np.isfinite(d):
        return math.nan, ""
    if r < 1:
        var = 2 * cp**2 * (1 - r) * k * (m / (nt + nc - 4)) * (1 + d**2 / (2 * (1 - r) * k)) - d**2
    else:  # the same formula multiplied out: finite when pre and post correlate perfectly
        var = cp**2 * (m / (nt + nc - 4)) * d**2 - d**2
    if var < 0:
        return math.nan, f"SE of d_ppc2 undefined: the variance estimate is negative ({var:.3g})"
    return var, ""
