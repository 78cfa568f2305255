"""Formatting for tables and reports: p-values, intervals and warnings written one way.

Numbers stay at full precision in every result; these functions turn them into text only
where a table is shown, so that every notebook and report writes a p-value, an interval and
a caught warning the same way (``<0.001``, never ``0.000`` in one table and ``1.2e-05`` in
another).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

__all__ = ["format_ci", "format_p", "format_warnings"]


def _is_missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def format_p(p: Any, *, digits: int = 3) -> str:
    """A p-value as text: ``"0.023"``, ``"<0.001"`` below ``10**-digits``, ``""`` if missing.

    >>> format_p(0.0234), format_p(2e-6), format_p(float("nan"))
    ('0.023', '<0.001', '')
    """
    if _is_missing(p):
        return ""
    p = float(p)
    floor = 10.0**-digits
    return f"<{floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def format_ci(estimate: Any, low: Any, high: Any, *, digits: int = 2) -> str:
    """An estimate with its interval: ``"0.52 (0.31 to 0.73)"``; missing parts as ``"–"``.

    >>> format_ci(0.5234, 0.31, 0.7349)
    '0.52 (0.31 to 0.73)'
    """

    def one(v: Any) -> str:
        return "–" if _is_missing(v) else f"{float(v):.{digits}f}"

    if _is_missing(low) and _is_missing(high):
        return one(estimate)
    return f"{one(estimate)} ({one(low)} to {one(high)})"


def format_warnings(caught: Iterable[warnings.WarningMessage]) -> str:
    """Caught warnings as lines ``Category: message``, each distinct line once, in order.

    For notebooks and reports, which print warnings as text instead of letting them reach
    stderr: ``with warnings.catch_warnings(record=True) as caught: ...`` then
    ``print(format_warnings(caught))``.
    """
    lines = (f"{w.category.__name__}: {w.message}" for w in caught)
    return "\n".join(dict.fromkeys(lines))
