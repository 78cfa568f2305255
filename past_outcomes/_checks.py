"""Argument checks shared by every module: each returns the checked value or raises ArgumentError.

Message template: what must be what; what we got; the remedy. ``check_number`` is the single
checker of numeric arguments (of ``stats``, ``change``, the MMRM, reports, and numbers read
from a user's responder rule): finite, real, not a boolean, in its domain.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from past_outcomes.errors import ArgumentError, short_repr


def check_option(name: str, value: Any, options: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``options``; otherwise raise ArgumentError."""
    options = tuple(options)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ArgumentError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def check_columns(data, columns: Iterable[str], *, what: str = "data") -> list[str]:
    """Return ``columns`` as a list if every one is in ``data``; otherwise name the missing ones."""
    columns = list(columns)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        have = ", ".join(map(str, list(data.columns)[:20]))
        raise ArgumentError(
            f"{what} must have the column(s) {', '.join(map(repr, missing))}; "
            f"they are not among its columns ({have}{', ...' if data.shape[1] > 20 else ''}). "
            "Check the spelling or pass the right column name."
        )
    return columns


def check_dataframe(name: str, data: Any):
    """Return ``data`` if it is a pandas DataFrame with one flat level of unique column names.

    Raises ArgumentError for anything else: another type, MultiIndex columns (a column
    would be a tuple, never an item), or a column name that appears twice (which of the two
    holds the answers cannot be known; pandas would silently pick one or fail deep inside).
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(
            f"{name} must be a pandas DataFrame; got {type(data).__name__}. "
            "Read your file with pandas.read_csv first."
        )
    if isinstance(data.columns, pd.MultiIndex):
        raise ArgumentError(
            f"{name} must have one level of column names; got {data.columns.nlevels} levels "
            f"(e.g. {short_repr(data.columns[0]) if len(data.columns) else '()'}). Flatten "
            "them first, e.g. data.columns = ['_'.join(map(str, c)) for c in data.columns]."
        )
    if not data.columns.is_unique:
        dup = data.columns[data.columns.duplicated()].unique()
        listed = ", ".join(short_repr(c) for c in list(dup)[:10])
        raise ArgumentError(
            f"{name} must have unique column names; {listed} appear(s) more than once, so "
            "which one holds the values cannot be known. Rename or drop the duplicates."
        )
    return data


def check_timepoints(data, timepoint: str, pre: Any, post: Any) -> None:
    """Check that ``pre`` and ``post`` are two different values of the ``timepoint`` column."""
    import pandas as pd

    if pre is None or post is None:
        raise ArgumentError(
            f"pre and post must both name a value of the {timepoint!r} column; got "
            f"pre={pre!r}, post={post!r}. Pass e.g. pre='baseline', post='week18'."
        )
    if pre == post:
        raise ArgumentError(
            f"pre and post must be different timepoints; got {pre!r} for both. "
            "Pass the baseline as pre and the follow-up as post."
        )
    present = pd.unique(data[timepoint].dropna())
    for name, value in (("pre", pre), ("post", post)):
        if not (data[timepoint] == value).any():
            shown = ", ".join(map(str, list(present)[:20])) + (", ..." if len(present) > 20 else "")
            raise ArgumentError(
                f"{name} must be a value of the {timepoint!r} column; got {value!r}, which is "
                f"not among its values ({shown}). Check the spelling and the type "
                "(1 is not '1')."
            )


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------


def _domain_text(low, high, low_open, high_open, integer) -> str:
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None:
        if low_open and high_open:
            return f"strictly between {low:g} and {high:g}"
        if not (low_open or high_open):
            return f"{kind} from {low:g} to {high:g}"
        return f"{kind} in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high:g}"
    return f"a finite {kind[3:] if integer else 'number'}"


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    remedy: str = "",
) -> float:
    """Return ``value`` as a float (an int when ``integer``) if it is a finite real number in
    the domain ``low .. high`` (open or closed at each end); raise ArgumentError otherwise.

    Booleans, text, complex numbers, NaN and infinities are refused: ``True`` is not 1, and
    a NaN threshold would make every comparison false.
    """
    domain = _domain_text(low, high, low_open, high_open, integer)
    tail = f" {remedy}" if remedy else ""
    got = short_repr(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be {domain}; got {got} ({type(value).__name__}).{tail}")
    if integer and not isinstance(value, (numbers.Integral, np.integer)):
        raise ArgumentError(f"{name} must be {domain}; got {got} (not an integer).{tail}")
    try:
        v = float(value)
    except (OverflowError, ValueError):
        raise ArgumentError(f"{name} must be {domain}; got {got} (too large).{tail}") from None
    if not math.isfinite(v):
        raise ArgumentError(f"{name} must be {domain}; got {got}.{tail}")
    below = low is not None and (v <= low if low_open else v < low)
    above = high is not None and (v >= high if high_open else v > high)
    if below or above:
        raise ArgumentError(f"{name} must be {domain}; got {got}.{tail}")
    if integer and isinstance(value, (numbers.Integral, np.integer)):  # refused above otherwise
        return int(value)
    return v
