"""Dates from exports, in either order, decided from the data and never guessed.

``parse_dates`` turns a column of dates into ``datetime64[s]`` (the time of day, when present,
is dropped: the canonical ``date`` is a calendar day). Accepted forms:

- values that already are dates (Excel, SPSS, Stata cells);
- year first: ``2024-05-24``, ``2024/05/24``, with an optional time (``T10:15:00``, Google
  Forms' ``2024/05/24 10:15:00 AM GMT+1``);
- day and month first: ``24/05/2024``, ``24.05.24``, ``5/24/2024 10:15`` (Microsoft Forms).

Which of day and month comes first is read from the data: a first field above 12 means
day first (``24/05/2024``), a second field above 12 means month first (``05/24/2024``).
When the column holds both kinds, or no value decides (every day is 12 or less, e.g.
``03/04/2024``), the order is not guessed: the error asks for ``dayfirst=True`` or ``False``.
Unreadable values are listed with their lines (reason ``not-a-date``).
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from past_outcomes.errors import DataValidationError

__all__ = ["parse_dates"]

_YEAR_FIRST = re.compile(r"\A(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?\Z")
_DAY_OR_MONTH_FIRST = re.compile(r"\A(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ ,T].*)?\Z")


def parse_dates(
    values: pd.Series, *, column: str, dayfirst: bool | None = None, where: str = ""
) -> tuple[pd.Series, str]:
    """``values`` as ``datetime64[s]`` days and a note on the order used.

    Raises DataValidationError (reasons ``not-a-date``, ``ambiguous-date``) naming each row
    by its index label (the file line) and the column.
    """
    parts: dict[object, tuple[int, int, int] | _dt.date | None] = {}
    bad: list[dict] = []
    day_month: dict[object, tuple[int, int, int]] = {}
    for label, value in values.items():
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            parts[label] = None
            continue
        if isinstance(value, _dt.datetime | _dt.date | pd.Timestamp):
            parts[label] = value.date() if isinstance(value, _dt.datetime) else value
            continue
        text = str(value).strip()
        if m := _YEAR_FIRST.match(text):
            parts[label] = (int(m[1]), int(m[2]), int(m[3]))
        elif m := _DAY_OR_MONTH_FIRST.match(text):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            day_month[label] = (int(m[1]), int(m[2]), year)
        else:
            bad.append(_failure(label, column, value, "not-a-date"))
    order, note = _decide_order(day_month, column, dayfirst, bad)
    for label, (a, b, year) in day_month.items():
        parts[label] = (year, b, a) if order == "day" else (year, a, b)
    out: list[object] = []
    for label in values.index:
        p = parts.get(label)
        if p is None or isinstance(p, _dt.date):
            out.append(p)
            continue
        try:
            out.append(_dt.date(*p))
        except ValueError:
            bad.append(_failure(label, column, values[label], "not-a-date"))
            out.append(None)
    if bad:
        raise DataValidationError(
            pd.DataFrame(bad),
            context=f"{where}dates in column {column!r} cannot be read",
            remedy=(
                "Remedy: write dates as YYYY-MM-DD (or fix the listed values); when the order "
                "of day and month is ambiguous, pass dayfirst=True (24/05/2024) or "
                "dayfirst=False (05/24/2024)."
            ),
        )
    series = pd.to_datetime(pd.Series(out, dtype="object")).set_axis(values.index)
    return series.astype("datetime64[s]"), note


def _decide_order(
    day_month: dict, column: str, dayfirst: bool | None, bad: list[dict]
) -> tuple[str, str]:
    if not day_month:
        return "day", ""
    if dayfirst is not None:
        order = "day" if dayfirst else "month"
        return order, f"Dates in {column!r} read {order} first (dayfirst={dayfirst})."
    first_big = [k for k, (a, _b, _y) in day_month.items() if a > 12]
    second_big = [k for k, (_a, b, _y) in day_month.items() if b > 12]
    if first_big and second_big:
        for label in second_big if len(second_big) <= len(first_big) else first_big:
            bad.append(
                _failure(label, column, "/".join(map(str, day_month[label])), "ambiguous-date")
            )
        return "day", ""
    if first_big:
        return (
            "day",
            f"Dates in {column!r} read day first (a first field above 12, e.g. line {first_big[0]}).",
        )
    if second_big:
        return (
            "month",
            f"Dates in {column!r} read month first (a second field above 12, e.g. line {second_big[0]}).",
        )
    if all(a == b for a, b, _y in day_month.values()):
        return "day", ""
    for label in list(day_month)[:1]:
        bad.append(_failure(label, column, "/".join(map(str, day_month[label])), "ambiguous-date"))
    return "day", ""


def _failure(label: object, column: str, value: object, reason: str) -> dict:
    return {"row": label, "column": column, "value": value, "reason": reason}
