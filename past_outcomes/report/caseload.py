"""``build_caseload_report``: one row per client, unresolved flags first.

Each row gives the client's flags (safety and reliable deterioration, each with its recorded
action or "no action recorded"), the latest score of each questionnaire with its severity
band, the reliable change since intake, the date of the last measure, the days since, and
whether the client is overdue under the declared schedule (a measure every
``schedule_weeks`` weeks). Rows are sorted: unresolved flags first, then reliable
deterioration, then the rest by client id. A summary gives, per questionnaire, the share of
clients reliably improved (intake against latest) among those with both scores, with the
counts behind it and a case-mix caveat.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pandas as pd

from past_outcomes._checks import check_number
from past_outcomes.errors import ArgumentError
from past_outcomes.report.caveats import unverified_notes
from past_outcomes.report.client import RELIABLE_TEXT, _band
from past_outcomes.report.data import ReportData, fmt, load_report_data, when
from past_outcomes.report.flags import Flag, attach_actions, find_flags, read_actions
from past_outcomes.report.page import Report, inputs_of, provenance, render


def build_caseload_report(
    data: Any,
    *,
    schedule_weeks: float = 4,
    as_of: str | dt.date | None = None,
    actions: str | os.PathLike | None = None,
    subject: str = "subject",
    timepoint: str = "timepoint",
    instrument: Any = None,
    source: str = "auto",
    codebook: str | os.PathLike | None = None,
    confidence: float = 0.95,
) -> Report:
    """The caseload view as a self-contained HTML page.

    Parameters
    ----------
    data
        A DataFrame, a bundled data set name or the path of any file the import layer reads.
    schedule_weeks
        The declared measurement schedule: a client whose last measure is more than this many
        weeks before ``as_of`` is overdue.
    as_of
        The date the days since the last measure count to (``YYYY-MM-DD`` or a date;
        default today).
    actions
        The actions file (``date,flag,who,action``).
    subject, timepoint, instrument, source, codebook, confidence
        As in :func:`~past_outcomes.report.client.build_client_report`.

    Returns
    -------
    Report
        ``.html`` and ``.write(path, force=False)``.
    """
    weeks = check_number("schedule_weeks", schedule_weeks, low=0, low_open=True, high=520)
    day = _as_of(as_of)
    rd = load_report_data(
        data, subject=subject, timepoint=timepoint, instrument=instrument, source=source,
        codebook=codebook, confidence=confidence,
    )  # fmt: skip
    flags = attach_actions(find_flags(rd), read_actions(actions))
    rows = [_client_row(rd, c, flags, day, weeks) for c in rd.clients()]
    rows.sort(key=lambda r: (-r["n_open"], not r["deteriorated"], r["client"]))
    instruments = list(rd.instruments)
    context = {
        "rows": rows,
        "instruments": [rd.instruments[i].short_name for i in instruments],
        "open_safety": [f for f in flags if f.kind == "safety" and not f.resolved],
        "closed_safety": [f for f in flags if f.kind == "safety" and f.resolved],
        "summary": [_share(rd, i) for i in instruments],
        "n_clients": len(rows),
        "n_overdue": sum(1 for r in rows if r["overdue"]),
        "schedule_weeks": fmt(weeks),
        "as_of": day.isoformat(),
        "has_dates": rd.has_dates,
        "order_note": rd.order_note,
        "unverified": _unverified(rd),
        "notes": [n for m in rd.measures.values() for n in m.notes]
        + [
            f"{m.instrument.short_name}: reliable change not computed: {m.why}."
            for m in rd.measures.values()
            if m.why
        ]
        + list(rd.notes),
        "sd_notes": [
            f"{m.instrument.short_name}: r = {m.change.reliability:g}, SD = {fmt(m.sd, 2)} "
            f"({m.sd_source}); reliable if |change| > "
            f"{fmt(m.change.critical_value * m.change.s_diff, 2)} points"
            for m in rd.measures.values()
            if m.change is not None
        ],  # fmt: skip
        "provenance": provenance(rd, instruments),
    }
    title = f"Caseload: {len(rows)} clients"
    html = render("caseload.html.j2", title=title, body_class="wide", **context)
    return Report(html=html, kind="caseload", title=title, inputs=inputs_of(rd, actions))


def _unverified(rd: ReportData) -> list[str]:
    """What the table rests on that its spec marks unverified (a band is also marked in its
    cell), from the spec; the warning of ``score`` itself should the spec say nothing more."""
    said = unverified_notes(list(rd.instruments.values()))
    return said or list(rd.unverified)


def _as_of(as_of: Any) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise ArgumentError(
            f"as_of must be a date written YYYY-MM-DD; got {as_of!r}. Example: 2024-09-01"
        ) from None


def _client_row(
    rd: ReportData, client: str, flags: list[Flag], day: dt.date, weeks: float
) -> dict[str, Any]:
    mine = [f for f in flags if f.subject == client]
    rows = rd.client_rows(client)
    measured = rows[(rows[[f"{i}_n_answered" for i in rd.instruments]] > 0).any(axis=1).to_numpy()]
    row: dict[str, Any] = {
        "client": client,
        "flags": mine,
        "n_open": sum(1 for f in mine if not f.resolved),
        "deteriorated": any(f.kind == "deterioration" for f in mine),
        "cells": [_cell(rd, i, client) for i in rd.instruments],
        "n_measures": len(measured),
        "last": when(measured.iloc[-1], rd.has_dates) if len(measured) else "-",
        "days": None,
        "overdue": False,
    }
    if rd.has_dates and len(measured) and measured["date"].notna().any():
        last = measured["date"].dropna().max().date()
        days = (day - last).days
        row["days"] = days
        row["overdue"] = days > weeks * 7
        row["due"] = (
            f"overdue by {days - round(weeks * 7)} days"
            if row["overdue"]
            else f"due in {round(weeks * 7) - days} days"
            if days >= 0
            else "measured after the as-of date"
        )
    return row


def _cell(rd: ReportData, i: str, client: str) -> dict[str, Any]:
    """Latest score with its band and the reliable change since intake, for one client."""
    measure = rd.measures[i]
    given = rd.given(i, client)
    if given.empty:
        return {"score": "-", "band": None, "change": "not given", "label": None}
    scored = given[given[measure.column].notna()]
    latest = scored.iloc[-1] if len(scored) else None
    cell: dict[str, Any] = {
        "score": fmt(latest[measure.column]) if latest is not None else "not scorable",
        "band": _band(rd, i, latest) if latest is not None else None,
        "label": None,
    }
    if len(given) == 1:
        cell["change"] = "no follow-up yet"
    elif measure.change is None:
        cell["change"] = "no RCI (see notes)"
    else:
        r = measure.change.table.set_index("subject").loc[client]
        if pd.isna(r["reliable"]):
            cell["change"] = "not computable (item skipped)"
        else:
            cell["label"] = str(r["reliable"])
            cell["change"] = f"{RELIABLE_TEXT[cell['label']]} (RCI {r['rci']:+.2f})"
    return cell


def _share(rd: ReportData, i: str) -> dict[str, Any]:
    measure = rd.measures[i]
    out: dict[str, Any] = {"name": measure.instrument.short_name}
    if measure.change is None:
        out["text"] = f"not computed: {measure.why}"
        return out
    counts = measure.change.reliable_counts.set_index("reliable")
    denominator = int(counts["denominator"].iloc[0])
    improved = int(counts.loc["improved", "n"])
    worse = int(counts.loc["deteriorated", "n"])
    missing = int(counts.loc["missing", "n"]) if "missing" in counts.index else 0
    share = f"{improved / denominator:.0%}" if denominator else "-"
    out["text"] = (
        f"{improved} of {denominator} clients with an intake and a later score reliably "
        f"improved ({share}); {worse} reliably deteriorated; {missing} without both scores"
    )
    return out
