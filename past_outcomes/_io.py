"""Safe file input and output: one CSV reader and one atomic writer for the whole package.

Reading
-------
``read_csv_safely(path)`` is the only way the package reads a user's CSV file (the ``score``
command, ``read_dataset`` on a path, the ``notebooks run --data`` check). It keeps every cell
as text (``""`` becomes missing; ``TRUE``, ``NA``, ``007`` stay the text they are) and refuses,
with an ``InputFileError`` whose message names the remedy, a file that:

- does not exist, is a folder, or cannot be opened;
- is empty (0 bytes, or only blank lines). A file with a header and no data rows is a valid,
  empty table: it is returned with its columns and no rows;
- holds binary data (NUL bytes) or is not UTF-8 (Latin-1/Windows-1252 bytes, UTF-16 with or
  without a byte-order mark). A UTF-8 byte-order mark is accepted and removed;
- has a quoting error (a quote left open);
- has a header with an empty or repeated column name (reason ``duplicate-column`` or
  ``missing-value`` in ``failure_cases``);
- has lines with more or fewer fields than the header (reason ``wrong-field-count``; every
  such line is listed). pandas would otherwise shift the first columns into the index and
  read subject ids as item answers.

Line numbers: the returned DataFrame's index holds the 1-based line number of the file where
each record starts (the header is line 1, so the first data row is line 2) and is named
``line``. Every downstream error that names a ``row`` by index label therefore names the
line of the file. Blank lines are skipped, as pandas does, and do not shift the numbering.

Writing
-------
``check_output_path`` refuses, before anything is read, an output that resolves to one of the
inputs (through symlinks, ``./``, ``..``, or a hard link), that exists (without ``force``), that
is a folder, that lies under a file, or whose folder is not writable. ``atomic_write`` writes
to a temporary file in the destination's folder and moves it into place with ``os.replace``,
so a failure half way leaves no truncated file and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from past_outcomes.errors import FAILURE_COLUMNS, InputFileError, OutputPathError

__all__ = ["atomic_write", "check_output_path", "read_csv_safely", "same_file"]

_REMEDY_ENCODING = (
    "Save the file as 'CSV UTF-8 (comma delimited)' (Excel: File > Save As; LibreOffice: "
    "character set Unicode (UTF-8)) and try again."
)
_MAX_LISTED = 10


# --------------------------------------------------------------------------------------------
# reading


def read_csv_safely(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV file with every cell kept as text; refuse anything that is not a clean table.

    Parameters
    ----------
    path : str or path
        The CSV file (comma separated, UTF-8, first line the header).

    Returns
    -------
    pandas.DataFrame
        One ``str`` column per header name, in file order; empty cells are missing (NaN),
        every other cell is the exact text of the file. The index, named ``line``, is the
        1-based file line number where each record starts (header = line 1).

    Raises
    ------
    InputFileError
        The file is missing, a folder, unreadable, empty, binary, not UTF-8, badly quoted,
        has an empty or repeated column name, or lines whose field count differs from the
        header (every such line in ``failure_cases``, ``row`` = file line number).
    """
    name = str(path)
    text = _decode(name, read_bytes(name))
    return parse_delimited(name, text)


def read_text(path: str | os.PathLike, *, legacy: bool = False) -> tuple[str, str]:
    """The text of a file and the encoding it was read in: ``"UTF-8"``, ``"UTF-8 with BOM"``,
    or (only with ``legacy=True``) ``"Windows-1252"`` / ``"Latin-1"`` when the bytes are not
    UTF-8. Binary data, UTF-16 and empty files are refused as by :func:`read_csv_safely`."""
    name = str(path)
    data = read_bytes(name)
    encoding = "UTF-8 with BOM" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    if legacy:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            _decode_checks(name, data)  # binary and UTF-16 are refused even here
            for codec, shown in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
                try:
                    text = data.decode(codec)
                except UnicodeDecodeError:
                    continue
                if not text.strip():
                    break
                return text, shown
    return _decode(name, data), encoding


def parse_delimited(
    name: str,
    text: str,
    *,
    delimiter: str = ",",
    skip_after_header: int = 0,
    numbered: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Parse decoded CSV text as :func:`read_csv_safely` does (same checks, same ``line``
    index), with another ``delimiter`` and, optionally, ``skip_after_header`` records after
    the header (Qualtrics' second and third header rows) left out of the table. A column name
    in ``numbered`` may repeat (REDCap's label export heads every ``<form>_complete`` column
    ``Complete?``): its repeats are named ``"Complete? (2)"``, ``"Complete? (3)"``..."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    lines: list[int] = []
    records: list[list[str]] = []
    bad: list[dict] = []
    start = 1
    to_skip = skip_after_header
    try:
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            if not record:  # a blank line, skipped as pandas does
                continue
            if header is None:
                header, header_line = record, start
                continue
            if to_skip:
                to_skip -= 1
                continue
            if len(record) != len(header):
                bad.append(
                    {
                        "row": start,
                        "column": None,
                        "value": len(record),
                        "reason": "wrong-field-count",
                    }
                )
                continue
            lines.append(start)
            records.append(record)
    except csv.Error as exc:
        raise InputFileError(
            f"{name} must be a CSV file; the record starting on line {start} cannot be read "
            f"as CSV ({exc}). "
            "Check that every quoted field is closed with a '\"' and that quotes inside a "
            "quoted field are doubled."
        ) from None
    if header is None:
        raise InputFileError(
            f"{name} must hold a header line and data rows; it is empty. "
            "Check that you chose the right file and that it was saved completely."
        )
    if numbered:
        header = _number_repeats(header, numbered)
    _check_header(name, header, header_line)
    if bad:
        _raise_ragged(name, header, header_line, bad)
    columns = list(zip(*records, strict=True)) if records else [()] * len(header)
    frame = pd.DataFrame(
        {
            col: pd.Series([v if v else None for v in values], dtype="str")
            for col, values in zip(header, columns, strict=True)
        },
        columns=header,
    )
    frame.index = pd.Index(lines, dtype="int64", name="line")
    return frame


def _number_repeats(header: list[str], numbered: frozenset[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for col in header:
        if col in numbered:
            seen[col] = seen.get(col, 0) + 1
            out.append(col if seen[col] == 1 else f"{col} ({seen[col]})")
        else:
            out.append(col)
    return out


def read_bytes(name: str) -> bytes:
    """The bytes of a file; a missing file, a folder or an unreadable one is an InputFileError."""
    try:
        with open(name, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputFileError(
            f"{name} must be an existing file; there is no file at that path. "
            "Check the spelling and the folder you run the command from."
        ) from None
    except IsADirectoryError:
        raise InputFileError(
            f"{name} must be a file; it is a folder. Name a file inside it."
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"{name} must be a readable file; it cannot be opened ({exc.strerror or exc}). "
            "Check its permissions."
        ) from None


def _decode(name: str, data: bytes) -> str:
    _decode_checks(name, data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"{name} must be encoded as UTF-8; line {line} holds the byte "
            f"{data[exc.start : exc.start + 1]!r}, which is not UTF-8 (the file was probably "
            f"saved as Latin-1 or Windows-1252). {_REMEDY_ENCODING}"
        ) from None
    if not text.strip():
        raise InputFileError(
            f"{name} must hold a header line and data rows; it is empty. "
            "Check that you chose the right file and that it was saved completely."
        )
    return text


def _decode_checks(name: str, data: bytes) -> None:
    """Refuse UTF-16 and binary data (NUL bytes), whatever the encoding tried next."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in data and _looks_utf16(data)):
        raise InputFileError(
            f"{name} must be encoded as UTF-8; it looks like UTF-16 (as Excel's 'Unicode text' "
            f"export writes). {_REMEDY_ENCODING}"
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputFileError(
            f"{name} must be a text CSV file; it holds binary data (a NUL byte on line {line}). "
            "Check that you chose the right file; a spreadsheet (.xlsx, .ods) must be exported "
            f"as CSV first. {_REMEDY_ENCODING}"
        )


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL in every other byte."""
    head = data[:200]
    return len(head) >= 4 and (
        head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4
    )


def _check_header(name: str, header: list[str], line: int) -> None:
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for position, col in enumerate(header, start=1):
        if not col.strip():
            rows.append({"row": line, "column": col, "value": position, "reason": "missing-value"})
        elif col in seen:
            rows.append(
                {"row": line, "column": col, "value": position, "reason": "duplicate-column"}
            )
        else:
            seen[col] = position
    if not rows:
        return
    parts = []
    for rec in rows:
        if rec["reason"] == "missing-value":
            parts.append(f"field {rec['value']} has no name")
        else:
            parts.append(
                f"{rec['column']!r} appears again as field {rec['value']} "
                f"(first as field {seen[rec['column']]})"
            )
    raise InputFileError(
        f"every column of the header of {name} (line {line}) must have a name of its own; "
        f"{'; '.join(parts)}. Rename or delete the repeated or empty columns; pandas would "
        "otherwise rename them silently (e.g. 'phq9_1.1').",
        _failure_frame(rows),
    )


def _raise_ragged(name: str, header: list[str], header_line: int, bad: list[dict]) -> None:
    listed = ", ".join(f"line {b['row']} has {b['value']}" for b in bad[:_MAX_LISTED])
    more = f", and {len(bad) - _MAX_LISTED} more lines" if len(bad) > _MAX_LISTED else ""
    raise InputFileError(
        f"every line of {name} must have as many fields as its header (line {header_line}: "
        f"{len(header)} fields); {len(bad)} line(s) do not: {listed}{more}. "
        "Check for unquoted commas inside values, or missing or extra separators; the full "
        "list is in .failure_cases.",
        _failure_frame(bad),
    )


def _failure_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in FAILURE_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    return frame[FAILURE_COLUMNS]


# --------------------------------------------------------------------------------------------
# writing


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when two paths name the same file: same resolved path, or same inode and device."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev)


def check_output_path(
    path: str | os.PathLike,
    *,
    inputs: Iterable[str | os.PathLike] = (),
    force: bool = False,
    option: str = "--out",
) -> Path:
    """Check that ``path`` can receive an output file without destroying anything.

    Nothing is read or written here: call it before reading any input.

    Parameters
    ----------
    path
        The output file.
    inputs
        Every file the command reads; the output may be none of them (compared by resolved
        path and by inode, so symlinks, ``..`` and hard links are caught).
    force
        Allow replacing an existing file (never an input).
    option
        The option name used in messages (``--out``, ``--html``).

    Returns
    -------
    Path
        ``path`` as a Path.

    Raises
    ------
    OutputPathError
        The path is an input, a folder, lies under a file, exists (without ``force``), or
        its folder cannot be written.
    """
    out = Path(path)
    for source in inputs:
        if same_file(out, source):
            raise OutputPathError(
                f"{option} must not be a file the command reads; {str(out)!r} is the input "
                f"{str(source)!r}, and writing it would destroy the data. Choose another "
                "output file name."
            )
    if out.is_dir():
        raise OutputPathError(
            f"{option} must be a file name; {str(out)!r} is a folder. Name a file inside it, "
            f"e.g. {str(out / 'scores.csv')!r}."
        )
    if os.path.lexists(out):
        if not force:
            raise OutputPathError(
                f"{option} must not overwrite an existing file; {str(out)!r} exists. Choose "
                "another name, delete the file, or pass --force to replace it."
            )
        if out.exists() and not os.access(out, os.W_OK):
            raise OutputPathError(
                f"{option} must be writable; {str(out)!r} is read-only. Change its "
                "permissions or choose another name."
            )
    _check_folder(out.parent, option, str(out))
    return out


def _check_folder(folder: Path, option: str, shown: str) -> None:
    """The nearest existing ancestor must be a folder we may write into."""
    ancestor = Path(os.path.abspath(folder))
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputPathError(
            f"{option} must lie in a folder; {shown!r} lies under {str(ancestor)!r}, which is "
            "a file. Choose another output path."
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"{option} must be in a folder you may write into; {str(ancestor)!r} is not "
            "writable (permission denied). Choose another folder."
        )


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, mode: str = "w") -> Iterator[io.IOBase]:
    """Write ``path`` all or nothing: yield a temporary file beside it, then ``os.replace``.

    ``mode`` is ``"w"`` (text, UTF-8, ``\\n`` line ends) or ``"wb"``. Missing parent folders
    are created. If the body raises, the temporary file is removed and ``path`` is untouched;
    an ``OSError`` (disk full, permission denied) becomes an ``OutputPathError``. A new file
    gets the usual permissions (``0o666`` minus the umask); a replaced file keeps its mode.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb'; got {mode!r}.")
    out = Path(path)
    tmp_name = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        try:
            mode_bits = os.stat(out).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode_bits = 0o666 & ~umask
        os.chmod(tmp_name, mode_bits)
        fh: io.IOBase
        if mode == "w":
            fh = open(fd, "w", encoding="utf-8", newline="")
        else:
            fh = open(fd, "wb")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, out)
        tmp_name = None
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise OutputPathError(
            f"the output {str(out)!r} could not be written ({exc.strerror or exc}); nothing "
            "was written. Check the folder's permissions and free space, or choose another "
            "path."
        ) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
