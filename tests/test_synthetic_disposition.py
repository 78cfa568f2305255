"""mdma_trial_disposition: one row per randomized subject of mdma_trial, consistent with it.

Every expected value is derived here from mdma_trial.csv itself (who has which visits), never
copied from the generator; the guess shares are checked against the loose calibration of the
module docstring (about 90 % of MDMA and 75 % of placebo participants naming their arm).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from past_outcomes.datasets import TIMEPOINTS, read_dataset
from past_outcomes.errors import DataValidationError
from past_outcomes.synthetic import generate, item_columns
from past_outcomes.synthetic_disposition import GUESSES, REASONS

REPO_DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"
NAME = "mdma_trial_disposition"
VISITS = list(TIMEPOINTS["mdma_trial"])


@pytest.fixture(scope="module")
def disposition() -> pd.DataFrame:
    return read_dataset(NAME)


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return read_dataset("mdma_trial")


def _first_missed(trial: pd.DataFrame) -> pd.Series:
    """Per subject, the first visit of VISITS without a row (None for completers)."""
    seen = trial.groupby("subject")["timepoint"].agg(lambda t: set(t.astype(str)))
    return seen.map(lambda s: next((v for v in VISITS if v not in s), None))


def test_the_committed_file_is_the_generated_one_and_the_manifest_says_so():
    data = (REPO_DATA / f"{NAME}.csv").read_bytes()
    manifest = json.loads((REPO_DATA / "manifest.json").read_text(encoding="utf-8"))
    assert manifest[NAME]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest[NAME]["rows"] == 104 and manifest[NAME]["columns"] == 8
    # byte-for-byte regeneration of every file: test_synthetic.py; here the frame round-trips
    pd.testing.assert_frame_equal(read_dataset(NAME), generate(NAME))


def test_mdma_trial_is_unchanged_by_the_new_data_set():
    """mdma_trial.csv keeps the SHA-256 it had before the disposition file was added."""
    data = (REPO_DATA / "mdma_trial.csv").read_bytes()
    expected = "3b32e0efcbceedf15b0ead5df9da48835547a2917ec707b8f543895080b710e7"
    assert hashlib.sha256(data).hexdigest() == expected


def test_columns_and_dtypes(disposition):
    assert list(disposition.columns) == [
        "subject",
        "arm",
        "randomized",
        "treated",
        "discontinued",
        "discontinuation_reason",
        "guess",
        "expectancy",
    ]
    assert disposition["randomized"].dtype == pd.BooleanDtype()
    assert disposition["treated"].dtype == pd.BooleanDtype()
    assert disposition["expectancy"].dtype == pd.Int64Dtype()
    assert disposition["discontinued"].cat.ordered
    assert list(disposition["discontinued"].cat.categories) == VISITS
    assert disposition["subject"].is_unique


def test_one_row_per_randomized_subject_of_the_trial(disposition, trial):
    arms = trial.groupby("subject")["arm"].first()
    d = disposition.set_index("subject")
    assert sorted(d.index) == sorted(arms.index)
    assert (d["arm"] == arms.loc[d.index]).all()
    assert d["randomized"].all()


def test_discontinued_is_the_first_visit_missed_in_the_trial(disposition, trial):
    missed = _first_missed(trial)
    d = disposition.set_index("subject")
    got = d["discontinued"].astype(str).where(d["discontinued"].notna(), "completed")
    assert got.loc[missed.index].tolist() == missed.fillna("completed").tolist()
    # by arm: 1 MDMA and 9 placebo dropouts (52 and 42 week-18 completers)
    counts = d[d["discontinued"].notna()].groupby("arm").size().to_dict()
    assert counts == {"mdma": 1, "placebo": 9}


def test_every_dropout_has_a_reason_and_no_completer_has_one(disposition):
    dropped = disposition["discontinued"].notna()
    reason = disposition["discontinuation_reason"]
    assert reason[dropped].notna().all()
    assert set(reason[dropped]) <= set(REASONS)
    assert reason[~dropped].isna().all()


def test_treated_means_a_post_baseline_visit_was_attended(disposition, trial):
    post = trial[trial["timepoint"] != "baseline"]
    attended = set(post["subject"])
    treated = set(disposition.loc[disposition["treated"], "subject"])
    assert treated == attended == set(disposition["subject"])


def test_guesses_are_given_by_completers_and_unblinded_as_reported(disposition):
    dropped = disposition["discontinued"].notna()
    guess = disposition["guess"]
    assert guess[dropped].isna().all()
    assert guess[~dropped].notna().all() and set(guess[~dropped]) <= set(GUESSES)
    shares = {}
    for arm in ("mdma", "placebo"):
        g = guess[(disposition["arm"] == arm) & ~dropped]
        named = g[g != "dont_know"]
        shares[arm] = float((named == arm).mean())
        assert 0 < (g == "dont_know").mean() < 0.25
    assert shares["mdma"] > 0.85  # functional unblinding in the active arm
    assert 0.6 < shares["placebo"] < 0.9
    assert shares["mdma"] > shares["placebo"]


def test_expectancy_is_a_0_to_10_rating_balanced_by_arm(disposition, trial):
    e = disposition["expectancy"]
    assert e.notna().all() and e.between(0, 10).all()
    assert 6 < e.mean() < 8 and 1 < e.std() < 2.5
    by_arm = e.groupby(disposition["arm"]).mean()
    assert abs(by_arm["mdma"] - by_arm["placebo"]) < 1  # a baseline variable: randomized
    # prognostic by construction: higher expectancy, larger CAPS-5 fall among completers
    total = trial[item_columns("caps5")].to_numpy(dtype="float64").sum(axis=1)
    t = pd.Series(total, index=[trial["subject"], trial["timepoint"].astype(str)])
    wide = t.unstack().dropna(subset=["week18"])
    fall = (wide["baseline"] - wide["week18"]).rename("fall")
    joined = disposition.set_index("subject").join(fall, how="inner")
    assert len(joined) == 94
    r = np.corrcoef(joined["expectancy"].astype(float), joined["fall"])[0, 1]
    assert 0.05 < r < 0.5


def test_another_seed_draws_new_guesses_for_the_same_trial():
    a, b = generate(NAME), generate(NAME, seed=1)
    for col in ("subject", "arm", "discontinued", "treated"):
        pd.testing.assert_series_equal(a[col], b[col])
    assert not a["expectancy"].equals(b["expectancy"])


def test_a_users_file_with_a_bad_flag_is_refused(tmp_path):
    path = tmp_path / f"{NAME}.csv"
    path.write_text(
        "subject,arm,randomized,treated\nT-1,mdma,True,yes\nT-2,placebo,maybe,False\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError, match="2 invalid cell") as info:
        read_dataset(path)
    fc = info.value.failure_cases
    assert fc[["row", "column", "value", "reason"]].values.tolist() == [
        [3, "randomized", "maybe", "not-a-boolean"],
        [2, "treated", "yes", "not-a-boolean"],
    ]
