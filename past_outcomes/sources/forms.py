"""Google Forms and Microsoft Forms response exports.

Google Forms (a linked Sheet or its CSV download): the first column is ``Timestamp``, in the
spreadsheet's locale; every other header is the **full question text** (a grid question gives
one column per row, ``Question [Row]``); answers are the **option words**, not codes
(../shared/reference/practitioner.md, "Google Forms"). Microsoft Forms (an ``.xlsx``
download): ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name``, then one column
per question, answers again as words.

So no column names an item and no answer is a code: a **codebook** maps the question headers
to items (``columns:``) and, for an instrument without published labels in its spec, the
words to codes (``labels:``). For the PHQ-9, GAD-7 and PCL-5 the spec's labels decode the
words. ``date`` defaults to ``Timestamp`` (Google) or ``Completion time`` (Microsoft); the
order of day and month is read from the data (see ``dates``). ``Email``/``Email Address``
and ``Name`` columns are never carried over unless named in ``keep=``; the only link between
two submissions of one client is the identifier question you added, named with ``subject=``.
"""

from __future__ import annotations

import dataclasses

from past_outcomes.sources.table import SourceTable

__all__ = ["looks_like_forms", "prepare_forms"]

_MICROSOFT = ("ID", "Start time", "Completion time")


def looks_like_forms(columns: list[str]) -> str | None:
    """Why ``columns`` look like a Google or Microsoft Forms export, or None."""
    if columns and columns[0] == "Timestamp":
        return "first column 'Timestamp' (Google Forms)"
    if tuple(columns[:3]) == _MICROSOFT:
        return "columns ID, Start time, Completion time (Microsoft Forms)"
    return None


def prepare_forms(table: SourceTable) -> SourceTable:
    """Default the date column and name the export's flavour."""
    columns = list(table.frame.columns)
    google = bool(columns) and columns[0] == "Timestamp"
    ids = {"date": "Timestamp" if google else "Completion time"}
    notes = list(table.notes)
    notes.append(
        ("Google Forms" if google else "Microsoft Forms")
        + f" export: {len(table.frame)} submission(s); headers are question text, answers words."
    )
    return dataclasses.replace(table, source="forms", ids=ids, notes=notes)
