"""Synthetic data sets: byte-for-byte reproducibility, value ranges, MAPP2 calibration, loading.

The MAPP2 targets are the published figures in the shared reference notes (analysis.md) section 1.2
(Mitchell et al. 2023, Nat Med 29:2473-2480: baseline CAPS-5 39.4 (6.6) vs 38.7 (6.7), LS mean
change -23.7 vs -14.8, responders 45/52 vs 29/42; loss of diagnosis 71.2 % vs 47.6 % and
remission 46.2 % vs 21.4 % partly secondary or recalled). Tolerances: means and SDs within 1.5
points, percentages within 6 points, counts exact.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from past_outcomes import synthetic, synthetic_files
from past_outcomes.datasets import DATASETS, TIMEPOINTS, list_datasets, read_dataset
from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import load_instrument
from past_outcomes.scoring import score
from past_outcomes.synthetic import ITEM_RANGES, generate, item_columns

REPO_DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"
NAMES = list(DATASETS)
#: the data sets with one row per subject and timepoint (mdma_trial_disposition has one row
#: per subject: tests/test_synthetic_disposition.py)
LONG = [n for n in NAMES if n != "mdma_trial_disposition"]
SELF_REPORT = ["pcl5", "phq9", "gad7", "fsfi", "iief", "fsdsr", "meq30", "ebi"]


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {name: read_dataset(name) for name in LONG}


def _items(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c in ITEM_RANGES]


def _total(df: pd.DataFrame, instrument: str) -> pd.Series:
    cols = item_columns(instrument)
    values = df[cols].to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(values.sum(axis=1), index=df.index)  # NaN if any item is missing


def _symptom_rule(df: pd.DataFrame) -> np.ndarray:
    sev2 = df[item_columns("caps5")].to_numpy(dtype="int64") >= 2
    return (
        (sev2[:, 0:5].sum(1) >= 1)
        & (sev2[:, 5:7].sum(1) >= 1)
        & (sev2[:, 7:14].sum(1) >= 2)
        & (sev2[:, 14:20].sum(1) >= 2)
    )


def _alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha on complete rows: k/(k-1) * (1 - sum of item variances / total var)."""
    x = items.to_numpy(dtype="float64", na_value=np.nan)
    x = x[~np.isnan(x).any(axis=1)]
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


# ------------------------------------------------------------------------------------------
# reproducibility


def test_every_committed_file_regenerates_byte_for_byte(tmp_path):
    written = synthetic_files.write_datasets(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        [f"{n}.csv" for n in NAMES] + ["manifest.json"]
    )
    for path in written:
        committed = REPO_DATA / path.name
        assert committed.is_file(), f"{committed} is not committed"
        assert path.read_bytes() == committed.read_bytes(), f"{path.name} differs"


def test_generate_is_deterministic_and_seed_dependent():
    a = generate("past_pilot", seed=7)
    pd.testing.assert_frame_equal(a, generate("past_pilot", seed=7))
    assert not a.equals(generate("past_pilot", seed=8))


def test_csv_format_is_plain(data):
    text = (REPO_DATA / "practice_rom.csv").read_text(encoding="utf-8")
    assert "\r" not in text
    assert re.search(r",2024-\d\d-\d\d,", text)
    assert not re.search(r"\d\.0(,|\n)", text), "integers must not be written as floats"


# ------------------------------------------------------------------------------------------
# contract: columns, ranges, ids


@pytest.mark.parametrize("name", LONG)
def test_item_values_are_integers_in_range(data, name):
    df = data[name]
    assert _items(df), name
    for col in _items(df):
        values = df[col].dropna()
        low, high = ITEM_RANGES[col]
        assert values.between(low, high).all(), f"{name}.{col} outside {low}-{high}"


def test_item_ranges_follow_the_instruments():
    assert ITEM_RANGES["fsfi_1"] == (1, 5) and ITEM_RANGES["fsfi_3"] == (0, 5)
    assert ITEM_RANGES["fsfi_15"] == (1, 5) and ITEM_RANGES["fsfi_19"] == (0, 5)
    assert ITEM_RANGES["iief_10"] == (0, 5) and ITEM_RANGES["iief_11"] == (1, 5)
    assert ITEM_RANGES["phq9_9"] == (0, 3) and ITEM_RANGES["caps5_20"] == (0, 4)
    assert ITEM_RANGES["ebi_6"] == (0, 100) and ITEM_RANGES["sds_3"] == (0, 10)
    assert len(item_columns("meq30")) == 30 and len(item_columns("fsdsr")) == 13


@pytest.mark.parametrize(
    "instrument", ["caps5", "pcl5", "phq9", "gad7", "fsfi", "iief", "fsdsr", "meq30", "ebi", "sds"]
)
def test_item_counts_and_ranges_are_the_specs(instrument):
    spec = load_instrument(instrument)
    assert item_columns(instrument) == list(spec.item_columns)
    for item in spec.items:
        assert ITEM_RANGES[item.column] == (item.min, item.max)


def test_the_screening_rule_is_the_specs_diagnosis_rule(data):
    """The generator screens CAPS-5 candidates with the spec's dx rule, as score applies it."""
    trial = data["mdma_trial"]
    items = trial[item_columns("caps5")].to_numpy(dtype="int64")
    scored = score(trial[item_columns("caps5")], instrument="caps5")
    np.testing.assert_array_equal(
        synthetic._caps_symptom_rule(items), scored["caps5_dx"].to_numpy(dtype=bool)
    )
    assert synthetic._CAPS_CLUSTERS.tolist() == [0] * 5 + [1] * 2 + [2] * 7 + [3] * 6


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("mdma_trial", r"T-\d{3}"),
        ("past_pilot", r"P\d{2}"),
        ("past_pilot_sessions", r"P\d{2}"),
        ("practice_rom", r"C\d{2}"),
    ],
)
def test_ids_are_pseudonymous(data, name, pattern):
    df = data[name]
    assert df["subject"].str.fullmatch(pattern).all()
    assert not df.duplicated(["subject", "timepoint"]).any()


def test_caps5_is_never_skipped_and_self_report_rarely(data):
    assert data["mdma_trial"][item_columns("caps5")].notna().all().all()
    for name in ("past_pilot", "past_pilot_sessions", "practice_rom"):
        df = data[name]
        skipped = answered = 0
        for inst in SELF_REPORT:
            cols = [c for c in item_columns(inst) if c in df.columns]
            if not cols:
                continue
            block = df[cols]
            given = block.notna().any(axis=1)  # administered at this row
            skipped += int(block[given].isna().sum().sum())
            answered += int(block[given].size)
        assert 0.002 < skipped / answered < 0.025, (name, skipped / answered)


# ------------------------------------------------------------------------------------------
# mdma_trial: MAPP2 calibration


@pytest.fixture(scope="module")
def trial(data) -> pd.DataFrame:
    df = data["mdma_trial"].copy()
    df["total"] = _total(df, "caps5")
    df["rule"] = _symptom_rule(df)
    return df


def test_caps5_totals_match_the_package_scorer(trial):
    """End to end: the package's scorer and a hand sum agree on every row."""
    from past_outcomes.scoring import score

    scored = score(trial[["subject", "timepoint", *item_columns("caps5")]], instrument="caps5")
    np.testing.assert_array_equal(scored["caps5_total"].to_numpy(dtype=float), trial["total"])
    np.testing.assert_array_equal(scored["caps5_dx"].to_numpy(dtype=bool), trial["rule"])


def test_trial_design(trial):
    base = trial[trial["timepoint"] == "baseline"]
    assert base.groupby("arm").size().to_dict() == {"mdma": 53, "placebo": 51}
    assert base.groupby("arm")["dissociative"].sum().to_dict() == {"mdma": 13, "placebo": 11}
    assert 3 <= base["site"].nunique() <= 8
    # one row per visit attended; no visits after dropout
    order = trial["timepoint"].cat.codes
    for _, visits in order.groupby(trial["subject"]):
        assert visits.tolist() == list(range(len(visits)))
    # inclusion: CAPS-5 >= 28 and the DSM-5 symptom rule at baseline
    assert (base["total"] >= 28).all()
    assert base["rule"].all()


def test_dropout_is_higher_with_placebo(trial):
    last = trial[trial["timepoint"] == "week18"].groupby("arm").size()
    assert last.to_dict() == {"mdma": 52, "placebo": 42}
    assert 1 - last["placebo"] / 51 > 1 - last["mdma"] / 53


@pytest.mark.parametrize(
    ("arm", "target"),
    [
        (
            "mdma",
            dict(base=39.4, base_sd=6.6, change=-23.7, resp=86.5, lod=71.2, remit=46.2),
        ),
        (
            "placebo",
            dict(base=38.7, base_sd=6.7, change=-14.8, resp=69.0, lod=47.6, remit=21.4),
        ),
    ],
)
def test_mapp2_figures_within_tolerance(trial, arm, target):
    a = trial[trial["arm"] == arm]
    base = a[a["timepoint"] == "baseline"].set_index("subject")
    wk18 = a[a["timepoint"] == "week18"].set_index("subject")
    change = wk18["total"] - base.loc[wk18.index, "total"]
    responder = change <= -10
    lost = responder & ~wk18["rule"]
    remitted = lost & (wk18["total"] <= 11)
    assert base["total"].mean() == pytest.approx(target["base"], abs=1.5)
    assert base["total"].std() == pytest.approx(target["base_sd"], abs=1.5)
    assert change.mean() == pytest.approx(target["change"], abs=1.5)
    assert 100 * responder.mean() == pytest.approx(target["resp"], abs=6)
    assert 100 * lost.mean() == pytest.approx(target["lod"], abs=6)
    assert 100 * remitted.mean() == pytest.approx(target["remit"], abs=6)


def test_sds_improves_more_with_mdma(trial):
    sds = trial[item_columns("sds")].astype("float64").mean(axis=1)
    by = sds.groupby([trial["arm"], trial["timepoint"]], observed=True).mean()
    assert 5 < by["mdma", "baseline"] < 9
    assert (
        by["mdma", "week18"] - by["mdma", "baseline"]
        < by["placebo", "week18"] - by["placebo", "baseline"]
    )


# ------------------------------------------------------------------------------------------
# internal consistency and change


@pytest.mark.parametrize(
    ("name", "instrument", "timepoint"),
    [
        ("mdma_trial", "caps5", "baseline"),
        ("past_pilot", "pcl5", "baseline"),
        ("past_pilot", "phq9", "baseline"),
        ("past_pilot", "gad7", "baseline"),
        ("past_pilot", "fsfi", "baseline"),
        ("past_pilot", "iief", "baseline"),
        ("past_pilot", "fsdsr", "baseline"),
        ("past_pilot_sessions", "meq30", "dosing1"),
        ("past_pilot_sessions", "ebi", "dosing1"),
    ],
)
def test_internal_consistency_is_realistic(data, name, instrument, timepoint):
    df = data[name]
    alpha = _alpha(df.loc[df["timepoint"] == timepoint, item_columns(instrument)])
    assert 0.75 <= alpha <= 0.97, (instrument, alpha)


def test_pilot_improves_moderately_with_heterogeneity(data):
    df = data["past_pilot"]
    worse = 0
    for inst in ("pcl5", "phq9", "gad7"):
        total = _total(df, inst).groupby([df["subject"], df["timepoint"]], observed=True).first()
        wide = total.unstack("timepoint")
        change = (wide["post_integration"] - wide["baseline"]).dropna()
        dz = -change.mean() / change.std()
        assert 0.5 <= dz <= 1.2, (inst, dz)
        worse += int((change > 0).sum())
    assert worse >= 3  # some clients get worse


def test_pilot_layout(data):
    df = data["past_pilot"]
    assert df["subject"].nunique() == 40
    assert set(df["gender"]) == {"woman", "man", "nonbinary"}
    assert (df["dosing_drug"] == "ketamine").all()
    assert pd.api.types.is_integer_dtype(df["age"])
    vulva = df["anatomy"] == "vulva"
    assert df.loc[vulva, item_columns("iief")].isna().all().all()
    assert df.loc[~vulva, item_columns("fsfi") + item_columns("fsdsr")].isna().all().all()
    assert df.groupby("timepoint", observed=True).size()["followup_3m"] < 40  # missed visits
    sessions = data["past_pilot_sessions"]
    assert set(sessions["subject"]) <= set(df["subject"])
    assert list(sessions["timepoint"].cat.categories) == ["dosing1", "dosing2"]


# ------------------------------------------------------------------------------------------
# practice_rom


def test_practice_rom_has_the_deteriorating_client(data):
    df = data["practice_rom"]
    client = df[df["subject"] == synthetic.ROM_DETERIORATING].set_index("timepoint")
    phq = _total(client, "phq9")
    pcl = _total(client, "pcl5")
    # PHQ-9 and PCL-5 rise by more than twice their reliable-change thresholds (~6 and ~15)
    assert phq["followup_3m"] - phq["intake"] >= 10
    assert pcl["followup_3m"] - pcl["intake"] >= 20


def test_practice_rom_has_the_item9_client(data):
    df = data["practice_rom"]
    flagged = df.loc[df["phq9_9"] > 0, ["subject", "timepoint"]]
    assert synthetic.ROM_ITEM9 in set(flagged["subject"])
    assert set(flagged["subject"]) <= {synthetic.ROM_ITEM9, synthetic.ROM_DETERIORATING}


def test_practice_rom_layout(data):
    df = data["practice_rom"]
    assert df["subject"].nunique() == 12
    assert set(df["medicine"]) == {"ketamine", "psilocybin", "mdma"}
    for _, client in df.groupby("subject"):
        assert client["date"].is_monotonic_increasing
        assert client["timepoint"].cat.codes.is_monotonic_increasing


# ------------------------------------------------------------------------------------------
# loading


@pytest.mark.parametrize("name", LONG)
def test_read_dataset_dtypes(data, name):
    df = data[name]
    assert df["subject"].dtype == pd.StringDtype()
    assert isinstance(df["timepoint"].dtype, pd.CategoricalDtype)
    assert df["timepoint"].cat.ordered
    assert list(df["timepoint"].cat.categories) == list(TIMEPOINTS[name])
    assert df["timepoint"].notna().all()
    for col in _items(df):
        assert df[col].dtype == pd.Int64Dtype(), col
    if "date" in df:
        assert df["date"].dtype == "datetime64[s]"
    if "dissociative" in df:
        assert df["dissociative"].dtype == pd.BooleanDtype()
    pd.testing.assert_frame_equal(df, generate(name))


def test_list_datasets():
    listing = list_datasets()
    assert list(listing.columns) == ["name", "description", "rows", "file"]
    assert listing["name"].tolist() == NAMES
    for rec in listing.itertuples():
        assert Path(rec.file).is_file()
        assert rec.rows == len(read_dataset(rec.name))


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ArgumentError, match=r"name must be one of 'mdma_trial'.*got 'mapp2'"):
        read_dataset("mapp2")
    with pytest.raises(ArgumentError, match=r"got 'nope'"):
        generate("nope")
    with pytest.raises(ArgumentError, match=r"names must be among"):
        synthetic_files.write_datasets(Path("unused"), names=["nope"])
