"""Flags that must not be missed, and the local file recording what a practitioner did.

Flags
-----
- **Safety** (``kind="safety"``): any answer above 0 to PHQ-9 item 9 (and any other
  ``item_flag`` classification a spec declares), an administration where that item was left
  unanswered (a skipped item 9 is not a "no"), and the C-SSRS screener's
  ``cssrs_screen_assess_now`` flag (true, or unknown because an answer it rests on is
  missing). A safety flag means *assess now*; it is not a risk score.
- **Reliable deterioration** (``kind="deterioration"``): the latest score is reliably worse
  than intake (the Jacobson-Truax RCI of :mod:`past_outcomes.report.data`).

Each flag has a stable id, ``<client>:<column>:<date>`` (or ``...:admin<k>`` without dates),
e.g. ``C04:phq9_item9_flag:2024-01-25`` or ``C09:phq9_total-deterioration:2024-08-12``; a new
latest score gives a deterioration flag a new id, so it is raised again.

The actions file
----------------
A CSV file with the header ``date,flag,who,action`` (one row per recorded action: the date
it was done, the flag id, who did it -- initials or a staff pseudonym, never a client's
name -- and what was done, e.g. "safety plan done"). It is append-only: ``append_action``
(``past-outcomes flags resolve``) adds a row and rewrites the file atomically with every
earlier row unchanged; nothing is ever deleted. It may also be edited by hand. A flag with at
least one recorded action is shown with its actions; a flag without one is unresolved and
stays at the top of every report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from past_outcomes.errors import ArgumentError, DataValidationError, InputFileError
from past_outcomes.report.data import ReportData, fmt, when

#: Columns of the actions file, in order.
ACTIONS_COLUMNS = ("date", "flag", "who", "action")
#: Classifications raised as safety flags besides every ``item_flag`` of a spec.
SAFETY_CLASSIFICATIONS = ("phq9_item9_flag", "cssrs_screen_assess_now")
#: The clinical-support checklist shown with reliable deterioration (Barkham 2023; de Jong
#: 2021; items as in notebook 04).
CHECKLIST = (
    "Alliance: has the relationship with the therapist or guide changed? Ask directly.",
    "Motivation and goals: does the client still want this treatment and these goals?",
    "Life events: loss, relationship change, work, health, legal problems since intake?",
    "Integration difficulties: unresolved or distressing material from a dosing session?",
    "Medication and substances: changes, interactions, discontinuation, other drug use?",
    "Safety: review PHQ-9 item 9 and ask about suicidal thoughts whatever the answer.",
)
FLAG_ID = re.compile(r"^[^:\s][^:]*:[a-z][a-z0-9_-]*:(\d{4}-\d{2}-\d{2}|admin\d+)$")


@dataclass(frozen=True)
class Flag:
    """One flag of one client, with the actions recorded for it (oldest first)."""

    id: str
    subject: str
    kind: str  # "safety" or "deterioration"
    instrument: str  # short name
    when: str
    detail: str  # the answer, or the scores behind the deterioration
    label: str
    actions: tuple[dict[str, str], ...] = field(default_factory=tuple)

    @property
    def resolved(self) -> bool:
        return bool(self.actions)


def find_flags(rd: ReportData, client: str | None = None) -> list[Flag]:
    """Every safety and deterioration flag (of ``client``, or of every client), unresolved
    first within each kind, safety before deterioration."""
    flags = _safety_flags(rd, client) + _deterioration_flags(rd, client)
    return flags


def _stamp(row: pd.Series, has_dates: bool) -> str:
    if has_dates and pd.notna(row["date"]):
        return f"{row['date']:%Y-%m-%d}"
    return f"admin{int(row['administration'])}"


def _safety_columns(rd: ReportData) -> list[tuple[str, str, int | None]]:
    """(instrument id, classification column, item number or None) of every safety flag."""
    out = []
    for i, spec in rd.instruments.items():
        for column, cls in spec.classifications.items():
            if cls.type == "item_flag" or column in SAFETY_CLASSIFICATIONS:
                out.append((i, column, cls.item if cls.type == "item_flag" else None))
    return out


def _safety_flags(rd: ReportData, client: str | None) -> list[Flag]:
    flags = []
    for i, column, item in _safety_columns(rd):
        spec = rd.instruments[i]
        cls = spec.classifications[column]
        rows = rd.given(i, client)
        raised = rows[column].astype("boolean")
        for idx in rows.index[raised.fillna(True).to_numpy(dtype=bool)]:
            row = rows.loc[idx]
            unknown = pd.isna(raised.loc[idx])
            if item is not None:
                answer = row[spec.item(item).column]
                if pd.isna(answer):
                    detail = f"item {item} NOT ANSWERED: a skipped item is not a no; ask directly"
                else:
                    words = {a.value: a.label for a in spec.answer_labels}.get(float(answer))
                    detail = f"item {item} answered {fmt(answer)}" + (
                        f" ({words.lower()})" if words else ""
                    )
            else:
                detail = (
                    "cannot be ruled out: an answer it rests on is missing; ask directly"
                    if unknown
                    else "a yes to question 4 or 5, or suicidal behaviour in the past 3 months"
                )
            flags.append(
                Flag(
                    id=f"{row['subject']}:{column}:{_stamp(row, rd.has_dates)}",
                    subject=str(row["subject"]),
                    kind="safety",
                    instrument=spec.short_name,
                    when=when(row, rd.has_dates),
                    detail=detail,
                    label=cls.label,
                )
            )
    return flags


def _deterioration_flags(rd: ReportData, client: str | None) -> list[Flag]:
    flags = []
    for i, measure in rd.measures.items():
        if measure.change is None:
            continue
        table = measure.change.table
        if client is not None:
            table = table[table["subject"] == client]
        bad = table[table["reliable"].fillna("") == "deteriorated"]
        for _, r in bad.iterrows():
            given = rd.given(i, r["subject"])
            latest = given.iloc[int(r["post_timepoint"]) - 1]
            flags.append(
                Flag(
                    id=f"{r['subject']}:{measure.column}-deterioration:"
                    f"{_stamp(latest, rd.has_dates)}",
                    subject=str(r["subject"]),
                    kind="deterioration",
                    instrument=measure.instrument.short_name,
                    when=when(latest, rd.has_dates),
                    detail=f"{fmt(r['pre'])} at intake -> {fmt(r['post'])} (RCI "
                    f"{r['rci']:+.2f}; reliable if |RCI| > {measure.change.critical_value:.2f})",
                    label=f"{measure.instrument.short_name} reliably deteriorated since intake",
                )
            )
    return flags


def attach_actions(flags: list[Flag], actions: pd.DataFrame) -> list[Flag]:
    """``flags`` with their recorded actions; unresolved first (stable otherwise)."""
    by_flag: dict[str, list[dict[str, str]]] = {}
    for _, row in actions.iterrows():
        by_flag.setdefault(str(row["flag"]), []).append({c: str(row[c]) for c in ACTIONS_COLUMNS})
    out = [Flag(**{**f.__dict__, "actions": tuple(by_flag.get(f.id, ()))}) for f in flags]
    return sorted(out, key=lambda f: (f.resolved, f.kind != "safety"))


# --------------------------------------------------------------------------------------------
# the actions file


def read_actions(path: str | os.PathLike | None) -> pd.DataFrame:
    """The actions file as a table (``date, flag, who, action``; empty when ``path`` is None).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, or its header is not ``date,flag,who,action``.
    DataValidationError
        A row lacks a date (``YYYY-MM-DD``), a flag id, who or the action.
    """
    if path is None:
        return pd.DataFrame(columns=list(ACTIONS_COLUMNS))
    from past_outcomes._io import read_csv_safely

    table = read_csv_safely(path)
    if tuple(table.columns) != ACTIONS_COLUMNS:
        raise InputFileError(
            f"the actions file {str(path)!r} must have the header {','.join(ACTIONS_COLUMNS)}; "
            f"got {','.join(map(str, table.columns))}. Start a new file with `past-outcomes "
            "flags resolve`, or fix the header."
        )
    _check_rows(table, str(path))
    return table.fillna("")


def _check_rows(table: pd.DataFrame, name: str) -> None:
    rows = []
    for line, r in table.iterrows():
        for column in ACTIONS_COLUMNS:
            value = r[column]
            if pd.isna(value) or not str(value).strip():
                rows.append((line, r["flag"], column, value, "missing-value"))
        if pd.notna(r["date"]) and pd.isna(
            pd.to_datetime(r["date"], format="%Y-%m-%d", errors="coerce")
        ):
            rows.append((line, r["flag"], "date", r["date"], "not-a-date"))
    if rows:
        failures = pd.DataFrame(
            [
                {"row": a, "subject": None, "timepoint": None, "column": c, "value": v,
                 "reason": why, "flag": f}
                for a, f, c, v, why in rows
            ]
        )  # fmt: skip
        raise DataValidationError(
            failures,
            context=f"{name} (the actions file; rows are file lines)",
            remedy="Every row needs a date (YYYY-MM-DD), the flag id, who acted and what was done.",
        )


def append_action(
    path: str | os.PathLike, *, flag: str, who: str, action: str, date: str | None = None
) -> dict[str, str]:
    """Add one action to the actions file (created with its header if absent); return the row.

    Every earlier row is kept byte for byte: the file is rewritten atomically as its old
    content plus the new line, so an interruption leaves the old file intact.

    Raises
    ------
    ArgumentError
        ``flag`` is not a flag id, ``who`` or ``action`` is empty or spans lines, ``date`` is
        not ``YYYY-MM-DD``.
    InputFileError, DataValidationError
        The existing file is not an actions file (see :func:`read_actions`).
    """
    from past_outcomes._io import atomic_write

    row = _checked_row(flag=flag, who=who, action=action, date=date)
    target = Path(path)
    old = b""
    if target.exists():
        read_actions(target)
        old = target.read_bytes()
        if old and not old.endswith(b"\n"):
            old += b"\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not old:
        writer.writerow(ACTIONS_COLUMNS)
    writer.writerow([row[c] for c in ACTIONS_COLUMNS])
    with atomic_write(target, mode="wb") as fh:
        fh.write(old + buffer.getvalue().encode("utf-8"))
    return row


def _checked_row(*, flag: str, who: str, action: str, date: str | None) -> dict[str, str]:
    if not isinstance(flag, str) or not FLAG_ID.fullmatch(flag.strip()):
        raise ArgumentError(
            "the flag must be a flag id as printed in a report, <client>:<column>:<date>; got "
            f"{flag!r}. Example: C04:phq9_item9_flag:2024-01-25"
        )
    for name, value in (("who", who), ("action", action)):
        if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
            raise ArgumentError(
                f"{name} must be one line of text; got {value!r}. Example: --who AB "
                '--action "safety plan done, GP informed"'
            )
    if date is None:
        date = dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(date)
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", date))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ArgumentError(f"date must be YYYY-MM-DD; got {date!r}. Example: 2024-03-01")
    return {"date": date, "flag": flag.strip(), "who": who.strip(), "action": action.strip()}
