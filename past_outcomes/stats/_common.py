"""Helpers shared by the statistics modules (private).

Argument checks in the one message template, the arms of a two-arm comparison, the warning
about subjects set aside, and the noncentral-t confidence interval of a standardized mean
difference (used by ``effect_size`` and ``prepost``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_number
from past_outcomes.errors import ArgumentError, UnpairedSubjectsWarning

# --------------------------------------------------------------------------------------------
# arguments
# --------------------------------------------------------------------------------------------


def check_confidence(confidence: Any) -> float:
    """``confidence`` as a float strictly between 0 and 1."""
    return check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True,
        remedy="Pass e.g. confidence=0.95.",
    )  # fmt: skip


def check_probability(name: str, value: Any) -> float:
    """``value`` as a float strictly between 0 and 1."""
    return check_number(name, value, low=0, high=1, low_open=True, high_open=True)


def check_name(name: str, value: Any) -> str:
    """``value`` if it is a non-empty string (a column name)."""
    if not isinstance(value, str) or not value:
        raise ArgumentError(
            f"{name} must be a column name (a non-empty string); got {value!r}. "
            f"Pass {name}='<column>'."
        )
    return value


def check_flag(name: str, value: Any) -> bool:
    """``value`` if it is True or False (not 1, not 'yes')."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def join_notes(*parts: str) -> str:
    """Non-empty parts joined by '; '."""
    return "; ".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------
# the two arms compared
# --------------------------------------------------------------------------------------------


def resolve_arms(data: pd.DataFrame, group: str, treatment: Any, control: Any):
    """Return ``(treatment, control, how)``: the two labels of ``group`` compared.

    With exactly two labels in the column either may be omitted; with neither given, the
    labels are taken in sorted order (control first) and ``how`` says so.
    """
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


# --------------------------------------------------------------------------------------------
# subjects set aside
# --------------------------------------------------------------------------------------------


def in_subject_order(excluded: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    """``excluded`` sorted by measure (``detail``, in order of appearance), then by the order
    of ``subjects`` (pair_long lists its exclusions reason by reason)."""
    rank = {s: i for i, s in enumerate(subjects)}
    measures = {m: i for i, m in enumerate(pd.unique(excluded["detail"]))}
    key = [(measures[m], rank.get(s, len(rank))) for m, s in
           zip(excluded["detail"], excluded["subject"], strict=True)]  # fmt: skip
    order = sorted(range(len(excluded)), key=key.__getitem__)
    return excluded.iloc[order].reset_index(drop=True)


def _listed(ids: list) -> str:
    return ", ".join(map(str, ids[:20])) + (", ..." if len(ids) > 20 else "")


def warn_unpaired(excluded: pd.DataFrame, *, pre: Any, post: Any, stacklevel: int = 4) -> None:
    """Warn about the subjects of ``excluded`` lacking a value at ``pre`` or ``post``.

    ``excluded`` is a ``.excluded`` table whose ``detail`` names the measure; reasons
    ``no-pre``/``no-post`` (one value only) and ``no-data`` (neither value) are warned about,
    per measure, with their ids.
    """
    parts = []
    for measure, rows in excluded.groupby("detail", sort=False):
        one = rows.loc[rows["reason"].isin(["no-pre", "no-post"]), "subject"].tolist()
        none = rows.loc[rows["reason"] == "no-data", "subject"].tolist()
        if one:
            parts.append(
                f"{len(one)} subject(s) lack {measure} at {pre!r} or {post!r}: {_listed(one)}"
            )
        if none:
            parts.append(
                f"{len(none)} subject(s) have no {measure} at either timepoint (not "
                f"administered?): {_listed(none)}"
            )
    if not parts:
        return
    warnings.warn(
        f"{'; '.join(parts)}. A comparison needs both timepoints, so they were set aside; "
        "they are listed in the result's .excluded table. Impute, or use a mixed model "
        "(fit_mmrm) to keep those with one value.",
        UnpairedSubjectsWarning,
        stacklevel=stacklevel,
    )


# --------------------------------------------------------------------------------------------
# noncentral t (hand-written: no package gives the CI of a standardized mean difference)
# --------------------------------------------------------------------------------------------


def z_quantile(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 at 0.95)."""
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def nct_ci(t_obs: float, df: float, confidence: float) -> tuple[float, float, str]:
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
