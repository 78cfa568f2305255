"""Mixed model for repeated measures (MMRM) on long data: ``fit_mmrm`` and ``MMRMResult``.

The model trials report over several post-baseline timepoints: the change from baseline (or
the score itself) at each timepoint after ``pre``, with fixed effects for group, timepoint,
group x timepoint, the baseline score and further baseline covariates; residuals correlated
within subject with an unstructured covariance across timepoints (one variance per
timepoint, one covariance per pair), fitted by restricted maximum likelihood (REML).
Subjects with missed visits contribute the visits they have (missing at random).

``fit_mmrm`` takes the same long data as every other function (one row per subject and
timepoint, the raw score in ``measure``, the baseline as rows at ``pre``) and reads top to
bottom as its steps. The first four turn long data into model rows (module
:mod:`past_outcomes.stats._mmrm_data`): check the arguments; validate the rows in scope
with the shared long-data validation (``_long.validate_long``); one row per subject
(baseline, group and covariates read at ``pre``; the subjects set aside, ``.excluded``);
the outcome (change or score) at each post-baseline timepoint. Then, here:
:func:`_design` (treatment-coded fixed effects in R's term order, and the LS-mean grid),
:func:`_estimate` (the REML fit; engine: :mod:`past_outcomes.stats._reml`),
:func:`_coefficient_table` and :func:`_lsmean_tables` (the tables of the result).

Validated against R: ``nlme::gls(chg ~ base + arm * visit, correlation = corSymm(form = ~
as.integer(visit) | subject), weights = varIdent(form = ~ 1 | visit), method = "REML")`` with
``emmeans(fit, ~ arm | visit, mode = "satterthwaite")`` and ``pairs(..., reverse = TRUE)``;
see ``tests/golden/mmrm/make_golden.R``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import (
    PastOutcomesWarning,
)
from past_outcomes.estimand import Estimand, check_estimand
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.stats import _mmrm_data as _data
from past_outcomes.stats import _reml
from past_outcomes.stats._mmrm_model import (
    _coefficient_table,
    _design,
    _estimate,
    _label,
    _lsmean_tables,
    _Model,
)

__all__ = ["fit_mmrm", "MMRMResult"]


_METHOD_TEXT = "REML GLS, {} covariance, {} df; LS means with equal weights (as emmeans)"
_DF_TEXT = {
    "satterthwaite": "Satterthwaite",
    "kenward-roger": "Kenward-Roger (adjusted SEs)",
}


# --------------------------------------------------------------------------------------
# result


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class MMRMResult(ResultBase):
    """Result of :func:`fit_mmrm`.

    Attributes
    ----------
    table : DataFrame
        The contrasts: each group minus the control group in LS means, at each post-baseline
        timepoint: ``timepoint, contrast, estimate, se, dof, t, p_value, ci_low, ci_high``
        (``contrast`` reads ``"active - placebo"``; two-sided p-value; Satterthwaite
        ``dof``). With ``treatment=`` given, only ``treatment - control``.
    lsmeans : DataFrame
        One row per group and timepoint: ``group, timepoint, estimate, se, dof, ci_low,
        ci_high``. ``estimate`` is the LS mean of the outcome (equal weights over
        categorical covariates, numeric covariates and the baseline at their mean).
    coefficients : DataFrame
        Fixed effects: ``term, estimate, se, dof, t, p_value`` (treatment coding; the
        baseline term is ``<measure>_pre``; a term aliased with others, e.g. a group x
        timepoint cell without data, has NaN throughout, as R reports NA).
    covariance : DataFrame
        Estimated residual covariance Sigma, timepoints x timepoints.
    loglik : float
        REML log-likelihood at the optimum, on the scale of R ``logLik()`` for ``gls``.
    n_subjects, n_observations : int
        Subjects and post-baseline observations that entered the fit.
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``): ``no-baseline``, ``no-post`` (a
        baseline but no later value), ``no-data``, ``no-group``, ``missing-covariate``, and
        ``other-timepoint`` for rows at a timepoint not among ``timepoints``.
    measure, outcome, pre : str, str, Any
        The score column, what was modelled (``"change"`` or ``"score"``) and the baseline
        timepoint.
    control : Any
        The control (reference) level of the group column.
    timepoints, groups : tuple
        Post-baseline timepoints and group levels (control first), in the order used.
    group_sizes : tuple of int
        Subjects analysed per group, aligned with ``groups``.
    baseline_mean : float
        Mean baseline score of the analysed subjects' observations: the value at which LS
        means hold the baseline covariate.
    confidence : float
        Confidence level of the intervals.
    method : str
        How the model was fitted.
    covariance_parameters : DataFrame
        Optimisation-scale covariance parameters with their asymptotic covariance (``theta``
        and one column per parameter), for diagnostics.
    n_iterations : int
        Iterations of the optimiser.
    non_estimable : tuple
        ``(group, timepoint)`` cells whose LS mean is not estimable (no data).
    aliased : tuple
        Fixed-effect terms that are linear combinations of earlier ones.
    data_notes : tuple of str
        What the data preparation noticed (rows without a value, covariates that vary within
        a subject, timepoints without data); shown by :meth:`notes`.
    covariance_structure : str
        The residual covariance structure the tables rest on: the first structure of the
        fallback order that converged.
    structures : DataFrame
        One row per structure of ``covariance`` (in its order): ``structure, n_parameters,
        converged, used, loglik, aic, bic, message`` (``message``: why it failed). AIC and BIC
        count the covariance parameters only, with BIC on the number of subjects, as SAS
        PROC MIXED and R ``mmrm`` do under REML (comparable between structures with the same
        fixed effects; nlme also counts the fixed effects and uses N - p, a constant shift).
    df_method : str
        ``"satterthwaite"`` or ``"kenward-roger"``.
    vcov : DataFrame
        Model-based covariance of the estimable fixed effects, (X' Omega^-1 X)^-1.
    vcov_adjusted : DataFrame or None
        With ``df="kenward-roger"``: the Kenward-Roger adjusted covariance of the fixed
        effects (Kenward and Roger 1997), from which every SE is computed; else None.
    baseline_by_timepoint : bool
        Whether the model has the baseline-by-timepoint interaction.
    estimand : Estimand or None
        The estimand passed to :func:`fit_mmrm`, shown first in ``notes()`` and ``to_html``.
    """

    table: pd.DataFrame
    lsmeans: pd.DataFrame
    coefficients: pd.DataFrame
    covariance: pd.DataFrame
    loglik: float
    n_subjects: int
    n_observations: int
    excluded: pd.DataFrame
    measure: str
    outcome: str
    pre: Any
    control: Any
    timepoints: tuple
    groups: tuple
    group_sizes: tuple
    baseline_mean: float
    confidence: float
    method: str
    covariance_parameters: pd.DataFrame
    n_iterations: int
    non_estimable: tuple = ()
    aliased: tuple = ()
    data_notes: tuple = ()
    covariance_structure: str = "unstructured"
    structures: pd.DataFrame | None = None
    df_method: str = "satterthwaite"
    vcov: pd.DataFrame | None = None
    vcov_adjusted: pd.DataFrame | None = None
    baseline_by_timepoint: bool = False
    estimand: Estimand | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        what = "change from baseline in" if self.outcome == "change" else "score of"
        return f"MMRM, {what} {self.measure}: differences in LS means by timepoint"

    def notes(self) -> list[str]:
        """Method; what was modelled and on how much data; then anything worth a word."""
        sizes = ", ".join(f"{g!r} {n}" for g, n in zip(self.groups, self.group_sizes, strict=True))
        outcome = (
            f"change in {self.measure} from {self.pre!r}"
            if self.outcome == "change"
            else f"{self.measure} after {self.pre!r}"
        )
        lines = [
            f"Method: {self.method}.",
            f"Outcome: {outcome}, adjusted for {self.measure} at {self.pre!r}"
            f"{' with a slope per timepoint' if self.baseline_by_timepoint else ''} (held at its "
            f"mean, {self.baseline_mean:.4g}, in LS means); {self.n_observations} "
            f"observations from {self.n_subjects} subjects ({sizes}); control group "
            f"{self.control!r}; REML log-likelihood {self.loglik:.6g}; "
            f"{self.confidence:.0%} confidence intervals.",
            *self.data_notes,
        ]
        if self.structures is not None and len(self.structures) > 1:
            lines.append(_structure_note(self.structures))
        if self.non_estimable:
            cells = ", ".join(f"{g}/{t}" for g, t in self.non_estimable)
            lines.append(
                f"Not estimable (no data, or too few values for every term involved), NaN in the "
                f"tables: {cells}."
            )
        unusable = _without_se(self)
        if unusable:
            shown = ", ".join(unusable[:6]) + (", ..." if len(unusable) > 6 else "")
            lines.append(
                f"No standard error for {len(unusable)} estimate(s) ({shown}): the "
                f"{_DF_TEXT[self.df_method].split(' (')[0]} variance was not positive or its df "
                "not finite (too little data for it); NaN in the tables. Try "
                "df='satterthwaite', a simpler covariance, or more data."
            )
        if self.aliased:
            lines.append(
                f"Aliased with earlier terms, so not estimable (NaN in coefficients): "
                f"{', '.join(self.aliased)}."
            )
        return lines

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """LS means by timepoint and group with their confidence intervals; returns the Axes.

        One line per group, dodged sideways, from ``pre`` to the last timepoint. At ``pre``
        each line starts at 0 for ``outcome="change"`` and at the mean baseline score (where
        the LS means hold it) for ``outcome="score"``. The legend gives each group's number
        of analysed subjects. ``kwargs`` go to ``Axes.errorbar``.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4.2))
        times = [self.pre, *self.timepoints]
        start = 0.0 if self.outcome == "change" else self.baseline_mean
        offsets = (np.arange(len(self.groups)) - (len(self.groups) - 1) / 2) * 0.08
        markers = "osD^v<>p"
        for i, (g, n) in enumerate(zip(self.groups, self.group_sizes, strict=True)):
            ls = self.lsmeans.iloc[i :: len(self.groups)]  # rows are timepoint x group
            est = ls["estimate"].to_numpy()
            x = np.arange(len(times)) + offsets[i]
            err = np.vstack([np.r_[0.0, est - ls["ci_low"]], np.r_[0.0, ls["ci_high"] - est]])
            style = {"marker": markers[i % len(markers)], "capsize": 3, **kwargs}
            ax.errorbar(x, np.r_[start, est], yerr=err, label=f"{g} (n = {n})", **style)
        if self.outcome == "change":
            ax.axhline(0, color="grey", lw=0.8, ls=":")
        ax.set_xticks(range(len(times)), [str(t) for t in times])
        what = "change from baseline in " if self.outcome == "change" else ""
        ax.set_ylabel(f"LS mean {what}{self.measure}")
        ax.set_title(f"MMRM LS mean {what}{self.measure} ({self.confidence:.0%} CI)")
        ax.legend(frameon=False)
        return ax


# --------------------------------------------------------------------------------------
# public function


def fit_mmrm(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    group: str = "group",
    pre: Any,
    control: Any = None,
    treatment: Any = None,
    covariates: Iterable[str] | str = (),
    covariance: str | Sequence[str] = "unstructured",
    outcome: str = "change",
    timepoints: Sequence[Any] | None = None,
    confidence: float = 0.95,
    df: str = "satterthwaite",
    baseline_by_timepoint: bool = False,
    estimand: Estimand | None = None,
) -> MMRMResult:
    """Fit a mixed model for repeated measures; report LS means and group differences.

    Takes long data, as every function of the package: one row per subject and timepoint,
    the raw score in ``measure``, the baseline as rows at ``pre``. The baseline covariate
    (the score at ``pre``) and, for ``outcome="change"``, the change from baseline at each
    later timepoint are derived here; the rows at ``pre`` are not outcomes.

    Written by hand because statsmodels has no linear model with an unstructured residual
    covariance fitted by REML (MixedLM keeps the residual as sigma^2 I). Validated against R
    ``nlme::gls(chg ~ base + arm * visit, correlation = corSymm(form = ~ as.integer(visit) |
    subject), weights = varIdent(form = ~ 1 | visit), method = "REML")`` followed by
    ``emmeans(fit, ~ arm | visit, mode = "satterthwaite")`` and ``pairs(..., reverse =
    TRUE)``: estimates and standard errors agree to 1e-4 relative, Satterthwaite df to 1 %,
    and the log-likelihood to 1e-6 (``tests/golden/mmrm/make_golden.R``).

    Parameters
    ----------
    data : DataFrame
        Long format: one row per subject and timepoint. Missed visits are absent rows or
        rows with a missing ``measure``; they are assumed missing at random.
    measure : str
        The score column (the raw score at each timepoint, baseline included).
    subject, timepoint, group : str
        Subject, timepoint and group (arm) columns. A subject's group is read from any of
        its rows (it must be the same on all of them).
    pre : Any
        The baseline timepoint, a value of the ``timepoint`` column.
    control : optional
        The control (reference) level of ``group``; differences are each other level
        minus this one. Default: the first level (category order, else sorted).
    treatment : optional
        When given, the table holds only ``treatment - control`` (every group still enters
        the model and its covariance).
    covariates : str or sequence of str
        Baseline covariates, read on each subject's row at ``pre``: numeric columns enter
        linearly, other columns as factors (treatment coding).
    covariance : str or sequence of str
        Residual covariance across timepoints within subject: ``"unstructured"``,
        ``"toeplitz"``, ``"heterogeneous-ar1"``, ``"ar1"``,
        ``"heterogeneous-compound-symmetry"`` or ``"compound-symmetry"`` (SAS ``UN``, ``TOEP``,
        ``ARH(1)``, ``AR(1)``, ``CSH``, ``CS``; AR lags count positions in ``timepoints``, so
        they suit equally spaced visits). A list is a pre-specified fallback order, as a
        statistical analysis plan writes it, e.g. ``["unstructured", "toeplitz",
        "heterogeneous-ar1", "compound-symmetry"]``: every structure in it is fitted, the
        first that converges is used, and the fallback is reported, never silent
        (``covariance_structure``, ``structures`` with AIC/BIC per structure, a note and a
        warning).
    outcome : {"change", "score"}
        Model the change from ``pre`` (default) or the post-baseline score itself; either
        way adjusted for the baseline score, so the differences between groups are the same
        and the LS means differ by the mean baseline.
    timepoints : sequence, optional
        The post-baseline timepoints to analyse, in order. Default: every timepoint other
        than ``pre``, in category order if ``timepoint`` is categorical, else sorted
        (numbers numerically, text in natural order: ``week2`` before ``week12``). Rows at
        other timepoints are set aside (``other-timepoint`` in ``.excluded``).
    confidence : float
        Confidence level of the intervals.
    df : {"satterthwaite", "kenward-roger"}
        Degrees of freedom of every test and interval. ``"kenward-roger"`` (Kenward and
        Roger 1997, SAS ``DDFM=KR``) also replaces each SE by one from the adjusted covariance
        of the fixed effects (``vcov_adjusted``).
    baseline_by_timepoint : bool
        Add the baseline-by-timepoint interaction (a baseline slope per timepoint, the usual
        trial MMRM); LS means still hold the baseline at its mean over the analysed
        observations, as emmeans' reference grid does. Default False keeps one common slope.
    estimand : Estimand, optional
        What the analysis estimates (:class:`past_outcomes.Estimand`); stored on the result,
        which prints it first.

    Returns
    -------
    MMRMResult
        ``table`` (the contrasts: group differences in LS means by timepoint), ``lsmeans``,
        ``coefficients``, ``covariance``, ``loglik``, ``excluded``, ``notes()``, ``plot()``.

    Raises
    ------
    ArgumentError
        A column is missing, an option is unknown, ``pre``, ``control``, ``treatment`` or
        ``timepoints`` do not match the data.
    DataValidationError
        A subject has two rows at one timepoint (``duplicate-observation``); a subject or
        timepoint is missing (``missing-value``); a score or numeric covariate is not a
        finite number (``not-a-number``, ``not-finite``, ``out-of-range``); a subject is in
        two groups (``inconsistent-group``). ``failure_cases`` lists every one.
    EstimationError
        No subject can be analysed, or the outcome has no residual variation.
    MMRMConvergenceError
        The REML optimisation does not converge or the covariance is singular.

    Warns
    -----
    PastOutcomesWarning
        Subjects were set aside (listed in ``excluded``); a group has no data at some
        timepoint (those LS means and differences are NaN).

    Notes
    -----
    The model is ``y ~ <measure>_pre + covariates + group * timepoint`` with
    ``Cov(e_i) = Sigma[timepoints of i]``, ``y`` the change or the score. The REML criterion
    is minimised over the log-Cholesky factor of Sigma with BFGS and an analytic gradient,
    then polished by Newton steps. Each LS mean is ``l' beta`` with ``l`` the design row for
    that group and timepoint, the baseline and numeric covariates at their mean over the
    analysed observations and categorical covariates averaged with equal weights over their
    levels (emmeans' default, SAS LSMEANS). Degrees of freedom are Satterthwaite's,
    ``2 (l'Vl)^2 / (g' A g)``, as in R ``mmrm`` and emmeans' ``mode = "satterthwaite"``.

    Kenward-Roger: Phi_A = Phi + 2 Phi {sum_hj W_hj (Q_hj - P_h Phi P_j - R_hj / 4)} Phi, with
    P, Q, R summed over missingness patterns, W the inverse expected REML information (as
    Kenward and Roger 1997 and pbkrtest; R ``mmrm`` uses the observed one), all in each
    structure's natural (SAS) parameters: Sigma is linear in them for UN, CS and TOEP
    (R = 0, and the result does not depend on how the optimiser parametrises Sigma), while
    AR(1), ARH(1) and CSH keep the second-derivative term R. For one contrast the KR F
    approximation has lambda = 1 and df ``2 / (a'Wa)``, ``a_h = l'Phi P_h Phi l / l'Phi l``.
    Validated for CS against ``pbkrtest::vcovAdj`` / ``emmeans(lmer.df = "kenward-roger")``
    on the random-intercept ``lmer`` model (SEs, df and the adjusted covariance to 1e-8), for
    UN and AR(1) against a dense implementation of the published formulas in the tests; the
    other structures against ``nlme::gls`` (``tests/golden/mmrm_kr/make_golden.R``).
    """
    spec = _data.check_arguments(
        data,
        measure=measure,
        subject=subject,
        timepoint=timepoint,
        group=group,
        pre=pre,
        control=control,
        treatment=treatment,
        covariates=covariates,
        covariance=covariance,
        outcome=outcome,
        timepoints=timepoints,
        confidence=confidence,
        df=df,
        baseline_by_timepoint=baseline_by_timepoint,
    )
    estimand = check_estimand(estimand)
    rows, other = _data.validate(data, spec)
    subjects, excluded, notes = _data.subjects(rows, spec)
    excluded = excluded_frame(pd.concat([excluded, other], ignore_index=True))
    obs, more_notes = _data.observations(rows, subjects, spec, excluded)
    time_levels = _data.time_levels(data[spec.timepoint], obs["timepoint"], spec)
    group_levels = _data.group_levels(data[spec.group], obs["group"], spec)
    model = _design(obs, spec, group_levels, time_levels)
    fit, structures = _estimate(model, obs, spec, time_levels)
    alpha = 1.0 - spec.confidence
    lsmeans, contrasts, non_estimable = _lsmean_tables(model, fit, group_levels, time_levels, alpha)
    if spec.treatment is not None:
        contrasts = contrasts[contrasts["contrast"] == _label(spec.treatment, group_levels[0])]
    _warn(excluded, non_estimable, structures)
    counts = obs.drop_duplicates("subject")["group"]
    return MMRMResult(
        table=contrasts.reset_index(drop=True),
        lsmeans=lsmeans,
        coefficients=_coefficient_table(model.names, model.keep, fit, alpha),
        covariance=pd.DataFrame(
            fit.sigma,
            index=pd.Index(time_levels, name="timepoint"),
            columns=pd.Index(time_levels, name="timepoint"),
        ),
        loglik=float(-0.5 * fit.criterion),
        n_subjects=int(obs["subject"].nunique()),
        n_observations=len(obs),
        excluded=excluded,
        measure=spec.measure,
        outcome=spec.outcome,
        pre=spec.pre,
        control=group_levels[0],
        timepoints=tuple(time_levels),
        groups=tuple(group_levels),
        group_sizes=tuple(int(sum(_data.same(v, g) for v in counts)) for g in group_levels),
        baseline_mean=float(obs["baseline"].mean()),
        confidence=spec.confidence,
        method=_METHOD_TEXT.format(fit.structure.name, _DF_TEXT[spec.df]),
        covariance_parameters=_theta_table(fit, time_levels),
        n_iterations=fit.n_iterations,
        non_estimable=tuple(non_estimable),
        aliased=tuple(n for j, n in enumerate(model.names) if j not in set(model.keep)),
        data_notes=tuple(notes + more_notes),
        covariance_structure=fit.structure.name,
        structures=structures,
        df_method=spec.df,
        **_vcov_tables(model, fit),
        baseline_by_timepoint=spec.baseline_by_timepoint,
        estimand=estimand,
    )


def _theta_table(fit: _reml.Fit, time_levels: list) -> pd.DataFrame:
    names = fit.structure.names(time_levels)
    table = pd.DataFrame(fit.theta_vcov, index=names, columns=names)
    table.insert(0, "theta", fit.theta)
    return table


def _vcov_tables(model: _Model, fit: _reml.Fit) -> dict[str, pd.DataFrame | None]:
    kept = [model.names[j] for j in model.keep]
    adjusted = None if fit.kr is None else pd.DataFrame(fit.kr.vcov, index=kept, columns=kept)
    return {"vcov": pd.DataFrame(fit.vcov, index=kept, columns=kept), "vcov_adjusted": adjusted}


def _structure_note(structures: pd.DataFrame) -> str:
    used = structures.loc[structures["used"], "structure"].iloc[0]
    failed = structures.loc[~structures["converged"], "structure"].tolist()
    fits = ", ".join(
        f"{r.structure} {r.aic:.1f}/{r.bic:.1f}" for r in structures.itertuples() if r.converged
    )
    before = structures.index[structures["used"]][0]
    fell = (
        f"fell back to {used} after {', '.join(structures['structure'][:before])} failed to "
        "converge"
        if before
        else f"used {used}, the first in the order"
    )
    return (
        f"Covariance structure: {fell} (fallback order "
        f"{' > '.join(structures['structure'])}); AIC/BIC {fits}"
        f"{'; not converged: ' + ', '.join(failed) if failed else ''}."
    )


def _without_se(result: MMRMResult) -> list[str]:
    """Labels of the estimates that have a value but no standard error."""
    labels = []
    for name, table, key in (
        ("difference", result.table, ["contrast", "timepoint"]),
        ("LS mean", result.lsmeans, ["group", "timepoint"]),
        ("coefficient", result.coefficients, ["term"]),
    ):
        gone = table["estimate"].notna() & table["se"].isna()
        for _, row in table[gone].iterrows():
            labels.append(f"{name} " + "/".join(str(row[k]) for k in key))
    return labels


def _warn(excluded: pd.DataFrame, non_estimable: list, structures: pd.DataFrame) -> None:
    """Warn about a fallback, subjects set aside and cells without data."""
    if not structures["used"].iloc[0]:
        warnings.warn(
            "fit_mmrm: " + _structure_note(structures).replace("Covariance structure: ", ""),
            PastOutcomesWarning,
            stacklevel=3,
        )
    if non_estimable:
        cells = ", ".join(f"{g!r} at {t!r}" for g, t in non_estimable[: _data.SHOWN])
        warnings.warn(
            f"fit_mmrm: not estimable for {cells}"
            f"{', ...' if len(non_estimable) > _data.SHOWN else ''} (no data there, or too few "
            "values to estimate every term involved); those LS means and differences are "
            "reported as NaN.",
            PastOutcomesWarning,
            stacklevel=3,
        )
    aside = excluded[excluded["reason"] != "other-timepoint"]
    if len(aside):
        ids = list(pd.unique(aside["subject"]))
        counts = ", ".join(f"{n} {r}" for r, n in aside["reason"].value_counts().items())
        shown = ", ".join(_data.text(v) for v in ids[: _data.SHOWN]) + (
            ", ..." if len(ids) > _data.SHOWN else ""
        )
        warnings.warn(
            f"fit_mmrm: {len(ids)} subject(s) set aside ({counts}): {shown}. They are listed "
            "in result.excluded; the model uses every other subject's visits.",
            PastOutcomesWarning,
            stacklevel=3,
        )
