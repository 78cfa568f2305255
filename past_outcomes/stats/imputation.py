"""Reference-based imputation by conditional means, with jackknife standard errors.

``compute_reference_imputation`` estimates the treatment effect at each post-baseline
timepoint when the data after an intercurrent event (ICE: discontinuation, rescue
medication, dropout) are imputed under missing at random (MAR) or under a reference-based
assumption: jump to reference (J2R), copy reference (CR) or copy increments in reference
(CIR) (Carpenter, Roger and Kenward 2013, J Biopharm Stat 23:1352-1371), with the
deterministic conditional-mean imputation and leave-one-subject-out jackknife standard errors
of Wolbers et al. (2022, Pharm Stat 21:1246-1257), as R ``rbmi`` does with
``method_condmean(type = "jackknife")`` (see the rbmi vignette "Statistical specifications").

Written by hand: no Python library offers reference-based imputation (R has ``rbmi``, SAS
the "five macros"). The imputation model is the package's MMRM engine (:mod:`._reml`, behind
``fit_mmrm``, validated against R ``nlme::gls``) with its data steps and design, unchanged.

Steps, top to bottom (steps 1-4 live in :mod:`._imputation_model`, shared with the
approximate-Bayesian multiple imputation of :mod:`.multiple_imputation`):

1. :func:`prepare`: arguments and data checked as ``fit_mmrm`` does; the change from baseline
   ``Y`` (subjects x timepoints, NaN where missing); each subject's ICE position ``k`` (the
   first timepoint handled under the strategy).
2. :func:`fit`: the imputation model, an MMRM of the change on ``baseline * timepoint +
   group * timepoint`` (+ covariates) with an unstructured covariance Sigma, fitted by REML on
   the values that are observed and, for J2R/CR/CIR, before the ICE (under MAR every observed
   value enters, as rbmi does).
3. :func:`strategy_means` and :func:`complete`: each subject's joint mean ``mu`` over the timepoints per strategy, from
   ``mu_own = X_i(own group) beta`` and ``mu_ref = X_i(control) beta``:

   * MAR: ``mu = mu_own``;
   * J2R: ``mu_t = mu_own_t`` for ``t < k``, ``mu_ref_t`` for ``t >= k``;
   * CR: ``mu = mu_ref`` at every timepoint for a subject with an ICE (``mu_own`` without
     one: the subject's intermittent missed visits are MAR, as rbmi);
   * CIR: ``mu_t = mu_own_t`` for ``t < k``, ``mu_own_{k-1} + mu_ref_t - mu_ref_{k-1}`` for
     ``t >= k`` (with no timepoint before the ICE, ``k = 0``, the reference mean, as CR);

   then the conditional mean of the missing values ``m`` given the observed ``o`` (every
   observed value, those at or after the ICE too: they stay in the analysis, as rbmi keeps
   them, though not in the fit of step 2):
   ``y_m = mu_m + Sigma_mo Sigma_oo^-1 (y_o - mu_o)``, plus ``delta`` on values imputed at or
   after the ICE. Subjects of the control group have ``mu_own = mu_ref``: every strategy is
   MAR for them.
4. :func:`analyse`: the analysis model, an ANCOVA at each timepoint of the completed change
   on group + baseline (+ covariates) by least squares (rbmi's ``ancova``); the estimate is
   the group coefficient.
5. :func:`_jackknife`: steps 2-4 without each subject in turn (the model refitted each
   time, by Newton steps from the full fit); ``theta_(-i)``,
   ``SE = sqrt((n - 1) / n * sum_i (theta_(-i) - mean theta_(-i))^2)``; normal-based interval
   ``estimate +- z SE`` and two-sided p-value, as rbmi's ``pool`` for the jackknife.

Under MAR the conditional-mean estimate equals the MMRM estimate with the same model
(``fit_mmrm(..., baseline_by_timepoint=True)``): the GLS estimate is the fixed point of least
squares on data completed by their conditional means (the EM argument), as Wolbers et al.
(2022, section 3.3) note; the tests check it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from past_outcomes._checks import check_option
from past_outcomes.errors import (
    EstimationError,
    MMRMConvergenceError,
)
from past_outcomes.estimand import Estimand, check_estimand
from past_outcomes.results import ResultBase
from past_outcomes.stats import _imputation_model as _model
from past_outcomes.stats import _mmrm_data as _data
from past_outcomes.stats import _reml

__all__ = ["compute_reference_imputation", "ReferenceImputationResult", "STRATEGIES"]

_CONTEXT = "compute_reference_imputation"

#: The strategies for the data after an intercurrent event.
STRATEGIES: dict[str, str] = {
    "MAR": "missing at random (the subject's own group's mean)",
    "J2R": "jump to reference (the reference group's mean after the intercurrent event)",
    "CR": "copy reference (the reference group's mean at every timepoint)",
    "CIR": "copy increments in reference (the reference group's increments after the "
    "last visit before the intercurrent event)",
}


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ReferenceImputationResult(_model.DifferencePlot, ResultBase):
    """Result of :func:`compute_reference_imputation`.

    Attributes
    ----------
    table : DataFrame
        One row per post-baseline timepoint and contrast: ``timepoint, contrast, estimate,
        se, z, p_value, ci_low, ci_high``: the treatment difference (``"active - placebo"``)
        in the ANCOVA of the imputed change from baseline, its jackknife SE, the normal
        statistic, two-sided p-value and interval.
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``): ``no-baseline``, ``no-data``,
        ``no-group``, ``missing-covariate``, ``other-timepoint``.
    imputed : DataFrame
        The completed data: ``subject, group, timepoint, change, score, imputed, post_ice``
        (``score`` = baseline + change; ``imputed`` True where the value was imputed;
        ``post_ice`` True at and after the subject's intercurrent event).
    replicates : DataFrame
        The leave-one-subject-out estimates: ``subject, timepoint, contrast, estimate``.
    covariance : DataFrame
        Sigma of the imputation model (change from baseline, timepoints x timepoints).
    strategy, measure, pre, control : str, str, Any, Any
    timepoints, groups, group_sizes : tuple
        Post-baseline timepoints, group levels (control first) and subjects per group.
    n_post_ice_observed : int
        Observed values at or after an intercurrent event. They stay in the analysis and are
        conditioned on; under J2R, CR and CIR they are left out of the imputation model's fit
        (rbmi's rule, "stat_specs" vignette section 3.2.1). To impute them instead, remove
        them from ``data``.
    delta : dict
        Group level -> the value added to every value imputed at or after the ICE.
    confidence : float
    method : str
    estimand : Estimand or None
        The estimand the analysis estimates, as given (printed with the result).
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    imputed: pd.DataFrame
    replicates: pd.DataFrame
    covariance: pd.DataFrame
    strategy: str
    measure: str
    pre: Any
    control: Any
    timepoints: tuple
    groups: tuple
    group_sizes: tuple
    n_post_ice_observed: int
    delta: dict
    confidence: float
    method: str
    data_notes: tuple = ()
    estimand: Estimand | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Conditional-mean imputation ({self.strategy}), change in {self.measure}"

    def notes(self) -> list[str]:
        """Method, strategy and what was imputed."""
        sizes = ", ".join(f"{g!r} {n}" for g, n in zip(self.groups, self.group_sizes, strict=True))
        imp = self.imputed
        post = int((imp["imputed"] & imp["post_ice"]).sum())
        before = int((imp["imputed"] & ~imp["post_ice"]).sum())
        lines = [
            f"Method: {self.method}.",
            f"Strategy for data after an intercurrent event: {self.strategy}, "
            f"{STRATEGIES[self.strategy]}; intermittent missing values before it: MAR.",
            f"Imputed {post} value(s) at or after an intercurrent event and {before} before "
            f"one, in {sum(self.group_sizes)} subjects ({sizes}); "
            f"control group {self.control!r}; {self.confidence:.0%} confidence intervals "
            "(normal, jackknife SE).",
            *self.data_notes,
        ]
        lines += _model.imputation_notes(0, self.n_post_ice_observed, self.strategy, self.delta)
        return lines


def _estimate(
    prob: _model.Problem, keep: np.ndarray, strategy: str, n_groups: int, start=(None, None)
):
    theta, beta, sigma, reml = _model.fit(prob, keep, _CONTEXT, *start)
    Y = _model.complete(prob, keep, beta, sigma, strategy)
    return _model.analyse(prob.A[keep], Y, n_groups), theta, sigma, Y, reml


def _jackknife(prob: _model.Problem, strategy: str, n_groups: int, full_fit) -> np.ndarray:
    """Step 5: leave-one-subject-out estimates, (n, n_groups - 1, T); each refit starts
    from the full data's optimum ``full_fit = (theta, reml)``."""
    theta, reml = full_fit
    start = (theta, _reml.hessian(reml, theta))
    n = len(prob.ids)
    out = np.empty((n, n_groups - 1, prob.Y.shape[1]))
    for i in range(n):
        keep = np.delete(np.arange(n), i)
        try:
            out[i] = _estimate(prob, keep, strategy, n_groups, start)[0]
        except (MMRMConvergenceError, EstimationError) as err:
            raise MMRMConvergenceError(
                f"compute_reference_imputation: the imputation model without subject "
                f"{_data.text(prob.ids[i])} (jackknife replicate {i + 1} of {n}) cannot be "
                f"fitted: {err}"
            ) from None
    return out


# --------------------------------------------------------------------------------------
# public function


def compute_reference_imputation(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    group: str = "group",
    pre: Any,
    control: Any = None,
    treatment: Any = None,
    strategy: str = "J2R",
    intercurrent: str | Mapping[Any, Any] | None = None,
    covariates: Iterable[str] | str = (),
    confidence: float = 0.95,
    delta: float | Mapping[Any, float] = 0.0,
    estimand: Estimand | None = None,
) -> ReferenceImputationResult:
    """Treatment effect by timepoint under MAR, J2R, CR or CIR: conditional-mean imputation.

    Deterministic conditional-mean imputation with leave-one-subject-out jackknife SEs
    (Wolbers et al. 2022; R ``rbmi::method_condmean(type = "jackknife")``) under the
    reference-based assumptions of Carpenter, Roger and Kenward (2013). The module docstring
    gives every formula. Written by hand: no Python library does reference-based imputation.

    Parameters
    ----------
    data : DataFrame
        Long format, as :func:`past_outcomes.fit_mmrm`: one row per subject and timepoint,
        the raw score in ``measure``, the baseline as rows at ``pre``.
    measure, subject, timepoint, group : str
        The score, subject, timepoint and group (arm) columns.
    pre : Any
        The baseline timepoint.
    control : optional
        The reference group (the one J2R, CR and CIR copy). Default: the first level.
    treatment : optional
        When given, the table holds only ``treatment - control``.
    strategy : {"J2R", "CR", "CIR", "MAR"}
        How values at and after each subject's intercurrent event are imputed.
    intercurrent : None, str or mapping
        Each subject's first timepoint after the intercurrent event: a column of ``data``
        (one value per subject, empty for none) or a mapping subject -> timepoint. Default
        None: the ICE is the dropout, so the timepoints after a subject's last observed
        value are handled under the strategy; missing values before it are MAR.
    covariates : str or sequence of str
        Baseline covariates, in the imputation model and in the ANCOVA.
    confidence : float
        Confidence level of the normal-based intervals.
    delta : float or mapping
        Added to every value imputed at or after an ICE (delta adjustment): a number applies
        to every group but the control; a mapping gives a value per group level.
    estimand : Estimand, optional
        The estimand this analysis estimates (:class:`past_outcomes.Estimand`); stored in
        the result and printed with it. Not used in the computation.

    Returns
    -------
    ReferenceImputationResult
        ``table`` (``timepoint, contrast, estimate, se, z, p_value, ci_low, ci_high``),
        ``imputed``, ``replicates``, ``covariance``, ``excluded``, ``notes()``.

    Raises
    ------
    ArgumentError
        A column, level, strategy or timepoint does not match; ``delta`` is not a number.
    DataValidationError
        As :func:`past_outcomes.fit_mmrm` (duplicate rows, non-numeric scores...).
    EstimationError
        No subject can be analysed, or the imputation model is not estimable from the values
        before the intercurrent events.
    MMRMConvergenceError
        The REML fit of the imputation model does not converge.
    """
    check_option("strategy", strategy, STRATEGIES)
    estimand = check_estimand(estimand)
    kw = {k: v for k, v in locals().items() if k != "data"}  # every argument, checked below
    prob, info = _model.prepare(data, kw, _CONTEXT)
    groups, times = info["groups"], info["times"]
    n = len(prob.ids)
    if n < 3:
        raise EstimationError(
            f"compute_reference_imputation needs at least 3 subjects for the jackknife; got {n}."
        )
    everyone = np.arange(n)
    est, theta, sigma, Y, reml = _estimate(prob, everyone, strategy, len(groups))
    reps = _jackknife(prob, strategy, len(groups), (theta, reml))
    centred = reps - reps.mean(axis=0)
    se = np.sqrt((n - 1) / n * np.sum(centred**2, axis=0))
    table = _table(est, se, groups, times, info["spec"].confidence)
    replicates = _replicate_table(reps, prob.ids, groups, times)
    if treatment is not None:
        label = f"{treatment} - {groups[0]}"
        table = table[table["contrast"] == label].reset_index(drop=True)
        replicates = replicates[replicates["contrast"] == label].reset_index(drop=True)
    _model.warn_excluded(info["excluded"], _CONTEXT)
    spec = info["spec"]
    return ReferenceImputationResult(
        table=table,
        excluded=info["excluded"],
        imputed=_model.imputed_table(prob, Y, groups, times),
        replicates=replicates,
        covariance=pd.DataFrame(sigma, index=times, columns=times).rename_axis(
            index="timepoint", columns="timepoint"
        ),
        strategy=strategy,
        measure=spec.measure,
        pre=spec.pre,
        control=groups[0],
        timepoints=tuple(times),
        groups=tuple(groups),
        group_sizes=tuple(int((prob.group_codes == j).sum()) for j in range(len(groups))),
        n_post_ice_observed=info["post_ice_observed"],
        delta=info["delta"],
        confidence=spec.confidence,
        method=(
            "conditional-mean imputation from an MMRM (REML, unstructured covariance, "
            "change ~ baseline * timepoint + group * timepoint), ANCOVA per timepoint on "
            "the completed data, leave-one-subject-out jackknife SEs (Wolbers et al. 2022; "
            'rbmi method_condmean(type = "jackknife"); strategies: Carpenter, Roger and '
            "Kenward 2013)"
        ),
        data_notes=tuple(info["notes"]),
        estimand=estimand,
    )


def _table(est, se, groups: list, times: list, confidence: float) -> pd.DataFrame:
    z_crit = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for k, t in enumerate(times):
        for j, g in enumerate(groups[1:]):
            e, s = float(est[j, k]), float(se[j, k])
            z = e / s if s > 0 else np.nan
            p = float(2 * stats.norm.sf(abs(z))) if s > 0 else np.nan
            rows.append((t, f"{g} - {groups[0]}", e, s, z, p, e - z_crit * s, e + z_crit * s))
    columns = ["timepoint", "contrast", "estimate", "se", "z", "p_value", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


def _replicate_table(reps: np.ndarray, ids: np.ndarray, groups: list, times: list):
    n, G, T = reps.shape
    return pd.DataFrame(
        {
            "subject": np.repeat(ids, G * T),
            "timepoint": pd.Series(list(times) * (n * G), dtype=object).array,
            "contrast": np.tile(np.repeat([f"{g} - {groups[0]}" for g in groups[1:]], T), n),
            "estimate": reps.reshape(-1),
        }
    )
