"""``score(..., keep=...)`` on pandas and Dask, and the registry summary on many partitions:
identifiers carried beside the scores in one read, and the summary's pair counts equal to the
clients they stand for."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import past_outcomes as po
from past_outcomes.errors import ArgumentError, DataValidationError, ResponseValidationError
from past_outcomes.registry.summary import compute_registry_summary

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")

IDS = ["subject", "timepoint", "site", "year"]


def _answers(n: int = 2400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "subject": pd.array([f"S{i // 4}" for i in range(n)], dtype="string"),
            "timepoint": [f"t{i % 4}" for i in range(n)],
            "site": pd.Categorical([f"site{(i // 4) % 3}" for i in range(n)]),
            "year": pd.array(2020 + (np.arange(n) // 4) % 3, dtype="Int64"),
        }
    )
    for j in range(1, 10):
        frame[f"phq9_{j}"] = rng.integers(0, 4, n).astype(float)
    frame.loc[rng.choice(n, n // 40, replace=False), "phq9_4"] = np.nan
    return frame


def _uneven(frame: pd.DataFrame, cuts: list[int]):
    divisions = [0, *cuts, len(frame) - 1]
    return dd.from_pandas(frame, npartitions=1).repartition(divisions=divisions)


def _score(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return po.score(data, instrument="phq9", **kwargs)


def test_keep_puts_copies_of_the_columns_first_with_their_dtypes():
    data = _answers(400).set_axis([i // 2 for i in range(400)])  # repeated index labels
    before = data.copy(deep=True)
    result = _score(data, keep=IDS)
    scores = _score(data)
    assert list(result.columns) == IDS + list(scores.columns)
    pd.testing.assert_frame_equal(result[IDS], data[IDS])  # values, dtypes and index
    pd.testing.assert_frame_equal(result[list(scores.columns)], scores)
    result.loc[result.index[0], "subject"] = "changed"
    result.loc[result.index[0], "year"] = 1
    pd.testing.assert_frame_equal(data, before)  # no memory shared with the input
    assert list(_score(data, keep="site").columns[:2]) == ["site", "phq9_total"]


def test_keep_on_dask_equals_pandas_and_keeps_the_partitions():
    data = _answers()
    ddf = _uneven(data, [5, 900, 901, 2000])
    result = _score(ddf, keep=IDS)
    assert result.npartitions == ddf.npartitions
    # against pandas on the frame Dask holds (Dask converts text columns to its own dtype)
    pd.testing.assert_frame_equal(result.compute(), _score(ddf.compute(), keep=IDS))


def test_keep_on_dask_fails_as_without_it():
    data = _answers()
    data.loc[[7, 1500, 2390], "phq9_2"] = 9  # out of range in three partitions
    ddf = _uneven(data, [5, 900, 901, 2000])
    with pytest.raises(ResponseValidationError) as plain:
        _score(ddf).compute()
    with pytest.raises(ResponseValidationError) as kept:
        _score(ddf, keep=IDS).compute()
    pd.testing.assert_frame_equal(kept.value.failure_cases, plain.value.failure_cases)
    assert kept.value.failure_cases["row"].tolist() == [7, 1500, 2390]


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (["nope"], "must have the column"),
        (["subject", "subject"], "more than once"),
        (3, "column name or a list"),
        ([("subject",)], "column name or a list"),
        ({"subject"}, "column name or a list"),
        (["phq9_total"], "which score also writes"),
        (["phq9_n_answered"], "which score also writes"),
    ],
)
def test_keep_refuses_what_it_cannot_keep_at_the_call(keep, message):
    data = _answers(40).assign(phq9_total=1.0, phq9_n_answered=9)
    with pytest.raises(ArgumentError, match=message):
        _score(data, keep=keep)
    with pytest.raises(ArgumentError, match=message):
        _score(dd.from_pandas(data, npartitions=2), keep=keep)  # raised before computing


def test_keep_may_name_item_columns():
    data = _answers(40)
    result = _score(data, keep=["subject", "phq9_1"])
    pd.testing.assert_series_equal(result["phq9_1"], data["phq9_1"])


# --------------------------------------------------------------------------------------------
# the registry summary


def _scored(n_clients: int, seed: int, continuous: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_clients):
        site, year = f"site{rng.integers(0, 4)}", int(rng.integers(2021, 2024))
        pre = rng.uniform(4, 27) if continuous else int(rng.integers(4, 28))
        rows.append((f"C{i}", site, year, "intake", pre))
        if rng.random() < 0.8:
            post = pre - rng.normal(3, 5)
            post = float(np.clip(post if continuous else round(post), 0, 27))
            rows.append((f"C{i}", site, year, "end", post))
    frame = pd.DataFrame(rows, columns=["subject", "site", "year", "timepoint", "phq9_total"])
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("continuous", [False, True])
def test_summary_on_forty_partitions_equals_pandas(continuous):
    # Dask 2026.8 left dependencies out of the graph when a lazy group SD was handed to
    # map_partitions beyond 32 shuffled partitions ("Missing dependency"); the summary now
    # computes one collection of pair counts
    data = _scored(1500, seed=11, continuous=continuous)
    kwargs = dict(measure="phq9_total", instrument="phq9", pre="intake", post="end")
    expected = compute_registry_summary(data, period="year", **kwargs)
    with dask.config.set(scheduler="threads"):
        got = compute_registry_summary(
            dd.from_pandas(data, npartitions=40), period="year", **kwargs
        )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


def test_summary_sd_is_the_sample_sd_of_the_paired_clients_pre_scores():
    data = _scored(600, seed=12, continuous=True)
    summary = compute_registry_summary(
        data, measure="phq9_total", instrument="phq9", pre="intake", post="end", period="year"
    )
    wide = data.pivot_table(
        index=["site", "year", "subject"], columns="timepoint", values="phq9_total"
    ).dropna()
    expected = wide.groupby(["site", "year"])["intake"].std()
    got = summary.set_index(["site", "year"])["sd_pre"]
    pd.testing.assert_series_equal(got, expected.reindex(got.index), check_names=False, rtol=1e-12)
    counts = wide.groupby(["site", "year"]).size()
    assert (summary.set_index(["site", "year"])["n_paired"] == counts.reindex(got.index)).all()


def test_summary_sd_of_a_group_with_one_paired_client_is_missing():
    data = pd.DataFrame(
        {
            "subject": ["a", "a", "b", "c", "c", "d", "d"],
            "site": ["x", "x", "x", "y", "y", "y", "y"],
            "timepoint": ["intake", "end", "intake", "intake", "end", "intake", "end"],
            "phq9_total": [20.0, 5.0, 12.0, 18.0, 17.0, 9.0, 2.0],
        }
    )
    summary = compute_registry_summary(
        data, measure="phq9_total", instrument="phq9", pre="intake", post="end"
    )
    x, y = summary.set_index("site").loc["x"], summary.set_index("site").loc["y"]
    assert (x["n_clients"], x["n_paired"]) == (2, 1)
    assert np.isnan(x["sd_pre"]) and x["improved"] == 0  # no SD: no reliable change
    assert y["sd_pre"] == pytest.approx(np.std([18.0, 9.0], ddof=1), rel=1e-15)


def test_many_duplicates_within_and_across_partitions_are_those_of_pandas():
    # hashes travel without positions since session 19: a partition holding a repeated hash
    # is hashed again to find its rows; three copies of a pair, pairs repeated inside one
    # partition and across several, missing identifiers beside them
    data = _answers(3000, seed=5)
    rng = np.random.default_rng(5)
    for target in rng.choice(3000, 60, replace=False):
        source = int(rng.integers(0, 3000))
        data.loc[target, ["subject", "timepoint"]] = data.loc[source, ["subject", "timepoint"]]
    data.loc[[10, 11], "subject"] = pd.NA
    ddf = _uneven(data, [7, 8, 1000, 2990])
    with pytest.raises(ResponseValidationError) as got:
        _score(ddf, keep=["site"]).compute()
    with pytest.raises(ResponseValidationError) as expected:
        _score(data)
    key = ["row", "subject", "timepoint", "reason", "position"]

    def cases(exc):
        fc = exc.value.failure_cases[key].astype(str)
        return fc.sort_values(key).reset_index(drop=True)

    assert (exc_cases := cases(got)).shape[0] > 60
    pd.testing.assert_frame_equal(exc_cases, cases(expected))


@pytest.mark.parametrize("rule", ["response50", "remission", "mcid5"])
def test_pair_counts_give_classify_change_and_classify_responders_per_group(rule):
    # continuous scores: nearly every client is a pair of its own; integer scores share pairs
    for continuous in (True, False):
        data = _scored(500, seed=13, continuous=continuous)
        kwargs = dict(instrument="phq9", pre="intake", post="end")
        summary = compute_registry_summary(
            data, measure="phq9_total", period="year", rule=rule, **kwargs
        )
        for row in summary.itertuples(index=False):
            group = data[(data["site"] == row.site) & (data["year"] == row.year)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                change = po.classify_change(group, measure="phq9_total", **kwargs)
                responders = po.classify_responders(group, rule=rule, **kwargs)
            reliable = change.table["reliable"]
            assert row.improved == (reliable == "improved").sum()
            assert row.deteriorated == (reliable == "deteriorated").sum()
            counts = responders.counts.set_index("category").loc["responder"]
            assert (row.responders, row.evaluable) == (counts["n"], counts["denominator"])


def test_summary_lists_the_failing_cells_of_every_partition_like_pandas():
    # found by the attack census: a measure cell that is not a number (pd.NA in an object
    # column, text, a boolean) raised TypeError; a missing subject made one client of all
    data = _scored(300, seed=14, continuous=False).astype({"phq9_total": object})
    data.loc[3, "phq9_total"] = "high"
    data.loc[200, "phq9_total"] = True
    data.loc[410, "phq9_total"] = float("inf")
    data.loc[520, "subject"] = None
    kwargs = dict(measure="phq9_total", instrument="phq9", pre="intake", post="end")
    ddf = _uneven(data, [100, 300, 500])
    with pytest.raises(DataValidationError, match="4 row") as got:
        with dask.config.set(scheduler="threads"):
            compute_registry_summary(ddf, **kwargs)
    # against pandas on the frame Dask holds (it turns object columns into text)
    with pytest.raises(DataValidationError, match="4 row") as expected:
        compute_registry_summary(ddf.compute(), **kwargs)
    fc = got.value.failure_cases
    pd.testing.assert_frame_equal(fc, expected.value.failure_cases)
    with pytest.raises(DataValidationError, match="4 row") as direct:
        compute_registry_summary(data, **kwargs)
    assert direct.value.failure_cases["row"].tolist() == [3, 200, 410, 520]
    assert fc["row"].tolist() == [3, 200, 410, 520]
    assert fc["reason"].tolist() == ["not-a-number", "not-a-number", "not-finite", "missing-value"]
    assert "row 3, subject" in str(got.value)


@pytest.mark.parametrize(
    ("pre", "post"), [("intake", "intake"), (None, "end"), (["intake"], "end")]
)
def test_summary_refuses_pre_equal_to_post_and_non_values(pre, post):
    data = _scored(20, seed=15, continuous=False)
    with pytest.raises(ArgumentError, match="pre and post must be two different"):
        compute_registry_summary(data, measure="phq9_total", instrument="phq9", pre=pre, post=post)


def test_summary_refuses_what_is_not_a_data_frame():
    with pytest.raises(ArgumentError, match="must be a pandas DataFrame"):
        compute_registry_summary(
            [1, 2], measure="phq9_total", instrument="phq9", pre="intake", post="end"
        )


def test_the_readme_csv_reading_scores_as_the_file_read_whole(tmp_path):
    # dd.read_csv(dtype=str), as the README says: every cell as text for the engine's checks
    # (Dask's own dtype guess fails on a blank cell after the first block)
    data = _answers(3000, seed=16)
    path = tmp_path / "answers.csv"
    data.to_csv(path, index=False)
    ddf = dd.read_csv(path, dtype=str, blocksize=20_000)
    assert ddf.npartitions > 3
    kept = ["subject", "timepoint", "site"]
    with dask.config.set(scheduler="threads"):
        got = _score(ddf, keep=kept).compute()
    expected = _score(
        pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), keep=kept
    )
    pd.testing.assert_frame_equal(
        got.drop(columns=kept).reset_index(drop=True), expected.drop(columns=kept)
    )
    assert got["subject"].tolist() == data["subject"].tolist()
