"""Qualtrics CSV/TSV exports with their three header rows.

Layout (Qualtrics, "Understanding your dataset"; kutils ``importQualtrics``): row 1 holds the
internal ids (``StartDate``, ``Q1``, ``Q3_2``, export tags such as ``PHQ9_1``), row 2 the
question text, row 3 the import ids (``{"ImportId":"QID1"}``). Metadata columns are found by
name, not position (legacy exports differ): ``ResponseId``/``ResponseID``, ``Status``,
``Finished``, ``Progress``, ``DistributionChannel``, ``RecordedDate``, ``EndDate``.

What the adapter does:

- rows 2 and 3 are header rows, not responses: they are dropped (data lines keep their file
  line numbers);
- **set aside and reported** (``.excluded``), never silently dropped: previews and tests
  (``Status`` ``Survey Preview``/``Survey Test``/``Spam``, or numeric 1, 2, 8, 9, 12, 17 as
  recalled from the qualtRics documentation; ``DistributionChannel`` ``preview``/``test``;
  reason ``preview``) and unfinished responses (``Finished`` false or 0; reason
  ``unfinished``, the detail gives ``Progress``);
- ``date`` defaults to ``RecordedDate`` (else ``EndDate``); ``subject`` has no default, since
  ``ResponseId`` names a response, not a person: name your identifier column (embedded data
  such as ``client_id``) with ``subject=``;
- numeric values are read as exported: recode values that start at 1 where the instrument
  starts at 0 are caught by the reader's shifted-scale check; choice text is decoded through
  the spec's answer labels or the codebook.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from past_outcomes.sources.table import SetAside, SourceTable

__all__ = ["looks_like_qualtrics", "prepare_qualtrics"]

_PREVIEW_STATUS = {
    "survey preview",
    "survey test",
    "spam",
    "preview spam",
    "1",
    "2",
    "8",
    "9",
    "12",
    "17",
}
_PREVIEW_CHANNEL = {"preview", "test"}
_FALSE = {"false", "0", "no"}


def looks_like_qualtrics(head: tuple[tuple[str, ...], ...]) -> str | None:
    """Why the first three records look like a Qualtrics export, or None."""
    if len(head) < 3:
        return None
    if any(str(cell).strip().startswith('{"ImportId"') for cell in head[2]):
        return 'third header row of {"ImportId": ...} cells'
    return None


def prepare_qualtrics(table: SourceTable) -> SourceTable:
    """Drop header rows 2-3, set aside previews and unfinished responses, default the date."""
    frame = table.frame.iloc[2:].copy()
    questions = table.frame.iloc[0]
    notes = list(table.notes)
    notes.append(
        f"Qualtrics export: header rows 2 and 3 (question text and import ids) skipped; "
        f"{len(frame)} response(s)."
    )
    col = {c.lower(): c for c in frame.columns}
    set_aside = list(table.set_aside)
    status = col.get("status")
    channel = col.get("distributionchannel")
    finished = col.get("finished")
    progress = col.get("progress")
    for label, row in frame.iterrows():
        line = int(str(label))
        st, ch = _cell(row, status).casefold(), _cell(row, channel).casefold()
        if st in _PREVIEW_STATUS or ch in _PREVIEW_CHANNEL:
            shown = _cell(row, status) if st in _PREVIEW_STATUS else _cell(row, channel)
            set_aside.append(
                SetAside(line, "preview", f"line {line}: a preview or test response ({shown})")
            )
            continue
        if _cell(row, finished).casefold() in _FALSE:
            prog = f", progress {_cell(row, progress)}%" if _cell(row, progress) else ""
            set_aside.append(SetAside(line, "unfinished", f"line {line}: not finished{prog}"))
    ids = {}
    for name in ("recordeddate", "enddate"):
        if name in col:
            ids["date"] = col[name]
            break
    _ = questions  # the question text stays in the file; no wording is stored
    return dataclasses.replace(
        table, frame=frame, source="qualtrics", ids=ids, notes=notes, set_aside=set_aside
    )


def _cell(row: pd.Series, column: str | None) -> str:
    """A metadata cell as stripped text; ``""`` when the column is absent or the cell empty."""
    if column is None:
        return ""
    value = row[column]
    if not isinstance(value, str):
        return "" if value is None or pd.isna(value) else str(value)
    return value.strip()


def question_text(table: SourceTable) -> pd.Series:
    """Row 2 of the export (the question text of each column), for matching a codebook."""
    return table.frame.iloc[0]
