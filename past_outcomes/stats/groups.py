"""Change compared between two arms: ``compare_groups``.

ANCOVA of the follow-up (or of change) on group and baseline (statsmodels OLS, optionally HC3),
Welch t and Mann-Whitney U on change (scipy, with R's defaults), Cohen's d on change with its
exact noncentral-t CI and Morris (2008) d_ppc2 (``effect_size``).

Data are long, one row per subject and timepoint, paired by subject through
``past_outcomes._long.pair_long``. Subjects without both timepoints are warned about and
listed in ``.excluded``; subjects of other arms are listed there too (reason ``no-group``).
Differences are ``treatment - control``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_option, check_timepoints
from past_outcomes._long import no_spread, pair_long
from past_outcomes.errors import ArgumentError
from past_outcomes.estimand import Estimand, check_estimand
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.stats._common import (
    check_confidence,
    check_flag,
    check_name,
    in_subject_order,
    join_notes,
    resolve_arms,
    warn_unpaired,
)
from past_outcomes.stats.effect_size import cohen_d_row, dppc2_row

__all__ = ["GroupComparisonResult", "compare_groups"]

METHODS = ("ancova", "ancova-change")
TABLE_COLUMNS = ["quantity", "estimate", "se", "ci_low", "ci_high", "statistic", "dof",
                 "p_value", "method", "note"]  # fmt: skip
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "statistic", "dof", "p_value"]


@dataclass(frozen=True, eq=False, repr=False)
class GroupComparisonResult(ResultBase):
    """Two-arm comparison of a pre/post measure.

    Attributes
    ----------
    table : DataFrame
        One row per quantity (``quantity, estimate, se, ci_low, ci_high, statistic, dof,
        p_value, method, note``; ``note`` says why a missing value is missing):
        ``adjusted_difference`` (ANCOVA, treatment - control), ``change_difference`` (Welch t
        on change), ``mann_whitney`` (U of the treatment arm's change), ``cohen_d_change`` and
        ``d_ppc2``.
    adjusted_means : DataFrame
        ``group, estimate, se, ci_low, ci_high``: least-squares means at the mean baseline.
    groups : DataFrame
        Descriptive statistics per arm (``group, n``, pre, post and change means and SDs,
        ``r_prepost``).
    model : DataFrame
        ANCOVA coefficients (``term, estimate, se, statistic, p_value, ci_low, ci_high``).
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``): ``no-pre``, ``no-post``, ``no-data``
        (in either arm, without both values) and ``no-group`` (in another arm).
    measure, treatment, control, method, robust, confidence
        The arguments, with the arms as resolved.
    estimation_notes : tuple of str
        Statistics that could not be computed from these data, with the reason (also in
        ``notes()`` and, for the table rows, in its ``note`` column).
    estimand : Estimand or None
        The estimand passed to :func:`compare_groups`, shown first in ``notes()``.
    """

    table: pd.DataFrame
    adjusted_means: pd.DataFrame
    groups: pd.DataFrame
    model: pd.DataFrame
    excluded: pd.DataFrame
    measure: str
    treatment: Any
    control: Any
    method: str
    robust: bool
    confidence: float
    title: str = "Group comparison"
    estimation_notes: tuple[str, ...] = field(default_factory=tuple)
    estimand: Estimand | None = None

    def notes(self) -> list[str]:
        outcome = "change" if self.method == "ancova-change" else "follow-up"
        return [
            f"{self.measure}: {self.treatment!r} (treatment) vs {self.control!r} (control); "
            "differences are treatment - control.",
            f"ANCOVA of {outcome} on group + baseline (statsmodels OLS, "
            f"{'HC3 robust' if self.robust else 'model-based'} SEs); "
            "adjusted means at the mean baseline.",
            *self.estimation_notes,
        ]


def compare_groups(
    data: pd.DataFrame,
    *,
    measure: str,
    group: str = "group",
    treatment: Any = None,
    control: Any = None,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    method: str = "ancova",
    robust: bool = False,
    confidence: float = 0.95,
    estimand: Estimand | None = None,
) -> GroupComparisonResult:
    """Compare change from ``pre`` to ``post`` between a treatment and a control arm.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per subject and timepoint; ``group`` constant within a subject.
    measure : str
        The score column compared.
    group, subject, timepoint : str
        Columns of the arm, the subject and the timepoint.
    treatment, control : scalar, optional
        Arm labels (``control`` is the reference level). With two arms in the data either may
        be omitted; if both are, the arms are taken in sorted order (control first) and the
        title says so.
    pre, post : scalar
        Baseline and follow-up values of ``timepoint``.
    method : {"ancova", "ancova-change"}
        Outcome of the ANCOVA: the follow-up score, or change from baseline. The treatment
        difference, its CI and p are identical (Vickers & Altman 2001); the adjusted means are
        on the follow-up or on the change scale.
    robust : bool
        HC3 heteroscedasticity-consistent SEs for the ANCOVA (t reference distribution with
        the residual df either way).
    confidence : float
        Level of every confidence interval.
    estimand : Estimand, optional
        What the analysis estimates (:class:`past_outcomes.Estimand`); stored on the result,
        which prints it first.

    Returns
    -------
    GroupComparisonResult
        ``.table`` rows: ``adjusted_difference`` (ANCOVA, ``statsmodels`` OLS of outcome on
        a treatment indicator and baseline); ``change_difference`` (Welch t on change,
        ``scipy.stats.ttest_ind(equal_var=False)``); ``mann_whitney`` (on change,
        ``scipy.stats.mannwhitneyu``, exact or corrected as R ``wilcox.test``);
        ``cohen_d_change`` (difference in mean change / pooled SD of change, exact noncentral-t
        CI; see ``compute_cohen_d``); ``d_ppc2`` (Morris 2008 with the exact gamma correction,
        its equation-25 variance using the pooled within-arm pre-post r, normal CI; see
        ``compute_dppc2``).

    Warns
    -----
    UnpairedSubjectsWarning
        When subjects of either arm lack a value at one of the timepoints.

    Raises
    ------
    ArgumentError
        A column is missing, ``pre``/``post`` or an arm label is not in the data, an option is
        unknown, or an arm has fewer than 2 subjects with both values.
    DataValidationError
        Duplicate rows, missing identifiers, a subject in two arms, or a measure that is not a
        finite number.
    """
    check_dataframe("data", data)
    measure = check_name("measure", measure)
    group = check_name("group", group)
    subject = check_name("subject", subject)
    timepoint = check_name("timepoint", timepoint)
    confidence = check_confidence(confidence)
    method = check_option("method", method, METHODS)
    robust = check_flag("robust", robust)
    estimand = check_estimand(estimand)
    check_columns(data, [subject, timepoint, group, measure])
    check_timepoints(data, timepoint, pre, post)
    treatment, control, inferred = resolve_arms(data, group, treatment, control)
    pairs, excluded = _pair_arms(data, measure=measure, group=group, subject=subject,
                                 timepoint=timepoint, pre=pre, post=post,
                                 arms=(treatment, control))  # fmt: skip
    is_t = (pairs["group"] == treatment).to_numpy()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        groups = pd.DataFrame([_describe_arm(pairs[m], label) for label, m in
                               ((treatment, is_t), (control, ~is_t))])  # fmt: skip
        ancova = _ancova(pairs, is_t, (treatment, control), method, robust, confidence)
        table = _summary_table(pairs, is_t, groups, ancova, method, robust, confidence)
    return GroupComparisonResult(
        table=table,
        adjusted_means=ancova.adjusted_means,
        groups=groups,
        model=ancova.model,
        excluded=excluded,
        measure=measure,
        treatment=treatment,
        control=control,
        method=method,
        robust=robust,
        confidence=confidence,
        title=f"Group comparison ({inferred})" if inferred else "Group comparison",
        estimation_notes=tuple(_estimation_notes(groups, ancova, table)),
        estimand=estimand,
    )


# --------------------------------------------------------------------------------------------
# step 1: pair, set aside, check the arms
# --------------------------------------------------------------------------------------------


def _pair_arms(data, *, measure, group, subject, timepoint, pre, post, arms):
    """Complete pairs of the two arms (index subject; columns pre, post, group, change) and
    the ``.excluded`` table; warn about the unpaired subjects of the two arms."""
    paired = pair_long(data, measures=[measure], subject=subject, timepoint=timepoint, pre=pre,
                       post=post, group=group, context="compare_groups")  # fmt: skip
    table = paired.table
    in_arms = table[group].isin(list(arms)).to_numpy()
    arm_of = dict(zip(table[subject], table[group], strict=True))
    excl = in_subject_order(paired.excluded, table[subject])
    excl = excl.loc[np.array([arm_of.get(s) in arms for s in excl["subject"]], dtype=bool)]
    warn_unpaired(excl, pre=pre, post=post, stacklevel=4)
    others = table[~in_arms]
    elsewhere = excluded_frame(
        {"subject": s, "reason": "no-group", "detail": f"{group} = {g!r}"}
        for s, g in zip(others[subject], others[group], strict=True)
    )
    complete = paired.complete(measure)
    complete = complete[complete[group].isin(list(arms)).to_numpy()]
    pairs = pd.DataFrame(
        {
            "pre": complete[f"{measure}_pre"].to_numpy(),
            "post": complete[f"{measure}_post"].to_numpy(),
            "group": complete[group].to_numpy(),
        },
        index=pd.Index(complete[subject].to_numpy(), name=subject),
    )
    pairs["change"] = pairs["post"] - pairs["pre"]
    for label in arms:
        n = int((pairs["group"] == label).sum())
        if n < 2:
            raise ArgumentError(
                f"each arm must have at least 2 subjects with both {pre!r} and {post!r}; "
                f"arm {label!r} has {n}. Check the group labels."
            )
    excluded = excluded_frame(pd.concat([excl, elsewhere], ignore_index=True))
    return pairs, excluded


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


# --------------------------------------------------------------------------------------------
# step 2: the ANCOVA
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ancova:
    """The ANCOVA's contrasts (rows: treatment mean, control mean, difference)."""

    est: np.ndarray
    se: np.ndarray
    ci: np.ndarray
    tval: np.ndarray
    pval: np.ndarray
    df_resid: float
    adjusted_means: pd.DataFrame
    model: pd.DataFrame
    note: str


def _ancova(pairs, is_t, arms, method, robust, confidence) -> _Ancova:
    """OLS of outcome on treatment + baseline: contrasts, adjusted means, model, note."""
    from statsmodels.regression.linear_model import OLS

    outcome = (pairs["change"] if method == "ancova-change" else pairs["post"]).to_numpy(float)
    pre = pairs["pre"].to_numpy()
    base_varies = not no_spread(float(np.std(pre, ddof=1)), pre)
    columns = {"const": 1.0, "treatment": is_t.astype(float)}
    if base_varies:
        columns["baseline"] = pre
    fit = OLS(outcome, pd.DataFrame(columns, index=pairs.index)).fit(
        cov_type="HC3" if robust else "nonrobust", use_t=True
    )
    alpha = 1 - confidence
    mean_base = float(np.mean(pre))
    contrasts = np.array([[1.0, 1.0, mean_base], [1.0, 0.0, mean_base], [0.0, 1.0, 0.0]])
    tt = fit.t_test(contrasts if base_varies else contrasts[:, :2])
    ci = np.asarray(tt.conf_int(alpha=alpha), dtype=float)
    est, se, tval, pval = (np.asarray(v, dtype=float).ravel()
                           for v in (tt.effect, tt.sd, tt.tvalue, tt.pvalue))  # fmt: skip
    params_ci = np.asarray(fit.conf_int(alpha=alpha), dtype=float)
    coef = {
        "estimate": np.asarray(fit.params, dtype=float),
        "se": np.asarray(fit.bse, dtype=float),
        "statistic": np.asarray(fit.tvalues, dtype=float),
        "p_value": np.asarray(fit.pvalues, dtype=float),
        "ci_low": params_ci[:, 0],
        "ci_high": params_ci[:, 1],
    }
    note = ""
    if not base_varies:  # as R's lm: the aliased baseline coefficient is NA
        coef = {k: np.append(v, math.nan) for k, v in coef.items()}
        note = (
            "the baseline does not vary, so it cannot be adjusted for (its coefficient is "
            "missing): the difference is unadjusted"
        )
    undefined = _undefined_inference(fit, outcome, pre, se)
    if undefined:
        note = join_notes(note, f"{undefined}: SEs, CIs, t and p are undefined")
        se = np.full_like(est, math.nan)
        tval = pval = se.copy()
        ci = np.full_like(ci, math.nan)
        for k in ("se", "statistic", "p_value", "ci_low", "ci_high"):
            coef[k] = np.full_like(coef[k], math.nan)
    adjusted_means = pd.DataFrame({"group": list(arms),
                                   "estimate": est[:2], "se": se[:2],
                                   "ci_low": ci[:2, 0], "ci_high": ci[:2, 1]})  # fmt: skip
    model = pd.DataFrame({"term": ["intercept", f"group[{arms[0]}]", "baseline"], **coef})
    return _Ancova(est, se, ci, tval, pval, float(fit.df_resid), adjusted_means, model, note)


def _undefined_inference(fit, outcome: np.ndarray, pre: np.ndarray, se: np.ndarray) -> str:
    """Why the ANCOVA's SEs are undefined ('' when they are fine)."""
    resid = np.asarray(fit.resid, dtype=float)
    if no_spread(float(np.sqrt(np.mean(resid**2))), outcome, pre):
        return "the model fits every subject exactly (no residual variation)"
    if not np.all(np.isfinite(se)):
        return "a standard error is not finite (a subject with leverage 1 under HC3?)"
    return ""


# --------------------------------------------------------------------------------------------
# step 3: the table of quantities
# --------------------------------------------------------------------------------------------


def _summary_table(pairs, is_t, groups, ancova: _Ancova, method, robust, confidence):
    """One row per quantity; every value that cannot be computed is NaN with a note."""
    ct = pairs.loc[is_t, "change"].to_numpy()
    cc = pairs.loc[~is_t, "change"].to_numpy()
    a = ancova
    welch = _welch_row(ct, cc, pairs["pre"].to_numpy(), confidence)
    rows = [
        ("adjusted_difference", a.est[2], a.se[2], a.ci[2, 0], a.ci[2, 1], a.tval[2],
         a.df_resid, a.pval[2], f"ANCOVA {method} ({'HC3' if robust else 'OLS'})", a.note),
        welch,
        _mann_whitney_row(ct, cc),
        _cohen_d_row(groups, constant_change=bool(welch[-1]), confidence=confidence),
        _dppc2_row(pairs, is_t, groups, confidence),
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table[NUMBERS] = table[NUMBERS].astype(float)
    return _no_infinite(table)


def _welch_row(ct, cc, pre, confidence) -> tuple:
    from scipy import stats

    diff = float(np.mean(ct) - np.mean(cc))
    both = np.concatenate([ct, cc, pre])
    if no_spread(float(np.std(ct, ddof=1)), both) and no_spread(float(np.std(cc, ddof=1)), both):
        return ("change_difference", diff, math.nan, math.nan, math.nan, math.nan, math.nan,
                math.nan, "Welch t on change",
                "Welch t undefined: the change does not vary within either arm")  # fmt: skip
    welch = stats.ttest_ind(ct, cc, equal_var=False)
    wci = welch.confidence_interval(confidence)
    return ("change_difference", diff, math.nan, float(wci.low), float(wci.high),
            float(welch.statistic), float(welch.df), float(welch.pvalue), "Welch t on change",
            "")  # fmt: skip


def _mann_whitney_row(ct, cc) -> tuple:
    """Mann-Whitney U and two-sided p (scipy.stats.mannwhitneyu) chosen as R ``wilcox.test``:

    exact when both groups have fewer than 50 values and there are no ties; otherwise the normal
    approximation with continuity correction. U is the statistic of the treatment arm (R's W).
    """
    from scipy import stats

    pooled = np.concatenate([ct, cc])
    ties = len(np.unique(pooled)) < len(pooled)
    exact = len(ct) < 50 and len(cc) < 50 and not ties
    res = stats.mannwhitneyu(ct, cc, use_continuity=True, method="exact" if exact else "asymptotic")
    u, p = float(res.statistic), float(res.pvalue)
    note = "" if np.isfinite(p) else "p undefined: every change is the same"
    return ("mann_whitney", math.nan, math.nan, math.nan, math.nan, u, math.nan, p,
            "Mann-Whitney U on change (U of treatment)", note)  # fmt: skip


def _cohen_d_row(groups, *, constant_change: bool, confidence) -> tuple:
    gt, gc = groups.iloc[0], groups.iloc[1]
    sd_t, sd_c = float(gt["sd_change"]), float(gc["sd_change"])
    if constant_change:  # rounding noise only: the change is constant within each arm
        sd_t = sd_c = 0.0
    d = cohen_d_row(float(gt["mean_change"]), sd_t, int(gt["n"]), float(gc["mean_change"]),
                    sd_c, int(gc["n"]), confidence)  # fmt: skip
    return ("cohen_d_change", d["cohen_d"], math.nan, d["ci_low"], d["ci_high"], d["t"],
            d["dof"], d["p_value"], "Cohen's d on change, pooled SD (noncentral t CI)",
            d["note"])  # fmt: skip


def _dppc2_row(pairs, is_t, groups, confidence) -> tuple:
    gt, gc = groups.iloc[0], groups.iloc[1]
    r_pooled = _pooled_r(pairs, is_t)
    sdt_pre, sdc_pre = float(gt["sd_pre"]), float(gc["sd_pre"])
    pre_values = pairs["pre"].to_numpy()
    if no_spread(sdt_pre, pre_values) and no_spread(sdc_pre, pre_values):
        sdt_pre = sdc_pre = 0.0
    d = dppc2_row(float(gt["mean_pre"]), float(gt["mean_post"]), float(gc["mean_pre"]),
                  float(gc["mean_post"]), sdt_pre, sdc_pre, int(gt["n"]), int(gc["n"]),
                  r_pooled, confidence)  # fmt: skip
    r_text = f"{r_pooled:.3f}" if np.isfinite(r_pooled) else "undefined"
    return ("d_ppc2", d["d_ppc2"], math.sqrt(d["var"]), d["ci_low"], d["ci_high"], math.nan,
            math.nan, math.nan, f"Morris 2008 d_ppc2 (pooled r = {r_text})", d["note"])  # fmt: skip


def _pooled_r(pairs: pd.DataFrame, is_t: np.ndarray) -> float:
    """Pooled within-arm pre-post correlation: within-arm cross-products over within-arm SDs."""
    centred = pairs[["pre", "post"]].copy()
    for mask in (is_t, ~is_t):
        centred.loc[mask] = centred.loc[mask] - centred.loc[mask].mean()
    sxy = float((centred["pre"] * centred["post"]).sum())
    sxx = float((centred["pre"] ** 2).sum())
    syy = float((centred["post"] ** 2).sum())
    n = len(pairs)
    values = pairs[["pre", "post"]].to_numpy()
    if no_spread(math.sqrt(sxx / n), values) or no_spread(math.sqrt(syy / n), values):
        return math.nan  # pre or post constant within both arms: no correlation
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _no_infinite(table: pd.DataFrame) -> pd.DataFrame:
    """Never report inf: NaN, and say so in the row's note."""
    values = table[NUMBERS].to_numpy(dtype=float)
    infinite = np.isinf(values)
    notes = [str(n) for n in table["note"]]
    for i in np.flatnonzero(infinite.any(axis=1)):
        cols = [c for c, bad in zip(NUMBERS, infinite[i], strict=True) if bad]
        notes[i] = join_notes(notes[i], f"{', '.join(cols)} not finite (degenerate data)")
    values[infinite] = math.nan
    table[NUMBERS] = values
    table["note"] = notes
    return table


def _estimation_notes(groups: pd.DataFrame, ancova: _Ancova, table: pd.DataFrame) -> list[str]:
    r = groups["r_prepost"].to_numpy(dtype=float)
    notes = [
        f"r_prepost of arm {label!r} undefined: its pre or post scores do not vary."
        for label, finite in zip(groups["group"], np.isfinite(r), strict=True)
        if not finite
    ]
    if ancova.note:
        notes.append(f"ANCOVA: {ancova.note}.")
    notes += [f"{q}: {n}." for q, n in zip(table["quantity"], table["note"], strict=True)
              if n and q != "adjusted_difference"]  # fmt: skip
    return notes
