"""Reading a large CSV file in blocks of lines: pyarrow's C++ parser where it is exact, the
csv module (the safe reader's rules, ``past_outcomes._io.parse_delimited``) everywhere else.

The file is cut into blocks of about ``chunk_rows`` lines, after a line feed or a lone
carriage return (the csv module's line ends), never inside a quoted field. Each block is read one of two ways, with the same result:

- **fast path**: a block with no quote character, no blank line and no lone carriage return
  holds one record per line, so record ``k`` of the block starts on file line
  ``first_line + k`` exactly and no field can hold a line break. pyarrow's CSV parser reads
  it, every column as text (only the empty cell is missing: ``NA``, ``nan``, ``null`` stay the
  text they are, as in the safe reader).
- **csv-module path**: any other block, and any block pyarrow refuses (a line with the wrong
  number of fields), is read record by record by the csv module, as the safe reader does, so
  every ragged line is listed by its file line and a quoting error names the line where its
  record starts. A block whose last record is a quoted field left open is extended by the
  next block (the csv module's limit of 131,072 characters per field bounds how far).

Both paths give the frame :func:`past_outcomes._io.read_csv_safely` gives for the same
lines: one ``str`` column per header name, the file line of each record as the index
(``line``). Every block is decoded as UTF-8 first; a byte that is not UTF-8 or a NUL byte is
reported by its file line (one more pass over the file's bytes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import InputFileError

#: Bytes read from the file at a time while a block is cut.
_READ_BYTES = 1 << 22
#: At most this many ragged lines are listed (all are counted).
CAP = 10_000
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


@dataclass
class CsvChunks:
    """The records of a CSV file, about ``chunk_rows`` lines at a time (see the module
    docstring); ``fast=False`` reads every block with the csv module. Columns in ``numeric``
    are read by the fast path as float64 when every cell of the block is blank or a finite
    number (otherwise as text); :meth:`text_again` reads that block again as text."""

    path: Path
    chunk_rows: int = 200_000
    fast: bool = True
    numeric: frozenset[str] = frozenset()
    header: list[str] = field(default_factory=list)
    header_line: int = 0
    ragged: list[dict[str, Any]] = field(default_factory=list)
    n_ragged: int = 0
    consumed: int = 0  # bytes read so far (for the progress bar)
    blocks_fast: int = 0
    blocks_csv: int = 0
    _numbers: dict[int, bytes] = field(default_factory=dict, repr=False)

    def open(self) -> list[str]:
        """Check the encoding of the head of the file and read the header."""
        from past_outcomes._io import _check_header, _decode_checks, read_bytes

        name = str(self.path)
        if not self.path.is_file():
            read_bytes(name)  # the reader's message for a missing file or a folder
        with open(self.path, "rb") as fh:
            head = fh.read(4096)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
            _decode_checks(name, head)
        offset, self._next_line = self._read_header()
        if not self.header:
            raise InputFileError(
                f"{name} must hold a header line and data rows; it is empty. "
                "Check that you chose the right file and that it was saved completely."
            )
        _check_header(name, self.header, self.header_line)
        self._raw = open(self.path, "rb")
        self._raw.seek(offset)
        self.consumed = offset
        self._buf = b""
        self._eof = False
        self._target = _READ_BYTES
        return self.header

    def _read_header(self) -> tuple[int, int]:
        """The header record; returns (byte offset of the data, line number after it)."""
        with open(self.path, "rb") as raw:
            bom = 3 if raw.read(3) == b"\xef\xbb\xbf" else 0
        with open(self.path, encoding="utf-8-sig", errors="strict", newline="") as fh:
            used: list[str] = []

            def lines() -> Iterator[str]:
                while line := fh.readline():
                    used.append(line)
                    yield line

            reader = csv.reader(lines(), strict=True)
            while True:
                start = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    return 0, 0
                except UnicodeDecodeError:
                    _raise_encoding(self.path)
                except csv.Error as exc:
                    if "NUL" in str(exc):
                        _raise_encoding(self.path)
                    _raise_csv(self.path, start, exc)
                if record:
                    self.header, self.header_line = record, start
                    offset = bom + sum(len(line.encode("utf-8")) for line in used)
                    return offset, reader.line_num + 1

    # ----------------------------------------------------------------------------------------
    # cutting blocks

    def _take(self) -> tuple[bytes, bool]:
        """The next block of about ``chunk_rows`` lines, and whether it ends the file."""
        while True:
            while not self._eof and len(self._buf) < self._target:
                more = self._raw.read(max(self._target - len(self._buf), 1 << 16))
                if not more:
                    self._eof = True
                self._buf += more
            ends = _line_ends(self._buf, self._eof)
            if len(ends) >= self.chunk_rows:
                cut = int(ends[self.chunk_rows - 1]) + 1
                self._lines = self.chunk_rows
            elif self._eof:
                cut = len(self._buf)
                self._lines = len(ends) + (0 if self._buf.endswith((b"\n", b"\r")) else 1)
            else:
                self._target *= 2  # lines longer than guessed: read more
                continue
            block, self._buf = self._buf[:cut], self._buf[cut:]
            self._target = max(1 << 16, int(cut * 1.05))
            self.consumed += len(block)
            return block, self._eof and not self._buf

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """The frames, block by block; the next block is read in a thread while the caller
        works on this one (pyarrow parses without holding the GIL)."""
        try:
            for frame in read_ahead(self._next_frame):
                if frame is not None and len(frame):
                    yield frame
        finally:
            self.close()

    def _next_frame(self) -> tuple[pd.DataFrame | None, bool]:
        block, last = self._take()
        if not block:
            return None, True
        return self._read_block(block, last), False

    def _read_block(self, block: bytes, last: bool) -> pd.DataFrame | None:
        if b"\x00" in block:
            _raise_encoding(self.path)
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            _raise_encoding(self.path)
        if self.fast and _plain(block):
            frame = self._fast(block)
            if frame is not None:
                self.blocks_fast += 1
                return frame
        while True:
            try:
                frame, lines = self._records(text, last)
                break
            except _OpenQuote:
                more, last = self._take()
                if b"\x00" in more or not _utf8(more):
                    _raise_encoding(self.path)
                text += more.decode("utf-8")
        self.blocks_csv += 1
        self._next_line += lines
        return frame

    # ----------------------------------------------------------------------------------------
    # the two paths

    def _fast(self, block: bytes) -> pd.DataFrame | None:
        """pyarrow's parser on a block of one record per line; None when it refuses."""
        import pyarrow as pa

        n_lines = self._lines
        numeric = [c for c in self.header if c in self.numeric]
        table = None
        if numeric:
            table = self._arrow(block, numeric)
            if table is not None and not _finite(table, numeric):
                table = None  # "nan", "inf" or a number beyond float64: the engine reads text
        if table is None:
            table = self._arrow(block, [])
        if table is None or table.num_rows != n_lines:
            return None
        if table.schema != self._text_schema():  # kept for text_again (two blocks at most)
            self._numbers = {**dict(list(self._numbers.items())[-1:]), self._next_line: block}
        frame = table.to_pandas(types_mapper={pa.string(): _STR}.get)
        first = self._next_line
        frame.index = pd.Index(np.arange(first, first + n_lines, dtype=np.int64), name="line")
        self._next_line += n_lines
        return frame

    def _text_schema(self) -> Any:
        import pyarrow as pa

        return pa.schema([(c, pa.string()) for c in self.header])

    def _arrow(self, block: bytes, numeric: list[str]) -> Any:
        """The block as an Arrow table (``numeric`` columns as float64); None when pyarrow
        refuses it (a ragged line, or a cell of a numeric column that is not a number)."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        types = {c: pa.string() for c in self.header}
        types.update({c: pa.float64() for c in numeric})
        try:
            return pcsv.read_csv(
                pa.py_buffer(block),
                read_options=pcsv.ReadOptions(column_names=self.header, block_size=1 << 22),
                parse_options=pcsv.ParseOptions(newlines_in_values=False),
                convert_options=pcsv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True
                ),
            )
        except pa.ArrowInvalid:
            return None

    def text_again(self, frame: pd.DataFrame) -> pd.DataFrame | None:
        """``frame`` (the last frame yielded), read again as text when the fast path read
        numbers (the engine then names a failing cell by its text, as for a file read
        whole); None when it was read as text already."""
        first = int(frame.index[0]) if len(frame) else -1
        block = self._numbers.get(first)
        if block is None:
            return None
        import pyarrow as pa

        table = self._arrow(block, [])
        if table is None:
            return None
        frame = table.to_pandas(types_mapper={pa.string(): _STR}.get)
        frame.index = pd.Index(np.arange(first, first + len(frame), dtype=np.int64), name="line")
        return frame

    def _records(self, text: str, last: bool) -> tuple[pd.DataFrame, int]:
        """The csv module's records of a block (ragged lines collected); the lines it spans."""
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        width, first = len(self.header), self._next_line
        lines: list[int] = []
        records: list[list[str]] = []
        ragged: list[int] = []  # kept only once the block is read (it may be extended)
        ragged_fields: list[int] = []
        while True:
            start = first + reader.line_num
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if not last and str(exc) == "unexpected end of data":
                    raise _OpenQuote from None
                _raise_csv(self.path, start, exc)
            if not record:
                continue
            if len(record) != width:
                ragged.append(start)
                ragged_fields.append(len(record))
                continue
            lines.append(start)
            records.append(record)
        self.n_ragged += len(ragged)
        for start, fields in zip(ragged[: max(0, CAP - len(self.ragged))], ragged_fields,
                                 strict=False):  # fmt: skip
            self.ragged.append(
                {"row": start, "column": None, "value": fields, "reason": "wrong-field-count"}
            )
        return _frame(self.header, records, lines), reader.line_num

    def close(self) -> None:
        raw = getattr(self, "_raw", None)
        if raw is not None and not raw.closed:
            raw.close()

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


class _OpenQuote(Exception):
    """The block ends inside a quoted field."""


def read_ahead(produce: Callable[[], tuple[Any, bool]]) -> Iterator[Any]:
    """The items of ``produce()`` (an item and whether the source is done) until it is done,
    the next one produced in a thread while the caller works on this one (the CSV blocks
    here, the Parquet batches of ``past_outcomes.registry.stream``)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(produce)
        while True:
            item, done = ahead.result()
            if done:
                return
            ahead = pool.submit(produce)
            yield item


def _line_ends(buf: bytes, eof: bool) -> np.ndarray:
    """Positions of the bytes that end a line, as the csv module reads lines: a line feed, or
    a carriage return not followed by one (a file of lone CRs is cut into blocks too, not
    read whole). A CR last in ``buf`` before the end of the file is left out: the next byte
    may be its line feed."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    crs = np.flatnonzero(arr == 13)
    if not len(crs):
        return ends
    after = crs + 1
    inside = after < len(arr)
    lone = crs[inside][arr[after[inside]] != 10]
    if eof and crs[-1] == len(arr) - 1:
        lone = np.append(lone, crs[-1])
    return np.union1d(ends, lone) if len(lone) else ends


def _plain(block: bytes) -> bool:
    """One record per line: no quote, no blank line, no carriage return but before a line feed."""
    if b'"' in block or b"\n\n" in block or block.startswith((b"\n", b"\r")):
        return False
    return b"\r" not in block or (
        b"\n\r\n" not in block and block.count(b"\r") == block.count(b"\r\n")
    )


def _finite(table: Any, numeric: list[str]) -> bool:
    """Whether every number of the ``numeric`` columns is finite (nulls aside)."""
    import pyarrow.compute as pc

    for col in numeric:
        column = table.column(col)
        if column.null_count < len(column) and not pc.all(pc.is_finite(column)).as_py():
            return False
    return True


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _frame(header: list[str], records: list[list[str]], lines: list[int]) -> pd.DataFrame:
    """Records as the safe reader's frame: ``str`` columns, ``""`` missing, ``line`` index."""
    if records:
        cells = np.array(records, dtype=object)
        cells[cells == ""] = None
        columns = {col: pd.Series(cells[:, j], dtype="str") for j, col in enumerate(header)}
    else:
        columns = {col: pd.Series([], dtype="str") for col in header}
    frame = pd.DataFrame(columns, columns=header)
    frame.index = pd.Index(lines, dtype="int64", name="line")
    return frame


def _raise_csv(path: Path, start: int, exc: csv.Error) -> None:
    raise InputFileError(
        f"{path} must be a CSV file; the record starting on line {start} cannot be read as "
        f"CSV ({exc}). Check that every quoted field is closed with a '\"' and that quotes "
        "inside a quoted field are doubled."
    ) from None


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
