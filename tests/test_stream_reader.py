"""The block reader of streamed CSV files (``past_outcomes.registry.csv_blocks``): its fast
path (pyarrow on blocks of one record per line) gives the frame, or the error, of the safe
reader (``past_outcomes._io.read_csv_safely``, the csv module on the whole file), whatever
the text: quotes, blank cells and lines, ragged lines, "nan", a byte-order mark, CRLF and
lone CR line ends."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from past_outcomes._io import read_csv_safely
from past_outcomes.errors import InputFileError
from past_outcomes.registry.csv_blocks import CsvChunks, _line_ends

pytest.importorskip("pyarrow")

CELLS = ["", "1", "2", "07", "nan", "NaN", "inf", "-inf", " 2", "1e400", "NA", "x", "é",
         "a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "1.5"]  # fmt: skip


def _field(text: str, quote_all: bool) -> str:
    if quote_all or any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def csv_texts(draw) -> tuple[bytes, int]:
    header = ["subject", "item_a", "item_b"]
    rows = draw(
        st.lists(
            st.lists(st.sampled_from(CELLS), min_size=1, max_size=4).map(
                lambda r: r if len(r) != 1 else r + ["1", "2"]  # mostly 3 fields
            ),
            max_size=30,
        )
    )
    quote_all = draw(st.booleans())
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [",".join(header)]
    for row in rows:
        if draw(st.integers(0, 9)) == 0:
            lines.append("")  # a blank line
        lines.append(",".join(_field(c, quote_all and draw(st.booleans())) for c in row))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), draw(st.integers(1, 7))


def _streamed(path: Path, chunk_rows: int, fast: bool) -> tuple[pd.DataFrame | None, str]:
    reader = CsvChunks(path, chunk_rows, fast=fast)
    try:
        reader.open()
        frames = list(reader)
        reader.raise_ragged()
    except InputFileError as exc:
        return None, str(exc)
    frame = pd.concat(frames) if frames else None
    return frame, ""


def _whole(path: Path) -> tuple[pd.DataFrame | None, str]:
    try:
        frame = read_csv_safely(path)
    except InputFileError as exc:
        return None, str(exc)
    return (frame if len(frame) else None), ""


@settings(max_examples=60, deadline=None)
@given(csv_texts())
def test_fast_path_equals_the_safe_reader(case):
    data, chunk_rows = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answers.csv"
        path.write_bytes(data)
        expected, message = _whole(path)
        for fast in (True, False):
            frame, got = _streamed(path, chunk_rows, fast)
            assert got == message
            if expected is None:
                assert frame is None
            else:
                pd.testing.assert_frame_equal(frame, expected)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_numbers_are_read_as_floats_only_when_every_cell_is_a_finite_number(tmp_path):
    # block 1 (lines 2-3): numbers and a blank; block 2 (lines 4-5): the text "nan";
    # block 3 (lines 6-7): "inf"; block 4 (line 8): a word
    path = _write(tmp_path, "s,a\nS1,1\nS2,\nS3,nan\nS4,2\nS5,inf\nS6,3\nS7,x\n")
    reader = CsvChunks(path, 2, numeric=frozenset({"a"}))
    reader.open()
    chunks = list(reader)
    assert [c.index.tolist() for c in chunks] == [[2, 3], [4, 5], [6, 7], [8]]
    assert chunks[0]["a"].dtype == np.float64
    assert chunks[0]["a"].tolist()[0] == 1.0 and np.isnan(chunks[0]["a"].tolist()[1])
    for chunk, text in zip(chunks[1:], (["nan", "2"], ["inf", "3"], ["x"]), strict=True):
        assert isinstance(chunk["a"].dtype, pd.StringDtype)  # the engine reads the text
        assert chunk["a"].tolist() == text
    assert reader.blocks_fast == 4 and reader.blocks_csv == 0


def test_text_again_rereads_the_last_block_as_text(tmp_path):
    path = _write(tmp_path, "s,a\nS1,07\nS2,3\n")
    reader = CsvChunks(path, 10, numeric=frozenset({"a"}))
    reader.open()
    (chunk,) = list(reader)
    assert chunk["a"].tolist() == [7.0, 3.0]
    again = reader.text_again(chunk)
    assert again is not None and again["a"].tolist() == ["07", "3"]
    assert again.index.tolist() == [2, 3]


def test_quoted_field_across_a_block_boundary(tmp_path):
    # 2-line blocks would cut the quoted field of line 3-4 in two: the block is extended
    path = _write(tmp_path, 's,a\nS1,1\nS2,"two\nlines"\nS3,2\nS4,3\n')
    reader = CsvChunks(path, 2)
    reader.open()
    frame = pd.concat(list(reader))
    pd.testing.assert_frame_equal(frame, read_csv_safely(path))
    assert frame.index.tolist() == [2, 3, 5, 6]
    assert reader.blocks_csv >= 1


def test_a_quote_left_open_names_the_line_of_its_record(tmp_path):
    path = _write(tmp_path, "s,a\n" + "S1,1\n" * 5 + 'S2,"open\nS3,2\n')
    reader = CsvChunks(path, 2)
    reader.open()
    with pytest.raises(InputFileError, match="the record starting on line 7 cannot be read"):
        list(reader)


def test_ragged_lines_counted_past_the_cap(tmp_path, monkeypatch):
    from past_outcomes.registry import csv_blocks

    monkeypatch.setattr(csv_blocks, "CAP", 2)
    path = _write(tmp_path, "s,a\n" + "S1,1,9\n" * 5 + "S2,2\n")
    reader = CsvChunks(path, 3)
    reader.open()
    frames = list(reader)
    assert [f.index.tolist() for f in frames] == [[7]]
    with pytest.raises(InputFileError, match="line 2 has 3, line 3 has 3") as info:
        reader.raise_ragged()
    assert info.value.__notes__ == ["5 lines in all; the first 2 are in .failure_cases."]
    assert info.value.failure_cases["row"].tolist() == [2, 3]


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_a_file_of_any_line_end_is_cut_into_blocks(tmp_path, end):
    # until session 19 a file whose only line ends were lone CRs was one block, whatever its
    # size (memory not bounded)
    text = end.join(["s,a", *(f"S{i},{i % 4}" for i in range(25))]) + end
    path = _write(tmp_path, text)
    for fast in (True, False):
        reader = CsvChunks(path, 4, fast=fast)
        reader.open()
        chunks = list(reader)
        assert [len(c) for c in chunks] == [4] * 6 + [1]
        pd.testing.assert_frame_equal(pd.concat(chunks), read_csv_safely(path))


def test_line_ends_leave_out_a_cr_that_may_be_half_of_a_crlf():
    buf = b"a\rb\r\nc\r"  # lone CR at 1, CRLF at 3-4, a CR last in the buffer at 6
    assert _line_ends(buf, eof=False).tolist() == [1, 4]  # its LF may come in the next read
    assert _line_ends(buf, eof=True).tolist() == [1, 4, 6]
    assert _line_ends(b"x,y\n1,2", eof=False).tolist() == [3]


def test_parquet_chunks_hold_no_more_arrow_memory_as_the_file_goes_on(tmp_path):
    # with pyarrow's pre_buffer (its default) iter_batches kept the buffers of row groups
    # already read: 20M rows grew Arrow's allocation by 94 MiB and the CLI's RSS by 200 MiB
    # (session 19); here 150 batches of a 1.2M-row file grew it from 53 to 117 MiB
    import pyarrow as pa
    import pyarrow.parquet as pq

    from past_outcomes.registry.stream import ParquetChunks

    rng = np.random.default_rng(0)
    n = 1_200_000
    frame = pd.DataFrame({"subject": [f"C{i}" for i in range(n)]})
    for j in range(8):
        frame[f"x{j}"] = rng.random(n)
    path = tmp_path / "many_groups.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=20_000)
    del frame
    reader = ParquetChunks(path, chunk_rows=8_000)
    reader.open()
    held = []
    for i, chunk in enumerate(reader):
        if i in (10, 140):
            held.append(pa.total_allocated_bytes())
        del chunk
    assert held[1] - held[0] < 8 * 2**20, [h >> 20 for h in held]
