"""``score`` and ``validate_responses`` on a Dask DataFrame: lazy, partition by partition.

``score(ddf, instrument=...)`` and ``validate_responses(ddf, ...)`` dispatch here when
``ddf`` is a ``dask.dataframe.DataFrame``. The result is a lazy Dask DataFrame with the same
partitions (and divisions) as ``ddf``; each partition holds exactly what the pandas function
returns for that partition, so ``result.compute()`` equals the pandas result on
``ddf.compute()`` (same columns, dtypes, index and values).

How the failures of every partition become one error
-----------------------------------------------------
Computing the result runs two passes over the data, each partition by partition, so memory
stays bounded by a few partitions whatever the size of the data:

1. *Validation.* Every partition is read and validated (the engine of
   ``past_outcomes._responses``); each keeps its first :data:`CAP` failures and the exact count
   of all of them, by column and reason. Its ``(subject, timepoint)`` pairs go into a hash
   shuffle on those two columns (``DataFrame.shuffle``: Dask's own engine, in tasks, or
   peer to peer on a ``dask.distributed`` cluster), which brings every copy of a pair into
   the same output partition; a pair seen twice there is a duplicate, even when its two rows
   lie in different input partitions. One check task gathers the failure tables, the counts
   and the duplicates and raises one :class:`~past_outcomes.errors.ResponseValidationError`:
   ``failure_cases`` lists at most :data:`CAP` failures in partition order (each located by
   ``row`` label, ``subject``, ``timepoint`` and global 0-based ``position``), and the
   message gives the exact total per reason, however many millions there are.
2. *Scoring.* Only when the check passes is any partition scored; the data are read again
   (the validation pass uses a clone of the input graph, :func:`dask.graph_manipulation.clone`,
   so no partition waits in memory for the check). Writing the result (``to_parquet``) thus
   never starts on invalid data.

Column failures (a required item column missing, an unknown ``<id>_<n>`` column) and argument
errors depend on the columns only: they are raised at the call, from the frame's metadata.

Unlike the pandas function, ``score(..., missing="prorate")`` on Dask does not warn (the
partitions are scored in worker threads or processes); the ``*_prorated`` columns record every
prorated score.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import ArgumentError, ProrationWarning, ResponseValidationError

__all__ = ["CAP", "is_dask_frame", "score_dask", "validate_dask"]

#: At most this many failures are kept per partition and listed in ``failure_cases``.
CAP = 10_000
_DUPLICATE = "duplicate-observation"
_REMEDY = (
    "Remedy: fix or recode the listed cells (answers must use the instrument's official "
    "codes; leave unanswered items empty), map differently named columns with "
    "items={'your column': 'item column'}, and keep one row per subject and timepoint."
)


def is_dask_frame(data: Any) -> bool:
    """Whether ``data`` is a Dask DataFrame (without importing Dask when it is not loaded)."""
    import sys

    if "dask.dataframe" not in sys.modules:
        return False
    import dask.dataframe as dd

    return isinstance(data, dd.DataFrame)


def score_dask(
    data: Any,
    *,
    instrument: Any,
    items: Mapping[str, str] | None = None,
    missing: str = "complete",
    subject: str | None = "subject",
    timepoint: str | None = "timepoint",
) -> Any:
    """:func:`past_outcomes.score` on a Dask DataFrame (see the module docstring).

    Returns a lazy Dask DataFrame of the scores, one partition per partition of ``data``.
    Computing it raises one ResponseValidationError for the failures of every partition.
    """
    from past_outcomes.scoring import score

    kwargs = {"instrument": instrument, "items": items, "missing": missing}
    return _lazy(data, score, kwargs, subject, timepoint)


def validate_dask(
    data: Any,
    *,
    instrument: Any,
    items: Mapping[str, str] | None = None,
    subject: str | None = "subject",
    timepoint: str | None = "timepoint",
) -> Any:
    """:func:`past_outcomes.validate_responses` on a Dask DataFrame: a lazy Dask DataFrame of
    the clean item matrix (see the module docstring)."""
    from past_outcomes.scoring import validate_responses

    kwargs = {"instrument": instrument, "items": items}
    return _lazy(data, validate_responses, kwargs, subject, timepoint)


# --------------------------------------------------------------------------------------------
# the two passes
# --------------------------------------------------------------------------------------------


def _lazy(data: Any, func: Any, kwargs: dict[str, Any], subject: Any, timepoint: Any) -> Any:
    """The result frame: ``func`` per partition, after the check of the validation pass."""
    from past_outcomes._responses import id_columns

    meta = _quiet(func, data._meta, **kwargs, subject=subject, timepoint=timepoint)
    s_col, t_col = id_columns(data._meta, subject, timepoint)
    args = _Args(kwargs, s_col, t_col)
    check = _check_task(data, args)
    return data.map_partitions(
        _apply, check, func, kwargs, s_col, t_col, meta=meta, align_dataframes=False
    )


@dataclass(frozen=True)
class _Args:
    kwargs: dict[str, Any]
    subject: Any
    timepoint: Any


def _quiet(func: Any, part: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """``func(part, ...)`` without the ProrationWarning (the columns record proration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProrationWarning)
        return func(part, **kwargs)


def _apply(
    part: pd.DataFrame, ok: bool, func: Any, kwargs: dict[str, Any], subject: Any, timepoint: Any
) -> pd.DataFrame:
    """One partition of the result; ``ok`` is the check's value (it raised otherwise)."""
    if ok is not True:  # unreachable: the check raises or returns True
        raise RuntimeError("the validation check did not pass")
    return _quiet(func, part, **kwargs, subject=subject, timepoint=timepoint)


def _check_task(data: Any, args: _Args) -> Any:
    """The delayed check: validates a clone of every partition and finds duplicates."""
    import dask
    import dask.dataframe as dd
    from dask.graph_manipulation import clone

    parts = clone(*data.to_delayed())
    if not isinstance(parts, (tuple, list)):  # one partition: clone returns it alone
        parts = (parts,)
    partials = [dask.delayed(_validate_part, pure=True)(p, i, args) for i, p in enumerate(parts)]
    duplicates: list[Any] = []
    if args.subject is not None and args.timepoint is not None:
        pair_meta = _pairs(data._meta, 0, args)
        # identifiers and row labels keep their own types (no conversion to Arrow strings)
        with dask.config.set({"dataframe.convert-string": False}):
            pairs = dd.from_delayed(
                [dask.delayed(_getitem)(p, "pairs") for p in partials],
                meta=pair_meta,
                verify_meta=False,
            )
            shuffled = pairs.shuffle(on=["s", "t"], npartitions=max(1, data.npartitions))
            dups = shuffled.map_partitions(_duplicated_pairs, meta=pair_meta)
            duplicates = list(dups.to_delayed())
    summaries = [dask.delayed(_getitem)(p, "summary") for p in partials]
    return dask.delayed(_raise_failures, pure=True)(summaries, duplicates, args)


def _getitem(mapping: dict[str, Any], key: str) -> Any:
    return mapping[key]


def _validate_part(part: pd.DataFrame, number: int, args: _Args) -> dict[str, Any]:
    """The failures of one partition (at most :data:`CAP`, with exact counts by column and
    reason; duplicates left to the shuffle) and its identifier pairs."""
    from past_outcomes._responses import validated_matrices
    from past_outcomes.scoring import _resolve_instruments

    instruments = _resolve_instruments(args.kwargs["instrument"])
    cases = _no_failures()
    try:
        validated_matrices(part, instruments, args.kwargs["items"], args.subject, args.timepoint)
    except ResponseValidationError as exc:
        fc = exc.failure_cases
        cases = fc[(fc["reason"] != _DUPLICATE) & fc["position"].notna()]
    counts = cases.groupby(["column", "reason"], sort=False, dropna=False).size()
    summary = {"number": number, "rows": len(part), "cases": cases.head(CAP), "counts": counts}
    return {"summary": summary, "pairs": _pairs(part, number, args)}


def _no_failures() -> pd.DataFrame:
    columns = ["row", "subject", "timepoint", "column", "value", "reason", "position", "message"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _pairs(part: pd.DataFrame, number: int, args: _Args) -> pd.DataFrame:
    """``s, t, row, partition, position`` for the rows with both identifiers."""
    if args.subject is None or args.timepoint is None:
        return pd.DataFrame()
    s = part[args.subject].to_numpy(dtype=object)
    t = part[args.timepoint].to_numpy(dtype=object)
    keep = ~(pd.isna(s) | pd.isna(t))
    rows = np.flatnonzero(keep)
    return pd.DataFrame(
        {
            "s": pd.Series(s[rows], dtype=object),
            "t": pd.Series(t[rows], dtype=object),
            "row": pd.Series(part.index.to_numpy(dtype=object)[rows], dtype=object),
            "partition": np.full(len(rows), number, dtype=np.int64),
            "position": rows.astype(np.int64),
        }
    )


def _duplicated_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The rows of one shuffled partition whose pair occurs more than once."""
    if pairs.empty:
        return pairs
    try:
        dup = pairs.duplicated(subset=["s", "t"], keep=False).to_numpy()
    except TypeError:  # unhashable ids: the partition's own check reported them
        return pairs.iloc[:0]
    return pairs[dup]


def _raise_failures(summaries: list[dict], duplicates: list[pd.DataFrame], args: _Args) -> bool:
    """True when nothing failed; else one ResponseValidationError for every partition."""
    summaries = sorted(summaries, key=lambda s: s["number"])
    offsets = np.cumsum([0] + [s["rows"] for s in summaries])
    frames, counts = [], []
    for s in summaries:
        if len(s["cases"]):
            cases = s["cases"].copy()
            cases["position"] = cases["position"].astype("int64") + int(offsets[s["number"]])
            frames.append(cases)
        counts.append(s["counts"])
    dup = _duplicate_failures(duplicates, offsets, args)
    if len(dup):
        frames.append(dup.head(CAP))
        counts.append(dup.groupby(["column", "reason"], sort=False).size())
    if not frames:
        return True
    total = pd.concat(counts).groupby(level=["column", "reason"], sort=False).sum()
    cases = pd.concat(frames, ignore_index=True)
    n_total = int(total.sum())
    listed = cases.head(CAP)
    by_reason = total.groupby(level="reason", sort=False).sum()
    parts = ", ".join(f"{reason} x{int(n):,}" for reason, n in by_reason.items())
    failing = sum(1 for s in summaries if len(s["cases"]))
    context = (
        f"Responses to {_names(args)} failed validation in {failing} of {len(summaries)} "
        f"partition(s): {n_total:,} failure(s) in all ({parts})"
    )
    if n_total > len(listed):
        context += f"; the first {len(listed):,} are in .failure_cases"
    raise ResponseValidationError(listed, context=context, remedy=_REMEDY)


def _names(args: _Args) -> str:
    from past_outcomes.scoring import _resolve_instruments

    return ", ".join(i.id for i in _resolve_instruments(args.kwargs["instrument"]))


def _duplicate_failures(duplicates: list[pd.DataFrame], offsets: np.ndarray, args: _Args):
    """``duplicate-observation`` rows (every row of a repeated pair, in position order)."""
    found = [d for d in duplicates if len(d)]
    if not found:
        return pd.DataFrame()
    from past_outcomes._cells import cell_text

    dup = pd.concat(found, ignore_index=True)
    start = offsets[dup["partition"].to_numpy(dtype=np.int64)]
    dup = dup.assign(position=start + dup["position"].to_numpy()).sort_values("position")
    s_text, t_text = cell_text(args.subject), cell_text(args.timepoint)
    return duplicate_cases(
        dup,
        column=f"{s_text}+{t_text}",
        positions=dup["position"].to_numpy(dtype=np.int64),
        where="; the repeat may lie in another partition",
    )


def duplicate_cases(
    dup: pd.DataFrame, *, column: str, positions: Any = None, where: str = ""
) -> pd.DataFrame:
    """Failure rows (reason ``duplicate-observation``) for repeated subject-timepoint rows
    found by a partitioned or chunked check; ``dup`` has columns ``s``, ``t`` and ``row``.
    Sentences are written for the first 50 only, as in the in-memory engine."""
    from past_outcomes._cells import cell_text

    messages = [
        f"subject {cell_text(s)} has more than one row at timepoint {cell_text(t)} (row "
        f"{cell_text(r)}){where}. Keep one administration per subject and timepoint, or give "
        "repeats distinct timepoints."
        if i < 50
        else None
        for i, (s, t, r) in enumerate(zip(dup["s"], dup["t"], dup["row"], strict=True))
    ]
    return pd.DataFrame(
        {
            "row": dup["row"].to_numpy(dtype=object),
            "subject": dup["s"].to_numpy(dtype=object),
            "timepoint": dup["t"].to_numpy(dtype=object),
            "column": column,
            "value": dup["t"].to_numpy(dtype=object),
            "reason": _DUPLICATE,
            "position": positions,
            "message": messages,
        }
    )


def check_not_dask(data: Any, name: str = "data") -> None:
    """Refuse a Dask DataFrame where only pandas is supported (an ArgumentError)."""
    if is_dask_frame(data):
        raise ArgumentError(
            f"{name} must be a pandas DataFrame here; got a Dask DataFrame. Compute it first "
            "(data.compute()) if it fits in memory, or use the registry functions."
        )
