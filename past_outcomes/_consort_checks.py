"""Reading a disposition table for :func:`past_outcomes.consort.build_consort`.

One row per subject; every offending cell is collected and raised in one
:class:`~past_outcomes.errors.DataValidationError` (reasons ``missing-value``,
``duplicate-observation``, ``inconsistent-group``, ``out-of-range`` for an arm that is not
one of those named, ``not-a-boolean``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns
from past_outcomes.errors import ArgumentError, DataValidationError, short_repr

#: The reason counted when a discontinued or excluded subject has none recorded.
NOT_RECORDED = "reason not recorded"

_TRUE = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


# --------------------------------------------------------------------------------------------
# reading the disposition data
# --------------------------------------------------------------------------------------------


def _flag(value: Any) -> bool | None | str:
    """True/False for a flag cell, None when missing, "bad" when it is not a flag."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, int | np.integer) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _TRUE.get(value.strip().lower(), None if not value.strip() else "bad")
    return "bad"


def is_present(value: Any) -> bool:
    """A recorded value: not missing and not blank text."""
    if value is None or value is pd.NA:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _failure(rows: pd.DataFrame, i: int, subject: str, column: str, reason: str, message: str):
    return {
        "row": rows.index[i],
        "subject": rows[subject].iloc[i],
        "timepoint": None,
        "column": column,
        "value": rows[column].iloc[i] if column in rows.columns else None,
        "reason": reason,
        "message": message,
    }


def flags_of(
    rows: pd.DataFrame,
    column: str | None,
    subject: str,
    failures: list,
    *,
    default: bool,
    among: np.ndarray | None = None,
) -> np.ndarray:
    """A flag column as a bool array (``default`` where ``column`` is None); bad cells listed.

    Only the rows where ``among`` is True are read (the others keep ``default``).
    """
    out = np.full(len(rows), default)
    if column is None:
        return out
    for i, value in enumerate(rows[column].tolist()):
        if among is not None and not among[i]:
            continue
        f = _flag(value)
        if isinstance(f, bool):
            out[i] = f
            continue
        what = "missing" if f is None else f"got {short_repr(value)}"
        failures.append(
            _failure(
                rows, i, subject, column, "missing-value" if f is None else "not-a-boolean",
                f"{column} must be true or false for subject {rows[subject].iloc[i]} "
                f"(row {rows.index[i]!r}); {what}",
            )
        )  # fmt: skip
    return out


def _subject_failures(rows: pd.DataFrame, subject: str, group: str) -> list[dict]:
    """Missing and duplicate subjects, and subjects on rows of different arms."""
    failures = []
    ids = rows[subject].tolist()
    arms = rows[group].tolist()
    where: dict[Any, list[int]] = {}
    for i, s in enumerate(ids):
        if not is_present(s):
            failures.append(
                _failure(rows, i, subject, subject, "missing-value",
                         f"{subject} must identify every row; row {rows.index[i]!r} has none")
            )  # fmt: skip
        else:
            where.setdefault(s, []).append(i)
    for s, positions in where.items():
        if len(positions) == 1:
            continue
        listed = ", ".join(repr(rows.index[i]) for i in positions[:5])
        for i in positions:
            failures.append(
                _failure(rows, i, subject, subject, "duplicate-observation",
                         f"subject {s} must be on one row; it is on rows {listed}")
            )  # fmt: skip
        seen = list(dict.fromkeys(arms[i] for i in positions if is_present(arms[i])))
        if len(seen) > 1:
            shown = " and ".join(short_repr(a) for a in seen[:5])
            failures.append(
                _failure(rows, positions[0], subject, group, "inconsistent-group",
                         f"subject {s} must be in one {group}; it is in {shown}")
            )  # fmt: skip
    return failures


def _group_failures(
    rows: pd.DataFrame, subject: str, group: str, randomized: np.ndarray, arms: tuple | None
) -> list[dict]:
    """A randomized subject without an arm, or in an arm that is not among ``arms``."""
    failures = []
    values = rows[group].tolist()
    for i in np.flatnonzero(randomized).tolist():
        g = values[i]
        if not is_present(g):
            failures.append(
                _failure(rows, i, subject, group, "missing-value",
                         f"{group} must name the arm of randomized subject "
                         f"{rows[subject].iloc[i]} (row {rows.index[i]!r}); it is missing")
            )  # fmt: skip
        elif arms is not None and plain(g) not in arms:
            failures.append(
                _failure(rows, i, subject, group, "out-of-range",
                         f"{group} must be one of {', '.join(map(repr, arms))}; got "
                         f"{short_repr(g)} for subject {rows[subject].iloc[i]}")
            )  # fmt: skip
    return failures


def _discontinuations(
    rows: pd.DataFrame,
    subject: str,
    discontinued: str | None,
    reason: str | None,
    failures: list,
    randomized: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(discontinued flags, reason text) per row; a randomized subject with a reason but no
    discontinuation is listed. For a row not randomized the reason is why it was excluded."""
    n = len(rows)
    if discontinued is None:
        return np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
    col = rows[discontinued]
    if pd.api.types.is_bool_dtype(col.dtype):
        done = col.fillna(False).to_numpy(dtype=bool)
    else:
        done = np.array([is_present(v) for v in col.tolist()], dtype=bool)
    done &= randomized
    why = np.full(n, "", dtype=object)
    given = np.zeros(n, dtype=bool) if reason is None else np.array(
        [is_present(v) for v in rows[reason].tolist()], dtype=bool
    )  # fmt: skip
    for i in range(n):
        if given[i]:
            why[i] = str(rows[reason].iloc[i]).strip()
        if given[i] and randomized[i] and not done[i]:
            failures.append(
                _failure(rows, i, subject, discontinued, "missing-value",
                         f"subject {rows[subject].iloc[i]} has a {reason} "
                         f"({short_repr(why[i])}) but no {discontinued} value; record when "
                         "the subject discontinued, or clear the reason")
            )  # fmt: skip
    return done, why


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value (compared without NumPy's cast warnings)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_arm(name: str, value: Any) -> Any:
    try:
        hash(value)
        present = is_present(value)
    except (TypeError, ValueError):
        present = False
    if not present or isinstance(value, tuple):
        raise ArgumentError(
            f"{name} must be one arm label (a value of the group column, e.g. 'mdma'); got "
            f"{short_repr(value)} ({type(value).__name__}). Pass one label per arm."
        )
    return plain(value)


def arms_of(treatment: Any, control: Any) -> tuple | None:
    if treatment is None and control is None:
        return None
    if treatment is None or control is None:
        raise ArgumentError(
            "treatment and control must be given together (or neither, to draw every arm in "
            f"the data); got treatment={treatment!r}, control={control!r}."
        )
    treatment, control = _check_arm("treatment", treatment), _check_arm("control", control)
    if treatment == control:
        raise ArgumentError(
            f"treatment and control must be different arms; got {treatment!r} for both."
        )
    return (treatment, control)


def validate_disposition(
    disposition: pd.DataFrame,
    *,
    subject: str,
    group: str,
    randomized: str | None,
    treated: str | None,
    discontinued: str | None,
    reason: str | None,
    arms: tuple | None,
) -> pd.DataFrame:
    """Per row: subject, group, randomized, treated, discontinued, reason; or raise."""
    named = [c for c in (subject, group, randomized, treated, discontinued, reason) if c]
    check_columns(disposition, named, what="disposition")
    rows = disposition
    failures = _subject_failures(rows, subject, group)
    rand = flags_of(rows, randomized, subject, failures, default=True)
    treat = flags_of(rows, treated, subject, failures, default=True, among=rand)
    failures += _group_failures(rows, subject, group, rand, arms)
    done, why = _discontinuations(rows, subject, discontinued, reason, failures, rand)
    if failures:
        raise DataValidationError(
            pd.DataFrame(failures),
            context="disposition (one row per subject)",
            remedy="Give every subject one row with one arm, write the flags as True or "
            "False, and record when a subject discontinued wherever a reason is recorded.",
        )
    counted = np.where(done | ~rand, why, "")
    counted = np.where((done | ~rand) & (counted == ""), NOT_RECORDED, counted)
    return pd.DataFrame(
        {
            "subject": rows[subject].to_numpy(dtype=object),
            "group": rows[group].to_numpy(dtype=object),
            "randomized": rand,
            "treated": treat & rand,
            "discontinued": done,
            "reason": counted,
        }
    )
