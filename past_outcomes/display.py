"""Formatting for tables and reports: p-values, intervals and warnings written one way.

Numbers stay at full precision in every result; these functions turn them into text only
where a table is shown, so that every notebook and report writes a p-value, an interval and
a caught warning the same way (``<0.001``, never ``0.000`` in one table and ``1.2e-05`` in
another).

For notebooks and reports, ``format_table`` shows a table the way a reader expects it (no
pandas index column, missing values as "-", counts as integers, p-values through
``format_p``, nothing cut off), ``format_markdown`` turns prose computed from the numbers
into Markdown, ``format_count`` and ``format_range`` write the counts and ranges in such
prose, and ``format_figure`` shows a matplotlib figure with its alt text.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "Figure",
    "Markdown",
    "Table",
    "format_ci",
    "format_count",
    "format_figure",
    "format_markdown",
    "format_p",
    "format_range",
    "format_table",
    "format_warnings",
]

#: How a missing value is shown in a formatted table.
MISSING = "-"

#: Column names formatted as p-values by ``format_table``: ``p``, ``p_value``, ``p_holm``,
#: ``p_fdr_bh``, ``p_adj``, ``interaction_p`` ...
P_COLUMN = re.compile(r"^(p|p[_ ].*|.*[_ ]p)$", re.IGNORECASE)


def _is_missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def format_p(p: Any, *, digits: int = 3) -> str:
    """A p-value as text: ``"0.023"``, ``"<0.001"`` below ``10**-digits``, ``""`` if missing.

    >>> format_p(0.0234), format_p(2e-6), format_p(float("nan"))
    ('0.023', '<0.001', '')
    """
    if _is_missing(p):
        return ""
    p = float(p)
    floor = 10.0**-digits
    return f"<{floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def format_ci(estimate: Any, low: Any, high: Any, *, digits: int = 2) -> str:
    """An estimate with its interval: ``"0.52 (0.31 to 0.73)"``; missing parts as ``"–"``.

    >>> format_ci(0.5234, 0.31, 0.7349)
    '0.52 (0.31 to 0.73)'
    """

    def one(v: Any) -> str:
        return "–" if _is_missing(v) else f"{float(v):.{digits}f}"

    if _is_missing(low) and _is_missing(high):
        return one(estimate)
    return f"{one(estimate)} ({one(low)} to {one(high)})"


def format_warnings(caught: Iterable[warnings.WarningMessage]) -> str:
    """Caught warnings as lines ``Category: message``, each distinct line once, in order.

    For notebooks and reports, which print warnings as text instead of letting them reach
    stderr: ``with warnings.catch_warnings(record=True) as caught: ...`` then
    ``print(format_warnings(caught))``.
    """
    lines = (f"{w.category.__name__}: {w.message}" for w in caught)
    return "\n".join(dict.fromkeys(lines))


def format_count(n: Any, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: ``"1 client"``, ``"8 clients"``.

    >>> format_count(1, "client"), format_count(8, "client"), format_count(2, "child", "children")
    ('1 client', '8 clients', '2 children')
    """
    from past_outcomes.errors import ArgumentError

    if _is_missing(n) or float(n) != int(float(n)):
        raise ArgumentError(f"n must be a whole number; got {n!r}. Pass a count.")
    count = int(float(n))
    word = noun if count == 1 else (plural if plural is not None else f"{noun}s")
    return f"{count} {word}"


def format_range(values: Any, *, digits: int = 0, sep: str = " to ") -> str:
    """The smallest and largest of ``values`` (missing ones ignored): ``"8 to 16"``; one
    number when they are equal; ``"-"`` when there is none.

    >>> format_range([16, 8, 12]), format_range([0.834, 1.2], digits=2), format_range([5, 5])
    ('8 to 16', '0.83 to 1.20', '5')
    """
    present = [float(v) for v in values if not _is_missing(v)]
    if not present:
        return MISSING
    low, high = f"{min(present):.{digits}f}", f"{max(present):.{digits}f}"
    return low if low == high else f"{low}{sep}{high}"


class Markdown:
    """Markdown text shown rendered in a notebook (``text/markdown``) and as itself in plain
    text; what ``format_markdown`` returns."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def format_markdown(text: str) -> Markdown:
    """Prose computed from the numbers, shown as Markdown in a notebook and its report.

    The text is dedented and stripped of blank lines at either end, so a triple-quoted
    f-string can be indented with the code around it.

    >>> n = 8
    >>> format_markdown(f"  The pilot has **{format_count(n, 'client')}**.")
    The pilot has **8 clients**.
    """
    return Markdown(textwrap.dedent(text).strip("\n"))


class Table:
    """A table formatted for reading: the cells as text (``.cells``), shown as an HTML table
    without the index in a notebook and as aligned text elsewhere. What ``format_table``
    returns; the numbers themselves stay in the DataFrame it was made from."""

    def __init__(self, cells: pd.DataFrame) -> None:
        self.cells = cells

    def _repr_html_(self) -> str:
        return self.cells.to_html(index=False, border=0, escape=True)

    def __repr__(self) -> str:
        return self.cells.to_string(index=False)


def format_table(
    data: pd.DataFrame,
    *,
    digits: int | Mapping[str, int] = 2,
    p_columns: Iterable[str] | None = None,
) -> Table:
    """A DataFrame formatted for a notebook or report.

    - No pandas index column: an unnamed integer index (row numbers, also of a subset) is
      dropped, any other index (a pivot's row labels) becomes the first column(s).
    - Missing values (NaN, None, ``pd.NA``, NaT) are shown as ``"-"``.
    - Integer columns, and float columns whose values are all whole numbers (counts after a
      merge or a pivot: ``21.0``), are shown as integers.
    - p-value columns (named ``p``, ``p_...`` or ``..._p``, or listed in ``p_columns``) go
      through ``format_p`` (``<0.001``); other numbers are rounded to ``digits`` decimals
      (an int, or a mapping column -> decimals; unlisted columns get 2).
    - True/False as ``yes``/``no``; nothing is cut off (every row, column and character).

    The numbers in ``data`` are not changed; ``Table.cells`` holds the text.
    """
    import pandas as pd

    frame = data.copy()
    row_numbers = frame.index.nlevels == 1 and frame.index.name is None
    if row_numbers and pd.api.types.is_integer_dtype(frame.index.dtype):
        frame = frame.reset_index(drop=True)  # row numbers, not labels
    else:
        frame = frame.reset_index()
    p_set = set(p_columns or [])
    cells = {}
    for position, column in enumerate(frame.columns):
        parts = column if isinstance(column, tuple) else (column,)
        name = str([part for part in parts if part != ""][-1]) if any(parts) else ""
        is_p = column in p_set or name in p_set or bool(P_COLUMN.match(name))
        if isinstance(digits, Mapping):
            places = digits.get(name, digits.get(str(column), 2))
        else:
            places = digits
        cells[position] = _format_column(frame.iloc[:, position], is_p=is_p, digits=places)
    text = pd.DataFrame(cells)
    text.columns = frame.columns
    text.columns.names = [None] * text.columns.nlevels  # no header row for a columns' name
    return Table(text)


def _format_column(values: pd.Series, *, is_p: bool, digits: int) -> list[str]:
    import pandas as pd
    from pandas.api import types

    present = values[~values.isna()]
    if is_p and types.is_numeric_dtype(values):
        return [MISSING if _is_missing(v) else format_p(v) for v in values]
    if types.is_bool_dtype(values) or (
        len(present) > 0 and all(isinstance(v, bool) for v in present)
    ):
        return [MISSING if v is None or v is pd.NA else ("yes" if v else "no") for v in values]
    if types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        finite = numbers[numbers.notna()]
        whole = types.is_integer_dtype(values) or bool(
            len(finite) > 0 and (finite == finite.round()).all() and (finite.abs() < 1e15).all()
        )
        if whole:
            return [MISSING if math.isnan(v) else str(int(v)) for v in numbers]
        return [MISSING if math.isnan(v) else f"{v:.{digits}f}" for v in numbers]
    return [_format_cell(v) for v in values]


def _format_cell(value: Any) -> str:
    """One cell of a text or mixed column: missing as "-", a whole float as an integer."""
    if _is_missing_cell(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_missing_cell(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell is not missing
        return False


class Figure:
    """A matplotlib figure as a PNG with its alt text: the image in a notebook and its report
    (``alt`` in the output's metadata, which ``past_outcomes.reports`` writes into the
    ``<img>`` tag), the alt text itself in plain text. What ``format_figure`` returns."""

    def __init__(self, png: bytes, alt: str) -> None:
        self.png = png
        self.alt = alt

    def _repr_png_(self) -> tuple[bytes, dict[str, str]]:
        return self.png, {"alt": self.alt}

    def __repr__(self) -> str:
        return f"Figure: {self.alt}"


def format_figure(figure: MplFigure, *, alt: str) -> Figure:
    """Show a matplotlib figure with alt text (what the figure shows, for a reader who cannot
    see it) and close it, so that it is shown once. End a plotting cell with it instead of
    ``plt.show()``."""
    from past_outcomes.errors import ArgumentError

    if not isinstance(alt, str) or not alt.strip():
        raise ArgumentError(
            "alt must be a sentence saying what the figure shows; got "
            f"{alt!r}. Describe the axes and what the reader should see."
        )
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return Figure(buffer.getvalue(), " ".join(alt.split()))
