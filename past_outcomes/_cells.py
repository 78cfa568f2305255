"""Reading one column of item answers as numbers (the cell rules of ``past_outcomes.scoring``).

:func:`to_float` turns a column into float64 values (NaN for a missing answer) and a mask of
the cells that are not numbers, following the rules in the ``scoring`` module docstring
("What a cell may hold"): numbers of any dtype, ``Decimal`` and ``Fraction``, text spelling a
finite decimal number; never booleans, complex numbers, dates or other objects.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal

import numpy as np
import pandas as pd

from past_outcomes.errors import short_repr

#: Text that is a finite decimal number (ASCII digits only; white space stripped first).
_DECIMAL_TEXT = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DECIMAL_RE = re.compile(_DECIMAL_TEXT)
_FLOAT_MAX = float(np.finfo(np.float64).max)
#: infer_dtype kinds whose every non-missing element is a (non-boolean) real number
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")


def to_float(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Column as float64 (NaN for missing and for non-numbers) and a mask of the cells that
    are not numbers, or None when the dtype cannot hold any. See the module docstring."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return to_float(pd.Series(np.asarray(series.array)))
    if isinstance(dtype, pd.SparseDtype):
        return to_float(series.sparse.to_dense())  # type: ignore[attr-defined]  # stubs: Series.sparse
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_complex_dtype(dtype)
        or dtype.kind in "mM"
        or isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype))
    ):
        # booleans, complex numbers, dates and durations are not answers
        return np.full(len(series), np.nan), series.notna().to_numpy(dtype=bool)
    if isinstance(dtype, pd.StringDtype):
        # text (as read from a file): each distinct text read once, with no object round-trip
        # (pandas factorizes an Arrow-backed column in Arrow)
        codes, uniques = pd.factorize(series)
        return _by_code(np.asarray(codes), np.asarray(uniques, dtype=object))
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
        return cells_to_float(cells)
    if kind == "empty":
        return np.full(len(cells), np.nan), np.zeros(len(cells), dtype=bool)
    if kind == "boolean":
        return np.full(len(cells), np.nan), ~missing
    if kind == "string":
        # every cell is text: classify each distinct text once (answers repeat a few codes)
        codes, uniques = pd.factorize(cells)
        return _by_code(codes, np.asarray(uniques, dtype=object))
    if kind in _NUMBER_KINDS:
        try:
            parsed = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce")
            values = np.array(parsed.to_numpy(dtype="float64", na_value=np.nan))  # writable
        except (OverflowError, TypeError, ValueError):  # e.g. 10**400
            return cells_to_float(cells)
        # re-read the few cells the fast parser could not settle (Decimal NaN, inf...)
        recheck = np.flatnonzero((np.isnan(values) & ~missing) | np.isinf(values))
        bad = np.zeros(len(cells), dtype=bool)
        if len(recheck):
            v, b = cells_to_float(cells[recheck])
            values[recheck] = v
            bad[recheck] = b
        return values, bad
    return cells_to_float(cells)


def _by_code(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and not-a-number mask of factorized cells (code -1: missing), each distinct
    cell read once by :func:`cells_to_float`."""
    if len(uniques) == 0:  # every cell missing
        return np.full(len(codes), np.nan), np.zeros(len(codes), dtype=bool)
    u_values, u_bad = cells_to_float(uniques)
    answered = codes >= 0
    values = np.where(answered, u_values[codes], np.nan)
    return values, u_bad[codes] & answered


def cells_to_float(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
            # numbers.Real promises < (not >); such a value is never 0
            return math.copysign(_FLOAT_MAX, -1 if value < 0 else 1), False
        except Exception:  # Decimal("sNaN"), a hostile __float__
            return math.nan, True
    if is_missing(value):
        return math.nan, False
    return math.nan, True  # complex, bytes, dates, containers, other objects


def is_missing(value) -> bool:
    """pd.isna for one cell; False for anything pd.isna cannot judge (lists, odd objects)."""
    try:
        result = pd.isna(value)
    except Exception:
        return False
    return result is True or (isinstance(result, np.bool_) and bool(result))


def cell_text(value) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    try:
        text = str(value)
    except Exception:  # a hostile __str__
        text = short_repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
