"""Validation of long data (one row per subject and timepoint) before pairing by subject."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from past_outcomes.errors import DataValidationError


def _duplicate_failures(rows: pd.DataFrame, subject: str, timepoint: str) -> pd.DataFrame:
    dup = rows.duplicated([subject, timepoint], keep=False)
    bad = rows[dup]
    return pd.DataFrame(
        {
            "row": list(bad.index),
            "subject": list(bad[subject]),
            "timepoint": list(bad[timepoint]),
            "column": subject,
            "value": list(bad[subject]),
            "reason": "duplicate-observation",
        }
    )


def _missing_id_failures(rows: pd.DataFrame, columns: Sequence[str], subject, timepoint):
    records = []
    for col in columns:
        for idx in rows.index[rows[col].isna()]:
            records.append(
                {
                    "row": idx,
                    "subject": rows.at[idx, subject],
                    "timepoint": rows.at[idx, timepoint] if timepoint else None,
                    "column": col,
                    "value": rows.at[idx, col],
                    "reason": "missing-value",
                }
            )
    return pd.DataFrame(records)


def not_a_number_failures(rows: pd.DataFrame, measures: Sequence[str], subject, timepoint):
    records = []
    for col in measures:
        values = rows[col]
        if pd.api.types.is_bool_dtype(values):
            bad = values.notna()
        else:
            bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        for idx in rows.index[bad.to_numpy()]:
            records.append(
                {
                    "row": idx,
                    "subject": rows.at[idx, subject],
                    "timepoint": rows.at[idx, timepoint],
                    "column": col,
                    "value": rows.at[idx, col],
                    "reason": "not-a-number",
                }
            )
    return pd.DataFrame(records)


def validate_long(
    data: pd.DataFrame,
    *,
    subject: str,
    timepoint: str,
    pre: Any,
    post: Any,
    id_columns: Sequence[str],
    measures: Sequence[str],
    context: str,
) -> pd.DataFrame:
    """Rows at ``pre`` or ``post``; raise one DataValidationError for every bad cell.

    Checks, over the rows at either timepoint: identifiers present (``missing-value``), at
    most one row per subject and timepoint (``duplicate-observation``), measures numeric or
    empty (``not-a-number``). Shared by ``past_outcomes.stats`` and ``past_outcomes.change``.
    """
    rows = data[data[timepoint].isin([pre, post])]
    failures = [
        _missing_id_failures(rows, id_columns, subject, timepoint),
        _duplicate_failures(rows.dropna(subset=[subject]), subject, timepoint),
        not_a_number_failures(rows, measures, subject, timepoint),
    ]
    failures = [f for f in failures if len(f)]
    if failures:
        raise DataValidationError(
            pd.concat(failures, ignore_index=True),
            context=context,
            remedy=(
                "Each subject must have at most one row per timepoint, no missing "
                "identifiers and numeric measures (missing values are allowed). Remove or merge "
                "duplicate rows, fill in identifiers, recode text answers."
            ),
        )
    return rows
