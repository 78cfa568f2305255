"""Argument checks shared by every module: each returns the checked value or raises ArgumentError.

Message template: what must be what; what we got; the remedy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from past_outcomes.errors import ArgumentError


def check_option(name: str, value: Any, options: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``options``; otherwise raise ArgumentError."""
    options = tuple(options)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ArgumentError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def check_probability(name: str, value: Any, *, open_interval: bool = True) -> float:
    """Return ``value`` as a float in (0, 1) (or [0, 1] when ``open_interval`` is False)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number between 0 and 1; got {value!r}.") from None
    ok = 0 < v < 1 if open_interval else 0 <= v <= 1
    if not ok:
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ArgumentError(f"{name} must be {bounds}; got {value!r}.")
    return v


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
    """Return ``data`` if it is a pandas DataFrame; otherwise raise ArgumentError."""
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(
            f"{name} must be a pandas DataFrame; got {type(data).__name__}. "
            "Read your file with pandas.read_csv first."
        )
    return data
