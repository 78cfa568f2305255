"""Statistics for pre/post designs and two-arm comparisons.

Every test that scipy, statsmodels or pingouin provides is taken from them; what they lack is
written here by hand and marked so in the docstring (paired effect sizes in Lakens' 2013
definitions with their confidence intervals, Morris' 2008 d_ppc2, the exact small-sample
correction, NNT with the Altman 1998 interval, Feldt's interval for alpha at full precision and a
one-factor omega).

Public functions
----------------
prepost_test        paired t, Wilcoxon and paired effect sizes, one row per measure
compare_groups      ANCOVA (follow-up on group + baseline), Welch t and Mann-Whitney on change,
                    between-group d on change and Morris d_ppc2
compare_responders  responder rates per arm: risk difference (Newcombe), RR, OR, NNT, Fisher, chi2
compare_proportions the same from summary counts (e.g. 45/52 vs 29/42)
compute_cohen_d     between-group Cohen's d (pooled SD) and Student t from summary statistics
compute_smcr        standardized mean change, raw-score standardization (Becker; metafor "SMCR")
compute_dppc2       Morris (2008) d_ppc2 from summary statistics
plan_sample_size    n per group (or pairs) for a t test, inflated for dropout
compute_power       power of a t test for given n
compute_reliability Cronbach's alpha and McDonald's omega total per scale of an instrument

Data for ``prepost_test`` and ``compare_groups`` are long: one row per subject and timepoint.
Pairing is by subject. Subjects with only one of the two timepoints (or a missing value at one of
them) are listed in an ``UnpairedSubjectsWarning`` and recorded in the result; they are never
dropped silently. Inputs are never modified.

Sign conventions: a within-subject difference is ``post - pre``; a between-group difference is
``treatment - control``. Effect sizes keep their sign (MAPP1's "d = 0.91" is reported here as
-0.909 because CAPS-5 fell more under treatment).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import (
    check_columns,
    check_dataframe,
    check_option,
    check_timepoints,
)
from past_outcomes._long import check_number, measure_values, no_spread, validate_long
from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    EstimationError,
    UnpairedSubjectsWarning,
)
from past_outcomes.results import ResultBase

__all__ = [
    "GroupComparisonResult",
    "ReliabilityResult",
    "ResponderComparisonResult",
    "compare_groups",
    "compare_proportions",
    "compare_responders",
    "compute_cohen_d",
    "compute_dppc2",
    "compute_power",
    "compute_reliability",
    "compute_smcr",
    "plan_sample_size",
    "prepost_test",
    "small_sample_correction",
]

ALTERNATIVES = ("two-sided", "less", "greater")
DESIGNS = ("two-sample", "paired")


# --------------------------------------------------------------------------------------------
# argument and data checks
# --------------------------------------------------------------------------------------------


def _check_confidence(confidence: Any) -> float:
    return check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True,
        remedy="Pass e.g. confidence=0.95.",
    )  # fmt: skip


def _check_probability(name: str, value: Any) -> float:
    return check_number(name, value, low=0, high=1, low_open=True, high_open=True)


def _check_n(name: str, value: Any) -> int:
    return int(check_number(name, value, low=2, integer=True))


def _check_finite(name: str, value: Any) -> float:
    return check_number(name, value)


def _check_sd(name: str, value: Any, *, positive: bool = False) -> float:
    return check_number(
        name, value, low=0, low_open=positive,
        remedy="An SD is never negative (a negative one would flip the sign of d).",
    )  # fmt: skip


def _join_notes(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _check_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ArgumentError(
            f"{name} must be a column name (a non-empty string); got {value!r}. "
            f"Pass {name}='<column>'."
        )
    return value


def _check_measures(measures: Any) -> list[str]:
    if isinstance(measures, str):
        return [measures]
    if isinstance(measures, Sequence) and measures and all(isinstance(m, str) for m in measures):
        if len(set(measures)) != len(measures):
            raise ArgumentError(f"measures must not repeat a column; got {list(measures)!r}.")
        return list(measures)
    raise ArgumentError(
        f"measures must be a column name or a non-empty list of column names; got {measures!r}."
    )


def _pair_measure(rows: pd.DataFrame, measure: str, *, subject, timepoint, pre, post):
    """Return (pairs with columns pre, post indexed by subject, unpaired ids, no-data ids).

    Unpaired subjects have a value at exactly one of the two timepoints; no-data subjects have
    rows at pre or post but no value at either (often: the instrument was not given to them,
    e.g. the FSFI to men). Both are reported, never dropped silently.
    """
    wide = rows.pivot(index=subject, columns=timepoint, values=measure)
    wide = wide.reindex(columns=[pre, post])
    x = pd.to_numeric(wide[pre], errors="coerce").astype(float)
    y = pd.to_numeric(wide[post], errors="coerce").astype(float)
    both = x.notna() & y.notna()
    paired = pd.DataFrame({"pre": x[both], "post": y[both]})
    unpaired = tuple(wide.index[x.notna() ^ y.notna()])
    no_data = tuple(wide.index[x.isna() & y.isna()])
    return paired, unpaired, no_data


def _listed_ids(ids: tuple) -> str:
    return ", ".join(map(str, ids[:20])) + (", ..." if len(ids) > 20 else "")


def _warn_unpaired(
    unpaired: dict[str, tuple[tuple, tuple]], *, pre, post, stacklevel: int = 3
) -> None:
    """Warn about subjects set aside, per measure: (one value only, no value at all)."""
    parts = []
    for m, (one, none) in unpaired.items():
        if one:
            parts.append(
                f"{len(one)} subject(s) lack {m} at {pre!r} or {post!r}: {_listed_ids(one)}"
            )
        if none:
            parts.append(
                f"{len(none)} subject(s) have no {m} at either timepoint (not administered?): "
                f"{_listed_ids(none)}"
            )
    if not parts:
        return
    warnings.warn(
        f"{'; '.join(parts)}. A comparison needs both timepoints, so they were set aside; "
        "they are listed in the result (n_unpaired / unpaired_subjects, n_no_data / "
        "no_data_subjects). Impute, or use a mixed model (fit_mmrm) to keep those with one "
        "value.",
        UnpairedSubjectsWarning,
        stacklevel=stacklevel,
    )


# --------------------------------------------------------------------------------------------
# effect-size building blocks (hand-written: not in scipy / statsmodels / pingouin)
# --------------------------------------------------------------------------------------------


def small_sample_correction(m: float) -> float:
    """Exact small-sample bias correction c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)).

    Hedges (1981); used by Morris (2008) and metafor. ``1 - 3/(4m - 1)`` is its approximation.
    Computed on the log scale with ``scipy.special.gammaln`` so that large m do not overflow.
    """
    from scipy.special import gammaln

    if m <= 1:
        return math.nan
    return math.exp(gammaln(m / 2) - 0.5 * math.log(m / 2) - gammaln((m - 1) / 2))


def _nct_ci(t_obs: float, df: float, confidence: float) -> tuple[float, float, str]:
    """CI of the noncentrality parameter given an observed t (inverting scipy.stats.nct).

    The limits are the ncp values at which ``t_obs`` is the upper and lower alpha/2 quantile
    (Steiger & Fouladi 1997; the "exact" CI of a standardized mean difference). Returns
    ``(low, high, note)``: NaN limits with a note saying why when they cannot be computed.
    """
    if not np.isfinite(t_obs):
        return math.nan, math.nan, "CI not computable: the t statistic is undefined"
    if not df > 0:
        return math.nan, math.nan, "CI not computable: no degrees of freedom"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = _nct_limits(t_obs, df, confidence)
    except (ValueError, RuntimeError, OverflowError):
        lo = hi = math.nan
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return (
            math.nan,
            math.nan,
            f"CI not computable: the noncentral t cannot be inverted at t = {t_obs:.4g}",
        )
    return lo, hi, ""


def _nct_limits(t_obs: float, df: float, confidence: float) -> tuple[float, float]:
    from scipy import optimize, stats

    a = (1 - confidence) / 2

    se = math.sqrt(1 + t_obs**2 / (2 * df))  # large-sample SE of the ncp, for the bracket

    def solve(target: float) -> float:
        # cdf(t_obs; ncp) falls as ncp rises: step out from t_obs one SE at a time
        def f(ncp):
            return stats.nct.cdf(t_obs, df, ncp) - target

        lo, hi = t_obs, t_obs
        for _ in range(100):
            if f(lo) >= 0:
                break
            lo -= se
        for _ in range(100):
            if f(hi) <= 0:
                break
            hi += se
        return optimize.brentq(f, lo, hi, xtol=1e-12)

    return solve(1 - a), solve(a)


def _z(confidence: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def compute_cohen_d(
    *,
    mean_treatment: float,
    sd_treatment: float,
    n_treatment: int,
    mean_control: float,
    sd_control: float,
    n_control: int,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Between-group Cohen's d from summary statistics, with Student t and an exact CI.

    ``cohen_d = (mean_treatment - mean_control) / sd_pooled`` with
    ``sd_pooled = sqrt(((n_t - 1) sd_t**2 + (n_c - 1) sd_c**2) / (n_t + n_c - 2))``; applied to
    change scores this is the d that MAPP1 reported (change -24.4 (11.6), n = 42 vs -13.9 (11.5),
    n = 37 gives -0.909; the paper prints its magnitude, 0.91). ``hedges_g`` multiplies d by the
    exact correction ``c(n_t + n_c - 2)``. The CI of d inverts the noncentral t distribution
    (``scipy.stats.nct``) at ``t = d * sqrt(n_t n_c / (n_t + n_c))`` with ``n_t + n_c - 2`` df.
    Hand-written: scipy's ``ttest_ind_from_stats`` gives t and p, nothing gives the d CI.

    Returns a one-row DataFrame: ``cohen_d, ci_low, ci_high, hedges_g, sd_pooled, t, dof,
    p_value, n_treatment, n_control``.
    """
    confidence = _check_confidence(confidence)
    n_treatment = _check_n("n_treatment", n_treatment)
    n_control = _check_n("n_control", n_control)
    mean_treatment = _check_finite("mean_treatment", mean_treatment)
    mean_control = _check_finite("mean_control", mean_control)
    sd_treatment = _check_sd("sd_treatment", sd_treatment)
    sd_control = _check_sd("sd_control", sd_control)
    if sd_treatment == 0 and sd_control == 0:
        raise ArgumentError(
            "sd_treatment and sd_control must not both be 0; got 0 and 0, so the pooled SD is "
            "0 and d is undefined. Pass the SDs of the scores."
        )
    return pd.DataFrame(
        [_cohen_d(mean_treatment, sd_treatment, n_treatment, mean_control, sd_control,
                  n_control, confidence)]
    )  # fmt: skip


def _cohen_d(mt, sdt, nt, mc, sdc, nc, confidence) -> dict[str, Any]:
    """compute_cohen_d without the argument checks; undefined values are NaN with a note."""
    from scipy import stats

    dof = nt + nc - 2
    sd_pooled = math.sqrt(((nt - 1) * sdt**2 + (nc - 1) * sdc**2) / dof)
    d = (mt - mc) / sd_pooled if sd_pooled > 0 else math.nan
    note = "" if sd_pooled > 0 else "d undefined: the pooled SD is 0 (no variation in either arm)"
    scale = math.sqrt(nt * nc / (nt + nc))
    t = d * scale
    p = float(2 * stats.t.sf(abs(t), dof)) if np.isfinite(t) else math.nan
    lo, hi, ci_note = _nct_ci(t, dof, confidence)
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


def compute_smcr(
    *, mean_pre: float, mean_post: float, sd_pre: float, n: int, r: float
) -> pd.DataFrame:
    """Standardized mean change with raw-score (pre-test SD) standardization, one group.

    Becker (1988); metafor ``escalc(measure="SMCR")``: ``d = c(n - 1) (mean_post - mean_pre) /
    sd_pre`` with the exact correction c (``small_sample_correction``), and sampling variance
    ``var = 2 (1 - r) / n + d**2 / (2 n)`` where r is the pre-post correlation. Morris (2008)
    d_ppc1 is ``SMCR_treatment - SMCR_control``. Hand-written (no Python package has it).

    Returns a one-row DataFrame ``smcr, var, n, r``. ``sd_pre`` must be positive (an SD of
    0 leaves d undefined; a negative one would flip its sign).
    """
    n = _check_n("n", n)
    r = check_number("r", r, low=-1, high=1, remedy="Pass the pre-post correlation.")
    mean_pre = _check_finite("mean_pre", mean_pre)
    mean_post = _check_finite("mean_post", mean_post)
    sd_pre = _check_sd("sd_pre", sd_pre, positive=True)
    d = small_sample_correction(n - 1) * (mean_post - mean_pre) / sd_pre
    var = 2 * (1 - r) / n + d**2 / (2 * n)
    return pd.DataFrame({"smcr": [d], "var": [var], "n": [int(n)], "r": [float(r)]})


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
) -> pd.DataFrame:
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

    Returns a one-row DataFrame ``d_ppc2, var, ci_low, ci_high, sd_pre_pooled, r, note``;
    with two subjects per arm the variance (and so the CI) is undefined: NaN, with a note.
    """
    confidence = _check_confidence(confidence)
    r = check_number(
        "r", r, low=-1, high=1, high_open=True, remedy="Pass the pre-post correlation."
    )
    nt = _check_n("n_treatment", n_treatment)
    nc = _check_n("n_control", n_control)
    means = [
        _check_finite(name, value)
        for name, value in (
            ("mean_pre_treatment", mean_pre_treatment),
            ("mean_post_treatment", mean_post_treatment),
            ("mean_pre_control", mean_pre_control),
            ("mean_post_control", mean_post_control),
        )
    ]
    sdt = _check_sd("sd_pre_treatment", sd_pre_treatment)
    sdc = _check_sd("sd_pre_control", sd_pre_control)
    if sdt == 0 and sdc == 0:
        raise ArgumentError(
            "sd_pre_treatment and sd_pre_control must not both be 0; got 0 and 0, so the pooled "
            "pre-test SD is 0 and d_ppc2 is undefined. Pass the SDs of the pre-test scores."
        )
    return pd.DataFrame([_dppc2(*means, sdt, sdc, nt, nc, r, confidence)])


def _dppc2(m_pre_t, m_post_t, m_pre_c, m_post_c, sdt, sdc, nt, nc, r, confidence):
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
    k = (nt + nc) / (nt * nc)
    var = math.nan
    if nt + nc <= 4:
        notes.append("SE of d_ppc2 undefined with 2 subjects per arm (Morris eq. 25 needs 5)")
    elif not np.isfinite(r):
        notes.append("SE of d_ppc2 undefined: the pre-post correlation cannot be computed")
    elif np.isfinite(d):
        if r < 1:
            var = (
                2 * cp**2 * (1 - r) * k * (m / (nt + nc - 4)) * (1 + d**2 / (2 * (1 - r) * k))
                - d**2
            )
        else:  # the same formula multiplied out: finite when pre and post correlate perfectly
            var = cp**2 * (m / (nt + nc - 4)) * d**2 - d**2
    half = _z(confidence) * math.sqrt(var) if var >= 0 else math.nan
    if np.isfinite(var) and var < 0:
        notes.append(f"SE of d_ppc2 undefined: the variance estimate is negative ({var:.3g})")
        var = math.nan
    return {
        "d_ppc2": d,
        "var": var,
        "ci_low": d - half,
        "ci_high": d + half,
        "sd_pre_pooled": sd_pooled,
        "r": float(r),
        "note": "; ".join(notes),
    }


def _paired_effect_sizes(
    x: np.ndarray, y: np.ndarray, confidence: float
) -> tuple[dict[str, float], list[str]]:
    """d_z, d_av, d_rm and g_av for paired data (post - pre), each with its CI; and notes
    naming every value that cannot be computed and why."""
    from scipy import stats

    n = len(x)
    diff = y - x
    notes: list[str] = []
    mean_diff = float(np.mean(diff))
    sd_diff = float(np.std(diff, ddof=1))
    sd_pre, sd_post = float(np.std(x, ddof=1)), float(np.std(y, ddof=1))
    pre_varies, post_varies = not no_spread(sd_pre, x), not no_spread(sd_post, y)
    diff_varies = not no_spread(sd_diff, x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = float(np.corrcoef(x, y)[0, 1]) if pre_varies and post_varies else math.nan
    if not (pre_varies and post_varies):
        notes.append(
            "r_prepost, cohen_drm and the CIs of cohen_dav and hedges_gav undefined: the "
            f"{'pre' if not pre_varies else 'post'} scores do not vary"
        )
    out: dict[str, float] = {"r_prepost": r}

    # d_z: exact CI from the noncentral t (t = d_z sqrt(n), n - 1 df)
    if diff_varies:
        dz = mean_diff / sd_diff
        lo, hi, ci_note = _nct_ci(dz * math.sqrt(n), n - 1, confidence)
        if ci_note:
            notes.append(f"cohen_dz {ci_note}")
    else:
        dz = lo = hi = math.nan
        notes.append(
            "t, p_value, ci_low/ci_high, cohen_dz and cohen_drm undefined: post - pre is the "
            f"same ({mean_diff:.6g}) for every subject, so its SD is 0 (d_z would be infinite)"
        )
    out.update(cohen_dz=dz, cohen_dz_ci_low=lo / math.sqrt(n), cohen_dz_ci_high=hi / math.sqrt(n))

    # d_av and d_rm: r-aware large-sample SE, CI d +/- t(n-1) * SE
    q = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1))

    def se(d: float) -> float:
        return math.sqrt((1 / n + d**2 / (2 * n)) * (2 - 2 * r))

    sd_av = (sd_pre + sd_post) / 2
    if pre_varies or post_varies:
        dav = mean_diff / sd_av
    else:
        dav = math.nan
        notes.append("cohen_dav and hedges_gav undefined: neither pre nor post scores vary")
    drm = dz * math.sqrt(2 * (1 - r))
    for name, d in (("cohen_dav", dav), ("cohen_drm", drm)):
        half = q * se(d) if np.isfinite(d) and np.isfinite(r) else math.nan
        out.update({name: d, f"{name}_ci_low": d - half, f"{name}_ci_high": d + half})
    j = 1 - 3 / (4 * (n - 1) - 1)
    out.update(
        hedges_gav=dav * j,
        hedges_gav_ci_low=out["cohen_dav_ci_low"] * j,
        hedges_gav_ci_high=out["cohen_dav_ci_high"] * j,
    )
    return out, notes


# --------------------------------------------------------------------------------------------
# rank tests with R's defaults
# --------------------------------------------------------------------------------------------


def _wilcoxon_p(diff: np.ndarray, alternative: str = "two-sided") -> float:
    """Wilcoxon signed-rank p (scipy.stats.wilcoxon) chosen as R ``wilcox.test(paired=TRUE)``:

    exact when n < 50 with no zero differences and no ties; otherwise the normal approximation
    with continuity correction, zero differences dropped (``zero_method='wilcox'``).
    """
    from scipy import stats

    nonzero = diff[diff != 0]
    if len(nonzero) == 0:
        return math.nan
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    exact = len(diff) < 50 and not ties and len(nonzero) == len(diff)
    res = stats.wilcoxon(
        diff,
        zero_method="wilcox",
        correction=not exact,
        method="exact" if exact else "approx",
        alternative=alternative,
    )
    return float(res.pvalue)


def _mannwhitney(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mann-Whitney U and two-sided p (scipy.stats.mannwhitneyu) chosen as R ``wilcox.test``:

    exact when both groups have fewer than 50 values and there are no ties; otherwise the normal
    approximation with continuity correction. U is the statistic of ``x`` (R's W).
    """
    from scipy import stats

    pooled = np.concatenate([x, y])
    ties = len(np.unique(pooled)) < len(pooled)
    exact = len(x) < 50 and len(y) < 50 and not ties
    res = stats.mannwhitneyu(x, y, use_continuity=True, method="exact" if exact else "asymptotic")
    return float(res.statistic), float(res.pvalue)


# --------------------------------------------------------------------------------------------
# prepost_test
# --------------------------------------------------------------------------------------------


def prepost_test(
    data: pd.DataFrame,
    *,
    measures: str | Sequence[str],
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Paired comparison of ``post`` with ``pre`` for each measure, with paired effect sizes.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per subject and timepoint.
    measures : str or list of str
        Numeric column(s) to compare.
    subject, timepoint : str
        Columns identifying the subject and the timepoint.
    pre, post : scalar
        The two values of ``timepoint`` to compare; differences are ``post - pre``.
    confidence : float
        Level of every confidence interval.

    Returns
    -------
    DataFrame, one row per measure:

    ``measure, n`` (complete pairs), ``n_unpaired, unpaired_subjects`` (subjects with only one
    of the two values; comma-separated ids), ``n_no_data, no_data_subjects`` (subjects with
    rows at pre or post but neither value, e.g. an instrument not given to them), ``mean_pre, sd_pre, mean_post, sd_post,
    mean_diff`` (post - pre) with ``ci_low, ci_high`` (t interval), ``t, dof, p_value``
    (paired t, ``scipy.stats.ttest_rel``), ``wilcoxon_p`` (``scipy.stats.wilcoxon``, exact or
    corrected normal approximation as R's ``wilcox.test``), ``r_prepost`` (Pearson r of pre and
    post), and the effect sizes of Lakens (2013), each with ``_ci_low`` / ``_ci_high``:

    - ``cohen_dz`` = mean_diff / SD(diff). CI exact: the noncentral t (``scipy.stats.nct``)
      inverted at t = d_z sqrt(n) with n - 1 df, divided by sqrt(n).
    - ``cohen_dav`` = mean_diff / ((sd_pre + sd_post) / 2) (arithmetic mean of the SDs, as
      Lakens and R MOTE; pingouin's paired "cohen" uses the root mean square instead).
    - ``cohen_drm`` = d_z sqrt(2 (1 - r)).
    - ``hedges_gav`` = d_av (1 - 3 / (4 (n - 1) - 1)); its CI is d_av's CI times that factor.

    The CIs of d_av and d_rm are large-sample intervals d +/- t(n-1, 1 - alpha/2) SE with the
    r-aware SE = sqrt((1/n + d**2/(2n)) (2 - 2r)) (as R ``effsize::cohen.d(paired=TRUE)``;
    pingouin's ``compute_esci(paired=True)`` omits the (2 - 2r) factor). They are approximate;
    d_z's is exact. These effect sizes are hand-written; pingouin has d_z only in
    ``compute_effsize`` and no r-aware interval.

    With more than one measure, ``p_holm`` and ``p_fdr_bh`` adjust ``p_value`` across measures
    (``statsmodels.stats.multitest.multipletests``).

    ``note`` (last column) names every statistic of the row that is missing and why: fewer
    than 2 pairs; a difference post - pre that is the same for every subject (its SD is 0, so
    t and d_z are undefined); pre or post scores that do not vary (no r); no non-zero
    difference (no Wilcoxon test); a noncentral t that cannot be inverted.

    Warns
    -----
    UnpairedSubjectsWarning
        When subjects lack a value at one of the timepoints (count and ids per measure).

    Raises
    ------
    ArgumentError
        A column is missing, ``pre``/``post`` are not in the data, or ``confidence`` is not in
        (0, 1).
    DataValidationError
        A subject has two rows at one timepoint (``duplicate-observation``) or an identifier is
        missing (``missing-value``).
    """
    from scipy import stats

    check_dataframe("data", data)
    measures = _check_measures(measures)
    subject = _check_name("subject", subject)
    timepoint = _check_name("timepoint", timepoint)
    confidence = _check_confidence(confidence)
    check_columns(data, [subject, timepoint, *measures])
    check_timepoints(data, timepoint, pre, post)
    rows = validate_long(
        data,
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        id_columns=[subject],
        measures=measures,
        context="prepost_test",
    )

    records = []
    unpaired_by_measure: dict[str, tuple[tuple, tuple]] = {}
    for measure in measures:
        paired, unpaired, no_data = _pair_measure(
            rows, measure, subject=subject, timepoint=timepoint, pre=pre, post=post
        )
        unpaired_by_measure[measure] = (unpaired, no_data)
        x = paired["pre"].to_numpy()
        y = paired["post"].to_numpy()
        n = len(x)
        rec: dict[str, Any] = {
            "measure": measure,
            "n": n,
            "n_unpaired": len(unpaired),
            "unpaired_subjects": ", ".join(map(str, unpaired)),
            "n_no_data": len(no_data),
            "no_data_subjects": ", ".join(map(str, no_data)),
        }
        if n < 2:
            rec["note"] = (
                f"{n} complete pair(s): every statistic needs at least 2, so all are missing"
            )
            records.append(rec)
            continue
        rec.update(
            mean_pre=float(np.mean(x)),
            sd_pre=float(np.std(x, ddof=1)),
            mean_post=float(np.mean(y)),
            sd_post=float(np.std(y, ddof=1)),
            mean_diff=float(np.mean(y - x)),
        )
        effects, notes = _paired_effect_sizes(x, y, confidence)
        if not no_spread(float(np.std(y - x, ddof=1)), x, y):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                res = stats.ttest_rel(y, x)
                ci = res.confidence_interval(confidence)
            rec.update(
                ci_low=float(ci.low),
                ci_high=float(ci.high),
                t=float(res.statistic),
                dof=float(res.df),
                p_value=float(res.pvalue),
            )
        rec["wilcoxon_p"] = _wilcoxon_p(y - x)
        if not np.isfinite(rec["wilcoxon_p"]):
            notes.append("wilcoxon_p undefined: every difference post - pre is 0")
        rec.update(effects)
        rec["note"] = "; ".join(notes)
        records.append(rec)

    _warn_unpaired(unpaired_by_measure, pre=pre, post=post)
    columns = [
        "measure", "n", "n_unpaired", "unpaired_subjects", "n_no_data", "no_data_subjects",
        "mean_pre", "sd_pre", "mean_post", "sd_post", "mean_diff", "ci_low", "ci_high",
        "t", "dof", "p_value", "wilcoxon_p", "r_prepost",
        "cohen_dz", "cohen_dz_ci_low", "cohen_dz_ci_high",
        "cohen_dav", "cohen_dav_ci_low", "cohen_dav_ci_high",
        "cohen_drm", "cohen_drm_ci_low", "cohen_drm_ci_high",
        "hedges_gav", "hedges_gav_ci_low", "hedges_gav_ci_high",
    ]  # fmt: skip
    text_cols = ("measure", "n", "n_unpaired", "unpaired_subjects", "n_no_data",
                 "no_data_subjects", "note")  # fmt: skip
    out = pd.DataFrame.from_records(records).reindex(columns=[*columns, "note"])
    float_cols = [c for c in columns if c not in text_cols]
    out[float_cols] = out[float_cols].astype(float)
    out["note"] = out["note"].fillna("").astype(str)
    if len(measures) > 1:
        out.insert(len(columns), "p_holm", _adjust(out["p_value"], "holm"))
        out.insert(len(columns) + 1, "p_fdr_bh", _adjust(out["p_value"], "fdr_bh"))
    return out


def _adjust(p: pd.Series, method: str) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    p = p.to_numpy(dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


# --------------------------------------------------------------------------------------------
# compare_groups
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GroupComparisonResult(ResultBase):
    """Two-arm comparison of a pre/post measure.

    Attributes
    ----------
    summary : DataFrame
        (property; stored as ``estimates``) One row per quantity (``quantity, estimate, se,
        ci_low, ci_high, statistic, dof, p_value, method, note``; ``note`` says why a missing value is missing): ``adjusted_difference``
        (ANCOVA, treatment - control),
        ``change_difference`` (Welch t on change), ``mann_whitney`` (U of the treatment arm's
        change), ``cohen_d_change`` and ``d_ppc2``.
    adjusted_means : DataFrame
        ``group, estimate, se, ci_low, ci_high``: least-squares means at the mean baseline.
    groups : DataFrame
        Descriptive statistics per arm (n, pre, post and change means and SDs, pre-post r).
    model : DataFrame
        ANCOVA coefficients (``term, estimate, se, statistic, p_value, ci_low, ci_high``).
    estimation_notes : tuple of str
        Statistics that could not be computed from these data, with the reason (also in
        ``notes()`` and, for the summary rows, in the summary's ``note`` column).
    """

    estimates: pd.DataFrame
    adjusted_means: pd.DataFrame
    groups: pd.DataFrame
    model: pd.DataFrame
    measure: str
    treatment: Any
    control: Any
    method: str
    robust: bool
    confidence: float
    unpaired_subjects: tuple = field(default_factory=tuple)
    title: str = "Group comparison"
    estimation_notes: tuple = field(default_factory=tuple)

    @property
    def summary(self) -> pd.DataFrame:
        return self.estimates

    def notes(self) -> list[str]:
        outcome = "change" if self.method == "ancova-change" else "follow-up"
        lines = [
            f"{self.measure}: {self.treatment!r} (treatment) vs {self.control!r} (control); "
            "differences are treatment - control.",
            f"ANCOVA of {outcome} on group + baseline (statsmodels OLS, "
            f"{'HC3 robust' if self.robust else 'model-based'} SEs); "
            "adjusted means at the mean baseline.",
        ]
        if self.unpaired_subjects:
            lines.append(
                f"{len(self.unpaired_subjects)} subject(s) without both timepoints were set "
                f"aside: {', '.join(map(str, self.unpaired_subjects))}."
            )
        lines += list(self.estimation_notes)
        return lines


def compare_groups(
    data: pd.DataFrame,
    *,
    measure: str,
    group: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    treatment: Any = None,
    control: Any = None,
    method: str = "ancova",
    robust: bool = False,
    confidence: float = 0.95,
) -> GroupComparisonResult:
    """Compare change from ``pre`` to ``post`` between a treatment and a control arm.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per subject and timepoint; ``group`` constant within a subject.
    measure, group, subject, timepoint : str
        Column names.
    pre, post : scalar
        Baseline and follow-up values of ``timepoint``.
    treatment, control : scalar, optional
        Arm labels. With two arms in the data either may be omitted; if both are, the arms
        are taken in sorted order (control first) and the choice is stated in the notes.
    method : {"ancova", "ancova-change"}
        Outcome of the ANCOVA: the follow-up score, or change from baseline. The treatment
        difference, its CI and p are identical (Vickers & Altman 2001); the adjusted means are
        on the follow-up or on the change scale.
    robust : bool
        HC3 heteroscedasticity-consistent SEs for the ANCOVA (t reference distribution with
        the residual df either way).
    confidence : float

    Returns
    -------
    GroupComparisonResult
        ``summary`` rows: ``adjusted_difference`` (ANCOVA, ``statsmodels`` OLS of outcome on
        a treatment indicator and baseline); ``change_difference`` (Welch t on change,
        ``scipy.stats.ttest_ind(equal_var=False)``); ``mann_whitney`` (on change,
        ``scipy.stats.mannwhitneyu``, exact or corrected as R ``wilcox.test``);
        ``cohen_d_change`` (difference in mean change / pooled SD of change, exact noncentral-t
        CI; see ``compute_cohen_d``); ``d_ppc2`` (Morris 2008 with the exact gamma correction,
        its equation-25 variance using the pooled within-arm pre-post r, normal CI; see
        ``compute_dppc2``).
    """

    check_dataframe("data", data)
    measure = _check_name("measure", measure)
    group = _check_name("group", group)
    subject = _check_name("subject", subject)
    timepoint = _check_name("timepoint", timepoint)
    confidence = _check_confidence(confidence)
    method = check_option("method", method, ("ancova", "ancova-change"))
    if not isinstance(robust, (bool, np.bool_)):
        raise ArgumentError(f"robust must be True or False; got {robust!r}.")
    check_columns(data, [subject, timepoint, group, measure])
    check_timepoints(data, timepoint, pre, post)
    treatment, control, inferred = _resolve_arms(data, group, treatment, control)

    rows = validate_long(
        data,
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        id_columns=[subject, group],
        measures=[measure],
        group=group,
        context="compare_groups",
    )
    arm_of = _arm_of_subject(rows, subject=subject, group=group)
    paired, unpaired, no_data = _pair_measure(
        rows, measure, subject=subject, timepoint=timepoint, pre=pre, post=post
    )
    unpaired = tuple(s for s in unpaired if arm_of.get(s) in (treatment, control))
    no_data = tuple(s for s in no_data if arm_of.get(s) in (treatment, control))
    _warn_unpaired({measure: (unpaired, no_data)}, pre=pre, post=post)
    unpaired = unpaired + no_data
    paired["group"] = paired.index.map(arm_of)
    paired = paired[paired["group"].isin([treatment, control])]
    paired["change"] = paired["post"] - paired["pre"]
    is_t = (paired["group"] == treatment).to_numpy()
    for label, mask in ((treatment, is_t), (control, ~is_t)):
        if mask.sum() < 2:
            raise ArgumentError(
                f"each arm must have at least 2 subjects with both {pre!r} and {post!r}; "
                f"arm {label!r} has {int(mask.sum())}. Check the group labels."
            )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        parts = _compare_arms(paired, is_t, treatment, control, method, robust, confidence)
    summary, adjusted_means, groups, model, notes = parts
    result = GroupComparisonResult(
        estimates=summary,
        adjusted_means=adjusted_means,
        groups=groups,
        model=model,
        measure=measure,
        treatment=treatment,
        control=control,
        method=method,
        robust=bool(robust),
        confidence=confidence,
        unpaired_subjects=unpaired,
        title=f"Group comparison ({inferred})" if inferred else "Group comparison",
        estimation_notes=tuple(notes),
    )
    return result


def _compare_arms(paired, is_t, treatment, control, method, robust, confidence):
    """The statistics of compare_groups; every value that cannot be computed is NaN and named,
    with the reason, in the row's ``note`` (summary) or in the returned notes."""
    from scipy import stats

    notes: list[str] = []
    groups = pd.DataFrame([_describe_arm(paired[m], label) for label, m in
                           ((treatment, is_t), (control, ~is_t))])  # fmt: skip
    for g in groups.itertuples():
        if not np.isfinite(g.r_prepost):
            notes.append(
                f"r_prepost of arm {g.group!r} undefined: its pre or post scores do not vary."
            )
    ancova = _ancova(paired, is_t, treatment, control, method, robust, confidence)
    est, se, ci, tval, pval, df_resid, adjusted_means, model, ancova_note = ancova
    if ancova_note:
        notes.append(f"ANCOVA: {ancova_note}.")

    ct = paired.loc[is_t, "change"].to_numpy()
    cc = paired.loc[~is_t, "change"].to_numpy()
    welch_note = ""
    both = np.concatenate([ct, cc, paired["pre"].to_numpy()])
    if no_spread(float(np.std(ct, ddof=1)), both) and no_spread(float(np.std(cc, ddof=1)), both):
        welch_t = welch_df = welch_p = wlo = whi = math.nan
        welch_note = "Welch t undefined: the change does not vary within either arm"
    else:
        welch = stats.ttest_ind(ct, cc, equal_var=False)
        wci = welch.confidence_interval(confidence)
        welch_t, welch_df, welch_p = float(welch.statistic), float(welch.df), float(welch.pvalue)
        wlo, whi = float(wci.low), float(wci.high)
    u, p_u = _mannwhitney(ct, cc)
    mw_note = "" if np.isfinite(p_u) else "p undefined: every change is the same"
    gt, gc = groups.iloc[0], groups.iloc[1]
    sd_t, sd_c = float(gt["sd_change"]), float(gc["sd_change"])
    if welch_note:  # rounding noise only: the change is constant within each arm
        sd_t = sd_c = 0.0
    d_change = _cohen_d(float(gt["mean_change"]), sd_t, int(gt["n"]), float(gc["mean_change"]),
                        sd_c, int(gc["n"]), confidence)  # fmt: skip
    r_pooled = _pooled_r(paired, is_t)
    sdt_pre, sdc_pre = float(gt["sd_pre"]), float(gc["sd_pre"])
    pre_values = paired["pre"].to_numpy()
    if no_spread(sdt_pre, pre_values) and no_spread(sdc_pre, pre_values):
        sdt_pre = sdc_pre = 0.0
    dppc2 = _dppc2(float(gt["mean_pre"]), float(gt["mean_post"]), float(gc["mean_pre"]),
                   float(gc["mean_post"]), sdt_pre, sdc_pre, int(gt["n"]), int(gc["n"]),
                   r_pooled, confidence)  # fmt: skip
    r_text = f"{r_pooled:.3f}" if np.isfinite(r_pooled) else "undefined"
    cov_label = "HC3" if robust else "OLS"
    summary = pd.DataFrame(
        [
            ("adjusted_difference", est[2], se[2], ci[2, 0], ci[2, 1], tval[2],
             df_resid, pval[2], f"ANCOVA {method} ({cov_label})", ancova_note),
            ("change_difference", float(np.mean(ct) - np.mean(cc)), math.nan,
             wlo, whi, welch_t, welch_df, welch_p, "Welch t on change", welch_note),
            ("mann_whitney", math.nan, math.nan, math.nan, math.nan, u, math.nan, p_u,
             "Mann-Whitney U on change (U of treatment)", mw_note),
            ("cohen_d_change", d_change["cohen_d"], math.nan, d_change["ci_low"],
             d_change["ci_high"], d_change["t"], d_change["dof"], d_change["p_value"],
             "Cohen's d on change, pooled SD (noncentral t CI)", d_change["note"]),
            ("d_ppc2", dppc2["d_ppc2"], math.sqrt(dppc2["var"]), dppc2["ci_low"],
             dppc2["ci_high"], math.nan, math.nan, math.nan,
             f"Morris 2008 d_ppc2 (pooled r = {r_text})", dppc2["note"]),
        ],
        columns=["quantity", "estimate", "se", "ci_low", "ci_high", "statistic", "dof",
                 "p_value", "method", "note"],
    )  # fmt: skip
    numbers = ["estimate", "se", "ci_low", "ci_high", "statistic", "dof", "p_value"]
    summary[numbers] = summary[numbers].astype(float)
    infinite = ~np.isfinite(summary[numbers].to_numpy()) & summary[numbers].notna().to_numpy()
    for i in np.flatnonzero(infinite.any(axis=1)):  # never report inf: NaN, and say so
        cols = [c for c, bad in zip(numbers, infinite[i], strict=True) if bad]
        summary.loc[i, cols] = math.nan
        summary.loc[i, "note"] = _join_notes(
            summary.loc[i, "note"], f"{', '.join(cols)} not finite (degenerate data)"
        )
    notes += [f"{q}: {n}." for q, n in zip(summary["quantity"], summary["note"], strict=True)
              if n and q != "adjusted_difference"]  # fmt: skip
    return summary, adjusted_means, groups, model, notes


def _ancova(paired, is_t, treatment, control, method, robust, confidence):
    """OLS of outcome on treatment + baseline: contrasts, adjusted means, model, note."""
    from statsmodels.regression.linear_model import OLS

    outcome = (paired["change"] if method == "ancova-change" else paired["post"]).to_numpy(float)
    pre = paired["pre"].to_numpy()
    base_varies = not no_spread(float(np.std(pre, ddof=1)), pre)
    columns = {"const": 1.0, "treatment": is_t.astype(float)}
    if base_varies:
        columns["baseline"] = pre
    X = pd.DataFrame(columns, index=paired.index)
    fit = OLS(outcome, X).fit(cov_type="HC3" if robust else "nonrobust", use_t=True)
    alpha = 1 - confidence
    mean_base = float(np.mean(pre))
    contrasts = np.array([[1.0, 1.0, mean_base], [1.0, 0.0, mean_base], [0.0, 1.0, 0.0]])
    if not base_varies:
        contrasts = contrasts[:, :2]
    tt = fit.t_test(contrasts)
    ci = np.asarray(tt.conf_int(alpha=alpha), dtype=float)
    est = np.asarray(tt.effect, dtype=float).ravel()
    se = np.asarray(tt.sd, dtype=float).ravel()
    tval = np.asarray(tt.tvalue, dtype=float).ravel()
    pval = np.asarray(tt.pvalue, dtype=float).ravel()
    params_ci = np.asarray(fit.conf_int(alpha=alpha), dtype=float)
    coef = {
        "estimate": np.asarray(fit.params, dtype=float),
        "se": np.asarray(fit.bse, dtype=float),
        "statistic": np.asarray(fit.tvalues, dtype=float),
        "p_value": np.asarray(fit.pvalues, dtype=float),
        "ci_low": params_ci[:, 0],
        "ci_high": params_ci[:, 1],
    }
    if not base_varies:  # as R's lm: the aliased baseline coefficient is NA
        coef = {k: np.append(v, math.nan) for k, v in coef.items()}
    note = ""
    if not base_varies:
        note = (
            "the baseline does not vary, so it cannot be adjusted for (its coefficient is "
            "missing): the difference is unadjusted"
        )
    resid = np.asarray(fit.resid, dtype=float)
    if no_spread(float(np.sqrt(np.mean(resid**2))), outcome, pre) or not np.all(np.isfinite(se)):
        reason = (
            "the model fits every subject exactly (no residual variation)"
            if no_spread(float(np.sqrt(np.mean(resid**2))), outcome, pre)
            else "a standard error is not finite (a subject with leverage 1 under HC3?)"
        )
        note = _join_notes(note, f"{reason}: SEs, CIs, t and p are undefined")
        se = np.full_like(est, math.nan)
        tval = pval = se.copy()
        ci = np.full_like(ci, math.nan)
        for k in ("se", "statistic", "p_value", "ci_low", "ci_high"):
            coef[k] = np.full_like(coef[k], math.nan)
    adjusted_means = pd.DataFrame(
        {
            "group": [treatment, control],
            "estimate": est[:2],
            "se": se[:2],
            "ci_low": ci[:2, 0],
            "ci_high": ci[:2, 1],
        }
    )
    model = pd.DataFrame({"term": ["intercept", f"group[{treatment}]", "baseline"], **coef})
    return est, se, ci, tval, pval, float(fit.df_resid), adjusted_means, model, note


def _resolve_arms(data, group, treatment, control):
    labels = list(pd.unique(data[group].dropna()))
    for name, value in (("treatment", treatment), ("control", control)):
        if value is not None and value not in labels:
            raise ArgumentError(
                f"{name} must be one of the labels in column {group!r} "
                f"({', '.join(map(repr, labels))}); got {value!r}."
            )
    if treatment is not None and control is not None:
        if treatment == control:
            raise ArgumentError(f"treatment and control must differ; both are {treatment!r}.")
        return treatment, control, ""
    if len(labels) != 2:
        raise ArgumentError(
            f"treatment and control must be given when column {group!r} does not hold exactly "
            f"two arms; it holds {', '.join(map(repr, labels))}."
        )
    if treatment is not None:
        return treatment, next(v for v in labels if v != treatment), ""
    if control is not None:
        return next(v for v in labels if v != control), control, ""
    control, treatment = sorted(labels, key=str)
    return treatment, control, "arms inferred from sorted labels: pass treatment= and control="


def _arm_of_subject(rows, *, subject, group) -> dict:
    """Subject -> arm (validate_long has checked that each subject has one arm)."""
    first = rows.drop_duplicates(subset=[subject])
    return dict(zip(first[subject], first[group], strict=True))


def _describe_arm(df: pd.DataFrame, label) -> dict:
    x, y, c = df["pre"], df["post"], df["change"]
    return {
        "group": label,
        "n": len(df),
        "mean_pre": x.mean(),
        "sd_pre": x.std(ddof=1),
        "mean_post": y.mean(),
        "sd_post": y.std(ddof=1),
        "mean_change": c.mean(),
        "sd_change": c.std(ddof=1),
        "r_prepost": x.corr(y),
    }


def _pooled_r(paired: pd.DataFrame, is_t: np.ndarray) -> float:
    """Pooled within-arm pre-post correlation: within-arm cross-products over within-arm SDs."""
    centred = paired[["pre", "post"]].copy()
    for mask in (is_t, ~is_t):
        centred.loc[mask] = centred.loc[mask] - centred.loc[mask].mean()
    sxy = float((centred["pre"] * centred["post"]).sum())
    sxx = float((centred["pre"] ** 2).sum())
    syy = float((centred["post"] ** 2).sum())
    n = len(paired)
    values = paired[["pre", "post"]].to_numpy()
    if no_spread(math.sqrt(sxx / n), values) or no_spread(math.sqrt(syy / n), values):
        return math.nan  # pre or post constant within both arms: no correlation
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


# --------------------------------------------------------------------------------------------
# responders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ResponderComparisonResult(ResultBase):
    """Responder rates in two arms and their comparison.

    Attributes
    ----------
    arms : DataFrame
        ``group, responders, n, percent, ci_low, ci_high`` (Wilson CI of the proportion, in
        percent), ``n_missing`` and ``denominator`` (a sentence saying who is counted).
    summary : DataFrame
        (property; stored as ``comparisons``) ``quantity, estimate, ci_low, ci_high,
        statistic, p_value, method, note``: ``risk_difference``
        (treatment - control, Newcombe hybrid score CI), ``relative_risk`` (log CI),
        ``odds_ratio`` (sample OR, logit CI), ``nnt`` (1 / RD; see ``nnt_text``),
        ``fisher_exact`` and ``chi_square`` (Pearson, no correction) and ``chi_square_yates``.
    nnt_text : str
        The NNT and its CI in words (Altman 1998: "NNTB a to infinity to NNTH b" when the RD
        CI crosses 0).
    """

    arms: pd.DataFrame
    comparisons: pd.DataFrame
    nnt_text: str
    treatment: Any
    control: Any
    missing: str
    confidence: float
    title: str = "Responder comparison"

    @property
    def summary(self) -> pd.DataFrame:
        return self.comparisons

    def notes(self) -> list[str]:
        lines = [f"NNT: {self.nnt_text}."]
        lines += [f"{row.group}: {row.denominator}" for row in self.arms.itertuples()]
        return lines


def compare_proportions(
    count_treatment: int,
    n_treatment: int,
    count_control: int,
    n_control: int,
    *,
    treatment: Any = "treatment",
    control: Any = "control",
    confidence: float = 0.95,
) -> ResponderComparisonResult:
    """Compare two proportions given as counts (e.g. MAPP2 responders 45/52 vs 29/42).

    - Risk difference ``p_t - p_c`` with the Newcombe (1998, method 10) hybrid score CI:
      ``statsmodels.stats.proportion.confint_proportions_2indep(method='newcomb')``.
    - Relative risk with the log (Katz) CI and the sample odds ratio with the logit (Woolf)
      CI: ``statsmodels.stats.contingency_tables.Table2x2``; undefined (NaN) with a zero cell.
    - NNT = 1 / RD with limits 1 / (RD limits) (hand-written; Altman 1998). A positive NNT is a
      number needed to treat for one extra responder (benefit, NNTB), a negative one for one
      fewer (harm, NNTH). When the RD CI crosses 0 the NNT CI is the two disjoint pieces
      "NNTB 1/upper to infinity to NNTH 1/|lower|": then ``ci_low`` = 1/upper (> 0) and
      ``ci_high`` = 1/lower (< 0) and ``nnt_text`` says it in words.
    - Fisher's exact test (``scipy.stats.fisher_exact``) and chi-square tests without and
      with Yates' correction (``scipy.stats.chi2_contingency``); Pearson's chi-square without
      correction equals the square of the two-proportion z test.
    """
    confidence = _check_confidence(confidence)
    counts = {
        "count_treatment": count_treatment,
        "n_treatment": n_treatment,
        "count_control": count_control,
        "n_control": n_control,
    }
    for name, v in counts.items():
        if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0):
            raise ArgumentError(f"{name} must be a non-negative integer; got {v!r}.")
    for c, n, arm in ((count_treatment, n_treatment, "treatment"),
                      (count_control, n_control, "control")):  # fmt: skip
        if n < 1 or c > n:
            raise ArgumentError(
                f"the {arm} count must be between 0 and its n (n >= 1); got {c} of {n}."
            )
    arms = pd.DataFrame(
        [
            _arm_row(treatment, int(count_treatment), int(n_treatment), confidence),
            _arm_row(control, int(count_control), int(n_control), confidence),
        ]
    )
    arms["n_missing"] = 0
    arms["denominator"] = [f"{n} subjects counted (summary counts)" for n in arms["n"]]
    summary, nnt_text = _two_by_two(
        int(count_treatment), int(n_treatment), int(count_control), int(n_control), confidence
    )
    return ResponderComparisonResult(
        arms=arms,
        comparisons=summary,
        nnt_text=nnt_text,
        treatment=treatment,
        control=control,
        missing="counts",
        confidence=confidence,
    )


def _arm_row(label, count: int, n: int, confidence: float) -> dict:
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(count, n, alpha=1 - confidence, method="wilson")
    return {
        "group": label,
        "responders": count,
        "n": n,
        "percent": 100 * count / n,
        "ci_low": 100 * float(lo),
        "ci_high": 100 * float(hi),
    }


def _two_by_two(xt: int, nt: int, xc: int, nc: int, confidence: float):
    from scipy import stats
    from statsmodels.stats.contingency_tables import Table2x2
    from statsmodels.stats.proportion import confint_proportions_2indep

    alpha = 1 - confidence
    table = np.array([[xt, nt - xt], [xc, nc - xc]])
    rd = xt / nt - xc / nc
    rd_lo, rd_hi = confint_proportions_2indep(
        xt, nt, xc, nc, method="newcomb", compare="diff", alpha=alpha
    )
    rd_lo, rd_hi = float(rd_lo), float(rd_hi)
    zero = "a zero cell: estimate or CI undefined" if (table == 0).any() else ""
    if zero:
        rr = rr_lo = rr_hi = odds = or_lo = or_hi = math.nan
        if xc > 0:
            rr = (xt / nt) / (xc / nc)
    else:
        t2 = Table2x2(table)
        rr = float(t2.riskratio)
        rr_lo, rr_hi = map(float, t2.riskratio_confint(alpha=alpha))
        odds = float(t2.oddsratio)
        or_lo, or_hi = map(float, t2.oddsratio_confint(alpha=alpha))
    nnt, nnt_lo, nnt_hi, nnt_text = _nnt(rd, rd_lo, rd_hi, confidence)
    fisher_p = float(stats.fisher_exact(table).pvalue)
    if (table.sum(axis=0) == 0).any():
        chi_p = chi_y = chi_stat = chi_y_stat = math.nan
    else:
        chi = stats.chi2_contingency(table, correction=False)
        chi_y_res = stats.chi2_contingency(table, correction=True)
        chi_p, chi_stat = float(chi.pvalue), float(chi.statistic)
        chi_y, chi_y_stat = float(chi_y_res.pvalue), float(chi_y_res.statistic)
    summary = pd.DataFrame(
        [
            ("risk_difference", rd, rd_lo, rd_hi, math.nan, math.nan,
             "treatment - control; Newcombe hybrid score CI", ""),
            ("relative_risk", rr, rr_lo, rr_hi, math.nan, math.nan, "log (Katz) CI", zero),
            ("odds_ratio", odds, or_lo, or_hi, math.nan, math.nan, "sample OR, logit CI", zero),
            ("nnt", nnt, nnt_lo, nnt_hi, math.nan, math.nan,
             "1 / RD; limits 1 / RD limits (Altman 1998)", nnt_text),
            ("fisher_exact", math.nan, math.nan, math.nan, math.nan, fisher_p,
             "Fisher exact, two-sided", ""),
            ("chi_square", math.nan, math.nan, math.nan, chi_stat, chi_p,
             "Pearson chi-square, no correction (= z test)", ""),
            ("chi_square_yates", math.nan, math.nan, math.nan, chi_y_stat, chi_y,
             "chi-square with Yates correction (R chisq.test default)", ""),
        ],
        columns=["quantity", "estimate", "ci_low", "ci_high", "statistic", "p_value",
                 "method", "note"],
    )  # fmt: skip
    return summary, nnt_text


def _nnt(rd: float, lo: float, hi: float, confidence: float):
    pct = f"{100 * confidence:g}% CI"

    def inv(v: float) -> float:
        return math.inf if v == 0 else 1 / v

    nnt = inv(rd)
    if rd == 0:
        text = f"no difference in response (NNT infinite); {pct} NNTH {1 / abs(lo):.1f} to ∞ to "
        text += f"NNTB {1 / hi:.1f}" if hi > 0 else "∞"
        return nnt, inv(hi), inv(lo), text
    kind = "NNTB" if rd > 0 else "NNTH"
    head = f"{kind} {abs(nnt):.1f}"
    if lo > 0 or hi < 0:
        a, b = sorted([abs(inv(lo)), abs(inv(hi))])
        return nnt, inv(hi), inv(lo), f"{head} ({pct} {a:.1f} to {b:.1f})"
    return (
        nnt,
        inv(hi),
        inv(lo),
        f"{head} ({pct} NNTB {inv(hi):.1f} to ∞ to NNTH {abs(inv(lo)):.1f})",
    )


def _responder_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 / 0.0 / NaN per row, reason per row or "" ): True/False or 1/0 are outcomes;
    text and objects are ``not-a-number``, inf ``not-finite``, other numbers ``out-of-range``."""
    raw = values.to_numpy(dtype=object)
    missing = values.isna().to_numpy()
    out = np.full(len(raw), np.nan)
    bad = np.full(len(raw), "", dtype=object)
    for i in np.flatnonzero(~missing):
        v = raw[i]
        if isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
        elif isinstance(v, numbers.Real):
            f = float(v) if not isinstance(v, int) or abs(v) < 2**64 else math.inf
            if f in (0.0, 1.0):
                out[i] = f
            else:
                bad[i] = "out-of-range" if math.isfinite(f) else "not-finite"
        else:
            bad[i] = "not-a-number"
    return out, bad.astype(str)


def compare_responders(
    data: pd.DataFrame,
    *,
    responder: str,
    group: str,
    treatment: Any,
    control: Any,
    missing: str = "exclude",
    subject: str | None = None,
    confidence: float = 0.95,
) -> ResponderComparisonResult:
    """Compare responder rates between two arms; data have one row per subject.

    Parameters
    ----------
    data : DataFrame
        One row per subject (rows of other arms are ignored).
    responder : str
        Boolean column (bool, nullable "boolean", or 0/1; missing = outcome unknown).
    group : str
        Arm column; ``treatment`` and ``control`` are two of its labels.
    missing : {"exclude", "non-responder"}
        "exclude" drops subjects with a missing outcome (observed cases; the denominator is the
        number with an outcome and ``n_missing`` says how many were dropped); "non-responder"
        counts them as non-responders (non-responder imputation; the denominator is everyone
        in the arm).
    subject : str, optional
        If given, subjects appearing twice raise ``DataValidationError``.

    See ``compare_proportions`` for the statistics.
    """
    check_dataframe("data", data)
    responder = _check_name("responder", responder)
    group = _check_name("group", group)
    missing = check_option("missing", missing, ("exclude", "non-responder"))
    confidence = _check_confidence(confidence)
    cols = [group, responder] + ([subject] if subject is not None else [])
    check_columns(data, cols)
    treatment, control, _ = _resolve_arms(data, group, treatment, control)
    rows = data.iloc[np.flatnonzero(data[group].isin([treatment, control]).to_numpy())]
    remedy = f"{responder} must be True/False (or 1/0, missing allowed), one row per subject."
    failures = []
    try:
        validate_long(
            rows,
            subject=subject,
            id_columns=[subject] if subject is not None else [],
            group=group,
            context="compare_responders",
            remedy=remedy,
        )
    except DataValidationError as err:
        failures.append(err.failure_cases)
    outcome, bad = _responder_values(rows[responder])
    if (bad != "").any():
        pos = np.flatnonzero(bad != "")
        failures.append(
            pd.DataFrame(
                {
                    "row": list(rows.index[pos]),
                    "subject": list(rows[subject].to_numpy(dtype=object)[pos]) if subject else None,
                    "column": responder,
                    "value": list(rows[responder].to_numpy(dtype=object)[pos]),
                    "reason": bad[pos],
                }
            )
        )
    if failures:
        raise DataValidationError(
            pd.concat(failures, ignore_index=True), context="compare_responders", remedy=remedy
        )

    arm = rows[group].to_numpy(dtype=object)
    arm_rows, counts = [], []
    for label in (treatment, control):
        v = outcome[arm == label]
        n_all = len(v)
        n_missing = int(np.isnan(v).sum())
        count = int(np.nansum(v))
        if missing == "exclude":
            n = n_all - n_missing
            text = (
                f"{n} subjects with an observed outcome; {n_missing} with a missing outcome "
                "excluded"
            )
        else:
            n = n_all
            text = f"all {n} subjects; {n_missing} with a missing outcome counted as non-responders"
        if n < 1:
            raise ArgumentError(
                f"each arm must have at least one subject with an outcome; arm {label!r} has none."
            )
        row = _arm_row(label, count, n, confidence)
        row.update(n_missing=n_missing, denominator=text)
        arm_rows.append(row)
        counts += [count, n]
    summary, nnt_text = _two_by_two(*counts, confidence)
    return ResponderComparisonResult(
        arms=pd.DataFrame(arm_rows),
        comparisons=summary,
        nnt_text=nnt_text,
        treatment=treatment,
        control=control,
        missing=missing,
        confidence=confidence,
    )


# --------------------------------------------------------------------------------------------
# power and sample size
# --------------------------------------------------------------------------------------------


def _power_engine(design: str, alternative: str):
    design = check_option("design", design, DESIGNS)
    alternative = check_option("alternative", alternative, ALTERNATIVES)
    return design, alternative


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


def _check_ratio(ratio) -> float:
    return check_number(
        "ratio", ratio, low=0, low_open=True, remedy="Pass n_control / n_treatment, e.g. 1."
    )


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


#: Largest sample size (per arm, or pairs) plan_sample_size searches.
N_MAX = 1e9


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


def plan_sample_size(
    *,
    effect_size: float,
    design: str = "two-sample",
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> pd.DataFrame:
    """Sample size for a two-sample or paired t test (statsmodels ``TTestIndPower`` /
    ``TTestPower``, which agree with pingouin ``power_ttest``: d = 0.5, power 0.8 gives 63.77
    per group or 33.37 pairs).

    ``effect_size`` is Cohen's d (two-sample, pooled SD) or d_z (paired). ``ratio`` is
    n_control / n_treatment. Each arm is rounded up, then inflated for ``dropout`` (the
    proportion expected to leave: enrolled = ceil(n / (1 - dropout))).

    Returns a tidy DataFrame, one row per arm plus ``total`` (two-sample) or one row
    ``subjects`` (paired): ``design, arm, effect_size, alpha, power, alternative, ratio,
    dropout, n_exact, n, n_enrolled``.
    """
    design, alternative = _power_engine(design, alternative)
    es = _check_effect(effect_size, alternative)
    power = _check_probability("power", power)
    alpha = _check_probability("alpha", alpha)
    ratio = _check_ratio(ratio)
    dropout = check_number("dropout", dropout, low=0, high=1)
    if dropout >= 1:
        raise ArgumentError(f"dropout must be below 1; got {dropout!r}.")
    if power <= alpha:
        raise ArgumentError(
            f"power must exceed alpha (with no effect at all a test rejects with probability "
            f"alpha); got power={power:g}, alpha={alpha:g}. Pass e.g. power=0.8."
        )
    if design == "paired" and ratio != 1:
        raise ArgumentError(f"ratio applies to design='two-sample' only; got {ratio!r}.")
    n1, note = _solve_n(
        lambda v: _t_power(es, v, design=design, alpha=alpha, alternative=alternative,
                           ratio=ratio),
        power,
        "per arm" if design == "two-sample" else "pairs",
    )  # fmt: skip
    exact = {"treatment": n1, "control": n1 * ratio} if design == "two-sample" else {"subjects": n1}
    rows = [
        {"arm": arm, "n_exact": v, "n": _ceil(v), "n_enrolled": _ceil(_ceil(v) / (1 - dropout))}
        for arm, v in exact.items()
    ]
    if design == "two-sample":
        rows.append(
            {
                "arm": "total",
                "n_exact": sum(r["n_exact"] for r in rows),
                "n": sum(r["n"] for r in rows),
                "n_enrolled": sum(r["n_enrolled"] for r in rows),
            }
        )
    out = pd.DataFrame(rows)
    inputs = {
        "design": design,
        "effect_size": es,
        "alpha": alpha,
        "power": power,
        "alternative": alternative,
        "ratio": ratio,
        "dropout": dropout,
    }
    for i, (k, v) in enumerate(inputs.items()):
        out.insert(i if k == "design" else i + 1, k, v)
    out["note"] = note
    return out


def compute_power(
    *,
    effect_size: float,
    n: int | Sequence[int],
    design: str = "two-sample",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
) -> pd.DataFrame:
    """Power of a two-sample or paired t test (statsmodels ``TTestIndPower`` / ``TTestPower``).

    ``n`` is the treatment-arm size (two-sample; the control arm has ``n * ratio``) or the
    number of pairs (paired); a list of n gives a power curve, one row each. Columns:
    ``design, effect_size, n, n_control, alpha, alternative, ratio, power``.
    """
    design, alternative = _power_engine(design, alternative)
    es = _check_effect(effect_size, alternative)
    alpha = _check_probability("alpha", alpha)
    ratio = _check_ratio(ratio)
    if isinstance(n, (str, bytes)) or not (np.isscalar(n) or isinstance(n, Sequence)):
        raise ArgumentError(f"n must be a number of at least 2 (or a list of them); got {n!r}.")
    ns = [n] if np.isscalar(n) else list(n)
    if not ns:
        raise ArgumentError("n must be a number of at least 2 (or a list of them); got [].")
    ns = [
        check_number("n", v, low=2, high=1e12, remedy="(or a list of such numbers).")
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool)
        else int(check_number("n", v, low=2, high=1e12, integer=True))
        for v in ns
    ]
    if design == "paired" and ratio != 1:
        raise ArgumentError(f"ratio applies to design='two-sample' only; got {ratio!r}.")
    rows = []
    for v in ns:
        p = _t_power(es, v, design=design, alpha=alpha, alternative=alternative, ratio=ratio)
        n_c = v * ratio if design == "two-sample" else math.nan
        if not np.isfinite(p):
            raise EstimationError(
                f"the power at n = {v:g} cannot be computed (the noncentral t distribution is "
                "not evaluable there); use a smaller n or effect_size."
            )
        rows.append(
            {
                "design": design,
                "effect_size": es,
                "n": v,
                "n_control": n_c,
                "alpha": alpha,
                "alternative": alternative,
                "ratio": ratio,
                "power": float(p),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# reliability
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ReliabilityResult(ResultBase):
    """Internal consistency per scale.

    ``summary`` (stored as ``scales``) columns: ``scale, label, n_items, n_complete,
    cronbach_alpha, alpha_ci_low, alpha_ci_high, omega_total, note`` (why a scale was
    skipped, or a problem with the omega fit).
    """

    scales: pd.DataFrame
    instrument: str
    confidence: float
    title: str = "Reliability"

    @property
    def summary(self) -> pd.DataFrame:
        return self.scales

    def notes(self) -> list[str]:
        return [
            "alpha: pingouin.cronbach_alpha on complete cases; Feldt CI at full precision. "
            "omega total: one-factor minres (iterated principal axis) fit of the item "
            "correlations."
        ]


def compute_reliability(
    data: pd.DataFrame, instrument: Any, *, confidence: float = 0.95
) -> ReliabilityResult:
    """Cronbach's alpha and McDonald's omega total for every scale of an instrument.

    Parameters
    ----------
    data : DataFrame
        One row per administration (usually filter to one timepoint first), with the raw item
        columns. Items the instrument marks ``reverse`` are reflected (min + max - value)
        before alpha and omega, so that every item is keyed in one direction.
    instrument : str or Instrument
        An instrument id for ``past_outcomes.instrument.load_instrument`` or an object with a
        ``scales`` mapping of output name to a scale with ``item_columns`` and ``label``.

    For each scale, rows with any item missing are dropped (``n_complete`` complete cases).

    - ``cronbach_alpha`` from ``pingouin.cronbach_alpha``; its CI is Feldt's F interval
      ``1 - (1 - alpha) F(1 - a/2 | a/2; n - 1, (n - 1)(k - 1))``, the formula pingouin uses,
      recomputed here because pingouin rounds it to 3 decimals.
    - ``omega_total`` = (sum of loadings)^2 / ((sum of loadings)^2 + sum of uniquenesses) from
      a one-factor minres fit of the item correlation matrix (iterated principal axis from the
      squared multiple correlations to convergence; hand-written as neither scipy nor
      statsmodels has it). R ``psych::omega`` instead divides by the sum of all correlations
      (observed rather than model-implied total variance); the two agree when one factor fits.
      Loadings are sign-aligned so that their sum is positive.

    Scales with fewer than 2 items or fewer than 3 complete cases are listed with a ``note``
    and NaN statistics. Scales whose items are absent from ``data`` are listed as skipped; if
    every scale is absent an ArgumentError is raised.
    """
    import pingouin as pg
    from scipy import stats

    check_dataframe("data", data)
    confidence = _check_confidence(confidence)
    if isinstance(instrument, str):
        from past_outcomes.instrument import load_instrument

        instrument = load_instrument(instrument)
    scales = getattr(instrument, "scales", None)
    if not hasattr(scales, "items"):
        raise ArgumentError(
            "instrument must be an instrument id or an Instrument with a .scales mapping; "
            f"got {type(instrument).__name__}. Use past_outcomes.load_instrument('<id>')."
        )
    name = str(getattr(instrument, "id", getattr(instrument, "name", "")))
    # reverse-keyed items (Item.reverse) are reflected, value -> min + max - value
    reverse = {
        item.column: item.min + item.max
        for item in getattr(instrument, "items", ())
        if getattr(item, "reverse", False)
    }
    item_cols = list(
        dict.fromkeys(
            c for sc in scales.values() for c in getattr(sc, "item_columns", ()) if c in data
        )
    )
    clean = _clean_items(data, instrument, item_cols)
    records = []
    any_present = False
    for key, scale in scales.items():
        items = list(dict.fromkeys(getattr(scale, "item_columns", ())))
        rec: dict[str, Any] = {
            "scale": key,
            "label": getattr(scale, "label", key),
            "n_items": len(items),
            "n_complete": 0,
        }
        absent = [c for c in items if c not in data.columns]
        if absent:
            rec["note"] = f"skipped: item column(s) not in data: {', '.join(absent)}"
            records.append(rec)
            continue
        any_present = True
        if len(items) < 2:
            rec["note"] = "skipped: alpha and omega need at least 2 items"
            records.append(rec)
            continue
        block = clean[items].dropna()
        for col in items:
            if col in reverse:
                block[col] = reverse[col] - block[col]
        n, k = block.shape
        rec["n_complete"] = n
        if n < 3 or (block.var(ddof=1) == 0).any():
            rec["note"] = "skipped: fewer than 3 complete cases or an item without variance"
            records.append(rec)
            continue
        alpha = float(pg.cronbach_alpha(data=block, nan_policy="listwise", ci=confidence)[0])
        a = 1 - confidence
        df1, df2 = n - 1, (n - 1) * (k - 1)
        rec.update(
            cronbach_alpha=alpha,
            alpha_ci_low=1 - (1 - alpha) * float(stats.f.isf(a / 2, df1, df2)),
            alpha_ci_high=1 - (1 - alpha) * float(stats.f.isf(1 - a / 2, df1, df2)),
        )
        if k < 3:
            # a one-factor model of 2 items is not identified: omega cannot be estimated
            rec["omega_total"] = float("nan")
            rec["note"] = "omega: not estimable with 2 items (one-factor model not identified)"
        else:
            omega, note = _omega_total(block.corr().to_numpy())
            rec["omega_total"] = omega
            rec["note"] = note
        records.append(rec)
    if not any_present:
        raise ArgumentError(
            f"data must contain the item columns of at least one scale of {name or 'the'} "
            "instrument; none were found. Check the column names."
        )
    columns = ["scale", "label", "n_items", "n_complete", "cronbach_alpha", "alpha_ci_low",
               "alpha_ci_high", "omega_total", "note"]  # fmt: skip
    summary = pd.DataFrame.from_records(records).reindex(columns=columns)
    summary[["cronbach_alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"]] = summary[
        ["cronbach_alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"]
    ].astype(float)
    summary["note"] = summary["note"].fillna("")
    return ReliabilityResult(scales=summary, instrument=name, confidence=confidence)


def _clean_items(data: pd.DataFrame, instrument: Any, item_cols: list[str]) -> pd.DataFrame:
    """The item answers as floats, validated; raise one error listing every bad cell.

    A loaded Instrument is validated exactly as ``score`` validates it
    (``past_outcomes.scoring.validate_responses``: out-of-range, not-an-integer, not-a-number,
    declared missing codes turned into missing); item columns absent from ``data`` are
    treated as unanswered here (their scales are reported as skipped). Any other object with
    a ``scales`` mapping (plain columns) gets the long-data measure check: numbers, finite.
    """
    from past_outcomes.instrument import Instrument

    if isinstance(instrument, Instrument):
        from past_outcomes.scoring import validate_responses

        absent = [c for c in instrument.item_columns if c not in data.columns]
        view = data.assign(**{c: np.nan for c in absent}) if absent else data
        return validate_responses(view, instrument)
    failures, clean = [], {}
    for col in item_cols:
        values, reasons = measure_values(data[col])
        clean[col] = values
        pos = np.flatnonzero(reasons != None)  # noqa: E711 (elementwise)
        if len(pos):
            failures.append(
                pd.DataFrame(
                    {
                        "row": list(data.index[pos]),
                        "column": col,
                        "value": list(data[col].to_numpy(dtype=object)[pos]),
                        "reason": reasons[pos],
                    }
                )
            )
    if failures:
        raise DataValidationError(
            pd.concat(failures, ignore_index=True),
            context="compute_reliability",
            remedy="Item answers must be finite numbers (missing allowed); recode them first.",
        )
    return pd.DataFrame(clean, index=data.index)


def _one_factor_loadings(R: np.ndarray, *, tol: float = 1e-10, max_iter: int = 5000):
    """One-factor minres / iterated principal-axis loadings of a correlation matrix."""
    try:
        h2 = 1 - 1 / np.diag(np.linalg.inv(R))  # squared multiple correlations
    except np.linalg.LinAlgError:
        h2 = np.max(np.abs(R - np.eye(len(R))), axis=0)
    converged = False
    for _ in range(max_iter):
        Rr = R.copy()
        np.fill_diagonal(Rr, h2)
        vals, vecs = np.linalg.eigh(Rr)
        lam = vecs[:, -1] * math.sqrt(max(vals[-1], 0.0))
        new = np.clip(lam**2, 0, 1)
        if np.max(np.abs(new - h2)) < tol:
            h2 = new
            converged = True
            break
        h2 = new
    if lam.sum() < 0:
        lam = -lam
    return lam, converged


def _omega_total(R: np.ndarray) -> tuple[float, str]:
    lam, converged = _one_factor_loadings(R)
    common = lam.sum() ** 2
    unique = float(np.sum(1 - lam**2))
    omega = float(common / (common + unique))
    note = "" if converged else "omega: one-factor fit did not converge"
    if (lam**2 >= 1 - 1e-6).any():
        note = (note + "; " if note else "") + "omega: Heywood case (a loading of 1)"
    return omega, note
