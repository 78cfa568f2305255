"""Formatting of p-values, intervals and warnings for tables and reports."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from past_outcomes.display import (
    format_ci,
    format_count,
    format_figure,
    format_markdown,
    format_p,
    format_range,
    format_table,
    format_warnings,
)
from past_outcomes.errors import ArgumentError


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0234, "0.023"),
        (0.001, "0.001"),
        (0.000999, "<0.001"),
        (0.0, "<0.001"),
        (1.0, "1.000"),
        (np.float64(0.5), "0.500"),
        (float("nan"), ""),
        (None, ""),
        (pd.NA, ""),
    ],
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_format_p_digits():
    assert format_p(0.00042, digits=4) == "0.0004"
    assert format_p(0.00001, digits=4) == "<0.0001"


@pytest.mark.parametrize(
    ("args", "kwargs", "text"),
    [
        ((0.5234, 0.31, 0.7349), {}, "0.52 (0.31 to 0.73)"),
        ((-9.71, -13.94, -5.48), {"digits": 1}, "-9.7 (-13.9 to -5.5)"),
        ((1.0, float("nan"), float("nan")), {}, "1.00"),
        ((1.0, float("nan"), 2.0), {}, "1.00 (– to 2.00)"),
        ((float("nan"), 0.0, 1.0), {}, "– (0.00 to 1.00)"),
    ],
)
def test_format_ci(args, kwargs, text):
    assert format_ci(*args, **kwargs) == text


def test_format_warnings_lists_each_distinct_warning_once_in_order():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("b first", UserWarning, stacklevel=1)
        warnings.warn("a second", RuntimeWarning, stacklevel=1)
        warnings.warn("b first", UserWarning, stacklevel=1)
    assert format_warnings(caught) == "UserWarning: b first\nRuntimeWarning: a second"
    assert format_warnings([]) == ""


# --- format_table, format_markdown, format_count, format_range, format_figure (issue 12) ---


def test_format_table_drops_row_numbers_shows_missing_as_dash_counts_as_integers():
    frame = pd.DataFrame(
        {
            "outcome": ["PHQ-9", None],
            "n": [21.0, np.nan],  # counts after a merge: floats
            "mean": [1.234, 2.0],
            "p_value": [0.0001, 0.0234],
            "flag": pd.array([True, pd.NA], dtype="boolean"),
        },
        index=[5, 9],  # a subset's row numbers
    )
    table = format_table(frame)
    assert table.cells.to_dict("list") == {
        "outcome": ["PHQ-9", "-"],
        "n": ["21", "-"],
        "mean": ["1.23", "2.00"],
        "p_value": ["<0.001", "0.023"],
        "flag": ["yes", "-"],
    }
    html = table._repr_html_()
    assert "<th>5</th>" not in html and "NaN" not in html and "&lt;NA&gt;" not in html
    assert "<tbody>" in html and "<th" not in html.split("<tbody>")[1]
    assert frame.loc[5, "n"] == 21.0  # the input is not changed


def test_format_table_keeps_a_named_index_and_cuts_nothing():
    long_text = "x" * 300
    frame = pd.DataFrame({"a": [long_text] * 80}, index=pd.Index(range(80), name="row"))
    table = format_table(frame)
    assert list(table.cells.columns) == ["row", "a"]
    assert repr(table).count(long_text) == 80 and "..." not in repr(table)
    assert table._repr_html_().count(long_text) == 80


def test_format_table_digits_and_p_columns():
    frame = pd.DataFrame({"d": [0.12345], "r": [0.5], "sig": [0.2]})
    assert format_table(frame, digits={"d": 3}).cells.iloc[0].tolist() == ["0.123", "0.50", "0.20"]
    assert format_table(frame, p_columns=["sig"]).cells.iloc[0, 2] == "0.200"


def test_format_table_pivot_has_no_empty_header_cell_for_the_columns_name():
    pivot = pd.DataFrame({"s": ["a", "b"], "t": ["x", "y"], "v": [1, 2]}).pivot(
        index="s", columns="t", values="v"
    )
    html = format_table(pivot)._repr_html_()
    assert "<th></th>" not in html and "<th>s</th>" in html


@pytest.mark.parametrize(
    ("n", "noun", "plural", "text"),
    [(1, "client", None, "1 client"), (8, "client", None, "8 clients"),
     (0, "client", None, "0 clients"), (2.0, "child", "children", "2 children")],
)  # fmt: skip
def test_format_count(n, noun, plural, text):
    assert format_count(n, noun, plural) == text


def test_format_count_refuses_a_fraction():
    with pytest.raises(ArgumentError, match="n must be a whole number; got 2.5"):
        format_count(2.5, "client")


@pytest.mark.parametrize(
    ("values", "digits", "text"),
    [([16, 8, 12], 0, "8 to 16"), ([0.834, 1.2, np.nan], 2, "0.83 to 1.20"), ([5, 5], 0, "5"),
     ([np.nan, None], 0, "-"), ([], 0, "-")],
)  # fmt: skip
def test_format_range(values, digits, text):
    assert format_range(values, digits=digits) == text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=20))
def test_format_range_quotes_the_extremes(values):
    text = format_range(values)
    assert text.split(" to ")[0] == str(min(values))
    assert text.split(" to ")[-1] == str(max(values))


def test_format_markdown_dedents_and_renders_as_markdown():
    shown = format_markdown("""
        **8** clients
          - a list item
    """)
    assert shown._repr_markdown_() == "**8** clients\n  - a list item"
    assert repr(shown) == shown.text


def test_format_figure_carries_alt_text_and_closes_the_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    shown = format_figure(fig, alt="A rising   line\n from 0 to 1.")
    png, metadata = shown._repr_png_()
    assert png.startswith(b"\x89PNG") and metadata == {"alt": "A rising line from 0 to 1."}
    assert repr(shown) == "Figure: A rising line from 0 to 1."
    assert not plt.fignum_exists(fig.number)  # shown once, not again at the end of the cell
    fig2, _ = plt.subplots()
    with pytest.raises(ArgumentError, match="alt must be a sentence"):
        format_figure(fig2, alt="  ")
    plt.close(fig2)
