"""Formatting of p-values, intervals and warnings for tables and reports."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from past_outcomes.display import format_ci, format_p, format_warnings


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
