"""Tests of past_outcomes.change: change, reliable change, clinical significance, responders.

Golden data (8 subjects, lower is better, reliability 0.84; functional population M 12, SD 6)::

    subject  s1  s2  s3  s4  s5  s6  s7  s8
    pre      24  28  32  36  36  40  44  48     M_pre  = 36, deviations -12 -8 -4 0 0 4 8 12
    post     36  14  26  22  30  18  34  20     M_post = 25, deviations  11 -11 1 -3 5 -7 9 -5

    SS_pre = 144+64+16+0+0+16+64+144 = 448   -> SD_pre^2 = 448/7 = 64, SD_pre = 8
    SS_post = 121+121+1+9+25+49+81+25 = 432  -> SD_post^2 = 432/7
    sum of cross products = -132+88-4+0+0-28+72-60 = -64 -> cov = -64/7,
        r_pp = -64/sqrt(448*432) = -0.145478...
    SEM     = 8 * sqrt(1 - 0.84) = 8 * 0.4 = 3.2
    S_diff  = sqrt(2) * 3.2 = 4.5254834...
    SE_pred = 8 * sqrt(1 - 0.84^2) = 8 * sqrt(0.2944)

    JT   s1 = (36 - 24) / S_diff                                  = 2.6516504...
    GLN  s1 = [(36 - 36) - 0.84 (24 - 36)] / SE_pred = 10.08 / SE_pred = 2.3222108...
    HLL  s1 = [(36 - 25) - 0.84 (24 - 36)] / SE_pred = 21.08 / SE_pred = 4.8563694...
    EN   s1 = [36 - (0.84 (24 - 36) + 36)] / SEM     = 10.08 / 3.2   = 3.15
    NK   s1 (r_yy = 0.80) = 10.08 / sqrt(0.84^2 * 64 * 0.16 + 64 * 0.20)
                          = 10.08 / sqrt(20.025344)                = 2.2525297...
    HA   r1 = 0.84; r2 = (432/7 - 10.24) / (432/7);
         r_dd = (64 * 0.84 + (432/7 - 10.24) + 128/7) / (64 + 432/7 + 128/7)
              = (43.52 + 80) / 144 = 123.52 / 144 = 0.857777...
         s1 = [12 r_dd + (25 - 36)(1 - r_dd)] / (sqrt(r_dd) S_diff)     = 2.0826035...

    Cutoffs (clinical population = sample pre: M 36, SD 8; dir = -1):
    a = 36 - 2*8 = 20;  b = 12 + 2*6 = 24 (R package: 12 + 2*8 = 28);
    c = (8*12 + 6*36) / (8 + 6) = 312/14 = 22.285714...

The expected RCIs below are these closed forms; they also agree with the independent base-R
implementation in tests/golden/change/rci_golden.R (outputs rci_golden.csv, cutoff_golden.csv,
ha_cs_golden.csv), checked to 1e-10.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from past_outcomes.change.difference import (
    ChangeClassification,
    ChangeResult,
    compute_change,
    plot_change,
)
from past_outcomes.change.rci import RCI_METHODS, classify_change
from past_outcomes.change.responders import (
    ResponderResult,
    classify_responders,
    plot_responders,
)
from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    SampleEstimateWarning,
    UnpairedSubjectsWarning,
)
from past_outcomes.instrument import ResponderRule, load_instrument

matplotlib.use("Agg")

GOLDEN = Path(__file__).parent / "golden" / "change"
PRE = [24, 28, 32, 36, 36, 40, 44, 48]
POST = [36, 14, 26, 22, 30, 18, 34, 20]
IDS = [f"s{i}" for i in range(1, 9)]
R = 0.84
SEM = 3.2
S_DIFF = math.sqrt(2) * 3.2
SE_PRED = 8 * math.sqrt(0.2944)
NK_DEN = math.sqrt(20.025344)
R_DD = 123.52 / 144


def long_frame(pre, post, ids=None, measure="score", pre_tp="baseline", post_tp="week18"):
    ids = ids or [f"s{i}" for i in range(1, len(pre) + 1)]
    rows = []
    for sid, a, b in zip(ids, pre, post, strict=True):
        rows.append({"subject": sid, "timepoint": pre_tp, measure: a})
        rows.append({"subject": sid, "timepoint": post_tp, measure: b})
    return pd.DataFrame(rows)


@pytest.fixture
def golden():
    return long_frame(PRE, POST)


def expected_rci(method):
    out = []
    for x, y in zip(PRE, POST, strict=True):
        if method == "jt":
            v = (y - x) / S_DIFF
        elif method == "gln":
            v = ((y - 36) - R * (x - 36)) / SE_PRED
        elif method == "hll":
            v = ((y - 25) - R * (x - 36)) / SE_PRED
        elif method == "en":
            v = (y - (R * (x - 36) + 36)) / SEM
        elif method == "nk":
            v = (y - (R * (x - 36) + 36)) / NK_DEN
        else:
            v = ((y - x) * R_DD + (25 - 36) * (1 - R_DD)) / (math.sqrt(R_DD) * S_DIFF)
        out.append(v)
    return np.array(out)


def run(data, **kw):
    args = dict(
        measure="score",
        pre="baseline",
        post="week18",
        direction="lower-is-better",
        reliability=R,
        m_functional=12,
        sd_functional=6,
    )
    args.update(kw)
    with pytest.warns(SampleEstimateWarning, match="sd_pre = 8"):
        return classify_change(data, **args)


# ------------------------------------------------------------------------------------------
# golden values: every method
# ------------------------------------------------------------------------------------------

# reliable labels and categories with cutoff c = 22.2857 (HA: true-score c = 21.8174)
GOLDEN_LABELS = {
    "jt": (
        "det imp unch imp unch imp imp imp",
        "deteriorated recovered unchanged recovered unchanged recovered improved recovered",
    ),
    "gln": (
        "det imp unch imp unch imp imp imp",
        "deteriorated recovered unchanged recovered unchanged recovered improved recovered",
    ),
    "hll": (
        "det unch unch unch unch imp unch imp",
        "deteriorated unchanged unchanged unchanged unchanged recovered unchanged recovered",
    ),
    "en": (
        "det imp imp imp unch imp imp imp",
        "deteriorated recovered improved recovered unchanged recovered improved recovered",
    ),
    # NK s7: |rci| = 1.9486 < 1.96 -> unchanged
    "nk": (
        "det imp unch imp unch imp unch imp",
        "deteriorated recovered unchanged recovered unchanged recovered unchanged recovered",
    ),
    # HA crit 1.645: s3/s5 |rci| = 1.601 -> unchanged; only s2 (CS = -2.05 < -1.645) recovers
    "ha": (
        "det imp unch imp unch imp imp imp",
        "deteriorated recovered unchanged improved unchanged improved improved improved",
    ),
}
_ABBR = {"det": "deteriorated", "imp": "improved", "unch": "unchanged"}


@pytest.mark.parametrize("method", ["jt", "gln", "hll", "en", "nk", "ha"])
def test_golden_rci_every_method(golden, method):
    res = run(golden, method=method, reliability_post=0.80 if method == "nk" else None)
    d = res.table
    assert list(d.columns[:1]) == ["subject"]
    assert d["subject"].tolist() == IDS
    np.testing.assert_allclose(d["rci"].to_numpy(), expected_rci(method), rtol=0, atol=1e-10)
    r_csv = pd.read_csv(GOLDEN / "rci_golden.csv")
    np.testing.assert_allclose(d["rci"].to_numpy(), r_csv[method].to_numpy(), rtol=0, atol=1e-10)
    reliable, category = GOLDEN_LABELS[method]
    assert d["reliable"].tolist() == [_ABBR[w] for w in reliable.split()]
    assert d["category"].tolist() == category.split()
    assert d["reliable"].dtype == "string" and d["category"].dtype == "string"
    assert res.m_pre == 36 and res.sd_pre == pytest.approx(8, abs=1e-12)
    assert res.se_measurement == pytest.approx(SEM, abs=1e-12)
    assert res.s_diff == pytest.approx(S_DIFF, abs=1e-12)
    crit = 1.6448536269514722 if method == "ha" else 1.959963984540054
    assert res.critical_value == pytest.approx(crit, abs=1e-12)
    assert res.sd_pre_source == "sample" and res.reliability_source == "argument"
    # the band used for plotting gives the same RCI
    center = res.center_intercept + res.center_slope * np.array(PRE)
    np.testing.assert_allclose(
        (np.array(POST) - center) / res.rci_scale, d["rci"].to_numpy(), atol=1e-10
    )


def test_golden_intermediate_values(golden):
    res = run(golden, method="ha", cutoff="c")
    cut = pd.read_csv(GOLDEN / "cutoff_golden.csv").set_index("quantity")["value"]
    assert res.r_dd == pytest.approx(R_DD, abs=1e-12)
    assert res.r_pre_post == pytest.approx(-64 / math.sqrt(448 * 432), abs=1e-12)
    assert res.r_pre_post == pytest.approx(cut["r_pp"], abs=1e-12)
    assert res.m_post == 25 and res.sd_post == pytest.approx(math.sqrt(432 / 7), abs=1e-12)
    assert res.cutoff == pytest.approx(cut["ha_c"], abs=1e-10)
    assert res.table["functional_post"].tolist() == [False, True] + [False] * 6
    assert "harmed" not in res.counts["category"].tolist()


def test_nk_reliability_post_defaults_to_reliability(golden):
    res = run(golden, method="nk")
    assert res.reliability_post == R
    assert "no reliability_post" in res.reliability_post_source
    np.testing.assert_allclose(
        res.table["rci"].to_numpy(),
        expected_rci("en") * SEM / (SEM * math.sqrt(R**2 + 1)),
        atol=1e-10,
    )


# ------------------------------------------------------------------------------------------
# cutoffs a, b, c
# ------------------------------------------------------------------------------------------


def test_cutoff_a_by_hand(golden):
    res = run(golden, cutoff="a")
    assert res.cutoff == pytest.approx(36 - 2 * 8, abs=1e-12)  # M_clin + dir 2 SD_clin = 20
    assert res.m_clinical == 36 and res.clinical_source == "sample"
    assert res.m_functional is None
    d = res.table
    # s8: post 20 is not below a = 20 (strict) -> improved, not recovered; s4 (22) likewise
    assert d["functional_post"].tolist() == [False, True, False, False, False, True, False, False]
    assert d["category"].tolist() == [
        "deteriorated", "recovered", "unchanged", "improved",
        "unchanged", "recovered", "improved", "improved",
    ]  # fmt: skip


def test_cutoff_b_uses_functional_sd(golden):
    res = run(golden, cutoff="b")
    # Jacobson & Truax: b = M_func - dir 2 SD_func = 12 + 12 = 24 (the R package: 12 + 2*8 = 28)
    assert res.cutoff == pytest.approx(24, abs=1e-12)
    cut = pd.read_csv(GOLDEN / "cutoff_golden.csv").set_index("quantity")["value"]
    assert res.cutoff == pytest.approx(cut["jt_b"]) and cut["jt_b_r_package"] == 28
    d = res.table
    # s1: pre 24 is not above b = 24 (strict) -> not clinical; worsens to 36 -> harmed
    assert d["clinical_pre"].tolist() == [False] + [True] * 7
    assert d["category"].tolist() == [
        "harmed", "recovered", "unchanged", "recovered",
        "unchanged", "recovered", "improved", "recovered",
    ]  # fmt: skip


def test_cutoff_c_by_hand(golden):
    res = run(golden, cutoff="c")
    assert res.cutoff == pytest.approx((8 * 12 + 6 * 36) / (8 + 6), abs=1e-12)  # 22.2857
    assert res.m_functional == 12 and res.sd_functional == 6 and res.functional_source == "argument"
    s = res.counts.set_index("category")
    assert s.loc["recovered", "n"] == 4 and s.loc["recovered", "percent"] == 50
    assert s.loc["recovered", "denominator"] == 8 and s.loc["missing", "n"] == 0


def test_ha_true_score_cutoffs(golden):
    cut = pd.read_csv(GOLDEN / "cutoff_golden.csv").set_index("quantity")["value"]
    for kind in "abc":
        res = run(golden, method="ha", cutoff=kind)
        assert res.cutoff == pytest.approx(cut[f"ha_{kind}"], abs=1e-10)
    # a = 36 - 2 * 8 * sqrt(0.84) by hand
    assert cut["ha_a"] == pytest.approx(36 - 16 * math.sqrt(0.84), abs=1e-12)


def test_no_functional_population_gives_no_categories(golden):
    with pytest.warns(SampleEstimateWarning):
        res = classify_change(
            golden, measure="score", pre="baseline", post="week18",
            direction="lower-is-better", reliability=R,
        )  # fmt: skip
    assert "category" not in res.table.columns and res.cutoff is None
    assert res.counts.columns[0] == "reliable"
    assert any("No cutoff" in line for line in res.notes())


# ------------------------------------------------------------------------------------------
# spec defaults, sources and argument errors
# ------------------------------------------------------------------------------------------


def test_spec_defaults_fsfi():
    # FSFI: higher is better; reliability 0.82, functional 30.5/5.29, clinical 19.21/6.63
    data = long_frame([15, 20, 26, 18], [30, 21, 36, 10], measure="fsfi_total")
    res = classify_change(
        data, measure="fsfi_total", pre="baseline", post="week18", instrument="fsfi", sd_pre=6.63
    )
    assert res.direction == "higher-is-better" and res.direction_source == "fsfi spec"
    assert res.reliability == 0.82 and res.reliability_source.startswith("fsfi spec, rosen2000")
    assert res.sample_estimates == ()
    assert res.cutoff == pytest.approx((6.63 * 30.5 + 5.29 * 19.21) / (6.63 + 5.29), abs=1e-12)
    s_diff = math.sqrt(2) * 6.63 * math.sqrt(1 - 0.82)
    np.testing.assert_allclose(res.table["rci"], np.array([15, 1, 10, -8]) / s_diff, atol=1e-12)
    # c = (202.215 + 101.6209) / 11.92 = 25.489; S_diff = 3.978
    # s1: 15/3.978 = 3.77 improved, 15 < c < 30 -> recovered; s2: 0.25 unchanged;
    # s3: 10/3.978 = 2.51 improved but 26 > c is already functional (not clinical) -> improved;
    # s4: -8/3.978 = -2.01 deteriorated, clinical at pre -> deteriorated (not harmed)
    assert res.table["category"].tolist() == ["recovered", "unchanged", "improved", "deteriorated"]


def test_missing_reliability_raises():
    # IIEF declares only an MCID for the EF domain, no reliability coefficient
    data = long_frame([10, 20], [20, 25], measure="iief_ef")
    with pytest.raises(ArgumentError, match=r"reliability of iief_ef.*Pass reliability="):
        classify_change(data, measure="iief_ef", pre="baseline", post="week18", instrument="iief")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measure": "nope"}, r"column\(s\) 'nope'"),
        ({"method": "xx"}, r"method must be one of 'jt'.*got 'xx'"),
        ({"cutoff": "d"}, r"cutoff must be one of"),
        ({"post": "baseline"}, r"pre and post must be different timepoints; got 'baseline'"),
        ({"post": "week99"}, r"post must be a value of the 'timepoint' column; got 'week99'"),
        ({"direction": "up"}, r"direction must be one of"),
        ({"reliability": 1.2}, r"reliability must be strictly between 0 and 1; got 1.2"),
        ({"confidence": 1}, r"confidence must be strictly between 0 and 1; got 1"),
        ({"m_clinical": 30}, r"m_clinical and sd_clinical must be given together"),
    ],
)
def test_argument_errors(golden, kwargs, message):
    args = dict(
        measure="score", pre="baseline", post="week18", direction="lower-is-better",
        reliability=R, sd_pre=8,
    )  # fmt: skip
    args.update(kwargs)
    with pytest.raises(ArgumentError, match=message):
        classify_change(golden, **args)


def test_direction_required_without_instrument(golden):
    with pytest.raises(ArgumentError, match="direction must be given"):
        classify_change(golden, measure="score", pre="baseline", post="week18", reliability=R)


def test_direction_contradicting_spec(golden):
    data = golden.rename(columns={"score": "phq9_total"})
    with pytest.raises(ArgumentError, match="must agree with the phq9 spec"):
        classify_change(
            data, measure="phq9_total", pre="baseline", post="week18", instrument="phq9",
            direction="higher-is-better", sd_pre=8,
        )  # fmt: skip


# ------------------------------------------------------------------------------------------
# pairing: missing, duplicates, no mutation
# ------------------------------------------------------------------------------------------


def test_missing_pre_or_post_gives_missing_categories(golden):
    data = pd.concat(
        [
            golden,
            pd.DataFrame(
                [
                    {"subject": "s9", "timepoint": "baseline", "score": 40},  # no post row
                    {"subject": "s10", "timepoint": "week18", "score": 10},  # no pre row
                    {"subject": "s11", "timepoint": "baseline", "score": 40},
                    {"subject": "s11", "timepoint": "week18", "score": np.nan},  # missing score
                ]
            ),
        ],
        ignore_index=True,
    )
    with (
        pytest.warns(UnpairedSubjectsWarning, match=r"3 of 11 subject\(s\).*s9, s10, s11"),
        pytest.warns(SampleEstimateWarning),
    ):
        res = classify_change(
            data, measure="score", pre="baseline", post="week18", direction="lower-is-better",
            reliability=R, m_functional=12, sd_functional=6,
        )  # fmt: skip
    d = res.table.set_index("subject")
    assert res.excluded.values.tolist() == [
        ["s9", "no-post", "score"], ["s10", "no-pre", "score"], ["s11", "no-post", "score"]
    ]  # fmt: skip
    assert res.n_complete == 8 and res.n_subjects == 11
    for sid in ("s9", "s10", "s11"):
        assert np.isnan(d.loc[sid, "rci"])
        assert d.loc[sid, "reliable"] is pd.NA and d.loc[sid, "category"] is pd.NA
    assert bool(d.loc["s9", "clinical_pre"])  # pre 40 is known and clinical
    assert d.loc["s9", "functional_post"] is pd.NA
    # complete-case statistics are unchanged by the incomplete subjects
    np.testing.assert_allclose(res.table["rci"].to_numpy()[:8], expected_rci("jt"), atol=1e-10)
    s = res.counts.set_index("category")
    assert s.loc["missing", "n"] == 3 and s.loc["recovered", "denominator"] == 8


def test_compute_change_unpaired_and_values():
    data = long_frame([10, 0, 5], [5, 3, 5])
    data = data[~((data.subject == "s3") & (data.timepoint == "week18"))]
    with pytest.warns(UnpairedSubjectsWarning, match=r"1 of 3 .*s3"):
        res = compute_change(data, measure="score", pre="baseline", post="week18")
    assert isinstance(res, ChangeResult)
    out = res.table
    assert out.columns.tolist() == ["subject", "pre", "post", "change", "pct_change"]
    assert out["change"].tolist()[:2] == [-5, 3]
    assert out["pct_change"].iloc[0] == -50 and np.isnan(out["pct_change"].iloc[1])  # pre 0
    assert np.isnan(out["post"].iloc[2]) and np.isnan(out["change"].iloc[2])
    assert res.excluded.values.tolist() == [["s3", "no-post", "score"]]
    assert any("1 subject(s) lack pre or post" in n for n in res.notes())
    assert any("pct_change is missing for 1 subject(s)" in n for n in res.notes())


def test_duplicate_rows_raise_with_failure_cases(golden):
    data = pd.concat([golden, golden.iloc[[2]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="duplicate-observation x2") as info:
        compute_change(data, measure="score", pre="baseline", post="week18")
    fc = info.value.failure_cases
    assert fc["reason"].tolist() == ["duplicate-observation"] * 2
    assert fc["row"].tolist() == [2, 16]
    assert fc["subject"].tolist() == ["s2", "s2"] and fc["timepoint"].tolist() == ["baseline"] * 2


def test_non_numeric_score_raises(golden):
    data = golden.astype({"score": object})
    data.loc[3, "score"] = "n/a"
    with pytest.raises(DataValidationError, match="not-a-number") as info:
        compute_change(data, measure="score", pre="baseline", post="week18")
    fc = info.value.failure_cases
    assert fc[["row", "subject", "column", "value", "reason"]].values.tolist() == [
        [3, "s2", "score", "n/a", "not-a-number"]
    ]


def test_input_not_mutated(golden):
    before = golden.copy(deep=True)
    run(golden, method="ha")
    compute_change(golden, measure="score", pre="baseline", post="week18")
    pd.testing.assert_frame_equal(golden, before)


def test_result_is_frozen_and_renders(golden):
    res = run(golden)
    assert isinstance(res, ChangeClassification)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.method = "gln"
    text = str(res)
    assert "Jacobson-Truax" in text and "Cutoff c = 22.29" in text and "sample" in text
    assert "<table" in res._repr_html_()


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

scores = st.integers(min_value=0, max_value=80)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(scores, scores), min_size=3, max_size=12))
def test_swapping_pre_and_post_flips_labels(pairs):
    pre = [p for p, _ in pairs]
    post = [q for _, q in pairs]
    kw = dict(measure="score", pre="baseline", post="week18", direction="lower-is-better",
              reliability=0.8, sd_pre=7.0)  # fmt: skip
    a = classify_change(long_frame(pre, post), **kw).table
    b = classify_change(long_frame(post, pre), **kw).table
    flip = {"improved": "deteriorated", "deteriorated": "improved", "unchanged": "unchanged"}
    assert b["reliable"].tolist() == [flip[v] for v in a["reliable"]]
    np.testing.assert_allclose(a["rci"], -b["rci"], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(scores, scores), min_size=3, max_size=12))
def test_change_is_post_minus_pre_and_classification_monotone(pairs):
    pre = [p for p, _ in pairs]
    post = [q for _, q in pairs]
    res = classify_change(
        long_frame(pre, post), measure="score", pre="baseline", post="week18",
        direction="higher-is-better", reliability=0.8, sd_pre=7.0,
    )  # fmt: skip
    d = res.table
    np.testing.assert_array_equal(d["change"], np.array(post, float) - np.array(pre, float))
    rank = d["reliable"].map({"deteriorated": 0, "unchanged": 1, "improved": 2}).to_numpy()
    order = np.argsort(d["change"].to_numpy(), kind="stable")
    assert np.all(np.diff(rank[order]) >= 0)


# ------------------------------------------------------------------------------------------
# responders
# ------------------------------------------------------------------------------------------


def caps_frame(rows):
    """rows: (subject, pre total, post total, post dx)."""
    out = []
    for sid, a, b, dx in rows:
        out.append({"subject": sid, "timepoint": "baseline", "caps5_total": a, "caps5_dx": True})
        out.append({"subject": sid, "timepoint": "week18", "caps5_total": b, "caps5_dx": dx})
    df = pd.DataFrame(out)
    df["caps5_dx"] = df["caps5_dx"].astype("boolean")
    return df


def test_mapp_category_boundaries():
    data = caps_frame(
        [
            ("a", 40, 30, True),  # fall 10, dx met -> response
            ("b", 40, 31, True),  # fall 9 -> non-response
            ("c", 40, 31, False),  # fall 9, no dx -> still non-response
            ("d", 21, 11, False),  # fall 10, no dx, total 11 -> remission
            ("e", 22, 12, False),  # fall 10, no dx, total 12 -> loss of diagnosis
            ("f", 40, 11, True),  # total 11 but dx met -> response
            ("g", 40, 20, pd.NA),  # fall 20, dx unknown -> responder, category missing
            ("h", 40, 45, False),  # worse -> non-response
        ]
    )
    res = classify_responders(data, instrument="caps5", pre="baseline", post="week18")
    assert res.rule == "mapp" and res.source == "mitchell2023"
    assert "Mitchell" in res.citation
    out = res.table
    assert out["category"].tolist() == [
        "response", "non-response", "non-response", "remission",
        "loss of diagnosis", "response", pd.NA, "non-response",
    ]  # fmt: skip
    assert out["responder"].tolist() == [True, False, False, True, True, True, True, False]
    assert out["improvement"].tolist() == [10, 9, 9, 10, 10, 29, 20, -5]
    assert out["category"].dtype == "string" and out["responder"].dtype == "boolean"
    assert (out["rule"] == "mapp").all()


def test_mapp_needs_diagnosis_column():
    data = caps_frame([("a", 40, 30, True)]).drop(columns="caps5_dx")
    with pytest.raises(ArgumentError, match=r"caps5_dx.*past_outcomes.score"):
        classify_responders(data, instrument="caps5", pre="baseline", post="week18")


def test_iief_by_baseline_boundaries():
    # baseline 10 -> severe (7); 11 -> moderate (5); 16 -> moderate; 17 -> mild (2); 26 -> none
    pre = [10, 10, 11, 11, 16, 17, 17, 26]
    post = [17, 16, 16, 15, 21, 19, 18, 30]
    data = long_frame(pre, post, measure="iief_ef")
    res = classify_responders(data, instrument="iief", pre="baseline", post="week18")
    assert res.rule == "ef_mcid"
    out = res.table
    np.testing.assert_array_equal(out["threshold"], [7, 7, 5, 5, 5, 2, 2, np.nan])
    assert out["baseline_band"].tolist() == [
        "severe", "severe", "moderate", "moderate", "moderate", "mild", "mild", pd.NA,
    ]  # fmt: skip
    assert out["responder"].tolist() == [True, False, True, False, True, True, False, pd.NA]
    overall = classify_responders(
        data, instrument="iief", rule="ef_mcid_overall", pre="baseline", post="week18"
    ).table
    assert overall["responder"].tolist() == [True, True, True, True, True, False, False, True]


def test_phq9_response50_and_remission():
    pre = [20, 20, 10, 0, 8]
    post = [10, 11, 4, 0, 5]
    data = long_frame(pre, post, measure="phq9_total")
    res = classify_responders(data, instrument="phq9", pre="baseline", post="week18")
    assert res.rule == "response50"
    out = res.table
    np.testing.assert_allclose(out["pct_improvement"], [50, 45, 60, np.nan, 37.5])
    # NCQA: response and remission apply to a baseline >= 10; s4 (0) and s5 (8) are not
    # eligible (issue 13: they were "response"/"remission" before)
    assert out["responder"].tolist() == [True, False, True, pd.NA, pd.NA]
    assert out["eligible"].tolist() == [True, True, True, False, False]
    assert out["category"].tolist() == [
        "responder", "non-responder", "responder", "not eligible", "not eligible"
    ]  # fmt: skip
    rem = classify_responders(
        data, instrument="phq9", rule="remission", pre="baseline", post="week18"
    ).table
    assert rem["responder"].tolist() == [False, False, True, pd.NA, pd.NA]  # post < 5
    mcid = classify_responders(
        data, instrument="phq9", rule="mcid5", pre="baseline", post="week18"
    ).table
    assert mcid["responder"].tolist() == [True, True, True, False, False]


def test_gad7_mcid4_and_missing_post():
    data = long_frame([12, 12, 12], [8, 9, 1], measure="gad7_total")
    data = data.drop(index=5)
    with pytest.warns(UnpairedSubjectsWarning, match="s3"):
        res = classify_responders(data, instrument="gad7", pre="baseline", post="week18")
    assert res.table["responder"].tolist() == [True, False, pd.NA]
    assert res.excluded.values.tolist() == [["s3", "no-post", "gad7_total"]]


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "mine", "label": "Fall of 3", "scale": "gad7_total", "kind": "change",
         "threshold": 3, "source": "my protocol"},
        ResponderRule(id="mine", label="Fall of 3", scale="gad7_total", kind="change",
                      source="my protocol", threshold=3),
    ],
)  # fmt: skip
def test_user_defined_rule(rule):
    data = long_frame([12, 12, 12], [9, 10, 15], measure="gad7_total")
    res = classify_responders(data, instrument="gad7", rule=rule, pre="baseline", post="week18")
    assert res.table["responder"].tolist() == [True, False, False]
    assert res.rule == "mine" and res.citation == "my protocol"


def test_override_threshold_marks_rule_modified():
    data = long_frame([12, 12], [9, 10], measure="gad7_total")
    res = classify_responders(data, instrument="gad7", threshold=3, pre="baseline", post="week18")
    assert res.table["responder"].tolist() == [True, False]
    assert res.rule == "mcid4+modified"


def test_responder_argument_errors():
    data = long_frame([12], [9], measure="gad7_total")
    with pytest.raises(ArgumentError, match=r"responder rule of the gad7 spec \(mcid4\); got 'x'"):
        classify_responders(data, instrument="gad7", rule="x", pre="baseline", post="week18")
    with pytest.raises(ArgumentError, match=r"rule keys must be among.*'treshold'"):
        classify_responders(
            data, instrument="gad7", rule={"scale": "gad7_total", "kind": "change", "treshold": 3},
            pre="baseline", post="week18",
        )  # fmt: skip
    with pytest.raises(ArgumentError, match="kind must be one of"):
        classify_responders(data, instrument="gad7", kind="slope", pre="baseline", post="week18")


def test_responders_on_spec_loaded_instrument_object():
    inst = load_instrument("pcl5")
    data = long_frame([50, 50], [40, 41], measure="pcl5_total")
    out = classify_responders(data, instrument=inst, pre="baseline", post="week18").table
    assert out["responder"].tolist() == [True, False]


# ------------------------------------------------------------------------------------------
# plot
# ------------------------------------------------------------------------------------------


def test_plot_change_returns_axes(golden):
    import matplotlib.pyplot as plt

    res = run(golden)
    ax = plot_change(res)
    assert isinstance(ax, matplotlib.axes.Axes)
    texts = [t.get_text() for t in ax.texts]
    assert "improved" in texts and "deteriorated" in texts
    labels = ax.get_legend_handles_labels()[1]
    assert "recovered (4)" in labels and "cutoff c" in labels and "no reliable change" in labels
    fig, ax2 = plt.subplots()
    assert plot_change(res, ax=ax2, color_by="reliable") is ax2
    plt.close("all")


def test_mapp_on_data_scored_by_the_package():
    import past_outcomes as po

    items = load_instrument("caps5").item_columns
    rows = []
    for sid, a, b in [("a", 3, 1), ("b", 3, 3), ("c", 2, 0)]:
        rows.append({"subject": sid, "timepoint": "baseline", **dict.fromkeys(items, a)})
        rows.append({"subject": sid, "timepoint": "week18", **dict.fromkeys(items, b)})
    raw = pd.DataFrame(rows)
    scored = raw[["subject", "timepoint"]].join(po.score(raw, instrument="caps5"))
    out = classify_responders(scored, instrument="caps5", pre="baseline", post="week18").table
    # totals 60 -> 20 (no dx), 60 -> 60, 40 -> 0 (no dx, <= 11)
    assert out["category"].tolist() == ["loss of diagnosis", "non-response", "remission"]


# ------------------------------------------------------------------------------------------
# the redesign (issue 10): one table of methods, confidence, results with .excluded
# ------------------------------------------------------------------------------------------


def test_every_method_is_one_entry_of_the_table():
    for method in RCI_METHODS.values():
        assert method.name and method.citation and method.r_function.startswith("calc_rci.cs_")
    assert [m.one_sided for m in RCI_METHODS.values()] == [False] * 5 + [True]


def test_adding_a_method_is_one_entry(golden, monkeypatch):
    jt = RCI_METHODS["jt"]
    monkeypatch.setitem(RCI_METHODS, "jt2", dataclasses.replace(jt, name="JT again"))
    res = run(golden, method="jt2")
    assert res.method_name == "JT again"
    np.testing.assert_allclose(res.table["rci"], expected_rci("jt"), atol=1e-12)


@pytest.mark.parametrize(
    ("method", "confidence", "crit"),
    [("jt", 0.95, 1.959963984540054), ("jt", 0.90, 1.6448536269514722),
     ("ha", 0.95, 1.6448536269514722), ("ha", 0.90, 1.2815515655446004)],
)  # fmt: skip
def test_confidence_sets_the_critical_value(golden, method, confidence, crit):
    res = run(golden, method=method, confidence=confidence)
    assert res.critical_value == pytest.approx(crit, abs=1e-12)
    assert res.confidence == confidence
    assert f"(confidence {confidence:g})" in res.notes()[1]
    sign_rci = -res.table["rci"].to_numpy()
    assert res.table["reliable"].tolist() == [
        "improved" if v > crit else "deteriorated" if v < -crit else "unchanged" for v in sign_rci
    ]


def test_alpha_is_gone(golden):
    with pytest.raises(TypeError, match="alpha"):
        classify_change(golden, measure="score", pre="baseline", post="week18", alpha=0.05)


def test_excluded_names_every_subject_set_aside_in_order_of_appearance(golden):
    extra = pd.DataFrame(
        [
            {"subject": "s0", "timepoint": "week4", "score": 30},  # only at another timepoint
            {"subject": "s9", "timepoint": "week18", "score": 12},  # no pre
            {"subject": "s10", "timepoint": "baseline", "score": np.nan},  # nothing usable
            {"subject": "s10", "timepoint": "week18", "score": np.nan},
        ]
    )
    data = pd.concat([extra.iloc[:1], golden, extra.iloc[1:]], ignore_index=True)
    with pytest.warns(UnpairedSubjectsWarning, match=r"3 of 11 subject\(s\).*s0, s9, s10"):
        res = compute_change(data, measure="score", pre="baseline", post="week18")
    assert res.table["subject"].tolist() == ["s0", *IDS, "s9", "s10"]
    assert res.excluded.values.tolist() == [
        ["s0", "no-data", "score"], ["s9", "no-pre", "score"], ["s10", "no-data", "score"]
    ]  # fmt: skip
    assert res.table["change"].isna().tolist() == [True] + [False] * 8 + [True, True]


def test_results_render_briefly_and_plot(golden):
    import matplotlib.pyplot as plt

    res = run(golden)
    lines = repr(res).splitlines()
    assert lines[0].startswith("<ChangeClassification: Reliable change") and len(lines) <= 9
    assert res.to_frame().equals(res.table) and res.to_frame() is not res.table
    assert res.excluded.columns.tolist() == ["subject", "reason", "detail"]
    assert res.reliable_counts.set_index("reliable").loc["improved", "n"] == 5
    ax = res.plot(color_by="reliable")
    assert "improved (5)" in ax.get_legend_handles_labels()[1]
    with pytest.raises(ArgumentError, match="result must be a ChangeClassification; got dict"):
        plot_change({})
    plt.close("all")


# ------------------------------------------------------------------------------------------
# ResponderResult: counts with Wilson intervals, exclusions, notes, plot
# ------------------------------------------------------------------------------------------


def test_responder_counts_are_wilson_rates_as_computed_by_hand():
    from statsmodels.stats.proportion import proportion_confint

    pre = [20, 20, 10, 0, 8, 16, 12]
    post = [10, 11, 4, 0, 5, 8, 2]
    data = long_frame(pre, post, measure="phq9_total")
    res = classify_responders(data, instrument="phq9", pre="baseline", post="week18")
    assert isinstance(res, ResponderResult)
    # by hand, as notebook 02 did: responders over the subjects the rule applies to
    flags = res.table["responder"]
    k, n = int(flags.sum()), int(flags.notna().sum())
    assert (k, n) == (4, 5)  # s4 (pre 0) and s5 (pre 8) are not eligible (baseline < 10)
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    row = res.counts.set_index("category").loc["responder"]
    assert (row["n"], row["denominator"]) == (4, 5) and row["rate"] == 4 / 5
    assert row["ci_low"] == pytest.approx(low, abs=1e-12)
    assert row["ci_high"] == pytest.approx(high, abs=1e-12)
    non = res.counts.set_index("category").loc["non-responder"]
    assert (non["n"], non["denominator"]) == (1, 5)
    ne = res.counts.set_index("category").loc["not eligible"]
    assert (ne["n"], ne["denominator"]) == (2, 7)
    assert res.excluded.values.tolist() == [
        ["s4", "not-eligible", "baseline 0 fails the rule's condition pre >= 10"],
        ["s5", "not-eligible", "baseline 8 fails the rule's condition pre >= 10"],
    ]
    assert any("pct_improvement is missing for 1 subject" in n for n in res.notes())
    narrow = classify_responders(
        data, instrument="phq9", pre="baseline", post="week18", confidence=0.5
    ).counts.set_index("category")
    assert narrow.loc["responder", "ci_low"] > row["ci_low"]


def test_mapp_counts_per_category_and_missing_diagnosis_note():
    data = caps_frame(
        [("a", 40, 30, True), ("b", 40, 31, True), ("d", 21, 11, False),
         ("e", 22, 12, False), ("g", 40, 20, pd.NA)]
    )  # fmt: skip
    res = classify_responders(data, instrument="caps5", pre="baseline", post="week18")
    counts = res.counts.set_index("category")
    assert counts.index.tolist() == ["responder", "non-responder", *MAPP]
    assert counts.loc["responder", ["n", "denominator"]].tolist() == [4, 5]
    # g responded but its diagnosis at post is unknown: no category
    assert counts.loc["response", ["n", "denominator"]].tolist() == [1, 4]
    assert counts.loc["remission", "n"] == 1 and counts.loc["loss of diagnosis", "n"] == 1
    assert any("category is missing for 1 responder(s)" in n for n in res.notes())


MAPP = ["non-response", "response", "loss of diagnosis", "remission"]


def test_iief_not_eligible_is_excluded_with_its_band():
    data = long_frame([10, 26, 17], [17, 30, 19], measure="iief_ef")
    res = classify_responders(data, instrument="iief", pre="baseline", post="week18")
    assert res.excluded.values.tolist() == [
        ["s2", "not-eligible", "baseline in no by_baseline band"]
    ]
    assert res.counts.set_index("category").loc["responder", "denominator"] == 2
    assert any("no by_baseline band" in n for n in res.notes())


def test_no_subject_evaluable_gives_missing_rates_with_a_note():
    data = long_frame([12, 12], [8, 9], measure="gad7_total")
    data.loc[data["timepoint"] == "week18", "gad7_total"] = np.nan
    with pytest.warns(UnpairedSubjectsWarning):
        res = classify_responders(data, instrument="gad7", pre="baseline", post="week18")
    assert res.counts["denominator"].tolist() == [0, 0]
    assert res.counts[["rate", "ci_low", "ci_high"]].isna().all().all()
    assert any("No subject could be evaluated" in n for n in res.notes())
    assert res.excluded["reason"].tolist() == ["no-post", "no-post"]


def test_responder_plot_draws_rates_with_intervals():
    import matplotlib.pyplot as plt

    data = caps_frame([("a", 40, 30, True), ("b", 40, 31, True), ("d", 21, 11, False)])
    res = classify_responders(data, instrument="caps5", pre="baseline", post="week18")
    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(reversed(["responder",
        "non-responder", *MAPP]))  # fmt: skip
    assert "2/3" in [t.get_text() for t in ax.texts]
    assert plot_responders(res, ax=ax) is ax
    with pytest.raises(ArgumentError, match="result must be a ResponderResult; got DataFrame"):
        plot_responders(res.table)
    plt.close("all")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(scores, scores), min_size=1, max_size=15),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_responder_counts_add_up_and_intervals_hold_the_rate(pairs, confidence):
    data = long_frame([p for p, _ in pairs], [q for _, q in pairs], measure="phq9_total")
    res = classify_responders(
        data, instrument="phq9", rule="mcid5", pre="baseline", post="week18",
        confidence=confidence,
    )  # fmt: skip
    c = res.counts.set_index("category")
    assert c.loc["responder", "n"] + c.loc["non-responder", "n"] == len(pairs)
    assert (c["denominator"] == len(pairs)).all()
    assert (c["ci_low"] <= c["rate"] + 1e-12).all() and (c["rate"] <= c["ci_high"] + 1e-12).all()
    assert c.loc["responder", "n"] == int(
        (np.array(pairs)[:, 0] - np.array(pairs)[:, 1] >= 5).sum()
    )


# ------------------------------------------------------------------------------------------
# issue 13: baseline conditions, unverified rules, multi-visit rules, the "latest" pairing
# ------------------------------------------------------------------------------------------


def test_phq9_from_4_to_2_is_not_eligible_never_response_or_remission():
    data = long_frame([4, 10, 9, 20], [2, 4, 1, 12], measure="phq9_total")
    for rule in ("response50", "remission"):
        res = classify_responders(data, instrument="phq9", rule=rule, pre="baseline", post="week18")
        out = res.table
        assert out["category"].tolist()[0] == "not eligible"
        assert out["responder"].tolist()[0] is pd.NA
        assert out["category"].tolist()[2] == "not eligible"  # 9 < 10: 9 -> 1 is not remission
        counts = res.counts.set_index("category")
        assert counts.loc["not eligible", ["n", "denominator"]].tolist() == [2, 4]
        assert counts.loc["responder", "denominator"] == 2
        assert any("2 subject(s) with a baseline failing pre >= 10" in n for n in res.notes())
    rem = classify_responders(data, instrument="phq9", rule="remission", pre="baseline",
                              post="week18").table  # fmt: skip
    assert rem["responder"].tolist() == [pd.NA, True, pd.NA, False]  # 10 -> 4 (< 5); 20 -> 12


def test_eligibility_boundary_and_missing_post():
    # baseline 10 is eligible (>= 10), 9.5 is not; a missing post leaves an eligible subject's
    # category missing but an ineligible one is "not eligible" from the baseline alone
    data = long_frame([10, 9.5, 12, 8], [5, 1, 6, 3], measure="phq9_total")
    data.loc[data.index[-1], "phq9_total"] = np.nan  # s4: no post
    data.loc[data.index[-3], "phq9_total"] = np.nan  # s3: no post
    with pytest.warns(UnpairedSubjectsWarning):
        res = classify_responders(data, instrument="phq9", pre="baseline", post="week18")
    assert res.table["category"].tolist() == ["responder", "not eligible", pd.NA, "not eligible"]
    assert res.excluded.values.tolist() == [
        ["s3", "no-post", "phq9_total"],
        ["s4", "no-post", "phq9_total"],
        ["s2", "not-eligible", "baseline 9.5 fails the rule's condition pre >= 10"],
    ]


def test_user_rule_with_eligibility_and_bad_condition():
    data = long_frame([12, 6], [7, 1], measure="gad7_total")
    rule = {"scale": "gad7_total", "kind": "change", "threshold": 4,
            "eligible": {"operator": ">=", "value": 8}}  # fmt: skip
    res = classify_responders(data, instrument="gad7", rule=rule, pre="baseline", post="week18")
    assert res.table["responder"].tolist() == [True, pd.NA]
    assert res.table["category"].tolist() == ["responder", "not eligible"]
    bad = {**rule, "eligible": {"operator": "=>", "value": 8}}
    with pytest.raises(ArgumentError, match="eligible operator must be one of"):
        classify_responders(data, instrument="gad7", rule=bad, pre="baseline", post="week18")
    bad = {**rule, "eligible": {"value": 8}}
    with pytest.raises(ArgumentError, match="eligible must be a dict with 'operator' and 'value'"):
        classify_responders(data, instrument="gad7", rule=bad, pre="baseline", post="week18")


def test_unverified_rule_is_named_in_the_notes():
    data = caps_frame([("a", 40, 30, True), ("d", 21, 11, False)])
    res = classify_responders(data, instrument="caps5", pre="baseline", post="week18")
    assert any("Rule mapp is not verified against its primary source" in n for n in res.notes())
    verified = classify_responders(
        long_frame([20], [9], measure="phq9_total"), instrument="phq9", pre="baseline",
        post="week18",
    )  # fmt: skip
    assert not any("not verified" in n for n in verified.notes())


VISITS = ["baseline", "week3", "week6", "week12"]
# PHQ-9 response50 (>= 50% fall from a baseline >= 10) at each visit, by hand:
#   a 20 -> 10, 9, 8      met, met, met          sustained; durable
#   b 20 -> 10, 12, 8     met, NOT (40%), met    not sustained (week6); not durable
#   c 20 -> 11, 5, 4      NOT (45%), met, met    not sustained (week3); no response at post
#   d 20 -> 10, -, 9      met, missing, met      undecided (missing); undecided
#   e 20 -> 10, -, 15     met, missing, NOT      not sustained (week12); not durable
#   f  8 ->  2, 2, 2      baseline < 10          not eligible
MULTI = {
    "a": [20, 10, 9, 8], "b": [20, 10, 12, 8], "c": [20, 11, 5, 4],
    "d": [20, 10, np.nan, 9], "e": [20, 10, np.nan, 15], "f": [8, 2, 2, 2],
}  # fmt: skip


def multi_frame(values=MULTI, measure="phq9_total"):
    rows = [
        {"subject": s, "timepoint": t, measure: v}
        for s, vals in values.items()
        for t, v in zip(VISITS, vals, strict=True)
    ]
    return pd.DataFrame(rows)


def test_sustained_response_by_hand():
    res = classify_responders(
        multi_frame(), instrument="phq9", kind="sustained", pre="baseline", post="week3",
        followup=["week6", "week12"],
    )  # fmt: skip
    out = res.table
    assert res.kind == "sustained" and res.rule == "response50:sustained"
    assert res.followup == ("week6", "week12")
    assert out["responder"].tolist() == [True, False, False, pd.NA, False, pd.NA]
    assert out["category"].tolist() == [
        "sustained", "not sustained", "not sustained", pd.NA, "not sustained", "not eligible"
    ]  # fmt: skip
    assert out["first_unmet"].tolist() == [pd.NA, "week6", "week3", pd.NA, "week12", pd.NA]
    assert out["met_post"].tolist() == [True, True, False, True, True, pd.NA]
    counts = res.counts.set_index("category")
    assert counts.loc["responder", ["n", "denominator"]].tolist() == [1, 4]
    assert counts.loc["not eligible", ["n", "denominator"]].tolist() == [1, 6]
    assert res.excluded.values.tolist() == [
        ["f", "not-eligible", "baseline 8 fails the rule's condition pre >= 10"],
        ["d", "missing-response",
         "phq9_total missing at a visit among 'week3', 'week6', 'week12'"],
    ]  # fmt: skip
    assert any("COMP360" in n for n in res.notes())
    assert any("1 subject(s) with a missing score" in n and ": d." in n for n in res.notes())


def test_durable_response_by_hand():
    res = classify_responders(
        multi_frame(), instrument="phq9", kind="durable", pre="baseline", post="week3",
        followup=["week6", "week12"],
    )  # fmt: skip
    out = res.table
    assert out["responder"].tolist() == [True, False, pd.NA, pd.NA, False, pd.NA]
    assert out["category"].tolist() == [
        "durable", "not durable", "no response at post", pd.NA, "not durable", "not eligible"
    ]  # fmt: skip
    counts = res.counts.set_index("category")
    # durability among the responders at post with a known follow-up: a of a, b, e
    assert counts.loc["responder", ["n", "denominator"]].tolist() == [1, 3]
    assert counts.loc["no response at post", ["n", "denominator"]].tolist() == [1, 4]
    assert ["c", "missing-response",
            "no response at post: durability is judged among the responders at post"] in (
        res.excluded.values.tolist()
    )  # fmt: skip


def test_one_follow_up_visit_and_a_spec_declared_sustained_rule():
    from past_outcomes.instrument import parse_instrument

    text = Path(load_instrument("phq9").path).read_text(encoding="utf-8")
    text += (
        "    - {id: sustained50, label: Sustained response, scale: total, kind: sustained,"
        " base_rule: response50, source: ncqa_response}\n"
    )
    inst = parse_instrument(text)
    with pytest.warns(UnpairedSubjectsWarning, match="d, e"):  # no week6 score
        res = classify_responders(
            multi_frame(), instrument=inst, rule="sustained50", pre="baseline", post="week6",
            followup="week12",
        )  # fmt: skip
    # week6 and week12: a met/met, b 40%/60% no, c 75%/80% yes, d -/55% undecided,
    # e -/25%: not met at week12 settles it (not sustained) though week6 is missing; f n/a
    assert res.table["responder"].tolist() == [True, False, True, pd.NA, False, pd.NA]
    assert res.rule == "sustained50" and res.source == "ncqa_response"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "sustained"}, "followup must name the later visit"),
        ({"kind": "sustained", "followup": []}, "followup must name at least one visit"),
        ({"kind": "durable", "followup": ["week3"]}, "followup visits must differ"),
        ({"followup": ["week6"]}, "followup is used only by multi-visit rules"),
        ({"kind": "sustained", "followup": ["week99"]}, "post must be a value of"),
        ({"rule": {"kind": "sustained", "base_rule": "nope"}, "followup": ["week6"]},
         r"responder rule of the phq9 spec \(response50, remission, mcid5\); got 'nope'"),
        ({"rule": {"kind": "durable", "base_rule": "mcid5", "threshold": 3},
          "followup": ["week6"]}, "no thresholds of its own"),
    ],
)  # fmt: skip
def test_multi_visit_argument_errors(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        classify_responders(
            multi_frame(), instrument="phq9", pre="baseline", post="week3", **kwargs
        )


def sessions_frame():
    # session numbers: intake is session 1; each client's most recent session with a score
    rows = [
        ("a", 1, 20), ("a", 2, 15), ("a", 5, 8),
        ("b", 1, 18), ("b", 3, 10), ("b", 4, np.nan),  # latest with a score: session 3
        ("c", 1, 25),  # no later session: no-post
        ("d", 2, 12), ("d", 6, 9),  # no intake score: no-pre
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["subject", "timepoint", "phq9_total"])


def test_classify_change_latest_pairs_each_client_with_their_most_recent_score():
    data = sessions_frame()
    with pytest.warns(UnpairedSubjectsWarning, match="c, d"):
        res = classify_change(data, measure="phq9_total", instrument="phq9", pre=1,
                              post="latest", sd_pre=5.0)  # fmt: skip
    out = res.table
    assert out["subject"].tolist() == ["a", "b", "c", "d"]
    assert out["post_timepoint"].tolist()[:2] == [5, 3]
    assert pd.isna(out["post_timepoint"].iloc[2])
    assert out["post_timepoint"].iloc[3] == 6  # the latest later score, though pre is missing
    np.testing.assert_array_equal(out["post"], [8, 10, np.nan, 9])
    np.testing.assert_array_equal(out["change"], [-12, -8, np.nan, np.nan])
    # JT with r = 0.89 (spec), SD 5: S_diff = sqrt(2) * 5 * sqrt(0.11)
    s_diff = math.sqrt(2) * 5 * math.sqrt(1 - 0.89)
    np.testing.assert_allclose(out["rci"].iloc[:2], [-12 / s_diff, -8 / s_diff])
    assert res.post == "latest"
    assert res.excluded.values.tolist() == [["c", "no-post", "phq9_total"],
                                            ["d", "no-pre", "phq9_total"]]  # fmt: skip
    assert any("post='latest'" in n and "post_timepoint" in n for n in res.notes())
    assert data.equals(sessions_frame())  # input not modified


def test_latest_pairing_in_responders_and_ordered_categorical_timepoints():
    data = multi_frame()
    data["timepoint"] = pd.Categorical(data["timepoint"], categories=VISITS, ordered=True)
    res = classify_responders(data, instrument="phq9", pre="baseline", post="latest")
    # latest scored visit: week12 for all (d 9, e 15)
    assert res.table["post_timepoint"].astype(str).tolist() == ["week12"] * 6
    assert res.table["responder"].tolist() == [True, True, True, True, False, pd.NA]
    comp = compute_change(data, measure="phq9_total", pre="baseline", post="latest")
    assert comp.table.columns.tolist() == [
        "subject", "pre", "post", "post_timepoint", "change", "pct_change"
    ]  # fmt: skip


def test_latest_needs_ordered_timepoints_and_reports_duplicates():
    data = multi_frame()  # plain strings: no order
    with pytest.raises(ArgumentError, match="post='latest' needs an ordered 'timepoint' column"):
        classify_change(data, measure="phq9_total", instrument="phq9", pre="baseline",
                        post="latest")  # fmt: skip
    dup = pd.concat([sessions_frame(), sessions_frame().iloc[[2]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="duplicate"):
        compute_change(dup, measure="phq9_total", pre=1, post="latest")
    with pytest.raises(ArgumentError, match="pre must be a value of the 'timepoint' column"):
        compute_change(sessions_frame(), measure="phq9_total", pre=0, post="latest")
