"""The streaming path of ``past-outcomes score``: files of any size in bounded memory.

A CSV or Parquet file is read :data:`CHUNK_ROWS` rows at a time (``--chunk-rows``); each
chunk is validated and scored by the same engine as a small file (``past_outcomes.score``),
its scores are added to the summary and written to a temporary file beside ``--out``, which
is renamed into place only when the whole file has been read and found valid. Memory is
bounded by a few chunks, whatever the size of the file.

What stays as on small files
----------------------------
- CSV checks of ``past_outcomes._io.read_csv_safely``: UTF-8 only (a UTF-8 byte-order mark is
  removed; UTF-16, binary data and Latin-1 bytes are refused, naming the line), a quote left
  open, an empty or repeated column name, and lines with the wrong number of fields, every
  one listed by its file line (the last chunk's as well as the first's). Rows are named by
  their file line (the header is line 1); Parquet rows by their 1-based record number.
- Failures of every chunk are collected into one error (at most :data:`CAP` listed, all
  counted); a duplicate ``(subject, timepoint)`` in two chunks is found by spilling the pairs
  to disk in hash buckets (:class:`_PairBuckets`) and checking one bucket at a time.
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
import csv
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import InputFileError, ResponseValidationError

#: Rows per chunk (``--chunk-rows``).
CHUNK_ROWS = 200_000
#: At most this many failures are listed (all are counted).
CAP = 10_000
#: Bytes of pairs per spill bucket of the duplicate check (one bucket is read at a time).
_BUCKET_BYTES = 32 * 2**20


# --------------------------------------------------------------------------------------------
# reading: CSV
# --------------------------------------------------------------------------------------------


@dataclass
class CsvChunks:
    """The records of a CSV file, ``chunk_rows`` at a time, with the checks of ``_io``."""

    path: Path
    chunk_rows: int = CHUNK_ROWS
    header: list[str] = field(default_factory=list)
    header_line: int = 0
    ragged: list[dict[str, Any]] = field(default_factory=list)
    n_ragged: int = 0
    consumed: int = 0  # bytes read so far (for the progress bar)

    def open(self) -> list[str]:
        """Check the encoding of the head of the file and read the header."""
        name = str(self.path)
        from past_outcomes._io import _decode_checks, read_bytes

        if not self.path.is_file():
            read_bytes(name)  # the reader's message for a missing file or a folder
        with open(self.path, "rb") as fh:
            head = fh.read(4096)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
            _decode_checks(name, head)
        self._raw = open(self.path, "rb")
        self._fh = io.TextIOWrapper(self._raw, encoding="utf-8-sig", errors="strict", newline="")
        self._reader = csv.reader(self._fh, strict=True)
        for record in self._records():
            if record:
                self.header = record
                break
        if not self.header:
            self.close()
            raise InputFileError(
                f"{name} must hold a header line and data rows; it is empty. "
                "Check that you chose the right file and that it was saved completely."
            )
        from past_outcomes._io import _check_header

        _check_header(name, self.header, self.header_line)
        return self.header

    def _records(self) -> Iterator[list[str]]:
        """Records with ``self.header_line``/``self.start`` set; csv and decode errors located."""
        while True:
            self.start = self._reader.line_num + 1
            if not self.header:
                self.header_line = self.start
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                self.close()
                _raise_encoding(self.path)
            except csv.Error as exc:
                self.close()
                if "NUL" in str(exc):
                    _raise_encoding(self.path)
                raise InputFileError(
                    f"{self.path} must be a CSV file; the record starting on line "
                    f"{self.start} cannot be read as CSV ({exc}). Check that every quoted "
                    "field is closed with a '\"' and that quotes inside a quoted field are "
                    "doubled."
                ) from None
            yield record

    def __iter__(self) -> Iterator[pd.DataFrame]:
        width = len(self.header)
        lines: list[int] = []
        records: list[list[str]] = []
        for record in self._records():
            if not record:
                continue
            if len(record) != width:
                self.n_ragged += 1
                if len(self.ragged) < CAP:
                    self.ragged.append(
                        {"row": self.start, "column": None, "value": len(record),
                         "reason": "wrong-field-count"}
                    )  # fmt: skip
                continue
            lines.append(self.start)
            records.append(record)
            if len(records) >= self.chunk_rows:
                yield self._frame(records, lines)
                lines, records = [], []
        if records:
            yield self._frame(records, lines)
        self.close()

    def _frame(self, records: list[list[str]], lines: list[int]) -> pd.DataFrame:
        self.consumed = self._raw.tell() if not self._raw.closed else self.consumed
        cells = np.array(records, dtype=object)
        cells[cells == ""] = None
        frame = pd.DataFrame(
            {col: pd.Series(cells[:, j], dtype="str") for j, col in enumerate(self.header)},
            columns=self.header,
        )
        frame.index = pd.Index(lines, dtype="int64", name="line")
        return frame

    def close(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None and not fh.closed:
            fh.close()

    def raise_ragged(self) -> None:
        """The reader's error for lines with the wrong number of fields (all counted)."""
        if not self.n_ragged:
            return
        from past_outcomes._io import _raise_ragged

        try:
            _raise_ragged(str(self.path), self.header, self.header_line, self.ragged)
        except InputFileError as exc:
            if self.n_ragged > len(self.ragged):
                exc.add_note(
                    f"{self.n_ragged:,} lines in all; the first {len(self.ragged):,} are in "
                    ".failure_cases."
                )
            raise


def _raise_encoding(path: Path) -> None:
    """The reader's message for a NUL byte or a byte that is not UTF-8, naming its line
    (found by one more pass over the bytes, block by block)."""
    from past_outcomes._io import _REMEDY_ENCODING

    name = str(path)
    lines = 0
    decoder_tail = b""
    with open(path, "rb") as fh:
        first = True
        while block := fh.read(2**22):
            if first and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
            first = False
            if b"\x00" in block:
                line = lines + block[: block.index(b"\x00")].count(b"\n") + 1
                raise InputFileError(
                    f"{name} must be a text CSV file; it holds binary data (a NUL byte on line "
                    f"{line}). Check that you chose the right file; a spreadsheet (.xlsx, "
                    f".ods) must be exported as CSV first. {_REMEDY_ENCODING}"
                )
            data = decoder_tail + block
            try:
                data.decode("utf-8")
                decoder_tail = b""
            except UnicodeDecodeError as exc:
                if exc.end >= len(data) - 3 and exc.reason == "unexpected end of data":
                    decoder_tail = data[exc.start :]  # a character split between blocks
                    lines += data[: exc.start].count(b"\n")
                    continue
                line = lines + data[: exc.start].count(b"\n") + 1
                raise InputFileError(
                    f"{name} must be encoded as UTF-8; line {line} holds the byte "
                    f"{data[exc.start : exc.start + 1]!r}, which is not UTF-8 (the file was "
                    f"probably saved as Latin-1 or Windows-1252). {_REMEDY_ENCODING}"
                ) from None
            lines += block.count(b"\n")
    raise InputFileError(f"{name} must be encoded as UTF-8; it is not. {_REMEDY_ENCODING}")


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

    def open(self) -> list[str]:
        import pyarrow.parquet as pq

        from past_outcomes._io import read_bytes

        if not self.path.is_file():
            read_bytes(str(self.path))
        try:
            self._file = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
            raise InputFileError(
                f"{self.path} must be a Parquet file; it cannot be read as one ({exc}). "
                "Check that you chose the right file."
            ) from None
        self.header = list(self._file.schema_arrow.names)
        self.rows = self._file.metadata.num_rows
        return self.header

    def __iter__(self) -> Iterator[pd.DataFrame]:
        start = 1
        for batch in self._file.iter_batches(batch_size=self.chunk_rows):
            frame = batch.to_pandas()
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
    """(subject, timepoint, row) triples spilled to disk in hash buckets, so that every copy
    of a pair lands in one bucket; the buckets are read back one at a time."""

    def __init__(self, n_buckets: int):
        self.n = max(1, n_buckets)
        self._dir = tempfile.TemporaryDirectory(prefix="past-outcomes-pairs-")
        self._files = [open(os.path.join(self._dir.name, f"{b}.pkl"), "wb") for b in range(self.n)]

    def add(self, s: np.ndarray, t: np.ndarray, rows: np.ndarray) -> None:
        keep = ~(pd.isna(s) | pd.isna(t))
        s, t, rows = s[keep], t[keep], rows[keep]
        if not len(s):
            return
        frame = pd.DataFrame({"s": s, "t": t})
        try:
            h = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        except TypeError:  # unhashable ids: the chunk's own check reports them
            return
        bucket = (h % np.uint64(self.n)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(self.n + 1))
        for b in range(self.n):
            sel = order[bounds[b] : bounds[b + 1]]
            if len(sel):
                pickle.dump((s[sel], t[sel], rows[sel]), self._files[b])

    def duplicates(self) -> Iterator[pd.DataFrame]:
        """Every row whose pair occurs more than once, bucket by bucket."""
        for fh in self._files:
            fh.close()
        for b in range(self.n):
            parts = []
            with open(os.path.join(self._dir.name, f"{b}.pkl"), "rb") as spill:
                while True:
                    try:
                        parts.append(pickle.load(spill))
                    except EOFError:
                        break
            if not parts:
                continue
            frame = pd.DataFrame(
                {
                    "s": np.concatenate([p[0] for p in parts]),
                    "t": np.concatenate([p[1] for p in parts]),
                    "row": np.concatenate([p[2] for p in parts]),
                }
            )
            dup = frame[frame.duplicated(subset=["s", "t"], keep=False).to_numpy()]
            if len(dup):
                yield dup

    def close(self) -> None:
        for fh in self._files:
            fh.close()
        self._dir.cleanup()


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
        if out is None:
            return
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        self.parquet = path.suffix.lower() == ".parquet"

    def write(self, frame: pd.DataFrame) -> None:
        if self._tmp is None:
            return
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._writer is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._writer = pq.ParquetWriter(self._tmp, table.schema)
            else:
                table = pa.Table.from_pandas(
                    frame, schema=self._writer.schema, preserve_index=False
                )
            self._writer.write_table(table)
            return
        if self._fh is None:
            self._fh = open(self._tmp, "w", encoding="utf-8", newline="")
            frame.to_csv(self._fh, index=False, lineterminator="\n")
        else:
            frame.to_csv(self._fh, index=False, header=False, lineterminator="\n")

    def commit(self) -> None:
        if self._tmp is None or self.out is None:
            return
        if self._writer is not None:
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
