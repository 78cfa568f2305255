"""REML generalised least squares with a structured residual covariance (the MMRM's engine).

The engine of :func:`past_outcomes.stats.mmrm.fit_mmrm`, written by hand because statsmodels
has no linear model with an unstructured residual covariance fitted by REML (MixedLM keeps
the residual as sigma^2 I; GEE is not likelihood based). It knows arrays, not data frames:

* the covariance across the T timepoints is parametrised by ``theta``: for
  :class:`Unstructured`, the log-Cholesky factor of Sigma (the log of the diagonal of L and
  the entries below it, Sigma = L L'); for :class:`CompoundSymmetry`, a log variance and a
  logit correlation; :class:`Toeplitz`, :class:`AR1`, :class:`HeterogeneousAR1` and
  :class:`HeterogeneousCompoundSymmetry` likewise map R^q onto positive definite matrices
  (derivatives by the complex step); ``STRUCTURES`` maps names to classes;
* subjects are grouped by missingness :func:`patterns`, so that each pattern's sub-matrix of
  Sigma is factorised once and the data enter only through per-pattern cross-product sums;
  one evaluation of the criterion costs the same for 60 subjects as for 60,000;
* :class:`Reml` gives -2 REML log-likelihood and its analytic gradient; :func:`fit` minimises
  it (BFGS, then Newton steps on the Hessian by central differences of the gradient, see
  :func:`optimise`) and returns a :class:`Fit` whose :meth:`Fit.satterthwaite` gives the
  variance of ``c'beta`` and its Satterthwaite degrees of freedom,
  ``2 (c'Vc)^2 / (g' A g)``, with ``g`` the analytic gradient of ``c'Vc`` in ``theta`` and
  ``A`` the inverse Hessian of minus the REML log-likelihood (as R ``mmrm`` does);
* :func:`kenward_roger` adds the Kenward-Roger (1997) adjusted covariance of beta and the
  pieces of its df (:class:`KenwardRoger`), in each structure's natural parameters;
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
    """Sigma = L L' with L lower triangular; theta = log diag(L) and the entries below it.

    Natural parameters (SAS ``TYPE=UN``): the entries of Sigma on and below the diagonal;
    Sigma is linear in them."""

    name = "unstructured"
    linear = True

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

    def natural(self, theta: np.ndarray) -> np.ndarray:
        return self.sigma(theta)[self.rows, self.cols]

    def sigma_natural(self, psi: np.ndarray) -> np.ndarray:
        S = np.zeros((self.t, self.t), dtype=np.result_type(psi, float))
        S[self.rows, self.cols] = psi
        S[self.cols, self.rows] = psi
        return S

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        L = np.linalg.cholesky(sigma0)
        d = np.arange(self.t)
        L[d, d] = np.log(L[d, d])
        return L[self.rows, self.cols]


class CompoundSymmetry:
    """Sigma = v ((1 - rho) I + rho J); theta = (log v, logit of rho on (-1/(T-1), 1)).

    Natural parameters (SAS ``TYPE=CS``): the within-subject covariance ``v rho`` and the
    residual variance ``v (1 - rho)``; Sigma is linear in them."""

    name = "compound-symmetry"
    n_par = 2
    linear = True

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
        s = (np.clip(_mean_corr(sigma0), self.lo + 1e-3, 0.99) - self.lo) / (1.0 - self.lo)
        return np.array([np.log(v), np.log(s / (1.0 - s))])

    def natural(self, theta: np.ndarray) -> np.ndarray:
        v, rho, _ = self._parts(theta)
        return np.array([v * rho, v * (1.0 - rho)])

    def sigma_natural(self, psi: np.ndarray) -> np.ndarray:
        return psi[1] * np.eye(self.t) + psi[0] * np.ones((self.t, self.t))


def _mean_corr(sigma0: np.ndarray, lag: int | None = None) -> float:
    """Mean correlation of a covariance matrix off the diagonal (or at one lag)."""
    t = len(sigma0)
    if t < 2:
        return 0.0
    sd = np.sqrt(np.diag(sigma0))
    corr = sigma0 / np.outer(sd, sd)
    if lag is None:
        return float(np.mean(corr[~np.eye(t, dtype=bool)]))
    return float(np.mean(np.diag(corr, lag)))


class _Structured:
    """A structure given by ``sigma`` (complex-safe, so that its derivatives in ``theta`` are
    exact by the complex step) and by its natural (SAS) parameters, ``natural`` and
    ``sigma_natural``, in which the Kenward-Roger adjustment is computed."""

    name = ""
    linear = False  # Sigma linear in the natural parameters (no second derivatives)
    n_par = 0

    def __init__(self, n_times: int):
        self.t = n_times
        self.lag = np.abs(np.subtract.outer(np.arange(n_times), np.arange(n_times)))

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivatives(self, theta: np.ndarray) -> np.ndarray:
        """dSigma/dtheta_j as an array (n_par, T, T), exact by the complex step."""
        return complex_step(self.sigma, theta)

    def gradient(self, theta: np.ndarray, D: np.ndarray) -> np.ndarray:
        return np.einsum("jtu,tu->j", self.derivatives(theta), D)


class HeterogeneousCompoundSymmetry(_Structured):
    """Sigma_tu = sd_t sd_u (rho + (1 - rho) [t = u]); theta = (log sd_t, logit of rho on
    (-1/(T-1), 1)); natural parameters (SAS ``TYPE=CSH``): the variances and rho."""

    name = "heterogeneous-compound-symmetry"

    def __init__(self, n_times: int):
        super().__init__(n_times)
        self.n_par = n_times + 1
        self.lo = -1.0 / (n_times - 1) if n_times > 1 else -1.0

    def names(self, times: Sequence[Any]) -> list[str]:
        return [*(f"log_sd[{t}]" for t in times), "rho_logit"]

    def _rho(self, x):
        return self.lo + (1.0 - self.lo) / (1.0 + np.exp(-x))

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        return self.sigma_natural(np.r_[np.exp(2.0 * theta[:-1]), self._rho(theta[-1])])

    def sigma_natural(self, psi: np.ndarray) -> np.ndarray:
        sd = np.sqrt(psi[:-1])
        corr = np.where(self.lag == 0, 1.0, psi[-1] * np.ones((self.t, self.t)))
        return corr * np.outer(sd, sd)

    def natural(self, theta: np.ndarray) -> np.ndarray:
        return np.r_[np.exp(2.0 * theta[:-1]), self._rho(theta[-1])]

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        s = (np.clip(_mean_corr(sigma0), self.lo + 1e-3, 0.99) - self.lo) / (1.0 - self.lo)
        return np.r_[0.5 * np.log(np.diag(sigma0)), np.log(s / (1.0 - s))]


class AR1(_Structured):
    """Sigma_tu = v rho^|t - u| (t, u positions of the timepoints); theta = (log v,
    atanh rho); natural parameters (SAS ``TYPE=AR(1)``): v and rho."""

    name = "ar1"
    n_par = 2

    def names(self, times: Sequence[Any]) -> list[str]:
        return ["log_variance", "rho_atanh"]

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        return self.sigma_natural(np.r_[np.exp(theta[0]), np.tanh(theta[1])])

    def sigma_natural(self, psi: np.ndarray) -> np.ndarray:
        return psi[0] * psi[1] ** self.lag

    def natural(self, theta: np.ndarray) -> np.ndarray:
        return np.r_[np.exp(theta[0]), np.tanh(theta[1])]

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        rho = np.clip(_mean_corr(sigma0, 1), -0.9, 0.9)
        return np.r_[np.log(np.mean(np.diag(sigma0))), np.arctanh(rho)]


class HeterogeneousAR1(_Structured):
    """Sigma_tu = sd_t sd_u rho^|t - u|; theta = (log sd_t, atanh rho); natural parameters
    (SAS ``TYPE=ARH(1)``): the variances and rho."""

    name = "heterogeneous-ar1"

    def __init__(self, n_times: int):
        super().__init__(n_times)
        self.n_par = n_times + 1

    def names(self, times: Sequence[Any]) -> list[str]:
        return [*(f"log_sd[{t}]" for t in times), "rho_atanh"]

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        return self.sigma_natural(self.natural(theta))

    def sigma_natural(self, psi: np.ndarray) -> np.ndarray:
        sd = np.sqrt(psi[:-1])
        return psi[-1] ** self.lag * np.outer(sd, sd)

    def natural(self, theta: np.ndarray) -> np.ndarray:
        return np.r_[np.exp(2.0 * theta[:-1]), np.tanh(theta[-1])]

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        rho = np.clip(_mean_corr(sigma0, 1), -0.9, 0.9)
        return np.r_[0.5 * np.log(np.diag(sigma0)), np.arctanh(rho)]


class Toeplitz(_Structured):
    """Sigma_tu = v r_|t - u| with r the autocorrelations of a stationary process, reached
    through its partial autocorrelations (Durbin-Levinson), so Sigma is positive definite for
    every theta: theta = (log v, atanh of the partial autocorrelations at lags 1..T-1).
    Natural parameters (SAS ``TYPE=TOEP``): the covariance at each lag; Sigma is linear."""

    name = "toeplitz"
    linear = True

    def __init__(self, n_times: int):
        super().__init__(n_times)
        self.n_par = n_times

    def names(self, times: Sequence[Any]) -> list[str]:
        return ["log_variance", *(f"pacf_atanh[{k}]" for k in range(1, self.t))]

    def _acf(self, pacf):
        phi = pacf[:0]
        r = [pacf[0] * 0 + 1.0]
        for k in range(len(pacf)):
            a = pacf[k]
            r.append(
                sum(phi[j] * r[k - j] for j in range(k))
                + a * (1 - sum(phi[j] * r[j + 1] for j in range(k)))
            )
            phi = np.r_[phi - a * phi[::-1], a]
        return r

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        return self.sigma_natural(self.natural(theta))

    def natural(self, theta: np.ndarray) -> np.ndarray:
        return np.exp(theta[0]) * np.array(self._acf(np.tanh(theta[1:])))

    def sigma_natural(self, psi: np.ndarray) -> np.ndarray:
        return np.asarray(psi)[self.lag]

    def start(self, sigma0: np.ndarray) -> np.ndarray:
        rho = np.clip(_mean_corr(sigma0, 1), -0.9, 0.9) if self.t > 1 else 0.0
        return np.r_[np.log(np.mean(np.diag(sigma0))), np.arctanh(rho), np.zeros(self.t - 2)][
            : self.n_par
        ]


STRUCTURES = {
    s.name: s
    for s in (
        Unstructured,
        Toeplitz,
        HeterogeneousAR1,
        AR1,
        HeterogeneousCompoundSymmetry,
        CompoundSymmetry,
    )
}


def complex_step(func, x: np.ndarray, h: float = 1e-30) -> np.ndarray:
    """d func / d x_j for a complex-safe matrix function, exact to rounding (complex step)."""
    x = np.asarray(x, dtype=float)
    out = []
    for j in range(len(x)):
        z = x.astype(complex)
        z[j] += 1j * h
        out.append(np.asarray(func(z)).imag / h)
    return np.array(out)


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
    structure: Any  # the covariance structure (one of STRUCTURES)
    kr: KenwardRoger | None = None  # set by :func:`kenward_roger`

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


@dataclasses.dataclass(frozen=True)
class KenwardRoger:
    """The Kenward-Roger (1997) pieces, in the structure's natural parameters psi.

    ``vcov`` is the adjusted covariance of beta, Phi_A = Phi + 2 Phi (sum_hj W_hj (Q_hj -
    P_h Phi P_j - R_hj / 4)) Phi; ``info_inv`` is W, the inverse of the expected REML
    information of psi (as Kenward and Roger 1997 and pbkrtest); ``P`` holds P_h =
    X' dOmega^-1/dpsi_h X."""

    vcov: np.ndarray
    info_inv: np.ndarray
    P: np.ndarray
    phi: np.ndarray

    def test(self, c: np.ndarray) -> tuple[float, float]:
        """Adjusted variance of c'beta and its Kenward-Roger degrees of freedom.

        For one contrast the general KR F approximation reduces to lambda = 1 and
        m = 2 / (a'Wa), a_h = c'Phi P_h Phi c / c'Phi c (R mmrm's kenward vignette)."""
        base = float(c @ self.phi @ c)
        a = np.einsum("a,hab,b->h", c @ self.phi, self.P, self.phi @ c) / base
        denom = float(a @ self.info_inv @ a)
        return float(c @ self.vcov @ c), (2.0 / denom if denom > 0 else np.inf)


def kenward_roger(reml: Reml, fitted: Fit) -> Fit:
    """The fit with its Kenward-Roger adjustment (pattern sums of P, Q, R and the expected
    information; dense formulas in Kenward and Roger 1997, section 2)."""
    cov, p = reml.cov, reml.p
    psi = cov.natural(fitted.theta)
    dS = complex_step(cov.sigma_natural, psi)
    q = len(psi)
    d2S = None if cov.linear else _second_derivatives(cov.sigma_natural, psi)
    _, inverses, *_ = reml.solve(fitted.theta)
    P = np.zeros((q, p, p))
    Q = np.zeros((q, q, p, p))
    R = np.zeros((q, q, p, p))
    trace = np.zeros((q, q))
    for pat, W in zip(reml.patterns, inverses, strict=True):
        M = pat.moments[:, :, :p, :p]
        A = W @ dS[:, pat.idx][:, :, pat.idx]  # W dSigma_h, (q, t, t)
        P -= np.einsum("hab,bc,acxy->hxy", A, W, M, optimize=True)
        Q += np.einsum("hab,jbc,cd,adxy->hjxy", A, A, W, M, optimize=True)
        trace += pat.n * np.einsum("hab,jba->hj", A, A)
        if d2S is not None:
            B = W @ d2S[:, :, pat.idx][:, :, :, pat.idx] @ W
            R += np.einsum("hjad,adxy->hjxy", B, M, optimize=True)
    phi = fitted.vcov
    PphiP = np.einsum("hab,bc,jcd->hjad", P, phi, P, optimize=True)
    info = 0.5 * (
        trace - 2.0 * np.einsum("ab,hjba->hj", phi, Q) + np.einsum("ab,hjba->hj", phi, PphiP)
    )
    try:
        W_kr = np.linalg.inv(0.5 * (info + info.T))
    except np.linalg.LinAlgError:
        raise MMRMConvergenceError(
            "fit_mmrm: the expected information of the covariance parameters is singular, so "
            "the Kenward-Roger adjustment is undefined; use df='satterthwaite' or a simpler "
            "covariance structure."
        ) from None
    inner = np.einsum("hj,hjab->ab", W_kr, Q - PphiP - 0.25 * R)
    adjusted = phi + 2.0 * phi @ inner @ phi
    kr = KenwardRoger(0.5 * (adjusted + adjusted.T), W_kr, P, phi)
    return dataclasses.replace(fitted, kr=kr)


def _second_derivatives(func, x: np.ndarray) -> np.ndarray:
    """d2 func / dx_h dx_j by central differences of complex-step first derivatives."""
    out = []
    for h in range(len(x)):
        step = 1e-5 * max(1.0, abs(float(x[h])))
        e = np.zeros(len(x))
        e[h] = step
        out.append((complex_step(func, x + e) - complex_step(func, x - e)) / (2.0 * step))
    d2 = np.array(out)  # (h, j, T, T)
    return 0.5 * (d2 + d2.transpose(1, 0, 2, 3))


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
