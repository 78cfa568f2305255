"""Within-subject change between two timepoints: ``compare_prepost``.

Paired t (``scipy.stats.ttest_rel``), Wilcoxon signed-rank with R's defaults
(``scipy.stats.wilcoxon``), and the paired effect sizes of Lakens (2013) with their
confidence intervals (hand-written: pingouin has d_z only, without the r-aware interval).

Data are long, one row per subject and timepoint, paired by subject through
``past_outcomes._long.pair_long``; subjects lacking a value at one of the timepoints are
warned about and listed in ``.excluded``, never dropped silently. Differences are
``post - pre``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_timepoints
from past_outcomes._long import no_spread, pair_long
from past_outcomes.errors import ArgumentError
from past_outcomes.results import ResultBase
from past_outcomes.stats._common import (
    check_confidence,
    check_name,
    in_subject_order,
    nct_ci,
    warn_unpaired,
)

__all__ = ["PrePostResult", "compare_prepost"]

#: The columns of ``PrePostResult.table`` (``p_holm``, ``p_fdr_bh`` follow ``hedges_gav_ci_high``
#: with more than one measure; ``note`` is last).
COLUMNS = [
    "measure", "n", "n_unpaired", "n_no_data",
    "mean_pre", "sd_pre", "mean_post", "sd_post", "mean_diff", "ci_low", "ci_high",
    "t", "dof", "p_value", "wilcoxon_p", "r_prepost",
    "cohen_dz", "cohen_dz_ci_low", "cohen_dz_ci_high",
    "cohen_dav", "cohen_dav_ci_low", "cohen_dav_ci_high",
    "cohen_drm", "cohen_drm_ci_low", "cohen_drm_ci_high",
    "hedges_gav", "hedges_gav_ci_low", "hedges_gav_ci_high",
]  # fmt: skip


@dataclass(frozen=True, eq=False, repr=False)
class PrePostResult(ResultBase):
    """Paired comparison of ``post`` with ``pre``, one row per measure.

    Attributes
    ----------
    table : DataFrame
        One row per measure; columns documented in :func:`compare_prepost`.
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``): ``no-pre`` / ``no-post`` (a value at
        one timepoint only) and ``no-data`` (rows at pre or post but neither value, e.g. an
        instrument not given to them); ``detail`` names the measure.
    measures : tuple of str
        The measures compared, in the order of the table.
    pre, post : scalar
        The two timepoints compared.
    confidence : float
        Level of every confidence interval.
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    measures: tuple[str, ...]
    pre: Any
    post: Any
    confidence: float
    title: str = "Pre/post comparison"
    estimation_notes: tuple[str, ...] = field(default_factory=tuple)

    def notes(self) -> list[str]:
        return [
            f"Differences are post - pre ({self.post!r} - {self.pre!r}), paired by subject; "
            f"{100 * self.confidence:g}% CIs.",
            "Paired t (scipy ttest_rel); Wilcoxon signed-rank as R wilcox.test; effect sizes "
            "of Lakens (2013): d_z with an exact noncentral-t CI, d_av, d_rm and g_av with "
            "r-aware large-sample CIs.",
            *self.estimation_notes,
        ]


def compare_prepost(
    data: pd.DataFrame,
    *,
    measure: str | Sequence[str],
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    confidence: float = 0.95,
) -> PrePostResult:
    """Paired comparison of ``post`` with ``pre`` for each measure, with paired effect sizes.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per subject and timepoint.
    measure : str or list of str
        Numeric column(s) to compare; one table row each.
    subject, timepoint : str
        Columns identifying the subject and the timepoint.
    pre, post : scalar
        The two values of ``timepoint`` to compare; differences are ``post - pre``.
    confidence : float
        Level of every confidence interval.

    Returns
    -------
    PrePostResult
        ``.table``, one row per measure:

        ``measure, n`` (complete pairs), ``n_unpaired`` (subjects with only one of the two
        values), ``n_no_data`` (subjects with rows at pre or post but neither value; both
        kinds are listed by id in ``.excluded``), ``mean_pre, sd_pre, mean_post, sd_post,
        mean_diff`` (post - pre) with ``ci_low, ci_high`` (t interval), ``t, dof, p_value``
        (paired t, ``scipy.stats.ttest_rel``), ``wilcoxon_p`` (``scipy.stats.wilcoxon``,
        exact or corrected normal approximation as R's ``wilcox.test``), ``r_prepost``
        (Pearson r of pre and post), and the effect sizes of Lakens (2013), each with
        ``_ci_low`` / ``_ci_high``:

        - ``cohen_dz`` = mean_diff / SD(diff). CI exact: the noncentral t
          (``scipy.stats.nct``) inverted at t = d_z sqrt(n) with n - 1 df, divided by sqrt(n).
        - ``cohen_dav`` = mean_diff / ((sd_pre + sd_post) / 2) (arithmetic mean of the SDs, as
          Lakens and R MOTE; pingouin's paired "cohen" uses the root mean square instead).
        - ``cohen_drm`` = d_z sqrt(2 (1 - r)).
        - ``hedges_gav`` = d_av (1 - 3 / (4 (n - 1) - 1)); its CI is d_av's CI times that
          factor.

        The CIs of d_av and d_rm are large-sample intervals d +/- t(n-1, 1 - alpha/2) SE with
        the r-aware SE = sqrt((1/n + d**2/(2n)) (2 - 2r)) (as R
        ``effsize::cohen.d(paired=TRUE)``; pingouin's ``compute_esci(paired=True)`` omits the
        (2 - 2r) factor). They are approximate; d_z's is exact.

        With more than one measure, ``p_holm`` and ``p_fdr_bh`` adjust ``p_value`` across
        measures (``statsmodels.stats.multitest.multipletests``).

        ``note`` (last column, also in ``notes()``) names every statistic of the row that is
        missing and why: fewer than 2 pairs; a difference post - pre that is the same for
        every subject (its SD is 0, so t and d_z are undefined); pre or post scores that do
        not vary (no r); no non-zero difference (no Wilcoxon test); a noncentral t that
        cannot be inverted.

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
        A subject has two rows at one timepoint (``duplicate-observation``), an identifier is
        missing (``missing-value``), or a measure is not a finite number.
    """
    check_dataframe("data", data)
    measures = _check_measures(measure)
    subject = check_name("subject", subject)
    timepoint = check_name("timepoint", timepoint)
    confidence = check_confidence(confidence)
    check_columns(data, [subject, timepoint, *measures])
    check_timepoints(data, timepoint, pre, post)
    paired = pair_long(data, measures=measures, subject=subject, timepoint=timepoint,
                       pre=pre, post=post, context="compare_prepost")  # fmt: skip
    excluded = in_subject_order(paired.excluded, paired.table[subject])
    records = []
    for m in measures:
        x, y = (paired.complete(m)[f"{m}_{when}"].to_numpy() for when in ("pre", "post"))
        records.append(_measure_row(m, x, y, excluded, confidence))
    warn_unpaired(excluded, pre=pre, post=post, stacklevel=3)
    table = _assemble(records, several=len(measures) > 1)
    notes = [f"{m}: {n}." for m, n in zip(table["measure"], table["note"], strict=True) if n]
    return PrePostResult(
        table=table,
        excluded=excluded,
        measures=tuple(measures),
        pre=pre,
        post=post,
        confidence=confidence,
        estimation_notes=tuple(notes),
    )


def _check_measures(measure: Any) -> list[str]:
    if isinstance(measure, str) and measure:
        return [measure]
    if (
        isinstance(measure, Sequence)
        and not isinstance(measure, str)
        and measure
        and all(isinstance(m, str) and m for m in measure)
    ):
        if len(set(measure)) != len(measure):
            raise ArgumentError(f"measure must not repeat a column; got {list(measure)!r}.")
        return list(measure)
    raise ArgumentError(
        f"measure must be a column name or a non-empty list of column names; got {measure!r}."
    )


# --------------------------------------------------------------------------------------------
# one measure
# --------------------------------------------------------------------------------------------


def _measure_row(
    measure: str, x: np.ndarray, y: np.ndarray, excluded: pd.DataFrame, confidence: float
) -> dict[str, Any]:
    """The table row of one measure from its complete pairs ``x`` (pre) and ``y`` (post)."""
    mine = excluded[excluded["detail"] == measure]["reason"]
    n = len(x)
    rec: dict[str, Any] = {
        "measure": measure,
        "n": n,
        "n_unpaired": int(mine.isin(["no-pre", "no-post"]).sum()),
        "n_no_data": int((mine == "no-data").sum()),
    }
    if n < 2:
        rec["note"] = f"{n} complete pair(s): every statistic needs at least 2, so all are missing"
        return rec
    rec.update(
        mean_pre=float(np.mean(x)),
        sd_pre=float(np.std(x, ddof=1)),
        mean_post=float(np.mean(y)),
        sd_post=float(np.std(y, ddof=1)),
        mean_diff=float(np.mean(y - x)),
    )
    effects, notes = _paired_effect_sizes(x, y, confidence)
    rec.update(_paired_t(x, y, confidence))
    rec["wilcoxon_p"] = _wilcoxon_p(y - x)
    if not np.isfinite(rec["wilcoxon_p"]):
        notes.append("wilcoxon_p undefined: every difference post - pre is 0")
    rec.update(effects)
    rec["note"] = "; ".join(notes)
    return rec


def _paired_t(x: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, float]:
    """Paired t of post - pre (scipy.stats.ttest_rel); nothing when the difference is constant
    (the caller's notes say why)."""
    from scipy import stats

    if no_spread(float(np.std(y - x, ddof=1)), x, y):
        return {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_rel(y, x)
        ci = res.confidence_interval(confidence)
    return {
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "t": float(res.statistic),
        "dof": float(res.df),
        "p_value": float(res.pvalue),
    }


def _assemble(records: list[dict[str, Any]], *, several: bool) -> pd.DataFrame:
    """The table from the rows: every column present, floats as floats, p adjusted."""
    out = pd.DataFrame.from_records(records).reindex(columns=[*COLUMNS, "note"])
    float_cols = COLUMNS[4:]
    out[float_cols] = out[float_cols].astype(float)
    out["note"] = out["note"].fillna("").astype(str)
    if several:
        out.insert(len(COLUMNS), "p_holm", _adjust(out["p_value"], "holm"))
        out.insert(len(COLUMNS) + 1, "p_fdr_bh", _adjust(out["p_value"], "fdr_bh"))
    return out


def _adjust(p: pd.Series, method: str) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    values = p.to_numpy(dtype=float)
    out = np.full_like(values, np.nan)
    ok = np.isfinite(values)
    if ok.any():
        out[ok] = multipletests(values[ok], method=method)[1]
    return out


# --------------------------------------------------------------------------------------------
# paired effect sizes (Lakens 2013; hand-written)
# --------------------------------------------------------------------------------------------


def _paired_effect_sizes(
    x: np.ndarray, y: np.ndarray, confidence: float
) -> tuple[dict[str, float], list[str]]:
    """d_z, d_av, d_rm and g_av for paired data (post - pre), each with its CI; and notes
    naming every value that cannot be computed and why."""
    n = len(x)
    diff = y - x
    notes: list[str] = []
    mean_diff = float(np.mean(diff))
    sd_diff = float(np.std(diff, ddof=1))
    sd_pre, sd_post = float(np.std(x, ddof=1)), float(np.std(y, ddof=1))
    pre_varies, post_varies = not no_spread(sd_pre, x), not no_spread(sd_post, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = float(np.corrcoef(x, y)[0, 1]) if pre_varies and post_varies else math.nan
    if not (pre_varies and post_varies):
        notes.append(
            "r_prepost, cohen_drm and the CIs of cohen_dav and hedges_gav undefined: the "
            f"{'pre' if not pre_varies else 'post'} scores do not vary"
        )
    out: dict[str, float] = {"r_prepost": r}
    out.update(_cohen_dz(mean_diff, sd_diff, x, y, confidence, notes))
    sd_av = (sd_pre + sd_post) / 2
    if pre_varies or post_varies:
        dav = mean_diff / sd_av
    else:
        dav = math.nan
        notes.append("cohen_dav and hedges_gav undefined: neither pre nor post scores vary")
    drm = out["cohen_dz"] * math.sqrt(2 * (1 - r))
    out.update(_large_sample_ci("cohen_dav", dav, n, r, confidence))
    out.update(_large_sample_ci("cohen_drm", drm, n, r, confidence))
    j = 1 - 3 / (4 * (n - 1) - 1)
    out.update(
        hedges_gav=dav * j,
        hedges_gav_ci_low=out["cohen_dav_ci_low"] * j,
        hedges_gav_ci_high=out["cohen_dav_ci_high"] * j,
    )
    return out, notes


def _cohen_dz(mean_diff, sd_diff, x, y, confidence, notes: list[str]) -> dict[str, float]:
    """d_z with its exact CI from the noncentral t (t = d_z sqrt(n), n - 1 df)."""
    n = len(x)
    if not no_spread(sd_diff, x, y):
        dz = mean_diff / sd_diff
        lo, hi, ci_note = nct_ci(dz * math.sqrt(n), n - 1, confidence)
        if ci_note:
            notes.append(f"cohen_dz {ci_note}")
    else:
        dz = lo = hi = math.nan
        notes.append(
            "t, p_value, ci_low/ci_high, cohen_dz and cohen_drm undefined: post - pre is the "
            f"same ({mean_diff:.6g}) for every subject, so its SD is 0 (d_z would be infinite)"
        )
    return {"cohen_dz": dz, "cohen_dz_ci_low": lo / math.sqrt(n),
            "cohen_dz_ci_high": hi / math.sqrt(n)}  # fmt: skip


def _large_sample_ci(name: str, d: float, n: int, r: float, confidence: float) -> dict:
    """``d +/- t(n-1) * SE`` with the r-aware SE sqrt((1/n + d^2/(2n)) (2 - 2r))."""
    from scipy import stats

    q = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1))
    if np.isfinite(d) and np.isfinite(r):
        half = q * math.sqrt((1 / n + d**2 / (2 * n)) * (2 - 2 * r))
    else:
        half = math.nan
    return {name: d, f"{name}_ci_low": d - half, f"{name}_ci_high": d + half}


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
