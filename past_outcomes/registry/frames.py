"""``score`` and ``validate_responses`` on a Dask DataFrame: lazy, partition by partition.

``score(ddf, instrument=...)`` and ``validate_responses(ddf, ...)`` dispatch here when
``ddf`` is a ``dask.dataframe.DataFrame``. The result is a lazy Dask DataFrame with the same
partitions (and divisions) as ``ddf``; each partition holds exactly what the pandas function
returns for that partition, so ``result.compute()`` equals the pandas result on
``ddf.compute()`` (same columns, dtypes, index and values).

How the failures of every partition become one error
-----------------------------------------------------
Each partition is read once (since session 18; the validation and the scoring read it twice
before) by one task that validates and scores it: the engine of
``past_outcomes._responses`` runs inside ``func`` (identifiers of text or numbers with none
missing are left out of its call, so that it takes its fast path, and a partition that fails
is validated again with them to locate its failures). The task keeps the partition's first
:data:`CAP` failures with the exact count of all of them, by column and reason; its pair
hashes; and, when it passed, its result pickled and compressed (Zstandard, exact: about a
twelfth of the size of PHQ-9 + GAD-7 scores with their identifiers), held until every
partition has been checked.

Duplicates across partitions are found as the streamed ``past-outcomes score`` finds them
across chunks: each partition hashes its ``(subject, timepoint)`` pairs to 64 bits (no Python
objects) and splits the hashes, 8 bytes a row, into :data:`BUCKETS` buckets by hash modulo
the number of buckets; one reduction per bucket sorts them and returns the repeated hashes
with the partitions holding them. Only those candidates are confirmed exactly: the partitions
holding one are read again (one at a time, only when there is a candidate), hashed again to
find the rows, and their identifiers compared with pandas ``duplicated``, as the in-memory
check does, so a hash collision never reports a false duplicate. (Until session 19 each hash
travelled with its row position, 16 bytes a row, and each bucket was sorted with them.)
A last reduction gathers the failure summaries; each partition of the result runs
the check on them (cheap when nothing failed) and raises one
:class:`~past_outcomes.errors.ResponseValidationError`: ``failure_cases`` lists at most
:data:`CAP` failures in partition order (each located by ``row`` label, ``subject``,
``timepoint`` and global 0-based ``position``), and the message gives the exact total per
reason, however many millions there are. No partition of the result is released before the
check of every partition, so writing the result (``to_parquet``) never starts on invalid
data; memory holds the compressed results, not the input.

Every step is blockwise on the input or a reduction of it (Dask's ``map_partitions`` and
``reduction``), so the result stays partition-aligned with ``data``:
``data[["subject"]].assign(**dict(result.items()))`` pairs the rows of each partition, with
no shuffle, whatever the index.

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

__all__ = ["BUCKETS", "CAP", "is_dask_frame", "plain_ids", "score_dask", "validate_dask"]

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
    keep: list[Any] | None = None,
) -> Any:
    """:func:`past_outcomes.score` on a Dask DataFrame (see the module docstring).

    Returns a lazy Dask DataFrame of the scores, one partition per partition of ``data``.
    Computing it raises one ResponseValidationError for the failures of every partition.
    """
    from past_outcomes.scoring import score

    kwargs = {"instrument": instrument, "items": items, "missing": missing, "keep": keep}
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
    """The result frame: each partition read once, validated and scored by one task; its
    scores are released (held compressed until then) once the check of every partition has
    passed. Every step is blockwise on ``data`` or a reduction of it, so the result stays
    partition-aligned with ``data`` (``data[["subject"]].assign(**result)`` pairs rows)."""
    from past_outcomes._responses import id_columns

    meta = _quiet(func, data._meta, **kwargs, subject=subject, timepoint=timepoint)
    s_col, t_col = id_columns(data._meta, subject, timepoint)
    args = _Args(kwargs, s_col, t_col)
    n_buckets = max(1, min(data.npartitions, BUCKETS))
    held = data.map_partitions(
        _validate_part, args, n_buckets, func, meta=_HELD_META, enforce_metadata=False
    )
    summaries = held.reduction(_summary_of, aggregate=_listed, meta=object, split_every=False)
    candidates = []
    lookup = None
    if args.pairs:
        candidates = [
            held.reduction(
                _bucket_of,
                aggregate=_candidates_of,
                chunk_kwargs={"b": b},
                meta=object,
                split_every=False,
            )
            for b in range(n_buckets)
        ]
        lookup = _Lookup(data[list(dict.fromkeys([args.subject, args.timepoint]))])
    return held.map_partitions(
        _release, args, lookup, summaries, *candidates, meta=meta, enforce_metadata=False
    )


_HELD_META = pd.DataFrame({"held": pd.Series(dtype=object)})


def _summary_of(held: pd.DataFrame) -> pd.DataFrame:
    """The failure summary of one partition (Dask may call this on the empty meta)."""
    return pd.DataFrame({"held": [h[0] for h in held["held"]]}, dtype=object)


def _bucket_of(held: pd.DataFrame, b: int) -> pd.DataFrame:
    """The share of bucket ``b`` of one partition's pair hashes."""
    return pd.DataFrame({"held": [h[1][b] for h in held["held"]]}, dtype=object)


def _listed(frame: pd.DataFrame) -> list[Any]:
    return list(frame["held"])


def _candidates_of(frame: pd.DataFrame) -> np.ndarray:
    return _candidates(list(frame["held"]))


@dataclass(frozen=True)
class _Args:
    kwargs: dict[str, Any]
    subject: Any
    timepoint: Any

    @property
    def pairs(self) -> bool:
        """Whether the (subject, timepoint) pairs are checked for duplicates."""
        return self.subject is not None and self.timepoint is not None


def _quiet(func: Any, part: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """``func(part, ...)`` without the ProrationWarning (the columns record proration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProrationWarning)
        return func(part, **kwargs)


def _release(
    held: pd.DataFrame, args: _Args, lookup: Any, summaries: list[dict], *candidates: np.ndarray
) -> pd.DataFrame:
    """One partition of the result, held compressed by :func:`_validate_part`, once the check
    of every partition passed (each partition runs the check: it raises or returns True)."""
    import pickle

    import pyarrow as pa

    _raise_failures(summaries, list(candidates), lookup, args)
    kept = held["held"].iloc[0][2]
    if kept is None:  # unreachable: a failing partition makes the check raise
        raise RuntimeError("the validation check did not pass")
    size, packed = kept
    return pickle.loads(pa.Codec("zstd").decompress(packed, decompressed_size=size, asbytes=True))


def _hold(frame: pd.DataFrame) -> tuple[int, bytes]:
    """``frame`` pickled and compressed (Zstandard level 1, exact), while the other partitions
    are checked. Measured in session 19 on 500,000 PHQ-9 + GAD-7 scores with four identifier
    columns kept (58 MB pickled): LZ4 17 MB in 0.15 s there and back, Zstandard level 1
    4.8 MB in 0.28 s; with 20 partitions held per worker, LZ4 put the worker above 1 GiB."""
    import pickle

    import pyarrow as pa

    raw = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    return len(raw), pa.Codec("zstd", compression_level=1).compress(raw, asbytes=True)


def _validate_part(
    part: pd.DataFrame, args: _Args, n_buckets: int, func: Any, partition_info: Any = None
) -> pd.DataFrame:
    """One partition read once: its failures (at most :data:`CAP`, with exact counts by
    column and reason; duplicates left to the buckets), its pair hashes split into
    ``n_buckets`` and, when it passed, ``func``'s result held compressed (:func:`_hold`).

    Identifiers of text or numbers with none missing are left out of the engine's call (its
    fast path: no conversion of the identifiers to Python objects, no duplicate check within
    the partition); a partition that fails is validated again with them, so that every
    failure names its subject and timepoint."""
    from past_outcomes._responses import validated_matrices
    from past_outcomes.scoring import _resolve_instruments

    kwargs = args.kwargs
    fast = args.pairs and plain_ids(part, (args.subject, args.timepoint))
    cases, held = _no_failures(), None
    try:
        if fast:
            held = _hold(_quiet(func, part, **kwargs, subject=None, timepoint=None))
        else:
            held = _hold(
                _quiet(func, part, **kwargs, subject=args.subject, timepoint=args.timepoint)
            )
    except ResponseValidationError as exc:
        fc = exc.failure_cases
        if fast:
            instruments = _resolve_instruments(kwargs["instrument"])
            try:
                validated_matrices(part, instruments, kwargs["items"], args.subject, args.timepoint)
            except ResponseValidationError as again:
                fc = again.failure_cases
        cases = fc[(fc["reason"] != _DUPLICATE) & fc["position"].notna()]
    counts = cases.groupby(["column", "reason"], sort=False, dropna=False).size()
    number = partition_info["number"] if partition_info else 0
    summary = {"number": number, "rows": len(part), "cases": cases.head(CAP), "counts": counts}
    return pd.DataFrame({"held": [(summary, _split_hashes(part, args, n_buckets), held)]})


def plain_ids(part: pd.DataFrame, columns: tuple[Any, ...]) -> bool:
    """Whether the identifier ``columns`` that ``part`` has hold text or numbers (not
    objects), none missing: the engine may then be called without them (its fast path), in
    a partition here and in a chunk of the streamed command line."""
    for col in columns:
        if col not in part.columns:
            continue
        dtype = part[col].dtype
        typed = isinstance(dtype, pd.StringDtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        )
        if not typed or part[col].isna().any():
            return False
    return True


def _no_failures() -> pd.DataFrame:
    columns = ["row", "subject", "timepoint", "column", "value", "reason", "position", "message"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _pair_hashes(s: pd.Series, t: pd.Series) -> np.ndarray:
    """A 64-bit hash of each (subject, timepoint) pair (the streamed path's: text hashed from
    its Arrow buffers, other types by pandas). Equal pairs hash equal; unequal pairs may too,
    so repeats are only candidates (confirmed by :func:`_confirmed_duplicates`)."""
    from past_outcomes.registry.stream import _hash_ids

    with np.errstate(over="ignore"):
        return _hash_ids(s) * np.uint64(0x9E3779B97F4A7C15) ^ _hash_ids(t)


def _split_hashes(part: pd.DataFrame, args: _Args, n_buckets: int) -> list[np.ndarray]:
    """Per bucket, the uint64 pair hashes of the rows with both identifiers (bucket: the hash
    modulo ``n_buckets``): 8 bytes a row. Positions are not kept: a partition holding a
    repeated hash is read again and hashed again to find its rows (:func:`_looked_up`)."""
    empty = [np.empty(0, dtype=np.uint64) for _ in range(n_buckets)]
    if not args.pairs or not len(part):
        return empty
    try:
        h = np.asarray(_pair_hashes(part[args.subject], part[args.timepoint]), dtype=np.uint64)
    except TypeError:  # unhashable ids: the partition's own check reported them
        return empty
    h = h[_both_ids(part, args)]
    bucket = (h % np.uint64(n_buckets)).astype(np.uint8)  # BUCKETS <= 256
    order = np.argsort(bucket, kind="stable")  # a radix sort on 8-bit keys
    bounds = np.searchsorted(bucket[order], np.arange(n_buckets + 1))
    h = h[order]
    return [h[bounds[b] : bounds[b + 1]] for b in range(n_buckets)]


def _both_ids(part: pd.DataFrame, args: _Args) -> np.ndarray:
    return (part[args.subject].notna() & part[args.timepoint].notna()).to_numpy()


def _candidates(pieces: list[np.ndarray]) -> np.ndarray:
    """One bucket: ``(hash, partition)`` for every partition holding a hash that occurs more
    than once in the bucket, as a (k, 2) uint64 array sorted by hash (``pieces[i]``: the
    bucket's hashes from partition ``i``). Sorting the hashes alone finds the repeats; only
    when there are some is each partition searched for them."""
    if sum(len(p) for p in pieces) < 2:
        return np.empty((0, 2), dtype=np.uint64)
    h = np.concatenate(pieces)
    h.sort()
    repeated = np.unique(h[1:][h[1:] == h[:-1]])
    if not len(repeated):
        return np.empty((0, 2), dtype=np.uint64)
    found = []
    for number, piece in enumerate(pieces):
        held = np.unique(piece[np.isin(piece, repeated)])
        found.append(np.column_stack([held, np.full(len(held), number, dtype=np.uint64)]))
    cand = np.concatenate(found)
    return cand[np.argsort(cand[:, 0], kind="stable")]


class _Lookup:
    """The identifier columns of the data, read again one partition at a time when a pair
    hash repeats (a plain object, so that Dask does not make the check depend on them)."""

    def __init__(self, frame: Any):
        self.frame = frame

    def __dask_tokenize__(self) -> Any:
        return ("past-outcomes-lookup", self.frame._name)

    def partition(self, number: int) -> pd.DataFrame:
        return self.frame.partitions[number].compute(scheduler="sync")


#: Pair hashes are exchanged between at most this many bucket reductions (8 bytes a row in
#: all; at most 256; each is one small task per partition).
BUCKETS = 16
#: Candidates confirmed together (a batch never splits one hash); each batch reads again
#: the identifiers of the partitions it touches, one partition at a time.
CONFIRM_ROWS = 1_000_000


def _confirmed_duplicates(
    candidates: list[np.ndarray], lookup: _Lookup, offsets: np.ndarray, args: _Args
) -> tuple[pd.DataFrame, int]:
    """The first :data:`CAP` rows (by global position) whose pair truly repeats, as columns
    ``s, t, row, position``, and how many there are: the partitions holding a candidate hash
    are read again, their rows with that hash found by hashing again, and their identifiers
    compared exactly (pandas ``duplicated``, as the in-memory check)."""
    found = [c for c in candidates if len(c)]
    if not found:
        return pd.DataFrame(), 0
    cand = np.concatenate(found)
    cand = cand[np.argsort(cand[:, 0], kind="stable")]
    kept: list[pd.DataFrame] = []
    total, start = 0, 0
    while start < len(cand):
        stop = min(start + CONFIRM_ROWS, len(cand))
        stop = int(np.searchsorted(cand[:, 0], cand[stop - 1, 0], side="right"))
        pairs = _looked_up(cand[start:stop], lookup, offsets, args)
        dup = pairs[pairs.duplicated(subset=["s", "t"], keep=False).to_numpy()]
        total += len(dup)
        kept = [pd.concat([*kept, dup]).sort_values("position", kind="stable").head(CAP)]
        start = stop
    return kept[0], total


def _looked_up(batch: np.ndarray, lookup: _Lookup, offsets: np.ndarray, args: _Args):
    """``s, t, row, position`` (global) of the rows whose pair hash is in ``batch`` (rows
    ``(hash, partition)``), each partition read and hashed again."""
    frames = []
    for number in np.unique(batch[:, 1]):
        part = lookup.partition(int(number))
        h = np.asarray(_pair_hashes(part[args.subject], part[args.timepoint]), dtype=np.uint64)
        wanted = batch[batch[:, 1] == number, 0]
        rows = np.flatnonzero(_both_ids(part, args) & np.isin(h, wanted))
        frames.append(
            pd.DataFrame(
                {
                    "s": part[args.subject].iloc[rows].to_numpy(dtype=object),
                    "t": part[args.timepoint].iloc[rows].to_numpy(dtype=object),
                    "row": part.index[rows].to_numpy(dtype=object),
                    "position": rows + int(offsets[int(number)]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _raise_failures(
    summaries: list[dict], candidates: list[np.ndarray], lookup: Any, args: _Args
) -> bool:
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
    dup, n_dup = _confirmed_duplicates(candidates, lookup, offsets, args)
    if n_dup:
        frames.append(_duplicate_failures(dup, args))
        index = pd.MultiIndex.from_tuples(
            [(frames[-1]["column"].iloc[0], _DUPLICATE)], names=["column", "reason"]
        )
        counts.append(pd.Series([n_dup], index=index))
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


def _duplicate_failures(dup: pd.DataFrame, args: _Args) -> pd.DataFrame:
    """``duplicate-observation`` rows (every row of a repeated pair, in position order)."""
    from past_outcomes._cells import cell_text

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
