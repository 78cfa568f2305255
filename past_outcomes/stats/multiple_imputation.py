"""Approximate-Bayesian multiple imputation under MAR, J2R, CR or CIR, pooled by Rubin's rules.

``compute_multiple_imputation`` estimates the treatment effect at each post-baseline
timepoint as R ``rbmi`` does with ``method_approxbayes()`` and ``pool()`` (rbmi vignette
"Statistical specifications"; Wolbers et al. 2022, Pharm Stat 21:1246-1257; the
approximate-Bayesian bootstrap of Little and Rubin 2002, section 10.2.3):

1. The imputation model (the MMRM of :mod:`._imputation_model`, the same as
   ``compute_reference_imputation``'s: change ~ baseline * timepoint + group * timepoint
   (+ covariates), unstructured covariance, REML, on the values before each subject's
   intercurrent event) is refitted on ``n_imputations`` bootstrap samples of subjects,
   stratified by group (rbmi's default ``strata``). Each fit's ``(beta, Sigma)`` is one draw
   of the parameters.
2. For each draw the missing values of the *original* subjects are drawn from their
   conditional normal distribution given the subject's observed values (values observed at or
   after an ICE under J2R/CR/CIR stay, as in rbmi, though they are not in the fit), around the strategy's joint mean (Carpenter, Roger and
   Kenward 2013; the same means as the conditional-mean method); delta is added at and after
   the ICE.
3. Each completed data set is analysed by the ANCOVA per timepoint (change on group +
   baseline + covariates, least squares; rbmi's ``ancova``): estimate ``Q_m``, variance
   ``U_m``, complete-data df ``n - q``.
4. Rubin's rules (Rubin 1987; Little and Rubin 2002, section 5.4): ``Q = mean Q_m``,
   ``W = mean U_m``, ``B = var(Q_m)`` (divisor ``m - 1``), ``T = W + (1 + 1/m) B``; the
   Barnard and Rubin (1999, Biometrika 86:948-955) df ``nu = 1 / (1/nu_old + 1/nu_obs)``,
   ``lambda = (1 + 1/m) B / T``, ``nu_old = (m - 1) / lambda^2``, ``nu_obs = (nu_com + 1) /
   (nu_com + 3) nu_com (1 - lambda)``, with rbmi's ``rubin_df`` limits (``B = 0``:
   ``nu_obs``; ``nu_com`` infinite: ``nu_old``); t-based interval and p-value. Also the
   relative increase in variance ``riv = (1 + 1/m) B / W`` and the fraction of missing
   information ``fmi = (riv + 2 / (nu_old + 3)) / (1 + riv)`` (Rubin 1987, section 3.3;
   van Buuren, Flexible Imputation of Missing Data, 2nd ed., section 2.3.5), with Rubin's
   large-sample df ``nu_old``, so that it is 0 when nothing is missing (R ``mice::pool``
   puts the Barnard-Rubin df there, which leaves ``2 / (nu + 3)`` with complete data).

Written by hand: no Python library offers reference-based imputation, and statsmodels'
only pooling (``statsmodels.imputation.mice.MICE.combine``) works on its own chained-
equation models, is normal-based and has no Barnard-Rubin df.

``compute_responder_imputation`` applies the same imputations to a responder endpoint
(a change of at least ``threshold`` in the improving direction): the risk difference and
its Wald variance in each imputed data set, pooled by Rubin's rules (``nu_com`` infinite);
or, for the composite strategy, every subject with an intercurrent event or a missing value
counted as a non-responder, without imputation (``compare_responders(missing=
"non-responder")``: Newcombe interval, chi-square p-value).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from past_outcomes._checks import check_number, check_option
from past_outcomes.errors import ArgumentError, EstimationError
from past_outcomes.estimand import Estimand, check_estimand
from past_outcomes.results import ResultBase
from past_outcomes.stats import _imputation_model as _model
from past_outcomes.stats.imputation import STRATEGIES

__all__ = [
    "MAX_IMPUTATIONS",
    "RESPONDER_STRATEGIES",
    "MultipleImputationResult",
    "ResponderImputationResult",
    "compute_multiple_imputation",
    "compute_responder_imputation",
]

#: The most imputations accepted (each costs one REML refit and one imputed data set).
MAX_IMPUTATIONS = 10_000

_CONTEXT = "compute_multiple_imputation"
_METHOD = (
    "approximate-Bayesian multiple imputation from an MMRM (REML, unstructured covariance, "
    "change ~ baseline * timepoint + group * timepoint) refitted on bootstrap samples of "
    "subjects stratified by group, random draws from the conditional normal, ANCOVA per "
    "timepoint, Rubin's rules with Barnard-Rubin df (rbmi method_approxbayes and pool; "
    "strategies: Carpenter, Roger and Kenward 2013)"
)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class MultipleImputationResult(_model.DifferencePlot, ResultBase):
    """Result of :func:`compute_multiple_imputation`.

    Attributes
    ----------
    table : DataFrame
        One row per post-baseline timepoint and contrast: ``timepoint, contrast, estimate,
        se, df, t, p_value, ci_low, ci_high, riv, fmi``: the pooled treatment difference
        (``"active - placebo"``) in the ANCOVA of the imputed change from baseline, its
        Rubin's-rules SE, Barnard-Rubin df, t statistic, two-sided p-value and interval, the
        relative increase in variance due to missing data and the fraction of missing
        information.
    lsmeans : DataFrame
        ``timepoint, group, estimate, se, df, ci_low, ci_high``: pooled ANCOVA means of the
        change per group, at the mean of baseline and covariates over all subjects (rbmi's
        ``ancova`` with ``weights = "counterfactual"``, which for this model is the mean of
        the design columns).
    replicates : DataFrame
        Per imputation: ``imputation, timepoint, contrast, estimate, se``.
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``), as
        :func:`~past_outcomes.compute_reference_imputation`.
    covariance : DataFrame
        Sigma of the imputation model fitted to all subjects (change from baseline).
    strategy, measure, pre, control : str, str, Any, Any
    timepoints, groups, group_sizes : tuple
    n_imputations, seed, n_failed : int
        Imputations, the seed of the numpy Generator, bootstrap samples whose fit failed
        and were replaced.
    n_imputed : tuple
        Values imputed per data set at or after an intercurrent event, and before one.
    n_post_ice_observed : int
    delta : dict
    confidence : float
    method : str
    estimand : Estimand or None
        The estimand the analysis estimates, as given.
    """

    table: pd.DataFrame
    lsmeans: pd.DataFrame
    replicates: pd.DataFrame
    excluded: pd.DataFrame
    covariance: pd.DataFrame
    strategy: str
    measure: str
    pre: Any
    control: Any
    timepoints: tuple
    groups: tuple
    group_sizes: tuple
    n_imputations: int
    seed: int
    n_failed: int
    n_imputed: tuple
    n_post_ice_observed: int
    delta: dict
    confidence: float
    method: str
    data_notes: tuple = ()
    estimand: Estimand | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Multiple imputation ({self.strategy}), change in {self.measure}"

    def notes(self) -> list[str]:
        """Method, strategy, imputations and what was imputed."""
        sizes = ", ".join(f"{g!r} {n}" for g, n in zip(self.groups, self.group_sizes, strict=True))
        lines = [
            f"Method: {self.method}.",
            f"Strategy for data after an intercurrent event: {self.strategy}, "
            f"{STRATEGIES[self.strategy]}; intermittent missing values before it: MAR.",
            f"{self.n_imputations} imputations (seed {self.seed}); each imputed "
            f"{self.n_imputed[0]} value(s) at or after an intercurrent event and "
            f"{self.n_imputed[1]} before one, in {sum(self.group_sizes)} subjects ({sizes}); "
            f"control group {self.control!r}; {self.confidence:.0%} confidence intervals "
            "(t, Barnard-Rubin df).",
            *self.data_notes,
        ]
        lines += _model.imputation_notes(
            self.n_failed, self.n_post_ice_observed, self.strategy, self.delta
        )
        return lines


# --------------------------------------------------------------------------------------
# Rubin's rules


def pool_rubin(estimates: np.ndarray, variances: np.ndarray, df_complete: float) -> dict:
    """Rubin's rules with the Barnard-Rubin df over axis 0 (the imputations).

    ``estimates`` and ``variances`` are arrays (m, ...); ``df_complete`` the complete-data
    df (``np.inf`` for a normal-based analysis). Returns a dict of arrays: ``estimate``,
    ``within``, ``between``, ``total``, ``df``, ``riv``, ``lambda``, ``fmi``. Formulas in the
    module docstring (R ``rbmi:::rubin_rules`` and ``rbmi:::rubin_df``; ``fmi`` as Rubin
    1987)."""
    m = estimates.shape[0]
    if m < 2:
        raise ArgumentError(f"Rubin's rules need at least 2 imputations; got {m}.")
    est = estimates.mean(axis=0)
    within = variances.mean(axis=0)
    between = estimates.var(axis=0, ddof=1)
    scale = np.maximum(np.abs(est), np.sqrt(within))
    between = np.where(np.ptp(estimates, axis=0) <= 1e-12 * scale, 0.0, between)  # rounding
    total = within + (1 + 1 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(total > 0, (1 + 1 / m) * between / total, np.nan)
        nu_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if np.isinf(df_complete):
            nu_obs = np.full_like(lam, np.inf)
        else:
            nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = 1.0 / (1.0 / nu_old + 1.0 / nu_obs)
        df = np.where(np.isnan(lam), np.nan, df)
        riv = np.where(within > 0, (1 + 1 / m) * between / within, np.nan)
        fmi = (riv + 2 / (nu_old + 3)) / (1 + riv)
    return {"estimate": est, "within": within, "between": between, "total": total,
            "df": df, "riv": riv, "lambda": lam, "fmi": fmi}  # fmt: skip


def _inference(est, var, df, confidence: float):
    """t statistic, two-sided p-value and interval; NaN where the variance is 0."""
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, est / se, np.nan)
        q = np.where(np.isnan(df), np.nan, stats.t.ppf(0.5 + confidence / 2, np.nan_to_num(df)))
        q = np.where(np.isinf(df), stats.norm.ppf(0.5 + confidence / 2), q)
        p = np.where(np.isinf(df), 2 * stats.norm.sf(np.abs(t)), 2 * stats.t.sf(np.abs(t), df))
    half = np.where(se > 0, q * se, np.nan)
    return se, t, p, est - half, est + half


# --------------------------------------------------------------------------------------
# the imputations and the analysis model


def _check_draws(n_imputations: Any, seed: Any) -> tuple[int, int]:
    n = check_number("n_imputations", n_imputations, low=2, high=MAX_IMPUTATIONS, integer=True,
                     remedy="Rubin's rules need 2 or more; rbmi's examples use 100 to 1000.")  # fmt: skip
    s = check_number("seed", seed, low=0, integer=True,
                     remedy="Pass a fixed integer (e.g. seed=2024) so that the result can be "
                            "reproduced.")  # fmt: skip
    return int(n), int(s)


def _imputations(prob: _model.Problem, strategy: str, m: int, seed: int):
    """Steps 1-2: the completed data sets (m, n, T); failed fits; the full data's Sigma."""
    rng = np.random.default_rng(seed)
    draws, failed, (_, sigma) = _model.draw_parameters(prob, m, rng, _CONTEXT)
    everyone = np.arange(len(prob.ids))
    Ys = np.stack([_model.complete(prob, everyone, b, s, strategy, rng) for b, s in draws])
    return Ys, failed, sigma


def _ancova(A: np.ndarray, Ys: np.ndarray, n_groups: int):
    """Step 3: the ANCOVA per timepoint of every completed data set (least squares): group
    coefficients and their variances (m, G - 1, T); LS means per group and their variances
    (m, G, T); the residual df."""
    n, q = A.shape
    rank = np.linalg.matrix_rank(A)
    df = n - rank
    if df < 1:
        raise EstimationError(
            f"{_CONTEXT}: the ANCOVA per timepoint needs more subjects than terms; got {n} "
            f"subjects for {rank} terms (group, baseline, covariates). Use fewer covariates."
        )
    AtA_inv = np.linalg.pinv(A.T @ A)
    coef = np.einsum("qn,mnt->mqt", AtA_inv @ A.T, Ys)
    resid = Ys - np.einsum("nq,mqt->mnt", A, coef)
    s2 = (resid**2).sum(axis=1) / df  # (m, T)
    idx = np.arange(1, n_groups)
    var = s2[:, None, :] * np.diag(AtA_inv)[idx][None, :, None]
    L = np.tile(A.mean(axis=0), (n_groups, 1))  # rows: the groups, covariates at their mean
    L[:, 1:n_groups] = np.eye(n_groups)[:, 1:]
    ls = np.einsum("gq,mqt->mgt", L, coef)
    ls_var = s2[:, None, :] * np.einsum("gq,qr,gr->g", L, AtA_inv, L)[None, :, None]
    return coef[:, idx, :], var, ls, ls_var, df


def _pooled_table(pooled, rows: list[tuple], confidence: float, extra: tuple = ()) -> pd.DataFrame:
    """Flatten pooled (G', T) arrays into rows labelled by ``rows`` (timepoint, label)."""
    se, t, p, lo, hi = _inference(pooled["estimate"], pooled["total"], pooled["df"], confidence)
    values = {"estimate": pooled["estimate"], "se": se, "df": pooled["df"], "t": t,
              "p_value": p, "ci_low": lo, "ci_high": hi, "riv": pooled["riv"],
              "fmi": pooled["fmi"]}  # fmt: skip
    frame = pd.DataFrame(rows, columns=["timepoint", "label"])
    for name, array in values.items():
        if name in extra or not extra:
            frame[name] = np.asarray(array).T.reshape(-1)  # (T, G') order, as rows
    return frame


def _row_labels(times: list, labels: list) -> list[tuple]:
    return [(t, lab) for t in times for lab in labels]


def _multiple_tables(est, var, ls, ls_var, df, groups, times, confidence: float):
    contrasts = [f"{g} - {groups[0]}" for g in groups[1:]]
    table = _pooled_table(pool_rubin(est, var, df), _row_labels(times, contrasts), confidence)
    table = table.rename(columns={"label": "contrast"})
    keep = ("estimate", "se", "df", "ci_low", "ci_high")
    lsm = _pooled_table(pool_rubin(ls, ls_var, df), _row_labels(times, groups), confidence, keep)
    m, G1, T = est.shape
    replicates = pd.DataFrame(
        {
            "imputation": np.repeat(np.arange(1, m + 1), T * G1),
            "timepoint": pd.Series(_row_labels(times, contrasts) * m).str[0].array,
            "contrast": pd.Series(_row_labels(times, contrasts) * m).str[1].array,
            "estimate": est.transpose(0, 2, 1).reshape(-1),
            "se": np.sqrt(var).transpose(0, 2, 1).reshape(-1),
        }
    )
    return table, lsm.rename(columns={"label": "group"}), replicates


def compute_multiple_imputation(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    group: str = "group",
    pre: Any,
    control: Any = None,
    treatment: Any = None,
    strategy: str = "MAR",
    intercurrent: str | Mapping[Any, Any] | None = None,
    covariates: Iterable[str] | str = (),
    n_imputations: int = 200,
    seed: int,
    delta: float | Mapping[Any, float] = 0.0,
    confidence: float = 0.95,
    estimand: Estimand | None = None,
) -> MultipleImputationResult:
    """Treatment effect by timepoint under MAR, J2R, CR or CIR: approximate-Bayesian multiple
    imputation pooled by Rubin's rules (R ``rbmi::method_approxbayes`` and ``pool``).

    The module docstring gives every step and formula. Written by hand: no Python library
    does reference-based imputation, and statsmodels has no general Rubin's-rules pooling
    with Barnard-Rubin df. Deterministic given ``seed``.

    Parameters
    ----------
    data, measure, subject, timepoint, group, pre, control, treatment, strategy, \
intercurrent, covariates, delta
        As :func:`past_outcomes.compute_reference_imputation` (long data, one row per
        subject and timepoint, the raw score in ``measure``, the baseline at ``pre``).
    n_imputations : int
        Imputed data sets (bootstrap refits of the imputation model), 2 to 10,000.
    seed : int
        Seed of the numpy random Generator (required: the result must be reproducible).
    confidence : float
        Level of the t-based intervals.
    estimand : Estimand, optional
        The estimand this analysis estimates; stored in the result and printed with it.

    Returns
    -------
    MultipleImputationResult
        ``table`` (``timepoint, contrast, estimate, se, df, t, p_value, ci_low, ci_high,
        riv, fmi``), ``lsmeans``, ``replicates``, ``covariance``, ``excluded``, ``notes()``.

    Raises
    ------
    ArgumentError
        As ``compute_reference_imputation``; ``n_imputations`` or ``seed`` not an integer
        in range.
    DataValidationError
        As :func:`past_outcomes.fit_mmrm`.
    EstimationError
        No subject can be analysed, or the imputation model is not estimable.
    MMRMConvergenceError
        The imputation model fails on the full data or on more than 1% of the bootstrap
        samples.
    """
    check_option("strategy", strategy, STRATEGIES)
    n_imputations, seed = _check_draws(n_imputations, seed)
    estimand = check_estimand(estimand)
    kw = {k: v for k, v in locals().items() if k != "data"}
    prob, info = _model.prepare(data, kw, _CONTEXT)
    groups, times, spec = info["groups"], info["times"], info["spec"]
    Ys, failed, sigma = _imputations(prob, strategy, n_imputations, seed)
    est, var, ls, ls_var, df = _ancova(prob.A, Ys, len(groups))
    table, lsmeans, replicates = _multiple_tables(
        est, var, ls, ls_var, df, groups, times, spec.confidence
    )
    if treatment is not None:
        label = f"{treatment} - {groups[0]}"
        table = table[table["contrast"] == label].reset_index(drop=True)
        replicates = replicates[replicates["contrast"] == label].reset_index(drop=True)
    _model.warn_excluded(info["excluded"], _CONTEXT)
    after = np.arange(len(times))[None, :] >= prob.ice[:, None]
    missing = np.isnan(prob.Y)
    return MultipleImputationResult(
        table=table,
        lsmeans=lsmeans,
        replicates=replicates,
        excluded=info["excluded"],
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
        n_imputations=n_imputations,
        seed=seed,
        n_failed=failed,
        n_imputed=(int((missing & after).sum()), int((missing & ~after).sum())),
        n_post_ice_observed=info["post_ice_observed"],
        delta=info["delta"],
        confidence=spec.confidence,
        method=_METHOD,
        data_notes=tuple(info["notes"]),
        estimand=estimand,
    )


# --------------------------------------------------------------------------------------
# responders under the strategies

#: Strategies of :func:`compute_responder_imputation`: the imputation strategies and
#: "composite" (non-response for an intercurrent event or a missing value).
RESPONDER_STRATEGIES: dict[str, str] = {
    **STRATEGIES,
    "composite": "an intercurrent event or a missing value counts as non-response "
    "(composite strategy; nothing imputed)",
}
_DIRECTIONS = ("lower-is-better", "higher-is-better")
_RESPONDER_CONTEXT = "compute_responder_imputation"
_RESPONDER_METHOD = _METHOD.replace(
    "ANCOVA per timepoint",
    "responder status in each imputed data set, risk difference with its Wald variance",
)
_COMPOSITE_METHOD = (
    "composite strategy: non-response for an intercurrent event or a missing value; "
    "Newcombe CI and Pearson chi-square p (compare_responders, missing='non-responder')"
)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ResponderImputationResult(ResultBase):
    """Result of :func:`compute_responder_imputation`.

    Attributes
    ----------
    table : DataFrame
        One row per post-baseline timepoint (the last is the usual endpoint) and contrast:
        ``timepoint, contrast, rate_control, rate_treatment, risk_difference, se, df,
        p_value, ci_low, ci_high, riv, fmi, note``. Imputation strategies: rates and risk
        difference averaged over the imputations, Wald variance pooled by Rubin's rules
        (``df`` Barnard-Rubin with infinite complete-data df; t-based interval and p).
        Composite: the observed rates with every subject in the denominator, the Newcombe
        interval and the Pearson chi-square p-value of ``compare_responders``, the Wald SE,
        ``df`` infinite, ``riv`` and ``fmi`` missing (nothing imputed). ``note`` says why
        a row's ``df`` is infinite (empty otherwise).
    excluded : DataFrame
        Subjects set aside (``subject, reason, detail``).
    strategy, measure, direction : str
    threshold : float
        The change needed for response, in the improving direction.
    pre, control : Any
    timepoints, groups, group_sizes : tuple
    n_imputations : int
        0 for the composite strategy.
    seed : int or None
    n_failed, n_post_ice_observed : int
    delta : dict
    confidence : float
    method : str
    estimand : Estimand or None
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    strategy: str
    measure: str
    direction: str
    threshold: float
    pre: Any
    control: Any
    timepoints: tuple
    groups: tuple
    group_sizes: tuple
    n_imputations: int
    seed: int | None
    n_failed: int
    n_post_ice_observed: int
    delta: dict
    confidence: float
    method: str
    data_notes: tuple = ()
    estimand: Estimand | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Responders ({self.strategy}), {self.measure}"

    def notes(self) -> list[str]:
        """The responder rule, the strategy and the method."""
        way = "fall" if self.direction == "lower-is-better" else "rise"
        sizes = ", ".join(f"{g!r} {n}" for g, n in zip(self.groups, self.group_sizes, strict=True))
        lines = [
            f"Responder: a {way} of {self.threshold:g} or more in {self.measure} from "
            f"{self.pre!r} ({self.direction}).",
            f"Strategy: {self.strategy}, {RESPONDER_STRATEGIES[self.strategy]}.",
            f"Method: {self.method}.",
            f"{sum(self.group_sizes)} subjects ({sizes}); control group {self.control!r}; "
            f"{self.confidence:.0%} confidence intervals.",
            *self.data_notes,
        ]
        if self.strategy != "composite":
            lines.append(f"{self.n_imputations} imputations (seed {self.seed}).")
            lines += _model.imputation_notes(
                self.n_failed, self.n_post_ice_observed, self.strategy, self.delta
            )
        if self.table["se"].eq(0).any():
            lines.append(
                "A risk difference with SE 0 (every subject of both arms on the same side of "
                "the threshold) has no p-value or interval."
            )
        return lines


def _responds(change: np.ndarray, threshold: float, direction: str) -> np.ndarray:
    return change <= -threshold if direction == "lower-is-better" else change >= threshold


def _imputed_responders(prob, Ys, threshold, direction, groups, times, confidence):
    """Rates per arm and risk differences in each imputed data set, pooled by Rubin."""
    resp = _responds(Ys, threshold, direction).astype(float)  # (m, n, T)
    members = [prob.group_codes == j for j in range(len(groups))]
    sizes = np.array([m.sum() for m in members], dtype=float)
    rate = np.stack([resp[:, m, :].mean(axis=1) for m in members], axis=1)  # (m, G, T)
    rate_var = rate * (1 - rate) / sizes[None, :, None]
    rd = rate[:, 1:, :] - rate[:, :1, :]
    rd_var = rate_var[:, 1:, :] + rate_var[:, :1, :]
    contrasts = [f"{g} - {groups[0]}" for g in groups[1:]]
    labels = _row_labels(times, contrasts)
    table = _pooled_table(pool_rubin(rd, rd_var, np.inf), labels, confidence)
    pooled_rate = rate.mean(axis=0)  # (G, T)
    table.insert(2, "rate_control", np.repeat(pooled_rate[0], len(contrasts)))
    table.insert(3, "rate_treatment", pooled_rate[1:].T.reshape(-1))
    table = table.rename(columns={"label": "contrast", "estimate": "risk_difference"})
    return table.drop(columns="t")


def _composite_responders(prob, threshold, direction, groups, times, confidence):
    """Non-response for an ICE or a missing value: compare_responders per timepoint."""
    from past_outcomes.stats.proportions import compare_responders

    T = len(times)
    before = np.arange(T)[None, :] < prob.ice[:, None]
    usable = ~np.isnan(prob.Y) & before
    status = np.where(usable, _responds(np.nan_to_num(prob.Y), threshold, direction), np.nan)
    labels = np.array(groups, dtype=object)[prob.group_codes]
    rows = []
    for k, t in enumerate(times):
        frame = pd.DataFrame({"subject": prob.ids, "group": labels,
                              "responder": pd.array(status[:, k], dtype="Float64")})  # fmt: skip
        for g in groups[1:]:
            res = compare_responders(frame, responder="responder", treatment=g,
                                     control=groups[0], missing="non-responder",
                                     confidence=confidence)  # fmt: skip
            arms = res.arms.set_index("group")
            rt, rc = arms.loc[g, "percent"] / 100, arms.loc[groups[0], "percent"] / 100
            nt, nc = arms.loc[g, "n"], arms.loc[groups[0], "n"]
            q = res.table.set_index("quantity")
            se = float(np.sqrt(rt * (1 - rt) / nt + rc * (1 - rc) / nc))
            rows.append((t, f"{g} - {groups[0]}", rc, rt, q.loc["risk_difference", "estimate"],
                         se, np.inf, q.loc["chi_square", "p_value"],
                         q.loc["risk_difference", "ci_low"], q.loc["risk_difference", "ci_high"],
                         np.nan, np.nan))  # fmt: skip
    columns = ["timepoint", "contrast", "rate_control", "rate_treatment", "risk_difference",
               "se", "df", "p_value", "ci_low", "ci_high", "riv", "fmi"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _df_notes(df: np.ndarray, imputing: bool) -> list[str]:
    """Why a row's df is infinite (its interval and p normal-based); empty elsewhere."""
    why = (
        "no between-imputation variance at this timepoint (nothing imputed): normal-based "
        "interval and p (df infinite)"
        if imputing
        else "normal-based (Newcombe interval, chi-square p; df infinite)"
    )
    return [why if np.isinf(d) else "" for d in df]


def compute_responder_imputation(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    group: str = "group",
    pre: Any,
    control: Any = None,
    treatment: Any = None,
    threshold: float,
    direction: str = "lower-is-better",
    strategy: str = "MAR",
    intercurrent: str | Mapping[Any, Any] | None = None,
    covariates: Iterable[str] | str = (),
    n_imputations: int = 200,
    seed: int | None = None,
    delta: float | Mapping[Any, float] = 0.0,
    confidence: float = 0.95,
    estimand: Estimand | None = None,
) -> ResponderImputationResult:
    """Responder rates and risk difference by timepoint under MAR, J2R, CR, CIR or the
    composite strategy.

    A responder changes by ``threshold`` or more from ``pre`` in the improving direction
    (``direction``, as the instrument specs declare it; the CAPS-5 ``mapp`` rule: a fall of
    10 or more, ``threshold=10``). Under MAR, J2R, CR and CIR the continuous change is
    imputed as :func:`compute_multiple_imputation` does and each imputed data set gives the
    rates and the risk difference with its Wald variance, pooled by Rubin's rules (the
    complete-data df infinite, so the df is Barnard-Rubin's ``nu_old``). Under
    ``"composite"`` a subject with an intercurrent event before the timepoint or a missing
    value there is a non-responder; nothing is imputed and
    :func:`past_outcomes.compare_responders` (``missing="non-responder"``) gives the
    Newcombe interval and the chi-square p-value. The table has every post-baseline
    timepoint; the last row is the usual endpoint. Written by hand (see the module
    docstring for the formulas).

    Parameters
    ----------
    data, measure, subject, timepoint, group, pre, control, treatment, intercurrent, \
covariates, delta, n_imputations, confidence, estimand
        As :func:`compute_multiple_imputation`.
    threshold : float
        The change needed for response, a positive number in the improving direction.
    direction : {"lower-is-better", "higher-is-better"}
        Which way is improvement (a fall of ``threshold`` or a rise).
    strategy : {"MAR", "J2R", "CR", "CIR", "composite"}
    seed : int
        Seed of the numpy Generator; required for every strategy but "composite".

    Returns
    -------
    ResponderImputationResult
        ``table`` (``timepoint, contrast, rate_control, rate_treatment, risk_difference,
        se, df, p_value, ci_low, ci_high, riv, fmi, note``), ``excluded``, ``notes()``.

    Raises
    ------
    ArgumentError
        As :func:`compute_multiple_imputation`; ``threshold`` not a positive number,
        ``direction`` unknown, ``seed`` missing for an imputation strategy.
    DataValidationError, EstimationError, MMRMConvergenceError
        As :func:`compute_multiple_imputation`.
    """
    check_option("strategy", strategy, RESPONDER_STRATEGIES)
    estimand = check_estimand(estimand)
    check_option("direction", direction, _DIRECTIONS)
    threshold = check_number("threshold", threshold, low=0, low_open=True,
                             remedy="Give the change needed for response, e.g. threshold=10.")  # fmt: skip
    imputing = strategy != "composite"
    if imputing and seed is None:
        raise ArgumentError(
            f"seed must be an integer for strategy={strategy!r} (the imputations are "
            "random); got None. Pass e.g. seed=2024 so that the result can be reproduced."
        )
    m, draw_seed = _check_draws(n_imputations, seed) if imputing else (0, 0)
    kw = {k: v for k, v in locals().items() if k != "data"}
    prob, info = _model.prepare(data, kw, _RESPONDER_CONTEXT)
    groups, times, spec = info["groups"], info["times"], info["spec"]
    failed = 0
    if imputing:
        Ys, failed, _ = _imputations(prob, strategy, m, draw_seed)
        table = _imputed_responders(prob, Ys, threshold, direction, groups, times,
                                    spec.confidence)  # fmt: skip
    else:
        table = _composite_responders(prob, threshold, direction, groups, times, spec.confidence)
    table["note"] = _df_notes(table["df"].to_numpy(float), imputing)
    if treatment is not None:
        table = table[table["contrast"] == f"{treatment} - {groups[0]}"].reset_index(drop=True)
    _model.warn_excluded(info["excluded"], _RESPONDER_CONTEXT)
    return ResponderImputationResult(
        table=table,
        excluded=info["excluded"],
        strategy=strategy,
        measure=spec.measure,
        direction=direction,
        threshold=threshold,
        pre=spec.pre,
        control=groups[0],
        timepoints=tuple(times),
        groups=tuple(groups),
        group_sizes=tuple(int((prob.group_codes == j).sum()) for j in range(len(groups))),
        n_imputations=m,
        seed=draw_seed if imputing else None,
        n_failed=failed,
        n_post_ice_observed=info["post_ice_observed"],
        delta=info["delta"],
        confidence=spec.confidence,
        method=_RESPONDER_METHOD if imputing else _COMPOSITE_METHOD,
        data_notes=tuple(info["notes"]),
        estimand=estimand,
    )
