"""Responder rates between two arms.

Public functions
----------------
compare_responders   from subject-level data (one row per subject, a True/False column)
compare_proportions  from summary counts (e.g. MAPP2: 45/52 vs 29/42)

Both return a :class:`ResponderComparisonResult`: the rates per arm with Wilson CIs, the risk
difference (Newcombe), relative risk, odds ratio, NNT (Altman 1998), Fisher's exact and
chi-square tests. Differences are ``treatment - control``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_option
from past_outcomes._long import validate_long
from past_outcomes.errors import ArgumentError, DataValidationError
from past_outcomes.estimand import Estimand, check_estimand
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.stats._common import check_confidence, check_name, resolve_arms

__all__ = ["ResponderComparisonResult", "compare_proportions", "compare_responders"]

MISSING = ("exclude", "non-responder")


@dataclass(frozen=True, eq=False, repr=False)
class ResponderComparisonResult(ResultBase):
    """Responder rates in two arms and their comparison.

    Attributes
    ----------
    table : DataFrame
        ``quantity, estimate, ci_low, ci_high, statistic, p_value, method, note``:
        ``risk_difference`` (treatment - control, Newcombe hybrid score CI),
        ``relative_risk`` (log CI), ``odds_ratio`` (sample OR, logit CI), ``nnt`` (1 / RD; see
        ``nnt_text``), ``fisher_exact``, ``chi_square`` (Pearson, no correction) and
        ``chi_square_yates``.
    arms : DataFrame
        ``group, responders, n, percent, ci_low, ci_high`` (Wilson CI of the proportion, in
        percent), ``n_missing`` and ``denominator`` (a sentence saying who is counted).
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``): ``missing-response`` (outcome
        missing, with ``missing="exclude"``) and ``no-group`` (a row of another arm, or
        without an arm). Empty for ``compare_proportions``.
    nnt_text : str
        The NNT and its CI in words (Altman 1998: "NNTB a to infinity to NNTH b" when the RD
        CI crosses 0).
    treatment, control : scalar
        The arms compared.
    missing : str
        How missing outcomes were handled (``"exclude"``, ``"non-responder"``, or
        ``"counts"`` for summary counts).
    confidence : float
        Level of every confidence interval.
    estimand : Estimand or None
        The estimand passed to :func:`compare_responders`, shown first in ``notes()``.
    """

    table: pd.DataFrame
    arms: pd.DataFrame
    excluded: pd.DataFrame
    nnt_text: str
    treatment: Any
    control: Any
    missing: str
    confidence: float
    title: str = "Responder comparison"
    estimand: Estimand | None = None

    def notes(self) -> list[str]:
        lines = [f"NNT: {self.nnt_text}."]
        arms, table = self.arms, self.table
        lines += [f"{g!s}: {d}" for g, d in zip(arms["group"], arms["denominator"], strict=True)]
        lines += [f"{q}: {n}." for q, n in zip(table["quantity"], table["note"], strict=True)
                  if n and q != "nnt"]  # fmt: skip
        return lines

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Responder rate of each arm (percent) with its Wilson CI; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4, 3.5))
        arms = self.arms
        x = np.arange(len(arms))
        pct = arms["percent"].to_numpy(dtype=float)
        err = np.vstack(
            [pct - arms["ci_low"].to_numpy(float), arms["ci_high"].to_numpy(float) - pct]
        )
        style = {"fmt": "o", "capsize": 6, "markersize": 7, **kwargs}
        ax.errorbar(x, pct, yerr=err, **style)
        for xi, p, row in zip(x, pct, arms.itertuples(), strict=True):
            ax.annotate(f"{row.responders}/{row.n}", (xi, p), xytext=(8, 0),
                        textcoords="offset points", va="center")  # fmt: skip
        ax.set_xticks(x, [str(g) for g in arms["group"]])
        ax.set_xlim(-0.6, len(arms) - 0.4)
        ax.set_ylim(0, 100)
        ax.set_ylabel("responders (%)")
        ax.set_title(f"Responder rate, {100 * self.confidence:g}% Wilson CI")
        return ax


# --------------------------------------------------------------------------------------------
# compare_proportions
# --------------------------------------------------------------------------------------------


def compare_proportions(
    *,
    count_treatment: int,
    n_treatment: int,
    count_control: int,
    n_control: int,
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

    ``treatment`` and ``control`` are the labels of the arms in ``.arms``.
    """
    confidence = check_confidence(confidence)
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
    xt, nt, xc, nc = (int(v) for v in counts.values())
    arms = pd.DataFrame(
        [_arm_row(treatment, xt, nt, confidence), _arm_row(control, xc, nc, confidence)]
    )
    arms["n_missing"] = 0
    arms["denominator"] = [f"{n} subjects counted (summary counts)" for n in arms["n"]]
    table, nnt_text = _two_by_two(xt, nt, xc, nc, confidence)
    return ResponderComparisonResult(
        table=table,
        arms=arms,
        excluded=excluded_frame(),
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
    """The table of quantities of a 2 x 2 table, and the NNT in words."""
    from scipy import stats
    from statsmodels.stats.contingency_tables import Table2x2
    from statsmodels.stats.proportion import confint_proportions_2indep

    alpha = 1 - confidence
    table = np.array([[xt, nt - xt], [xc, nc - xc]])
    rd = xt / nt - xc / nc
    rd_lo, rd_hi = map(float, confint_proportions_2indep(
        xt, nt, xc, nc, method="newcomb", compare="diff", alpha=alpha
    ))  # fmt: skip
    zero = "a zero cell: estimate or CI undefined" if (table == 0).any() else ""
    if zero:
        rr = rr_lo = rr_hi = odds = or_lo = or_hi = math.nan
        if xc > 0:
            rr = (xt / nt) / (xc / nc)
    else:
        t2 = Table2x2(table)
        rr, odds = float(t2.riskratio), float(t2.oddsratio)
        rr_lo, rr_hi = map(float, t2.riskratio_confint(alpha=alpha))
        or_lo, or_hi = map(float, t2.oddsratio_confint(alpha=alpha))
    nnt, nnt_lo, nnt_hi, nnt_text = _nnt(rd, rd_lo, rd_hi, confidence)
    fisher_p = float(stats.fisher_exact(table).pvalue)
    chi_note = ""
    if (table.sum(axis=0) == 0).any():
        chi_p = chi_y = chi_stat = chi_y_stat = math.nan
        chi_note = "undefined: no " + ("responders" if xt + xc == 0 else "non-responders")
        chi_note += " in either arm (an expected count of 0)"
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
             "Pearson chi-square, no correction (= z test)", chi_note),
            ("chi_square_yates", math.nan, math.nan, math.nan, chi_y_stat, chi_y,
             "chi-square with Yates correction (R chisq.test default)", chi_note),
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


# --------------------------------------------------------------------------------------------
# compare_responders
# --------------------------------------------------------------------------------------------


def compare_responders(
    data: pd.DataFrame,
    *,
    responder: str,
    group: str = "group",
    treatment: Any,
    control: Any,
    subject: str | None = "subject",
    missing: str = "exclude",
    confidence: float = 0.95,
    estimand: Estimand | None = None,
) -> ResponderComparisonResult:
    """Compare responder rates between two arms; data have one row per subject.

    Parameters
    ----------
    data : DataFrame
        One row per subject. Rows of other arms, or without an arm, are listed in
        ``.excluded`` (reason ``no-group``).
    responder : str
        Boolean column (bool, nullable "boolean", or 0/1; missing = outcome unknown).
    group : str
        Arm column; ``treatment`` and ``control`` are two of its labels (``control`` is the
        reference level).
    subject : str or None
        Subject id column: a subject appearing twice is a ``DataValidationError``, and
        ``.excluded`` names subjects by it. Pass ``None`` when the data have no such column:
        each row is then one subject, named in ``.excluded`` by its row label.
    missing : {"exclude", "non-responder"}
        "exclude" sets aside subjects with a missing outcome (observed cases; the denominator
        is the number with an outcome, ``n_missing`` says how many were set aside, and
        ``.excluded`` lists them, reason ``missing-response``); "non-responder" counts them as
        non-responders (non-responder imputation; the denominator is everyone in the arm).
    confidence : float
        Level of every confidence interval.
    estimand : Estimand, optional
        What the analysis estimates (:class:`past_outcomes.Estimand`), e.g. discontinuation
        as non-response (composite strategy); stored on the result, which prints it first.

    Returns
    -------
    ResponderComparisonResult
        See ``compare_proportions`` for the statistics; ``.plot()`` draws the rates with
        their CIs.

    Raises
    ------
    ArgumentError
        A column or an arm label is missing, an option is unknown, or an arm has no subject
        with an outcome.
    DataValidationError
        Responder values other than True/False/1/0 (``not-a-number``, ``out-of-range``,
        ``not-finite``), a subject twice (``duplicate-observation``), a missing subject id
        (``missing-value``).
    """
    check_dataframe("data", data)
    responder = check_name("responder", responder)
    group = check_name("group", group)
    if subject is not None:
        subject = check_name("subject", subject)
    missing = check_option("missing", missing, MISSING)
    confidence = check_confidence(confidence)
    estimand = check_estimand(estimand)
    check_columns(data, [group, responder] + ([subject] if subject is not None else []))
    treatment, control, _ = resolve_arms(data, group, treatment, control)
    in_arms = data[group].isin([treatment, control]).to_numpy()
    rows = data.iloc[np.flatnonzero(in_arms)]
    outcome = _validated_outcomes(rows, responder=responder, group=group, subject=subject)
    arms, counts, excluded = _count_arms(rows, outcome, arms=(treatment, control), group=group,
                                         subject=subject, responder=responder, missing=missing,
                                         confidence=confidence)  # fmt: skip
    others = data.iloc[np.flatnonzero(~in_arms)]
    elsewhere = [
        {"subject": s, "reason": "no-group",
         "detail": f"{group} missing" if pd.isna(g) else f"{group} = {g!r}"}
        for s, g in zip(_ids(others, subject), others[group].to_numpy(dtype=object), strict=True)
    ]  # fmt: skip
    xt, nt, xc, nc = counts
    table, nnt_text = _two_by_two(xt, nt, xc, nc, confidence)
    return ResponderComparisonResult(
        table=table,
        arms=arms,
        excluded=excluded_frame([*excluded, *elsewhere]),
        nnt_text=nnt_text,
        treatment=treatment,
        control=control,
        missing=missing,
        confidence=confidence,
        estimand=estimand,
    )


def _ids(rows: pd.DataFrame, subject: str | None) -> list:
    """Subject ids of ``rows`` (their row labels when there is no subject column)."""
    return list(rows[subject]) if subject is not None else list(rows.index)


def _validated_outcomes(rows: pd.DataFrame, *, responder, group, subject) -> np.ndarray:
    """1.0 / 0.0 / NaN per row; raise one DataValidationError listing every bad cell."""
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
    return outcome


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


def _count_arms(rows, outcome, *, arms, group, subject, responder, missing, confidence):
    """Per arm: the rate row, the counts (responders, n) and the subjects set aside."""
    arm = rows[group].to_numpy(dtype=object)
    ids = np.array(_ids(rows, subject), dtype=object)
    arm_rows, counts, excluded = [], [], []
    for label in arms:
        mine = arm == label
        v = outcome[mine]
        n_missing = int(np.isnan(v).sum())
        count = int(np.nansum(v))
        if missing == "exclude":
            n = len(v) - n_missing
            text = (
                f"{n} subjects with an observed outcome; {n_missing} with a missing outcome "
                "excluded"
            )
            excluded += [
                {"subject": s, "reason": "missing-response",
                 "detail": f"{responder} missing (missing='exclude')"}
                for s in ids[mine][np.isnan(v)]
            ]  # fmt: skip
        else:
            n = len(v)
            text = f"all {n} subjects; {n_missing} with a missing outcome counted as non-responders"
        if n < 1:
            raise ArgumentError(
                f"each arm must have at least one subject with an outcome; arm {label!r} has none."
            )
        arm_rows.append({**_arm_row(label, count, n, confidence), "n_missing": n_missing,
                         "denominator": text})  # fmt: skip
        counts += [count, n]
    return pd.DataFrame(arm_rows), counts, excluded
