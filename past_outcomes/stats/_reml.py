"""REML generalised least squares with a structured residual covariance (the MMRM's engine).

The engine of :func:`past_outcomes.stats.mmrm.fit_mmrm`, written by hand because statsmodels
has no linear model with an unstructured residual covariance fitted by REML (MixedLM keeps
the residual as sigma^2 I; GEE is not likelihood based). It knows arrays, not data frames:

* the covariance across the T timepoints is parametrised by ``theta``: for
  :class:`Unstructured`, the log-Cholesky factor of Sigma (the log of the diagonal of L and
  the entries below it, Sigma = L L'); for :class:`CompoundSymmetry`, a log variance and a
  logit correlation;
* subjects are grouped by missingness :func:`patterns`, so that each pattern's sub-matrix of
  Sigma is factorised once and the data enter only through per-pattern cross-product sums;
  one evaluation of the criterion costs the same for 60 subjects as for 60,000;
* :class:`Reml` gives -2 REML log-likelihood and its analytic gradient; :func:`fit` minimises
  it (BFGS, then Newton steps on the Hessian by central differences of the gradient, see
  :func:`optimise`) and returns a :class:`Fit` whose :meth:`Fit.satterthwaite` gives the
  variance of ``c'beta`` and its Satterthwaite degrees of freedom,
  ``2 (c'Vc)^2 / (g' A g)``, with ``g`` the analytic gradient of ``c'Vc`` in ``theta`` and
  ``A`` the inverse Hessian of minus the REML log-likelihood (as R ``mmrm`` does);
* :func:`full_rank_columns` keeps the columns of X that add rank, left to right (R's aliasing).

Failures raise :class:`~past_outcomes.errors.MMRMConvergenceError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import MMRMConvergenceError

__all__ = [
    "CompoundSymmetry",
    "Fit",
    "Reml",
    "Unstructured",
    "fit",
    "full_rank_columns",
    "patterns",
    "start_sigma",
]

# --------------------------------------------------------------------------------------
# covariance structures: Sigma(theta) and its derivatives


class Unstructured:
    """Sigma = L L' with L lower triangular; theta = log diag(L) and the entries below it."""

    def __init__(self, n_times: int):
        self.t = n_times
        self.rows, self.cols = np.tril_indices(n_times)
        self.n_par = len(self.rows)

    def names(self, times: Sequence[Any]) -> list[str]:
        out = []
        for a, b in zip(self.rows.tolist(), self.cols.tolist(), strict=True):
            out.append(f"log_chol[{times[a]}]" if a == b else f"chol[{times[a]},{times[b]}]")
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


class CompoundSymmetry:
    """Sigma = v ((1 - rho) I + rho J); theta = (log v, logit of rho on (-1/(T-1), 1))."""

    n_par = 2

    def __init__(self, n_times: int):
        self.t = n_times
        self.lo = -1.0 / (n_times - 1) if n_times > 1 else -1.0

    def names(self, times: Sequence[Any]) -> list[str]:
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


class Pattern:
    """Subjects observed at the same set of timepoints: their cross-product sums."""

    __slots__ = ("idx", "n", "moments")

    def __init__(self, idx: np.ndarray, n: int, moments: np.ndarray):
        self.idx = idx  # timepoint indices, length t
        self.n = n  # number of subjects
        self.moments = moments  # (t, t, p + 1, p + 1): sum_i Z_i[t]' Z_i[u], Z = [X, y]


class Reml:
    """-2 REML log-likelihood, its gradient, and the fixed-effect solution, for given theta."""

    def __init__(self, patterns: list[Pattern], cov, n_obs: int, p: int):
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


def patterns(X, y, subj_codes, time_codes, n_subj, n_times) -> list[Pattern]:
    """Group subjects by the set of timepoints they were seen at; sum their cross-products."""
    p = X.shape[1]
    Z = np.zeros((n_subj, n_times, p + 1))
    observed = np.zeros((n_subj, n_times), dtype=bool)
    Z[subj_codes, time_codes, :p] = X
    Z[subj_codes, time_codes, p] = y
    observed[subj_codes, time_codes] = True
    pattern_id = observed @ (2 ** np.arange(n_times))
    patterns = []
    for pid in np.unique(pattern_id):
        members = pattern_id == pid
        idx = np.flatnonzero(observed[np.argmax(members)])
        Zk = Z[members][:, idx, :]
        moments = np.einsum("ita,iub->tuab", Zk, Zk, optimize=True)
        patterns.append(Pattern(idx, int(members.sum()), moments))
    return patterns


def start_sigma(X, y, subj_codes, time_codes, n_subj, n_times) -> np.ndarray:
    """Starting covariance: pairwise covariance of OLS residuals, made positive definite."""
    beta_ols = np.linalg.solve(X.T @ X, X.T @ y)
    resid = np.full((n_subj, n_times), np.nan)
    resid[subj_codes, time_codes] = y - X @ beta_ols
    sigma0 = pd.DataFrame(resid).cov(min_periods=2).to_numpy()
    var0 = np.nanvar(resid, axis=0)
    var0 = np.where(np.isfinite(var0) & (var0 > 0), var0, np.nanvar(resid))
    sigma0 = np.where(np.isfinite(sigma0), sigma0, 0.0)
    sigma0[np.diag_indices(n_times)] = var0
    w, U = np.linalg.eigh(sigma0)
    w = np.maximum(w, 0.05 * np.mean(var0))
    return (U * w) @ U.T


@dataclasses.dataclass(frozen=True)
class Fit:
    theta: np.ndarray
    theta_vcov: np.ndarray  # inverse Hessian of -loglik in theta
    sigma: np.ndarray
    beta: np.ndarray
    vcov: np.ndarray  # (X' Sigma^-1 X)^-1
    vcov_derivatives: np.ndarray  # dV/dtheta_j
    criterion: float  # -2 REML loglik
    n_iterations: int
    structure: Any  # the covariance structure (Unstructured or CompoundSymmetry)

    def satterthwaite(self, c: np.ndarray) -> tuple[float, float]:
        """Variance of c'beta and its Satterthwaite degrees of freedom."""
        var = float(c @ self.vcov @ c)
        g = np.einsum("jab,a,b->j", self.vcov_derivatives, c, c)
        denom = float(g @ self.theta_vcov @ g)
        return var, (2.0 * var**2 / denom if denom > 0 else np.inf)


def fit(reml: Reml, theta0: np.ndarray) -> Fit:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        theta, n_iter = optimise(reml, theta0)
        solved = reml.solve(theta)
    if solved is None:
        raise MMRMConvergenceError(
            "fit_mmrm: the fitted covariance is singular; the model cannot be estimated. "
            "Check for timepoints with very few observations or use covariance='compound-symmetry'."
        )
    sigma, inverses, A_mat, _, beta, crit = solved
    try:
        V = np.linalg.inv(A_mat)
        V = 0.5 * (V + V.T)
        hess = hessian(reml, theta)
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        raise MMRMConvergenceError(
            "fit_mmrm: the REML optimum is not a proper maximum (the Hessian of the covariance "
            "parameters is not positive definite), so Satterthwaite df cannot be computed. "
            "The unstructured covariance may be over-parametrised for these data: try "
            "covariance='compound-symmetry' or check timepoints with few observations."
        ) from None
    return Fit(
        theta=theta,
        theta_vcov=2.0 * np.linalg.inv(hess),  # the criterion is -2 loglik
        sigma=sigma,
        beta=beta,
        vcov=V,
        vcov_derivatives=reml.vcov_derivatives(theta, inverses, V),
        criterion=float(crit),
        n_iterations=int(n_iter),
        structure=reml.cov,
    )


def full_rank_columns(X: np.ndarray) -> tuple[list[int], np.ndarray]:
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


def hessian(reml: Reml, theta: np.ndarray) -> np.ndarray:
    """Hessian of the -2 REML criterion by central differences of its analytic gradient."""
    q = len(theta)
    H = np.empty((q, q))
    for j in range(q):
        h = 1e-4 * max(1.0, abs(theta[j]))
        e = np.zeros(q)
        e[j] = h
        H[:, j] = (reml.grad(theta + e) - reml.grad(theta - e)) / (2.0 * h)
    return 0.5 * (H + H.T)


def optimise(reml: Reml, theta0: np.ndarray) -> tuple[np.ndarray, int]:
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
        H = hessian(reml, theta)
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
            "variation): check timepoints with few observations, or try "
            "covariance='compound-symmetry'."
        )
    return theta, n_iter
