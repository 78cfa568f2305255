"""``SourceTable``: what every source adapter hands to the reader.

An adapter reads one file and returns the cells it found (text as ``str``, numbers as numbers,
missing as ``None``/NaN) with the 1-based line or record number of each row as the index,
plus what it learnt: default identifier columns, value labels, rows it sets aside, notes.
The reader (``past_outcomes.sources.reader``) does everything that is common to all sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["SourceTable", "SetAside", "failure_row"]


@dataclass(frozen=True)
class SetAside:
    """A row an adapter sets aside (a Qualtrics preview...): its index label, reason, detail."""

    line: int
    reason: str
    detail: str


@dataclass
class SourceTable:
    """The cells of one export and what its adapter learnt about them.

    ``frame``: one column per source column, index = 1-based line (text files, Excel rows) or
    record number (SPSS, Stata); ``source``: the adapter's name; ``ids``: default source
    columns for ``subject``, ``timepoint``, ``date``, ``group``; ``value_labels``: per source
    column, answer label -> code (SPSS value labels, a REDCap data dictionary's choices);
    ``set_aside``: rows the adapter excludes; ``notes``: what it did, in plain words;
    ``questions``: per source column, the question text the export gives beside the header
    (Qualtrics' second header row), for matching a codebook written with question text;
    ``statuses``: per row, form statuses the reader reports line by line (REDCap
    ``<form>_complete`` Incomplete/Unverified) as (line, column, status) triples.
    """

    frame: pd.DataFrame
    source: str
    path: str
    ids: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[str, float]] = field(default_factory=dict)
    set_aside: list[SetAside] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    line_kind: str = "line"
    questions: dict[str, str] = field(default_factory=dict)
    statuses: list[tuple[int, str, str]] = field(default_factory=list)


def failure_row(
    row: object,
    column: object,
    value: object,
    reason: str,
    message: str,
    *,
    subject: str | None = None,
    timepoint: str | None = None,
) -> dict:
    """One row of a ``DataValidationError.failure_cases`` table raised by the reader."""
    return {
        "row": row,
        "subject": subject,
        "timepoint": timepoint,
        "column": column,
        "value": value,
        "reason": reason,
        "message": message,
    }
