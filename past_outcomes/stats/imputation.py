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

Steps, top to bottom:

1. :func:`_prepare`: arguments and data checked as ``fit_mmrm`` does; the change from baseline
   ``Y`` (subjects x timepoints, NaN where missing); each subject's ICE position ``k`` (the
   first timepoint handled under the strategy).
2. :func:`_fit`: the imputation model, an MMRM of the change on ``baseline * timepoint +
   group * timepoint`` (+ covariates) with an unstructured covariance Sigma, fitted by REML on
   the values that are observed and, for J2R/CR/CIR, before the ICE (under MAR every observed
   value enters, as rbmi does).
3. :func:`_impute`: each subject's joint mean ``mu`` over the timepoints per strategy, from
   ``mu_own = X_i(own group) beta`` and ``mu_ref = X_i(control) beta``:

   * MAR: ``mu = mu_own``;
   * J2R: ``mu_t = mu_own_t`` for ``t < k``, ``mu_ref_t`` for ``t >= k``;
   * CR: ``mu = mu_ref`` at every timepoint;
   * CIR: ``mu_t = mu_own_t`` for ``t < k``, ``mu_own_{k-1} + mu_ref_t - mu_ref_{k-1}`` for
     ``t >= k`` (with no timepoint before the ICE, ``k = 0``, the reference mean, as CR);

   then the conditional mean of the missing values ``m`` given the observed ``o``:
   ``y_m = mu_m + Sigma_mo Sigma_oo^-1 (y_o - mu_o)``, plus ``delta`` on values imputed at or
   after the ICE. Subjects of the control group have ``mu_own = mu_ref``: every strategy is
   MAR for them.
4. :func:`_analyse`: the analysis model, an ANCOVA at each timepoint of the completed change
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
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from past_outcomes._checks import check_option
from past_outcomes.errors import (
    ArgumentError,
    EstimationError,
    MMRMConvergenceError,
    PastOutcomesWarning,
)
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.stats import _mmrm_data as _data
from past_outcomes.stats import _reml
from past_outcomes.stats._mmrm_model import _design

__all__ = ["compute_reference_imputation", "ReferenceImputationResult", "STRATEGIES"]

#: The strategies for the data after an intercurrent event.
STRATEGIES: dict[str, str] = {
    "MAR": "missing at random (the subject's own group's mean)",
    "J2R": "jump to reference (the reference group's mean after the intercurrent event)",
    "CR": "copy reference (the reference group's mean at every timepoint)",
    "CIR": "copy increments in reference (the reference group's increments after the "
    "last visit before the intercurrent event)",
}


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ReferenceImputationResult(ResultBase):
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
        Observed values at or after an intercurrent event that were set aside and imputed
        (J2R, CR, CIR) or kept (MAR).
    delta : dict
        Group level -> the value added to every value imputed at or after the ICE.
    confidence : float
    method : str
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
        if self.n_post_ice_observed:
            fate = "kept (MAR)" if self.strategy == "MAR" else "set aside and imputed"
            lines.append(
                f"{self.n_post_ice_observed} observed value(s) at or after an intercurrent "
                f"event were {fate}."
            )
        shifted = {g: d for g, d in self.delta.items() if d != 0}
        if shifted:
            lines.append(
                "Delta adjustment: "
                + ", ".join(f"{d:+g} in {g!r}" for g, d in shifted.items())
                + " on every value imputed at or after the intercurrent event."
            )
        return lines


@dataclasses.dataclass(frozen=True)
class _Problem:
    ids: np.ndarray  # subject ids (n)
    group_codes: np.ndarray  # 0 = control
    baseline: np.ndarray
    Y: np.ndarray  # (n, T) change from baseline, NaN where missing
    ice: np.ndarray  # (n,) first timepoint index handled by the strategy (T: none)
    fit_mask: np.ndarray  # (n, T) values entering the imputation model
    X_own: np.ndarray  # (n, T, p) design rows in the subject's own group
    X_ref: np.ndarray  # (n, T, p) design rows in the control group
    A: np.ndarray  # (n, q) ANCOVA design: intercept, group dummies, baseline, covariates
    delta: np.ndarray  # (n,) added to imputed values at or after the ICE


def _subject_table(rows: pd.DataFrame, spec: _data.Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per subject (as ``fit_mmrm``), keeping subjects with a baseline and no later
    value: they are imputed at every timepoint."""
    subjects, excluded, _ = _data.subjects(rows, spec)
    reasons = excluded.groupby("subject", sort=False)["reason"].agg(set)
    back = [s for s, r in reasons.items() if r == {"no-post"}]
    if back:
        at_pre = rows.iloc[np.flatnonzero(_data.equals(rows[spec.timepoint], spec.pre))]
        at_pre = at_pre.set_index(spec.subject).loc[back]
        extra = pd.DataFrame(index=pd.Index(back))
        extra["baseline"] = at_pre[spec.measure].to_numpy(dtype=float)
        extra["group"] = at_pre[spec.group].to_numpy()
        for c in spec.covariates:
            extra[c] = at_pre[c].to_numpy()
        subjects = pd.concat([subjects, extra])
        excluded = excluded[~excluded["subject"].isin(back)]
    return subjects, excluded


def _ice_positions(
    intercurrent: Any, data: pd.DataFrame, spec: _data.Spec, ids: pd.Index, Y: np.ndarray, times
) -> np.ndarray:
    """Each subject's first timepoint index under the strategy (``len(times)``: no ICE)."""
    n, T = Y.shape
    if intercurrent is None:  # after the last observed value
        observed = ~np.isnan(Y)
        last = np.where(observed.any(axis=1), T - 1 - np.argmax(observed[:, ::-1], axis=1), -1)
        return last + 1
    if isinstance(intercurrent, str):
        if intercurrent not in data.columns:
            raise ArgumentError(f"intercurrent must be a column of data; got {intercurrent!r}.")
        per = data[[spec.subject, intercurrent]].dropna().drop_duplicates()
        if per[spec.subject].duplicated().any():
            raise ArgumentError(
                f"intercurrent column {intercurrent!r} must hold one timepoint per subject; "
                "some subjects have several. Put the first timepoint after the event on "
                "every row of the subject (or leave it empty)."
            )
        mapping: Mapping = dict(zip(per[spec.subject], per[intercurrent], strict=True))
    elif isinstance(intercurrent, Mapping):
        mapping = intercurrent
    else:
        raise ArgumentError(
            "intercurrent must be None, a column name or a mapping subject -> timepoint; "
            f"got {type(intercurrent).__name__}."
        )
    known = set(pd.unique(data[spec.subject]))
    unknown = [s for s in mapping if s not in known]
    if unknown:
        raise ArgumentError(
            f"intercurrent names subject(s) not in data: "
            f"{', '.join(_data.text(s) for s in unknown[: _data.SHOWN])}; check the ids."
        )
    ice = np.full(n, T)
    for pos, s in enumerate(ids):
        if s in mapping and not pd.isna(mapping[s]):
            where = [k for k, t in enumerate(times) if _data.same(t, mapping[s])]
            if not where:
                raise ArgumentError(
                    f"intercurrent gives {mapping[s]!r} for subject {_data.text(s)}; it must "
                    f"be one of the post-baseline timepoints {list(times)!r}."
                )
            ice[pos] = where[0]
    return ice


def _prepare(data: pd.DataFrame, kw: dict[str, Any]) -> tuple[_Problem, dict[str, Any]]:
    """Steps 1: validated data as arrays; and what the result reports about them."""
    spec = _data.check_arguments(
        data,
        **{k: kw[k] for k in ("measure", "subject", "timepoint", "group", "pre")},
        **{k: kw[k] for k in ("control", "treatment", "covariates", "confidence")},
        covariance="unstructured",
        outcome="change",
        timepoints=None,
        df="satterthwaite",
        baseline_by_timepoint=True,
    )
    rows, other = _data.validate(data, spec)
    subjects, excluded = _subject_table(rows, spec)
    if subjects.empty:
        raise EstimationError(
            f"compute_reference_imputation needs subjects with {spec.measure} at "
            f"{spec.pre!r}, a {spec.group} and every covariate; none has. Check pre, "
            "measure and the covariates."
        )
    excluded = excluded_frame(pd.concat([excluded, other], ignore_index=True))
    obs, notes = _data.observations(rows, subjects, spec, excluded)
    times = _data.time_levels(data[spec.timepoint], obs["timepoint"], spec)
    groups = _data.group_levels(data[spec.group], subjects["group"], spec)
    ids = subjects.index
    n, T = len(ids), len(times)
    Y = np.full((n, T), np.nan)
    s_pos = ids.get_indexer(pd.Index(obs["subject"]))
    t_pos = np.full(len(obs), -1)
    for k, t in enumerate(times):
        t_pos[_data.equals(obs["timepoint"], t)] = k
    Y[s_pos, t_pos] = obs["y"].to_numpy()
    ice = _ice_positions(kw["intercurrent"], data, spec, ids, Y, times)
    after = np.arange(T)[None, :] >= ice[:, None]
    observed = ~np.isnan(Y)
    fit_mask = observed if kw["strategy"] == "MAR" else observed & ~after
    codes = np.array([next(j for j, g in enumerate(groups) if _data.same(v, g))
                      for v in subjects["group"]])  # fmt: skip
    X_own, X_ref = _designs(subjects, spec, groups, times)
    deltas = _delta_by_group(kw["delta"], groups)
    problem = _Problem(
        ids=ids.to_numpy(),
        group_codes=codes,
        baseline=subjects["baseline"].to_numpy(dtype=float),
        Y=Y,
        ice=ice,
        fit_mask=fit_mask,
        X_own=X_own,
        X_ref=X_ref,
        A=_ancova_design(subjects, spec, codes, len(groups)),
        delta=deltas[codes],
    )
    info = {
        "spec": spec,
        "times": times,
        "groups": groups,
        "excluded": excluded,
        "notes": notes,
        "post_ice_observed": int((observed & after).sum()),
        "delta": dict(zip(groups, deltas.tolist(), strict=True)),
    }
    return problem, info


def _designs(subjects: pd.DataFrame, spec: _data.Spec, groups: list, times: list):
    """Design rows of every subject at every timepoint, in its own group and in control."""
    n, T = len(subjects), len(times)
    frame = pd.DataFrame(
        {
            "subject": np.repeat(subjects.index.to_numpy(), T),
            "timepoint": pd.Series(times * n, dtype=object).array,
            "group": np.repeat(subjects["group"].to_numpy(), T),
            "y": 0.0,
            "baseline": np.repeat(subjects["baseline"].to_numpy(dtype=float), T),
        }
    )
    for c in spec.covariates:
        frame[c] = np.repeat(subjects[c].to_numpy(), T)
    own = _design(frame, spec, groups, times)
    ref_frame = frame.assign(group=pd.Series([groups[0]] * len(frame), dtype=object).array)
    ref = _design(ref_frame, spec, groups, times)
    p = own.X_all.shape[1]
    return own.X_all.reshape(n, T, p), ref.X_all.reshape(n, T, p)


def _ancova_design(subjects: pd.DataFrame, spec: _data.Spec, codes: np.ndarray, n_groups: int):
    columns = [np.ones(len(subjects))]
    columns += [(codes == j).astype(float) for j in range(1, n_groups)]
    columns.append(subjects["baseline"].to_numpy(dtype=float))
    for c in spec.covariates:
        if c in spec.numeric:
            columns.append(subjects[c].to_numpy(dtype=float))
            continue
        levels = _data.level_order(subjects[c])
        columns += [_data.equals(subjects[c], lev).astype(float) for lev in levels[1:]]
    return np.column_stack(columns)


def _delta_by_group(delta: Any, groups: list) -> np.ndarray:
    """``delta``: a number (added in every group but the control) or group level -> number."""
    if isinstance(delta, Mapping):
        values = np.zeros(len(groups))
        for g, d in delta.items():
            where = [j for j, lev in enumerate(groups) if _data.same(lev, g)]
            if not where:
                raise ArgumentError(
                    f"delta must map levels of the group column ({groups!r}) to numbers; "
                    f"got the key {g!r}."
                )
            values[where[0]] = _number("delta", d)
        return values
    return np.r_[0.0, np.full(len(groups) - 1, _number("delta", delta))]


def _number(name: str, value: Any) -> float:
    number = isinstance(value, int | float | np.integer | np.floating)
    if isinstance(value, bool) or not number or not np.isfinite(value):
        raise ArgumentError(f"{name} must be a finite number; got {value!r}.")
    return float(value)


# --------------------------------------------------------------------------------------
# steps 2-4: fit, impute, analyse


def _patterns(prob: _Problem, keep: np.ndarray) -> tuple[list[_reml.Pattern], int]:
    """REML patterns of the fit values of the subjects in ``keep``; number of values."""
    mask = prob.fit_mask[keep]
    Z = np.concatenate([prob.X_own[keep], np.nan_to_num(prob.Y[keep])[:, :, None]], axis=2)
    pid = mask @ (2 ** np.arange(mask.shape[1]))
    out = []
    for value in np.unique(pid[mask.any(axis=1)]):
        members = pid == value
        idx = np.flatnonzero(mask[np.argmax(members)])
        Zk = Z[members][:, idx, :]
        moments = np.einsum("ita,iub->tuab", Zk, Zk, optimize=True)
        out.append(_reml.Pattern(idx, int(members.sum()), moments))
    return out, int(mask.sum())


def _newton(reml: _reml.Reml, theta: np.ndarray, hessian: np.ndarray) -> np.ndarray | None:
    """Newton steps with a fixed Hessian (the full data's) from a nearby optimum, to the
    same gradient tolerance as :func:`_reml.optimise`'s polish; None if they stall."""
    crit, grad = reml.value_and_grad(theta)
    for _ in range(50):
        if not np.isfinite(crit):
            return None
        if np.max(np.abs(grad)) < 1e-8 * max(1.0, abs(crit)):
            return theta
        new = theta - np.linalg.solve(hessian, grad)
        new_crit, new_grad = reml.value_and_grad(new)
        if new_crit > crit + 1e-12 * abs(crit):
            return None
        theta, crit, grad = new, new_crit, new_grad
    return None


def _fit(prob: _Problem, keep: np.ndarray, theta0=None, hessian=None):
    """Step 2: REML fit of the imputation model; (theta, beta, Sigma, reml). With
    ``hessian`` (a jackknife replicate), Newton steps from the full fit's ``theta0``."""
    pats, n_obs = _patterns(prob, keep)
    T, p = prob.Y.shape[1], prob.X_own.shape[2]
    structure = _reml.Unstructured(T)
    if theta0 is None:
        rows = prob.fit_mask[keep]
        X = prob.X_own[keep][rows]
        if np.linalg.matrix_rank(X) < p:
            raise EstimationError(
                "compute_reference_imputation: the imputation model (group x timepoint and "
                "baseline x timepoint) is not estimable from the values before the "
                "intercurrent events: some group has no observed value at some timepoint. "
                "Check the data per group and timepoint."
            )
        s_idx, t_idx = np.nonzero(rows)
        sigma0 = _reml.start_sigma(X, prob.Y[keep][rows], s_idx, t_idx, int(keep.sum()), T)
        theta0 = structure.start(sigma0)
    reml = _reml.Reml(pats, structure, n_obs, p)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        theta = None if hessian is None else _newton(reml, theta0, hessian)
        if theta is None:
            theta, _ = _reml.optimise(reml, theta0)
        solved = reml.solve(theta)
    if solved is None:
        raise EstimationError(
            "compute_reference_imputation: the fitted covariance of the imputation model is "
            "singular; check timepoints with very few observations."
        )
    sigma, _, _, _, beta, _ = solved
    return theta, beta, sigma, reml


def _strategy_means(prob: _Problem, keep: np.ndarray, beta: np.ndarray, strategy: str):
    """Step 3a: each subject's joint mean over the timepoints under the strategy."""
    own = prob.X_own[keep] @ beta
    ref = prob.X_ref[keep] @ beta
    ice = prob.ice[keep]
    T = own.shape[1]
    after = np.arange(T)[None, :] >= ice[:, None]
    if strategy == "MAR":
        return own
    if strategy == "CR":
        return ref
    if strategy == "J2R":
        return np.where(after, ref, own)
    last = np.clip(ice - 1, 0, T - 1)  # CIR
    rows = np.arange(len(ice))
    carried = own[rows, last][:, None] + ref - ref[rows, last][:, None]
    cir = np.where(after, carried, own)
    return np.where((ice == 0)[:, None], ref, cir)


def _impute(prob: _Problem, keep: np.ndarray, beta, sigma, strategy: str) -> np.ndarray:
    """Step 3b: conditional means of the values not in the fit, given those in it."""
    mu = _strategy_means(prob, keep, beta, strategy)
    mask = prob.fit_mask[keep]
    Y = np.where(mask, prob.Y[keep], np.nan)
    T = Y.shape[1]
    pid = mask @ (2 ** np.arange(T))
    out = Y.copy()
    for value in np.unique(pid):
        members = np.flatnonzero(pid == value)
        o = np.flatnonzero(mask[members[0]])
        m = np.flatnonzero(~mask[members[0]])
        if not len(m):
            continue
        resid = Y[np.ix_(members, o)] - mu[np.ix_(members, o)]
        if len(o):
            reg = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)])  # Soo^-1 Som
            fill = mu[np.ix_(members, m)] + resid @ reg
        else:
            fill = mu[np.ix_(members, m)]
        out[np.ix_(members, m)] = fill
    after = np.arange(T)[None, :] >= prob.ice[keep][:, None]
    return out + np.where(~mask & after, prob.delta[keep][:, None], 0.0)


def _analyse(A: np.ndarray, Y: np.ndarray, n_groups: int) -> np.ndarray:
    """Step 4: ANCOVA per timepoint; the group coefficients, (n_groups - 1, T)."""
    coef, *_ = np.linalg.lstsq(A, Y, rcond=None)
    return coef[1:n_groups]


def _estimate(prob: _Problem, keep: np.ndarray, strategy: str, n_groups: int, start=(None, None)):
    theta, beta, sigma, reml = _fit(prob, keep, *start)
    Y = _impute(prob, keep, beta, sigma, strategy)
    return _analyse(prob.A[keep], Y, n_groups), theta, sigma, Y, reml


def _jackknife(prob: _Problem, strategy: str, n_groups: int, full_fit) -> np.ndarray:
    """Step 5: leave-one-subject-out estimates, (n, n_groups - 1, T); each refit starts
    from the full data's optimum ``full_fit = (theta, reml)``."""
    theta, reml = full_fit
    start = (theta, _reml.hessian(reml, theta))
    n = len(prob.ids)
    out = np.empty((n, n_groups - 1, prob.Y.shape[1]))
    for i in range(n):
        keep = np.ones(n, dtype=bool)
        keep[i] = False
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
    kw = {k: v for k, v in locals().items() if k != "data"}  # every argument, checked below
    prob, info = _prepare(data, kw)
    groups, times = info["groups"], info["times"]
    n = len(prob.ids)
    if n < 3:
        raise EstimationError(
            f"compute_reference_imputation needs at least 3 subjects for the jackknife; got {n}."
        )
    everyone = np.ones(n, dtype=bool)
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
    _warn(info["excluded"])
    spec = info["spec"]
    return ReferenceImputationResult(
        table=table,
        excluded=info["excluded"],
        imputed=_imputed_table(prob, Y, groups, times),
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


def _imputed_table(prob: _Problem, Y: np.ndarray, groups: list, times: list) -> pd.DataFrame:
    n, T = Y.shape
    after = np.arange(T)[None, :] >= prob.ice[:, None]
    return pd.DataFrame(
        {
            "subject": np.repeat(prob.ids, T),
            "group": np.repeat(np.array(groups, dtype=object)[prob.group_codes], T),
            "timepoint": pd.Series(list(times) * n, dtype=object).array,
            "change": Y.reshape(-1),
            "score": (Y + prob.baseline[:, None]).reshape(-1),
            "imputed": (~prob.fit_mask).reshape(-1),
            "post_ice": after.reshape(-1),
        }
    )


def _warn(excluded: pd.DataFrame) -> None:
    aside = excluded[excluded["reason"] != "other-timepoint"]
    if len(aside):
        ids = list(pd.unique(aside["subject"]))
        shown = ", ".join(_data.text(v) for v in ids[: _data.SHOWN])
        warnings.warn(
            f"compute_reference_imputation: {len(ids)} subject(s) set aside: {shown}"
            f"{', ...' if len(ids) > _data.SHOWN else ''}. They are listed in result.excluded.",
            PastOutcomesWarning,
            stacklevel=2,
        )
