"""read_dataset on a user's CSV path: same layout, safe dtypes, nothing coerced silently."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from past_outcomes import ArgumentError, read_dataset, validate_responses
from past_outcomes.datasets import format_dataset


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


def test_the_reader_does_not_import_the_generator():
    code = (
        "import sys; import past_outcomes.datasets as d; d.read_dataset('practice_rom'); "
        "print('past_outcomes.synthetic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_format_dataset_gives_the_documented_dtypes_and_leaves_its_input_alone():
    raw = pd.DataFrame(
        {
            "subject": ["a", "b"],
            "timepoint": ["intake", "prep"],
            "date": ["2024-01-08", "2024-01-20"],
            "age": [30, 41],
            "phq9_1": [1, None],
            "ebi_1": [12.5, 3],
            "phq9_2": ["2", "x"],
        }
    )
    before = raw.copy()
    out = format_dataset(raw, name="practice_rom")
    pd.testing.assert_frame_equal(raw, before)
    assert out["subject"].dtype == "string"
    assert out["timepoint"].cat.ordered and out["timepoint"].cat.categories[0] == "intake"
    assert str(out["date"].dtype) == "datetime64[s]"
    assert out["age"].dtype == "Int64" and out["phq9_1"].dtype == "Int64"
    assert out["ebi_1"].dtype == "Float64"
    assert out["phq9_2"].dtype == "string"  # text kept for validate_responses to report
    assert format_dataset(raw)["timepoint"].dtype == "string"  # no visit order without a name


def test_generated_and_read_data_sets_are_equal():
    from past_outcomes.synthetic import generate

    pd.testing.assert_frame_equal(generate("practice_rom"), read_dataset("practice_rom"))
