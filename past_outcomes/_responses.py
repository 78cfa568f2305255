"""Validating item responses: every cell, every item column, the identifiers (one step of scoring).

:func:`validated_matrices` reads the item columns of one or more instruments and collects
every failure into one :class:`~past_outcomes.errors.ResponseValidationError` (the failure
table is described in the ``past_outcomes.scoring`` module docstring). It is the engine
behind ``validate_responses`` and ``score``; its steps: the item map (:func:`check_item_map`),
the identifier columns (:func:`id_columns`), each item column (:func:`_read_item`), the
missing and unknown columns (:func:`_column_failures`), the identifiers
(:func:`_id_failures`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from past_outcomes._cells import cell_text as _text
from past_outcomes._cells import cells_to_float, is_missing, to_float
from past_outcomes._checks import check_dataframe
from past_outcomes.errors import ArgumentError, ResponseValidationError, short_repr
from past_outcomes.instrument import Instrument, Item

#: Sentences are written for this many failures per column and reason (the exception text
#: lists the first 10 failures only; the rest are described by their reason code).
_MESSAGES_PER_FRAME = 50
#: Cells per block of the block pass (float64: 2 MiB, which stays in the last-level cache).
#: Measured (FSFI, 1M rows, CPU time): 65536 cells (a block in L2) cost 1.4-1.6x the time of
#: 262144, as every block costs some 60 NumPy calls whatever its size; 524288 is no faster.
_BLOCK_CELLS = 262144
#: False forces the general path everywhere (every cell read one by one, every column checked
#: with per-cell masks): tests compare the fast paths with it.
FAST_PATHS = True
#: The visible defaults of the identifier arguments: a column of this exact name may be
#: absent (it is then not used); any other name must be a column of the data.
ID_DEFAULTS = {"subject": "subject", "timepoint": "timepoint"}


def validated_matrices(
    data, instruments, items, subject, timepoint, *, visitors: Mapping | None = None
) -> dict[str, tuple]:
    """Validate every cell; return instrument id -> (item rows of shape (items, rows): see
    :class:`ItemRows`, boolean array marking the items with no missing answer, int64 array of the items
    answered in each row).

    ``visitors`` maps an instrument id to an object that sees every block of that
    instrument's item rows while the block pass holds it in cache (:class:`BlockVisitor`):
    the scores are computed there, so that the items are read from memory once. A visitor
    that was not given every row (the general path) is left incomplete: its user computes
    the scores itself.
    """
    check_dataframe("data", data)
    source_of = check_item_map(data, items, instruments)
    ids = _Ids(data, *id_columns(data, subject, timepoint))
    matrices, failures = {}, []
    for inst in instruments:
        visit = visitors.get(inst.id) if visitors else None
        values, fails = _validate_one(data, inst, source_of, ids, visit)
        matrices[inst.id] = values
        failures.extend(fails)
    failures.extend(_id_failures(data, ids))
    if failures:
        fc = pd.concat(failures, ignore_index=True)
        names = ", ".join(i.id for i in instruments)
        raise ResponseValidationError(
            fc,
            context=f"Responses to {names} failed validation",
            remedy=(
                "Remedy: fix or recode the listed cells (answers must use the instrument's "
                "official codes; leave unanswered items empty), map differently named columns "
                "with items={'your column': 'item column'}, and keep one row per subject and "
                "timepoint."
            ),
        )
    return matrices


class BlockVisitor(Protocol):
    """What :func:`validated_matrices` hands every block of an instrument's item rows to."""

    def begin(self, n: int) -> None:
        """The block pass starts over ``n`` rows (called once, also when ``n`` is 0)."""

    def visit(self, start: int, stop: int, block: np.ndarray, missing: np.ndarray) -> None:
        """Rows ``start:stop``: ``block`` holds every item row (in item order, read-only,
        items x rows) and ``missing`` is True where an answer is missing. The block may
        hold invalid answers: the visitor's results are used only when validation passes."""


class ItemRows(list):
    """The item rows of one instrument: one array per item, all of one length; float64 (NaN
    for a missing answer), or the data's own integers for a complete integer column.

    ``rows[j]`` is item ``j``'s array, ``rows[[j, k]]`` a new 2-D array of those items, and
    ``rows.shape`` is (items, rows), as for the 2-D array it stands for; the rows themselves
    are not copied (a column of float64 or integer data is read in place, read-only).
    """

    def __init__(self, rows: list[np.ndarray], n: int):
        super().__init__(rows)
        self.n = n

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.n

    def __getitem__(self, key):
        if isinstance(key, (list, np.ndarray)):
            return np.stack([list.__getitem__(self, k) for k in key]).reshape(len(key), self.n)
        return list.__getitem__(self, key)


def has_column(data: pd.DataFrame, name) -> bool:
    try:
        return name in data.columns
    except TypeError:  # an unhashable name is no column
        return False


def check_item_map(data: pd.DataFrame, items, instruments: Sequence[Instrument]) -> dict[str, str]:
    """Return item column -> data column for the mapped items, checking the user's mapping.

    Every item must come from exactly one column and every column supplies at most one
    item; an unmapped item reads the column of its own name.
    """
    if items is None:
        return {}
    if not isinstance(items, Mapping):
        raise ArgumentError(
            f"items must map data columns to item columns, e.g. {{'Q1': 'fsfi_1'}}; got "
            f"{type(items).__name__}."
        )
    ordered = [c for inst in instruments for c in inst.item_columns]
    known = set(ordered)
    names = ", ".join(i.id for i in instruments)
    mapped: dict[str, object] = {}
    for src, dst in items.items():
        if not isinstance(dst, str):
            raise ArgumentError(
                f"items must map each data column to an item column name (text); got "
                f"{short_repr(src)} -> {short_repr(dst)} ({type(dst).__name__}). Write e.g. "
                f"{{'Q1': {ordered[0]!r}}}."
            )
        if dst not in known:
            raise ArgumentError(
                f"items maps {short_repr(src)} to {dst!r}, which is not an item column of "
                f"{names}. Item columns are named <id>_<n>, e.g. {ordered[0]!r}; to score "
                "another instrument, list it in instrument=."
            )
        if not has_column(data, src):
            raise ArgumentError(
                f"items maps {short_repr(src)} to {dst!r}, but the data have no column "
                f"{short_repr(src)}."
            )
        if dst in mapped:
            raise ArgumentError(
                f"items maps two columns to {dst!r}: {short_repr(mapped[dst])} and "
                f"{short_repr(src)}. Map one column per item."
            )
        mapped[dst] = src
    # which column each item reads: the mapped one, else the one named like the item
    source = {c: mapped[c] if c in mapped else c for c in ordered}
    source = {c: s for c, s in source.items() if c in mapped or has_column(data, s)}
    supplied: dict[object, str] = {}
    for item_col, src in source.items():
        if src in supplied:
            first, second = supplied[src], item_col
            why = [
                f"{it!r} ({'items maps it there' if it in mapped else 'its own name'})"
                for it in (first, second)
            ]
            raise ArgumentError(
                f"each data column can supply one item only; column {short_repr(src)} would be "
                f"read as two items: {why[0]} and {why[1]}. Map every item explicitly "
                "(e.g. swap both names in items=) or rename the column."
            )
        supplied[src] = item_col
    for dst, src in mapped.items():
        if src != dst and has_column(data, dst) and dst not in supplied:
            raise ArgumentError(
                f"each item must come from one column; {dst!r} could come from column "
                f"{short_repr(src)} (items maps it there) or from the column named {dst!r}, "
                f"which would be silently ignored. Drop or rename column {dst!r}, or map it to "
                "another item."
            )
    return mapped  # type: ignore[return-value]


def id_columns(data: pd.DataFrame, subject, timepoint) -> tuple[object, object]:
    """The subject and timepoint columns in use (None: not used).

    ``None`` ignores the identifier. A name that is a column of the data is used. The visible
    default (``"subject"``, ``"timepoint"``) is used when the data have such a column and
    ignored when they do not; any other name that is not a column is an ArgumentError.
    """
    cols: list[object] = []
    for name, value in (("subject", subject), ("timepoint", timepoint)):
        if value is None:
            cols.append(None)
        elif has_column(data, value):
            cols.append(value)
        elif isinstance(value, str) and value == ID_DEFAULTS[name]:
            cols.append(None)  # the default, and the data have no such column
        else:
            raise ArgumentError(
                f"{name}={short_repr(value)} must name a column of the data; it does not. "
                f"Pass the right column name or {name}=None."
            )
    return cols[0], cols[1]


class _Ids:
    """Row locations for failure tables: labels, positions and identifier values."""

    def __init__(self, data: pd.DataFrame, subject_col, timepoint_col):
        self.index = data.index
        self.unique = data.index.is_unique
        self.subject_col = subject_col
        self.timepoint_col = timepoint_col
        self.subject = data[subject_col].to_numpy(dtype=object) if subject_col is not None else None
        self.timepoint = (
            data[timepoint_col].to_numpy(dtype=object) if timepoint_col is not None else None
        )

    def frame(self, rows: np.ndarray, column, values, reason: str, describe) -> pd.DataFrame:
        """One failure row per position in ``rows`` (vectorized), with sentences for the
        first ``_MESSAGES_PER_FRAME``: ``describe(value, where, row, subject)`` returns one,
        given the cell's location (row, subject, timepoint), its row alone and its subject."""
        n = len(rows)
        labels = self.index.take(rows).to_numpy()
        subjects = self.subject[rows] if self.subject is not None else None
        timepoints = self.timepoint[rows] if self.timepoint is not None else None
        columns = np.empty(n, dtype=object)
        columns.fill(column)  # fill, not broadcast: a tuple column name stays one value
        messages = np.empty(n, dtype=object)
        k = min(n, _MESSAGES_PER_FRAME)
        messages[:k] = [
            describe(
                values[i],
                *self.locate(labels[i], rows[i], subjects, timepoints, i),
                subjects[i] if subjects is not None else None,
            )
            for i in range(k)
        ]
        return pd.DataFrame(
            {
                "row": labels,
                "subject": subjects,
                "timepoint": timepoints,
                "column": columns,
                "value": values,
                "reason": reason,
                "position": rows,
                "message": messages,
            }
        )

    def locate(self, label, position, subjects, timepoints, i) -> tuple[str, str]:
        """("row <label>", "row <label>, subject <s>, timepoint <t>") for one failure."""
        label = label.item() if isinstance(label, np.generic) else label
        row = f"row {short_repr(label)}"
        if not self.unique:
            row += f" (position {int(position)}; the index repeats this label)"
        where = row
        for name, values in (("subject", subjects), ("timepoint", timepoints)):
            if values is not None and not is_missing(values[i]):
                where += f", {name} {_text(values[i])}"
        return where, row


def _column_failure(column, reason: str, message: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [None],
            "subject": [None],
            "timepoint": [None],
            "column": _one(column),
            "value": [None],
            "reason": [reason],
            "position": [None],
            "message": [message],
        }
    )


def _one(value) -> np.ndarray:
    out = np.empty(1, dtype=object)
    out[0] = value
    return out


def _validate_one(data, inst: Instrument, source_of, ids: _Ids, visit=None):
    """The item rows of one instrument (:class:`ItemRows`: a read-only view of the data's
    column where it holds float64 or valid integers, else a new float array), the items known
    to hold no missing answer, the number of items answered per row, and the failures of its
    cells and columns (in item order, then the column failures). A row may hold ``-0.0``:
    the scores and ``validate_responses`` add ``0.0`` to what they return."""
    n = len(data)
    x = ItemRows([], n)
    nan_free = np.zeros(len(inst.items), dtype=bool)
    per_item: list[list[pd.DataFrame]] = [[] for _ in inst.items]
    deferred: list[int] = []  # items whose range check is left to the block pass
    missing_cols = []
    for j, item in enumerate(inst.items):
        col = source_of.get(item.column, item.column)
        if col not in data.columns:
            x.append(np.full(n, np.nan))
            if item.required:
                missing_cols.append(col)
            continue
        row, nan_free[j], defer = _read_item(data[col], col, item, inst, ids, per_item[j])
        x.append(row)
        if defer:
            deferred.append(j)
    n_answered = _block_pass(x, inst, nan_free, deferred, data, source_of, ids, per_item, visit)
    failures = [frame for frames in per_item for frame in frames]
    failures.extend(_column_failures(data, inst, source_of, missing_cols))
    # items answered but flagged invalid are not scored
    return (x, nan_free, n_answered), failures


def _read_item(series, col, item: Item, inst: Instrument, ids: _Ids, failures):
    """Read one item column as floats (NaN for missing answers), appending its failures.

    Return (the values, the column certainly holds no missing answer, its range and integer
    checks are left to :func:`_block_pass`). Only items without a list of allowed values are
    deferred; the block pass re-reads a deferred column that fails and reports it here, so
    the failures are those of :func:`_cell_failures` in every case.
    """
    dtype = series.dtype
    if FAST_PATHS and isinstance(dtype, np.dtype) and dtype.kind in "iu":
        if not inst.missing_codes and item.values is None:
            # plain NumPy integers: no missing answers, no fractions; check by min and max,
            # and keep them as integers (read in place; blocks of them are made floats)
            raw = series.to_numpy().view()
            if len(raw) == 0 or (raw.min() >= item.min and raw.max() <= item.max):
                raw.flags.writeable = False  # may be the data's own column: never written
                return raw, True, False
    values = _item_values(series, col, item, inst, ids, failures).view()
    values.flags.writeable = False  # may be the data's own column: never written
    if FAST_PATHS and item.values is None:
        return values, False, True
    check_frac = _check_frac(item, dtype)
    if not FAST_PATHS or item.values is not None or not _all_valid_fast(values, item, check_frac):
        failures.extend(_cell_failures(values, col, item, check_frac, ids))
    return values, False, False


def _item_values(series, col, item: Item, inst: Instrument, ids: _Ids, failures) -> np.ndarray:
    """The column as floats, missing codes as NaN; ``not-a-number`` failures appended."""
    allowed = item.allowed_text()
    values, bad = to_float(series) if FAST_PATHS else cells_to_float(series.to_numpy(object))
    if bad is not None and bad.any():
        rows = np.flatnonzero(bad)
        raw_cells = series.iloc[rows].to_numpy(dtype=object)
        failures.append(
            ids.frame(
                rows,
                col,
                raw_cells,
                "not-a-number",
                lambda v, where, row, subj, c=col, a=allowed: _nan_message(c, a, v, where),
            )
        )
    if inst.missing_codes:
        values = np.where(np.isin(values, inst.missing_codes), np.nan, values)
    return values


def _check_frac(item: Item, dtype) -> bool:
    """Whether answers must be checked for fractions (integers cannot hold any)."""
    return (item.integer or item.values is not None) and dtype.kind not in "iu"


def _block_pass(x, inst: Instrument, nan_free, deferred, data, source_of, ids, per_item, visit):
    """One pass over the item rows that may hold a missing answer, in cache-sized blocks of
    rows: the items answered per row, the items with no missing answer (``nan_free`` is
    updated), and the range and integer checks of the ``deferred`` items (by reductions:
    ``fmin``/``fmax`` skip NaN; a whole number equals its ``rint``). A deferred item that
    fails is re-read and reported by :func:`_cell_failures`. With a ``visit``or
    (:class:`BlockVisitor`), the blocks hold every item row and each is handed to it."""
    n = x.n
    if not FAST_PATHS:  # the reference: count every cell (and no visitor is ever called)
        missing = np.isnan(x[list(range(len(x)))])
        nan_free[:] = ~missing.any(axis=1)
        return (~missing).sum(axis=0, dtype=np.int64)
    rows = np.flatnonzero(~nan_free)
    checked = len(rows) > 0  # else every item is known complete: only the visitor reads
    if visit is not None:
        visit.begin(n)
        rows = np.arange(len(x))
    k = len(rows)
    n_answered = np.full(n, len(x) - (k if checked else 0), dtype=np.int64)
    if k == 0 or n == 0:
        return n_answered
    lo, hi = np.full(k, np.nan), np.full(k, np.nan)
    has_nan, has_frac = np.zeros(k, dtype=bool), np.zeros(k, dtype=bool)
    need_frac = any(inst.items[j].integer for j in deferred)
    count_type = np.uint8 if k < 256 else np.int64
    step = max(1024, _BLOCK_CELLS // k)
    width = min(step, n)
    missing_buf, test_buf = np.zeros((k, width), dtype=bool), np.empty((k, width), dtype=bool)
    whole_buf = np.empty((k, width) if need_frac else (0, 0))
    for start, stop, block in _blocks(x, rows, step):
        missing = missing_buf[:, : stop - start]
        if checked:
            np.fmin(lo, np.fmin.reduce(block, axis=1), out=lo)
            np.fmax(hi, np.fmax.reduce(block, axis=1), out=hi)
            np.isnan(block, out=missing)
            has_nan |= missing.any(axis=1)
            n_answered[start:stop] -= missing.view(np.uint8).sum(axis=0, dtype=count_type)
        if need_frac:  # NaN != NaN: a fraction is a mismatch that is not a missing answer
            whole, test = whole_buf[:, : stop - start], test_buf[:, : stop - start]
            np.not_equal(block, np.rint(block, out=whole), out=test)
            has_frac |= np.logical_xor(test, missing, out=test).any(axis=1)
        if visit is not None:
            visit.visit(start, stop, block, missing)
    if checked:
        n_answered += k
        nan_free[rows] = ~has_nan
    where = {j: i for i, j in enumerate(rows)}
    for j in deferred:
        item, i = inst.items[j], where[j]
        if np.isnan(lo[i]):  # every answer missing
            continue
        whole_numbers = not (item.integer and has_frac[i])
        if lo[i] >= item.min and hi[i] <= item.max and whole_numbers:
            continue
        col = source_of.get(item.column, item.column)
        series = data[col]
        values = _item_values(series, col, item, inst, ids, [])  # not-a-number: already listed
        per_item[j].extend(_cell_failures(values, col, item, _check_frac(item, series.dtype), ids))
    return n_answered


def _blocks(x, rows: np.ndarray, step: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(start, stop, block) for consecutive blocks of ``step`` rows: ``block`` holds the item
    rows ``rows`` (items x rows), read in place when they are rows of one 2-D array (the float
    block pandas keeps for a frame's float columns), else copied into a reused buffer."""
    n = x.n
    whole = _as_2d([x[j] for j in rows])
    buf = np.empty((len(rows), min(step, n) if whole is None else 0))
    for start in range(0, n, step):
        stop = min(n, start + step)
        if whole is not None:
            yield start, stop, whole[:, start:stop]
        else:
            yield (
                start,
                stop,
                np.stack([x[j][start:stop] for j in rows], out=buf[:, : stop - start]),
            )


def _as_2d(rows: list[np.ndarray]) -> np.ndarray | None:
    """A read-only 2-D view of ``rows`` when they are evenly spaced contiguous rows of one
    array (the float block pandas keeps for a frame's float columns), else None."""
    if not all(r.flags.c_contiguous and r.dtype == np.float64 for r in rows):
        return None
    owners = {id(_owner(r)) for r in rows}
    owner = _owner(rows[0])
    if len(owners) != 1 or not isinstance(owner, np.ndarray):
        return None
    addresses = [r.__array_interface__["data"][0] for r in rows]
    stride = addresses[1] - addresses[0] if len(rows) > 1 else rows[0].nbytes
    start = owner.__array_interface__["data"][0]
    inside = addresses[0] >= start and addresses[-1] + rows[0].nbytes <= start + owner.nbytes
    even = all(b - a == stride for a, b in zip(addresses[:-1], addresses[1:], strict=True))
    if not (inside and even and stride >= rows[0].nbytes):
        return None
    shape, strides = (len(rows), len(rows[0])), (stride, 8)
    return np.lib.stride_tricks.as_strided(rows[0], shape, strides, writeable=False)


def _owner(array: np.ndarray):
    """The array (or buffer object) that owns ``array``'s memory."""
    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base
    return array


def _cell_failures(values, col, item: Item, check_frac: bool, ids: _Ids) -> list[pd.DataFrame]:
    """Failure frames for the answers that are infinite, fractional or out of range."""
    allowed = item.allowed_text()
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(values)
        if not check_frac:
            frac = None
        else:
            frac = (values != np.floor(values)) & ~np.isnan(values) & ~infinite
        if item.values is not None:
            out = ~np.isin(values, item.values) & ~np.isnan(values)
        else:
            out = (values < item.min) | (values > item.max)  # NaN compares False
        out &= ~infinite
        if frac is not None:
            out &= ~frac
    failures = []
    for mask, reason in (
        (infinite, "not-finite"),
        (frac, "not-an-integer"),
        (out, "out-of-range"),
    ):
        if mask is not None and mask.any():
            rows = np.flatnonzero(mask)
            failures.append(
                ids.frame(
                    rows,
                    col,
                    values[rows],
                    reason,
                    lambda v, where, row, subj, c=col, a=allowed, r=reason: _cell_message(
                        c, a, v, where, r
                    ),
                )
            )
    return failures


def _column_failures(data, inst: Instrument, source_of, missing_cols) -> list[pd.DataFrame]:
    """``missing-column`` for required items without a column; ``unknown-column`` for a
    column named like an item the instrument does not have (``phq9_10``)."""
    failures = []
    for col in missing_cols:
        failures.append(
            _column_failure(
                col,
                "missing-column",
                f"{col}: column missing; {inst.id} needs items "
                f"{inst.item_columns[0]}..{inst.item_columns[-1]}. Add it (empty if "
                "unanswered) or map your column name with items=.",
            )
        )
    pattern = re.compile(rf"^{re.escape(inst.id)}_(\d+)$")
    mapped = set(source_of.values())
    for col in data.columns:
        if (
            isinstance(col, str)
            and col not in mapped
            and pattern.match(col)
            and col not in inst.item_columns
        ):
            failures.append(
                _column_failure(
                    col,
                    "unknown-column",
                    f"{col}: looks like an item of {inst.id}, which has items "
                    f"1-{len(inst.items)} only. Rename or drop the column.",
                )
            )
    return failures


def _all_valid_fast(values: np.ndarray, item, check_frac: bool) -> bool:
    """True when a column is certainly valid, by reductions only (no per-cell masks).

    ``fmin``/``fmax`` skip NaN, so missing answers pass; the common all-valid column then costs
    two or three passes over memory instead of building boolean masks.
    """
    if len(values) == 0:
        return True
    lo, hi = np.fmin.reduce(values), np.fmax.reduce(values)
    if np.isnan(lo):  # every answer missing
        return True
    if lo < item.min or hi > item.max:
        return False
    if check_frac:
        return not np.fmax.reduce(np.abs(values - np.rint(values))) > 0
    return True


def _cell_message(col, allowed, value, where, reason) -> str:
    got = int(value) if float(value).is_integer() else value
    tail = {
        "not-an-integer": " (not a whole number)",
        "not-finite": " (not a finite number)",
    }.get(reason, "")
    return f"{_text(col)} must be {allowed}; got {got} in {where}{tail}. Check the response coding."


def _nan_message(col, allowed, value, where) -> str:
    if isinstance(value, str):
        got = f"the text {short_repr(value)}"
    elif isinstance(value, (bool, np.bool_)):
        got = f"the boolean {bool(value)} (a boolean is not an answer code)"
    elif isinstance(value, (complex, np.complexfloating)):
        got = f"the complex number {short_repr(value)}"
    else:
        got = f"{short_repr(value)} (of type {type(value).__name__})"
    return (
        f"{_text(col)} must be {allowed}; got {got} in {where}. Recode text answers to the "
        "official numeric codes."
    )


def _id_failures(data, ids: _Ids) -> list[pd.DataFrame]:
    """Missing identifiers (``missing-value``) and repeated subject and timepoint pairs
    (``duplicate-observation``, among the rows with both identifiers)."""
    if ids.subject is None or ids.timepoint is None:  # None exactly when the column is
        return []
    frames = []
    n = len(data)
    missing = np.zeros(n, dtype=bool)
    for name, col, cells in (
        ("subject", ids.subject_col, ids.subject),
        ("timepoint", ids.timepoint_col, ids.timepoint),
    ):
        miss = pd.isna(cells)
        missing |= miss
        if miss.any():
            rows = np.flatnonzero(miss)
            frames.append(
                ids.frame(
                    rows,
                    col,
                    cells[rows],
                    "missing-value",
                    lambda v, where, row, subj, c=col, nm=name: (
                        f"{_text(c)} must identify the {nm} of every row; it is missing in "
                        f"{where}. Fill it in, or pass subject=None and timepoint=None to "
                        "validate without identifiers."
                    ),
                )
            )
    keep = np.flatnonzero(~missing)
    pairs = pd.DataFrame({"s": ids.subject[keep], "t": ids.timepoint[keep]})
    try:
        dup_kept = pairs.duplicated(keep=False).to_numpy()
    except TypeError:  # unhashable ids (lists, dicts)
        raise ArgumentError(
            f"{_text(ids.subject_col)} and {_text(ids.timepoint_col)} must hold text or "
            "numbers that identify subjects and timepoints; some cells hold unhashable "
            "objects (lists, dicts...). Convert them to text first."
        ) from None
    if dup_kept.any():
        rows = keep[dup_kept]
        frames.append(
            ids.frame(
                rows,
                f"{_text(ids.subject_col)}+{_text(ids.timepoint_col)}",
                ids.timepoint[rows],
                "duplicate-observation",
                lambda v, where, row, subj: (
                    f"subject {_text(subj)} has more than one row at "
                    f"timepoint {_text(v)} ({row}). Keep one administration per subject and "
                    "timepoint, or give repeats distinct timepoints."
                ),
            )
        )
    return frames
