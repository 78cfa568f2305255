"""Qualtrics CSV/TSV exports with their three header rows.

Layout (Qualtrics, "Understanding your dataset"; kutils ``importQualtrics``): row 1 holds the
internal ids (``StartDate``, ``Q1``, ``Q3_2``, export tags such as ``PHQ9_1``), row 2 the
question text, row 3 the import ids (``{"ImportId":"QID1"}``). Metadata columns are found by
name, not position (legacy exports differ): ``ResponseId``/``ResponseID``, ``Status``,
``Finished``, ``Progress``, ``DistributionChannel``, ``RecordedDate``, ``EndDate``.

What the adapter does:

- rows 2 and 3 are header rows, not responses: they are dropped (data lines keep their file
  line numbers);
- row 2, the question text, is kept per column (``SourceTable.questions``): a codebook whose
  ``columns:`` name questions by their text (as for Google Forms) finds the column whose
  question text it names, when the export tags (``Q1``, ``Q3_2``) are no ``<id>_<n>``. A
  matrix row's text is ``<stem> - <statement>``: the codebook may give the whole text or the
  statement alone (matched only when one column has it);
- **set aside and reported** (``.excluded``, reason ``preview``), never silently dropped:
  responses whose ``Status`` is a survey preview, a survey test or spam. ``Status`` is the
  "Response Type": text in a choice-text export, a code in a numeric one. The codes are bit
  flags; the labels Qualtrics writes for them in its own SPSS syntax export are
  0 IP Address, 1 Survey Preview, 2 Survey Test, 4 Imported, 8 Spam, 9 Survey Preview Spam,
  12 Imported Spam, 16 Offline, 17 Offline Survey Preview, 32 EX, 40 EX Spam, 48 EX Offline
  (a Qualtrics-generated ``.sps`` file's ``VALUE LABELS /Status``, read through the search
  tool's code corpus; the rOpenSci package excluder, ``R/check_preview.R``, likewise treats
  the numeric ``Status == 1`` and the text ``"Survey Preview"`` as a preview). So a code is
  set aside when its preview (1), test (2) or spam (8) bit is set: 1, 2, 9, 12, 17, 40 and
  any other such combination; 0 (a normal response), 4 (imported), 16 (offline) and 32/48
  (Employee Experience) are kept. One further code seen in a public R helper for Qualtrics
  exports, 256 "Synthetic", is set aside too (generated answers are no client's), as is the
  word ``Synthetic``. ``DistributionChannel`` ``preview``/``test`` is set aside
  too;
- unfinished responses (``Finished`` false or 0; reason ``unfinished``, the detail gives
  ``Progress``) are set aside and reported;
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

#: Status (Response Type) words set aside as previews, tests or spam (choice-text exports).
_PREVIEW_STATUS = {
    "survey preview",
    "survey test",
    "spam",
    "survey preview spam",
    "preview spam",
    "imported spam",
    "offline survey preview",
    "ex spam",
    "synthetic",
}
#: Bits of the numeric Status code that mark a preview (1), a test (2), spam (8) or a
#: synthetic response (256).
_PREVIEW_BITS = 1 | 2 | 8 | 256
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
        if _is_preview(st) or ch in _PREVIEW_CHANNEL:
            shown = f"Status {_cell(row, status)}" if _is_preview(st) else _cell(row, channel)
            set_aside.append(
                SetAside(
                    line,
                    "preview",
                    f"line {line}: a preview, test, spam or synthetic response ({shown})",
                )
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
    texts = {str(c): q for c, q in questions.items() if isinstance(q, str) and q.strip()}
    return dataclasses.replace(
        table,
        frame=frame,
        source="qualtrics",
        ids=ids,
        notes=notes,
        set_aside=set_aside,
        questions=texts,
    )


def _is_preview(status: str) -> bool:
    """Whether a Status cell (word or code, case folded) marks a preview, test or spam."""
    if status in _PREVIEW_STATUS:
        return True
    try:
        code = float(status)
    except ValueError:
        return False
    return code.is_integer() and code >= 0 and bool(int(code) & _PREVIEW_BITS)


def _cell(row: pd.Series, column: str | None) -> str:
    """A metadata cell as stripped text; ``""`` when the column is absent or the cell empty."""
    if column is None:
        return ""
    value = row[column]
    if not isinstance(value, str):
        return "" if value is None or pd.isna(value) else str(value)
    return value.strip()
