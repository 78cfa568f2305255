"""Excel workbooks (``.xlsx``, ``.xlsm``) through openpyxl.

``read_excel`` reads one worksheet (the first, or ``sheet=``; the notes name the others) in
read-only mode with cached formula values (``data_only``: a formula cell gives the value Excel
last computed; a workbook never opened in Excel after its formulas were written has none, and
those cells are missing). The first non-empty row is the header; empty and repeated column
names are refused as in a CSV file; an entirely empty row is skipped. Cells keep their type:
text, numbers, and dates as ``datetime`` (the reader turns them into the ``date`` column).
The index is the Excel row number. Old ``.xls`` files are refused with the remedy (save as
``.xlsx``); a file that is not a workbook (a renamed CSV, a damaged download) is an
``InputFileError``, never a traceback from the zip or XML layer.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any

import pandas as pd

from past_outcomes._io import _check_header, _raise_ragged
from past_outcomes.errors import ArgumentError, InputFileError, short_repr
from past_outcomes.sources.table import SourceTable

__all__ = ["read_excel"]

#: Rows read at most from one sheet (a practice's export has a few thousand).
MAX_ROWS = 1_000_000


def read_excel(path: str | os.PathLike, *, sheet: str | None = None) -> SourceTable:
    """The cells of one worksheet as a :class:`SourceTable` (index = Excel row number)."""
    name = str(path)
    if name.lower().endswith(".xls"):
        raise InputFileError(
            f"{name} is an old Excel 97-2003 workbook (.xls), which cannot be read; open it "
            "in Excel or LibreOffice and save it as .xlsx (or as CSV UTF-8)."
        )
    if not os.path.isfile(name):
        raise InputFileError(
            f"{name} must be an existing Excel file; there is no file at that path. Check the "
            "spelling and the folder you run from."
        )
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputFileError("reading Excel files needs openpyxl: pip install openpyxl") from None
    try:
        book = openpyxl.load_workbook(name, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike: a file we cannot read
        raise InputFileError(
            f"{name} must be an Excel workbook (.xlsx); it cannot be opened as one "
            f"({type(exc).__name__}: {short_repr(str(exc), 120)}). Check that the file is "
            "complete and really a workbook, or export it as CSV UTF-8."
        ) from None
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise ArgumentError(
                f"sheet must be one of the workbook's sheets ({', '.join(map(repr, names))}); "
                f"got {short_repr(sheet)}."
            )
        chosen = sheet if sheet is not None else names[0]
        rows = _rows(name, book[chosen])
    except (ArgumentError, InputFileError):
        raise
    except Exception as exc:
        raise InputFileError(
            f"{name}: the sheet cannot be read ({type(exc).__name__}: "
            f"{short_repr(str(exc), 120)}). Export it as CSV UTF-8 and read that instead."
        ) from None
    finally:
        book.close()
    notes = [f"Read the Excel sheet {chosen!r}."]
    if len(names) > 1:
        notes.append(
            f"The workbook has {len(names)} sheets ({', '.join(map(repr, names))}); only "
            f"{chosen!r} was read (choose another with sheet=)."
        )
    return SourceTable(frame=rows, source="excel", path=name, notes=notes, line_kind="row")


def _rows(name: str, ws: Any) -> pd.DataFrame:
    header: list[str] | None = None
    header_line = 0
    lines: list[int] = []
    records: list[list[Any]] = []
    bad: list[dict] = []
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            raise InputFileError(
                f"{name} must have at most {MAX_ROWS:,} rows on a sheet; it has more."
            )
        cells = [_cell(v) for v in row]
        if all(c is None for c in cells):
            continue
        if header is None:
            while cells and cells[-1] is None:
                cells.pop()
            header, header_line = ["" if c is None else str(c).strip() for c in cells], number
            _check_header(name, header, header_line)
            continue
        extra = cells[len(header) :]
        if any(c is not None for c in extra):
            bad.append(
                {"row": number, "column": None, "value": len(cells), "reason": "wrong-field-count"}
            )
            continue
        cells = (cells + [None] * len(header))[: len(header)]
        lines.append(number)
        records.append(cells)
    if header is None:
        raise InputFileError(
            f"{name} must hold a header row and data rows; the sheet is empty. Check that you "
            "chose the right sheet (sheet=) and file."
        )
    if bad:
        _raise_ragged(name, header, header_line, bad)
    frame = pd.DataFrame(records, columns=header, dtype="object")
    frame.index = pd.Index(lines, dtype="int64", name="line")
    return frame


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float | _dt.datetime | _dt.date):
        return value
    if isinstance(value, _dt.time | _dt.timedelta):
        return str(value)
    return str(value)
