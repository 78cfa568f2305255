"""SPSS ``.sav``/``.zsav`` and Stata ``.dta`` files through pyreadstat (ReadStat).

``pandas.read_spss`` throws the metadata away; pyreadstat keeps it (see
../shared/reference/practitioner.md, "SPSS .sav"). What is kept and how:

- **Value labels** (``1 = "Several days"``) become the column's answer labels: they decode a
  text cell and, for an instrument whose spec declares its published labels, reveal a coding
  shifted by one (the file labels ``Not at all`` as 1 where the spec has 0): an error that
  names the fix, never a silent score.
- **User-defined missing values** (SPSS: discrete codes or ranges such as 8 = Refused,
  9 = Not applicable): the file is read with ``user_missing=True`` so that each declared code
  is seen, then every answer inside a declared missing value or range becomes missing, never
  an answer of 9. The notes count them per column and code.
- Stata's missing values (``.`` and ``.a``-``.z``) are missing.
- Dates are converted by pyreadstat (SPSS counts seconds from 1582-10-14).

The index is the record (case) number, 1 for the first case.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import InputFileError, short_repr
from past_outcomes.sources.codebook import normalize_label
from past_outcomes.sources.table import SourceTable

__all__ = ["read_stats_file"]


def read_stats_file(path: str | os.PathLike, *, kind: str) -> SourceTable:
    """Read an SPSS (``kind="spss"``) or Stata (``kind="stata"``) file."""
    name = str(path)
    if not os.path.isfile(name):
        raise InputFileError(
            f"{name} must be an existing {kind.upper() if kind == 'spss' else 'Stata'} file; "
            "there is no file at that path. Check the spelling and the folder you run from."
        )
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputFileError("reading SPSS and Stata files needs pyreadstat") from None
    shown = "SPSS (.sav)" if kind == "spss" else "Stata (.dta)"
    try:
        if kind == "spss":
            frame, meta = pyreadstat.read_sav(name, user_missing=True)
        else:
            frame, meta = pyreadstat.read_dta(name)
    except Exception as exc:  # ReadstatError and whatever a damaged file provokes
        raise InputFileError(
            f"{name} must be a readable {shown} file; it cannot be read "
            f"({type(exc).__name__}: {short_repr(str(exc), 120)}). Check that the file is "
            f"complete; re-save it from {'SPSS' if kind == 'spss' else 'Stata'} if needed."
        ) from None
    frame = frame.copy()
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="record")
    notes = [f"Read the {shown} file: {len(frame)} record(s), {frame.shape[1]} variable(s)."]
    if kind == "spss":
        notes.extend(_apply_user_missing(frame, meta))
    labels: dict[str, dict[str, float]] = {}
    for col, mapping in (meta.variable_value_labels or {}).items():
        decoded = {}
        for code, label in mapping.items():
            if isinstance(code, int | float) and not isinstance(code, bool):
                decoded[normalize_label(str(label))] = float(code)
        if decoded:
            labels[col] = decoded
    for col in frame.columns:
        if frame[col].dtype.kind not in "fiub" and frame[col].dtype.kind != "M":
            frame[col] = frame[col].map(_blank_to_none)
    return SourceTable(
        frame=frame,
        source=kind,
        path=name,
        value_labels=labels,
        notes=notes,
        line_kind="record",
    )


def _apply_user_missing(frame: pd.DataFrame, meta: Any) -> list[str]:
    """Set every answer inside a declared missing value or range to missing; say so."""
    notes = []
    value_labels = meta.variable_value_labels or {}
    for col, ranges in (meta.missing_ranges or {}).items():
        if col not in frame.columns or frame[col].dtype.kind not in "fiu":
            continue
        values = frame[col].to_numpy(dtype="float64", na_value=np.nan)
        hit = np.zeros(len(values), dtype=bool)
        for r in ranges:
            with np.errstate(invalid="ignore"):
                hit |= (values >= float(r["lo"])) & (values <= float(r["hi"]))
        if hit.any():
            codes = sorted(set(values[hit].tolist()))
            shown = ", ".join(
                f"{c:g}" + (f" ({value_labels[col][c]})" if c in value_labels.get(col, {}) else "")
                for c in codes
            )
            notes.append(
                f"{col}: {int(hit.sum())} answer(s) coded {shown}, declared missing in the "
                "file, read as missing."
            )
            frame[col] = np.where(hit, np.nan, values)
    return notes


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value
