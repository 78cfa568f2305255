"""``read_responses``: any supported export in, the canonical long frame out.

The steps, each a named function: find the source and run its adapter (``detect``); map
source columns to items (``mapping.map_columns``: codebook, REDCap field labels, names that
already are ``<id>_<n>`` in any case or punctuation such as ``PHQ9_1``, Qualtrics question
text) and multi-select questions (``mapping.find_multi``); find the identifier columns
(:func:`_identifiers`); set aside what the adapter excludes and rows without a single answer;
decode every item cell (:func:`_decode_items`: numbers as they are, answer words through the
codebook, the file's value labels or the spec's published labels; ``multiselect``: ticked
options); check the coding against each instrument's spec (``coding.check_coding``); build
the table (:func:`_canonical`); report form statuses row by row (:func:`_note_statuses`).
Every failure of a kind is collected and raised together.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    InputFileError,
    PastOutcomesError,
    short_repr,
)
from past_outcomes.instrument import Instrument
from past_outcomes.results import ResultBase, excluded_frame
from past_outcomes.sources.codebook import (
    ITEM_COLUMN,
    Codebook,
    load_codebook,
    merge_codebooks,
    normalize_label,
)
from past_outcomes.sources.coding import check_coding
from past_outcomes.sources.dates import parse_dates
from past_outcomes.sources.detect import detect_and_read
from past_outcomes.sources.mapping import extra_instruments, find_multi, map_columns, specs_for
from past_outcomes.sources.multiselect import split_multi
from past_outcomes.sources.table import SetAside, SourceTable
from past_outcomes.sources.table import failure_row as _fail

__all__ = ["ImportResult", "read_responses", "SOURCES"]

#: The values of ``source=``.
SOURCES = ("auto", "redcap", "qualtrics", "forms", "spss", "stata", "excel", "csv")
#: The identifier columns of the canonical frame, in order.
ID_NAMES = ("subject", "timepoint", "date", "group")
#: The provenance columns of the canonical frame.
PROVENANCE = ("source_file", "source_line")
#: The values of ``keep_missing=``.
KEEP_MISSING = ("error", "ignore")
#: Rows listed one by one in a form-status note before the rest are counted.
STATUS_ROWS_SHOWN = 20
_NUMBER = re.compile(r"\A\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*\Z")


@dataclass(frozen=True, repr=False)
class ImportResult(ResultBase):
    """What :func:`read_responses` read.

    Attributes
    ----------
    table
        The canonical long frame, ready for ``score``: ``subject`` (string), ``timepoint``
        (string), ``date`` (``datetime64[s]``, with the time of day the export gives) and
        ``group`` (string) where found, then one column per item ``<id>_<n>`` (``Int64``,
        or ``Float64`` when an answer is fractional; missing where unanswered or declared
        missing), the ``keep=`` columns as read, ``source_file`` and ``source_line`` (the 1-based file line, Excel row or
        SPSS/Stata record number of the row). The index is a default RangeIndex.
    source
        The source read (``redcap``, ``qualtrics``, ``forms``, ``spss``, ``stata``,
        ``excel``, ``csv``).
    path
        The file read.
    instruments
        Instrument ids whose item columns were found.
    excluded
        Rows set aside (columns ``subject, reason, detail``; the detail names the line):
        Qualtrics previews, tests and spam (``preview``), unfinished responses
        (``unfinished``), rows without a single item answer (``no-items``). REDCap forms left
        Incomplete or Unverified are kept, and listed row by row in the notes.
    messages
        The notes: how the source was detected, encoding, delimiter, codebook, renamed
        columns, decoded labels, missing codes, date order, columns not carried over.
    """

    table: pd.DataFrame
    source: str
    path: str
    instruments: tuple[str, ...] = ()
    excluded: pd.DataFrame = field(default_factory=excluded_frame)
    messages: tuple[str, ...] = ()

    title = "Imported responses"

    def notes(self) -> list[str]:
        return list(self.messages)


def read_responses(
    path: str | os.PathLike,
    *,
    source: str = "auto",
    codebook: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    subject: str | None = None,
    timepoint: str | None = None,
    date: str | None = None,
    group: str | None = None,
    instrument: str | Instrument | Sequence[str | Instrument] | None = None,
    keep: Sequence[str] = (),
    keep_missing: str = "error",
    timepoint_value: str | int | None = None,
    dayfirst: bool | None = None,
    sheet: str | None = None,
) -> ImportResult:
    """Read an export (REDCap, Qualtrics, Google/Microsoft Forms, SPSS, Stata, Excel, CSV)
    into the canonical long layout.

    Parameters
    ----------
    path
        The file. Its kind is detected from the extension (``.sav``/``.zsav``, ``.dta``,
        ``.xlsx``/``.xlsm``; anything else is read as delimited text) and, for text and Excel,
        from the header (REDCap system columns, Qualtrics' ``{"ImportId"...}`` third header
        row, Google Forms' ``Timestamp``, Microsoft Forms' ``ID, Start time, Completion
        time``). ``.notes()`` says which source was detected and why.
    source
        ``"auto"`` (default) or one of ``redcap``, ``qualtrics``, ``forms``, ``spss``,
        ``stata``, ``excel``, ``csv`` to skip the detection.
    codebook
        A codebook file (YAML or CSV, or a REDCap data dictionary), or a list of them: maps
        source columns to items and answer labels to codes (see
        ``past_outcomes.sources.codebook``). Not needed where columns already are
        ``<id>_<n>`` (REDCap field names, Qualtrics export tags, in any case: ``PHQ9_1``) and
        answers are codes or the published labels of PHQ-9, GAD-7 or PCL-5.
    subject, timepoint, date, group
        Source columns holding the client identifier, the timepoint, the date and the group.
        Defaults: the codebook's, then the source's (REDCap: record id, event and instance,
        arm; Qualtrics: ``RecordedDate``; Forms: ``Timestamp``/``Completion time``), then a
        column of that very name. ``subject`` must be found: a file without it is refused
        with the candidate columns listed. A timepoint, date or group not found is left out
        (the notes say so).
    instrument
        Instrument ids, spec paths or loaded specs whose item columns the file holds, for
        specs that are not bundled (bundled ids are recognised from the column names).
    keep
        Other source columns to carry over unchanged (e.g. ``["gender"]``). Nothing else is
        carried: e-mail addresses, names and free text stay behind unless named here.
    keep_missing
        What a ``keep`` column the file lacks does: ``"error"`` (default: an
        ``ArgumentError`` listing the file's columns) or ``"ignore"`` (left out, and the notes
        say which), for a caller that asks for optional columns (a notebook's covariates).
    timepoint_value
        One timepoint for every row (e.g. ``"baseline"``), for a single-wave file without a
        timepoint column. Refused together with ``timepoint=``, and when the file already has
        a timepoint (a codebook's ``timepoint:``, a REDCap event, a column named
        ``timepoint``): a constant would merge its waves. An int is written as text
        (``0`` -> ``"0"``), as timepoints read from files are.
    dayfirst
        The order of day and month in dates such as ``03/04/2024``, when the data do not
        decide it (see ``past_outcomes.sources.dates``).
    sheet
        The Excel sheet to read (default: the first).

    Returns
    -------
    ImportResult
        ``.table`` the canonical frame, ``.excluded`` rows set aside, ``.notes()`` what was
        detected and done.

    Raises
    ------
    ArgumentError
        A wrong argument, or a codebook that is malformed or contradicts itself (a label
        mapped twice, two columns mapped to one item).
    InputFileError
        The file is missing, unreadable, binary, empty or not the format it claims.
    DataValidationError
        ``failure_cases`` lists every problem cell: an answer word no codebook or spec maps
        (``unmapped-label``, also an option a multi-select cell ticks that the codebook does
        not declare), answers shifted by one from the instrument's scale (``shifted-scale``:
        1-4 where 0-3 is expected, or 0-4 where 1-5 is, per group of items sharing a range,
        with the fix; see ``past_outcomes.sources.coding``), two columns supplying
        one item (``ambiguous-column``), a codebook column absent from the file
        (``missing-column``), dates that cannot be read or ordered (``not-a-date``,
        ``ambiguous-date``), a subject id missing (``missing-value``).
    """
    args = _check_arguments(path, source, subject, timepoint, date, group, keep, dayfirst, sheet)
    args["timepoint_value"] = _check_constant(timepoint_value, timepoint, keep_missing)
    name = str(path)
    book = _load_codebooks(codebook)
    table, why = detect_and_read(name, source, book, sheet)
    notes = [f"Source: {table.source} ({why})."] + table.notes
    if book.paths:
        notes.append(f"Codebook: {book.name}.")
    frame = table.frame
    multi = find_multi(frame, book, table)
    mapping = map_columns(frame, book, extra_instruments(instrument), table, multi, notes)
    source_of = {item: col for col, item in mapping.items()}
    source_of |= {item: col for col, options in multi.items() for item in options.values()}
    specs = specs_for(mapping, instrument, notes, also=frozenset(source_of) - set(mapping.values()))
    ids = _identifiers(frame, table, book, args, notes)
    set_aside = list(table.set_aside)
    frame, set_aside = _set_aside_empty(frame, [*mapping, *multi], set_aside, table)
    subjects = frame[ids["subject"]].map(_as_text)
    ticked, failures = split_multi(frame, multi, table, subjects, notes)
    items = _decode_items(frame, mapping, specs, book, table, ids, notes, failures) | ticked
    check_coding(items, specs, table, {i: source_of[i] for i in items})
    kept = _present_keep(frame, keep, keep_missing, table, notes)
    out = _canonical(frame, items, ids, kept, table, dayfirst, args["timepoint_value"], notes)
    _note_statuses(table, frame, ids, notes)
    dropped = [
        c
        for c in table.frame.columns
        if c not in mapping and c not in multi and c not in ids.values() and c not in keep
    ]
    if dropped:
        notes.append(
            f"{len(dropped)} other column(s) not carried over (name them in keep= to carry "
            f"them): {', '.join(map(str, dropped[:8]))}{f' and {len(dropped) - 8} more' if len(dropped) > 8 else ''}."
        )
    excluded = _excluded(set_aside, table.frame, ids.get("subject"))
    if len(excluded):
        counts = excluded["reason"].value_counts()
        notes.append(
            "Set aside (see .excluded): "
            + ", ".join(f"{n} {reason}" for reason, n in counts.items())
            + "."
        )
    return ImportResult(
        table=out,
        source=table.source,
        path=name,
        instruments=tuple(sorted({item.rsplit("_", 1)[0] for item in items})),
        excluded=excluded,
        messages=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# arguments and codebooks


def _check_arguments(path, source, subject, timepoint, date, group, keep, dayfirst, sheet) -> dict:
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ArgumentError(f"path must name a file (a str or path); got {short_repr(path)}.")
    if not isinstance(source, str) or source not in SOURCES:
        raise ArgumentError(
            f"source must be one of {', '.join(SOURCES)}; got {short_repr(source)}."
        )
    ids = {"subject": subject, "timepoint": timepoint, "date": date, "group": group}
    for key, value in ids.items():
        if value is not None and (not isinstance(value, str) or not value):
            raise ArgumentError(
                f"{key} must be the name of a column of the file (a str) or None; got "
                f"{short_repr(value)}."
            )
    if isinstance(keep, str) or not all(isinstance(k, str) for k in keep):
        raise ArgumentError(
            f"keep must be a list of column names, e.g. ['gender']; got {short_repr(keep)}."
        )
    clash = [k for k in keep if k in ID_NAMES + PROVENANCE or ITEM_COLUMN.match(k)]
    if clash:
        raise ArgumentError(
            f"keep must name other columns than the identifiers, items and provenance "
            f"columns the table already has; got {', '.join(map(repr, clash))}. Use "
            "subject=, timepoint=, date=, group= for identifiers."
        )
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ArgumentError(f"dayfirst must be True, False or None; got {short_repr(dayfirst)}.")
    if sheet is not None and not isinstance(sheet, str):
        raise ArgumentError(f"sheet must be a sheet name (str) or None; got {short_repr(sheet)}.")
    return ids


def _check_constant(value: Any, timepoint: str | None, keep_missing: Any) -> str | None:
    """``timepoint_value`` as text (or None); ``keep_missing`` checked on the way."""
    if not isinstance(keep_missing, str) or keep_missing not in KEEP_MISSING:
        raise ArgumentError(
            f"keep_missing must be 'error' or 'ignore'; got {short_repr(keep_missing)}."
        )
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | np.integer):
        raise ArgumentError(
            f"timepoint_value must be one timepoint for every row, a str or an int (e.g. "
            f"'baseline'); got {short_repr(value)}."
        )
    text = str(value).strip()
    if not text:
        raise ArgumentError("timepoint_value must not be empty; got ''. Pass e.g. 'baseline'.")
    if timepoint is not None:
        raise ArgumentError(
            f"timepoint= ({timepoint!r}) and timepoint_value= ({text!r}) cannot both be given: "
            "the first names the file's timepoint column, the second gives every row one "
            "timepoint. Keep one."
        )
    return text


def _load_codebooks(codebook: Any) -> Codebook:
    if codebook is None:
        return Codebook()
    if isinstance(codebook, str | os.PathLike):
        return load_codebook(codebook)
    if isinstance(codebook, Sequence) and codebook:
        return merge_codebooks(load_codebook(c) for c in codebook)
    raise ArgumentError(
        f"codebook must be a path to a .yaml or .csv file, or a list of them; got "
        f"{short_repr(codebook)}."
    )


# --------------------------------------------------------------------------------------------
# identifiers and rows set aside

_CANDIDATE = re.compile(r"(id|client|subject|participant|record|patient|code|pseudonym)", re.I)


def _identifiers(frame, table: SourceTable, book: Codebook, args: dict, notes: list) -> dict:
    ids: dict[str, Any] = {}
    columns = list(frame.columns)
    for name in ID_NAMES:
        for origin, col in (
            ("argument", args[name]),
            ("codebook", book.ids.get(name)),
            ("source", table.ids.get(name)),
            ("name", name if name in columns else None),
        ):
            if col is None:
                continue
            if col not in columns:
                if origin == "source":
                    continue
                where = f"{name}=" if origin == "argument" else f"the codebook's {name}:"
                raise ArgumentError(
                    f"{where} must name a column of {table.path}; got {col!r}. Its columns: "
                    f"{_shown_columns(columns)}."
                )
            if name == "timepoint" and args["timepoint_value"] is not None:
                raise ArgumentError(
                    f"timepoint_value= gives every row the timepoint {args['timepoint_value']!r}, "
                    f"but {table.path} already has a timepoint: the column {col!r} ({origin}). "
                    "A constant would merge its waves; leave out timepoint_value=."
                )
            ids[name] = col
            if origin != "name" or col != name:
                notes.append(f"{name} is the column {col!r} ({origin}).")
            break
    if "subject" not in ids:
        candidates = [c for c in columns if _CANDIDATE.search(str(c))]
        hint = f" Candidates: {_shown_columns(candidates)}." if candidates else ""
        raise ArgumentError(
            f"{table.path} needs a column identifying each client; none is named 'subject' "
            f"and subject= names none.{hint} Pass subject='<column>' (or subject: in the "
            "codebook)."
        )
    if args["timepoint_value"] is not None:
        notes.append(f"timepoint is {args['timepoint_value']!r} on every row (timepoint_value=).")
    for name in ("timepoint", "date"):
        if name not in ids and not (name == "timepoint" and args["timepoint_value"] is not None):
            hint = " or one for every row with timepoint_value=" if name == "timepoint" else ""
            notes.append(f"No {name} column found (name one with {name}={hint}).")
    return ids


def _shown_columns(columns: list) -> str:
    shown = ", ".join(repr(str(c)) for c in columns[:12])
    return shown + (f" and {len(columns) - 12} more" if len(columns) > 12 else "")


def _set_aside_empty(frame, columns: list, set_aside: list[SetAside], table: SourceTable):
    aside = {s.line for s in set_aside}
    keep = ~frame.index.isin(list(aside))
    cells = frame[columns]
    blank = cells.map(
        lambda v: (
            v is None
            or (isinstance(v, float) and np.isnan(v))
            or (isinstance(v, str) and not v.strip())
        )
    )
    empty = blank.all(axis=1) & keep
    for line in frame.index[empty]:
        set_aside.append(
            SetAside(int(line), "no-items", f"{table.line_kind} {line}: no answer to any item")
        )
    return frame[keep & ~empty], set_aside


def _excluded(set_aside: list[SetAside], raw: pd.DataFrame, subject_col: Any) -> pd.DataFrame:
    records = []
    for s in sorted(set_aside, key=lambda s: s.line):
        subject = None
        if subject_col is not None and s.line in raw.index:
            subject = _as_text(raw.at[s.line, subject_col])
        records.append({"subject": subject, "reason": s.reason, "detail": s.detail})
    return excluded_frame(records)


# --------------------------------------------------------------------------------------------
# decoding answers


def _decode_items(frame, mapping, specs, book: Codebook, table: SourceTable, ids, notes, failures):
    """Each mapped column's answers as numbers; ``failures`` (from the multi-select split) are
    raised together with the answer words nothing decodes."""
    used: dict[str, int] = {}
    out: dict[str, pd.Series] = {}
    subj = frame[ids["subject"]] if "subject" in ids else None
    tp = frame[ids["timepoint"]] if "timepoint" in ids else None
    for col, item in mapping.items():
        inst = specs.get(item.rsplit("_", 1)[0])
        spec_labels = (
            {normalize_label(a.label): a.value for a in inst.answer_labels} if inst else {}
        )
        scopes = [
            ("the codebook", book.column_labels.get(str(col))),
            ("the codebook", book.column_labels.get(item)),
            ("the codebook", book.labels),
            ("the file's value labels", table.value_labels.get(str(col))),
            (f"the {inst.short_name} spec's published labels" if inst else "", spec_labels),
        ]
        values = np.full(len(frame), np.nan)
        for i, (line, v) in enumerate(frame[col].items()):
            number = _number(v)
            if number is not None:
                values[i] = number
                continue
            if _blank(v):
                continue
            key = normalize_label(str(v))
            for scope_name, scope in scopes:
                if scope and key in scope:
                    values[i] = scope[key]
                    used[scope_name] = used.get(scope_name, 0) + 1
                    break
            else:
                known = [s for _n, s in scopes if s]
                failures.append(_label_failure(line, col, item, v, subj, tp, known, inst, table))
        out[item] = pd.Series(values, index=frame.index)
    if failures:
        raise DataValidationError(
            pd.DataFrame(failures),
            context=f"{table.path}: answers that no codebook or spec decodes",
            remedy=(
                "Remedy: declare each answer word with its code in a codebook (labels: "
                "{'Several days': 1}), correct the cells, or export numeric values. No answer "
                "is guessed."
            ),
        )
    if used:
        notes.append(
            "Answer words decoded: "
            + ", ".join(f"{n} through {name}" for name, n in used.items())
            + "."
        )
    return out


def _label_failure(line, col, item, value, subj, tp, known, inst, table) -> dict:
    where = f"{table.line_kind} {line}" + (
        f", subject {_as_text(subj[line])}" if subj is not None else ""
    )
    shown = f"{col!r}" + (f" ({item})" if str(col) != item else "")
    if known:
        labels = sorted({k for scope in known for k in scope})
        hint = f"the labels known here are {short_repr(', '.join(labels), 120)}; add it to the codebook's labels"
    else:
        name = inst.short_name if inst else item.rsplit("_", 1)[0]
        hint = f"{name} declares no answer labels, so a codebook must map the words to codes"
    return _fail(
        line,
        col,
        value,
        "unmapped-label",
        f"{shown}, {where}: the answer {short_repr(value)} is not a code and no codebook or "
        f"spec maps it ({hint})",
        subject=_as_text(subj[line]) if subj is not None else None,
        timepoint=_as_text(tp[line]) if tp is not None else None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


# --------------------------------------------------------------------------------------------
# the canonical frame


def _present_keep(frame, keep, keep_missing: str, table: SourceTable, notes: list) -> list:
    """The ``keep`` columns the file has; an absent one is an error or, with
    ``keep_missing='ignore'``, left out and noted."""
    missing_keep = [k for k in keep if k not in frame.columns]
    if missing_keep and keep_missing == "error":
        raise ArgumentError(
            f"keep must name columns of {table.path}; {', '.join(map(repr, missing_keep))} "
            f"is not one. Its columns: {_shown_columns(list(frame.columns))}. Check the "
            "spelling, or pass keep_missing='ignore' to carry only those present."
        )
    if missing_keep:
        notes.append(
            f"keep: {', '.join(map(repr, missing_keep))} not in the file; left out "
            "(keep_missing='ignore')."
        )
    return [k for k in keep if k in frame.columns]


def _canonical(frame, items, ids, keep, table: SourceTable, dayfirst, constant, notes):
    out: dict[str, Any] = {}
    subjects = frame[ids["subject"]].map(_as_text)
    if subjects.isna().any():
        lines = list(frame.index[subjects.isna()])
        raise DataValidationError(
            pd.DataFrame(
                [
                    _fail(
                        int(line),
                        ids["subject"],
                        None,
                        "missing-value",
                        f"{table.line_kind} {line}: the subject column {ids['subject']!r} is empty",
                    )
                    for line in lines
                ]
            ),
            context=f"{table.path}: rows without a client identifier",
            remedy="Remedy: fill in the identifier of every row, or delete rows that are not responses.",
        )
    out["subject"] = pd.array(subjects, dtype="string")
    if constant is not None:
        out["timepoint"] = pd.array([constant] * len(frame), dtype="string")
    elif "timepoint" in ids:
        out["timepoint"] = pd.array(frame[ids["timepoint"]].map(_as_text), dtype="string")
    if "date" in ids:
        dates, note = parse_dates(
            frame[ids["date"]], column=str(ids["date"]), dayfirst=dayfirst, where=f"{table.path}: "
        )
        out["date"] = dates.to_numpy()
        if note:
            notes.append(note)
    if "group" in ids:
        out["group"] = pd.array(frame[ids["group"]].map(_as_text), dtype="string")
    order = sorted(items, key=lambda c: (c.rsplit("_", 1)[0], int(c.rsplit("_", 1)[1])))
    for item in order:
        values = items[item].to_numpy()
        whole = np.isnan(values) | (values % 1 == 0)
        out[item] = (
            pd.array(values, dtype="Float64")
            if not whole.all()
            else pd.array(np.where(np.isnan(values), 0, values).astype("int64"), dtype="Int64")
        )
        if whole.all():
            out[item][np.isnan(values)] = pd.NA
    for col in keep:
        out[col] = frame[col].to_numpy()
    out["source_file"] = pd.array([table.path] * len(frame), dtype="string")
    out["source_line"] = pd.array(frame.index.to_numpy(dtype="int64"), dtype="Int64")
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _note_statuses(table: SourceTable, frame, ids: dict, notes: list) -> None:
    """One note per status column: every kept row whose form is not Complete, by line,
    subject and timepoint (REDCap ``<form>_complete``; see ``sources.redcap``)."""
    by_column: dict[str, list[tuple[int, str]]] = {}
    for line, column, status in table.statuses:
        if line in frame.index:
            by_column.setdefault(column, []).append((line, status))
    for column, rows in by_column.items():
        shown = []
        for line, status in rows[:STATUS_ROWS_SHOWN]:
            who = f"subject {_as_text(frame.at[line, ids['subject']])}"
            if "timepoint" in ids:
                who += f", timepoint {_as_text(frame.at[line, ids['timepoint']])}"
            shown.append(f"{table.line_kind} {line} ({who}) {status}")
        more = len(rows) - len(shown)
        n_inc = sum(status == "Incomplete" for _line, status in rows)
        notes.append(
            f"{column}: {n_inc} row(s) Incomplete and {len(rows) - n_inc} Unverified; their "
            f"answers are kept (check them in REDCap): {'; '.join(shown)}"
            + (f"; and {more} more row(s)" if more else "")
            + f". keep=[{column!r}] carries the status of every row."
        )


def _as_text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


#: Errors read_responses raises on purpose (for callers that catch them together).
READ_ERRORS: tuple[type[PastOutcomesError], ...] = (
    ArgumentError,
    InputFileError,
    DataValidationError,
)
