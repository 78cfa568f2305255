"""Long data to model rows for the MMRM (private): the first steps of ``fit_mmrm``.

``fit_mmrm`` takes long data (one row per subject and timepoint, the raw score in
``measure``, the baseline as rows at ``pre``). This module turns it into the rows the model
fits, one named step at a time:

:func:`check_arguments`
    names, options, ``pre`` and the ``timepoints`` asked for, as a :class:`Spec`;
:func:`validate`
    the shared long-data validation (:func:`past_outcomes._long.validate_long`: missing
    ids, duplicates, not-a-number, not-finite, inconsistent-group) of the rows in scope;
    rows at timepoints not analysed are set aside (``other-timepoint``);
:func:`subjects`
    one row per subject: the baseline score, group and covariates, read at ``pre``, and
    the subjects set aside (``no-data``, ``no-baseline``, ``no-post``, ``no-group``,
    ``missing-covariate``);
:func:`observations`
    the outcome (change from ``pre`` or the score) at each post-baseline timepoint;
:func:`time_levels`, :func:`group_levels`
    the timepoints and groups in the order the tables use.

The helpers at the end compare cell values of any type (text, numbers, booleans...) without
raising, since identifiers come from users' files.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_option
from past_outcomes._long import validate_long
from past_outcomes.errors import ArgumentError, EstimationError, short_repr
from past_outcomes.results import excluded_frame
from past_outcomes.stats._common import check_confidence, check_name

COVARIANCE_STRUCTURES = (
    "unstructured",
    "toeplitz",
    "heterogeneous-ar1",
    "ar1",
    "heterogeneous-compound-symmetry",
    "compound-symmetry",
)
DF_METHODS = ("satterthwaite", "kenward-roger")
OUTCOMES = ("change", "score")
SHOWN = 5  # subjects or rows named in a note or a warning


# --------------------------------------------------------------------------------------
# step 1: arguments


@dataclasses.dataclass(frozen=True)
class Spec:
    measure: str
    subject: str
    timepoint: str
    group: str
    pre: Any
    control: Any
    treatment: Any
    covariates: tuple[str, ...]
    numeric: tuple[str, ...]  # numeric covariates
    covariance: tuple[str, ...]  # the structure, or the fallback order
    outcome: str
    timepoints: tuple | None
    confidence: float
    df: str = "satterthwaite"
    baseline_by_timepoint: bool = False

    @property
    def baseline_term(self) -> str:
        return f"{self.measure}_pre"


def check_arguments(data: pd.DataFrame, **kw: Any) -> Spec:
    """Check every argument; return them as a :class:`Spec`."""
    check_dataframe("data", data)
    names = {k: check_name(k, kw[k]) for k in ("measure", "subject", "timepoint", "group")}
    covariates = (kw["covariates"],) if isinstance(kw["covariates"], str) else kw["covariates"]
    if isinstance(covariates, Mapping) or not isinstance(covariates, Iterable):
        raise ArgumentError(
            "covariates must be a column name or a list of column names; got "
            f"{short_repr(covariates)}. Pass e.g. covariates=['age'], or () for none."
        )
    covariates = tuple(check_name("covariates", c) for c in covariates)
    structures = _check_covariance(kw["covariance"])
    check_option("outcome", kw["outcome"], OUTCOMES)
    check_option("df", kw.get("df", "satterthwaite"), DF_METHODS)
    by_time = kw.get("baseline_by_timepoint", False)
    if not isinstance(by_time, bool | np.bool_):
        raise ArgumentError(
            f"baseline_by_timepoint must be True or False; got {short_repr(by_time)}."
        )
    confidence = check_confidence(kw["confidence"])
    roles = [*names.values(), *covariates]
    check_columns(data, roles)
    repeated = sorted({c for c in roles if roles.count(c) > 1})
    if repeated:
        raise ArgumentError(
            f"each column must play one role; got {', '.join(map(repr, repeated))} more than "
            "once among measure, subject, timepoint, group and covariates."
        )
    measure, timepoint = names["measure"], names["timepoint"]
    if f"{measure}_pre" in covariates:
        raise ArgumentError(
            f"covariates must not include {measure}_pre: fit_mmrm derives the baseline "
            f"covariate itself from the rows at pre. Remove it from covariates."
        )
    pre = _check_pre(data, timepoint, kw["pre"])
    timepoints = _check_timepoints(kw["timepoints"], pre)
    for name in ("control", "treatment"):
        if kw[name] is not None and not isinstance(kw[name], Hashable):
            raise ArgumentError(f"{name} must be a level of {names['group']}; got {kw[name]!r}.")
    if kw["treatment"] is not None and same(kw["treatment"], kw["control"]):
        raise ArgumentError(f"treatment and control must differ; both are {kw['control']!r}.")
    return Spec(
        **names,
        pre=pre,
        control=kw["control"],
        treatment=kw["treatment"],
        covariates=covariates,
        numeric=tuple(c for c in covariates if not is_categorical(data[c])),
        covariance=structures,
        outcome=kw["outcome"],
        timepoints=timepoints,
        confidence=confidence,
        df=kw.get("df", "satterthwaite"),
        baseline_by_timepoint=bool(by_time),
    )


def _check_covariance(covariance: Any) -> tuple[str, ...]:
    """One structure name, or a fallback order: a list of distinct structure names."""
    if isinstance(covariance, str):
        check_option("covariance", covariance, COVARIANCE_STRUCTURES)
        return (covariance,)
    listed = list(covariance) if isinstance(covariance, list | tuple) else None
    if not listed:
        raise ArgumentError(
            f"covariance must be one of {', '.join(map(repr, COVARIANCE_STRUCTURES))}, or a "
            f"list of them (a fallback order); got {short_repr(covariance)}."
        )
    for name in listed:
        check_option("covariance", name, COVARIANCE_STRUCTURES)
    if len(set(listed)) != len(listed):
        raise ArgumentError(
            f"covariance must list each structure once; got {listed!r}. Remove the repeats."
        )
    return tuple(listed)


def _check_pre(data: pd.DataFrame, timepoint: str, pre: Any) -> Any:
    values = data[timepoint]
    if pre is None or not isinstance(pre, Hashable) or not is_value_of(values, pre):
        present = list(pd.unique(values.dropna()))
        shown = ", ".join(short_repr(v, 30) for v in present[:20])
        among = (
            f"which is not among its values ({shown}{', ...' if len(present) > 20 else ''})"
            if present
            else "and the column has no values"
        )
        raise ArgumentError(
            f"pre must be a value of the {timepoint!r} column (the baseline timepoint); got "
            f"{short_repr(pre)}, {among}. Pass e.g. pre='baseline'."
        )
    return pre


def _check_timepoints(timepoints: Any, pre: Any) -> tuple | None:
    if timepoints is None:
        return None
    if isinstance(timepoints, str) or not isinstance(timepoints, Iterable):
        raise ArgumentError(
            f"timepoints must be a list of post-baseline timepoints; got {short_repr(timepoints)}."
        )
    listed = list(timepoints)
    if not listed or not all(isinstance(t, Hashable) for t in listed):
        raise ArgumentError(
            f"timepoints must list at least one post-baseline timepoint; got {listed!r}."
        )
    if len(set(listed)) != len(listed):
        raise ArgumentError(
            f"timepoints must list each timepoint once; got {listed!r}. Remove the repeats."
        )
    if any(same(t, pre) for t in listed):
        raise ArgumentError(
            f"timepoints must list post-baseline timepoints only; got pre ({pre!r}) among them. "
            "The baseline enters the model as a covariate: remove it from timepoints."
        )
    return tuple(listed)


# --------------------------------------------------------------------------------------
# step 2: validation


def validate(data: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validated rows in scope (:func:`validate_long`), and rows at other timepoints set aside.

    In scope: the rows at ``pre`` and at the analysed timepoints (every row when
    ``timepoints`` is not given), and rows whose timepoint is missing (a data error).
    """
    s = spec
    columns = list(dict.fromkeys([s.subject, s.timepoint, s.group, s.measure, *s.covariates]))
    frame = data[columns]
    other = excluded_frame()
    if s.timepoints is not None:
        times = frame[s.timepoint]
        in_scope = (times.isna() | times.isin([s.pre, *s.timepoints])).to_numpy()
        outside = frame.iloc[np.flatnonzero(~in_scope)]
        frame = frame.iloc[np.flatnonzero(in_scope)]
        if len(outside):
            found = outside.groupby(s.subject, sort=False, dropna=False)[s.timepoint]
            other = excluded_frame(
                {
                    "subject": subj,
                    "reason": "other-timepoint",
                    "detail": f"row(s) at {', '.join(map(repr, pd.unique(t)))} "
                    "(not among timepoints)",
                }
                for subj, t in found
            )
    rows = validate_long(
        frame,
        subject=s.subject,
        timepoint=s.timepoint,
        id_columns=[s.subject, s.timepoint],
        measures=[s.measure, *s.numeric],
        group=s.group,
        context="fit_mmrm",
    )
    return rows, other


# --------------------------------------------------------------------------------------
# step 3: one row per subject


def subjects(rows: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """One row per analysable subject (``baseline``, ``group`` and covariates, read at
    ``pre``; the group from any row); the subjects set aside; notes."""
    s = spec
    is_pre = equals(rows[s.timepoint], s.pre)
    ids = pd.Index(pd.unique(rows[s.subject]))
    at_pre = rows.iloc[np.flatnonzero(is_pre)].set_index(s.subject)
    post = rows.iloc[np.flatnonzero(~is_pre)]
    table = pd.DataFrame(index=ids)
    table["baseline"] = at_pre[s.measure].reindex(ids).to_numpy(dtype=float)
    table["group"] = rows.groupby(s.subject, sort=False)[s.group].first().reindex(ids)
    for c in s.covariates:
        table[c] = at_pre[c].reindex(ids)
    n_post = post.groupby(s.subject, sort=False)[s.measure].count().reindex(ids, fill_value=0)
    has_base, has_post = table["baseline"].notna().to_numpy(), (n_post > 0).to_numpy()
    checks: list[tuple[str, np.ndarray, str]] = [
        ("no-data", ~has_base & ~has_post, f"no {s.measure} at any timepoint analysed"),
        ("no-baseline", ~has_base & has_post, f"no {s.measure} at {s.pre!r}"),
        ("no-post", has_base & ~has_post, f"no {s.measure} after {s.pre!r}"),
        ("no-group", table["group"].isna().to_numpy(), f"{s.group} missing"),
    ]
    checks += [  # only where a baseline is there: without one, no-baseline says it all
        ("missing-covariate", has_base & table[c].isna().to_numpy(), f"{c} missing at {s.pre!r}")
        for c in s.covariates
    ]
    records = [
        (pos, rank, reason, detail)
        for rank, (reason, mask, detail) in enumerate(checks)
        for pos in np.flatnonzero(mask)
    ]
    records.sort()
    excluded = excluded_frame(
        {"subject": ids[int(pos)], "reason": reason, "detail": detail}
        for pos, _, reason, detail in records
    )
    keep = np.ones(len(ids), dtype=bool)
    keep[[pos for pos, *_ in records]] = False
    return table.iloc[np.flatnonzero(keep)], excluded, _varying_covariates(rows, spec)


def _varying_covariates(rows: pd.DataFrame, spec: Spec) -> list[str]:
    """A note per covariate whose value differs between the rows of a subject."""
    notes = []
    for c in spec.covariates:
        # pandas casts object values while counting them: a value beyond int64 (7e50,
        # allowed in a covariate) warned "overflow encountered in cast" (attack census)
        with np.errstate(over="ignore", invalid="ignore"):
            n = rows.groupby(spec.subject, sort=False)[c].nunique()
        if (n > 1).any():
            notes.append(
                f"{c} differs between the rows of {int((n > 1).sum())} subject(s); the model "
                f"uses each subject's value at {spec.pre!r} (covariates are baseline values)."
            )
    return notes


# --------------------------------------------------------------------------------------
# step 4: observations


def observations(
    rows: pd.DataFrame, subjects: pd.DataFrame, spec: Spec, excluded: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """One row per analysed post-baseline observation: ``subject, timepoint, group, y,
    baseline`` and the covariates; notes on rows without a value."""
    s = spec
    if subjects.empty:
        counts = excluded["reason"].value_counts()
        raise EstimationError(
            f"fit_mmrm needs subjects with {s.measure} at {s.pre!r} and after it, a {s.group} "
            "and every covariate; none has "
            f"({', '.join(f'{n} {r}' for r, n in counts.items()) or 'no rows'}). "
            "Check pre, measure and the covariates."
        )
    post = rows.iloc[np.flatnonzero(~equals(rows[s.timepoint], s.pre))]
    post = post.iloc[np.flatnonzero(post[s.subject].isin(subjects.index).to_numpy())]
    value = post[s.measure].to_numpy(dtype=float)
    notes = []
    missing = np.flatnonzero(np.isnan(value))
    if len(missing):
        shown = ", ".join(
            f"{text(post[s.subject].iloc[i])} at {post[s.timepoint].iloc[i]!r}"
            for i in missing[:SHOWN]
        )
        notes.append(
            f"{len(missing)} post-baseline row(s) of analysed subjects have no {s.measure} "
            f"({shown}{', ...' if len(missing) > SHOWN else ''}): missed visits, assumed "
            "missing at random."
        )
    post = post.iloc[np.flatnonzero(~np.isnan(value))]
    ids = post[s.subject]
    per_subject = subjects.reindex(ids)
    baseline = per_subject["baseline"].to_numpy()
    value = post[s.measure].to_numpy(dtype=float)
    obs = pd.DataFrame(
        {
            "subject": ids.to_numpy(),
            "timepoint": post[s.timepoint].array,
            "group": per_subject["group"].array,
            "y": value - baseline if s.outcome == "change" else value,
            "baseline": baseline,
        }
    )
    for c in s.covariates:
        obs[c] = per_subject[c].to_numpy(dtype=float) if c in s.numeric else per_subject[c].array
    return obs, notes


def time_levels(all_times: pd.Series, observed: pd.Series, spec: Spec) -> list:
    """Post-baseline timepoints in order: ``timepoints`` or the data's order; each observed."""
    if spec.timepoints is not None:
        levels = list(spec.timepoints)
        absent = [t for t in levels if not is_value_of(observed, t)]
        if absent:
            raise ArgumentError(
                f"timepoints lists {', '.join(map(repr, absent))}, but no analysed subject has "
                f"a {spec.measure} value there; remove it from timepoints."
            )
        return levels
    levels = [t for t in level_order(all_times) if not same(t, spec.pre)]
    return [t for t in levels if is_value_of(observed, t)]


def group_levels(all_groups: pd.Series, observed: pd.Series, spec: Spec) -> list:
    """Group levels of the analysed subjects, the control first."""
    levels = [g for g in level_order(all_groups) if is_value_of(observed, g)]
    for name in ("control", "treatment"):
        value = getattr(spec, name)
        if value is not None and not any(same(value, g) for g in levels):
            raise ArgumentError(
                f"{name} must be one of the levels of {spec.group} among the analysed subjects "
                f"({', '.join(map(repr, levels))}); got {value!r}."
            )
    if len(levels) < 2:
        raise ArgumentError(
            f"{spec.group} must have at least two levels to compare among the analysed "
            f"subjects; got only {', '.join(map(repr, levels)) or 'none'}."
        )
    control = levels[0] if spec.control is None else spec.control
    return [control] + [g for g in levels if not same(g, control)]


# --------------------------------------------------------------------------------------
# helpers: levels and comparisons that survive any cell type


def _natural_key(value: Any):
    if isinstance(value, str):
        return tuple(int(s) if i % 2 else s for i, s in enumerate(re.split(r"(\d+)", value)))
    return (value,)


def level_order(series: pd.Series | pd.api.extensions.ExtensionArray) -> list:
    """Levels in a stable order: categorical order, numeric order, or natural string order."""
    series = pd.Series(series)
    present = pd.unique(series.dropna())
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if c in set(present)]
    try:
        return sorted(present, key=_natural_key)
    except (TypeError, OverflowError):  # OverflowError: numpy float vs a huge Python int
        return sorted(present, key=lambda v: (type(v).__name__, str(v)))


def is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def same(a: Any, b: Any) -> bool:
    """``a == b`` for two cell values, False where they cannot be compared."""
    try:
        return bool(a is b or a == b)
    except (TypeError, ValueError, OverflowError):
        return False


def equals(values: Any, value: Any) -> np.ndarray:
    """Element-wise ``values == value`` as a boolean array, for cells of any type."""
    arr = np.asarray(values, dtype=object)
    if np.ndim(value) == 0:  # a scalar: numpy compares the cells in C
        try:
            out = arr == value
        except (TypeError, ValueError, OverflowError):
            out = None
        if isinstance(out, np.ndarray) and out.dtype == bool and out.shape == arr.shape:
            return out
    return np.fromiter((same(v, value) for v in arr), dtype=bool, count=len(arr))


def is_value_of(values: Any, value: Any) -> bool:
    return bool(equals(values, value).any())


def text(value: Any) -> str:
    """A value as a message shows it: short text bare, anything else as a short repr."""
    return value if isinstance(value, str) and len(value) <= 40 else short_repr(value, 40)
