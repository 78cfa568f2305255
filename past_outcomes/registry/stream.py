"""The streaming path of ``past-outcomes score`` and ``validate``: files of any size in
bounded memory.

A CSV or Parquet file is read :data:`CHUNK_ROWS` rows at a time (``--chunk-rows``); each
chunk is validated and scored by the same engine as a small file (``past_outcomes.score``),
its scores are added to the summary and written to a temporary file beside ``--out``, which
is renamed into place only when the whole file has been read and found valid. Memory is
bounded by a few chunks, whatever the size of the file. CSV blocks are read by
:mod:`past_outcomes.registry.csv_blocks` (pyarrow where that is exact, the csv module
elsewhere); Parquet batches by pyarrow (``iter_batches``), numbers staying float64.

What stays as on small files
----------------------------
- CSV checks of ``past_outcomes._io.read_csv_safely``: UTF-8 only (a UTF-8 byte-order mark is
  removed; UTF-16, binary data and Latin-1 bytes are refused, naming the line), a quote left
  open, an empty or repeated column name, and lines with the wrong number of fields, every
  one listed by its file line (the last chunk's as well as the first's). Rows are named by
  their file line (the header is line 1); Parquet rows by their 1-based record number.
- Failures of every chunk are collected into one error (at most :data:`CAP` listed, all
  counted); a duplicate ``(subject, timepoint)`` anywhere in the file is found by spilling a
  64-bit hash of each pair to disk in buckets (:class:`_PairBuckets`, 16 bytes a row), one
  bucket checked at a time; the rows whose hash repeats are confirmed on the pairs
  themselves by a second read of the file (:func:`confirm_duplicates`), made only then.
- Exit codes, ``--errors``, the summary (counts, means, SDs, ranges, classifications, the
  clients behind safety flags and missing scores, named by line) and the rounding of written
  scores (per chunk: :func:`past_outcomes._cli_score.round_noise`).
- No partial output: on any failure (or Ctrl-C) the temporary file is removed and ``--out``
  is left as it was.

Not streamed: ``.xlsx`` output (a workbook is written whole), exports other than a canonical
CSV (REDCap, Qualtrics, SPSS...: read in memory by ``read_responses``) and ``--dataset``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import InputFileError, ResponseValidationError
from past_outcomes.registry.csv_blocks import CAP, CsvChunks, read_ahead

#: Rows per chunk (``--chunk-rows``).
CHUNK_ROWS = 200_000
#: Bytes of pairs per spill bucket of the duplicate check (one bucket is read at a time).
_BUCKET_BYTES = 32 * 2**20


# --------------------------------------------------------------------------------------------
# reading: Parquet
# --------------------------------------------------------------------------------------------


@dataclass
class ParquetChunks:
    """The rows of a Parquet file, ``chunk_rows`` at a time, indexed by record number."""

    path: Path
    chunk_rows: int = CHUNK_ROWS
    header: list[str] = field(default_factory=list)
    consumed: int = 0
    n_ragged: int = 0
    numeric: frozenset[str] = frozenset()  # as CsvChunks' (Parquet cells keep their type)

    def open(self) -> list[str]:
        import pyarrow.parquet as pq

        from past_outcomes._io import read_bytes

        if not self.path.is_file():
            read_bytes(str(self.path))
        try:
            # pre_buffer=False: with pyarrow's default (True), iter_batches kept buffers of
            # the row groups already read (session 19: Arrow's allocation grew from 105 to
            # 199 MiB over 20M rows, RSS by 200 MiB, without bound); a local file reads as
            # fast without it (it coalesces reads for object stores)
            self._file = pq.ParquetFile(self.path, pre_buffer=False)
        except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
            raise InputFileError(
                f"{self.path} must be a Parquet file; it cannot be read as one ({exc}). "
                "Check that you chose the right file."
            ) from None
        self.header = list(self._file.schema_arrow.names)
        self.rows = self._file.metadata.num_rows
        return self.header

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """The frames, batch by batch; the next batch is decoded in a thread while the caller
        works on this one (pyarrow decodes without holding the GIL), as ``CsvChunks``."""
        batches = self._file.iter_batches(batch_size=self.chunk_rows)

        def decoded() -> tuple[pd.DataFrame | None, bool]:
            batch = next(batches, None)
            return (None, True) if batch is None else (batch.to_pandas(), False)

        start = 1
        for frame in read_ahead(decoded):
            frame.index = pd.RangeIndex(start, start + len(frame), name="row")
            start += len(frame)
            self.consumed = start - 1
            yield frame

    def raise_ragged(self) -> None:
        return None


# --------------------------------------------------------------------------------------------
# duplicates across chunks
# --------------------------------------------------------------------------------------------


class _PairBuckets:
    """A 64-bit hash of each (subject, timepoint) pair and its row, spilled to disk in hash
    buckets (16 bytes a row), so that every copy of a pair lands in one bucket; the buckets
    are read back one at a time. The rows whose hash repeats are the candidates; the caller
    confirms them on the pairs themselves (:func:`confirm_duplicates`, a second read of the
    file made only when there is a candidate)."""

    def __init__(self, n_buckets: int):
        self.n = max(1, n_buckets)
        self._dir = tempfile.TemporaryDirectory(prefix="past-outcomes-pairs-")
        self._files = [open(os.path.join(self._dir.name, f"{b}.bin"), "wb") for b in range(self.n)]

    def add(self, s: pd.Series, t: pd.Series, rows: np.ndarray) -> None:
        keep = (s.notna() & t.notna()).to_numpy()
        try:
            h = _hash_ids(s) * np.uint64(0x9E3779B97F4A7C15) ^ _hash_ids(t)
        except TypeError:  # unhashable ids: the chunk's own check reports them
            return
        h, rows = h[keep], np.asarray(rows, dtype=np.int64)[keep]
        if not len(h):
            return
        bucket = (h % np.uint64(self.n)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(self.n + 1))
        pairs = np.empty((len(h), 2), dtype=np.uint64)
        pairs[:, 0], pairs[:, 1] = h[order], rows[order].view(np.uint64)
        for b in range(self.n):
            if bounds[b + 1] > bounds[b]:
                pairs[bounds[b] : bounds[b + 1]].tofile(self._files[b])

    def candidates(self) -> np.ndarray:
        """The rows whose pair hash occurs more than once, sorted."""
        for fh in self._files:
            fh.close()
        found = []
        for b in range(self.n):
            pairs = np.fromfile(os.path.join(self._dir.name, f"{b}.bin"), dtype=np.uint64)
            pairs = pairs.reshape(-1, 2)
            if not len(pairs):
                continue
            order = np.argsort(pairs[:, 0], kind="stable")
            h = pairs[order, 0]
            repeat = np.zeros(len(h), dtype=bool)
            repeat[1:] = h[1:] == h[:-1]
            repeat[:-1] |= repeat[1:]
            if repeat.any():
                found.append(pairs[order[repeat], 1].view(np.int64))
        return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)

    def close(self) -> None:
        for fh in self._files:
            fh.close()
        self._dir.cleanup()


#: Random weights of the text hash, one per character position (modulo 64).
_WEIGHTS = np.random.default_rng(20240515).integers(1, 2**63, size=65, dtype=np.uint64) | 1


def _hash_ids(ids: pd.Series) -> np.ndarray:
    """A 64-bit hash per cell: each distinct text hashed once from its Arrow buffers, without
    a Python object (a weighted sum of its bytes; pairs are confirmed exactly later); other
    types by pandas."""
    import pyarrow as pa

    if not (isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow"):
        return pd.util.hash_pandas_object(ids, index=False).to_numpy()
    codes, uniques = pd.factorize(ids)
    arr = pa.array(uniques.array)  # an ArrowStringArray
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    bufs = arr.buffers()
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    offsets = offsets.astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0] : offsets[-1]] if bufs[2] else (
        np.empty(0, dtype=np.uint8))  # fmt: skip
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    position = np.arange(len(data)) - np.repeat(starts, lengths)
    with np.errstate(over="ignore"):
        weighted = (data.astype(np.uint64) + np.uint64(1)) * _WEIGHTS[position & 63]
        sums = np.concatenate([[np.uint64(0)], np.cumsum(weighted, dtype=np.uint64)])
        hashed = sums[starts + lengths] - sums[starts] + lengths.astype(np.uint64) * _WEIGHTS[64]
    return np.where(codes >= 0, hashed[np.maximum(codes, 0)] if len(hashed) else 0, 0).astype(
        np.uint64
    )


def confirm_duplicates(reader: Any, renames: dict[str, str], rows: np.ndarray) -> pd.DataFrame:
    """The (subject, timepoint, row) of every candidate row whose pair occurs more than once,
    by a second read of the file (``reader``: a fresh, opened chunk reader)."""
    parts = []
    for chunk in reader:
        table = chunk.rename(columns=renames) if renames else chunk
        sel = np.isin(table.index.to_numpy(), rows)
        if sel.any():
            part = table.loc[sel, ["subject", "timepoint"]]
            parts.append(pd.DataFrame({"s": part["subject"].to_numpy(dtype=object),
                                       "t": part["timepoint"].to_numpy(dtype=object),
                                       "row": part.index.to_numpy()}))  # fmt: skip
    if not parts:
        return pd.DataFrame({"s": [], "t": [], "row": []})
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame.duplicated(subset=["s", "t"], keep=False).to_numpy()]


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


class _Output:
    """Chunks appended to a temporary file beside ``out``; renamed into place by
    :meth:`commit`, removed by :meth:`abort`."""

    def __init__(self, out: str | None):
        self.out = out
        self._tmp: str | None = None
        self._writer: Any = None
        self._fh: Any = None
        self._pool: Any = None  # the Parquet writing thread
        self._pending: Any = None  # the chunk it is writing (a Future)
        if out is None:
            return
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        self.parquet = path.suffix.lower() == ".parquet"

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``. Parquet: encoded and compressed in a thread while the caller
        scores the next chunk (one chunk in flight; a failure surfaces at the next call)."""
        if self._tmp is None:
            return
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._writer is None:
                from concurrent.futures import ThreadPoolExecutor

                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._writer = pq.ParquetWriter(self._tmp, table.schema)
                self._pool = ThreadPoolExecutor(max_workers=1)
            else:
                table = pa.Table.from_pandas(
                    frame, schema=self._writer.schema, preserve_index=False
                )
            self._written()
            self._pending = self._pool.submit(self._writer.write_table, table)
            return
        if self._fh is None:
            self._fh = open(self._tmp, "w", encoding="utf-8", newline="")
            frame.to_csv(self._fh, index=False, lineterminator="\n")
        else:
            frame.to_csv(self._fh, index=False, header=False, lineterminator="\n")

    def _written(self) -> None:
        """Wait for the chunk in flight; raise its failure."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def commit(self) -> None:
        if self._tmp is None or self.out is None:
            return
        if self._writer is not None:
            self._written()
            self._pool.shutdown()
            self._writer.close()
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        try:
            mode = os.stat(self.out).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(self._tmp, mode)
        os.replace(self._tmp, self.out)
        self._tmp = None

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            if self._writer is not None:
                with contextlib.suppress(Exception):
                    self._written()
                self._pool.shutdown()
                self._writer.close()
            if self._fh is not None:
                self._fh.close()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


def open_chunks(path: Path, chunk_rows: int) -> CsvChunks | ParquetChunks:
    """The chunk reader for ``path`` by its suffix (``.parquet``/``.pq``: Parquet)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return ParquetChunks(path, chunk_rows)
    return CsvChunks(path, chunk_rows)


def bucket_count(path: Path) -> int:
    """Spill buckets for the duplicate check: about :data:`_BUCKET_BYTES` of file per bucket."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return int(min(1024, max(1, size // _BUCKET_BYTES)))


def progress(length: int, label: str) -> Any:
    """A click progress bar on stderr."""
    import click

    return click.progressbar(length=max(1, length), label=label, file=sys.stderr)


def response_error(frames: list[pd.DataFrame], counts: dict, names: str) -> None:
    """Raise one ResponseValidationError for the collected failures (listed up to CAP)."""
    from past_outcomes.registry.frames import _REMEDY

    cases = pd.concat(frames, ignore_index=True).head(CAP)
    total = sum(counts.values())
    by_reason: dict[str, int] = {}
    for (_col, reason), n in counts.items():
        by_reason[reason] = by_reason.get(reason, 0) + n
    parts = ", ".join(f"{r} x{n:,}" for r, n in by_reason.items())
    context = f"Responses to {names} failed validation: {total:,} failure(s) in all ({parts})"
    if total > len(cases):
        context += f"; the first {len(cases):,} are in .failure_cases"
    raise ResponseValidationError(cases, context=context, remedy=_REMEDY)
