"""Mixed model for repeated measures (MMRM): ``fit_mmrm``.

The model trials report for change from baseline over several post-baseline visits: fixed
effects for group, visit, group x visit, the baseline score and further covariates; residuals
correlated within subject with an unstructured covariance across visits (one variance per
visit, one covariance per pair of visits), fitted by restricted maximum likelihood (REML).
Subjects with missed visits contribute the visits they have (missing at random).

statsmodels has no such model (MixedLM models the residual as sigma^2 I; GEE is not likelihood
based), so this module writes REML generalised least squares by hand, as R ``mmrm`` does:

* the covariance is parametrised by the log-Cholesky factor of Sigma (the log of the diagonal
  of L and the entries below it, Sigma = L L'), and the REML criterion is minimised with
  ``scipy.optimize`` using its analytic gradient;
* subjects are grouped by missingness pattern, so that each pattern's sub-matrix of Sigma is
  factorised once, and the data enter only through per-pattern cross-product sums; one
  evaluation of the criterion costs the same for 60 subjects as for 60,000;
* degrees of freedom are Satterthwaite's, ``2 (c'Vc)^2 / (g' A g)``, with ``g`` the analytic
  gradient of ``c'Vc`` in the covariance parameters and ``A`` the inverse Hessian of minus
  the REML log-likelihood (the Hessian by central differences of the analytic gradient);
* LS means are built as emmeans builds them: equal weights over the levels of categorical
  covariates, numeric covariates (and the baseline) at their mean over the analysed rows.

Validated against R: ``nlme::gls(chg ~ base + arm * visit, correlation = corSymm(form = ~
as.integer(visit) | subject), weights = varIdent(form = ~ 1 | visit), method = "REML")`` with
``emmeans(fit, ~ arm | visit, mode = "satterthwaite")`` and ``pairs(..., reverse = TRUE)``;
see ``tests/golden/mmrm/make_golden.R``.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from past_outcomes._checks import (
    check_columns,
    check_dataframe,
    check_option,
)
from past_outcomes._long import check_number, no_spread, validate_long
from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    EstimationError,
    MMRMConvergenceError,
    PastOutcomesWarning,
)
from past_outcomes.results import ResultBase

__all__ = ["fit_mmrm", "MMRMResult", "MMRMConvergenceError"]

COVARIANCE_STRUCTURES = ("unstructured", "compound-symmetry")

_METHOD_TEXT = {
    "unstructured": (
        "REML GLS, unstructured covariance, Satterthwaite df; "
        "LS means with equal weights (as emmeans)"
    ),
    "compound-symmetry": (
        "REML GLS, compound-symmetry covariance, Satterthwaite df; "
        "LS means with equal weights (as emmeans)"
    ),
}


# --------------------------------------------------------------------------------------
# result


@dataclasses.dataclass(frozen=True, eq=False)
class MMRMResult(ResultBase):
    """Result of :func:`fit_mmrm`.

    Attributes
    ----------
    lsmeans : DataFrame
        One row per group and visit: ``group, visit, estimate, se, dof, ci_low, ci_high``.
        ``estimate`` is the LS mean (equal weights over categorical covariates, numeric
        covariates and baseline at their mean); ``dof`` Satterthwaite degrees of freedom.
        Also available as ``summary``.
    contrasts : DataFrame
        Each group minus the reference group at each visit: ``visit, contrast, estimate, se,
        dof, t, p_value, ci_low, ci_high`` (two-sided p-value).
    coefficients : DataFrame
        Fixed effects: ``term, estimate, se, dof, t, p_value`` (treatment coding; a term
        aliased with others, e.g. a group x visit cell without data, has NaN throughout).
    covariance : DataFrame
        Estimated residual covariance Sigma, visits x visits.
    loglik : float
        REML log-likelihood at the optimum, on the scale of R ``logLik()`` for ``gls``.
    n_subjects, n_observations : int
        Subjects and rows that entered the fit.
    dropped_rows : DataFrame
        The input rows left out because the outcome or a covariate was missing, with a
        ``reason`` column naming the missing columns.
    method : str
        How the model was fitted.
    reference : Any
        The reference (control) level of the group column.
    visits, groups : tuple
        Visit and group levels in the order used.
    confidence : float
        Confidence level of the intervals.
    covariance_parameters : DataFrame
        Optimisation-scale covariance parameters with their asymptotic covariance (``theta``
        and ``vcov`` columns), for diagnostics.
    n_iterations : int
        Iterations of the optimiser.
    non_estimable : tuple
        ``(group, visit)`` cells whose LS mean is not estimable (no data).
    aliased : tuple
        Fixed-effect terms that are linear combinations of earlier ones (a collinear
        covariate, a group x visit cell without data): NaN in ``coefficients``, as R's NA.
    """

    lsmeans: pd.DataFrame
    contrasts: pd.DataFrame
    coefficients: pd.DataFrame
    covariance: pd.DataFrame
    loglik: float
    n_subjects: int
    n_observations: int
    dropped_rows: pd.DataFrame
    method: str
    reference: Any
    visits: tuple
    groups: tuple
    confidence: float
    covariance_parameters: pd.DataFrame
    n_iterations: int
    non_estimable: tuple = ()
    aliased: tuple = ()

    title: ClassVar[str] = "MMRM: LS means by group and visit"

    @property
    def summary(self) -> pd.DataFrame:
        """The LS means table (``group, visit, estimate, se, dof, ci_low, ci_high``)."""
        return self.lsmeans

    def notes(self) -> list[str]:
        lines = [
            f"Method: {self.method}.",
            f"{self.n_observations} observations from {self.n_subjects} subjects; "
            f"REML log-likelihood {self.loglik:.6g}; reference group {self.reference!r}; "
            f"{self.confidence:.0%} confidence intervals.",
        ]
        if len(self.dropped_rows):
            lines.append(
                f"{len(self.dropped_rows)} row(s) left out for a missing outcome or covariate "
                "(see .dropped_rows)."
            )
        if self.non_estimable:
            cells = ", ".join(f"{g}/{v}" for g, v in self.non_estimable)
            lines.append(f"Not estimable (no data): {cells}.")
        if self.aliased:
            lines.append(
                f"Aliased with earlier terms, so not estimable (NaN in coefficients): "
                f"{', '.join(self.aliased)}."
            )
        return lines


# --------------------------------------------------------------------------------------
# covariance structures: Sigma(theta) and its derivatives


class _Unstructured:
    """Sigma = L L' with L lower triangular; theta = log diag(L) and the entries below it."""

    def __init__(self, n_visits: int):
        self.t = n_visits
        self.rows, self.cols = np.tril_indices(n_visits)
        self.n_par = len(self.rows)

    def names(self, visits: Sequence[Any]) -> list[str]:
        out = []
        for a, b in zip(self.rows, self.cols, strict=True):
            out.append(f"log_chol[{visits[a]}]" if a == b else f"chol[{visits[a]},{visits[b]}]")
        return out

    def _chol(self, theta: np.ndarray) -> np.ndarray:
        L = np.zeros((self.t, self.t))
        L[self.rows, self.cols] = theta
        d = np.arange(self.t)
        L[d, d] = np.exp(L[d, d])
        return L

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        L = self._chol(theta)
        return L @ L.T

    def derivatives(self, theta: np.ndarray) -> np.ndarray:
        """dSigma/dtheta_j as an array (n_par, T, T)."""
        L = self._chol(theta)
        out = np.empty((self.n_par, self.t, self.t))
        for j, (a, b) in enumerate(zip(self.rows, self.cols, strict=True)):
            E = np.zeros((self.t, self.t))
            E[a, b] = L[a, a] if a == b else 1.0
            M = E @ L.T
            out[j] = M + M.T
        return out

    def gradient(self, theta: np.ndarray, D: np.ndarray) -> np.ndarray:
        """tr(D dSigma/dtheta_j) for symmetric D, without forming the derivatives."""
        L = self._chol(theta)
        G = 2.0 * D @ L
        g = G[self.rows, self.cols]
        diag = self.rows == self.cols
        g[diag] *= L[self.rows[diag], self.rows[diag]]
        return g

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        L = np.linalg.cholesky(sigma0)
        d = np.arange(self.t)
        L[d, d] = np.log(L[d, d])
        return L[self.rows, self.cols]


class _CompoundSymmetry:
    """Sigma = v ((1 - rho) I + rho J); theta = (log v, logit of rho on (-1/(T-1), 1))."""

    n_par = 2

    def __init__(self, n_visits: int):
        self.t = n_visits
        self.lo = -1.0 / (n_visits - 1) if n_visits > 1 else -1.0

    def names(self, visits: Sequence[Any]) -> list[str]:
        return ["log_variance", "rho_logit"]

    def _parts(self, theta):
        v = np.exp(theta[0])
        s = 1.0 / (1.0 + np.exp(-theta[1]))
        rho = self.lo + (1.0 - self.lo) * s
        drho = (1.0 - self.lo) * s * (1.0 - s)
        return v, rho, drho

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        v, rho, _ = self._parts(theta)
        return v * ((1.0 - rho) * np.eye(self.t) + rho * np.ones((self.t, self.t)))

    def derivatives(self, theta: np.ndarray) -> np.ndarray:
        v, rho, drho = self._parts(theta)
        off = np.ones((self.t, self.t)) - np.eye(self.t)
        return np.stack([self.sigma(theta), v * drho * off])

    def gradient(self, theta: np.ndarray, D: np.ndarray) -> np.ndarray:
        return np.einsum("jtu,tu->j", self.derivatives(theta), D)

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        v = float(np.mean(np.diag(sigma0)))
        if self.t > 1:
            sd = np.sqrt(np.diag(sigma0))
            corr = sigma0 / np.outer(sd, sd)
            rho = float(np.mean(corr[~np.eye(self.t, dtype=bool)]))
        else:
            rho = 0.0
        s = (np.clip(rho, self.lo + 1e-3, 0.99) - self.lo) / (1.0 - self.lo)
        return np.array([np.log(v), np.log(s / (1.0 - s))])


# --------------------------------------------------------------------------------------
# REML engine on per-pattern sufficient statistics


class _Pattern:
    """Subjects observed at the same set of visits: their cross-product sums."""

    __slots__ = ("idx", "n", "moments")

    def __init__(self, idx: np.ndarray, n: int, moments: np.ndarray):
        self.idx = idx  # visit indices, length t
        self.n = n  # number of subjects
        self.moments = moments  # (t, t, p + 1, p + 1): sum_i Z_i[t]' Z_i[u], Z = [X, y]


class _Reml:
    """-2 REML log-likelihood, its gradient, and the fixed-effect solution, for given theta."""

    def __init__(self, patterns: list[_Pattern], cov, n_obs: int, p: int):
        self.patterns = patterns
        self.cov = cov
        self.n_obs = n_obs
        self.p = p
        self.const = (n_obs - p) * np.log(2.0 * np.pi)

    def solve(self, theta: np.ndarray):
        """Return (Sigma, [W_k], A = X'Sigma^-1 X, chol(A), beta, crit); None if not PD."""
        p = self.p
        sigma = self.cov.sigma(theta)
        G = np.zeros((p + 1, p + 1))
        logdet = 0.0
        inverses = []
        for pat in self.patterns:
            sub = sigma[np.ix_(pat.idx, pat.idx)]
            try:
                C = np.linalg.cholesky(sub)
            except np.linalg.LinAlgError:
                return None
            Ci = np.linalg.inv(C)
            W = Ci.T @ Ci
            inverses.append(W)
            logdet += 2.0 * pat.n * np.sum(np.log(np.diag(C)))
            G += np.tensordot(W, pat.moments, axes=([0, 1], [0, 1]))
        A = G[:p, :p]
        b = G[:p, p]
        try:
            CA = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            return None
        beta = np.linalg.solve(CA.T, np.linalg.solve(CA, b))
        quad = G[p, p] - b @ beta
        crit = self.const + logdet + 2.0 * np.sum(np.log(np.diag(CA))) + quad
        return sigma, inverses, A, CA, beta, crit

    def value(self, theta: np.ndarray) -> float:
        out = self.solve(theta)
        if out is None or not np.isfinite(out[-1]):
            return np.inf
        return float(out[-1])

    def value_and_grad(self, theta: np.ndarray):
        out = self.solve(theta)
        if out is None or not np.isfinite(out[-1]):
            return np.inf, np.zeros_like(theta)
        sigma, inverses, A, CA, beta, crit = out
        p = self.p
        # d crit / d W_k = H_k = <M_k, Ainv (+) z z'>, z = (-beta, 1): log|A| and quadratic
        K = np.zeros((p + 1, p + 1))
        try:
            CAi = np.linalg.inv(CA)
        except np.linalg.LinAlgError:
            return np.inf, np.zeros_like(theta)
        K[:p, :p] = CAi.T @ CAi
        z = np.append(-beta, 1.0)
        K += np.outer(z, z)
        D = np.zeros_like(sigma)
        for pat, W in zip(self.patterns, inverses, strict=True):
            H = np.tensordot(pat.moments, K, axes=([2, 3], [0, 1]))
            Dk = pat.n * W - W @ H @ W
            D[np.ix_(pat.idx, pat.idx)] += 0.5 * (Dk + Dk.T)
        return crit, self.cov.gradient(theta, D)

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_grad(theta)[1]

    def vcov_derivatives(self, theta: np.ndarray, inverses, V: np.ndarray) -> np.ndarray:
        """dV/dtheta_j for V = (X' Sigma^-1 X)^-1, as an array (n_par, p, p)."""
        p = self.p
        dS = self.cov.derivatives(theta)
        out = np.empty((len(dS), p, p))
        for j in range(len(dS)):
            dA = np.zeros((p, p))
            for pat, W in zip(self.patterns, inverses, strict=True):
                dW = -W @ dS[j][np.ix_(pat.idx, pat.idx)] @ W
                dA += np.tensordot(dW, pat.moments[:, :, :p, :p], axes=([0, 1], [0, 1]))
            out[j] = -V @ dA @ V
        return out


# --------------------------------------------------------------------------------------
# helpers


def _natural_key(value: Any):
    if isinstance(value, str):
        return tuple(int(s) if i % 2 else s for i, s in enumerate(re.split(r"(\d+)", value)))
    return (value,)


def _levels(series: pd.Series) -> list:
    """Levels in a stable order: categorical order, numeric order, or natural string order."""
    present = pd.unique(series.dropna())
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if c in set(present)]
    try:
        return sorted(present, key=_natural_key)
    except TypeError:
        return sorted(present, key=lambda v: (type(v).__name__, str(v)))


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _check_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ArgumentError(f"{name} must be a column name (a non-empty string); got {value!r}.")
    return value


def _inference(est, var, dof, alpha):
    from scipy import stats

    se = np.sqrt(var)
    t = est / se
    q = stats.t.ppf(1.0 - alpha / 2.0, dof)
    p = 2.0 * stats.t.sf(np.abs(t), dof)
    return se, t, p, est - q * se, est + q * se


# --------------------------------------------------------------------------------------
# public function


def fit_mmrm(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str,
    visit: str,
    group: str,
    baseline: str | None = None,
    covariates: Iterable[str] | str = (),
    covariance: str = "unstructured",
    confidence: float = 0.95,
    reference: Any = None,
    visits: Sequence[Any] | None = None,
) -> MMRMResult:
    """Fit a mixed model for repeated measures and report LS means and group differences.

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
        Long format: one row per subject and post-baseline visit. Missed visits are simply
        absent (or have a missing outcome); they are assumed missing at random.
    measure : str
        Outcome column, typically change from baseline.
    subject : str
        Subject identifier column.
    visit : str
        Visit column (any type; a categorical column keeps its category order).
    group : str
        Treatment arm column.
    baseline : str, optional
        Numeric baseline-score column, entered as a covariate (no baseline x visit term).
    covariates : str or sequence of str
        Further covariates: numeric columns enter linearly, other columns as factors
        (treatment coding).
    covariance : {"unstructured", "compound-symmetry"}
        Residual covariance across visits within subject.
    confidence : float
        Confidence level of the intervals.
    reference : optional
        Control level of ``group``; differences are each other level minus this one.
        Default: the first level (category order, else sorted).
    visits : sequence, optional
        The visits, in order. Default: category order if ``visit`` is categorical, else
        sorted (numbers numerically, text in natural order: ``week2`` before ``week12``).
        Rows at a visit not listed are a data error.

    Returns
    -------
    MMRMResult
        ``summary``/``lsmeans``, ``contrasts``, ``coefficients``, ``covariance``,
        ``loglik``, ``n_subjects``, ``n_observations``, ``dropped_rows``, ``method``.

    Raises
    ------
    ArgumentError
        A column is missing, an option is unknown, ``reference`` or ``visits`` do not match
        the data.
    DataValidationError
        A subject has two rows at one visit (``duplicate-observation``); an identifier is
        missing (``missing-value``); a value is not a number (``not-a-number``); a visit is
        not among ``visits`` (``out-of-range``). ``failure_cases`` lists every one.
    MMRMConvergenceError
        The REML optimisation does not converge or the covariance is singular.

    Warns
    -----
    PastOutcomesWarning
        Rows were left out for a missing outcome or covariate (listed in ``dropped_rows``);
        a group has no data at some visit (those LS means and differences are NaN).

    Notes
    -----
    The model is ``measure ~ baseline + covariates + group * visit`` with
    ``Cov(e_i) = Sigma[visits of i]``. The REML criterion is minimised over the log-Cholesky
    factor of Sigma with BFGS and an analytic gradient, then polished by Newton steps. Each
    LS mean is ``l' beta`` with ``l`` the design row for that group and visit, the
    baseline and numeric covariates at their mean over the analysed rows and categorical
    covariates averaged with equal weights over their levels (emmeans' default, SAS LSMEANS).
    Degrees of freedom are Satterthwaite's, ``2 (l'Vl)^2 / (g' A g)``, as in R ``mmrm`` and
    emmeans' ``mode = "satterthwaite"`` for ``gls``.
    """
    check_dataframe("data", data)
    measure, subject, visit, group = (
        _check_name(name, value)
        for name, value in (
            ("measure", measure),
            ("subject", subject),
            ("visit", visit),
            ("group", group),
        )
    )
    if baseline is not None:
        baseline = _check_name("baseline", baseline)
    if isinstance(covariates, str):
        covariates = (covariates,)
    covariates = tuple(_check_name("covariates", c) for c in covariates)
    check_option("covariance", covariance, COVARIANCE_STRUCTURES)
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True,
        remedy="Pass e.g. confidence=0.95.",
    )  # fmt: skip
    model_cols = [measure, *([baseline] if baseline else []), *covariates]
    roles = [subject, visit, group, *model_cols]
    check_columns(data, roles)
    repeated = sorted({c for c in roles if roles.count(c) > 1})
    if repeated:
        raise ArgumentError(
            f"each column must play one role; got {', '.join(map(repr, repeated))} more than "
            "once among measure, subject, visit, group, baseline and covariates."
        )
    if visits is not None:
        visits = list(visits)
        if len(visits) == 0 or len(set(visits)) != len(visits):
            raise ArgumentError(
                f"visits must list each visit once; got {visits!r}. Remove the repeats."
            )

    # rows are worked on by position and reported by their original label
    numeric = _validate_rows(
        data,
        subject=subject,
        visit=visit,
        group=group,
        numeric_cols=[measure, *([baseline] if baseline else [])]
        + [c for c in covariates if not _is_categorical(data[c])],
        visits=visits,
    )
    used, dropped = _drop_incomplete(data, numeric, model_cols)
    d = data.reset_index(drop=True).loc[used]
    numeric = {c: v.loc[used].to_numpy() for c, v in numeric.items()}

    visit_levels = _visit_levels(data[visit], d[visit], visits, measure)
    group_levels = _group_levels(d[group], group, reference)
    reference = group_levels[0]
    n_visits = len(visit_levels)
    if covariance == "compound-symmetry" and n_visits < 2:
        raise ArgumentError("compound-symmetry needs at least two visits.")

    X_all, names, grid_parts = _design(
        d, numeric, baseline, covariates, group, group_levels, visit, visit_levels
    )
    y = numeric[measure]
    keep, null_basis = _full_rank_columns(X_all)  # aliased: a group x visit cell without data
    X = X_all[:, keep]
    p = X.shape[1]
    n_obs = len(d)
    if n_obs - p <= 0:
        raise ArgumentError(
            f"the model has {p} fixed effects but only {n_obs} observations; "
            "use fewer covariates or more data."
        )
    subj_codes, subj_uniques = pd.factorize(d[subject], sort=True)
    vis_codes = pd.Categorical(d[visit], categories=visit_levels).codes
    n_subj = len(subj_uniques)

    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    if no_spread(float(np.sqrt(np.mean(resid**2))), y):
        raise EstimationError(
            f"fit_mmrm: the fixed effects reproduce {measure} exactly (no residual variation: "
            f"{'the outcome is constant' if no_spread(float(np.std(y)), y) else 'a perfect fit'}"
            "), so the residual covariance, and with it every SE, is undefined. Check that "
            f"{measure} is the outcome and not a function of the covariates."
        )
    cov_struct = (
        _Unstructured(n_visits) if covariance == "unstructured" else _CompoundSymmetry(n_visits)
    )
    reml = _Reml(_patterns(X, y, subj_codes, vis_codes, n_subj, n_visits), cov_struct, n_obs, p)
    try:
        theta0 = cov_struct.start(_start_sigma(X, y, subj_codes, vis_codes, n_subj, n_visits))
        fit = _fit(reml, theta0)
    except np.linalg.LinAlgError as err:
        raise MMRMConvergenceError(
            f"fit_mmrm: the covariance could not be estimated ({err}); the data are too few "
            "or too regular for it. Try covariance='compound-symmetry' or check visits with "
            "few observations."
        ) from None

    alpha = 1.0 - confidence
    coefficients = _coefficient_table(names, keep, fit, alpha)
    lsmeans, contrasts, non_estimable = _lsmean_tables(
        names, grid_parts, keep, null_basis, fit, group_levels, visit_levels, alpha
    )
    if non_estimable:
        cells = ", ".join(f"{g!r} at {v!r}" for g, v in non_estimable)
        warnings.warn(
            f"fit_mmrm: no data for {cells}; those LS means and differences are not estimable "
            "and are reported as NaN.",
            PastOutcomesWarning,
            stacklevel=2,
        )
    if len(dropped):
        warnings.warn(
            f"fit_mmrm: {len(dropped)} row(s) left out because the outcome or a covariate is "
            "missing (see result.dropped_rows); the model uses each subject's other visits "
            "(missing at random).",
            PastOutcomesWarning,
            stacklevel=2,
        )

    visit_index = pd.Index(visit_levels, name=visit)
    par_names = cov_struct.names(visit_levels)
    cov_params = pd.DataFrame(fit.theta_vcov, index=par_names, columns=par_names)
    cov_params.insert(0, "theta", fit.theta)
    return MMRMResult(
        lsmeans=lsmeans,
        contrasts=contrasts,
        coefficients=coefficients,
        covariance=pd.DataFrame(fit.sigma, index=visit_index, columns=visit_index.copy()),
        loglik=float(-0.5 * fit.criterion),
        n_subjects=int(n_subj),
        n_observations=int(n_obs),
        dropped_rows=dropped,
        method=_METHOD_TEXT[covariance],
        reference=reference,
        visits=tuple(visit_levels),
        groups=tuple(group_levels),
        confidence=confidence,
        covariance_parameters=cov_params,
        n_iterations=fit.n_iterations,
        non_estimable=tuple(non_estimable),
        aliased=tuple(names[j] for j in range(len(names)) if j not in set(keep)),
    )


# --------------------------------------------------------------------------------------
# steps of fit_mmrm


def _validate_rows(
    data: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    group: str,
    numeric_cols: list[str],
    visits: list | None,
) -> dict[str, pd.Series]:
    """The long-data validation every function shares (``_long.validate_long``: missing ids,
    duplicates, not-a-number, not-finite, a subject in two groups), plus the one check only
    the MMRM has: a visit not among ``visits`` (``out-of-range``). Every failure is raised
    together; returns the numeric columns as float Series indexed by position."""
    failures = []
    clean = None
    try:
        clean = validate_long(
            data,
            subject=subject,
            timepoint=visit,
            id_columns=[subject, visit, group],
            measures=numeric_cols,
            group=group,
            context="fit_mmrm",
        )
    except DataValidationError as err:
        failures.append(err.failure_cases)
    if visits is not None:
        outside = np.flatnonzero((data[visit].notna() & ~data[visit].isin(visits)).to_numpy())
        if len(outside):
            failures.append(
                pd.DataFrame(
                    {
                        "row": list(data.index[outside]),
                        "subject": list(data[subject].to_numpy(dtype=object)[outside]),
                        "timepoint": list(data[visit].to_numpy(dtype=object)[outside]),
                        "column": visit,
                        "value": list(data[visit].to_numpy(dtype=object)[outside]),
                        "reason": "out-of-range",
                    }
                )
            )
    if failures:
        raise DataValidationError(
            pd.concat(failures, ignore_index=True),
            context="fit_mmrm",
            remedy="Fix or remove these rows: each subject needs at most one row per visit, "
            "one group, subject, visit and group present, finite numeric outcome and covariates "
            "and a visit among visits.",
        )
    n = len(data)
    return {c: pd.Series(clean[c].to_numpy(dtype=float), index=range(n)) for c in numeric_cols}


def _drop_incomplete(
    data: pd.DataFrame, numeric: dict[str, pd.Series], model_cols: list[str]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Positions of the rows to analyse, and the left-out rows with a ``reason`` column."""
    missing = np.column_stack(
        [
            numeric[c].isna().to_numpy() if c in numeric else data[c].isna().to_numpy()
            for c in model_cols
        ]
    )
    drop = missing.any(axis=1)
    dropped = data.iloc[np.flatnonzero(drop)].copy()
    dropped["reason"] = [
        "missing " + ", ".join(c for c, m in zip(model_cols, missing[r], strict=True) if m)
        for r in np.flatnonzero(drop)
    ]
    used = np.flatnonzero(~drop)
    if len(used) == 0:
        raise ArgumentError(f"data has no row with {model_cols[0]} and every covariate present.")
    return used, dropped


def _visit_levels(all_visits: pd.Series, used: pd.Series, visits: list | None, measure: str):
    levels = list(visits) if visits is not None else _levels(all_visits)
    present = set(used)
    absent = [v for v in levels if v not in present]
    if absent and visits is not None:
        raise ArgumentError(
            f"visits lists {', '.join(map(repr, absent))}, but no row has an observed "
            f"{measure} there; remove it from visits."
        )
    return [v for v in levels if v in present]


def _group_levels(groups: pd.Series, group: str, reference: Any) -> list:
    """Group levels with the reference first."""
    levels = _levels(groups)
    if reference is None:
        reference = levels[0]
    elif reference not in levels:
        raise ArgumentError(
            f"reference must be one of the levels of {group} "
            f"({', '.join(map(repr, levels))}); got {reference!r}."
        )
    if len(levels) < 2:
        raise ArgumentError(
            f"{group} must have at least two levels to compare; got only {reference!r}."
        )
    return [reference] + [g for g in levels if g != reference]


def _design(d, numeric, baseline, covariates, group, group_levels, visit, visit_levels):
    """Treatment-coded design matrix in R's term order, its term names, and how each column
    is set on the LS-mean grid: ("const", value), ("group", g), ("visit", v), ("cell", (g, v))."""
    columns: list[np.ndarray] = [np.ones(len(d))]
    names = ["(Intercept)"]
    grid_parts: list[tuple[str, Any]] = [("const", 1.0)]
    if baseline:
        columns.append(numeric[baseline])
        names.append(baseline)
        grid_parts.append(("const", float(numeric[baseline].mean())))
    for cov in covariates:
        if cov in numeric:
            columns.append(numeric[cov])
            names.append(cov)
            grid_parts.append(("const", float(numeric[cov].mean())))
            continue
        levels = _levels(d[cov])
        for lev in levels[1:]:
            columns.append((d[cov] == lev).to_numpy(float))
            names.append(f"{cov}[{lev}]")
            grid_parts.append(("const", 1.0 / len(levels)))  # equal weights over levels
    g_vals = d[group].to_numpy()
    v_vals = d[visit].to_numpy()
    for g in group_levels[1:]:
        columns.append((g_vals == g).astype(float))
        names.append(f"{group}[{g}]")
        grid_parts.append(("group", g))
    for v in visit_levels[1:]:
        columns.append((v_vals == v).astype(float))
        names.append(f"{visit}[{v}]")
        grid_parts.append(("visit", v))
    for g in group_levels[1:]:
        for v in visit_levels[1:]:
            columns.append(((g_vals == g) & (v_vals == v)).astype(float))
            names.append(f"{group}[{g}]:{visit}[{v}]")
            grid_parts.append(("cell", (g, v)))
    return np.column_stack(columns), names, grid_parts


def _patterns(X, y, subj_codes, vis_codes, n_subj, n_visits) -> list[_Pattern]:
    """Group subjects by the set of visits they were seen at; sum their cross-products."""
    p = X.shape[1]
    Z = np.zeros((n_subj, n_visits, p + 1))
    observed = np.zeros((n_subj, n_visits), dtype=bool)
    Z[subj_codes, vis_codes, :p] = X
    Z[subj_codes, vis_codes, p] = y
    observed[subj_codes, vis_codes] = True
    pattern_id = observed @ (2 ** np.arange(n_visits))
    patterns = []
    for pid in np.unique(pattern_id):
        members = pattern_id == pid
        idx = np.flatnonzero(observed[np.argmax(members)])
        Zk = Z[members][:, idx, :]
        moments = np.einsum("ita,iub->tuab", Zk, Zk, optimize=True)
        patterns.append(_Pattern(idx, int(members.sum()), moments))
    return patterns


def _start_sigma(X, y, subj_codes, vis_codes, n_subj, n_visits) -> np.ndarray:
    """Starting covariance: pairwise covariance of OLS residuals, made positive definite."""
    beta_ols = np.linalg.solve(X.T @ X, X.T @ y)
    resid = np.full((n_subj, n_visits), np.nan)
    resid[subj_codes, vis_codes] = y - X @ beta_ols
    sigma0 = pd.DataFrame(resid).cov(min_periods=2).to_numpy()
    var0 = np.nanvar(resid, axis=0)
    var0 = np.where(np.isfinite(var0) & (var0 > 0), var0, np.nanvar(resid))
    sigma0 = np.where(np.isfinite(sigma0), sigma0, 0.0)
    sigma0[np.diag_indices(n_visits)] = var0
    w, U = np.linalg.eigh(sigma0)
    w = np.maximum(w, 0.05 * np.mean(var0))
    return (U * w) @ U.T


@dataclasses.dataclass(frozen=True)
class _Fit:
    theta: np.ndarray
    theta_vcov: np.ndarray  # inverse Hessian of -loglik in theta
    sigma: np.ndarray
    beta: np.ndarray
    vcov: np.ndarray  # (X' Sigma^-1 X)^-1
    vcov_derivatives: np.ndarray  # dV/dtheta_j
    criterion: float  # -2 REML loglik
    n_iterations: int

    def satterthwaite(self, c: np.ndarray) -> tuple[float, float]:
        """Variance of c'beta and its Satterthwaite degrees of freedom."""
        var = float(c @ self.vcov @ c)
        g = np.einsum("jab,a,b->j", self.vcov_derivatives, c, c)
        denom = float(g @ self.theta_vcov @ g)
        return var, (2.0 * var**2 / denom if denom > 0 else np.inf)


def _fit(reml: _Reml, theta0: np.ndarray) -> _Fit:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        theta, n_iter = _optimise(reml, theta0)
        solved = reml.solve(theta)
    if solved is None:
        raise MMRMConvergenceError(
            "fit_mmrm: the fitted covariance is singular; the model cannot be estimated. "
            "Check for visits with very few observations or use covariance='compound-symmetry'."
        )
    sigma, inverses, A_mat, _, beta, crit = solved
    try:
        V = np.linalg.inv(A_mat)
        V = 0.5 * (V + V.T)
        hess = _hessian(reml, theta)
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        raise MMRMConvergenceError(
            "fit_mmrm: the REML optimum is not a proper maximum (the Hessian of the covariance "
            "parameters is not positive definite), so Satterthwaite df cannot be computed. "
            "The unstructured covariance may be over-parametrised for these data: try "
            "covariance='compound-symmetry' or check visits with few observations."
        ) from None
    return _Fit(
        theta=theta,
        theta_vcov=2.0 * np.linalg.inv(hess),  # the criterion is -2 loglik
        sigma=sigma,
        beta=beta,
        vcov=V,
        vcov_derivatives=reml.vcov_derivatives(theta, inverses, V),
        criterion=float(crit),
        n_iterations=int(n_iter),
    )


def _coefficient_table(names: list[str], keep: list[int], fit: _Fit, alpha: float):
    rows = []
    position = {j: i for i, j in enumerate(keep)}
    for j, name in enumerate(names):
        if j not in position:  # aliased term, as R reports NA
            rows.append((name, *([np.nan] * 5)))
            continue
        c = np.zeros(len(keep))
        c[position[j]] = 1.0
        var, dof = fit.satterthwaite(c)
        est = fit.beta[position[j]]
        se, t, pv, _, _ = _inference(est, var, dof, alpha)
        rows.append((name, est, se, dof, t, pv))
    return pd.DataFrame(rows, columns=["term", "estimate", "se", "dof", "t", "p_value"])


def _lsmean_tables(names, grid_parts, keep, null_basis, fit, group_levels, visit_levels, alpha):
    """LS means per group and visit, and each group minus the reference at each visit."""

    def grid_row(g, v) -> np.ndarray:
        row = np.empty(len(names))
        for j, (kind, val) in enumerate(grid_parts):
            if kind == "const":
                row[j] = val
            elif kind == "group":
                row[j] = float(g == val)
            elif kind == "visit":
                row[j] = float(v == val)
            else:
                row[j] = float((g, v) == val)
        return row

    def estimate(l_full: np.ndarray):
        if null_basis.size:  # estimable only if orthogonal to the null space of X
            scale = max(1.0, float(np.max(np.abs(l_full))))
            if np.max(np.abs(l_full @ null_basis)) > 1e-8 * scale:
                return None
        c = l_full[keep]
        var, dof = fit.satterthwaite(c)
        return float(c @ fit.beta), var, dof

    reference = group_levels[0]
    grid = {(g, v): grid_row(g, v) for v in visit_levels for g in group_levels}
    ls_rows, con_rows, non_estimable = [], [], []
    for v in visit_levels:
        for g in group_levels:
            res = estimate(grid[g, v])
            if res is None:
                non_estimable.append((g, v))
                ls_rows.append((g, v, *([np.nan] * 5)))
                continue
            est, var, dof = res
            se, _, _, lo, hi = _inference(est, var, dof, alpha)
            ls_rows.append((g, v, est, se, dof, lo, hi))
        for g in group_levels[1:]:
            label = f"{g} - {reference}"
            res = estimate(grid[g, v] - grid[reference, v])
            if res is None:
                con_rows.append((v, label, *([np.nan] * 7)))
                continue
            est, var, dof = res
            se, t, pv, lo, hi = _inference(est, var, dof, alpha)
            con_rows.append((v, label, est, se, dof, t, pv, lo, hi))
    lsmeans = pd.DataFrame(
        ls_rows, columns=["group", "visit", "estimate", "se", "dof", "ci_low", "ci_high"]
    )
    contrasts = pd.DataFrame(
        con_rows,
        columns=["visit", "contrast", "estimate", "se", "dof", "t", "p_value", "ci_low", "ci_high"],
    )
    return lsmeans, contrasts, non_estimable


def _full_rank_columns(X: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Keep columns left to right while they add rank (as R keeps the first of aliased
    columns); return the kept indices and a basis of the null space of X (columns x k)."""
    norms = np.linalg.norm(X, axis=0)
    scaled = X / np.where(norms > 0, norms, 1.0)
    gram = scaled.T @ scaled
    keep: list[int] = []
    for j in range(X.shape[1]):
        if norms[j] == 0:
            continue
        trial = keep + [j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)], tol=1e-9) == len(trial):
            keep = trial
    dropped = [j for j in range(X.shape[1]) if j not in keep]
    if not dropped:
        return keep, np.zeros((X.shape[1], 0))
    basis = np.zeros((X.shape[1], len(dropped)))
    coef = np.linalg.lstsq(X[:, keep], X[:, dropped], rcond=None)[0]
    for i, j in enumerate(dropped):
        basis[keep, i] = coef[:, i]
        basis[j, i] = -1.0
    return keep, basis


def _hessian(reml: _Reml, theta: np.ndarray) -> np.ndarray:
    """Hessian of the -2 REML criterion by central differences of its analytic gradient."""
    q = len(theta)
    H = np.empty((q, q))
    for j in range(q):
        h = 1e-4 * max(1.0, abs(theta[j]))
        e = np.zeros(q)
        e[j] = h
        H[:, j] = (reml.grad(theta + e) - reml.grad(theta - e)) / (2.0 * h)
    return 0.5 * (H + H.T)


def _optimise(reml: _Reml, theta0: np.ndarray) -> tuple[np.ndarray, int]:
    from scipy import optimize

    res = optimize.minimize(
        reml.value_and_grad,
        theta0,
        jac=True,
        method="BFGS",
        options={"gtol": 1e-6, "maxiter": 2000},
    )
    theta = res.x
    n_iter = int(res.nit)
    # polish with Newton steps on the finite-difference Hessian of the analytic gradient
    crit, grad = reml.value_and_grad(theta)
    for _ in range(20):
        if not np.isfinite(crit):
            break
        if np.max(np.abs(grad)) < 1e-8 * max(1.0, abs(crit)):
            break
        H = _hessian(reml, theta)
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-4:
            new = theta - t * step
            new_crit, new_grad = reml.value_and_grad(new)
            if new_crit <= crit + 1e-12 * abs(crit):
                break
            t /= 2
        else:
            break
        theta, crit, grad = new, new_crit, new_grad
        n_iter += 1
    scale = max(1.0, abs(crit))
    if not np.isfinite(crit) or np.max(np.abs(grad)) > 1e-4 * scale:
        raise MMRMConvergenceError(
            "fit_mmrm: the REML optimisation did not converge "
            f"(largest gradient {np.max(np.abs(grad)):.3g} after {n_iter} iterations; "
            f"optimiser says: {res.message}). The unstructured covariance may have too many "
            "parameters for these data (or the outcome is fitted exactly, with no residual "
            "variation): check visits with few observations, or try "
            "covariance='compound-symmetry'."
        )
    return theta, n_iter
