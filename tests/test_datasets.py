"""read_dataset on a user's CSV path: same layout, safe dtypes, nothing coerced silently."""

from __future__ import annotations

import pandas as pd
import pytest

from past_outcomes import ArgumentError, read_dataset, validate_responses


def test_a_users_csv_in_the_bundled_layout_reads_like_the_bundled_one(tmp_path):
    bundled = read_dataset("past_pilot")
    path = tmp_path / "my_pilot.csv"
    pd.read_csv("data/synthetic/past_pilot.csv").to_csv(path, index=False)
    mine = read_dataset(path)
    assert mine["fsfi_1"].dtype == "Int64"
    assert mine["timepoint"].dtype == "string"  # no known visit order for a user's file
    pd.testing.assert_series_equal(mine["pcl5_3"], bundled["pcl5_3"])


def test_text_and_fractions_in_a_users_file_are_kept_for_validation(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("subject,timepoint,ebi_1,phq9_1\nA,t0,12.5,1\nB,t0,40,two\n")
    data = read_dataset(path)
    assert data["ebi_1"].dtype == "Float64"
    assert data["phq9_1"].dtype == "string"
    with pytest.raises(ValueError, match="got the text 'two'"):
        validate_responses(data.assign(**{f"phq9_{i}": 0 for i in range(2, 10)}), instrument="phq9")


def test_unknown_names_and_missing_files_are_argument_errors():
    with pytest.raises(ArgumentError, match="or the path of a CSV file; got 'nope'"):
        read_dataset("nope")
    with pytest.raises(ArgumentError, match="got 'missing/file.csv'"):
        read_dataset("missing/file.csv")
