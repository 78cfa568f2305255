"""What a practitioner report rests on: the data read, scored and ordered, and change from intake.

``load_report_data`` accepts a DataFrame, the name of a bundled data set (``"practice_rom"``)
or the path of any file the import layer reads (``past_outcomes._input.read_input``: a
canonical CSV, REDCap, Qualtrics, Forms, SPSS, Stata, Excel), and returns a
:class:`ReportData`:

- every questionnaire whose item columns are present is scored with ``score`` under each
  spec's default rule (a total needs every item; an administration with a skipped item has
  no total and is shown as "not scorable", never filled in);
- each client's administrations are numbered 1, 2, ... in time order: by ``date`` when the
  data have dates (``YYYY-MM-DD``; a cell that is not a date is refused with reason
  ``not-a-date``), else by the timepoint when it is an ordered categorical, else in file
  order (the report says which);
- a row is a dosing session when a ``dosing`` column is true (``1``, ``true``, ``yes``) or its
  timepoint is named ``dosing``, ``dosing1``, ``dosing 2``... (as in ``practice_rom``);
- for each questionnaire, the **intake** is the client's first administration of it and the
  **latest** the most recent scorable one after it (``classify_change(post="latest")``),
  with the Jacobson-Truax reliable change index at ``confidence``. The SD in the RCI is the
  spec's published clinical SD where it has one, else the SD of this file's intake scores
  when at least :data:`MIN_SD_CLIENTS` clients have one (the report says which and on how
  many clients), else no RCI is computed and the report says why.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import ArgumentError, DataValidationError, UnverifiedRuleWarning
from past_outcomes.instrument import Instrument

#: Fewest clients with an intake score whose SD may stand in for a published SD in the RCI.
MIN_SD_CLIENTS = 5
#: Timepoint names that mark a dosing session.
DOSING_TIMEPOINT = re.compile(r"^dosing[\s_-]*\d*$", re.IGNORECASE)
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


@dataclass(frozen=True)
class Measure:
    """One questionnaire's primary score and its change from intake to latest, for everyone.

    ``change`` is the ``ChangeClassification`` (None when no RCI could be computed: ``why``
    says why); ``sd_source`` names the SD used; ``notes`` are the warnings of the
    computation in plain words.
    """

    instrument: Instrument
    column: str
    change: Any | None
    sd: float | None
    sd_source: str
    why: str | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportData:
    """The scored, ordered data and each questionnaire's change (see the module docstring).

    ``table`` has one row per administration: ``subject`` (text), ``timepoint`` (text or
    missing), ``date`` (datetime or NaT), ``administration`` (1, 2, ... per client in time
    order), ``dosing`` (bool), the item columns and every score column. ``notes`` are the
    warnings of scoring in plain words, except ``unverified``: the message of ``score``'s
    ``UnverifiedRuleWarning`` (a report says it next to the chart or table showing the rule,
    in sentences built from the spec: :mod:`past_outcomes.report.caveats`).
    """

    table: pd.DataFrame
    instruments: dict[str, Instrument]
    measures: dict[str, Measure]
    name: str
    sha256: str
    path: Path | None
    has_dates: bool
    order_note: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    unverified: tuple[str, ...] = field(default_factory=tuple)

    def client_rows(self, client: str) -> pd.DataFrame:
        """The administrations of ``client`` in time order."""
        return self.table[self.table["subject"] == client]

    def given(self, instrument: str, client: str | None = None) -> pd.DataFrame:
        """Rows where ``instrument`` was given (at least one item answered)."""
        rows = self.table if client is None else self.client_rows(client)
        return rows[rows[f"{instrument}_n_answered"] > 0]

    def clients(self) -> list[str]:
        return sorted(self.table["subject"].unique().tolist())


def load_report_data(
    data: Any,
    *,
    subject: str = "subject",
    timepoint: str = "timepoint",
    instrument: Any = None,
    source: str = "auto",
    codebook: str | os.PathLike | None = None,
    confidence: float = 0.95,
) -> ReportData:
    """Read, score and order ``data`` and compute each questionnaire's change (module docstring).

    Raises
    ------
    ArgumentError
        ``data`` is none of a DataFrame, a bundled data set name or a file path; it has no
        subject column; no instrument's item columns are present.
    InputFileError, DataValidationError
        The file cannot be read, a date is not a date, an answer is invalid (from ``score``).
    """
    table, name, digest, path = _read(
        data, subject=subject, timepoint=timepoint, source=source, codebook=codebook
    )
    instruments = _instruments(instrument, table)
    table, has_dates = _parse_dates(table, name)
    table, order_note = _order(table, has_dates)
    from past_outcomes.scoring import score

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = score(
            table,
            instrument=list(instruments.values()),
            subject="subject",
            timepoint="timepoint" if "timepoint" in table.columns else None,
        )
    table = pd.concat([table, scores.drop(columns=table.columns, errors="ignore")], axis=1)
    notes = [str(w.message) for w in caught if not issubclass(w.category, UnverifiedRuleWarning)]
    unverified = [str(w.message) for w in caught if issubclass(w.category, UnverifiedRuleWarning)]
    measures = {i: _measure(table, spec, confidence) for i, spec in instruments.items()}
    return ReportData(
        table=table,
        instruments=instruments,
        measures=measures,
        name=name,
        sha256=digest,
        path=path,
        has_dates=has_dates,
        order_note=order_note,
        notes=tuple(notes),
        unverified=tuple(dict.fromkeys(unverified)),
    )


# --------------------------------------------------------------------------------------------
# reading


def _read(
    data: Any, *, subject: str, timepoint: str, source: str, codebook: Any
) -> tuple[pd.DataFrame, str, str, Path | None]:
    """(table, shown name, SHA-256, path) for a DataFrame, a bundled name or a file."""
    from past_outcomes.datasets import DATASETS, _locate, read_dataset

    if isinstance(data, pd.DataFrame):
        table = data.copy()
        digest = hashlib.sha256(table.to_csv(index=False).encode("utf-8")).hexdigest()
        name, path = "a DataFrame (checksum of its CSV text)", None
        table = _rename(table, subject=subject, timepoint=timepoint)
    elif isinstance(data, str | os.PathLike):
        if isinstance(data, str) and data in DATASETS and not Path(data).exists():
            path = _locate(data)
            table = read_dataset(data)
            name = f"{path.name} (bundled synthetic data set {data})"
            table = _rename(table, subject=subject, timepoint=timepoint)
        else:
            from past_outcomes._input import read_input, require_rows

            path = Path(data)
            read = require_rows(
                read_input(
                    path, source=source, codebook=codebook,
                    subject=None if subject == "subject" else subject,
                    timepoint=None if timepoint == "timepoint" else timepoint,
                    keep=("date", "dosing", "medicine"),
                )
            )  # fmt: skip
            table, name = read.table.copy(), path.name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    else:
        raise ArgumentError(
            "data must be a DataFrame, a bundled data set name (e.g. 'practice_rom') or the "
            f"path of a data file; got {type(data).__name__}. Pass a file path."
        )
    if "subject" not in table.columns:
        raise ArgumentError(
            f"the data must have a column identifying clients ({subject!r}); the columns "
            f"are {', '.join(map(str, list(table.columns)[:12]))}. Pass subject='COLUMN'."
        )
    _check_subjects(table, name)
    table["subject"] = table["subject"].astype("string").str.strip()
    return table, name, digest, path


def _rename(table: pd.DataFrame, *, subject: str, timepoint: str) -> pd.DataFrame:
    renames = {s: c for s, c in ((subject, "subject"), (timepoint, "timepoint")) if s != c}
    for given in renames:
        if given not in table.columns:
            raise ArgumentError(
                f"subject and timepoint must name columns of the data; {given!r} is not one. "
                "Check the spelling."
            )
    return table.rename(columns=renames)


def _check_subjects(table: pd.DataFrame, name: str) -> None:
    missing = table["subject"].isna() | (table["subject"].astype("string").str.strip() == "")
    if missing.any():
        failures = pd.DataFrame(
            {
                "row": table.index[missing.to_numpy()],
                "subject": None,
                "timepoint": table["timepoint"][missing] if "timepoint" in table else None,
                "column": "subject",
                "value": None,
                "reason": "missing-value",
            }
        )
        raise DataValidationError(
            failures,
            context=f"{name}: every administration must name its client",
            remedy="Fill in the client's pseudonymous id, or remove the row.",
        )


def _instruments(instrument: Any, table: pd.DataFrame) -> dict[str, Instrument]:
    from past_outcomes.instrument import instruments_dir, load_instrument

    if instrument is not None:
        given = instrument if isinstance(instrument, list | tuple) else [instrument]
        specs = [load_instrument(i) for i in given]
    else:
        specs = []
        for path in sorted(instruments_dir().glob("*.yaml")):
            spec = load_instrument(path)
            if any(c in table.columns for c in spec.item_columns):
                specs.append(spec)
    position = {c: k for k, c in enumerate(map(str, table.columns))}
    specs.sort(key=lambda s: min(position.get(c, len(position)) for c in s.item_columns))
    if not specs:
        raise ArgumentError(
            "the data must have the item columns of at least one instrument (named <id>_<n>, "
            "e.g. phq9_1); none were found. Name the instrument, map your columns with a "
            "codebook, or rename them."
        )
    return {s.id: s for s in specs}


def _parse_dates(table: pd.DataFrame, name: str) -> tuple[pd.DataFrame, bool]:
    """``date`` as datetimes (``YYYY-MM-DD`` text refused otherwise, all cells at once)."""
    if "date" not in table.columns:
        table = table.assign(date=pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]"))
        return table, False
    column = table["date"]
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column
    else:
        text = column.astype("string").str.strip()
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = text.notna() & (text != "") & parsed.isna()
        if bad.any():
            failures = pd.DataFrame(
                {
                    "row": table.index[bad.to_numpy()],
                    "subject": table["subject"][bad],
                    "timepoint": table["timepoint"][bad] if "timepoint" in table else None,
                    "column": "date",
                    "value": column[bad],
                    "reason": "not-a-date",
                }
            )
            raise DataValidationError(
                failures,
                context=f"{name}: the date of each administration",
                remedy="Write dates as YYYY-MM-DD (e.g. 2024-03-01) or leave the cell empty.",
            )
    table = table.assign(date=pd.to_datetime(parsed))
    return table, bool(table["date"].notna().any())


def _order(table: pd.DataFrame, has_dates: bool) -> tuple[pd.DataFrame, str]:
    """Rows sorted by client and time; ``administration`` numbered 1, 2, ... per client."""
    table = table.assign(_position=np.arange(len(table)))
    tp = table["timepoint"] if "timepoint" in table.columns else None
    if has_dates:
        keys, note = ["subject", "date", "_position"], "in date order"
        if table["date"].isna().any():
            note += " (administrations without a date come after the dated ones)"
    elif tp is not None and isinstance(tp.dtype, pd.CategoricalDtype) and tp.cat.ordered:
        keys, note = ["subject", "timepoint", "_position"], "in visit order (no dates)"
    else:
        keys, note = ["subject", "_position"], "in file order (the data have no dates)"
    table = table.sort_values(keys, kind="stable", na_position="last")
    table["administration"] = table.groupby("subject", sort=False).cumcount() + 1
    table["dosing"] = _dosing(table)
    if tp is not None:
        table["timepoint"] = table["timepoint"].astype("string")
    else:
        table["timepoint"] = pd.array([pd.NA] * len(table), dtype="string")
    return table.drop(columns="_position"), note


def _dosing(table: pd.DataFrame) -> np.ndarray:
    """True where the row is a dosing session (``dosing`` column or timepoint name)."""
    out = np.zeros(len(table), dtype=bool)
    if "timepoint" in table.columns:
        names = table["timepoint"].astype("string").fillna("")
        out |= names.str.match(DOSING_TIMEPOINT).to_numpy(dtype=bool)
    if "dosing" in table.columns:
        text = table["dosing"].astype("string").str.strip().str.lower().fillna("")
        bad = ~text.isin(_TRUE | _FALSE)
        if bad.any():
            failures = pd.DataFrame(
                {
                    "row": table.index[bad.to_numpy()],
                    "subject": table["subject"][bad],
                    "timepoint": table["timepoint"][bad] if "timepoint" in table else None,
                    "column": "dosing",
                    "value": table["dosing"][bad],
                    "reason": "not-a-boolean",
                }
            )
            raise DataValidationError(
                failures,
                context="the dosing column marks dosing sessions",
                remedy="Write 1/0, true/false or yes/no, or leave the cell empty.",
            )
        out |= text.isin(_TRUE).to_numpy(dtype=bool)
    return out


# --------------------------------------------------------------------------------------------
# change from intake to latest


def _measure(table: pd.DataFrame, spec: Instrument, confidence: float) -> Measure:
    """The primary score's change, intake (first given) against latest scorable."""
    from past_outcomes.change.rci import classify_change

    column = spec.primary_scale.column
    crit = spec.change.get(column)
    given = table[table[f"{spec.id}_n_answered"] > 0]
    frame = pd.DataFrame(
        {
            "subject": given["subject"].to_numpy(),
            "seq": given.groupby("subject", sort=False).cumcount().to_numpy() + 1,
            column: given[column].to_numpy(dtype=float),
        }
    )
    if crit is None or crit.reliability is None:
        why = f"the {spec.short_name} spec gives no reliability coefficient for {column}"
        return Measure(spec, column, None, None, "", why)
    if crit.clinical is not None:
        sd, sd_source = crit.clinical.sd, f"published clinical SD ({crit.clinical.source})"
    else:
        intake = frame.loc[frame["seq"] == 1, column].dropna()
        if len(intake) < MIN_SD_CLIENTS:
            why = (
                f"the {spec.short_name} spec has no published clinical SD and this file has "
                f"{len(intake)} client(s) with a scorable intake score; at least "
                f"{MIN_SD_CLIENTS} are needed to use the caseload's SD"
            )
            return Measure(spec, column, None, None, "", why)
        sd = float(intake.std(ddof=1))
        sd_source = f"SD of this file's intake scores (n = {len(intake)} clients)"
    if frame.empty or frame["seq"].max() < 2:
        return Measure(spec, column, None, sd, sd_source, "no client has a follow-up yet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = classify_change(
            frame, measure=column, timepoint="seq", pre=1, post="latest", instrument=spec,
            sd_pre=sd, confidence=confidence,
        )  # fmt: skip
    notes = tuple(f"{spec.short_name}: {w.message}" for w in caught)
    return Measure(spec, column, result, sd, sd_source, None, notes)


def fmt(value: Any, digits: int = 1) -> str:
    """A number for a report: whole numbers without decimals, ``-`` for missing."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or pd.isna(value):
        return "-"
    number = float(value)
    if number.is_integer():
        return f"{int(number)}"
    return f"{number:.{digits}f}"


def when(row: Any, has_dates: bool) -> str:
    """``2024-03-01 (intake)`` or ``administration 3 (week4)``."""
    label = row["timepoint"]
    label = "" if pd.isna(label) else str(label)
    if has_dates and pd.notna(row["date"]):
        head = f"{row['date']:%Y-%m-%d}"
    else:
        head = f"administration {int(row['administration'])}"
    return f"{head} ({label})" if label else head
