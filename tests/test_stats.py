"""Tests of past_outcomes.stats (every module but mmrm).

Golden values come from R (tests/golden/stats/stats_golden.R -> golden_r.csv, run on the CSVs
written by tests/golden/stats/make_data.py), from published figures (MAPP1, MAPP2, Griffiths
2016, Morris 2008 via metafor's test suite) or from arithmetic written out beside the test.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from past_outcomes.errors import ArgumentError, DataValidationError, UnpairedSubjectsWarning
from past_outcomes.stats.effect_size import (
    compute_cohen_d,
    compute_dppc2,
    compute_smcr,
    small_sample_correction,
)
from past_outcomes.stats.groups import compare_groups
from past_outcomes.stats.power import compute_power, plan_sample_size
from past_outcomes.stats.prepost import compare_prepost
from past_outcomes.stats.proportions import compare_proportions, compare_responders
from past_outcomes.stats.reliability import compute_reliability

GOLDEN = Path(__file__).parent / "golden" / "stats"


@pytest.fixture(scope="module")
def r_values() -> dict[str, float]:
    table = pd.read_csv(GOLDEN / "golden_r.csv")
    return dict(zip(table["name"], table["value"].astype(float), strict=True))


@pytest.fixture
def trial() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "trial_long.csv")


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "items.csv")


def close(value, expected, rel=1e-9, abs=1e-12):
    return value == pytest.approx(expected, rel=rel, abs=abs)


# --------------------------------------------------------------------------------------------
# compare_prepost
# --------------------------------------------------------------------------------------------


def test_prepost_matches_r(trial, r_values):
    r = r_values
    row = compare_prepost(trial, measure="score", pre="baseline", post="week12").table.iloc[0]
    assert row["n"] == 44 and row["n_unpaired"] == 0
    # t.test(post, pre, paired = TRUE)
    assert close(row["t"], r["paired_t"])
    assert row["dof"] == r["paired_df"]
    assert close(row["p_value"], r["paired_p"], rel=1e-7)
    assert close(row["mean_diff"], r["paired_mean_diff"])
    assert close(row["ci_low"], r["paired_ci_low"])
    assert close(row["ci_high"], r["paired_ci_high"])
    # wilcox.test(post, pre, paired = TRUE): exact (n < 50, no ties)
    assert close(row["wilcoxon_p"], r["wilcoxon_p"], rel=1e-7)
    assert close(row["r_prepost"], r["r_prepost"])
    # d_z = mean(d) / sd(d) = t / sqrt(n); CI: R uniroot on pt(ncp = ) (independent of nct)
    assert close(row["cohen_dz"], r["cohen_dz"])
    assert close(row["cohen_dz"], r["dz_from_t"])
    assert close(row["cohen_dz_ci_low"], r["cohen_dz_ci_low"], rel=1e-7)
    assert close(row["cohen_dz_ci_high"], r["cohen_dz_ci_high"], rel=1e-7)
    # d_av = mean(d) / ((sd_pre + sd_post) / 2); CI d +/- qt(.975, n-1) sqrt((1/n + d^2/2n)(2-2r))
    assert close(row["cohen_dav"], r["cohen_dav"])
    assert close(row["cohen_dav_ci_low"], r["cohen_dav_ci_low"])
    assert close(row["cohen_dav_ci_high"], r["cohen_dav_ci_high"])
    # d_rm = d_z sqrt(2 (1 - r)); g_av = d_av (1 - 3 / (4 * 43 - 1))
    assert close(row["cohen_drm"], r["cohen_drm"])
    assert close(row["hedges_gav"], r["hedges_gav"])
    assert close(row["hedges_gav_ci_low"], row["cohen_dav_ci_low"] * (1 - 3 / 171))
    assert "p_holm" not in row.index


def test_prepost_several_measures_adjusts_p(trial, r_values):
    out = compare_prepost(trial, measure=["score", "other"], pre="baseline", post="week12").table
    assert list(out["measure"]) == ["score", "other"]
    assert close(out["p_value"].iloc[1], r_values["paired2_p"], rel=1e-7)
    # p.adjust(c(p1, p2), "holm") and "BH"
    assert close(out["p_holm"].iloc[0], r_values["holm_1"], rel=1e-7)
    assert close(out["p_holm"].iloc[1], r_values["holm_2"], rel=1e-7)
    assert close(out["p_fdr_bh"].iloc[0], r_values["bh_1"], rel=1e-7)
    assert close(out["p_fdr_bh"].iloc[1], r_values["bh_2"], rel=1e-7)


def test_prepost_small_hand_example():
    # pre 10, 12, 14, 16; post 9, 10, 13, 12: d = -1, -2, -1, -4, mean -2, sd sqrt(2) = 1.41421
    # d_z = -2 / 1.41421 = -1.41421; sd_pre = 2.58199, sd_post = 1.82574, mean sd = 2.20387
    # d_av = -2 / 2.20387 = -0.90750
    data = pd.DataFrame(
        {
            "subject": [1, 2, 3, 4] * 2,
            "timepoint": ["pre"] * 4 + ["post"] * 4,
            "x": [10, 12, 14, 16, 9, 10, 13, 12],
        }
    )
    row = compare_prepost(data, measure="x", pre="pre", post="post").table.iloc[0]
    assert row["mean_diff"] == pytest.approx(-2.0)
    assert row["cohen_dz"] == pytest.approx(-2 / math.sqrt(2))
    assert row["cohen_dav"] == pytest.approx(-0.90750, abs=1e-5)
    # pingouin's d_z agrees (its paired "cohen" is RMS-based, hence not compared)
    dz = pg.compute_effsize([9, 10, 13, 12], [10, 12, 14, 16], paired=True, eftype="cohen_dz")
    assert row["cohen_dz"] == pytest.approx(dz)


def test_prepost_unpaired_subjects_warn_and_are_recorded(trial):
    data = trial.drop(index=trial.index[(trial.subject == "S03") & (trial.timepoint == "week12")])
    data.loc[(data.subject == "S07") & (data.timepoint == "baseline"), "score"] = np.nan
    with pytest.warns(
        UnpairedSubjectsWarning,
        match=r"2 subject\(s\) lack score at .baseline. or .week12.: S03, S07",
    ):
        out = compare_prepost(data, measure="score", pre="baseline", post="week12")
    row = out.table.iloc[0]
    assert row["n"] == 42 and row["n_unpaired"] == 2
    assert out.excluded.values.tolist() == [["S03", "no-post", "score"], ["S07", "no-pre", "score"]]
    assert "unpaired_subjects" not in out.table


# --------------------------------------------------------------------------------------------
# compare_groups
# --------------------------------------------------------------------------------------------


def _compare(trial, **kw):
    args = dict(measure="score", pre="baseline", post="week12")
    args.update(treatment="drug", control="placebo")
    args.update(kw)
    return compare_groups(trial, **args)


def test_compare_groups_ancova_matches_r(trial, r_values):
    r = r_values
    res = _compare(trial)
    s = res.table.set_index("quantity")
    adj = s.loc["adjusted_difference"]
    # lm(score.week12 ~ group + score.baseline), placebo the reference level
    assert close(adj["estimate"], r["ancova_diff"])
    assert close(adj["se"], r["ancova_se"])
    assert close(adj["statistic"], r["ancova_t"])
    assert close(adj["p_value"], r["ancova_p"], rel=1e-7)
    assert close(adj["ci_low"], r["ancova_ci_low"])
    assert close(adj["ci_high"], r["ancova_ci_high"])
    assert adj["dof"] == r["ancova_df"]
    # emmeans(fit, ~ group): LS means at the mean baseline
    am = res.adjusted_means.set_index("group")
    assert close(am.loc["drug", "estimate"], r["emm_drug"])
    assert close(am.loc["drug", "se"], r["emm_drug_se"])
    assert close(am.loc["drug", "ci_low"], r["emm_drug_low"])
    assert close(am.loc["drug", "ci_high"], r["emm_drug_high"])
    assert close(am.loc["placebo", "estimate"], r["emm_placebo"])
    assert close(am.loc["placebo", "se"], r["emm_placebo_se"])


def test_compare_groups_change_outcome_and_hc3(trial, r_values):
    res = _compare(trial, method="ancova-change")
    adj = res.table.set_index("quantity").loc["adjusted_difference"]
    assert close(adj["estimate"], r_values["ancova_change_diff"])  # identical coefficient
    am = res.adjusted_means.set_index("group")
    assert close(am.loc["drug", "estimate"], r_values["emm_change_drug"])
    robust = _compare(trial, robust=True).table.set_index("quantity")
    # HC3 by hand in R: bread %*% crossprod(X * e / (1 - h)) %*% bread
    assert close(robust.loc["adjusted_difference", "se"], r_values["ancova_hc3_se"])


def test_compare_groups_change_tests_match_r(trial, r_values):
    r = r_values
    s = _compare(trial).table.set_index("quantity")
    w = s.loc["change_difference"]  # t.test(ct, cc): Welch
    assert close(w["statistic"], r["welch_t"])
    assert close(w["dof"], r["welch_df"])
    assert close(w["p_value"], r["welch_p"], rel=1e-7)
    assert close(w["ci_low"], r["welch_ci_low"])
    assert close(w["ci_high"], r["welch_ci_high"])
    mw = s.loc["mann_whitney"]  # wilcox.test(ct, cc): exact, W of the first sample
    assert mw["statistic"] == r["mw_W"]
    assert close(mw["p_value"], r["mw_p"], rel=1e-7)
    d = s.loc["cohen_d_change"]
    assert close(d["estimate"], r["d_change"])
    # psych::cohen.d divides the pooled sum of squares by N rather than N - 2:
    # d_psych = d * sqrt(N / (N - 2)) with N = 44
    assert close(d["estimate"] * math.sqrt(44 / 42), r["psych_cohen_d"], rel=1e-7)
    # Morris d_ppc2 (R arithmetic with the lgamma correction)
    assert close(s.loc["d_ppc2", "estimate"], r["d_ppc2"])


def test_compare_groups_infers_arms_and_records_unpaired(trial):
    data = trial[~((trial.subject == "S30") & (trial.timepoint == "baseline"))]
    with pytest.warns(UnpairedSubjectsWarning, match=r"1 subject\(s\) lack .* S30\."):
        res = compare_groups(data, measure="score", pre="baseline", post="week12")
    assert (res.treatment, res.control) == ("placebo", "drug")  # sorted: control first
    assert "inferred" in res.title
    assert res.excluded.values.tolist() == [["S30", "no-pre", "score"]]
    assert res.groups.set_index("group").loc["placebo", "n"] == 19
    with pytest.warns(UnpairedSubjectsWarning):
        res2 = _compare(data, control="placebo", treatment=None)
    assert res2.treatment == "drug"


def test_compare_groups_inconsistent_group_is_a_data_error(trial):
    data = trial.copy()
    data.loc[(data.subject == "S02") & (data.timepoint == "week12"), "group"] = "placebo"
    with pytest.raises(DataValidationError, match="inconsistent-group") as err:
        _compare(data)
    fc = err.value.failure_cases
    assert set(fc["subject"]) == {"S02"} and set(fc["value"]) == {"drug", "placebo"}


# --------------------------------------------------------------------------------------------
# effect sizes from summary statistics
# --------------------------------------------------------------------------------------------


def test_mapp1_between_group_d_from_summary_statistics():
    # MAPP1 (Mitchell 2021): CAPS-5 change -24.4 (SD 11.6), n 42 vs -13.9 (11.5), n 37.
    # pooled SD = sqrt((41 * 11.6^2 + 36 * 11.5^2) / 77) = 11.5533; d = -10.5 / 11.5533 = -0.9088
    out = compute_cohen_d(
        mean_treatment=-24.4,
        sd_treatment=11.6,
        n_treatment=42,
        mean_control=-13.9,
        sd_control=11.5,
        n_control=37,
    ).table.iloc[0]
    assert out["sd_pooled"] == pytest.approx(11.5533, abs=1e-4)
    assert abs(out["cohen_d"]) == pytest.approx(0.91, abs=0.005)  # published d = 0.91
    # Student t = d sqrt(42 * 37 / 79) = 4.03, p = 1.3e-4 (analysis.md section 1.1)
    assert out["t"] == pytest.approx(-4.03, abs=0.005)
    assert out["p_value"] == pytest.approx(1.3e-4, rel=0.05)
    assert out["ci_low"] < out["cohen_d"] < out["ci_high"] < 0


def test_small_sample_correction_is_exact():
    # c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)); at m = 8: Gamma(4) / (2 Gamma(3.5))
    # = 6 / (2 * 3.323351) = 0.902703; the approximation 1 - 3/(4m - 1) gives 0.903226
    assert small_sample_correction(8) == pytest.approx(6 / (2 * math.gamma(3.5)))
    assert small_sample_correction(10_000) == pytest.approx(1 - 3 / 39_999, abs=1e-9)


MORRIS_T = dict(
    m_pre=[30.6, 23.5, 0.5, 53.4, 35.6],
    m_post=[38.5, 26.8, 0.7, 75.9, 36.0],
    sd_pre=[15.0, 3.1, 0.1, 14.5, 4.7],
    n=[20, 50, 9, 10, 14],
)
MORRIS_C = dict(
    m_pre=[23.1, 24.9, 0.6, 55.7, 34.8],
    m_post=[19.7, 25.3, 0.6, 60.7, 33.4],
    sd_pre=[13.8, 4.1, 0.2, 17.3, 3.1],
    n=[20, 42, 9, 11, 14],
)
MORRIS_R = [0.47, 0.64, 0.77, 0.89, 0.44]


def _smcr(arm, k):
    return compute_smcr(
        mean_pre=arm["m_pre"][k],
        mean_post=arm["m_post"][k],
        sd_pre=arm["sd_pre"][k],
        n=arm["n"][k],
        r=MORRIS_R[k],
    ).table.iloc[0]


@pytest.mark.parametrize("k", range(5))
def test_morris_2008_smcr_and_dppc(k, r_values):
    # metafor tests/testthat/test_analysis_example_morris2008.r (analysis.md section 4)
    smcr_t = [0.5056, 1.0481, 1.8054, 1.4181, 0.0801]
    smcr_var_t = [0.0594, 0.0254, 0.2322, 0.1225, 0.0802]
    dppc1 = [0.74, 0.95, 1.81, 1.15, 0.51]  # Morris (2008) Table 1
    dppc2 = [0.77, 0.80, 1.20, 1.05, 0.44]  # analysis.md, and R arithmetic in golden_r.csv
    t, c = _smcr(MORRIS_T, k), _smcr(MORRIS_C, k)
    assert t["smcr"] == pytest.approx(smcr_t[k], abs=0.00005)
    assert t["var"] == pytest.approx(smcr_var_t[k], abs=0.00005)
    assert t["smcr"] == pytest.approx(r_values[f"smcr_t_{k + 1}"], rel=1e-9)
    assert c["smcr"] == pytest.approx(r_values[f"smcr_c_{k + 1}"], abs=1e-12)
    assert t["smcr"] - c["smcr"] == pytest.approx(dppc1[k], abs=0.005)
    d2 = compute_dppc2(
        mean_pre_treatment=MORRIS_T["m_pre"][k],
        mean_post_treatment=MORRIS_T["m_post"][k],
        sd_pre_treatment=MORRIS_T["sd_pre"][k],
        n_treatment=MORRIS_T["n"][k],
        mean_pre_control=MORRIS_C["m_pre"][k],
        mean_post_control=MORRIS_C["m_post"][k],
        sd_pre_control=MORRIS_C["sd_pre"][k],
        n_control=MORRIS_C["n"][k],
        r=MORRIS_R[k],
    ).table.iloc[0]
    assert d2["d_ppc2"] == pytest.approx(dppc2[k], abs=0.005)
    assert d2["d_ppc2"] == pytest.approx(r_values[f"dppc2_{k + 1}"], rel=1e-9)
    assert d2["ci_low"] < d2["d_ppc2"] < d2["ci_high"]


def test_dppc2_variance_is_morris_equation_25():
    # study 1: nT = nC = 20, r = .47, m = 38, c = c(38); K = (40)/(400) = 0.1
    # var = 2 c^2 (1 - r) K (38/36) (1 + d^2 / (2 (1 - r) K)) - d^2
    d2 = compute_dppc2(
        mean_pre_treatment=30.6,
        mean_post_treatment=38.5,
        sd_pre_treatment=15.0,
        n_treatment=20,
        mean_pre_control=23.1,
        mean_post_control=19.7,
        sd_pre_control=13.8,
        n_control=20,
        r=0.47,
    ).table.iloc[0]
    c, d = small_sample_correction(38), d2["d_ppc2"]
    expected = 2 * c**2 * 0.53 * 0.1 * (38 / 36) * (1 + d**2 / (2 * 0.53 * 0.1)) - d**2
    assert d2["var"] == pytest.approx(expected)
    assert d2["ci_high"] - d2["ci_low"] == pytest.approx(2 * 1.959964 * math.sqrt(expected))


# --------------------------------------------------------------------------------------------
# responders
# --------------------------------------------------------------------------------------------


COUNTS = ("count_treatment", "n_treatment", "count_control", "n_control")


@pytest.mark.parametrize(
    ("tag", "counts"),
    [("mapp2", (45, 52, 29, 42)), ("griffiths", (23, 25, 8, 25))],
)
def test_compare_proportions_matches_r(tag, counts, r_values):
    r = {k.removeprefix(tag + "_"): v for k, v in r_values.items() if k.startswith(tag)}
    res = compare_proportions(**dict(zip(COUNTS, counts, strict=True)))
    s = res.table.set_index("quantity")
    # Newcombe (1998) method 10 coded by hand in stats_golden.R from the Wilson limits
    assert close(s.loc["risk_difference", "estimate"], r["rd"])
    assert close(s.loc["risk_difference", "ci_low"], r["rd_low"], rel=1e-7)
    assert close(s.loc["risk_difference", "ci_high"], r["rd_high"], rel=1e-7)
    for q, key in (("relative_risk", "rr"), ("odds_ratio", "or")):
        assert close(s.loc[q, "estimate"], r[key])
        assert close(s.loc[q, "ci_low"], r[f"{key}_low"], rel=1e-7)
        assert close(s.loc[q, "ci_high"], r[f"{key}_high"], rel=1e-7)
    assert close(s.loc["fisher_exact", "p_value"], r["fisher_p"], rel=1e-7)  # fisher.test
    assert close(s.loc["chi_square", "p_value"], r["chisq_p"], rel=1e-7)  # correct = FALSE
    assert close(s.loc["chi_square_yates", "p_value"], r["chisq_yates_p"], rel=1e-7)
    # NNT = 1 / RD, limits 1 / RD limits
    assert close(s.loc["nnt", "estimate"], 1 / r["rd"])
    assert close(s.loc["nnt", "ci_low"], 1 / r["rd_high"], rel=1e-7)
    assert close(s.loc["nnt", "ci_high"], 1 / r["rd_low"], rel=1e-7)


def test_mapp2_and_griffiths_published_figures():
    mapp2 = compare_proportions(
        count_treatment=45,
        n_treatment=52,
        count_control=29,
        n_control=42,
        treatment="MDMA-AT",
        control="placebo",
    )
    arms = mapp2.arms.set_index("group")
    assert arms.loc["MDMA-AT", "percent"] == pytest.approx(86.5, abs=0.05)
    assert arms.loc["placebo", "percent"] == pytest.approx(69.0, abs=0.05)
    # RD = 45/52 - 29/42 = 0.865385 - 0.690476 = 0.174908; Newcombe 95% CI 0.0074 to 0.3402
    rd = mapp2.table.set_index("quantity").loc["risk_difference"]
    assert (rd["estimate"], rd["ci_low"], rd["ci_high"]) == pytest.approx(
        (0.174908, 0.007372, 0.340210), abs=1e-6
    )
    assert mapp2.nnt_text == "NNTB 5.7 (95% CI 2.9 to 135.6)"
    # Griffiths 2016 Table 6: 92 % vs 32 %, p < .001 by z test; z^2 = Pearson chi-square
    g = compare_proportions(
        count_treatment=23, n_treatment=25, count_control=8, n_control=25
    ).table.set_index("quantity")
    assert g.loc["chi_square", "p_value"] < 0.001
    z = (0.92 - 0.32) / math.sqrt(0.62 * 0.38 * (2 / 25))  # pooled p = 31/50
    assert g.loc["chi_square", "statistic"] == pytest.approx(z**2)


def test_nnt_when_rd_ci_crosses_zero():
    res = compare_proportions(count_treatment=10, n_treatment=20, count_control=8, n_control=20)
    s = res.table.set_index("quantity").loc["nnt"]
    assert s["estimate"] == pytest.approx(10.0)  # 1 / (0.5 - 0.4)
    assert s["ci_low"] > 0 > s["ci_high"]  # NNTB 1/upper ... NNTH 1/|lower|
    assert "to ∞ to NNTH" in res.nnt_text and res.nnt_text.startswith("NNTB 10.0")


def _responder_data():
    # MAPP2 counts plus 3 (treatment) and 9 (control) subjects without an 18-week outcome
    resp = [True] * 45 + [False] * 7 + [None] * 3 + [True] * 29 + [False] * 13 + [None] * 9
    arm = ["MDMA"] * 55 + ["placebo"] * 51
    return pd.DataFrame(
        {
            "subject": range(106),
            "arm": arm,
            "responder": pd.array(resp, dtype="boolean"),
        }
    )


def test_compare_responders_missing_policies():
    data = _responder_data()
    kw = dict(responder="responder", group="arm", treatment="MDMA", control="placebo")
    excl = compare_responders(data, **kw)
    arms = excl.arms.set_index("group")
    assert list(arms["responders"]) == [45, 29] and list(arms["n"]) == [52, 42]
    assert list(arms["n_missing"]) == [3, 9]
    assert "3 with a missing outcome excluded" in arms.loc["MDMA", "denominator"]
    ref = compare_proportions(count_treatment=45, n_treatment=52, count_control=29, n_control=42)
    pd.testing.assert_frame_equal(excl.table, ref.table)
    nri = compare_responders(data, missing="non-responder", **kw)
    arms = nri.arms.set_index("group")
    assert list(arms["responders"]) == [45, 29] and list(arms["n"]) == [55, 51]
    assert "counted as non-responders" in arms.loc["placebo", "denominator"]


def test_compare_responders_bad_values_and_duplicates():
    data = _responder_data().astype({"responder": object})
    data.loc[4, "responder"] = "yes"
    data.loc[5, "subject"] = 6
    with pytest.raises(DataValidationError, match="compare_responders") as err:
        compare_responders(
            data,
            responder="responder",
            group="arm",
            treatment="MDMA",
            control="placebo",
            subject="subject",
        )
    fc = err.value.failure_cases
    # text is not-a-number (a number other than 0/1 would be out-of-range)
    assert sorted(fc["reason"]) == ["duplicate-observation"] * 2 + ["not-a-number"]
    assert fc.loc[fc.reason == "not-a-number", "row"].tolist() == [4]
    assert fc.loc[fc.reason == "duplicate-observation", "row"].tolist() == [5, 6]


# --------------------------------------------------------------------------------------------
# power and sample size
# --------------------------------------------------------------------------------------------


def test_plan_sample_size_two_sample_and_dropout():
    out = plan_sample_size(effect_size=0.5, dropout=0.2).table.set_index("arm")
    exact = pg.power_ttest(d=0.5, power=0.8, alpha=0.05)  # 63.77 per group
    assert out.loc["treatment", "n_exact"] == pytest.approx(exact, rel=1e-4)
    assert out.loc["treatment", "n"] == 64 and out.loc["control", "n"] == 64
    assert out.loc["total", "n"] == 128
    assert out.loc["treatment", "n_enrolled"] == 80  # 64 / 0.8 = 80 exactly, not 81
    assert out.loc["total", "n_enrolled"] == 160
    assert out["design"].eq("two-sample").all() and out["dropout"].eq(0.2).all()


def test_plan_sample_size_paired_and_ratio():
    paired = plan_sample_size(effect_size=0.5, design="paired").table.iloc[0]
    assert paired["n_exact"] == pytest.approx(
        pg.power_ttest(d=0.5, power=0.8, contrast="paired"), rel=1e-4
    )  # 33.37
    assert paired["n"] == 34
    unequal = plan_sample_size(effect_size=0.5, ratio=2).table.set_index("arm")
    n1, n2 = unequal.loc["treatment", "n_exact"], unequal.loc["control", "n_exact"]
    assert n2 == pytest.approx(2 * n1)
    assert pg.power_ttest2n(nx=n1, ny=n2, d=0.5) == pytest.approx(0.8, abs=1e-4)


def test_compute_power_matches_pingouin():
    # MAPP2 completers 52 vs 42 at d = 0.7: power 0.916 (analysis.md section 4)
    out = compute_power(effect_size=0.7, n=52, ratio=42 / 52).table.iloc[0]
    assert out["power"] == pytest.approx(pg.power_ttest2n(nx=52, ny=42, d=0.7), rel=1e-5)
    assert out["power"] == pytest.approx(0.916, abs=0.0005)
    curve = compute_power(effect_size=0.5, n=[20, 34, 50], design="paired").table
    assert curve["power"].is_monotonic_increasing and len(curve) == 3
    assert curve["power"].iloc[1] == pytest.approx(
        pg.power_ttest(d=0.5, n=34, contrast="paired"), rel=1e-5
    )


def test_power_argument_errors():
    with pytest.raises(ArgumentError, match="design must be one of"):
        plan_sample_size(effect_size=0.5, design="crossover")
    with pytest.raises(ArgumentError, match="effect_size must be a finite non-zero"):
        plan_sample_size(effect_size=0)
    with pytest.raises(ArgumentError, match="dropout must be below 1"):
        plan_sample_size(effect_size=0.5, dropout=1)
    with pytest.raises(ArgumentError, match="points away from alternative"):
        compute_power(effect_size=-0.5, n=20, alternative="greater")


# --------------------------------------------------------------------------------------------
# reliability
# --------------------------------------------------------------------------------------------


def _stand_in(scales: dict[str, tuple[str, ...]], reverse=()):
    return SimpleNamespace(
        id="stand-in",
        scales={k: SimpleNamespace(item_columns=v, label=k.title()) for k, v in scales.items()},
        items=[SimpleNamespace(column=c, min=0, max=4, reverse=True) for c in reverse],
    )


def test_reliability_matches_psych(items, r_values):
    cols = tuple(items.columns)
    inst = _stand_in({"all": cols, "single": cols[:1]})
    res = compute_reliability(items, instrument=inst)
    row = res.table.set_index("scale").loc["all"]
    assert row["n_items"] == 6 and row["n_complete"] == 150
    assert close(row["cronbach_alpha"], r_values["alpha"])  # psych::alpha raw_alpha
    a_pg, ci_pg = pg.cronbach_alpha(items)
    assert (row["alpha_ci_low"], row["alpha_ci_high"]) == pytest.approx(tuple(ci_pg), abs=5e-4)
    # (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) from psych::fa(nfactors = 1, fm = "minres")
    assert row["omega_total"] == pytest.approx(r_values["omega_model"], abs=1e-5)
    # psych::omega(nfactors = 1) divides by the observed total variance instead
    assert row["omega_total"] == pytest.approx(r_values["psych_omega_t"], abs=1e-3)
    single = res.table.set_index("scale").loc["single"]
    assert math.isnan(single["cronbach_alpha"]) and "at least 2 items" in single["note"]


def test_reliability_reflects_reverse_keyed_items(items):
    flipped = items.assign(item_2=4 - items["item_2"])
    plain = compute_reliability(items, instrument=_stand_in({"all": tuple(items.columns)}))
    keyed = compute_reliability(
        flipped, instrument=_stand_in({"all": tuple(items.columns)}, ("item_2",))
    )
    assert keyed.table["cronbach_alpha"].iloc[0] == pytest.approx(
        plain.table["cronbach_alpha"].iloc[0]
    )


def test_reliability_on_a_real_instrument():
    rng = np.random.default_rng(7)
    latent = rng.normal(size=(80, 1))
    raw = np.clip(np.round(1.5 + latent + rng.normal(scale=0.8, size=(80, 9))), 0, 3)
    data = pd.DataFrame(raw, columns=[f"phq9_{i}" for i in range(1, 10)])
    data.iloc[0, 3] = np.nan  # one incomplete row: n_complete = 79
    res = compute_reliability(data, instrument="phq9")
    row = res.table.set_index("scale").loc["phq9_total"]
    assert row["n_complete"] == 79
    expected = pg.cronbach_alpha(data.dropna())[0]
    assert row["cronbach_alpha"] == pytest.approx(expected)
    assert 0 < row["omega_total"] < 1


def test_reliability_errors(items):
    with pytest.raises(ArgumentError, match="item columns of at least one scale"):
        compute_reliability(items, instrument=_stand_in({"x": ("nope_1", "nope_2")}))
    with pytest.raises(ArgumentError, match="instrument must be an instrument id"):
        compute_reliability(items, instrument=42)
    bad = items.astype({"item_3": object})
    bad.loc[2, "item_3"] = "often"
    with pytest.raises(DataValidationError, match="not-a-number") as err:
        compute_reliability(bad, instrument=_stand_in({"all": tuple(items.columns)}))
    assert err.value.failure_cases[["row", "column"]].iloc[0].tolist() == [2, "item_3"]


# --------------------------------------------------------------------------------------------
# argument and data errors, immutability, result objects
# --------------------------------------------------------------------------------------------


def test_missing_column_is_an_argument_error(trial):
    with pytest.raises(ArgumentError, match="must have the column\\(s\\) 'scroe'"):
        compare_prepost(trial, measure="scroe", pre="baseline", post="week12")
    with pytest.raises(ArgumentError, match="'arm'"):
        compare_groups(trial, measure="score", group="arm", pre="baseline", post="week12")


@pytest.mark.parametrize("confidence", [0, 1, 1.5, 95, "high"])
def test_bad_confidence(trial, confidence):
    with pytest.raises(ArgumentError, match="confidence must be"):
        compare_prepost(
            trial, measure="score", pre="baseline", post="week12", confidence=confidence
        )
    with pytest.raises(ArgumentError, match="confidence must be"):
        compare_proportions(
            count_treatment=1, n_treatment=2, count_control=1, n_control=2, confidence=confidence
        )


def test_other_argument_errors(trial):
    with pytest.raises(ArgumentError, match="pre and post must be different"):
        compare_prepost(trial, measure="score", pre="baseline", post="baseline")
    with pytest.raises(
        ArgumentError, match="post must be a value of the 'timepoint' column; got 'week18'"
    ):
        compare_prepost(trial, measure="score", pre="baseline", post="week18")
    with pytest.raises(ArgumentError, match="method must be one of"):
        _compare(trial, method="t-test")
    with pytest.raises(ArgumentError, match="treatment must be one of the labels"):
        _compare(trial, treatment="MDMA")
    with pytest.raises(ArgumentError, match="missing must be one of"):
        compare_responders(
            _responder_data(),
            responder="responder",
            group="arm",
            treatment="MDMA",
            control="placebo",
            missing="drop",
        )
    with pytest.raises(ArgumentError, match="between 0 and its n"):
        compare_proportions(count_treatment=30, n_treatment=20, count_control=1, n_control=20)


def test_duplicate_subject_timepoint_rows(trial):
    dup = pd.concat([trial, trial.iloc[[0]]], ignore_index=True)  # S01 baseline twice
    with pytest.raises(DataValidationError, match="duplicate-observation x2") as err:
        compare_prepost(dup, measure="score", pre="baseline", post="week12")
    fc = err.value.failure_cases
    assert fc["row"].tolist() == [0, len(trial)]
    assert fc["subject"].tolist() == ["S01", "S01"]
    assert fc["timepoint"].tolist() == ["baseline", "baseline"]
    assert fc["reason"].unique().tolist() == ["duplicate-observation"]
    with pytest.raises(DataValidationError, match="duplicate-observation"):
        _compare(dup)


def test_text_in_a_measure_is_a_data_error(trial):
    data = trial.astype({"score": object})
    data.loc[5, "score"] = "n/a"
    with pytest.raises(DataValidationError, match="not-a-number x1") as err:
        compare_prepost(data, measure="score", pre="baseline", post="week12")
    fc = err.value.failure_cases
    assert fc[["row", "subject", "column", "value"]].iloc[0].tolist() == [5, "S03", "score", "n/a"]


def test_inputs_are_not_mutated(trial):
    before = trial.copy(deep=True)
    compare_prepost(trial, measure=["score", "other"], pre="baseline", post="week12")
    _compare(trial, robust=True)
    pd.testing.assert_frame_equal(trial, before)
    data = _responder_data()
    before = data.copy(deep=True)
    compare_responders(
        data, responder="responder", group="arm", treatment="MDMA", control="placebo"
    )
    pd.testing.assert_frame_equal(data, before)


def test_result_objects_are_frozen_and_render(trial):
    res = _compare(trial)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.measure = "other"  # type: ignore[misc]
    assert "adjusted_difference" in str(res) and "<table" in res._repr_html_()
    resp = compare_proportions(count_treatment=45, n_treatment=52, count_control=29, n_control=42)
    assert "NNTB 5.7" in str(resp)
    with pytest.raises(dataclasses.FrozenInstanceError):
        resp.nnt_text = ""  # type: ignore[misc]


def test_omega_is_not_reported_for_two_item_scales():
    from past_outcomes import read_dataset

    data = read_dataset("past_pilot")
    result = compute_reliability(data[data["timepoint"] == "baseline"], instrument="fsfi")
    desire = result.table.set_index("scale").loc["fsfi_desire"]
    assert desire["n_items"] == 2
    assert np.isnan(desire["omega_total"])
    assert "not estimable with 2 items" in desire["note"]
    assert not np.isnan(desire["cronbach_alpha"])


def test_a_subject_with_neither_value_is_reported_not_dropped_silently():
    data = pd.DataFrame(
        {
            "subject": ["A", "A", "B", "B", "C", "C", "D", "D"],
            "timepoint": ["pre", "post"] * 4,
            "score": [10.0, 6.0, 12.0, 7.0, np.nan, np.nan, 9.0, 5.0],
        }
    )
    with pytest.warns(
        UnpairedSubjectsWarning, match=r"1 subject\(s\) have no score at either timepoint .*: C\."
    ):
        out = compare_prepost(data, measure="score", pre="pre", post="post")
    assert out.table.loc[0, "n"] == 3
    assert out.table.loc[0, "n_unpaired"] == 0
    assert out.table.loc[0, "n_no_data"] == 1
    assert out.excluded.values.tolist() == [["C", "no-data", "score"]]


# --------------------------------------------------------------------------------------------
# the result contract and the one vocabulary
# --------------------------------------------------------------------------------------------

DATA_FUNCTIONS = {
    "compare_prepost": lambda t: compare_prepost(
        t, measure=["score", "other"], pre="baseline", post="week12"
    ),
    "compare_groups": lambda t: _compare(t),
    "compare_responders": lambda t: compare_responders(
        _responder_data(), responder="responder", group="arm", treatment="MDMA", control="placebo"
    ),
    "compute_reliability": lambda t: compute_reliability(
        pd.read_csv(GOLDEN / "items.csv"),
        instrument=_stand_in({"all": ("item_1", "item_2", "item_3")}),
    ),  # fmt: skip
    "compute_cohen_d": lambda t: compute_cohen_d(
        mean_treatment=1,
        sd_treatment=1,
        n_treatment=10,
        mean_control=0,
        sd_control=1,
        n_control=10,
    ),  # fmt: skip
    "compute_smcr": lambda t: compute_smcr(mean_pre=10, mean_post=8, sd_pre=3, n=20, r=0.5),
    "compute_dppc2": lambda t: compute_dppc2(
        mean_pre_treatment=10,
        mean_post_treatment=6,
        sd_pre_treatment=3,
        n_treatment=20,
        mean_pre_control=10,
        mean_post_control=8,
        sd_pre_control=3,
        n_control=20,
        r=0.5,
    ),  # fmt: skip
    "compute_power": lambda t: compute_power(effect_size=0.5, n=[10, 20, 40]),
    "plan_sample_size": lambda t: plan_sample_size(effect_size=0.5),
    "compare_proportions": lambda t: compare_proportions(
        count_treatment=45, n_treatment=52, count_control=29, n_control=42
    ),
}


@pytest.mark.parametrize("name", sorted(DATA_FUNCTIONS))
def test_every_function_returns_a_result_with_the_contract(name, trial):
    from past_outcomes.results import EXCLUDED_COLUMNS, ResultBase

    res = DATA_FUNCTIONS[name](trial)
    assert isinstance(res, ResultBase) and dataclasses.is_dataclass(res)
    assert isinstance(res.table, pd.DataFrame) and len(res.table)
    copy = res.to_frame()
    pd.testing.assert_frame_equal(copy, res.table)
    assert copy is not res.table
    assert list(res.excluded.columns) == EXCLUDED_COLUMNS
    notes = res.notes()
    assert notes and all(isinstance(n, str) and n for n in notes)
    text = repr(res)
    assert text.startswith(f"<{type(res).__name__}: ") and len(text.splitlines()) <= 10
    assert "<table" in res._repr_html_() and not hasattr(res, "summary")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.table = pd.DataFrame()  # type: ignore[misc]
    if "note" in res.table:  # a note in the table is a note of the result too
        for note in res.table["note"]:
            for part in filter(None, str(note).split("; ")):
                assert any(part in n for n in notes), part


@pytest.mark.parametrize(
    ("func", "defaults"),
    [
        (compare_prepost, {"subject": "subject", "timepoint": "timepoint", "confidence": 0.95}),
        (compare_groups, {"group": "group", "subject": "subject", "timepoint": "timepoint",
                          "treatment": None, "control": None, "confidence": 0.95}),
        (compare_responders, {"group": "group", "subject": "subject", "confidence": 0.95}),
        (compute_reliability, {"confidence": 0.95}),
    ],
)  # fmt: skip
def test_data_first_everything_else_keyword_only(func, defaults):
    import inspect

    params = list(inspect.signature(func).parameters.values())
    assert params[0].name == "data" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    for name, value in defaults.items():
        assert inspect.signature(func).parameters[name].default == value, name
    assert "alpha" not in inspect.signature(func).parameters


@pytest.mark.parametrize(
    "func",
    [compute_cohen_d, compute_smcr, compute_dppc2, compute_power, plan_sample_size,
     compare_proportions],
)  # fmt: skip
def test_summary_statistic_functions_are_keyword_only(func):
    import inspect

    kinds = {p.kind for p in inspect.signature(func).parameters.values()}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}
    with pytest.raises(TypeError, match="positional argument"):
        func(1)


def test_old_names_and_arguments_are_gone(trial):
    import past_outcomes.stats.prepost as prepost

    assert not hasattr(prepost, "prepost_test")
    with pytest.raises(TypeError, match="measures"):
        compare_prepost(trial, measures="score", pre="baseline", post="week12")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        compute_reliability(trial, "phq9")  # type: ignore[misc]


def test_compare_prepost_measure_must_name_columns(trial):
    for bad in ([], ["score", "score"], 3, [""]):
        with pytest.raises(ArgumentError, match="measure must"):
            compare_prepost(trial, measure=bad, pre="baseline", post="week12")


def test_compare_groups_lists_subjects_of_other_arms_without_a_warning(trial):
    data = trial.copy()
    data.loc[data.subject.isin(["S01", "S02"]), "group"] = "waitlist"
    res = _compare(data)  # no UnpairedSubjectsWarning: warnings are errors here
    assert res.excluded.values.tolist() == [
        ["S01", "no-group", "group = 'waitlist'"],
        ["S02", "no-group", "group = 'waitlist'"],
    ]
    assert res.groups.set_index("group").loc["drug", "n"] == 22
    assert "1 row(s)" not in repr(res) and "2 excluded: .excluded" in repr(res)


def test_compare_groups_unpaired_in_an_arm_and_other_arms_in_one_table(trial):
    data = trial[~((trial.subject == "S05") & (trial.timepoint == "week12"))].copy()
    data.loc[data.subject == "S40", "group"] = "waitlist"
    with pytest.warns(UnpairedSubjectsWarning, match=r"1 subject\(s\) lack score .*: S05\."):
        res = _compare(data)
    assert res.excluded.values.tolist() == [
        ["S05", "no-post", "score"],
        ["S40", "no-group", "group = 'waitlist'"],
    ]


def test_compare_responders_excluded_table():
    data = _responder_data()
    data.loc[0, "arm"] = "waitlist"
    data.loc[1, "arm"] = None
    kw = dict(responder="responder", group="arm", treatment="MDMA", control="placebo")
    res = compare_responders(data, **kw)
    ex = res.excluded
    assert ex.loc[ex.reason == "no-group", ["subject", "detail"]].values.tolist() == [
        [0, "arm = 'waitlist'"],
        [1, "arm missing"],
    ]
    missing = ex.loc[ex.reason == "missing-response", "subject"].tolist()
    assert missing == [52, 53, 54, *range(97, 106)]  # 3 MDMA and 9 placebo without outcome
    assert list(res.arms["n"]) == [50, 42]
    nri = compare_responders(data, missing="non-responder", **kw)
    assert set(nri.excluded["reason"]) == {"no-group"}
    # without a subject column, each row is a subject named by its row label
    no_ids = compare_responders(data.drop(columns="subject").set_index(data.index + 1000),
                                subject=None, **kw)  # fmt: skip
    ex = no_ids.excluded
    assert ex.loc[ex.reason == "no-group", "subject"].tolist() == [1000, 1001]
    assert ex.loc[ex.reason == "missing-response", "subject"].iloc[0] == 1052
    with pytest.raises(ArgumentError, match="'subject'"):
        compare_responders(data.drop(columns="subject"), **kw)


def test_responder_plot_draws_rates_with_their_cis():
    import matplotlib.pyplot as plt

    res = compare_proportions(count_treatment=45, n_treatment=52, count_control=29, n_control=42,
                              treatment="MDMA-AT", control="placebo")  # fmt: skip
    ax = res.plot()
    line = ax.lines[0]
    assert list(line.get_ydata()) == pytest.approx([100 * 45 / 52, 100 * 29 / 42])
    bars = ax.collections[0].get_segments()  # one vertical segment per arm: the Wilson CI
    for seg, (_, row) in zip(bars, res.arms.iterrows(), strict=True):
        assert (seg[0][1], seg[1][1]) == pytest.approx((row["ci_low"], row["ci_high"]))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["MDMA-AT", "placebo"]
    plt.close(ax.figure)


def test_power_plot_is_the_power_curve_and_other_results_have_none():
    import matplotlib.pyplot as plt

    res = compute_power(effect_size=0.5, n=[40, 10, 20])
    ax = res.plot()
    assert list(ax.lines[0].get_xdata()) == [10, 20, 40]
    assert list(ax.lines[0].get_ydata()) == pytest.approx(list(res.table.sort_values("n")["power"]))
    plt.close(ax.figure)
    with pytest.raises(ArgumentError, match="PowerResult has no figure"):
        plan_sample_size(effect_size=0.5).plot()
    with pytest.raises(ArgumentError, match="EffectSizeResult has no figure"):
        compute_smcr(mean_pre=10, mean_post=8, sd_pre=3, n=20, r=0.5).plot()


def test_effect_size_result_value_and_notes():
    res = compute_dppc2(mean_pre_treatment=10, mean_post_treatment=6, sd_pre_treatment=3,
                        n_treatment=2, mean_pre_control=10, mean_post_control=8,
                        sd_pre_control=3, n_control=2, r=0.5)  # fmt: skip
    assert res.value == pytest.approx(res.table["d_ppc2"].iloc[0])
    assert math.isnan(res.table["var"].iloc[0])
    assert any("2 subjects per arm" in n for n in res.notes())


def test_chi_square_without_any_responder_says_why():
    res = compare_proportions(count_treatment=0, n_treatment=10, count_control=0, n_control=12)
    chi = res.table.set_index("quantity").loc["chi_square"]
    assert math.isnan(chi["p_value"]) and "no responders in either arm" in chi["note"]
    assert any("chi_square: undefined" in n for n in res.notes())


def test_reliability_lists_the_rows_it_sets_aside(items):
    data = items.copy()
    data.index = [f"R{i}" for i in range(len(data))]
    data.iloc[3, 1] = np.nan  # item_2 of R3
    inst = _stand_in({"first": ("item_1", "item_2", "item_3"), "last": ("item_4", "item_5")})
    res = compute_reliability(data, instrument=inst)
    assert res.table.set_index("scale").loc["first", "n_complete"] == len(data) - 1
    assert res.table.set_index("scale").loc["last", "n_complete"] == len(data)
    assert res.excluded.values.tolist() == [
        ["R3", "incomplete-items", "an item is missing; set aside from first (item_2 missing)"]
    ]
