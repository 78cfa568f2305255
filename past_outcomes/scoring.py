"""Validate item responses and score instruments, vectorized over a whole DataFrame.

One engine interprets every spec in ``instruments/``: there is no per-instrument code. Both
public functions work column-wise on NumPy arrays (no per-row Python), so a million
administrations validate and score in about a second.

``validate_responses`` checks every cell and raises one :class:`ResponseValidationError`
listing all offending cells; ``score`` validates first, then computes the scales,
classifications, ``<id>_n_answered`` and, when prorating, ``<id>_prorated``.
"""

from __future__ import annotations

import operator as _op
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from past_outcomes._checks import check_dataframe, check_option
from past_outcomes.errors import ArgumentError, ProrationWarning, ResponseValidationError
from past_outcomes.instrument import Classification, Instrument, Scale, load_instrument

__all__ = ["score", "validate_responses"]

MISSING_MODES = ("complete", "prorate")
_OPS = {"<": _op.lt, "<=": _op.le, ">": _op.gt, ">=": _op.ge, "==": _op.eq, "!=": _op.ne}
_DEFAULT = object()


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def validate_responses(
    data: pd.DataFrame,
    instrument,
    *,
    items: Mapping[str, str] | None = None,
    subject: str | None = _DEFAULT,  # type: ignore[assignment]
    timepoint: str | None = _DEFAULT,  # type: ignore[assignment]
) -> pd.DataFrame:
    """Check every item cell of one or more instruments; return the clean item matrix.

    Parameters
    ----------
    data
        One row per administration; item columns named ``<id>_<n>`` (``fsfi_1``..``fsfi_19``).
    instrument
        An instrument id, a spec path, a loaded :class:`Instrument`, or a list of these.
    items
        Maps data column names to item columns, e.g. ``{"Q1": "fsfi_1"}``, for data whose
        columns are named otherwise.
    subject, timepoint
        Identifier columns used to locate errors and to detect duplicate administrations.
        By default ``"subject"`` and ``"timepoint"`` are used when the data have them;
        pass ``None`` to ignore them.

    Returns
    -------
    DataFrame
        The item columns as floats (answers as numbers, missing as NaN, declared missing codes
        turned into NaN), same index as ``data``. ``data`` is never modified.

    Raises
    ------
    ResponseValidationError
        One error listing every offending cell in ``.failure_cases`` (columns ``row, subject,
        timepoint, column, value, reason``; reasons ``out-of-range``, ``not-an-integer``,
        ``not-a-number``, ``missing-column``, ``unknown-column``, ``duplicate-observation``).
    """
    instruments = _resolve_instruments(instrument)
    matrices = _validated_matrices(data, instruments, items, subject, timepoint)
    columns = {
        col: m[j]
        for inst, (m, _) in zip(instruments, matrices.values(), strict=True)
        for j, col in enumerate(inst.item_columns)
    }
    return pd.DataFrame(columns, index=data.index)


def _validated_matrices(data, instruments, items, subject, timepoint) -> dict[str, tuple]:
    """Validate every cell; return instrument id -> (float array of shape (items, rows),
    boolean array marking the items known to have no missing answer)."""
    check_dataframe("data", data)
    source_of = _check_item_map(data, items, instruments)
    subject_col, timepoint_col = _id_columns(data, subject, timepoint)
    matrices, failures = {}, []
    for inst in instruments:
        values, fails = _validate_one(data, inst, source_of, subject_col, timepoint_col)
        matrices[inst.id] = values
        failures.extend(fails)
    failures.extend(_duplicate_failures(data, subject_col, timepoint_col))
    if failures:
        fc = pd.concat(failures, ignore_index=True)
        names = ", ".join(i.id for i in instruments)
        raise ResponseValidationError(
            fc,
            context=f"Responses to {names} failed validation",
            remedy=(
                "Remedy: fix or recode the listed cells (answers must use the instrument's "
                "official codes; leave unanswered items empty), map differently named columns "
                "with items={'your column': 'item column'}, and keep one row per subject and "
                "timepoint."
            ),
        )
    return matrices


def score(
    data: pd.DataFrame,
    instrument,
    *,
    items: Mapping[str, str] | None = None,
    missing: str = "complete",
    subject: str | None = _DEFAULT,  # type: ignore[assignment]
    timepoint: str | None = _DEFAULT,  # type: ignore[assignment]
) -> pd.DataFrame:
    """Score one or more instruments for every row of ``data``.

    Parameters
    ----------
    data
        One row per administration, item columns ``<id>_<n>``; other columns are ignored.
    instrument
        An id (``"fsfi"``), a spec path, a loaded :class:`Instrument`, or a list of these.
    items
        Maps data column names to item columns (``{"Q1": "fsfi_1"}``).
    missing
        ``"complete"`` (default): a scale is scored only when every one of its items is
        answered. ``"prorate"``: apply the spec's declared proration rule (raises
        ArgumentError for an instrument that declares none); the output then has a
        ``<id>_prorated`` flag and a ``<scale>_prorated`` flag per prorated scale, and a
        :class:`ProrationWarning` says how many scores were prorated.
    subject, timepoint
        Identifier columns for error messages and the duplicate check (see
        :func:`validate_responses`).

    Returns
    -------
    DataFrame
        Same index as ``data``. Per instrument: one float column per scale (``fsfi_desire`` ...
        ``fsfi_total``), one column per classification (bands as pandas strings, flags as
        nullable booleans; missing where the score they rest on is missing),
        ``<id>_n_answered`` (items answered) and, when prorating, ``<id>_prorated``.
    """
    check_option("missing", missing, MISSING_MODES)
    instruments = _resolve_instruments(instrument)
    if missing == "prorate":
        lacking = [i.id for i in instruments if not any(s.proration for s in i.scales.values())]
        if lacking:
            raise ArgumentError(
                f"missing='prorate' needs a proration rule in the spec; {', '.join(lacking)} "
                "declare(s) none (no published rule exists). Score with missing='complete', or "
                "declare a rule with its source in your own copy of the spec."
            )
    matrices = _validated_matrices(data, instruments, items, subject, timepoint)
    out: dict[str, object] = {}
    n_prorated = 0
    for inst in instruments:
        x, nan_free = matrices[inst.id]
        result = _score_one(inst, x, nan_free, prorate=(missing == "prorate"))
        out.update(result.columns)
        n_prorated += result.n_prorated
    if n_prorated:
        warnings.warn(
            f"{n_prorated} score(s) were prorated from incomplete items under the spec's "
            "declared rule; see the *_prorated columns.",
            ProrationWarning,
            stacklevel=2,
        )
    return pd.DataFrame(out, index=data.index)


# --------------------------------------------------------------------------------------------
# Argument resolution
# --------------------------------------------------------------------------------------------


def _resolve_instruments(instrument) -> list[Instrument]:
    if isinstance(instrument, (list, tuple)):
        if not instrument:
            raise ArgumentError("instrument must name at least one instrument; got an empty list.")
        insts = [load_instrument(i) for i in instrument]
    else:
        insts = [load_instrument(instrument)]
    ids = [i.id for i in insts]
    if len(set(ids)) != len(ids):
        raise ArgumentError(f"instrument lists an instrument twice: {ids}.")
    return insts


def _check_item_map(data: pd.DataFrame, items, instruments: Sequence[Instrument]) -> dict[str, str]:
    """Return item column -> data column, checking the user's mapping."""
    if items is None:
        return {}
    if not isinstance(items, Mapping):
        raise ArgumentError(
            f"items must map data columns to item columns, e.g. {{'Q1': 'fsfi_1'}}; got "
            f"{type(items).__name__}."
        )
    known = {c for inst in instruments for c in inst.item_columns}
    source_of: dict[str, str] = {}
    for src, dst in items.items():
        if dst not in known:
            raise ArgumentError(
                f"items maps {src!r} to {dst!r}, which is not an item column of "
                f"{', '.join(i.id for i in instruments)}. Item columns are named <id>_<n>, "
                f"e.g. {instruments[0].item_columns[0]!r}."
            )
        if src not in data.columns:
            raise ArgumentError(
                f"items maps {src!r} to {dst!r}, but the data have no column {src!r}."
            )
        if dst in source_of:
            raise ArgumentError(
                f"items maps two columns to {dst!r}: {source_of[dst]!r} and {src!r}."
            )
        source_of[dst] = src
    return source_of


def _id_columns(data: pd.DataFrame, subject, timepoint) -> tuple[str | None, str | None]:
    cols = []
    for name, value in (("subject", subject), ("timepoint", timepoint)):
        if value is _DEFAULT:
            cols.append(name if name in data.columns else None)
        elif value is None:
            cols.append(None)
        elif value not in data.columns:
            raise ArgumentError(
                f"{name}={value!r} must name a column of the data; it does not. Pass the right "
                f"column name or {name}=None."
            )
        else:
            cols.append(value)
    return cols[0], cols[1]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _failure_frame(
    data, rows: np.ndarray, column: str, values, reason: str, subject_col, timepoint_col
):
    labels = data.index[rows]
    frame = pd.DataFrame(
        {
            "row": list(labels),
            "subject": data[subject_col].to_numpy()[rows] if subject_col else None,
            "timepoint": data[timepoint_col].to_numpy()[rows] if timepoint_col else None,
            "column": column,
            "value": list(values),
            "reason": reason,
        }
    )
    return frame


def _validate_one(data, inst: Instrument, source_of, subject_col, timepoint_col):
    n = len(data)
    x = np.empty((len(inst.items), n))  # item-major: one contiguous row per item
    nan_free = np.zeros(len(inst.items), dtype=bool)  # items known to hold no missing answer
    failures: list[pd.DataFrame] = []
    missing_cols = []
    for j, item in enumerate(inst.items):
        col = source_of.get(item.column, item.column)
        if col not in data.columns:
            x[j] = np.nan
            if item.required:
                missing_cols.append(col)
            continue
        series = data[col]
        if series.dtype.kind in "iu" and not inst.missing_codes and item.values is None:
            # plain NumPy integers: no missing answers, no fractions; check by min and max
            raw = series.to_numpy()
            if n == 0 or (raw.min() >= item.min and raw.max() <= item.max):
                x[j] = raw
                nan_free[j] = True
                continue
        values, bad_text = _to_float(series)
        if bad_text is not None and bad_text.any():
            rows = np.flatnonzero(bad_text)
            frame = _failure_frame(
                data, rows, col, series.to_numpy()[rows], "not-a-number", subject_col, timepoint_col
            )
            frame["message"] = [
                f"{col} must be {item.allowed_text()}; got the text {v!r} in row {r!r}"
                f"{_where(s, t)}. Recode text answers to the official numeric codes."
                for v, r, s, t in zip(
                    frame["value"], frame["row"], frame["subject"], frame["timepoint"], strict=True
                )
            ]
            failures.append(frame)
        if inst.missing_codes:
            values = np.where(np.isin(values, inst.missing_codes), np.nan, values)
        integer_input = series.dtype.kind in "iub"  # plain NumPy integers: no NaN, no fractions
        check_frac = (item.integer or item.values is not None) and not integer_input
        if item.values is None and _all_valid_fast(values, item, check_frac):
            x[j] = values
            continue
        with np.errstate(invalid="ignore"):
            if not check_frac:
                frac = None
            else:
                frac = (values != np.floor(values)) & ~np.isnan(values)
            if item.values is not None:
                out = ~np.isin(values, item.values) & ~np.isnan(values)
            else:
                out = (values < item.min) | (values > item.max)  # NaN compares False
            if frac is not None:
                out &= ~frac
        for mask, reason in ((frac, "not-an-integer"), (out, "out-of-range")):
            if mask is not None and mask.any():
                rows = np.flatnonzero(mask)
                frame = _failure_frame(
                    data, rows, col, values[rows], reason, subject_col, timepoint_col
                )
                frame["message"] = (
                    [
                        _cell_message(col, item.allowed_text(), v, r, s, t, reason)
                        for v, r, s, t in zip(
                            frame["value"],
                            frame["row"],
                            frame["subject"],
                            frame["timepoint"],
                            strict=True,
                        )
                    ]
                    if len(frame) <= 50
                    else None
                )
                failures.append(frame)
        x[j] = values
    for col in missing_cols:
        failures.append(
            pd.DataFrame(
                {
                    "row": [None],
                    "subject": [None],
                    "timepoint": [None],
                    "column": [col],
                    "value": [None],
                    "reason": ["missing-column"],
                    "message": [
                        f"{col}: column missing; {inst.id} needs items "
                        f"{inst.item_columns[0]}..{inst.item_columns[-1]}. Add it (empty if "
                        "unanswered) or map your column name with items=."
                    ],
                }
            )
        )
    pattern = re.compile(rf"^{re.escape(inst.id)}_(\d+)$")
    mapped = set(source_of.values())
    for col in data.columns:
        if (
            isinstance(col, str)
            and col not in mapped
            and pattern.match(col)
            and col not in inst.item_columns
        ):
            failures.append(
                pd.DataFrame(
                    {
                        "row": [None],
                        "subject": [None],
                        "timepoint": [None],
                        "column": [col],
                        "value": [None],
                        "reason": ["unknown-column"],
                        "message": [
                            f"{col}: looks like an item of {inst.id}, which has items "
                            f"1-{len(inst.items)} only. Rename or drop the column."
                        ],
                    }
                )
            )
    # items answered but flagged invalid are not scored
    return (x, nan_free), failures


def _all_valid_fast(values: np.ndarray, item, check_frac: bool) -> bool:
    """True when a column is certainly valid, by reductions only (no per-cell masks).

    ``fmin``/``fmax`` skip NaN, so missing answers pass; the common all-valid column then costs
    two or three passes over memory instead of building boolean masks.
    """
    if len(values) == 0:
        return True
    lo, hi = np.fmin.reduce(values), np.fmax.reduce(values)
    if np.isnan(lo):  # every answer missing
        return True
    if lo < item.min or hi > item.max:
        return False
    if check_frac:
        return not np.fmax.reduce(np.abs(values - np.rint(values))) > 0
    return True


def _where(subject, timepoint) -> str:
    parts = []
    if subject is not None and not pd.isna(subject):
        parts.append(f"subject {subject}")
    if timepoint is not None and not pd.isna(timepoint):
        parts.append(f"timepoint {timepoint}")
    return "".join(f", {p}" for p in parts)


def _cell_message(col, allowed, value, row, subject, timepoint, reason) -> str:
    got = int(value) if float(value).is_integer() else value
    return (
        f"{col} must be {allowed}; got {got} in row {row!r}{_where(subject, timepoint)}"
        + (" (not a whole number)" if reason == "not-an-integer" else "")
        + ". Check the response coding."
    )


def _to_float(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Column as float64 (NaN for missing) and a mask of non-numeric entries, or None."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.astype("float64").to_numpy(), np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype):
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan), None
        return series.to_numpy(dtype="float64", copy=False), None
    converted = pd.to_numeric(series, errors="coerce")
    values = converted.to_numpy(dtype="float64", na_value=np.nan)
    raw_missing = series.isna().to_numpy()
    if series.dtype == object or pd.api.types.is_string_dtype(dtype):
        blank = series.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    else:
        blank = np.zeros(len(series), dtype=bool)
    bad = np.isnan(values) & ~raw_missing & ~blank
    return values, bad


def _duplicate_failures(data, subject_col, timepoint_col) -> list[pd.DataFrame]:
    if not subject_col or not timepoint_col:
        return []
    dup = data.duplicated(subset=[subject_col, timepoint_col], keep=False).to_numpy()
    if not dup.any():
        return []
    rows = np.flatnonzero(dup)
    frame = _failure_frame(
        data,
        rows,
        f"{subject_col}+{timepoint_col}",
        data[timepoint_col].to_numpy()[rows],
        "duplicate-observation",
        subject_col,
        timepoint_col,
    )
    frame["message"] = [
        f"subject {s} has more than one row at timepoint {t} (row {r!r}). Keep one "
        "administration per subject and timepoint, or give repeats distinct timepoints."
        for r, s, t in zip(frame["row"], frame["subject"], frame["timepoint"], strict=True)
    ]
    return [frame]


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


@dataclass
class _Scored:
    columns: dict[str, object]
    n_prorated: int


def _score_one(inst: Instrument, x: np.ndarray, nan_free: np.ndarray, *, prorate: bool) -> _Scored:
    pos = {item.n: j for j, item in enumerate(inst.items)}
    # reverse keying (none of the bundled instruments needs it, but the vocabulary has it)
    for j, item in enumerate(inst.items):
        if item.reverse:
            x[j] = item.min + item.max - x[j]
    scores: dict[str, np.ndarray] = {}
    prorated: dict[str, np.ndarray] = {}
    by_id: dict[str, str] = {}
    for col, scale in inst.scales.items():
        by_id[scale.id] = col
        if scale.method == "sum_of_scales":
            parts = [scores[by_id[s]] for s in scale.scales]
            value, was_prorated = _combine(parts, scale, prorate, sum_weights=None)
            if prorate:
                parts_prorated = np.stack([prorated[by_id[s]] for s in scale.scales])
                was_prorated = was_prorated | (parts_prorated.any(axis=0) & ~np.isnan(value))
        else:
            idx = [pos[n] for n in scale.items]
            sub = [x[i] for i in idx]  # views: no copy of the item rows
            weights = np.asarray(scale.weights) if scale.weights else None
            if weights is not None:
                sub = [row * w for row, w in zip(sub, weights, strict=True)]
            value, was_prorated = _combine(sub, scale, prorate, sum_weights=weights)
        scores[col] = value
        prorated[col] = was_prorated
    n_answered = np.full(x.shape[1], int(nan_free.sum()), dtype=np.int64)
    for j in np.flatnonzero(~nan_free):
        n_answered += ~np.isnan(x[j])
    not_administered = n_answered == 0
    columns: dict[str, object] = {}
    for col in inst.scales:
        columns[col] = scores[col]
    for col, cls in inst.classifications.items():
        label = _classify(cls, scores, x, pos, nan_free)
        if not_administered.any():
            # an instrument with no answer at all was not administered: no label, not "False"
            label = label.copy()
            label[not_administered] = pd.NA
        columns[col] = label
    columns[f"{inst.id}_n_answered"] = n_answered
    n_prorated = 0
    if prorate:
        any_prorated = np.zeros(x.shape[1], dtype=bool)
        for col, scale in inst.scales.items():
            if scale.proration is not None:
                columns[f"{col}_prorated"] = _bool_array(prorated[col], np.isnan(scores[col]))
                any_prorated |= prorated[col]
        columns[f"{inst.id}_prorated"] = any_prorated
        n_prorated = int(sum(prorated[c].sum() for c in inst.scales))
    return _Scored(columns, n_prorated)


def _combine(
    parts: list[np.ndarray], scale: Scale, prorate: bool, sum_weights
) -> tuple[np.ndarray, np.ndarray]:
    """Sum or mean over the parts (a list of row arrays); NaN unless complete or prorated."""
    k = len(parts)
    rule = scale.proration if prorate else None
    if rule is None:
        # complete cases only: NaN propagates through the sum, so no answered-count is needed
        total = parts[0].copy()
        for row in parts[1:]:
            total += row
        value = total / k if scale.method == "mean" else total
        if scale.factor != 1.0:
            value *= scale.factor
        return value, np.zeros(len(value), dtype=bool)
    parts = np.stack(parts)
    ok = ~np.isnan(parts)
    n_ok = ok.sum(axis=0)
    total = np.where(ok, parts, 0.0).sum(axis=0)
    complete = n_ok == k
    allowed = n_ok >= rule.min_answered
    with np.errstate(invalid="ignore", divide="ignore"):
        if scale.method == "mean":
            value = total / n_ok
        elif sum_weights is None:
            # prorate to the full count: sum x (parts / answered parts)
            value = np.where(complete, total, total * (k / n_ok))
        else:
            w_ok = np.where(ok, sum_weights[:, None], 0.0).sum(axis=0)
            value = np.where(complete, total, total * (float(np.sum(sum_weights)) / w_ok))
    value = np.where(allowed, value * scale.factor, np.nan)
    if rule.floor is not None:
        value = np.where(~complete & (value < rule.floor), rule.floor, value)
    return value, allowed & ~complete


def _bool_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.asarray(mask, dtype=bool))


def _classify(cls: Classification, scores, x, pos, nan_free):
    if cls.type == "cutoff":
        s = scores[cls.scale]
        missing = np.isnan(s)
        with np.errstate(invalid="ignore"):
            hit = _OPS[cls.operator](s, cls.value)
        return _bool_array(hit & ~missing, missing)
    if cls.type == "bands":
        s = scores[cls.scale]
        missing = np.isnan(s)
        mins = np.array([b.min for b in cls.bands])
        labels = np.array([b.label for b in cls.bands], dtype=object)
        idx = np.clip(
            np.searchsorted(mins, np.where(missing, mins[0], s), side="right") - 1, 0, len(mins) - 1
        )
        out = labels[idx]
        out = np.where(missing, None, out)
        return pd.array(out, dtype="string")
    if cls.type == "item_flag":
        v = x[pos[cls.item]]
        missing = np.isnan(v)
        with np.errstate(invalid="ignore"):
            hit = _OPS[cls.operator](v, cls.value)
        return _bool_array(hit & ~missing, missing)
    if cls.type == "count":
        count = np.zeros(x.shape[1], dtype=np.int32)
        unknown = np.zeros(x.shape[1], dtype=bool)
        for n in cls.items:  # one item row at a time: no large temporaries
            row = x[pos[n]]
            hit_row = row == cls.count_values[0]
            for v in cls.count_values[1:]:
                hit_row |= row == v
            if not nan_free[pos[n]]:
                miss = np.isnan(row)
                if cls.count_missing:
                    hit_row |= miss
                else:
                    unknown |= miss
            count += hit_row
        hit = _OPS[cls.operator](count, cls.value)
        return _bool_array(hit & ~unknown, unknown)
    if cls.type == "criteria":
        # every requirement must hold; a label resting on a missing answer is missing, like the
        # score it accompanies (no answer is guessed, even where the rule could be decided)
        met_all = np.ones(x.shape[1], dtype=bool)
        any_missing = np.zeros(x.shape[1], dtype=bool)
        for req in cls.require:
            cols = req["columns"]
            if all(c in scores for c in cols):
                sub = np.stack([scores[c] for c in cols])
            else:
                sub = x[[pos[int(c.rsplit("_", 1)[1])] for c in cols]]
            miss = np.isnan(sub)
            with np.errstate(invalid="ignore"):
                met = _OPS[req["operator"]](sub, req["value"]) & ~miss
            met_all &= met.sum(axis=0) >= req["at_least"]
            any_missing |= miss.any(axis=0)
        return _bool_array(met_all & ~any_missing, any_missing)
    raise AssertionError(f"unhandled classification type {cls.type}")  # pragma: no cover
