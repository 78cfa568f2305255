"""One validation of long data (one row per subject and timepoint), and one number checker.

``validate_long`` is the single gate every long-data function goes through (``compute_change``,
``classify_change``, ``classify_responders``, ``compare_prepost``, ``compare_groups``,
``compare_responders`` and ``fit_mmrm``). It collects every bad cell and raises one
:class:`~past_outcomes.errors.DataValidationError`:

==========================  ==================================================================
reason                      cell
==========================  ==================================================================
``missing-value``           an identifier (subject, timepoint, group...) is missing
``duplicate-observation``   a subject has two rows at one timepoint (missing ids excluded)
``not-a-number``            a measure holds text, a boolean, a complex number or an object
``not-finite``              a measure is inf or -inf
``out-of-range``            a measure exceeds ``MAX_MAGNITUDE`` in absolute value (squares
                            and sums of squares of it would overflow double precision)
``inconsistent-group``      a subject is recorded in more than one group
==========================  ==================================================================

Numeric arguments are checked by :func:`past_outcomes._checks.check_number`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import DataValidationError, short_repr

#: Largest absolute value accepted in a measure: beyond it, squares overflow double precision.
MAX_MAGNITUDE = 1e100

_UNSET = object()


def no_spread(sd: float, *arrays: np.ndarray) -> bool:
    """True when ``sd`` is zero up to rounding: not above 1e-10 of the values' magnitude
    (post = pre + 0.6 gives differences whose SD is about 1e-15, not 0)."""
    scale = max((float(np.max(np.abs(a))) for a in arrays if len(a)), default=0.0)
    return not sd > 1e-10 * scale


# --------------------------------------------------------------------------------------------
# measures: classify each cell
# --------------------------------------------------------------------------------------------


def measure_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (float values, reason per cell or None) for one measure column.

    Missing cells are NaN with no reason. Numbers (and text that reads as a number, as
    ``pandas.to_numeric``) become floats; booleans, complex numbers, dates, other text and
    objects are ``not-a-number``; inf is ``not-finite``; ``|value| > MAX_MAGNITUDE`` is
    ``out-of-range``. Cells with a reason are NaN in the values.
    """
    n = len(series)
    values = np.full(n, np.nan)
    reasons = np.full(n, None, dtype=object)
    dtype = series.dtype
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype) or dtype.kind in "cmM" or _is_datetime_like(dtype):
        reasons[~missing] = "not-a-number"
        return values, reasons
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        values = np.array(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    else:
        raw = np.asarray(series, dtype=object)
        for i in np.flatnonzero(~missing):
            v, bad = _cell_value(raw[i])
            values[i] = v
            reasons[i] = bad
    with np.errstate(invalid="ignore"):
        inf = np.isinf(values)
        huge = np.abs(values) > MAX_MAGNITUDE
    reasons[inf] = "not-finite"
    reasons[huge & ~inf] = "out-of-range"
    values[inf | huge] = np.nan
    return values, reasons


def _is_datetime_like(dtype) -> bool:
    return isinstance(dtype, (pd.DatetimeTZDtype, pd.PeriodDtype, pd.IntervalDtype))


def _cell_value(v: Any) -> tuple[float, str | None]:
    if isinstance(v, (bool, np.bool_)):
        return math.nan, "not-a-number"
    if isinstance(v, numbers.Real):
        try:
            return float(v), None
        except (OverflowError, ValueError):  # an int beyond the float range
            return math.nan, "out-of-range"
    if isinstance(v, str):
        try:
            parsed = pd.to_numeric(v)
        except (ValueError, TypeError, OverflowError):
            return math.nan, "not-a-number"
        if isinstance(parsed, numbers.Real) and not isinstance(parsed, (bool, np.bool_)):
            f = float(parsed)
            return (f, None) if not math.isnan(f) else (math.nan, "not-a-number")
        return math.nan, "not-a-number"
    return math.nan, "not-a-number"


# --------------------------------------------------------------------------------------------
# failure rows
# --------------------------------------------------------------------------------------------


def _records(rows: pd.DataFrame, positions, column, reason, subject, timepoint, messages=None):
    positions = np.asarray(positions, dtype=int)
    if not len(positions):
        return []
    labels = rows.index[positions]
    subj = rows[subject].to_numpy(dtype=object)[positions] if subject else [None] * len(positions)
    time = (
        rows[timepoint].to_numpy(dtype=object)[positions] if timepoint else [None] * len(positions)
    )
    vals = rows[column].to_numpy(dtype=object)[positions]
    out = []
    for k in range(len(positions)):
        rec = {
            "row": labels[k],
            "subject": subj[k],
            "timepoint": time[k],
            "column": column,
            "value": vals[k],
            "reason": reason,
        }
        if messages is not None:
            rec["message"] = messages[k]
        out.append(rec)
    return out


def _measure_message(column, value, reason, row, subject, timepoint) -> str:
    where = f"row {row!r}"
    if subject is not None and not _isna(subject):
        where += f", subject {_show(subject)}"
    if timepoint is not None and not _isna(timepoint):
        where += f", timepoint {short_repr(timepoint)}"
    what = {
        "not-a-number": "a number (or missing)",
        "not-finite": "a finite number (or missing)",
        "out-of-range": f"a number no larger than {MAX_MAGNITUDE:g} in absolute value",
    }[reason]
    return f"{column} must be {what}; got {short_repr(value)} in {where}"


def _show(value) -> str:
    """A value as a message shows it: text bare ("subject C-014"), anything else as repr."""
    return value if isinstance(value, str) and len(value) <= 40 else short_repr(value, 40)


def _isna(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# validate_long
# --------------------------------------------------------------------------------------------


def validate_long(
    data: pd.DataFrame,
    *,
    subject: str | None,
    timepoint: str | None = None,
    pre: Any = _UNSET,
    post: Any = _UNSET,
    id_columns: Sequence[str] = (),
    measures: Sequence[str] = (),
    group: str | None = None,
    context: str,
    remedy: str = "",
) -> pd.DataFrame:
    """Rows in scope, validated; raise one DataValidationError listing every bad cell.

    The rows in scope are those at ``pre`` or ``post`` when both are given, else every row.
    Checks (see the module docstring for the reason codes): ``id_columns`` present; at most
    one row per ``subject`` and ``timepoint`` (per ``subject`` when ``timepoint`` is None),
    rows with a missing identifier excluded from that check; ``measures`` numeric, finite
    and within ``MAX_MAGNITUDE``; ``group`` constant within each subject.

    Returns a copy of the rows in scope (original index labels) whose ``measures`` are float
    columns. ``data`` is never modified.
    """
    if pre is not _UNSET and post is not _UNSET and timepoint is not None:
        in_scope = data[timepoint].isin([pre, post]).to_numpy()
        rows = data.iloc[np.flatnonzero(in_scope)]
    else:
        rows = data
    failures: list[dict] = []

    # identifiers
    for col in dict.fromkeys(id_columns):
        missing = np.flatnonzero(rows[col].isna().to_numpy())
        failures += _records(rows, missing, col, "missing-value", subject, timepoint)

    # duplicates, among rows whose identifiers are present
    if subject is not None:
        keys = [subject] + ([timepoint] if timepoint is not None else [])
        present = rows[keys].notna().all(axis=1).to_numpy()
        pos = np.flatnonzero(present)
        dup = rows.iloc[pos].duplicated(keys, keep=False).to_numpy()
        dup_pos = pos[dup]
        s = rows[subject].to_numpy(dtype=object)
        t = rows[timepoint].to_numpy(dtype=object) if timepoint is not None else None
        messages = [
            f"subject {_show(s[p])} has more than one row"
            + (f" at {timepoint} {short_repr(t[p])}" if t is not None else "")
            + f" (row {rows.index[p]!r})"
            for p in dup_pos
        ]
        failures += _records(
            rows, dup_pos, subject, "duplicate-observation", subject, timepoint, messages
        )

    # measures
    clean = {}
    for col in dict.fromkeys(measures):
        values, reasons = measure_values(rows[col])
        clean[col] = values
        for reason in ("not-a-number", "not-finite", "out-of-range"):
            pos = np.flatnonzero(reasons == reason)
            if not len(pos):
                continue
            raw = rows[col].to_numpy(dtype=object)
            nothing = np.full(len(rows), None, dtype=object)
            s = rows[subject].to_numpy(dtype=object) if subject else nothing
            t = rows[timepoint].to_numpy(dtype=object) if timepoint else nothing
            messages = [
                _measure_message(col, raw[p], reason, rows.index[p], s[p], t[p])
                for p in pos.tolist()
            ]
            failures += _records(rows, pos, col, reason, subject, timepoint, messages)

    # one group per subject
    if group is not None and subject is not None:
        both = rows[[subject, group]].notna().all(axis=1).to_numpy()
        pos = np.flatnonzero(both)
        sub = rows.iloc[pos]
        n_groups = sub.groupby(subject, sort=False, dropna=True)[group].transform("nunique")
        bad = pos[(n_groups > 1).to_numpy()]
        g = rows[group].to_numpy(dtype=object)
        s = rows[subject].to_numpy(dtype=object)
        seen: dict = {}
        for p in bad:
            seen.setdefault(s[p], [])
            if not any(g[p] is v or g[p] == v for v in seen[s[p]]):
                seen[s[p]].append(g[p])
        messages = [
            f"subject {_show(s[p])} must be in one {group} at every timepoint; it is in "
            f"{' and '.join(short_repr(v) for v in seen[s[p]][:5])} (row {rows.index[p]!r}: "
            f"{short_repr(g[p])})"
            for p in bad
        ]
        failures += _records(rows, bad, group, "inconsistent-group", subject, timepoint, messages)

    if failures:
        raise DataValidationError(
            pd.DataFrame(failures),
            context=context,
            remedy=remedy
            or (
                "Each subject must have at most one row per timepoint, one group, no missing "
                "identifiers, and finite numeric measures (missing values are allowed). Remove "
                "or merge duplicate rows, fill in identifiers, recode text and infinite values."
            ),
        )
    out = rows.copy()
    for col, values in clean.items():
        out[col] = values
    return out


# --------------------------------------------------------------------------------------------
# pairing
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Paired:
    """Long data paired by subject at two timepoints (the output of :func:`pair_long`).

    ``table`` has one row per subject seen at either timepoint (in order of first
    appearance), the subject column, ``<measure>_pre`` and ``<measure>_post`` float columns
    per measure, and one ``<column>`` per ``carry`` column (its value at ``pre``, or at
    ``post`` where the subject has no pre row). ``excluded`` lists, per measure, the subjects
    lacking a value at one or both timepoints (reasons ``no-pre``, ``no-post``, ``no-data``;
    ``detail`` names the measure); they stay in ``table`` with missing values, so a caller
    decides whether to keep or set them aside. ``rows`` are the validated rows in scope.
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    rows: pd.DataFrame

    def complete(self, measure: str) -> pd.DataFrame:
        """The rows of ``table`` with both values of ``measure`` present."""
        t = self.table
        return t[t[f"{measure}_pre"].notna() & t[f"{measure}_post"].notna()]


def pair_long(
    data: pd.DataFrame,
    *,
    measures: Sequence[str],
    subject: str,
    timepoint: str,
    pre: Any,
    post: Any,
    group: str | None = None,
    carry: Sequence[str] = (),
    context: str,
) -> Paired:
    """Validate long data and pair each measure at ``pre`` and ``post`` by subject.

    The one pairing of the package: every function comparing two timepoints calls it, so
    every one validates the same way (:func:`validate_long`: ids present, one row per
    subject and timepoint, finite numeric measures, one group per subject) and reports the
    same exclusions. ``group`` is validated and carried like ``carry`` columns.
    Arguments are expected to be checked already (columns exist, ``pre != post``).
    """
    from past_outcomes.results import excluded_frame

    carried = list(dict.fromkeys([*([group] if group else []), *carry]))
    rows = validate_long(
        data[list(dict.fromkeys([subject, timepoint, *measures, *carried]))],
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        id_columns=[subject, *([group] if group else [])],
        measures=measures,
        group=group,
        context=context,
    )
    subjects = pd.Index(rows[subject].unique())
    is_pre = (rows[timepoint] == pre).to_numpy()
    at_pre = rows.iloc[np.flatnonzero(is_pre)].set_index(subject)
    at_post = rows.iloc[np.flatnonzero(~is_pre)].set_index(subject)
    table = pd.DataFrame({subject: subjects})
    records: list[dict] = []
    for m in measures:
        x = at_pre[m].reindex(subjects).to_numpy(dtype=float)
        y = at_post[m].reindex(subjects).to_numpy(dtype=float)
        table[f"{m}_pre"], table[f"{m}_post"] = x, y
        for reason, mask in (
            ("no-data", np.isnan(x) & np.isnan(y)),
            ("no-pre", np.isnan(x) & ~np.isnan(y)),
            ("no-post", ~np.isnan(x) & np.isnan(y)),
        ):
            records += [
                {"subject": s, "reason": reason, "detail": m} for s in subjects[mask].tolist()
            ]
    for col in carried:
        first = at_pre[col].reindex(subjects)
        table[col] = first.where(first.notna(), at_post[col].reindex(subjects)).to_numpy()
    return Paired(table=table, excluded=excluded_frame(records), rows=rows)
