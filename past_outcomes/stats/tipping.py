"""Tipping-point analysis: how large a departure from the imputation assumption changes the
conclusion.

``compute_tipping_point`` adds a shift ``delta`` to every value imputed at or after an
intercurrent event (ICE) in the treatment arm (``arms="treatment"``), or in both arms over a
two-way grid (``arms="both"``), re-estimates the treatment effect at one timepoint by
:func:`past_outcomes.compute_reference_imputation` (deterministic conditional-mean
imputation with jackknife SEs; Wolbers et al. 2022) and reports, for each delta, the
estimate, its SE, interval and p-value, and the **tipping point**: the smallest delta at
which the conclusion changes (p crosses alpha = 1 - confidence), found on the grid and then
refined between the two grid points around it by Brent's method (``scipy.optimize.brentq``).
This is the delta-adjustment approach of Ratitch, O'Kelly and Tosiello (2013, Pharm Stat
12:337-347) and of the EMA/FDA-requested tipping-point analyses, with the deterministic
imputation of rbmi (R ``rbmi::delta_template`` with ``method_condmean``).

Exact shortcut (``method="linear"``, the default). In the conditional-mean method delta is
added after the imputation model is fitted, and the analysis (an ANCOVA by least squares) is
linear in the completed data; so the estimate, and every leave-one-subject-out jackknife
replicate, is an exactly linear function of the deltas::

    theta(d_t, d_c) = theta(0, 0) + d_t [theta(1, 0) - theta(0, 0)] + d_c [theta(0, 1) - theta(0, 0)]

(the same for each replicate ``theta_(-i)``). Two calls of ``compute_reference_imputation``
(three for ``arms="both"``) therefore give the whole grid and any point between grid points
without approximation: the jackknife SE at any delta is ``sqrt((n - 1) / n * sum_i
(theta_(-i)(d) - mean)^2)``, with the normal interval and two-sided p-value of
``compute_reference_imputation``. ``method="direct"`` calls ``compute_reference_imputation``
at every grid point instead (about 1.5 s a call on the bundled 104-subject trial on a busy
2-core machine, so 21 points take half a minute); the tests check that both agree to 1e-8.
The tipping point between grid points is always located on the linear form.

Written by hand (no Python library does reference-based imputation); the building block
``compute_reference_imputation`` is validated against R ``rbmi`` and the MMRM.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from past_outcomes._checks import check_number, check_option
from past_outcomes.errors import ArgumentError, short_repr
from past_outcomes.estimand import Estimand, check_estimand
from past_outcomes.results import ResultBase
from past_outcomes.stats._common import check_confidence

__all__ = ["TippingPointResult", "compute_tipping_point"]

ARMS = ("treatment", "both")
METHODS = ("linear", "direct")
#: Points of the default grid along each arm's axis.
DEFAULT_POINTS = 21
#: Most points along one axis (a grid is evaluated at every point).
MAX_POINTS = 2001

_COLUMNS = ["estimate", "se", "z", "p_value", "ci_low", "ci_high", "significant"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class TippingPointResult(ResultBase):
    """Result of :func:`compute_tipping_point`.

    Attributes
    ----------
    table : DataFrame
        One row per grid point: ``delta`` (``arms="treatment"``) or ``delta_treatment,
        delta_control`` (``arms="both"``), then ``estimate, se, z, p_value, ci_low, ci_high``
        (treatment minus control at ``timepoint``; jackknife SE, normal interval) and
        ``significant`` (``p_value < alpha``).
    tipping : DataFrame
        Where the conclusion changes. ``arms="treatment"``: one row per side of zero on which
        it tips (``side`` "positive"/"negative", ``delta``, ``estimate, se, p_value``, where
        ``p_value`` equals alpha). ``arms="both"``: one row per control delta, ``delta_control,
        delta_treatment, tipped_by_control``: the smallest treatment delta on the grid at
        which the conclusion differs from the unadjusted one (NaN where it does not tip on the
        grid; 0 with ``tipped_by_control`` True where the control delta alone changes it).
    tipping_delta : float or None
        ``arms="treatment"``: the tipping delta nearest zero; None when the conclusion does
        not change on the grid (``arms="both"``: always None, see ``tipping``).
    extrapolated_tipping_delta : float or None
        ``arms="treatment"`` when the grid does not tip: the tipping delta beyond the grid
        toward the null, from the exact linear form (None if no delta tips it).
    base : DataFrame
        The estimate at delta = 0 (the strategy without adjustment), columns as ``table``.
    n_imputed : dict
        Group level -> values imputed at or after an ICE at ``timepoint`` (the values delta
        shifts).
    excluded : DataFrame
        Subjects set aside by the imputation (as ``compute_reference_imputation``).
    measure, strategy, timepoint, treatment, control, arms, method
        The arguments as resolved.
    confidence, alpha : float
        Confidence level and alpha = 1 - confidence.
    grid_note : str
        How the grid was chosen.
    n_runs : int
        Calls of ``compute_reference_imputation``.
    estimand : Estimand or None
        The estimand passed, printed first.
    """

    table: pd.DataFrame
    tipping: pd.DataFrame
    tipping_delta: float | None
    extrapolated_tipping_delta: float | None
    base: pd.DataFrame
    n_imputed: dict
    excluded: pd.DataFrame
    measure: str
    strategy: str
    timepoint: Any
    treatment: Any
    control: Any
    arms: str
    method: str
    confidence: float
    alpha: float
    grid_note: str
    n_runs: int
    estimand: Estimand | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        where = "the treatment arm" if self.arms == "treatment" else "both arms"
        return (
            f"Tipping point ({self.strategy}, delta in {where}), "
            f"{self.treatment} - {self.control} at {self.timepoint}"
        )

    def notes(self) -> list[str]:
        """Method, the grid, what delta shifts, and where (whether) the conclusion tips."""
        b = self.base.iloc[0]
        shifted = ", ".join(f"{n} in {g!r}" for g, n in self.n_imputed.items())
        lines = [
            f"Method: conditional-mean imputation ({self.strategy}) with jackknife SEs "
            "(compute_reference_imputation); delta added to every value imputed at or after "
            f"an intercurrent event; {self._method_text()}",
            f"{self.grid_note} Values delta shifts at {self.timepoint}: {shifted}.",
            f"At delta = 0: estimate {b['estimate']:.4g} (SE {b['se']:.4g}), p = "
            f"{b['p_value']:.3g}: {'significant' if b['significant'] else 'not significant'} "
            f"at alpha = {self.alpha:.3g}.",
        ]
        return lines + self._tipping_lines()

    def _method_text(self) -> str:
        if self.method == "direct":
            return f"every grid point computed directly ({self.n_runs} runs)."
        return (
            f"the estimate and each jackknife replicate are exactly linear in delta, so the "
            f"grid comes from {self.n_runs} runs (deltas 0 and 1 per arm)."
        )

    def _tipping_lines(self) -> list[str]:
        if self.arms == "both":
            tip = self.tipping.dropna(subset=["delta_treatment"])
            by_control = int(tip["tipped_by_control"].sum())
            tip = tip[~tip["tipped_by_control"]]
            lines = []
            if len(tip):
                lines.append(
                    f"The conclusion changes (p = alpha) along the curve in .tipping: e.g. at "
                    f"delta_control = {tip['delta_control'].iloc[-1]:.4g}, delta_treatment = "
                    f"{tip['delta_treatment'].iloc[-1]:.4g}; {len(tip)} of {len(self.tipping)} "
                    "control deltas tip on the treatment grid."
                )
            if by_control:
                lines.append(f"{by_control} control delta(s) change the conclusion on their own "
                             "(delta_treatment 0, tipped_by_control).")  # fmt: skip
            return lines or ["The conclusion does not change anywhere on the grid."]
        if self.tipping_delta is not None:
            row = self.tipping.loc[self.tipping["delta"] == self.tipping_delta].iloc[0]
            return [
                f"Tipping point: delta = {self.tipping_delta:.4g} (estimate "
                f"{row['estimate']:.4g}, p = alpha), refined between grid points by Brent's "
                "method."
            ]
        grid = self.table["delta"]
        line = f"The conclusion does not tip on the grid (delta from {grid.min():.4g} to {grid.max():.4g})"
        if self.extrapolated_tipping_delta is None:
            return [line + "; no delta changes it."]
        return [
            line + f"; the exact linear form puts the tipping point at delta = "
            f"{self.extrapolated_tipping_delta:.4g} (judge whether a shift that large is "
            "plausible on the scale)."
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Estimate with its CI band against delta, the zero line and the tipping point; for
        ``arms="both"`` a heatmap of the p-value with its contour at alpha. Returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4.2))
        if self.arms == "both":
            return self._plot_2d(ax, **kwargs)
        t = self.table
        line = ax.plot(t["delta"], t["estimate"], **{"marker": ".", **kwargs})[0]
        ax.fill_between(t["delta"], t["ci_low"], t["ci_high"], alpha=0.2, color=line.get_color())
        ax.axhline(0, color="grey", lw=0.8, ls=":")
        if self.tipping_delta is not None:
            row = self.tipping.loc[self.tipping["delta"] == self.tipping_delta].iloc[0]
            ax.axvline(self.tipping_delta, color="firebrick", lw=1, ls="--")
            ax.plot([self.tipping_delta], [row["estimate"]], "o", color="firebrick")
            ax.annotate(f"tips at delta = {self.tipping_delta:.3g}", (self.tipping_delta,
                        row["estimate"]), xytext=(6, 6), textcoords="offset points")  # fmt: skip
        ax.set_xlabel(f"delta added to imputed values ({self.treatment})")
        ax.set_ylabel(f"{self.treatment} - {self.control}, {self.measure}")
        ax.set_title(f"Tipping point, {self.strategy}, {self.timepoint} ({self.confidence:.0%} CI)")
        return ax

    def _plot_2d(self, ax: Any, **kwargs: Any) -> Any:
        t = self.table
        xs = np.unique(t["delta_treatment"].to_numpy())
        ys = np.unique(t["delta_control"].to_numpy())
        wide = t.pivot(index="delta_control", columns="delta_treatment", values="p_value")
        p = wide.reindex(index=ys, columns=xs).to_numpy()
        mesh = ax.pcolormesh(xs, ys, p, shading="nearest", **{"cmap": "viridis", **kwargs})
        ax.figure.colorbar(mesh, ax=ax, label="p-value")
        if len(xs) > 1 and len(ys) > 1 and np.nanmin(p) < self.alpha < np.nanmax(p):
            ax.contour(xs, ys, p, levels=[self.alpha], colors="white", linewidths=1.5)
        ax.set_xlabel(f"delta, {self.treatment} (treatment)")
        ax.set_ylabel(f"delta, {self.control} (control)")
        ax.set_title(f"p-value, {self.strategy}, {self.timepoint}; contour at {self.alpha:g}")
        return ax


# --------------------------------------------------------------------------------------
# the exact linear form


@dataclasses.dataclass(frozen=True)
class _Linear:
    """Estimate and jackknife replicates as linear functions of the deltas (k arms)."""

    estimate: float
    replicates: np.ndarray  # (n,)
    slope: np.ndarray  # (k,)
    replicate_slope: np.ndarray  # (n, k)

    def evaluate(self, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and jackknife SEs at the rows of ``deltas`` (m, k)."""
        est = self.estimate + deltas @ self.slope
        reps = self.replicates[None, :] + deltas @ self.replicate_slope.T
        n = reps.shape[1]
        centred = reps - reps.mean(axis=1, keepdims=True)
        return est, np.sqrt((n - 1) / n * np.sum(centred**2, axis=1))


def _rows(est: np.ndarray, se: np.ndarray, confidence: float) -> pd.DataFrame:
    """The statistics of ``compute_reference_imputation``'s table (normal, jackknife SE)."""
    z_crit = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / np.where(se > 0, se, 1.0), np.nan)
    p = np.where(se > 0, 2 * stats.norm.sf(np.abs(z)), np.nan)
    return pd.DataFrame(
        {"estimate": est, "se": se, "z": z, "p_value": p, "ci_low": est - z_crit * se,
         "ci_high": est + z_crit * se, "significant": p < 1 - confidence}
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# public function


def compute_tipping_point(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    group: str = "group",
    pre: Any,
    control: Any,
    treatment: Any,
    strategy: str = "MAR",
    intercurrent: str | Mapping[Any, Any] | None = None,
    covariates: Iterable[str] | str = (),
    deltas: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    arms: str = "treatment",
    timepoint_of_interest: Any = None,
    confidence: float = 0.95,
    method: str = "linear",
    estimand: Estimand | None = None,
) -> TippingPointResult:
    """Delta-adjusted sensitivity analysis: the delta at which the conclusion tips.

    Parameters
    ----------
    data, measure, subject, timepoint, group, pre, intercurrent, covariates
        As :func:`past_outcomes.compute_reference_imputation` (long data, the baseline as
        rows at ``pre``; each subject's intercurrent event, default its dropout).
    control, treatment
        The reference arm and the arm compared with it (both required).
    strategy : {"MAR", "J2R", "CR", "CIR"}
        Imputation of the values at and after the intercurrent event before delta is added.
    deltas : sequence of numbers, or mapping, optional
        The grid: values added to every imputed value at or after an ICE. With
        ``arms="treatment"`` a sequence; with ``arms="both"`` a sequence used for both arms
        or a mapping ``{"treatment": [...], "control": [...]}``. Default: 21 points from 0
        to twice the magnitude of the estimate at delta = 0 (at least twice its SE), in the
        direction that moves the treatment arm toward the null (opposite in sign to the
        estimate); with ``arms="both"`` the control axis runs the other way (the control
        arm's imputed values improve), so that both shifts erode the effect.
    arms : {"treatment", "both"}
        Delta in the treatment arm only (a line of deltas), or in both (a two-way grid).
    timepoint_of_interest : optional
        The timepoint whose treatment effect is judged. Default: the last.
    confidence : float
        Confidence level; the conclusion is "significant" when ``p_value < 1 - confidence``.
    method : {"linear", "direct"}
        ``"linear"`` (default): 2 runs (3 for both arms) and the exact linear form (see the
        module docstring); ``"direct"``: one run per grid point (slow; for checking).
    estimand : Estimand, optional
        What the analysis estimates; stored on the result, which prints it first.

    Returns
    -------
    TippingPointResult
        ``table`` (per delta), ``tipping``, ``tipping_delta``, ``notes()``, ``plot()``.

    Raises
    ------
    ArgumentError
        An option, a delta or the timepoint is invalid; as ``compute_reference_imputation``
        for the data's columns and levels.
    DataValidationError, EstimationError, MMRMConvergenceError
        As :func:`past_outcomes.compute_reference_imputation`.
    """
    arms = check_option("arms", arms, ARMS)
    method = check_option("method", method, METHODS)
    alpha = 1.0 - check_confidence(confidence)
    estimand = check_estimand(estimand)
    grid = _check_deltas(deltas, arms)
    common = {"measure": measure, "subject": subject, "timepoint": timepoint, "group": group,
              "pre": pre, "control": control, "treatment": treatment, "strategy": strategy,
              "intercurrent": intercurrent, "covariates": covariates,
              "confidence": confidence}  # fmt: skip
    runner = _Runner(data, common, timepoint_of_interest)
    base = runner.linear_base()
    linear = runner.linear(base, arms)
    grid, grid_note = _default_grid(grid, base, arms, linear)
    table = _grid_table(grid, arms, linear, runner, method, confidence)
    tipping, tipping_delta, beyond = _tipping(table, grid, arms, linear, alpha)
    base_row = _rows(np.array([base["estimate"]]), np.array([base["se"]]), confidence)
    return TippingPointResult(
        table=table,
        tipping=tipping,
        tipping_delta=tipping_delta,
        extrapolated_tipping_delta=beyond,
        base=base_row,
        n_imputed=base["n_imputed"],
        excluded=base["excluded"],
        measure=measure,
        strategy=base["strategy"],
        timepoint=runner.time,
        treatment=treatment,
        control=base["control"],
        arms=arms,
        method=method,
        confidence=float(confidence),
        alpha=alpha,
        grid_note=grid_note,
        n_runs=runner.n_runs,
        estimand=estimand,
    )


# --------------------------------------------------------------------------------------
# steps


def _check_deltas(deltas: Any, arms: str) -> dict[str, np.ndarray] | None:
    """The grid per arm (sorted, unique, finite numbers), or None for the default."""
    if deltas is None:
        return None
    if isinstance(deltas, Mapping):
        if arms != "both" or set(deltas) != {"treatment", "control"}:
            raise ArgumentError(
                "deltas as a mapping must have exactly the keys 'treatment' and 'control', "
                f"with arms='both'; got keys {sorted(map(str, deltas))} and arms={arms!r}. "
                "Pass a sequence of numbers, or arms='both'."
            )
        return {k: _check_axis(f"deltas[{k!r}]", deltas[k]) for k in ("treatment", "control")}
    axis = _check_axis("deltas", deltas)
    return {"treatment": axis, "control": axis} if arms == "both" else {"treatment": axis}


def _check_axis(name: str, values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not isinstance(
        values, (Sequence, np.ndarray, pd.Series)
    ):
        raise ArgumentError(
            f"{name} must be a sequence of numbers; got {short_repr(values)} "
            f"({type(values).__name__}). Pass e.g. numpy.linspace(0, 10, 21)."
        )
    from past_outcomes.stats._imputation_model import check_magnitude

    vals = [check_magnitude(f"{name}[{i}]", check_number(f"{name}[{i}]", v))
            for i, v in enumerate(list(values))]  # fmt: skip
    if not 1 <= len(set(vals)) <= MAX_POINTS:
        raise ArgumentError(
            f"{name} must hold from 1 to {MAX_POINTS} distinct numbers; got {len(set(vals))}. "
            "Pass a grid such as numpy.linspace(0, 10, 21)."
        )
    return np.unique(np.asarray(vals, dtype=float))


class _Runner:
    """Calls of compute_reference_imputation at given deltas, at the timepoint of interest."""

    def __init__(self, data: pd.DataFrame, common: dict, time: Any) -> None:
        self.data, self.common, self.time, self.n_runs = data, common, time, 0

    def run(self, d_treatment: float, d_control: float) -> Any:
        from past_outcomes.stats.imputation import compute_reference_imputation

        kw = dict(self.common)
        kw["delta"] = {kw["treatment"]: d_treatment, kw["control"]: d_control}
        self.n_runs += 1
        if self.n_runs == 1:  # its warnings (subjects set aside) are the same on every run
            return compute_reference_imputation(self.data, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return compute_reference_imputation(self.data, **kw)

    def pick(self, result: Any) -> tuple[float, float, np.ndarray]:
        """Estimate, SE and the jackknife replicates (in subject order) at the timepoint."""
        if self.time is None:
            self.time = result.timepoints[-1]
        elif not any(_same(self.time, t) for t in result.timepoints):
            listed = ", ".join(map(repr, result.timepoints))
            raise ArgumentError(
                f"timepoint_of_interest must be a post-baseline timepoint ({listed}); got "
                f"{short_repr(self.time)}. Pass one of them or None for the last."
            )
        row = result.table.loc[[_same(self.time, t) for t in result.table["timepoint"]]]
        reps = result.replicates
        reps = reps.loc[[_same(self.time, t) for t in reps["timepoint"]], "estimate"]
        return float(row["estimate"].iloc[0]), float(row["se"].iloc[0]), reps.to_numpy(float)

    def linear_base(self) -> dict[str, Any]:
        result = self.run(0.0, 0.0)
        est, se, reps = self.pick(result)
        imp = result.imputed
        at = imp.loc[[_same(self.time, t) for t in imp["timepoint"]]]
        shifted = at[at["imputed"] & at["post_ice"]]
        n_imputed = {g: int((shifted["group"] == g).sum()) for g in result.groups}
        return {"estimate": est, "se": se, "replicates": reps, "n_imputed": n_imputed,
                "excluded": result.excluded, "strategy": result.strategy,
                "control": result.control}  # fmt: skip

    def linear(self, base: dict[str, Any], arms: str) -> _Linear:
        """The linear form from the base run and a run at delta 1 in each arm."""
        units = [(1.0, 0.0)] + ([(0.0, 1.0)] if arms == "both" else [])
        slope, rep_slope = [], []
        for unit in units:
            est, _, reps = self.pick(self.run(*unit))
            slope.append(est - base["estimate"])
            rep_slope.append(reps - base["replicates"])
        return _Linear(base["estimate"], base["replicates"], np.array(slope),
                       np.column_stack(rep_slope))  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _default_grid(
    grid: dict[str, np.ndarray] | None, base: dict[str, Any], arms: str, linear: _Linear
) -> tuple[dict[str, np.ndarray], str]:
    if grid is not None:
        return grid, "Grid: as given."
    est, se = base["estimate"], base["se"]
    sign = -1.0 if est > 0 else 1.0  # toward the null for the treatment arm
    span = 2.0 * max(abs(est), se if np.isfinite(se) else 0.0, 1e-8)
    axis = sign * np.linspace(0.0, span, DEFAULT_POINTS)
    note = (
        f"Grid (default): {DEFAULT_POINTS} deltas from 0 to {axis[-1]:.4g} (twice the "
        f"magnitude of the estimate at delta = 0) in the treatment arm"
    )
    if arms == "treatment":
        return {"treatment": axis}, note + "."
    return {
        "treatment": axis,
        "control": -axis + 0.0,
    }, note + f", 0 to {-axis[-1]:.4g} in the control arm."


def _grid_points(grid: dict[str, np.ndarray], arms: str) -> np.ndarray:
    if arms == "treatment":
        return grid["treatment"][:, None]
    tt, cc = np.meshgrid(grid["treatment"], grid["control"])
    return np.column_stack([tt.ravel(), cc.ravel()])


def _grid_table(grid, arms, linear: _Linear, runner: _Runner, method, confidence) -> pd.DataFrame:
    points = _grid_points(grid, arms)
    if method == "linear":
        est, se = linear.evaluate(points)
    else:
        picked = [runner.pick(runner.run(p[0], p[1] if arms == "both" else 0.0)) for p in points]
        est = np.array([e for e, _, _ in picked])
        se = np.array([s for _, s, _ in picked])
    stats_ = _rows(est, se, confidence)
    names = ["delta"] if arms == "treatment" else ["delta_treatment", "delta_control"]
    return pd.concat([pd.DataFrame(points, columns=names), stats_], axis=1)


def _p_at(linear: _Linear, d_treatment: float, d_control: float | None) -> float:
    point = np.array([[d_treatment] if d_control is None else [d_treatment, d_control]])
    est, se = linear.evaluate(point)
    if not se[0] > 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs(est[0] / se[0])))


def _tip_along(axis: np.ndarray, p_of, alpha: float, sig0: bool | None = None):
    """Walk out from 0 along ``axis`` on each side; the first change of significance from
    ``sig0`` (default: at 0) on each side, refined by brentq on ``p_of(delta) - alpha``
    between the bracketing grid points. ``[("zero", 0.0)]`` when 0 itself differs."""
    if sig0 is None:
        sig0 = p_of(0.0) < alpha
    elif (p_of(0.0) < alpha) != sig0:
        return [("zero", 0.0)]
    found = []
    for side, points in (("positive", axis[axis > 0]), ("negative", axis[axis < 0][::-1])):
        prev = 0.0
        for d in points:
            p = p_of(d)
            if np.isfinite(p) and (p < alpha) != sig0:
                g = lambda x: p_of(x) - alpha  # noqa: E731
                root = d if g(d) == 0 else optimize.brentq(g, prev, d, xtol=1e-10, rtol=1e-12)
                found.append((side, float(root)))
                break
            prev = d
    return found


def _tipping(table, grid, arms, linear: _Linear, alpha: float):
    if arms == "both":
        primary = _p_at(linear, 0.0, 0.0) < alpha  # the conclusion without adjustment
        curve = []
        for dc in grid["control"]:
            p_row = lambda d, dc=dc: _p_at(linear, d, dc)  # noqa: E731
            found = _tip_along(grid["treatment"], p_row, alpha, primary)
            tip = min((r for _, r in found), key=abs, default=np.nan)
            curve.append({"delta_control": float(dc), "delta_treatment": tip,
                          "tipped_by_control": bool(found and found[0][0] == "zero")})  # fmt: skip
        columns = ["delta_control", "delta_treatment", "tipped_by_control"]
        return pd.DataFrame(curve, columns=columns), None, None
    p_of = lambda d: _p_at(linear, d, None)  # noqa: E731
    found = _tip_along(grid["treatment"], p_of, alpha)
    rows: list[dict[str, Any]] = []
    for side, d in found:
        est, se = linear.evaluate(np.array([[d]]))
        rows.append({"side": side, "delta": d, "estimate": float(est[0]), "se": float(se[0]),
                     "p_value": p_of(d)})  # fmt: skip
    tipping = pd.DataFrame(rows, columns=["side", "delta", "estimate", "se", "p_value"])
    if found:
        return tipping, min((d for _, d in found), key=abs), None
    return tipping, None, _beyond(linear, grid["treatment"], p_of, alpha)


def _beyond(linear: _Linear, axis: np.ndarray, p_of, alpha: float) -> float | None:
    """The tipping delta past the grid toward the null: between the grid's end and the delta
    where the estimate is 0 (where p = 1), when the slope points that way."""
    b = float(linear.slope[0])
    if b == 0 or not np.isfinite(b):
        return None
    zero = -linear.estimate / b
    end = axis.max() if zero > 0 else axis.min()
    if (zero - end) * np.sign(zero) <= 0:
        return None
    start = end if end * zero > 0 else 0.0  # the grid's end on the side of the zero, or 0
    if (p_of(start) < alpha) == (p_of(zero) < alpha):
        return None
    return float(optimize.brentq(lambda x: p_of(x) - alpha, start, zero, xtol=1e-10, rtol=1e-12))
