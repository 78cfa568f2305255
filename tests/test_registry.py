"""Registry scale on Dask: score / validate_responses on Dask DataFrames equal pandas, every
partition's failures in one error, duplicates across partitions, and the registry summary
equal to classify_change / classify_responders run on each group in memory."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.errors import ArgumentError, DataValidationError, ResponseValidationError
from past_outcomes.registry import frames
from past_outcomes.registry.summary import compute_registry_summary

dd = pytest.importorskip("dask.dataframe")

KEY = ["row", "subject", "timepoint", "column", "value", "reason", "position"]


def _answers(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "subject": [f"S{i // 3}" for i in range(n)],
            "timepoint": [f"t{i % 3}" for i in range(n)],
        }
    )
    for j in range(1, 10):
        frame[f"phq9_{j}"] = rng.integers(0, 4, n).astype(float)
    for j in range(1, 8):
        frame[f"gad7_{j}"] = rng.integers(0, 4, n).astype(float)
    for col in ("phq9_3", "gad7_5", "phq9_9"):  # missing answers
        frame.loc[rng.choice(n, n // 50, replace=False), col] = np.nan
    frame.loc[rng.choice(n, n // 150, replace=False), [f"gad7_{j}" for j in range(1, 8)]] = np.nan
    return frame


def _uneven(frame: pd.DataFrame, cuts: list[int]):
    """A Dask frame of ``frame`` split at the given row positions (uneven partitions)."""
    divisions = [0, *cuts, len(frame) - 1]
    return dd.from_pandas(frame, npartitions=1).repartition(divisions=divisions)


def _cases(exc: DataValidationError) -> pd.DataFrame:
    fc = exc.failure_cases[KEY].astype(str)
    return fc.sort_values(KEY).reset_index(drop=True)


def test_score_on_dask_is_lazy_and_equals_pandas():
    data = _answers()
    ddf = _uneven(data, [17, 1100, 1101, 2500])
    result = po.score(ddf, instrument=["phq9", "gad7"])
    assert frames.is_dask_frame(result)
    assert result.npartitions == ddf.npartitions
    expected = po.score(data, instrument=["phq9", "gad7"])
    pd.testing.assert_frame_equal(result.compute(), expected)
    assert expected["phq9_total"].isna().sum() > 0  # missing answers reached the scores


def test_scores_stay_aligned_with_their_partitions_and_each_is_read_once(tmp_path):
    """Identifiers beside the scores, partition by partition (each partition's index
    restarts at 0, so only a partition-wise pairing is right), from Parquet row groups, by
    assigning them (the README's pattern until session 19) and by ``keep=`` (its pattern
    since); the validation and the scoring share one read of each partition."""
    data = _answers(1200, seed=4)
    path = tmp_path / "answers.parquet"
    data.to_parquet(path, row_group_size=500)  # three row groups of 500, 500, 200
    ddf = dd.read_parquet(path, split_row_groups=True)
    ddf = ddf.map_partitions(lambda p: p.reset_index(drop=True))  # restart the index at 0
    scores = po.score(ddf, instrument=["phq9", "gad7"])
    got = ddf[["subject", "timepoint"]].assign(**dict(scores.items())).compute()
    got = got.reset_index(drop=True)
    expected = po.score(data, instrument=["phq9", "gad7"])
    pd.testing.assert_frame_equal(got.drop(columns=["subject", "timepoint"]), expected)
    assert got["subject"].tolist() == data["subject"].tolist()
    assert got["timepoint"].tolist() == data["timepoint"].tolist()
    names = [str(k[0] if isinstance(k, tuple) else k) for k in scores.__dask_graph__()]
    assert sum("read_parquet" in n for n in names) == 3  # before session 18: 6 (two passes)
    assert sum("_validate_part" in n for n in names) == 3
    kept = po.score(ddf, instrument=["phq9", "gad7"], keep=["subject", "timepoint"])
    pd.testing.assert_frame_equal(kept.compute().reset_index(drop=True), got)
    names = [str(k[0] if isinstance(k, tuple) else k) for k in kept.__dask_graph__()]
    assert sum("read_parquet" in n for n in names) == 3


def test_one_partition():
    data = _answers(90, seed=9)
    got = po.score(dd.from_pandas(data, npartitions=1), instrument="gad7").compute()
    pd.testing.assert_frame_equal(got, po.score(data, instrument="gad7"))


def test_validate_responses_on_dask_equals_pandas():
    data = _answers(seed=1)
    ddf = _uneven(data, [5, 999, 2998])
    got = po.validate_responses(ddf, instrument="phq9").compute()
    pd.testing.assert_frame_equal(got, po.validate_responses(data, instrument="phq9"))


def test_bad_cells_in_several_partitions_are_one_error_like_pandas():
    data = _answers(seed=2).astype({"phq9_1": object, "gad7_2": object})
    data.loc[3, "phq9_1"] = 7  # partition 0
    data.loc[1500, "gad7_2"] = "often"  # partition 2
    data.loc[2999, "phq9_1"] = 2.5  # last partition
    data.loc[2000, "subject"] = None  # a missing identifier
    ddf = _uneven(data, [10, 1200, 2600])
    result = po.score(ddf, instrument=["phq9", "gad7"])  # lazy: nothing raised yet
    with pytest.raises(
        ResponseValidationError, match=r"in 3 of 4 partition\(s\): 4 failure"
    ) as got:
        result.compute()
    with pytest.raises(ResponseValidationError) as expected:
        po.score(data, instrument=["phq9", "gad7"])
    pd.testing.assert_frame_equal(_cases(got.value), _cases(expected.value))
    assert "row 1500, subject S500, timepoint t0" in str(got.value)


def test_duplicates_across_partitions_are_found():
    data = _answers(seed=3)
    data.loc[2990, ["subject", "timepoint"]] = ["S0", "t0"]  # row 0 is S0 at t0
    ddf = _uneven(data, [100, 2000])
    with pytest.raises(ResponseValidationError, match="duplicate-observation x2") as got:
        po.score(ddf, instrument="phq9").compute()
    fc = got.value.failure_cases
    assert fc["row"].tolist() == [0, 2990]
    assert fc["position"].tolist() == [0, 2990]
    assert set(fc["reason"]) == {"duplicate-observation"}
    with pytest.raises(ResponseValidationError) as expected:
        po.score(data, instrument="phq9")
    pd.testing.assert_frame_equal(_cases(got.value), _cases(expected.value))


def _collide(s, t):
    """A pair hash of the timepoint alone (three values): equal pairs hash equal, as they
    must, and every row becomes a candidate."""
    return t.astype(str).str[1:].astype(np.uint64).to_numpy()  # "t2" -> 2


def test_forced_hash_collisions_report_no_false_duplicate(monkeypatch):
    monkeypatch.setattr(frames, "_pair_hashes", _collide)
    monkeypatch.setattr(frames, "CONFIRM_ROWS", 50)  # several confirmation batches
    data = _answers(900, seed=10)
    ddf = _uneven(data, [7, 400, 401, 850])
    got = po.score(ddf, instrument="phq9").compute()
    pd.testing.assert_frame_equal(got, po.score(data, instrument="phq9"))
    # one true repeat among the 900 colliding rows: only its two rows are reported
    data.loc[880, ["subject", "timepoint"]] = ["S1", "t1"]  # row 4 is S1 at t1
    with pytest.raises(ResponseValidationError, match="duplicate-observation x2") as exc:
        po.score(_uneven(data, [7, 400, 401, 850]), instrument="phq9").compute()
    assert exc.value.failure_cases["row"].tolist() == [4, 880]


def test_hash_collision_batches_never_split_a_hash(monkeypatch):
    """Candidates confirmed in batches of 2 with hashes of three values: every repeat is
    still found (a batch is extended to the end of its last hash)."""
    monkeypatch.setattr(frames, "_pair_hashes", _collide)
    monkeypatch.setattr(frames, "CONFIRM_ROWS", 2)
    data = _answers(300, seed=11)
    data.loc[[200, 299], ["subject", "timepoint"]] = [["S0", "t0"], ["S0", "t0"]]
    with pytest.raises(ResponseValidationError, match="duplicate-observation x3") as got:
        po.validate_responses(_uneven(data, [50, 250]), instrument="gad7").compute()
    with pytest.raises(ResponseValidationError) as expected:
        po.validate_responses(data, instrument="gad7")
    pd.testing.assert_frame_equal(_cases(got.value), _cases(expected.value))


def test_numeric_and_object_identifiers_across_partitions():
    data = _answers(600, seed=12)
    data["subject"] = np.arange(600) // 3  # integers: hashed by pandas
    data.loc[599, ["subject", "timepoint"]] = [0, "t0"]
    with pytest.raises(ResponseValidationError, match="duplicate-observation x2") as got:
        po.score(_uneven(data, [100, 300]), instrument="phq9").compute()
    assert got.value.failure_cases["position"].tolist() == [0, 599]
    mixed = _answers(300, seed=13).astype({"subject": object})
    mixed.loc[0, "subject"] = 7  # an int among texts: the engine's own id path, no duplicate
    with dask_config(convert_string=False):
        got_ok = po.score(_uneven(mixed, [20, 200]), instrument="phq9").compute()
    pd.testing.assert_frame_equal(got_ok, po.score(mixed, instrument="phq9"))


def dask_config(*, convert_string: bool):
    import dask

    return dask.config.set({"dataframe.convert-string": convert_string})


def test_failures_are_capped_and_counted(monkeypatch):
    monkeypatch.setattr(frames, "CAP", 5)
    data = _answers(600, seed=4)
    data["phq9_2"] = 9.0  # 600 bad cells, 200 per partition
    ddf = dd.from_pandas(data, npartitions=3)
    with pytest.raises(
        ResponseValidationError, match=r"600 failure\(s\) in all \(out-of-range x600\); the first 5"
    ) as got:
        po.score(ddf, instrument="phq9").compute()
    fc = got.value.failure_cases
    assert len(fc) == 5 and fc["position"].tolist() == [0, 1, 2, 3, 4]


def test_column_failures_and_arguments_raise_at_the_call():
    data = _answers(30).drop(columns=["phq9_4"])
    ddf = dd.from_pandas(data, npartitions=2)
    with pytest.raises(ResponseValidationError, match="phq9_4: column missing"):
        po.score(ddf, instrument="phq9")
    with pytest.raises(ArgumentError, match="subject='who' must name a column"):
        po.score(ddf, instrument="gad7", subject="who")


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 398), min_size=1, max_size=5, unique=True))
def test_any_partitioning_gives_the_pandas_scores(cuts):
    data = _answers(400, seed=5)
    ddf = _uneven(data, sorted(cuts))
    got = po.score(ddf, instrument="phq9", missing="complete").compute()
    pd.testing.assert_frame_equal(got, po.score(data, instrument="phq9"))


# --------------------------------------------------------------------------------------------
# registry summary


def _registry(n: int = 900, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        site, year = f"site{rng.integers(0, 3)}", int(rng.integers(2023, 2025))
        pre = int(rng.integers(4, 28))
        post = int(np.clip(pre - rng.integers(-7, 13), 0, 27))
        rows.append((f"C{i}", site, year, "intake", pre))
        if rng.random() < 0.85:
            rows.append((f"C{i}", site, year, "end", post if rng.random() > 0.05 else np.nan))
        if rng.random() < 0.2:
            rows.append((f"C{i}", site, year, "week4", int(rng.integers(0, 28))))
    frame = pd.DataFrame(rows, columns=["subject", "site", "year", "timepoint", "phq9_total"])
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def test_registry_summary_equals_the_in_memory_functions_per_group():
    data = _registry()
    summary = compute_registry_summary(
        data, measure="phq9_total", instrument="phq9", pre="intake", post="end", period="year"
    )
    assert len(summary) == 6
    for row in summary.itertuples(index=False):
        group = data[(data["site"] == row.site) & (data["year"] == row.year)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sample SD and unpaired subjects are warned
            change = po.classify_change(
                group, measure="phq9_total", instrument="phq9", pre="intake", post="end"
            )
            responders = po.classify_responders(group, instrument="phq9", pre="intake", post="end")
        reliable = change.table["reliable"]
        assert row.improved == (reliable == "improved").sum()
        assert row.deteriorated == (reliable == "deteriorated").sum()
        assert row.n_paired == reliable.notna().sum()
        assert row.n_clients == group.loc[group["timepoint"] != "week4", "subject"].nunique()
        counts = responders.counts.set_index("category").loc["responder"]
        assert (row.responders, row.evaluable) == (counts["n"], counts["denominator"])
        assert row.responder_rate == pytest.approx(counts["rate"], rel=1e-12)
        assert row.responder_ci_low == pytest.approx(counts["ci_low"], rel=1e-12)
        assert row.responder_ci_high == pytest.approx(counts["ci_high"], rel=1e-12)


def test_registry_summary_on_dask_equals_pandas():
    data = _registry(seed=7)
    kwargs = dict(measure="phq9_total", instrument="phq9", pre="intake", post="end")
    expected = compute_registry_summary(data, period="year", **kwargs)
    got = compute_registry_summary(dd.from_pandas(data, npartitions=4), period="year", **kwargs)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    by_site = compute_registry_summary(dd.from_pandas(data, npartitions=3), sd_pre=5.0, **kwargs)
    assert by_site["site"].tolist() == ["site0", "site1", "site2"]
    assert (by_site["sd_pre"] == 5.0).all()


def test_registry_summary_refuses_duplicates_and_diagnosis_rules():
    data = _registry(200, seed=8)
    data = pd.concat([data, data[data["timepoint"] == "intake"].iloc[[0]]], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"1 client\(s\) have more than one row"):
        compute_registry_summary(
            dd.from_pandas(data, npartitions=2), measure="phq9_total", instrument="phq9",
            pre="intake", post="end",
        )  # fmt: skip
    with pytest.raises(ArgumentError, match="rule must be a single-visit rule"):
        compute_registry_summary(
            data, measure="caps5_total", instrument="caps5", pre="intake", post="end",
            rule="mapp",
        )  # fmt: skip


def test_registry_summary_on_uneven_dask_partitions_and_sd_pre_checked_first():
    data = _registry(400, seed=9)  # shuffled rows: a client's pre and post in any partition
    kwargs = dict(measure="phq9_total", instrument="phq9", pre="intake", post="end")
    expected = compute_registry_summary(data, **kwargs)
    got = compute_registry_summary(_uneven(data, [3, 4, 300]), **kwargs)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    with pytest.raises(ArgumentError, match="sd_pre"):
        compute_registry_summary(_uneven(data, [3, 300]), sd_pre=0.0, **kwargs)
