"""The imputation model shared by the conditional-mean and the multiple-imputation methods.

One implementation of the steps that :func:`~past_outcomes.stats.imputation.\
compute_reference_imputation` (conditional means, jackknife) and
:func:`~past_outcomes.stats.multiple_imputation.compute_multiple_imputation` (approximate
Bayesian draws, Rubin's rules) have in common; the formulas are in the docstring of
:mod:`past_outcomes.stats.imputation`:

* :func:`prepare`: arguments and data checked as ``fit_mmrm`` does; the change from baseline
  ``Y`` (subjects x timepoints, NaN where missing), each subject's ICE position, the values
  that enter the imputation model, the design rows in the subject's own group and in the
  control group, the ANCOVA design and the delta per subject (a :class:`Problem`);
* :func:`fit`: the REML fit of the imputation model (the MMRM engine :mod:`._reml`,
  unstructured covariance) on a selection of subjects, given as row indices (a jackknife
  sample leaves one out; a bootstrap sample repeats some);
* :func:`strategy_means`: each subject's joint mean under MAR, J2R, CR or CIR (Carpenter,
  Roger and Kenward 2013);
* :func:`complete`: the missing values replaced by their conditional mean given the observed
  ones (values observed at or after an ICE under J2R/CR/CIR are outside the fit but stay in
  the data and are conditioned on, as rbmi does) (``rng=None``) or by a random draw from their conditional normal
  distribution, plus delta at and after the ICE;
* :func:`analyse`: the ANCOVA per timepoint on the completed data;
* :func:`draw_parameters`: approximate-Bayesian draws of the model's parameters (REML fits
  on bootstrap samples of subjects, as R ``rbmi::method_approxbayes``).

Row selections are integer index arrays into the subjects of the :class:`Problem`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._long import MAX_MAGNITUDE
from past_outcomes.errors import (
    ArgumentError,
    EstimationError,
    MMRMConvergenceError,
    PastOutcomesWarning,
    short_repr,
)
from past_outcomes.results import excluded_frame
from past_outcomes.stats import _mmrm_data as _data
from past_outcomes.stats import _reml
from past_outcomes.stats._mmrm_model import _design

__all__ = [
    "Problem",
    "analyse",
    "complete",
    "draw_parameters",
    "fit",
    "prepare",
    "strategy_means",
]


@dataclasses.dataclass(frozen=True)
class Problem:
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


# --------------------------------------------------------------------------------------
# step 1: the data


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


def prepare(data: pd.DataFrame, kw: dict[str, Any], context: str) -> tuple[Problem, dict]:
    """Step 1: validated data as arrays; and what the result reports about them. ``kw``
    holds the public function's arguments; ``context`` its name, for messages."""
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
            f"{context} needs subjects with {spec.measure} at {spec.pre!r}, a {spec.group} "
            "and every covariate; none has. Check pre, measure and the covariates."
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
    problem = Problem(
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
    return check_magnitude(name, float(value))


def check_magnitude(name: str, value: float) -> float:
    """``value`` if at most MAX_MAGNITUDE in absolute value, as a measure must be (beyond it
    squares overflow: a delta of 1e300 made the SEs infinite); else ArgumentError."""
    if abs(value) > MAX_MAGNITUDE:
        raise ArgumentError(
            f"{name} must be a finite number at most {MAX_MAGNITUDE:g} in absolute value, as "
            f"a measure; got {short_repr(value)}. Give the shift in the measure's units."
        )
    return value


def warn_excluded(excluded: pd.DataFrame, context: str) -> None:
    """Warn (once) about subjects set aside, as ``fit_mmrm`` does."""
    aside = excluded[excluded["reason"] != "other-timepoint"]
    if len(aside):
        ids = list(pd.unique(aside["subject"]))
        shown = ", ".join(_data.text(v) for v in ids[: _data.SHOWN])
        warnings.warn(
            f"{context}: {len(ids)} subject(s) set aside: {shown}"
            f"{', ...' if len(ids) > _data.SHOWN else ''}. They are listed in result.excluded.",
            PastOutcomesWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------
# step 2: the imputation model


def _patterns(prob: Problem, rows: np.ndarray) -> tuple[list[_reml.Pattern], int]:
    """REML patterns of the fit values of the subjects ``rows`` (repeats allowed)."""
    mask = prob.fit_mask[rows]
    Z = np.concatenate([prob.X_own[rows], np.nan_to_num(prob.Y[rows])[:, :, None]], axis=2)
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
    """Quasi-Newton steps from a nearby optimum, starting from the full data's Hessian and
    updating it by BFGS (so that they converge superlinearly), to the same gradient
    tolerance as :func:`_reml.optimise`'s polish; None if they stall."""
    crit, grad = reml.value_and_grad(theta)
    H = hessian.copy()
    for _ in range(50):
        if not np.isfinite(crit):
            return None
        if np.max(np.abs(grad)) < 1e-8 * max(1.0, abs(crit)):
            return theta
        new = theta - np.linalg.solve(H, grad)
        new_crit, new_grad = reml.value_and_grad(new)
        if new_crit > crit + 1e-12 * abs(crit):
            return None
        s, y = new - theta, new_grad - grad
        Hs = H @ s
        if y @ s > 1e-12 * np.linalg.norm(y) * np.linalg.norm(s) and s @ Hs > 0:
            H = H + np.outer(y, y) / (y @ s) - np.outer(Hs, Hs) / (s @ Hs)
        theta, crit, grad = new, new_crit, new_grad
    return None


def fit(prob: Problem, rows: np.ndarray, context: str, theta0=None, hessian=None):
    """Step 2: REML fit of the imputation model on the subjects ``rows``; (theta, beta,
    Sigma, reml). With ``hessian`` (a resample near the full data), Newton steps from the
    full fit's ``theta0`` first, then BFGS from ``theta0`` if they stall."""
    pats, n_obs = _patterns(prob, rows)
    T, p = prob.Y.shape[1], prob.X_own.shape[2]
    structure = _reml.Unstructured(T)
    mask = prob.fit_mask[rows]
    X = prob.X_own[rows][mask]
    if np.linalg.matrix_rank(X) < p:
        raise EstimationError(
            f"{context}: the imputation model (group x timepoint and baseline x timepoint) "
            "is not estimable from the values before the intercurrent events: some group "
            "has no observed value at some timepoint. Check the data per group and timepoint."
        )
    if theta0 is None:
        s_idx, t_idx = np.nonzero(mask)
        sigma0 = _reml.start_sigma(X, prob.Y[rows][mask], s_idx, t_idx, len(rows), T)
        theta0 = structure.start(sigma0)
    reml = _reml.Reml(pats, structure, n_obs, p)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        theta = None if hessian is None else _newton(reml, theta0, hessian)
        if theta is None:
            theta, _ = _reml.optimise(reml, theta0)
        solved = reml.solve(theta)
    if solved is None:
        raise EstimationError(
            f"{context}: the fitted covariance of the imputation model is singular; check "
            "timepoints with very few observations."
        )
    sigma, _, _, _, beta, _ = solved
    return theta, beta, sigma, reml


# --------------------------------------------------------------------------------------
# step 3: imputation


def strategy_means(prob: Problem, rows: np.ndarray, beta: np.ndarray, strategy: str):
    """Step 3a: each subject's joint mean over the timepoints under the strategy."""
    own = prob.X_own[rows] @ beta
    ref = prob.X_ref[rows] @ beta
    ice = prob.ice[rows]
    T = own.shape[1]
    after = np.arange(T)[None, :] >= ice[:, None]
    if strategy == "MAR":
        return own
    if strategy == "CR":  # copy reference for a subject with an ICE; MAR without one (rbmi)
        return np.where((ice >= T)[:, None], own, ref)
    if strategy == "J2R":
        return np.where(after, ref, own)
    last = np.clip(ice - 1, 0, T - 1)  # CIR
    at = np.arange(len(ice))
    carried = own[at, last][:, None] + ref - ref[at, last][:, None]
    cir = np.where(after, carried, own)
    return np.where((ice == 0)[:, None], ref, cir)


def complete(prob: Problem, rows: np.ndarray, beta, sigma, strategy: str, rng=None):
    """Step 3b: the missing values replaced by their conditional mean given the observed ones, ``mu_m + S_mo S_oo^-1 (y_o - mu_o)`` (``rng`` None), or by a draw from the
    conditional normal with that mean and covariance ``S_mm - S_mo S_oo^-1 S_om`` (``rng`` a
    numpy Generator); then delta added at and after the ICE."""
    mu = strategy_means(prob, rows, beta, strategy)
    Y = prob.Y[rows]
    mask = ~np.isnan(Y)  # every observed value is kept and conditioned on (rbmi)
    T = Y.shape[1]
    pid = mask @ (2 ** np.arange(T))
    out = Y.copy()
    for value in np.unique(pid):
        members = np.flatnonzero(pid == value)
        o = np.flatnonzero(mask[members[0]])
        m = np.flatnonzero(~mask[members[0]])
        if not len(m):
            continue
        fill = mu[np.ix_(members, m)]
        cond = sigma[np.ix_(m, m)]
        if len(o):
            reg = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)])  # Soo^-1 Som
            fill = fill + (Y[np.ix_(members, o)] - mu[np.ix_(members, o)]) @ reg
            cond = cond - sigma[np.ix_(m, o)] @ reg
        if rng is not None:
            L = np.linalg.cholesky(0.5 * (cond + cond.T))
            fill = fill + rng.standard_normal((len(members), len(m))) @ L.T
        out[np.ix_(members, m)] = fill
    after = np.arange(T)[None, :] >= prob.ice[rows][:, None]
    return out + np.where(~mask & after, prob.delta[rows][:, None], 0.0)


# --------------------------------------------------------------------------------------
# step 4: the analysis model


def analyse(A: np.ndarray, Y: np.ndarray, n_groups: int) -> np.ndarray:
    """Step 4: ANCOVA per timepoint; the group coefficients, (n_groups - 1, T)."""
    coef, *_ = np.linalg.lstsq(A, Y, rcond=None)
    return coef[1:n_groups]


def imputed_table(prob: Problem, Y: np.ndarray, groups: list, times: list) -> pd.DataFrame:
    """The completed data in long form (``subject, group, timepoint, change, score, imputed,
    post_ice``)."""
    n, T = Y.shape
    after = np.arange(T)[None, :] >= prob.ice[:, None]
    return pd.DataFrame(
        {
            "subject": np.repeat(prob.ids, T),
            "group": np.repeat(np.array(groups, dtype=object)[prob.group_codes], T),
            "timepoint": pd.Series(list(times) * n, dtype=object).array,
            "change": Y.reshape(-1),
            "score": (Y + prob.baseline[:, None]).reshape(-1),
            "imputed": np.isnan(prob.Y).reshape(-1),
            "post_ice": after.reshape(-1),
        }
    )


def imputation_notes(n_failed: int, n_post: int, strategy: str, delta: dict) -> list[str]:
    """The notes both imputation methods end with: failed bootstrap fits (multiple
    imputation only), the fate of values observed after an ICE, the delta adjustment."""
    lines = []
    if n_failed:
        lines.append(
            f"{n_failed} bootstrap sample(s) could not be fitted and were replaced by new ones."
        )
    if n_post:
        fate = (
            "kept"
            if strategy == "MAR"
            else "kept in the analysis (conditioned on) but left "
            "out of the imputation model's fit, as rbmi does; remove them from the data to "
            "have them imputed"
        )
        lines.append(f"{n_post} observed value(s) at or after an intercurrent event were {fate}.")
    shifted = {g: d for g, d in delta.items() if d != 0}
    if shifted:
        lines.append(
            "Delta adjustment: "
            + ", ".join(f"{d:+g} in {g!r}" for g, d in shifted.items())
            + " on every value imputed at or after the intercurrent event."
        )
    return lines


# --------------------------------------------------------------------------------------
# approximate-Bayesian parameter draws


def draw_parameters(prob: Problem, n_draws: int, rng: np.random.Generator, context: str):
    """Parameter draws of the imputation model as R ``rbmi::method_approxbayes``: the model
    refitted by REML on ``n_draws`` bootstrap samples of subjects, stratified by group (rbmi
    ``set_vars(strata = group)``, its default); each refit starts from the full data's
    optimum. As rbmi (``threshold = 0.01``), up to ``ceil(0.01 n_draws)`` samples whose fit
    fails are replaced by new ones; one more is an error. Returns ``[(beta, Sigma), ...]``,
    the number of failed samples, and the full data's ``(beta, Sigma)``."""
    everyone = np.arange(len(prob.ids))
    theta, beta, sigma, reml = fit(prob, everyone, context)
    hessian = _reml.hessian(reml, theta)
    strata = [np.flatnonzero(prob.group_codes == j) for j in np.unique(prob.group_codes)]
    limit = int(np.ceil(0.01 * n_draws))
    draws: list[tuple[np.ndarray, np.ndarray]] = []
    failed = 0
    while len(draws) < n_draws:
        rows = np.concatenate([rng.choice(s, size=len(s), replace=True) for s in strata])
        try:
            _, b, s, _ = fit(prob, rows, context, theta, hessian)
        except (EstimationError, MMRMConvergenceError) as err:
            failed += 1
            if failed > limit:
                raise MMRMConvergenceError(
                    f"{context}: the imputation model could not be fitted on {failed} "
                    f"bootstrap samples (at most {limit} of {n_draws} may fail, as rbmi's "
                    f"threshold of 1%); the last said: {err} With so few subjects per group "
                    "and timepoint, use compute_reference_imputation (conditional mean, "
                    "jackknife) instead."
                ) from None
            continue
        draws.append((b, s))
    return draws, failed, (beta, sigma)


class DifferencePlot:
    """``plot()`` of the conditional-mean and the multiple-imputation results."""

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The treatment difference in change from baseline at each timepoint with its
        interval, one series per contrast, and the line of no difference; returns the Axes
        (``kwargs`` go to ``Axes.errorbar``)."""
        return plot_differences(self, ax, kwargs)


def plot_differences(result: Any, ax: Any, kwargs: dict[str, Any]) -> Any:
    """:meth:`DifferencePlot.plot` of ``result`` (a table of ``timepoint, contrast,
    estimate, ci_low, ci_high``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.2))
    table = result.table
    times = list(result.timepoints)
    contrasts = list(dict.fromkeys(table["contrast"]))
    offsets = (np.arange(len(contrasts)) - (len(contrasts) - 1) / 2) * 0.08
    for i, contrast in enumerate(contrasts):
        rows = table[table["contrast"] == contrast]
        est = rows["estimate"].to_numpy(dtype=float)
        err = np.vstack(
            [est - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - est]
        )
        x = np.array([times.index(t) for t in rows["timepoint"]]) + offsets[i]
        ax.errorbar(x, est, yerr=err, label=contrast, **{"marker": "o", "capsize": 3, **kwargs})
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.set_xticks(range(len(times)), [str(t) for t in times])
    ax.set_ylabel(f"difference in change from {result.pre!r} in {result.measure}")
    ax.set_title(
        f"{result.strategy}, {result.method.split(' from ')[0]} ({result.confidence:.0%} CI)"
    )
    ax.legend(frameon=False)
    return ax
