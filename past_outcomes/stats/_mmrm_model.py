"""The MMRM's model steps: the design matrix, the REML fit, and the tables read from it.

Steps 5-7 of :func:`past_outcomes.stats.mmrm.fit_mmrm` (its module docstring lists them all):
the fixed-effects design with estimability checks, the fit of each covariance structure with
its fallback, and the coefficient, LS-mean and contrast tables with their inference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._long import no_spread
from past_outcomes.errors import ArgumentError, EstimationError, MMRMConvergenceError
from past_outcomes.stats import _mmrm_data as _data
from past_outcomes.stats import _reml

# --------------------------------------------------------------------------------------
# step 5: design


@dataclasses.dataclass(frozen=True)
class _Model:
    """The design: full matrix, term names, kept (non-aliased) columns, the null space of
    X (to test estimability) and how each column is set on the LS-mean grid."""

    X_all: np.ndarray
    names: list[str]
    keep: list[int]
    null_basis: np.ndarray
    grid_parts: list[tuple[str, Any]]

    @property
    def X(self) -> np.ndarray:
        return self.X_all[:, self.keep]


def _design(obs: pd.DataFrame, spec: _data.Spec, group_levels: list, time_levels: list) -> _Model:
    """Treatment-coded design matrix in R's term order; on the LS-mean grid each column is
    ("const", value), ("group", g), ("time", t), ("cell", (g, t)) or ("time-baseline", (t,
    mean baseline))."""
    columns: list[np.ndarray] = [np.ones(len(obs)), obs["baseline"].to_numpy()]
    names = ["(Intercept)", spec.baseline_term]
    grid_parts: list[tuple[str, Any]] = [("const", 1.0), ("const", float(obs["baseline"].mean()))]
    for cov in spec.covariates:
        if cov in spec.numeric:
            columns.append(obs[cov].to_numpy(dtype=float))
            names.append(cov)
            grid_parts.append(("const", float(obs[cov].mean())))
            continue
        levels = _data.level_order(obs[cov])
        for lev in levels[1:]:
            columns.append(_data.equals(obs[cov], lev).astype(float))
            names.append(f"{cov}[{lev}]")
            grid_parts.append(("const", 1.0 / len(levels)))  # equal weights over levels
    is_group = {g: _data.equals(obs["group"], g) for g in group_levels[1:]}
    is_time = {t: _data.equals(obs["timepoint"], t) for t in time_levels[1:]}
    for g, mask in is_group.items():
        columns.append(mask.astype(float))
        names.append(f"{spec.group}[{g}]")
        grid_parts.append(("group", g))
    for t, mask in is_time.items():
        columns.append(mask.astype(float))
        names.append(f"{spec.timepoint}[{t}]")
        grid_parts.append(("time", t))
    for g in group_levels[1:]:
        for t in time_levels[1:]:
            columns.append((is_group[g] & is_time[t]).astype(float))
            names.append(f"{spec.group}[{g}]:{spec.timepoint}[{t}]")
            grid_parts.append(("cell", (g, t)))
    if spec.baseline_by_timepoint:  # R: base:visit, held at the mean baseline (emmeans)
        for t, mask in is_time.items():
            columns.append(mask * obs["baseline"].to_numpy())
            names.append(f"{spec.baseline_term}:{spec.timepoint}[{t}]")
            grid_parts.append(("time-baseline", (t, grid_parts[1][1])))
    X_all = np.column_stack(columns)
    keep, null_basis = _reml.full_rank_columns(X_all)  # aliased: e.g. a cell without data
    return _Model(X_all, names, keep, null_basis, grid_parts)


# --------------------------------------------------------------------------------------
# step 6: the REML fit


def _estimate(
    model: _Model, obs: pd.DataFrame, spec: _data.Spec, time_levels: list
) -> tuple[_reml.Fit, pd.DataFrame]:
    """Fit the model by REML under each structure of ``spec.covariance``; use the first that
    converges (the pre-specified fallback order). Return that fit and one row per structure
    (``structure, n_parameters, converged, used, loglik, aic, bic, message``)."""
    X, y = model.X, obs["y"].to_numpy()
    n_obs, p = X.shape
    n_times = len(time_levels)
    single = len(spec.covariance) == 1
    if single and spec.covariance[0] != "unstructured" and n_times < 2:
        raise ArgumentError(f"{spec.covariance[0]} needs at least two post-baseline timepoints.")
    _check_estimable(X, y, spec)
    subj_codes, subj_uniques = pd.factorize(obs["subject"])
    time_codes = np.full(n_obs, -1)
    for k, t in enumerate(time_levels):
        time_codes[_data.equals(obs["timepoint"], t)] = k
    n_subj = len(subj_uniques)
    patterns = _reml.patterns(X, y, subj_codes, time_codes, n_subj, n_times)
    sigma0 = _reml.start_sigma(X, y, subj_codes, time_codes, n_subj, n_times)
    rows, used = [], None
    for name in spec.covariance:
        structure = _reml.STRUCTURES[name](n_times)
        try:
            if name != "unstructured" and n_times < 2:
                raise MMRMConvergenceError(f"{name} needs at least two timepoints")
            reml = _reml.Reml(patterns, structure, n_obs, p)
            fit = _reml.fit(reml, structure.start(sigma0))
            if used is None and spec.df == "kenward-roger":
                fit = _reml.kenward_roger(reml, fit)
        except (MMRMConvergenceError, np.linalg.LinAlgError) as err:
            if single:
                raise _convergence_error(err) from None
            rows.append((name, structure.n_par, False, False, np.nan, np.nan, np.nan, str(err)))
            continue
        q, ll = structure.n_par, -0.5 * fit.criterion
        rows.append(
            (name, q, True, used is None, ll, -2 * ll + 2 * q, -2 * ll + q * np.log(n_subj), "")
        )
        used = fit if used is None else used
    table = pd.DataFrame(
        rows,
        columns=[
            "structure",
            "n_parameters",
            "converged",
            "used",
            "loglik",
            "aic",
            "bic",
            "message",
        ],
    )
    if used is None:
        tried = "; ".join(f"{r.structure}: {r.message}" for r in table.itertuples())
        raise MMRMConvergenceError(
            f"fit_mmrm: no covariance structure in the fallback order converged ({tried}). "
            "Check timepoints with few observations, or add a simpler structure to the order."
        )
    return used, table


def _check_estimable(X: np.ndarray, y: np.ndarray, spec: _data.Spec) -> None:
    """Refuse designs with no residual degrees of freedom or no residual variation."""
    n_obs, p = X.shape
    if n_obs - p <= 0:
        raise ArgumentError(
            f"the model has {p} fixed effects but only {n_obs} observations; "
            "use fewer covariates or more data."
        )
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    if no_spread(float(np.sqrt(np.mean(resid**2))), y):
        what = "the outcome is constant" if no_spread(float(np.std(y)), y) else "a perfect fit"
        raise EstimationError(
            f"fit_mmrm: the fixed effects reproduce the {spec.outcome} in {spec.measure} "
            f"exactly (no residual variation: {what}), so the residual covariance, and with "
            f"it every SE, is undefined. Check that {spec.measure} is the score and not a "
            "function of the covariates."
        )


def _convergence_error(err: Exception) -> MMRMConvergenceError:
    if isinstance(err, MMRMConvergenceError):
        return err
    return MMRMConvergenceError(
        f"fit_mmrm: the covariance could not be estimated ({err}); the data are too few "
        "or too regular for it. Try covariance='compound-symmetry', a fallback order, or "
        "check timepoints with few observations."
    )


# --------------------------------------------------------------------------------------
# step 7: tables


def _coefficient_table(names: list[str], keep: list[int], fit: _reml.Fit, alpha: float):
    rows = []
    position = {j: i for i, j in enumerate(keep)}
    for j, name in enumerate(names):
        if j not in position:  # aliased term, as R reports NA
            rows.append((name, *([np.nan] * 5)))
            continue
        c = np.zeros(len(keep))
        c[position[j]] = 1.0
        var, dof = _test(fit, c)
        est = fit.beta[position[j]]
        se, t, pv, _, _ = _inference(est, var, dof, alpha)
        rows.append((name, est, se, dof, t, pv))
    return pd.DataFrame(rows, columns=["term", "estimate", "se", "dof", "t", "p_value"])


def _grid_row(model: _Model, g: Any, t: Any) -> np.ndarray:
    """The design row of group ``g`` at timepoint ``t`` on the LS-mean grid."""
    row = np.empty(len(model.names))
    for j, (kind, val) in enumerate(model.grid_parts):
        if kind == "const":
            row[j] = val
        elif kind == "group":
            row[j] = float(_data.same(g, val))
        elif kind == "time":
            row[j] = float(_data.same(t, val))
        elif kind == "time-baseline":
            row[j] = val[1] * float(_data.same(t, val[0]))
        else:
            row[j] = float(_data.same(g, val[0]) and _data.same(t, val[1]))
    return row


def _linear(model: _Model, fit: _reml.Fit, l_full: np.ndarray) -> tuple[float, float, float] | None:
    """``(estimate, variance, dof)`` of ``l'beta``; None when not estimable (``l`` not
    orthogonal to the null space of X)."""
    if model.null_basis.size:
        scale = max(1.0, float(np.max(np.abs(l_full))))
        if np.max(np.abs(l_full @ model.null_basis)) > 1e-8 * scale:
            return None
    c = l_full[model.keep]
    var, dof = _test(fit, c)
    return float(c @ fit.beta), var, dof


def _test(fit: _reml.Fit, c: np.ndarray) -> tuple[float, float]:
    """Variance of c'beta and its df: Kenward-Roger when the fit carries it, else
    Satterthwaite. Both NaN when the variance is not positive or the df not a positive finite
    number (the Kenward-Roger adjustment can make it so on very little data); the result's
    notes say which estimates lack a standard error."""
    var, dof = fit.kr.test(c) if fit.kr is not None else fit.satterthwaite(c)
    if not (np.isfinite(var) and var > 0 and np.isfinite(dof) and dof > 0):
        return np.nan, np.nan
    return var, dof


def _lsmean_tables(model: _Model, fit: _reml.Fit, group_levels: list, time_levels: list, alpha):
    """LS means per group and timepoint, and each group minus the control at each one."""
    control = group_levels[0]
    grid = {(g, t): _grid_row(model, g, t) for t in time_levels for g in group_levels}
    ls_rows, con_rows, non_estimable = [], [], []
    for t in time_levels:
        for g in group_levels:
            res = _linear(model, fit, grid[g, t])
            if res is None:
                non_estimable.append((g, t))
                ls_rows.append((g, t, *([np.nan] * 5)))
                continue
            est, var, dof = res
            se, _, _, lo, hi = _inference(est, var, dof, alpha)
            ls_rows.append((g, t, est, se, dof, lo, hi))
        for g in group_levels[1:]:
            res = _linear(model, fit, grid[g, t] - grid[control, t])
            if res is None:
                con_rows.append((t, _label(g, control), *([np.nan] * 7)))
                continue
            est, var, dof = res
            se, tval, pv, lo, hi = _inference(est, var, dof, alpha)
            con_rows.append((t, _label(g, control), est, se, dof, tval, pv, lo, hi))
    lsmeans = pd.DataFrame(
        ls_rows, columns=["group", "timepoint", "estimate", "se", "dof", "ci_low", "ci_high"]
    )
    contrasts = pd.DataFrame(
        con_rows,
        columns=[
            *["timepoint", "contrast", "estimate", "se", "dof"],
            *["t", "p_value", "ci_low", "ci_high"],
        ],
    )
    return lsmeans, contrasts, non_estimable


def _label(g: Any, control: Any) -> str:
    return f"{g} - {control}"


def _inference(est: float, var: float, dof: float, alpha: float):
    from scipy import stats

    se = np.sqrt(var)
    t = est / se
    q = stats.t.ppf(1.0 - alpha / 2.0, dof)
    p = 2.0 * stats.t.sf(np.abs(t), dof)
    return se, t, p, est - q * se, est + q * se
