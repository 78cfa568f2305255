"""Generic delimited text (CSV, TSV, semicolon-separated European files).

``read_delimited`` reads a text export through the package's safe reader
(``past_outcomes._io``: binary data, UTF-16, ragged lines, bad quoting, empty or repeated
column names are refused with file line numbers) and detects, reporting each in the notes:

- the **encoding**: UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), else
  Windows-1252 or Latin-1 (Excel's plain "CSV" on Western-European Windows);
- the **delimiter**: the one of ``,`` ``;`` tab ``|`` that splits the first lines into the
  same number (more than one) of fields; ``,`` when none does;
- **decimal commas**: in a file not separated by commas, a column whose every value is a
  number written ``2,5`` or ``3`` is read with decimal points (``2.5``). A column mixing
  ``2,5`` and ``2.5`` is left as text, for the reader to report.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass

import pandas as pd

from past_outcomes._io import parse_delimited, read_text
from past_outcomes.sources.table import SourceTable

__all__ = ["DELIMITERS", "TextFile", "load_text", "read_delimited", "sniff_delimiter"]

#: Candidate delimiters, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
_SHOWN = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_DECIMAL_COMMA = re.compile(r"\A\s*[+-]?\d+(,\d+)?\s*\Z")
_SNIFF_LINES = 20


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first non-blank lines into equal field counts (> 1)."""
    head = "\n".join(line for line in text.splitlines()[: _SNIFF_LINES * 3] if line.strip())
    best, best_fields = ",", 1
    for delim in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(head), delimiter=delim) if r]
        except csv.Error:
            continue
        rows = rows[:_SNIFF_LINES]
        if not rows:
            continue
        counts = {len(r) for r in rows[:-1]} or {len(rows[0])}
        if len(counts) == 1 and (n := counts.pop()) > best_fields:
            best, best_fields = delim, n
    return best


@dataclass(frozen=True)
class TextFile:
    """A decoded text export: its text, encoding, delimiter and first records (for detection)."""

    path: str
    text: str
    encoding: str
    delimiter: str
    head: tuple[tuple[str, ...], ...]


def load_text(path: str | os.PathLike, *, delimiter: str | None = None) -> TextFile:
    """Decode a text file (UTF-8, with or without BOM, else Windows-1252/Latin-1) and find
    its delimiter; the first three records are kept for detecting the export's kind."""
    name = str(path)
    text, encoding = read_text(name, legacy=True)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = delimiter or sniff_delimiter(text)
    head: list[tuple[str, ...]] = []
    try:
        for record in csv.reader(io.StringIO(text[:200_000], newline=""), delimiter=delim):
            if record:
                head.append(tuple(record))
            if len(head) == 3:
                break
    except csv.Error:
        pass  # the full parse reports it with its line
    return TextFile(name, text, encoding, delim, tuple(head))


def read_delimited(
    file: TextFile, *, source: str = "csv", numbered: frozenset[str] = frozenset()
) -> SourceTable:
    """Parse a :class:`TextFile` into a :class:`SourceTable` (cells as text)."""
    frame = parse_delimited(file.path, file.text, delimiter=file.delimiter, numbered=numbered)
    shown = _SHOWN.get(file.delimiter, repr(file.delimiter))
    notes = [f"Read as text: encoding {file.encoding}, delimiter {shown}."]
    if file.encoding in ("Windows-1252", "Latin-1"):
        notes.append(
            f"The file is not UTF-8; it was decoded as {file.encoding}. Check accented letters "
            "in labels and identifiers; save as 'CSV UTF-8' to be certain."
        )
    if file.delimiter != ",":
        frame, converted = _decimal_commas(frame)
        if converted:
            notes.append(
                "Decimal commas read as decimal points in column(s) "
                + ", ".join(converted[:10])
                + (f" and {len(converted) - 10} more" if len(converted) > 10 else "")
                + "."
            )
    return SourceTable(
        frame=frame,
        source=source,
        path=file.path,
        notes=notes,
        encoding=file.encoding,
        delimiter=file.delimiter,
    )


def _decimal_commas(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    out = frame.copy()
    converted = []
    for col in frame.columns:
        values = frame[col].dropna()
        if values.empty:
            continue
        text = values.astype(str)
        if not text.str.contains(",", regex=False).any():
            continue
        if text.map(lambda v: bool(_DECIMAL_COMMA.match(v))).all():
            out[col] = frame[col].map(
                lambda v: v.replace(",", ".").strip() if isinstance(v, str) else v
            )
            converted.append(str(col))
    return out, converted
