"""Dates from exports, in either order, decided from the data and never guessed.

``parse_dates`` turns a column of dates into ``datetime64[s]``, **keeping the time of day**
when the export gives one (Google Forms' ``Timestamp``, Qualtrics' ``RecordedDate``,
Microsoft Forms' ``Completion time``): two submissions on one day stay distinct and in order.
A date without a time is midnight. Accepted forms:

- values that already are dates or datetimes (Excel, SPSS, Stata cells);
- year first: ``2024-05-24``, ``2024/05/24``, with an optional time (``T10:15:00``,
  ``10:15``, ``10:15:00.250``, Google Forms' ``2024/05/24 10:15:00 AM GMT+1``);
- day and month first: ``24/05/2024``, ``24.05.24``, ``5/24/2024 10:15`` (Microsoft Forms),
  ``5/24/2024 9:02:11 PM``.

A time is ``H:MM`` or ``H:MM:SS`` (optional fraction of a second), optionally followed by
``AM``/``PM`` and by a zone (``Z``, ``UTC``, ``GMT+1``, ``+02:00``). The zone is **not
applied**: the time is kept as written (the respondent's wall-clock time), and the note says
so, since converting would move answers given near midnight to another day. A time part that
is none of these is an error (``not-a-date``), never dropped silently.

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

_YEAR_FIRST = re.compile(r"\A(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:[ T]|,\s*)(?P<time>.*))?\Z")
_DAY_OR_MONTH_FIRST = re.compile(
    r"\A(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:(?:[ T]|,\s*)(?P<time>.*))?\Z"
)
_TIME = re.compile(
    r"\A(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d{1,9})?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
    r"\s*(?P<zone>Z|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})?\Z"
)
_Parts = tuple[int, int, int, int, int, int]


def parse_dates(
    values: pd.Series, *, column: str, dayfirst: bool | None = None, where: str = ""
) -> tuple[pd.Series, str]:
    """``values`` as ``datetime64[s]`` (time of day kept) and a note on what was decided.

    Raises DataValidationError (reasons ``not-a-date``, ``ambiguous-date``) naming each row
    by its index label (the file line) and the column.
    """
    parts: dict[object, _dt.datetime | None] = {}
    bad: list[dict] = []
    day_month: dict[object, tuple[int, int, int, tuple[int, int, int]]] = {}
    zones: set[str] = set()
    for label, value in values.items():
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            parts[label] = None
            continue
        if isinstance(value, _dt.datetime | _dt.date | pd.Timestamp):
            parts[label] = _as_datetime(value)
            continue
        text = str(value).strip()
        m = _YEAR_FIRST.match(text) or _DAY_OR_MONTH_FIRST.match(text)
        clock = _clock(m["time"], zones) if m else None
        if m is None or clock is None:
            bad.append(_failure(label, column, value, "not-a-date"))
        elif len(m[1]) == 4:
            parts[label] = _make(
                label, (int(m[1]), int(m[2]), int(m[3])), clock, values, bad, column
            )
        else:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            day_month[label] = (int(m[1]), int(m[2]), year, clock)
    order, note = _decide_order(day_month, column, dayfirst, bad)
    for label, (a, b, year, clock) in day_month.items():
        ymd = (year, b, a) if order == "day" else (year, a, b)
        parts[label] = _make(label, ymd, clock, values, bad, column)
    if bad:
        raise DataValidationError(
            pd.DataFrame(bad),
            context=f"{where}dates in column {column!r} cannot be read",
            remedy=(
                "Remedy: write dates as YYYY-MM-DD (optionally with a time, HH:MM:SS), or fix "
                "the listed values; when the order of day and month is ambiguous, pass "
                "dayfirst=True (24/05/2024) or dayfirst=False (05/24/2024)."
            ),
        )
    out = [parts.get(label) for label in values.index]
    series = pd.Series(
        pd.to_datetime(pd.Series(out, dtype="object")).to_numpy(), index=values.index
    )
    if zones:
        shown = ", ".join(sorted(zones)[:3])
        note = (note + " " if note else "") + (
            f"Times in {column!r} carry a time zone ({shown}); they are kept as written "
            "(wall-clock time), not converted."
        )
    return series.astype("datetime64[s]"), note


def _as_datetime(value: _dt.date | _dt.datetime | pd.Timestamp) -> _dt.datetime:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    return _dt.datetime(value.year, value.month, value.day)


def _clock(text: str | None, zones: set[str]) -> tuple[int, int, int] | None:
    """(hour, minute, second) of a time part; (0, 0, 0) without one; None when unreadable."""
    if text is None or not text.strip():
        return (0, 0, 0)
    m = _TIME.match(text.strip())
    if m is None:
        return None
    hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"][0] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    if m["zone"]:
        zones.add(m["zone"].replace(" ", ""))
    return (hour, minute, second)


def _make(label, ymd, clock, values, bad, column) -> _dt.datetime | None:
    try:
        return _dt.datetime(*ymd, *clock)
    except ValueError:
        bad.append(_failure(label, column, values[label], "not-a-date"))
        return None


def _decide_order(
    day_month: dict, column: str, dayfirst: bool | None, bad: list[dict]
) -> tuple[str, str]:
    if not day_month:
        return "day", ""
    if dayfirst is not None:
        order = "day" if dayfirst else "month"
        return order, f"Dates in {column!r} read {order} first (dayfirst={dayfirst})."
    first_big = [k for k, (a, _b, _y, _c) in day_month.items() if a > 12]
    second_big = [k for k, (_a, b, _y, _c) in day_month.items() if b > 12]
    if first_big and second_big:
        for label in second_big if len(second_big) <= len(first_big) else first_big:
            bad.append(_failure(label, column, _shown(day_month[label]), "ambiguous-date"))
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
    if all(a == b for a, b, _y, _c in day_month.values()):
        return "day", ""
    for label in list(day_month)[:1]:
        bad.append(_failure(label, column, _shown(day_month[label]), "ambiguous-date"))
    return "day", ""


def _shown(parts: tuple) -> str:
    return "/".join(map(str, parts[:3]))


def _failure(label: object, column: str, value: object, reason: str) -> dict:
    return {"row": label, "column": column, "value": value, "reason": reason}
