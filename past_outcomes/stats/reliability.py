"""Internal consistency of an instrument's scales: ``compute_reliability``.

Cronbach's alpha (``pingouin.cronbach_alpha``) with Feldt's interval at full precision, and
McDonald's omega total from a one-factor minres fit (hand-written: neither scipy nor
statsmodels has it). Item answers are validated exactly as ``score`` validates them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_dataframe
from past_outcomes._long import measure_values
from past_outcomes.errors import ArgumentError, DataValidationError
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.stats._common import check_confidence

__all__ = ["ReliabilityResult", "compute_reliability"]

COLUMNS = ["scale", "label", "n_items", "n_complete", "cronbach_alpha", "alpha_ci_low",
           "alpha_ci_high", "omega_total", "note"]  # fmt: skip
STATISTICS = ["cronbach_alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"]


@dataclass(frozen=True, eq=False, repr=False)
class ReliabilityResult(ResultBase):
    """Internal consistency per scale.

    Attributes
    ----------
    table : DataFrame
        One row per scale: ``scale, label, n_items, n_complete, cronbach_alpha,
        alpha_ci_low, alpha_ci_high, omega_total, note`` (why a scale was skipped, or a
        problem with the omega fit; also in ``notes()``).
    excluded : DataFrame
        Rows of ``data`` set aside from at least one scale because an item of it is missing
        (``subject`` is the row label of ``data``; reason ``incomplete-items``; ``detail``
        names the scales and the missing items).
    instrument : str
        The instrument's id.
    confidence : float
        Level of alpha's CI.
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    instrument: str
    confidence: float
    title: str = "Reliability"
    estimation_notes: tuple[str, ...] = field(default_factory=tuple)

    def notes(self) -> list[str]:
        return [
            "alpha: pingouin.cronbach_alpha on complete cases; Feldt CI at full precision. "
            "omega total: one-factor minres (iterated principal axis) fit of the item "
            "correlations.",
            *self.estimation_notes,
        ]


def compute_reliability(
    data: pd.DataFrame, *, instrument: Any, confidence: float = 0.95
) -> ReliabilityResult:
    """Cronbach's alpha and McDonald's omega total for every scale of an instrument.

    Parameters
    ----------
    data : DataFrame
        One row per administration (usually filter to one timepoint first), with the raw item
        columns. Items the instrument marks ``reverse`` are reflected (min + max - value)
        before alpha and omega, so that every item is keyed in one direction. Set its index
        to the subject ids to see them in ``.excluded``.
    instrument : str or Instrument
        An instrument id for ``past_outcomes.instrument.load_instrument`` or an object with a
        ``scales`` mapping of output name to a scale with ``item_columns`` and ``label``.
    confidence : float
        Level of alpha's CI.

    Returns
    -------
    ReliabilityResult
        For each scale, rows with any item missing are set aside (``n_complete`` complete
        cases; the rows set aside are in ``.excluded``).

        - ``cronbach_alpha`` from ``pingouin.cronbach_alpha``; its CI is Feldt's F interval
          ``1 - (1 - alpha) F(1 - a/2 | a/2; n - 1, (n - 1)(k - 1))``, the formula pingouin
          uses, recomputed here because pingouin rounds it to 3 decimals.
        - ``omega_total`` = (sum of loadings)^2 / ((sum of loadings)^2 + sum of uniquenesses)
          from a one-factor minres fit of the item correlation matrix (iterated principal axis
          from the squared multiple correlations to convergence). R ``psych::omega`` instead
          divides by the sum of all correlations (observed rather than model-implied total
          variance); the two agree when one factor fits. Loadings are sign-aligned so that
          their sum is positive.

        Scales with fewer than 2 items or fewer than 3 complete cases are listed with a
        ``note`` and NaN statistics. Scales whose items are absent from ``data`` are listed
        as skipped.

    Raises
    ------
    ArgumentError
        ``instrument`` is not an instrument, or no scale has its items in ``data``.
    ResponseValidationError, DataValidationError
        An item answer that ``score`` would refuse (out of range, not an integer, text...).
    """
    check_dataframe("data", data)
    confidence = check_confidence(confidence)
    instrument = _resolve_instrument(instrument)
    scales = instrument.scales
    name = str(getattr(instrument, "id", getattr(instrument, "name", "")))
    item_cols = list(
        dict.fromkeys(
            c for sc in scales.values() for c in getattr(sc, "item_columns", ()) if c in data
        )
    )
    clean = _clean_items(data, instrument, item_cols)
    reverse = _reverse_keyed(instrument)
    records: list[dict[str, Any]] = []
    incomplete: dict[Any, list[str]] = {}
    for key, scale in scales.items():
        rec, missing_rows = _scale_row(key, scale, data, clean, reverse, confidence)
        records.append(rec)
        for row, items in missing_rows.items():
            incomplete.setdefault(row, []).append(f"{key} ({', '.join(items)} missing)")
    if all(r.get("note", "").startswith("skipped: item column(s) not in data") for r in records):
        raise ArgumentError(
            f"data must contain the item columns of at least one scale of {name or 'the'} "
            "instrument; none were found. Check the column names."
        )
    table = pd.DataFrame.from_records(records).reindex(columns=COLUMNS)
    table[STATISTICS] = table[STATISTICS].astype(float)
    table["note"] = table["note"].fillna("")
    excluded = excluded_frame(
        {"subject": row, "reason": "incomplete-items",
         "detail": "an item is missing; set aside from " + "; ".join(scales_text)}
        for row, scales_text in incomplete.items()
    )  # fmt: skip
    return ReliabilityResult(
        table=table,
        excluded=excluded,
        instrument=name,
        confidence=confidence,
        estimation_notes=tuple(f"{s}: {n}." for s, n in zip(table["scale"], table["note"],
                                                             strict=True) if n),
    )  # fmt: skip


def _resolve_instrument(instrument: Any) -> Any:
    if isinstance(instrument, str):
        from past_outcomes.instrument import load_instrument

        instrument = load_instrument(instrument)
    if not hasattr(getattr(instrument, "scales", None), "items"):
        raise ArgumentError(
            "instrument must be an instrument id or an Instrument with a .scales mapping; "
            f"got {type(instrument).__name__}. Use past_outcomes.load_instrument('<id>')."
        )
    return instrument


def _reverse_keyed(instrument: Any) -> dict[str, float]:
    """Item column -> min + max of each reverse-keyed item (value -> min + max - value)."""
    return {
        item.column: item.min + item.max
        for item in getattr(instrument, "items", ())
        if getattr(item, "reverse", False)
    }


def _scale_row(key, scale, data, clean, reverse, confidence) -> tuple[dict, dict]:
    """One table row, and {row label: missing items} of the rows set aside from the scale."""
    items = list(dict.fromkeys(getattr(scale, "item_columns", ())))
    rec: dict[str, Any] = {"scale": key, "label": getattr(scale, "label", key),
                           "n_items": len(items), "n_complete": 0}  # fmt: skip
    absent = [c for c in items if c not in data.columns]
    if absent:
        rec["note"] = f"skipped: item column(s) not in data: {', '.join(absent)}"
        return rec, {}
    if len(items) < 2:
        rec["note"] = "skipped: alpha and omega need at least 2 items"
        return rec, {}
    answers = clean[items]
    holes = answers.isna()
    missing_rows = {
        row: [c for c, gone in zip(items, flags, strict=True) if gone]
        for row, flags in zip(answers.index, holes.to_numpy(), strict=True)
        if flags.any()
    }
    block = answers[~holes.any(axis=1).to_numpy()].copy()
    for col in items:
        if col in reverse:
            block[col] = reverse[col] - block[col]
    n, k = block.shape
    rec["n_complete"] = n
    if n < 3 or (block.var(ddof=1) == 0).any():
        rec["note"] = "skipped: fewer than 3 complete cases or an item without variance"
        return rec, missing_rows
    rec.update(_alpha(block, confidence))
    if k < 3:
        # a one-factor model of 2 items is not identified: omega cannot be estimated
        rec["omega_total"] = math.nan
        rec["note"] = "omega: not estimable with 2 items (one-factor model not identified)"
    else:
        rec["omega_total"], rec["note"] = _omega_total(block.corr().to_numpy())
    return rec, missing_rows


def _alpha(block: pd.DataFrame, confidence: float) -> dict[str, float]:
    """Cronbach's alpha (pingouin) and Feldt's CI at full precision."""
    import pingouin as pg
    from scipy import stats

    n, k = block.shape
    alpha = float(pg.cronbach_alpha(data=block, nan_policy="listwise", ci=confidence)[0])
    a = 1 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return {
        "cronbach_alpha": alpha,
        "alpha_ci_low": 1 - (1 - alpha) * float(stats.f.isf(a / 2, df1, df2)),
        "alpha_ci_high": 1 - (1 - alpha) * float(stats.f.isf(1 - a / 2, df1, df2)),
    }


def _clean_items(data: pd.DataFrame, instrument: Any, item_cols: list[str]) -> pd.DataFrame:
    """The item answers as floats, validated; raise one error listing every bad cell.

    A loaded Instrument is validated exactly as ``score`` validates it
    (``past_outcomes.scoring.validate_responses``: out-of-range, not-an-integer, not-a-number,
    declared missing codes turned into missing); item columns absent from ``data`` are
    treated as unanswered here (their scales are reported as skipped). Any other object with
    a ``scales`` mapping (plain columns) gets the long-data measure check: numbers, finite.
    """
    from past_outcomes.instrument import Instrument

    if isinstance(instrument, Instrument):
        from past_outcomes.scoring import validate_responses

        absent = [c for c in instrument.item_columns if c not in data.columns]
        view = data.assign(**{c: np.nan for c in absent}) if absent else data
        return validate_responses(view, instrument=instrument)
    failures, clean = [], {}
    for col in item_cols:
        values, reasons = measure_values(data[col])
        clean[col] = values
        pos = np.flatnonzero(reasons != None)  # noqa: E711 (elementwise)
        if len(pos):
            failures.append(
                pd.DataFrame(
                    {
                        "row": list(data.index[pos]),
                        "column": col,
                        "value": list(data[col].to_numpy(dtype=object)[pos]),
                        "reason": reasons[pos],
                    }
                )
            )
    if failures:
        raise DataValidationError(
            pd.concat(failures, ignore_index=True),
            context="compute_reliability",
            remedy="Item answers must be finite numbers (missing allowed); recode them first.",
        )
    return pd.DataFrame(clean, index=data.index)


# --------------------------------------------------------------------------------------------
# omega total (hand-written)
# --------------------------------------------------------------------------------------------


def _one_factor_loadings(R: np.ndarray, *, tol: float = 1e-10, max_iter: int = 5000):
    """One-factor minres / iterated principal-axis loadings of a correlation matrix."""
    try:
        h2 = 1 - 1 / np.diag(np.linalg.inv(R))  # squared multiple correlations
    except np.linalg.LinAlgError:
        h2 = np.max(np.abs(R - np.eye(len(R))), axis=0)
    converged = False
    for _ in range(max_iter):
        Rr = R.copy()
        np.fill_diagonal(Rr, h2)
        vals, vecs = np.linalg.eigh(Rr)
        lam = vecs[:, -1] * math.sqrt(max(vals[-1], 0.0))
        new = np.clip(lam**2, 0, 1)
        if np.max(np.abs(new - h2)) < tol:
            h2 = new
            converged = True
            break
        h2 = new
    if lam.sum() < 0:
        lam = -lam
    return lam, converged


def _omega_total(R: np.ndarray) -> tuple[float, str]:
    if not np.isfinite(R).all():
        return math.nan, "omega: not estimable (an item has no variance among complete rows)"
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lam, converged = _one_factor_loadings(R)
    except np.linalg.LinAlgError:
        return (
            math.nan,
            "omega: not estimable (the one-factor fit failed on this correlation matrix)",
        )
    if not np.isfinite(lam).all():
        return math.nan, "omega: not estimable (the one-factor fit gave no finite loadings)"
    common = lam.sum() ** 2
    unique = float(np.sum(1 - lam**2))
    omega = float(common / (common + unique))
    note = "" if converged else "omega: one-factor fit did not converge"
    if (lam**2 >= 1 - 1e-6).any():
        note = (note + "; " if note else "") + "omega: Heywood case (a loading of 1)"
    return omega, note
