"""REDCap exports: raw and label, classic and longitudinal, repeating instruments.

What a REDCap CSV holds (../shared/reference/practitioner.md, "REDCap"; REDCap's export
layouts as documented by the REDCapR, redcapAPI and PyCap projects):

- the record id in the first column (usually ``record_id``; label header ``Record ID``);
- longitudinal projects: one row per record and event, ``redcap_event_name`` (unique names
  end in the arm, ``baseline_arm_1``; label exports write ``Baseline (Arm 1: Treatment)``);
- repeating instruments and events: ``redcap_repeat_instrument`` and
  ``redcap_repeat_instance``, one extra row per instance;
- checkbox fields: one column per option, ``<field>___<code>``, holding 0/1 (raw) or
  ``Unchecked``/``Checked`` (label export);
- ``<form>_complete``: 0 Incomplete, 1 Unverified, 2 Complete (label header ``Complete?``,
  repeated for every form).

What the adapter does:

- ``subject`` defaults to the record id column;
- ``timepoint`` defaults to the event without its arm suffix; a repeated row's timepoint is
  ``<event or repeating instrument>_<instance>`` (``weekly_phq9_3``), so that every row of a
  record has its own timepoint;
- ``group`` defaults to the arm when the project has more than one;
- label headers of the system columns are renamed to their raw names; a data dictionary
  passed as ``codebook=`` renames the other label headers (field label -> field name, unique
  labels only) and decodes answer labels of every radio, dropdown and checkbox field;
- checkbox cells ``Checked``/``Unchecked`` become 1/0;
- checkbox columns of a label export are headed ``<Field Label> (choice=<choice label>)``
  (the form REDCap's generated R script gives ``label(data$field___code)``, e.g. a public
  ``*_R_*.r`` export script: ``"... (Check all that apply)  (choice=From my supervisor)"``);
  with the data dictionary as ``codebook=`` they are renamed to ``<field>___<code>``, without
  it the notes say that the dictionary is needed to name them;
- ``<form>_complete`` labels become 0/1/2. **Decision: answers on a form left Incomplete (0)
  or Unverified (1) are kept and reported, not set aside.** An answer typed into a form that
  was not marked complete is still the answer given (REDCap saves each field as entered; the
  status is a workflow flag, and "Unverified" usually means only that nobody has checked it
  yet), and setting such rows aside would silently drop real data from small samples; items
  left empty are missing and the scoring's own rules (proration or no score) deal with them.
  The reader lists every such row in the notes by line, subject, timepoint, form and status
  (``SourceTable.statuses``), never silently; name the status column in ``keep=`` to carry it
  into the table and filter on it yourself. A row with no item answer at all is set aside by
  the reader (reason ``no-items``), whatever its status.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from past_outcomes.sources.codebook import Codebook, normalize_label
from past_outcomes.sources.table import SourceTable

__all__ = ["LABEL_HEADERS", "NUMBERED_HEADERS", "looks_like_redcap", "prepare_redcap"]

#: Label headers of REDCap's system columns -> raw names.
LABEL_HEADERS = {
    "Record ID": "record_id",
    "Event Name": "redcap_event_name",
    "Repeat Instrument": "redcap_repeat_instrument",
    "Repeat Instance": "redcap_repeat_instance",
    "Data Access Group": "redcap_data_access_group",
    "Survey Identifier": "redcap_survey_identifier",
}
#: Headers a label export repeats (one per form).
NUMBERED_HEADERS = frozenset({"Complete?"})
_SYSTEM = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}
_ARM_RAW = re.compile(r"\A(?P<event>.+)_arm_(?P<arm>\d+)\Z")
_ARM_LABEL = re.compile(r"\A(?P<event>.+?)\s*\((?P<arm>Arm \d+[^)]*)\)\Z")
_COMPLETE = {"incomplete": 0, "unverified": 1, "complete": 2}
_CHECKBOX = {"checked": 1, "unchecked": 0}
_STATUS_WORD = {0: "Incomplete", 1: "Unverified"}
_CHOICE_HEADER = re.compile(r"\(choice=.*\)\s*\Z")


def looks_like_redcap(columns: list[str]) -> str | None:
    """Why ``columns`` look like a REDCap export, or None."""
    system = [c for c in columns if c in _SYSTEM]
    if system:
        return f"REDCap column {system[0]!r}"
    labels = [c for c in columns[1:] if c in LABEL_HEADERS or c in NUMBERED_HEADERS]
    if (
        columns
        and columns[0] in ("record_id", "Record ID")
        and (labels or any(c.endswith("_complete") for c in columns))
    ):
        return f"first column {columns[0]!r} with {'label headers' if labels else 'form status columns'}"
    return None


def prepare_redcap(table: SourceTable, codebook: Codebook) -> SourceTable:
    """Rename label headers, decode status and checkbox labels, derive the identifiers."""
    frame = table.frame.copy()
    notes = list(table.notes)
    renamed = _rename_headers(frame, codebook, notes)
    frame = frame.rename(columns=renamed)
    ids = {"subject": str(frame.columns[0])}
    _decode_checkboxes(frame, notes)
    statuses = _decode_complete(frame)
    event = _split_arm(frame, ids, notes)
    _timepoints(frame, event, ids, notes)
    return dataclasses.replace(
        table, frame=frame, source="redcap", ids=ids, notes=notes, statuses=statuses
    )


def _rename_headers(frame: pd.DataFrame, codebook: Codebook, notes: list[str]) -> dict:
    renamed: dict[str, str] = {}
    for col in frame.columns:
        if col in LABEL_HEADERS:
            renamed[col] = LABEL_HEADERS[col]
        elif normalize_label(str(col)) in codebook.headers:
            renamed[col] = codebook.headers[normalize_label(str(col))]
    complete = [c for c in frame.columns if str(c).split(" (")[0] in NUMBERED_HEADERS]
    for k, col in enumerate(complete, start=1):
        renamed[col] = f"form_{k}_complete"
    n_fields = len(renamed) - len(complete) - sum(c in LABEL_HEADERS for c in renamed)
    choices = [c for c in frame.columns if c not in renamed and _CHOICE_HEADER.search(str(c))]
    if choices:
        notes.append(
            f"{len(choices)} checkbox column(s) of a label export ('... (choice=...)', e.g. "
            f"{str(choices[0])!r}) keep their label header: pass the data dictionary as "
            "codebook= to name them <field>___<code>."
        )
    if renamed:
        notes.append(
            "REDCap label headers renamed: system columns to their raw names"
            + (f", {n_fields} field label(s) to field names (data dictionary)" if n_fields else "")
            + (f", {len(complete)} 'Complete?' column(s) to form_<k>_complete" if complete else "")
            + "."
        )
    return renamed


def _decode_checkboxes(frame: pd.DataFrame, notes: list[str]) -> None:
    boxes = [c for c in frame.columns if "___" in str(c)]
    decoded = 0
    for col in boxes:
        values = frame[col]
        text = values.dropna().astype(str).str.strip().str.casefold()
        if len(text) and text.isin(list(_CHECKBOX)).all():
            frame[col] = values.map(
                lambda v: _CHECKBOX[v.strip().casefold()] if isinstance(v, str) else None
            )
            decoded += 1
    if boxes:
        notes.append(
            f"{len(boxes)} checkbox column(s) (<field>___<code>)"
            + (f", {decoded} decoded from Checked/Unchecked to 1/0" if decoded else "")
            + "."
        )


def _decode_complete(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Decode ``<form>_complete`` labels to 0/1/2; return (line, column, status) of every
    row whose form is Incomplete or Unverified (the reader reports them line by line)."""
    statuses: list[tuple[int, str, str]] = []
    for col in [c for c in frame.columns if str(c).endswith("_complete")]:
        values = frame[col].map(
            lambda v: None if v is None else _COMPLETE.get(str(v).strip().casefold(), v)
        )
        frame[col] = values
        codes = pd.to_numeric(values, errors="coerce")
        for line, code in codes.items():
            if code in (0, 1):
                statuses.append((int(str(line)), str(col), _STATUS_WORD[int(code)]))
    return statuses


def _split_arm(frame: pd.DataFrame, ids: dict[str, str], notes: list[str]) -> pd.Series | None:
    if "redcap_event_name" not in frame.columns:
        return None
    events = frame["redcap_event_name"]
    parts = [
        (_ARM_RAW.match(str(v)) or _ARM_LABEL.match(str(v))) if _present(v) else None
        for v in events
    ]
    event = pd.Series(
        [m["event"] if m else v for m, v in zip(parts, events, strict=True)],
        index=frame.index,
        dtype="object",
    )
    arms = pd.Series([m["arm"] if m else None for m in parts], index=frame.index, dtype="object")
    n_arms = arms.dropna().nunique()
    if n_arms > 1:
        frame["redcap_arm"] = arms
        ids["group"] = "redcap_arm"
        notes.append(f"{n_arms} REDCap arms: group is the arm (override with group=).")
    return event


def _timepoints(
    frame: pd.DataFrame, event: pd.Series | None, ids: dict[str, str], notes: list[str]
) -> None:
    instance = frame.get("redcap_repeat_instance")
    if instance is None:
        if event is not None:
            frame["redcap_timepoint"] = event
            ids["timepoint"] = "redcap_timepoint"
            notes.append("timepoint is the REDCap event (arm suffix removed).")
        return
    instrument = frame.get("redcap_repeat_instrument")
    out: list[object] = []
    for label in frame.index:
        base = event[label] if event is not None else None
        inst = instance[label]
        if _present(inst):
            if not _present(base) and instrument is not None:
                base = instrument[label]
            out.append(f"{base}_{_int_text(inst)}" if _present(base) else _int_text(inst))
        else:
            out.append(base)
    frame["redcap_timepoint"] = pd.Series(out, index=frame.index, dtype="object")
    ids["timepoint"] = "redcap_timepoint"
    notes.append(
        "timepoint is the REDCap event"
        + (" (arm suffix removed)" if event is not None else "")
        + "; repeated rows add their instance: <event or repeating instrument>_<instance>."
    )


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def _int_text(value: object) -> str:
    try:
        f = float(str(value))
    except ValueError:
        return str(value)
    return str(int(f)) if f.is_integer() else str(value)
