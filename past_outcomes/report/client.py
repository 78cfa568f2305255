"""``build_client_report``: one client's progress, for the clinician or for the client.

The clinician's page reads top to bottom in the order of the practitioner reference
(shared/reference/practitioner.md, "What a best-in-class practitioner view does"):

1. **safety first**: a banner that cannot be dismissed listing every safety flag with the
   answer and its date, "assess now" (not a risk score; PHQ-9 item 9 misses many people at
   risk), and the actions recorded in the actions file; an unresolved flag comes first;
2. **reliable deterioration** with the clinical-support checklist;
3. **one chart per questionnaire** over time;
4. **change read honestly**: intake against the latest scorable score, the reliable-change
   label and the Jacobson-Truax category with every number behind them (RCI, S_diff, the
   points needed, reliability and its source, the SD and its source, the cutoff); a move
   between severity bands is reported as such and never called change; a client with one
   administration gets "no follow-up yet";
5. **drill-down**: domains and clusters (or items) at the first, previous and latest
   administration.

``audience="client"`` gives the plain-language version: the client's own progress in words
and one chart per questionnaire; no safety-item details, no flags, no RCI or other jargon.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from past_outcomes._checks import check_option
from past_outcomes.errors import ArgumentError
from past_outcomes.report.caveats import (
    is_unverified,
    plain_sentence,
    unverified_notes,
    unverified_sentence,
    unverified_shown,
)
from past_outcomes.report.charts import direction_words, plot_measure
from past_outcomes.report.data import ReportData, fmt, load_report_data, when
from past_outcomes.report.flags import (
    CHECKLIST,
    _safety_columns,
    attach_actions,
    find_flags,
    read_actions,
)
from past_outcomes.report.page import Report, inputs_of, provenance, render

AUDIENCES = ("clinician", "client")
RELIABLE_TEXT = {
    "improved": "reliably improved",
    "unchanged": "no reliable change",
    "deteriorated": "reliably deteriorated",
}


def build_client_report(
    data: Any,
    *,
    client: str,
    audience: str = "clinician",
    actions: str | os.PathLike | None = None,
    subject: str = "subject",
    timepoint: str = "timepoint",
    instrument: Any = None,
    source: str = "auto",
    codebook: str | os.PathLike | None = None,
    confidence: float = 0.95,
) -> Report:
    """One client's progress report as a self-contained HTML page.

    Parameters
    ----------
    data
        A DataFrame, a bundled data set name (``"practice_rom"``) or the path of any file
        the import layer reads (see :mod:`past_outcomes.report.data`).
    client
        The client's pseudonymous id (a value of the subject column).
    audience
        ``"clinician"`` (default) or ``"client"`` (plain language, no safety-item details,
        no reliable-change jargon).
    actions
        The actions file (``date,flag,who,action``) recording what was done about each flag.
    subject, timepoint
        The data's client and visit columns.
    instrument
        Instrument id(s) or spec path(s); default every bundled instrument whose item
        columns are present.
    source, codebook
        As in ``read_responses`` (for a file).
    confidence
        Confidence level of the reliable-change test (critical |RCI| 1.96 at 0.95).

    Returns
    -------
    Report
        ``.html`` and ``.write(path, force=False)``.

    Raises
    ------
    ArgumentError
        ``audience`` is unknown or ``client`` is not in the data.
    """
    check_option("audience", audience, AUDIENCES)
    rd = load_report_data(
        data, subject=subject, timepoint=timepoint, instrument=instrument, source=source,
        codebook=codebook, confidence=confidence,
    )  # fmt: skip
    client = _check_client(rd, client)
    rows = rd.client_rows(client)
    given = [i for i in rd.instruments if (rows[f"{i}_n_answered"] > 0).any()]
    measures = [_measure_view(rd, i, client, audience) for i in given]
    context: dict[str, Any] = {
        "client": client,
        "audience": audience,
        "measures": measures,
        "n_administrations": int((rows[[f"{i}_n_answered" for i in given]] > 0).any(axis=1).sum())
        if given
        else 0,
        "first": when(rows.iloc[0], rd.has_dates),
        "last": when(rows.iloc[-1], rd.has_dates),
        "order_note": rd.order_note,
        "provenance": provenance(rd, given),
    }
    if audience == "clinician":
        flags = attach_actions(find_flags(rd, client), read_actions(actions))
        context.update(
            safety=[f for f in flags if f.kind == "safety"],
            deterioration=[f for f in flags if f.kind == "deterioration"],
            checklist=CHECKLIST,
            screened=[
                rd.instruments[i].short_name
                for i in dict.fromkeys(i for i, _c, _n in _safety_columns(rd))
                if i in given
            ],
            notes=_notes(rd, given, client),
        )
        title = f"Progress report, client {client}"
        html = render("client.html.j2", title=title, **context)
    else:
        title = "Your progress"
        html = render("client_public.html.j2", title=title, **context)
    return Report(html=html, kind=f"client ({audience})", title=title,
                  inputs=inputs_of(rd, actions))  # fmt: skip


def _check_client(rd: ReportData, client: Any) -> str:
    known = rd.clients()
    if not isinstance(client, str) or client.strip() not in known:
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise ArgumentError(
            f"client must be a client id of the data; got {client!r}. The clients are: {shown}."
        )
    return client.strip()


def _notes(rd: ReportData, given: list[str], client: str) -> list[str]:
    notes = [f"Administrations are numbered {rd.order_note}."]
    if "@" in client or " " in client:
        notes.append(
            "The client id looks like a name or an e-mail address: reports should carry "
            "pseudonymous ids only (see pseudonymize in the README)."
        )
    notes += list(rd.notes)
    # an unverified rule not shown beside a chart (those are captioned there), from the spec
    shown = {r.name for i in given for r in unverified_shown(rd.instruments[i], _column(rd, i))}
    return notes + unverified_notes([rd.instruments[i] for i in given], skip=shown)


def _column(rd: ReportData, i: str) -> str:
    return rd.instruments[i].primary_scale.column


def _band(rd: ReportData, i: str, row: pd.Series) -> str | None:
    spec = rd.instruments[i]
    bands = spec.bands(spec.primary_scale.column)
    if not bands or pd.isna(row.get(bands[0].column)):
        return None
    return str(row[bands[0].column]) + (" (not verified)" if is_unverified(bands[0]) else "")


def _measure_view(rd: ReportData, i: str, client: str, audience: str) -> dict[str, Any]:
    """What the page shows for one questionnaire: chart, intake, latest, change, drill-down."""
    spec, measure = rd.instruments[i], rd.measures[i]
    column = measure.column
    given = rd.given(i, client)
    scored = given[given[column].notna()]
    view: dict[str, Any] = {
        "name": spec.short_name,
        "full_name": spec.name,
        "label": spec.primary_scale.label,
        "direction": direction_words(spec.direction(column)),
        "range": f"{fmt(spec.primary_scale.range[0])}-{fmt(spec.primary_scale.range[1])}",
        "chart": plot_measure(rd, client, i, audience=audience),
        "n_given": len(given),
        "cutoffs": [
            (f"{c.rule_text} ({c.label})" if c.rule_text not in c.label else c.label)
            + (" (not verified)" if is_unverified(c) else "")
            for c in spec.cutoffs(column)
        ],  # fmt: skip
        "has_bands": bool(spec.bands(column)),
        "unverified": [
            plain_sentence(spec, r) if audience == "client" else unverified_sentence(spec, r)
            for r in unverified_shown(spec, column)
        ],  # fmt: skip
    }
    intake = given.iloc[0]
    view["intake"] = {"value": fmt(intake[column]), "when": when(intake, rd.has_dates),
                      "band": _band(rd, i, intake)}  # fmt: skip
    if len(given) == 1:
        view["status"] = "no-followup"
        return view
    if pd.isna(intake[column]):
        view["status"] = "intake-unscorable"
        return view
    later = scored[scored.index != intake.name]
    if later.empty:
        view["status"] = "no-scorable-followup"
        return view
    latest = later.iloc[-1]
    view["latest"] = {"value": fmt(latest[column]), "when": when(latest, rd.has_dates),
                      "band": _band(rd, i, latest)}  # fmt: skip
    if given.index[-1] != latest.name:
        view["latest_note"] = (
            f"the latest form ({when(given.iloc[-1], rd.has_dates)}) could not be scored "
            "(an item skipped); the latest scorable one is used"
        )
    view["change"] = fmt(float(latest[column]) - float(intake[column]))
    view["band_moved"] = (
        view["intake"]["band"] is not None and view["intake"]["band"] != view["latest"]["band"]
    )
    view["status"] = "compared"
    view.update(_reliable(measure, client))
    if audience == "clinician":
        view["drill"] = _drill_down(rd, i, given)
    return view


def _reliable(measure: Any, client: str) -> dict[str, Any]:
    """The reliable-change label with every number behind it, or why there is none."""
    spec = measure.instrument
    crit = spec.change.get(measure.column)
    out: dict[str, Any] = {
        "mcid": f"{fmt(crit.mcid.value)} ({crit.mcid.source})"
        if crit is not None and crit.mcid is not None
        else None
    }
    if measure.change is None:
        out["reliable"] = None
        out["why"] = measure.why
        return out
    res = measure.change
    row = res.table.set_index("subject").loc[client]
    label = row["reliable"]
    out.update(
        reliable=None if pd.isna(label) else str(label),
        reliable_text=RELIABLE_TEXT.get(str(label), "not computable"),
        rci=f"{row['rci']:+.2f}" if pd.notna(row["rci"]) else "-",
        critical=f"{res.critical_value:.2f}",
        confidence=f"{res.confidence:.0%}",
        points=fmt(res.critical_value * res.s_diff, 2),
        s_diff=fmt(res.s_diff, 2),
        reliability=f"{res.reliability:g}",
        reliability_source=crit.reliability.source if crit and crit.reliability else "",
        reliability_citation=res.reliability_source,
        sd=fmt(measure.sd, 2),
        sd_source=measure.sd_source,
        method=res.method_name,
    )
    if "category" in res.table.columns and res.cutoff is not None:
        category = row["category"]
        out["category"] = None if pd.isna(category) else str(category)
        out["jt_cutoff"] = f"{res.cutoff_type} = {res.cutoff:.2f}"
        out["jt_source"] = res.clinical_source or ""
    else:
        out["category"] = None
        out["jt_cutoff"] = None
    return out


def _drill_down(rd: ReportData, i: str, given: pd.DataFrame) -> dict[str, Any]:
    """Domains (or items) at the first, previous and latest administration."""
    spec = rd.instruments[i]
    primary = spec.primary_scale.column
    if len(spec.scales) > 1:
        columns = [c for c in spec.scales if c != primary] + [primary]
        labels = [spec.scales[c].label for c in columns]
        kind = "domains and clusters"
    else:
        columns = [it.column for it in spec.items] + [primary]
        labels = [f"{it.n}. {it.label}" for it in spec.items] + [spec.primary_scale.label]
        kind = "items"
    picks = [("first", given.iloc[0])]
    if len(given) > 2:
        picks.append(("previous", given.iloc[-2]))
    if len(given) > 1:
        picks.append(("latest", given.iloc[-1]))
    head = [f"{name}: {when(r, rd.has_dates)}" for name, r in picks]
    body = []
    for column, label in zip(columns, labels, strict=True):
        values = [pd.to_numeric(pd.Series([r[column]]), errors="coerce").iloc[0] for _, r in picks]
        body.append({"label": label, "values": [fmt(v, 2) for v in values]})
    return {"kind": kind, "head": head, "rows": body}
