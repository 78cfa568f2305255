"""Check-all-that-apply answers joined in one cell, split only where a codebook declares them.

Google Forms writes the options ticked in a checkbox question into one cell, joined by ", "
(../shared/reference/practitioner.md, "Google Forms"). Splitting on every comma would break an
option that holds one ("Yes, often"), so a cell is split only for a column the codebook
declares under ``multi_select:`` with its options, and the declared options are matched
whole, longest first. Each option's item is 1 when the option is ticked and 0 when it is not;
an empty cell leaves every item of the question missing (not answered: a blank is never
read as "none ticked"). A piece that is no declared option is an ``unmapped-label`` error
naming the line, the column and the piece, never dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import short_repr
from past_outcomes.sources.codebook import normalize_label
from past_outcomes.sources.table import SourceTable, failure_row

__all__ = ["split_multi"]


def _key(text: str) -> str:
    """An option or a cell as compared: normalised, with ', ' between comma-separated parts."""
    return ", ".join(part.strip() for part in normalize_label(text).split(","))


def _pieces(cell: str, options: dict[str, str]) -> tuple[list[str], list[str]]:
    """The declared options ticked in ``cell`` and the pieces that are none, longest first."""
    parts = _key(cell).split(", ")
    ticked: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            candidate = ", ".join(parts[i:j])
            if candidate in options:
                ticked.append(options[candidate])
                i = j
                break
        else:
            if parts[i]:
                unknown.append(parts[i])
            i += 1
    return ticked, unknown


def split_multi(
    frame: pd.DataFrame,
    multi: dict[Any, dict[str, str]],
    table: SourceTable,
    subjects: pd.Series | None,
    notes: list,
) -> tuple[dict[str, pd.Series], list[dict]]:
    """Item columns (1 ticked, 0 not, missing when the cell is empty) of every multi-select
    column, and the failures (unknown pieces)."""
    out: dict[str, pd.Series] = {}
    failures: list[dict] = []
    for col, declared in multi.items():
        options = {_key(k): item for k, item in declared.items()}
        items = sorted(set(options.values()))
        values = {item: np.full(len(frame), np.nan) for item in items}
        for i, (line, cell) in enumerate(frame[col].items()):
            if cell is None or (isinstance(cell, float) and np.isnan(cell)):
                continue
            if not str(cell).strip():
                continue
            ticked, unknown = _pieces(str(cell), options)
            for item in items:
                values[item][i] = 1.0 if item in ticked else 0.0
            for piece in unknown:
                subject = None if subjects is None else subjects.get(line)
                failures.append(
                    failure_row(
                        line,
                        col,
                        cell,
                        "unmapped-label",
                        f"{col!r}, {table.line_kind} {line}: the ticked option {short_repr(piece)} is none of the options the codebook declares for this multi-select question ({short_repr(', '.join(sorted(options)), 120)}); add it under multi_select:",
                        subject=subject,
                    )
                )
        for item in items:
            out[item] = pd.Series(values[item], index=frame.index)
        notes.append(
            f"Multi-select column {str(col)!r} split into {len(items)} item(s) "
            f"({', '.join(items[:6])}{' ...' if len(items) > 6 else ''}): 1 ticked, 0 not, "
            "missing where the cell is empty."
        )
    return out, failures
