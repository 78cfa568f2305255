"""Validate item responses and score instruments, vectorized over a whole DataFrame.

One engine interprets every spec in ``instruments/``: there is no per-instrument code. Both
public functions work column-wise on NumPy arrays (no per-row Python), so a million
administrations validate and score in about a second.

``validate_responses`` checks every cell and raises one :class:`ResponseValidationError`
listing all offending cells; ``score`` validates first, then computes the scales,
classifications, ``<id>_n_answered`` and, when prorating, ``<id>_prorated``.

What a cell may hold
--------------------
An answer is a real number: a number of any numeric dtype (NumPy, nullable ``Int64`` /
``Float64``, numeric categories) or, in an object, text or categorical column, a Python or
NumPy integer or float, a ``Decimal``, a ``Fraction``, or text spelling a finite decimal
number (``"2"``, ``" 2 "``, ``"2.0"``, ``"1e0"``, ``"-0"``; surrounding white space is
ignored). A missing answer is ``None``, ``NaN``, ``pd.NA``, ``NaT`` or blank text.

Everything else is ``not-a-number``: booleans (``True`` is not the answer code 1, whatever
the dtype), complex numbers, dates and durations, bytes, other objects, and text that is
not a decimal number -- including ``"nan"``, ``"inf"``, ``"NA"``, ``"0x1"``, ``"1,5"`` and
``"TRUE"`` (a typed word is never read as a missing answer). An infinite number (``inf``,
``Decimal("Infinity")``) is ``not-finite``. A number too large for a float (``10**400``,
the text ``"1e400"``) is ``out-of-range`` and reported as +/-1.8e308.

Failure table
-------------
``failure_cases`` has the stable columns ``row, subject, timepoint, column, value,
reason`` plus ``position`` (0-based row position, so that rows stay identifiable when
the index repeats labels; missing for column-level failures) and ``message`` (a sentence
for the first cells of each column and reason; ``None`` beyond, so that a million bad
cells cost no million sentences).
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from past_outcomes._checks import check_dataframe, check_option
from past_outcomes.errors import (
    ArgumentError,
    ProrationWarning,
    ResponseValidationError,
    short_repr,
)
from past_outcomes.instrument import (
    OPERATORS,
    Classification,
    Instrument,
    Scale,
    load_instrument,
)

__all__ = ["score", "validate_responses"]

MISSING_MODES = ("complete", "prorate")
_DEFAULT = object()
#: Sentences are written for this many failures per column and reason (the exception text
#: lists the first 10 failures only; the rest are described by their reason code).
_MESSAGES_PER_FRAME = 50
#: Text that is a finite decimal number (ASCII digits only; white space stripped first).
_DECIMAL_TEXT = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DECIMAL_RE = re.compile(_DECIMAL_TEXT)
_FLOAT_MAX = float(np.finfo(np.float64).max)
#: infer_dtype kinds whose every non-missing element is a (non-boolean) real number
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")


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
        See the module docstring for what a cell may hold.
    instrument
        An instrument id, a spec path, a loaded :class:`Instrument`, or a list of these.
    items
        Maps data column names to item columns, e.g. ``{"Q1": "fsfi_1"}``, for data whose
        columns are named otherwise. Every item must come from exactly one column and every
        column may supply at most one item (an unmapped item reads the column of its own
        name). A mapping that makes one column supply two items (``{"phq9_2": "phq9_1"}``:
        ``phq9_2`` would be item 1 and, by its name, item 2), or leaves a column named like a
        mapped item unused (``{"Q1": "phq9_1"}`` beside a ``phq9_1`` column) raises
        ArgumentError naming both columns, before any cell is read. Swaps
        (``{"phq9_1": "phq9_2", "phq9_2": "phq9_1"}``) are fine.
    subject, timepoint
        Identifier columns used to locate errors and to detect duplicate administrations.
        By default ``"subject"`` and ``"timepoint"`` are used when the data have them;
        pass ``None`` to ignore them. When both are in use, a row missing either is reported
        (``missing-value``, one row per missing cell) and left out of the duplicate check.

    Returns
    -------
    DataFrame
        The item columns as floats (answers as numbers, missing as NaN, declared missing codes
        turned into NaN), same index as ``data`` (a copy). ``data`` is never modified and the
        result shares no memory with it.

    Raises
    ------
    ArgumentError
        ``data`` is not a DataFrame, has MultiIndex or repeated column names; ``items``,
        ``subject`` or ``timepoint`` are wrong (see above).
    ResponseValidationError
        One error listing every offending cell in ``.failure_cases`` (see the module
        docstring; reasons ``out-of-range``, ``not-an-integer``, ``not-a-number``,
        ``not-finite``, ``missing-column``, ``unknown-column``, ``missing-value``,
        ``duplicate-observation``).
    """
    instruments = _resolve_instruments(instrument)
    matrices = _validated_matrices(data, instruments, items, subject, timepoint)
    columns = {
        col: m[j]
        for inst, (m, _) in zip(instruments, matrices.values(), strict=True)
        for j, col in enumerate(inst.item_columns)
    }
    return pd.DataFrame(columns, index=data.index.copy(deep=True))


def _validated_matrices(data, instruments, items, subject, timepoint) -> dict[str, tuple]:
    """Validate every cell; return instrument id -> (float array of shape (items, rows),
    boolean array marking the items known to have no missing answer)."""
    check_dataframe("data", data)
    source_of = _check_item_map(data, items, instruments)
    ids = _Ids(data, *_id_columns(data, subject, timepoint))
    matrices, failures = {}, []
    for inst in instruments:
        values, fails = _validate_one(data, inst, source_of, ids)
        matrices[inst.id] = values
        failures.extend(fails)
    failures.extend(_id_failures(data, ids))
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
        See the module docstring for what a cell may hold.
    instrument
        An id (``"fsfi"``), a spec path, a loaded :class:`Instrument`, or a list of these.
    items
        Maps data column names to item columns (``{"Q1": "fsfi_1"}``); each item from
        exactly one column, each column at most one item (see :func:`validate_responses`).
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
        Same index as ``data`` (a copy; ``data`` is never modified and shares no memory with
        the result). Per instrument: one float column per scale (``fsfi_desire`` ...
        ``fsfi_total``), one column per classification (bands as pandas strings, flags as
        nullable booleans; missing where the score they rest on is missing),
        ``<id>_n_answered`` (items answered) and, when prorating, ``<id>_prorated``.

    Raises
    ------
    ArgumentError, ResponseValidationError
        As :func:`validate_responses`, which runs first.
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
    return pd.DataFrame(out, index=data.index.copy(deep=True))


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


def _has_column(data: pd.DataFrame, name) -> bool:
    try:
        return name in data.columns
    except TypeError:  # an unhashable name is no column
        return False


def _check_item_map(data: pd.DataFrame, items, instruments: Sequence[Instrument]) -> dict[str, str]:
    """Return item column -> data column for the mapped items, checking the user's mapping.

    Every item must come from exactly one column and every column supplies at most one
    item; an unmapped item reads the column of its own name.
    """
    if items is None:
        return {}
    if not isinstance(items, Mapping):
        raise ArgumentError(
            f"items must map data columns to item columns, e.g. {{'Q1': 'fsfi_1'}}; got "
            f"{type(items).__name__}."
        )
    ordered = [c for inst in instruments for c in inst.item_columns]
    known = set(ordered)
    names = ", ".join(i.id for i in instruments)
    mapped: dict[str, object] = {}
    for src, dst in items.items():
        if not isinstance(dst, str):
            raise ArgumentError(
                f"items must map each data column to an item column name (text); got "
                f"{short_repr(src)} -> {short_repr(dst)} ({type(dst).__name__}). Write e.g. "
                f"{{'Q1': {ordered[0]!r}}}."
            )
        if dst not in known:
            raise ArgumentError(
                f"items maps {short_repr(src)} to {dst!r}, which is not an item column of "
                f"{names}. Item columns are named <id>_<n>, e.g. {ordered[0]!r}; to score "
                "another instrument, list it in instrument=."
            )
        if not _has_column(data, src):
            raise ArgumentError(
                f"items maps {short_repr(src)} to {dst!r}, but the data have no column "
                f"{short_repr(src)}."
            )
        if dst in mapped:
            raise ArgumentError(
                f"items maps two columns to {dst!r}: {short_repr(mapped[dst])} and "
                f"{short_repr(src)}. Map one column per item."
            )
        mapped[dst] = src
    # which column each item reads: the mapped one, else the one named like the item
    source = {c: mapped[c] if c in mapped else c for c in ordered}
    source = {c: s for c, s in source.items() if c in mapped or _has_column(data, s)}
    supplied: dict[object, str] = {}
    for item_col, src in source.items():
        if src in supplied:
            first, second = supplied[src], item_col
            why = [
                f"{it!r} ({'items maps it there' if it in mapped else 'its own name'})"
                for it in (first, second)
            ]
            raise ArgumentError(
                f"each data column can supply one item only; column {short_repr(src)} would be "
                f"read as two items: {why[0]} and {why[1]}. Map every item explicitly "
                "(e.g. swap both names in items=) or rename the column."
            )
        supplied[src] = item_col
    for dst, src in mapped.items():
        if src != dst and _has_column(data, dst) and dst not in supplied:
            raise ArgumentError(
                f"each item must come from one column; {dst!r} could come from column "
                f"{short_repr(src)} (items maps it there) or from the column named {dst!r}, "
                f"which would be silently ignored. Drop or rename column {dst!r}, or map it to "
                "another item."
            )
    return mapped  # type: ignore[return-value]


def _id_columns(data: pd.DataFrame, subject, timepoint) -> tuple[object, object]:
    cols = []
    for name, value in (("subject", subject), ("timepoint", timepoint)):
        if value is _DEFAULT:
            cols.append(name if name in data.columns else None)
        elif value is None:
            cols.append(None)
        elif not _has_column(data, value):
            raise ArgumentError(
                f"{name}={short_repr(value)} must name a column of the data; it does not. "
                f"Pass the right column name or {name}=None."
            )
        else:
            cols.append(value)
    return cols[0], cols[1]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


class _Ids:
    """Row locations for failure tables: labels, positions and identifier values."""

    def __init__(self, data: pd.DataFrame, subject_col, timepoint_col):
        self.index = data.index
        self.unique = data.index.is_unique
        self.subject_col = subject_col
        self.timepoint_col = timepoint_col
        self.subject = data[subject_col].to_numpy(dtype=object) if subject_col is not None else None
        self.timepoint = (
            data[timepoint_col].to_numpy(dtype=object) if timepoint_col is not None else None
        )

    def frame(self, rows: np.ndarray, column, values, reason: str, describe) -> pd.DataFrame:
        """One failure row per position in ``rows`` (vectorized), with sentences for the
        first ``_MESSAGES_PER_FRAME``: ``describe(value, where, row, subject)`` returns one,
        given the cell's location (row, subject, timepoint), its row alone and its subject."""
        n = len(rows)
        labels = self.index.take(rows).to_numpy()
        subjects = self.subject[rows] if self.subject is not None else None
        timepoints = self.timepoint[rows] if self.timepoint is not None else None
        columns = np.empty(n, dtype=object)
        columns.fill(column)  # fill, not broadcast: a tuple column name stays one value
        messages = np.empty(n, dtype=object)
        k = min(n, _MESSAGES_PER_FRAME)
        messages[:k] = [
            describe(
                values[i],
                *self.locate(labels[i], rows[i], subjects, timepoints, i),
                subjects[i] if subjects is not None else None,
            )
            for i in range(k)
        ]
        return pd.DataFrame(
            {
                "row": labels,
                "subject": subjects,
                "timepoint": timepoints,
                "column": columns,
                "value": values,
                "reason": reason,
                "position": rows,
                "message": messages,
            }
        )

    def locate(self, label, position, subjects, timepoints, i) -> tuple[str, str]:
        """("row <label>", "row <label>, subject <s>, timepoint <t>") for one failure."""
        label = label.item() if isinstance(label, np.generic) else label
        row = f"row {short_repr(label)}"
        if not self.unique:
            row += f" (position {int(position)}; the index repeats this label)"
        where = row
        for name, values in (("subject", subjects), ("timepoint", timepoints)):
            if values is not None and not _is_missing(values[i]):
                where += f", {name} {_text(values[i])}"
        return where, row


def _column_failure(column, reason: str, message: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [None],
            "subject": [None],
            "timepoint": [None],
            "column": _one(column),
            "value": [None],
            "reason": [reason],
            "position": [None],
            "message": [message],
        }
    )


def _one(value) -> np.ndarray:
    out = np.empty(1, dtype=object)
    out[0] = value
    return out


def _validate_one(data, inst: Instrument, source_of, ids: _Ids):
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
        dtype = series.dtype
        numpy_int = isinstance(dtype, np.dtype) and dtype.kind in "iu"
        if numpy_int and not inst.missing_codes and item.values is None:
            # plain NumPy integers: no missing answers, no fractions; check by min and max
            raw = series.to_numpy()
            if n == 0 or (raw.min() >= item.min and raw.max() <= item.max):
                x[j] = raw
                nan_free[j] = True
                continue
        allowed = item.allowed_text()
        values, bad = _to_float(series)
        if bad is not None and bad.any():
            rows = np.flatnonzero(bad)
            raw_cells = series.iloc[rows].to_numpy(dtype=object)
            failures.append(
                ids.frame(
                    rows,
                    col,
                    raw_cells,
                    "not-a-number",
                    lambda v, where, row, subj, c=col, a=allowed: _nan_message(c, a, v, where),
                )
            )
        if inst.missing_codes:
            values = np.where(np.isin(values, inst.missing_codes), np.nan, values)
        integer_input = dtype.kind in "iu"  # integers: no fractions
        check_frac = (item.integer or item.values is not None) and not integer_input
        if item.values is None and _all_valid_fast(values, item, check_frac):
            np.add(values, 0.0, out=x[j])  # a copy, with -0.0 read as 0.0
            continue
        with np.errstate(invalid="ignore"):
            infinite = np.isinf(values)
            if not check_frac:
                frac = None
            else:
                frac = (values != np.floor(values)) & ~np.isnan(values) & ~infinite
            if item.values is not None:
                out = ~np.isin(values, item.values) & ~np.isnan(values)
            else:
                out = (values < item.min) | (values > item.max)  # NaN compares False
            out &= ~infinite
            if frac is not None:
                out &= ~frac
        for mask, reason in (
            (infinite, "not-finite"),
            (frac, "not-an-integer"),
            (out, "out-of-range"),
        ):
            if mask is not None and mask.any():
                rows = np.flatnonzero(mask)
                failures.append(
                    ids.frame(
                        rows,
                        col,
                        values[rows],
                        reason,
                        lambda v, where, row, subj, c=col, a=allowed, r=reason: _cell_message(
                            c, a, v, where, r
                        ),
                    )
                )
        np.add(values, 0.0, out=x[j])
    for col in missing_cols:
        failures.append(
            _column_failure(
                col,
                "missing-column",
                f"{col}: column missing; {inst.id} needs items "
                f"{inst.item_columns[0]}..{inst.item_columns[-1]}. Add it (empty if "
                "unanswered) or map your column name with items=.",
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
                _column_failure(
                    col,
                    "unknown-column",
                    f"{col}: looks like an item of {inst.id}, which has items "
                    f"1-{len(inst.items)} only. Rename or drop the column.",
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


def _is_missing(value) -> bool:
    """pd.isna for one cell; False for anything pd.isna cannot judge (lists, odd objects)."""
    try:
        result = pd.isna(value)
    except Exception:
        return False
    return result is True or (isinstance(result, np.bool_) and bool(result))


def _text(value) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    try:
        text = str(value)
    except Exception:  # a hostile __str__
        text = short_repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _cell_message(col, allowed, value, where, reason) -> str:
    got = int(value) if float(value).is_integer() else value
    tail = {
        "not-an-integer": " (not a whole number)",
        "not-finite": " (not a finite number)",
    }.get(reason, "")
    return f"{_text(col)} must be {allowed}; got {got} in {where}{tail}. Check the response coding."


def _nan_message(col, allowed, value, where) -> str:
    if isinstance(value, str):
        got = f"the text {short_repr(value)}"
    elif isinstance(value, (bool, np.bool_)):
        got = f"the boolean {bool(value)} (a boolean is not an answer code)"
    elif isinstance(value, (complex, np.complexfloating)):
        got = f"the complex number {short_repr(value)}"
    else:
        got = f"{short_repr(value)} (of type {type(value).__name__})"
    return (
        f"{_text(col)} must be {allowed}; got {got} in {where}. Recode text answers to the "
        "official numeric codes."
    )


def _to_float(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Column as float64 (NaN for missing and for non-numbers) and a mask of the cells that
    are not numbers, or None when the dtype cannot hold any. See the module docstring."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _to_float(pd.Series(np.asarray(series.array)))
    if isinstance(dtype, pd.SparseDtype):
        return _to_float(series.sparse.to_dense())
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_complex_dtype(dtype)
        or dtype.kind in "mM"
        or isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype))
    ):
        # booleans, complex numbers, dates and durations are not answers
        return np.full(len(series), np.nan), series.notna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype):
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan), None
        return series.to_numpy(dtype="float64", copy=False), None
    return _objects_to_float(series.to_numpy(dtype=object))


def _objects_to_float(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Object cells as float64 plus a not-a-number mask; vectorized where every non-missing
    cell is a number or every one is text (each distinct text read once), cell by cell for
    mixed columns."""
    try:
        kind = pd.api.types.infer_dtype(cells, skipna=True)
        missing = pd.isna(cells)
    except Exception:  # e.g. Decimal("sNaN") refuses to be compared
        return _cells_to_float(cells)
    if kind == "empty":
        return np.full(len(cells), np.nan), np.zeros(len(cells), dtype=bool)
    if kind == "boolean":
        return np.full(len(cells), np.nan), ~missing
    if kind == "string":
        # every cell is text: classify each distinct text once (answers repeat a few codes)
        codes, uniques = pd.factorize(cells)
        u_values, u_bad = _cells_to_float(np.asarray(uniques, dtype=object))
        answered = codes >= 0
        values = np.where(answered, u_values[codes], np.nan)
        return values, u_bad[codes] & answered
    if kind in _NUMBER_KINDS:
        try:
            parsed = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce")
            values = np.array(parsed.to_numpy(dtype="float64", na_value=np.nan))  # writable
        except (OverflowError, TypeError, ValueError):  # e.g. 10**400
            return _cells_to_float(cells)
        # re-read the few cells the fast parser could not settle (Decimal NaN, inf...)
        recheck = np.flatnonzero((np.isnan(values) & ~missing) | np.isinf(values))
        bad = np.zeros(len(cells), dtype=bool)
        if len(recheck):
            v, b = _cells_to_float(cells[recheck])
            values[recheck] = v
            bad[recheck] = b
        return values, bad
    return _cells_to_float(cells)


def _cells_to_float(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pairs = [_cell_to_float(v) for v in cells]
    values = np.fromiter((p[0] for p in pairs), dtype=np.float64, count=len(pairs))
    bad = np.fromiter((p[1] for p in pairs), dtype=bool, count=len(pairs))
    return values, bad


def _cell_to_float(value) -> tuple[float, bool]:
    """(float value, is-not-a-number) for one cell; NaN for a missing cell."""
    if isinstance(value, (bool, np.bool_)):
        return math.nan, True
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return math.nan, False  # blank: unanswered
        if not _DECIMAL_RE.fullmatch(text):
            return math.nan, True
        number = float(text)
        return (math.copysign(_FLOAT_MAX, number) if math.isinf(number) else number), False
    if isinstance(value, (numbers.Real, Decimal)):
        try:
            return float(value), False  # NaN is missing, inf is reported as not-finite
        except OverflowError:  # an integer or fraction too large for a float
            return math.copysign(_FLOAT_MAX, 1 if value > 0 else -1), False
        except Exception:  # Decimal("sNaN"), a hostile __float__
            return math.nan, True
    if _is_missing(value):
        return math.nan, False
    return math.nan, True  # complex, bytes, dates, containers, other objects


def _id_failures(data, ids: _Ids) -> list[pd.DataFrame]:
    """Missing identifiers (``missing-value``) and repeated subject and timepoint pairs
    (``duplicate-observation``, among the rows with both identifiers)."""
    if ids.subject_col is None or ids.timepoint_col is None:
        return []
    frames = []
    n = len(data)
    missing = np.zeros(n, dtype=bool)
    for name, col, cells in (
        ("subject", ids.subject_col, ids.subject),
        ("timepoint", ids.timepoint_col, ids.timepoint),
    ):
        miss = pd.isna(cells)
        missing |= miss
        if miss.any():
            rows = np.flatnonzero(miss)
            frames.append(
                ids.frame(
                    rows,
                    col,
                    cells[rows],
                    "missing-value",
                    lambda v, where, row, subj, c=col, nm=name: (
                        f"{_text(c)} must identify the {nm} of every row; it is missing in "
                        f"{where}. Fill it in, or pass subject=None and timepoint=None to "
                        "validate without identifiers."
                    ),
                )
            )
    keep = np.flatnonzero(~missing)
    pairs = pd.DataFrame({"s": ids.subject[keep], "t": ids.timepoint[keep]})
    try:
        dup_kept = pairs.duplicated(keep=False).to_numpy()
    except TypeError:  # unhashable ids (lists, dicts)
        raise ArgumentError(
            f"{_text(ids.subject_col)} and {_text(ids.timepoint_col)} must hold text or "
            "numbers that identify subjects and timepoints; some cells hold unhashable "
            "objects (lists, dicts...). Convert them to text first."
        ) from None
    if dup_kept.any():
        rows = keep[dup_kept]
        frames.append(
            ids.frame(
                rows,
                f"{_text(ids.subject_col)}+{_text(ids.timepoint_col)}",
                ids.timepoint[rows],
                "duplicate-observation",
                lambda v, where, row, subj: (
                    f"subject {_text(subj)} has more than one row at "
                    f"timepoint {_text(v)} ({row}). Keep one administration per subject and "
                    "timepoint, or give repeats distinct timepoints."
                ),
            )
        )
    return frames


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
            hit = OPERATORS[cls.operator](s, cls.value)
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
            hit = OPERATORS[cls.operator](v, cls.value)
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
        hit = OPERATORS[cls.operator](count, cls.value)
        return _bool_array(hit & ~unknown, unknown)
    if cls.type == "criteria":
        # every requirement must hold; a label resting on a missing answer is missing, like the
        # score it accompanies (no answer is guessed, even where the rule could be decided)
        met_all = np.ones(x.shape[1], dtype=bool)
        any_missing = np.zeros(x.shape[1], dtype=bool)
        for req in cls.require:
            if req.scales:
                sub = np.stack([scores[c] for c in req.scales])
            else:
                sub = x[[pos[n] for n in req.items]]
            miss = np.isnan(sub)
            with np.errstate(invalid="ignore"):
                met = OPERATORS[req.operator](sub, req.value) & ~miss
            met_all &= met.sum(axis=0) >= req.at_least
            any_missing |= miss.any(axis=0)
        return _bool_array(met_all & ~any_missing, any_missing)
    raise AssertionError(f"unhandled classification type {cls.type}")  # pragma: no cover
