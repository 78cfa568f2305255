"""The one way the command line and ``run_notebooks`` read a user's data file.

``read_input`` calls ``past_outcomes.sources.read_responses`` (REDCap, Qualtrics, Forms,
SPSS, Stata, Excel and CSV exports, codebooks) when that module is installed, and the safe CSV
reader ``past_outcomes._io.read_csv_safely`` otherwise. Either way it returns an
:class:`InputData` whose ``table`` is the canonical long frame (``subject``, ``timepoint``,
``<id>_<n>`` item columns...) indexed by the 1-based file line (or record number) of each row,
so that every error row names a line a person can find in the file.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from past_outcomes.errors import ArgumentError, InputFileError

#: The ``source`` values the command line offers (those of ``read_responses``).
SOURCES = ("auto", "redcap", "qualtrics", "forms", "spss", "stata", "excel", "csv")

#: Provenance columns added by ``read_responses``; never written as scores or identifiers.
PROVENANCE = ("source_file", "source_line")


@dataclass(frozen=True)
class InputData:
    """A file read for scoring: the canonical ``table``, what was set aside, and notes."""

    table: pd.DataFrame
    path: Path
    excluded: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    line_numbers: bool = True  # the index holds the file line of each row


#: Header names that mark a survey tool's export (read by ``read_responses``, not as a table).
_EXPORT_MARKERS = frozenset(
    {"record_id", "redcap_event_name", "redcap_repeat_instrument", "ResponseId", "StartDate",
     "Timestamp", "Start time", "Completion time"}
)  # fmt: skip
_ITEM = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_\d+$")  # an id may hold underscores


def _reader() -> Any | None:
    """``read_responses`` when the import module exists, else None."""
    try:
        module = importlib.import_module("past_outcomes.sources.reader")
    except ModuleNotFoundError as exc:
        if exc.name not in ("past_outcomes.sources", "past_outcomes.sources.reader"):
            raise
        return None
    return getattr(module, "read_responses", None)


def import_module_present() -> bool:
    """Whether ``read_responses`` (the import module) is installed."""
    return _reader() is not None


def read_input(
    path: str | os.PathLike,
    *,
    source: str = "auto",
    codebook: str | os.PathLike | None = None,
    subject: str | None = None,
    timepoint: str | None = None,
    keep: Sequence[str] = (),
) -> InputData:
    """Read ``path`` into the canonical long frame (see the module docstring).

    ``subject`` and ``timepoint`` name the file's identifier columns when they are not
    called ``subject`` and ``timepoint``; they are renamed to the canonical names. ``keep``
    names other columns to carry over where the file has them (a notebook's covariates).

    A ``.csv`` file read with ``source="auto"`` and no codebook that is already in the
    canonical layout (``<id>_<n>`` item columns, no export metadata such as REDCap's
    ``record_id`` or Qualtrics' ``ResponseId``) is read by the safe CSV reader, every column
    kept; anything else (other formats, an export, a codebook, a ``source``) by
    ``read_responses``.

    Raises
    ------
    ArgumentError
        ``source`` is not one of :data:`SOURCES`, or an option needs the import module.
    InputFileError, DataValidationError
        The file cannot be read as a clean table (from the reader).
    """
    from past_outcomes._checks import check_option

    check_option("source", source, SOURCES)
    path = Path(path)
    from past_outcomes._io import read_csv_safely

    read_responses = _reader()
    if read_responses is None and (source not in ("auto", "csv") or codebook is not None):
        raise ArgumentError(
            f"--source {source}{' with --codebook' if codebook is not None else ''} needs the "
            "import module past_outcomes.sources, which this installation lacks; got a "
            f"file {str(path)!r}. Export the data as a CSV in the canonical layout (subject, "
            "timepoint, <id>_<n> item columns) or update past_outcomes."
        )
    table = None
    if read_responses is None or (
        source == "auto" and codebook is None and path.suffix.lower() == ".csv"
    ):
        try:
            table = read_csv_safely(path)  # index = file line numbers
        except InputFileError as exc:
            if read_responses is None or not _is_encoding_problem(exc):
                raise
    if read_responses is not None and (table is None or not _looks_canonical(table.columns)):
        return _from_import(
            _import(read_responses, path, source=source, codebook=codebook, subject=subject,
                    timepoint=timepoint, keep=keep),
            path,
        )  # fmt: skip
    if table is None:  # unreachable: without the import module the safe reader raised
        raise InputFileError(f"{path} could not be read.")
    table = _rename_ids(table, path, subject=subject, timepoint=timepoint)
    return InputData(table=table, path=path)


def canonical_csv(path: Path, source: str, codebook: Any) -> bool:
    """Whether ``path`` is a plain CSV in the canonical layout (read by the safe reader)."""
    if source != "auto" or codebook is not None or path.suffix.lower() != ".csv":
        return False
    from past_outcomes._io import read_csv_safely

    try:
        header = list(read_csv_safely(path).columns)
    except InputFileError as exc:
        return not _is_encoding_problem(exc)  # ragged lines etc.: the safe reader's message
    return _looks_canonical(header)


def _looks_canonical(header: Any) -> bool:
    """``<id>_<n>`` item columns and no export metadata."""
    names = [str(c) for c in header]
    return any(_ITEM.match(c) for c in names) and not _EXPORT_MARKERS & set(names)


def _is_encoding_problem(exc: InputFileError) -> bool:
    """A Latin-1 (Windows-1252) file, which ``read_responses`` detects and reports."""
    text = str(exc)
    return "UTF-8" in text and "UTF-16" not in text and "binary" not in text


def _import(read_responses: Any, path: Path, *, keep: Sequence[str], **kwargs: Any) -> Any:
    """``read_responses`` carrying the ``keep`` columns the file has: the others are optional
    here (a notebook's covariates), so ``keep_missing="ignore"`` leaves them out (noted)."""
    wanted = [k for k in keep if k not in ("subject", "timepoint", "date", "group")]
    return read_responses(path, keep=wanted, keep_missing="ignore", **kwargs)


def _rename_ids(
    table: pd.DataFrame, path: Path, *, subject: str | None, timepoint: str | None
) -> pd.DataFrame:
    renames = {}
    for canonical, given, option in (
        ("subject", subject, "--subject"),
        ("timepoint", timepoint, "--timepoint"),
    ):
        if given is None or given == canonical:
            continue
        if given not in table.columns:
            have = ", ".join(map(str, list(table.columns)[:15]))
            raise ArgumentError(
                f"{option} must name a column of {path}; {given!r} is not one (its columns: "
                f"{have}{', ...' if table.shape[1] > 15 else ''}). Check the spelling."
            )
        if canonical in table.columns:
            raise ArgumentError(
                f"{option} {given!r} would replace the column {canonical!r} that {path} "
                f"already has; the two cannot both identify rows. Drop one of them, or "
                f"leave out {option}."
            )
        renames[given] = canonical
    return table.rename(columns=renames) if renames else table


def _from_import(result: Any, path: Path) -> InputData:
    """An ImportResult as InputData: rows indexed by their file line (``source_line``)."""
    table = result.table
    line_numbers = False
    if "source_line" in table.columns and table["source_line"].is_unique:
        table = table.set_index(pd.Index(table["source_line"].to_numpy(), name="line"))
        line_numbers = True
    notes = result.notes() if callable(getattr(result, "notes", None)) else ()
    if isinstance(notes, str):
        notes = tuple(line for line in notes.splitlines() if line.strip())
    return InputData(
        table=table,
        path=path,
        excluded=getattr(result, "excluded", None),
        notes=tuple(notes),
        line_numbers=line_numbers,
    )


def require_rows(data: InputData) -> InputData:
    """``data`` if its table has at least one row; an InputFileError otherwise."""
    if data.table.empty:
        raise InputFileError(
            f"{data.path} must hold at least one data row below its header; it has none. "
            "Check that you chose the right file."
        )
    return data
