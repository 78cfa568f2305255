# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 Pilot: pre/post outcomes of ketamine-assisted sex therapy
#
# ## Aims
#
# In a single-arm pilot of ketamine-assisted sex therapy, describe change in
# sexual function, sexual distress, PTSD symptoms, depression and anxiety from baseline to the
# end of integration (`post_integration`) and to three months later (`followup_3m`):
# (1) mean change with paired effect sizes and confidence intervals; (2) reliable and clinically
# significant change per client; (3) responder rates under each instrument's declared rule;
# (4) trajectories over the three visits.
#
# ## Measures
#
# | outcome | instrument | who | direction |
# |---|---|---|---|
# | `fsfi_total` | Female Sexual Function Index, full scale (2-36) | clients with a vulva | higher = better |
# | `iief_ef` | IIEF-15 erectile function domain (1-30) | clients with a penis | higher = better |
# | `fsdsr_total` | Female Sexual Distress Scale-Revised (0-52) | clients with a vulva | lower = better |
# | `pcl5_total` | PTSD Checklist for DSM-5 (0-80) | everyone | lower = better |
# | `phq9_total` | Patient Health Questionnaire-9 (0-27) | everyone | lower = better |
# | `gad7_total` | Generalized Anxiety Disorder-7 (0-21) | everyone | lower = better |
#
# ## Analysis plan
#
# - Scores use each instrument's published algorithm (`po.score`) with `missing="complete"`: a
#   scale with any unanswered item is left missing (no proration), so the counts of missing
#   scores are reported per visit.
# - Pre/post comparisons (baseline vs `post_integration`, baseline vs `followup_3m`) use the
#   clients with both scores (complete pairs): paired t test, mean change with its t interval,
#   Cohen's d_z with an exact (noncentral t) interval, and Holm and Benjamini-Hochberg adjusted
#   p values across the six outcomes of each comparison. Clients lacking one of the two scores
#   are listed, not silently dropped. `followup_3m` is the primary time point.
# - Reliable change: Jacobson-Truax RCI with the reliability the instrument spec declares and
#   the sample's baseline SD; clinical significance only where the spec declares functional
#   (healthy) norms.
# - Responders: the rules declared in the specs, as proportions with Wilson intervals and
#   explicit denominators.
# - Significance level `alpha` (parameter); all intervals are `1 - alpha`.

# %% tags=["parameters"]
data_path: str = "past_pilot"  # a bundled data set name, or the path of your own CSV
seed: int = 20261128  # no random step in this notebook; kept so every notebook takes the same parameters
alpha: float = 0.05

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import past_outcomes as po

confidence = 1 - alpha
bundled = data_path in set(po.list_datasets()["name"])
source = f"the bundled data set `{data_path}`" if bundled else f"`{Path(data_path).name}`"

OUTCOMES = {  # score column -> (instrument, short label)
    "fsfi_total": ("fsfi", "FSFI total"),
    "iief_ef": ("iief", "IIEF erectile function"),
    "fsdsr_total": ("fsdsr", "FSDS-R total"),
    "pcl5_total": ("pcl5", "PCL-5 total"),
    "phq9_total": ("phq9", "PHQ-9 total"),
    "gad7_total": ("gad7", "GAD-7 total"),
}
LABELS = {col: label for col, (_, label) in OUTCOMES.items()}
TIMEPOINTS = ["baseline", "post_integration", "followup_3m"]


def caught(func, *args, **kwargs):
    """Call func, print its warnings (po.format_warnings) instead of stderr, return its result."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = func(*args, **kwargs)
    if record:
        print(po.format_warnings(record))
    return result


def is_better(col, diff):
    """Whether a mean change `diff` of outcome `col` is in the instrument's better direction."""
    direction = po.load_instrument(OUTCOMES[col][0]).scales[col].direction
    return diff > 0 if direction == "higher-is-better" else diff < 0


def names(labels):
    """'A', 'A and B', 'A, B and C'."""
    labels = list(labels)
    return " and ".join(labels) if len(labels) < 3 else ", ".join(labels[:-1]) + " and " + labels[-1]


# %% [markdown]
# ## Data and scoring

# %%
data = po.read_dataset(data_path)
data = po.check_contract(data, notebook="02_pilot_prepost")  # the columns this notebook needs
clients = data.drop_duplicates("subject")
per_visit = data["timepoint"].value_counts(sort=False)
po.format_markdown(f"""
    **Data:** {source}: {po.format_count(len(data), "row")},
    {po.format_count(len(clients), "client")}
    ({(clients["anatomy"] == "vulva").sum()} with a vulva, {(clients["anatomy"] == "penis").sum()}
    with a penis); rows per visit: {", ".join(f"`{tp}` {n}" for tp, n in per_visit.items())}.
""" + ("""
    **Synthetic data.** Every row of `past_pilot` is generated by `past_outcomes.synthetic`; no
    real client is behind any number below. The notebook shows how a single-arm pilot would be
    analysed and reported, not what the treatment does.
""" if data_path == "past_pilot" else ""))

# %%
po.format_table(pd.crosstab(clients["gender"], clients["anatomy"]))

# %%
instruments = sorted({inst for inst, _ in OUTCOMES.values()})
scores = caught(po.score, data, instrument=instruments, missing="complete")
scored = pd.concat([data[["subject", "gender", "anatomy", "timepoint"]], scores], axis=1)


def given_form(inst, frame=None):
    """Rows of the clients who answered the instrument at least once (FSFI and FSDS-R: clients
    with a vulva; IIEF: clients with a penis; the others: everyone)."""
    frame = scored if frame is None else frame
    ever = scored.loc[scored[f"{inst}_n_answered"] > 0, "subject"].unique()
    return frame[frame["subject"].isin(ever)]


# An instrument counts as administered at a row when at least one of its items was answered;
# a score is missing when it was administered but an item of the scale was skipped.
rows = []
for col, (inst, label) in OUTCOMES.items():
    for tp in TIMEPOINTS:
        at = scored["timepoint"] == tp
        given = at & (scored[f"{inst}_n_answered"] > 0)
        n_scored = int(scored.loc[given, col].notna().sum())
        rows.append(
            {
                "outcome": label,
                "timepoint": tp,
                "administered": int(given.sum()),
                "scored": n_scored,
                "missing (item skipped)": int(given.sum()) - n_scored,
            }
        )
missing_table = pd.DataFrame(rows).pivot(
    index="outcome", columns="timepoint", values=["administered", "scored", "missing (item skipped)"]
)
missing_table = missing_table.reindex(columns=TIMEPOINTS, level=1).loc[list(LABELS.values())]
po.format_table(missing_table)

# %%
lost = missing_table["missing (item skipped)"].sum(axis=1)
with warnings.catch_warnings(record=True):  # the ProrationWarning: only counted here
    warnings.simplefilter("always")
    fsfi_prorated = po.score(data, instrument="fsfi", missing="prorate")["fsfi_total"]
recovered = int((fsfi_prorated.notna() & scores["fsfi_total"].isna()).sum())
most = lost[lost == lost.max()].index if lost.max() > 0 else []
unverified = [  # labels resting on a cutoff its spec marks unverified (score warned above)
    f"`{rule.name}` ({rule.what})"
    for spec in map(po.load_instrument, instruments)
    for rule in spec.unverified_rules(responder_rules=False)
]
po.format_markdown(f"""
    Under `missing="complete"` one skipped item removes the whole scale score at that visit:
    {po.format_count(int(lost.sum()), "score")} are missing for a skipped item here
    {f"(most for the {names(most)})" if len(most) else ""}. The FSFI declares a proration rule
    (PROscorer, see notebook 01) that would recover {recovered} of its
    {int(lost["FSFI total"])} missing totals; it is not used here so that every score is a
    complete administration.
""" + (f"""
    `score` warns that {names(unverified)} {"rests" if len(unverified) == 1 else "rest"} on a
    cutoff not verified against its primary source; this notebook analyses the total scores
    and never uses {"that label" if len(unverified) == 1 else "those labels"}.
""" if unverified else ""))

# %% [markdown]
# ## Descriptives per visit
#
# All available scores at each visit (n differs between visits and outcomes).

# %%
long = scored.melt(
    id_vars=["subject", "timepoint"], value_vars=list(OUTCOMES), var_name="outcome", value_name="score"
).dropna(subset=["score"])
desc = (
    long.groupby(["outcome", "timepoint"], observed=True, sort=False)["score"]
    .agg(n="count", mean="mean", sd="std")
    .reset_index()
)
desc_wide = desc.pivot(index="outcome", columns="timepoint", values=["n", "mean", "sd"])
desc_wide = desc_wide.swaplevel(axis=1).reindex(columns=TIMEPOINTS, level=0)
desc_wide = desc_wide.reindex(columns=["n", "mean", "sd"], level=1).loc[list(OUTCOMES)]
desc_wide.index = pd.Index([LABELS[c] for c in desc_wide.index], name="outcome")
po.format_table(desc_wide)

# %% [markdown]
# ## Pre/post tests
#
# Complete pairs only; `mean_diff` is post minus baseline, so a negative value is an
# improvement on the symptom scales and a positive value an improvement on the FSFI and IIEF.
# `p_holm` and `p_fdr_bh` adjust across the six outcomes within each comparison. Clients
# set aside (a score at one visit only, or at neither) are listed in each result's `.excluded`.

# %%
show_cols = [
    "measure", "n", "n_unpaired", "mean_pre", "mean_post", "mean_diff", "ci_low", "ci_high",
    "cohen_dz", "cohen_dz_ci_low", "cohen_dz_ci_high", "p_value", "p_holm", "p_fdr_bh",
]  # fmt: skip
tests = {}
for post in ["post_integration", "followup_3m"]:
    print(f"baseline vs {post}:")
    tests[post] = caught(
        po.compare_prepost,
        scored,
        measure=list(OUTCOMES),
        pre="baseline",
        post=post,
        confidence=confidence,
    )
    print()

# %%
po.format_table(tests["post_integration"].table[show_cols])

# %%
po.format_table(tests["followup_3m"].table[show_cols])

# %%
def change_sentence(post):
    table = tests[post].table.set_index("measure")
    better = [LABELS[c] for c in OUTCOMES if is_better(c, table.loc[c, "mean_diff"])]
    held = [LABELS[c] for c in OUTCOMES if table.loc[c, "p_holm"] < alpha]
    others = [LABELS[c] for c in OUTCOMES if LABELS[c] not in better]
    return (
        f"At `{post}`, {len(better)} of {len(OUTCOMES)} outcomes improve on average"
        + (f" (not the {names(others)})" if others else "")
        + f"; {len(held)} with a Holm-adjusted p below {alpha:g}."
    )


pairs_range = po.format_range(pd.concat([t.table["n"] for t in tests.values()]))
widths = pd.concat(
    [t.table["cohen_dz_ci_high"] - t.table["cohen_dz_ci_low"] for t in tests.values()]
)
po.format_markdown(f"""
    {change_sentence("post_integration")} {change_sentence("followup_3m")} The d_z intervals
    are {po.format_range(widths, digits=1)} wide ({pairs_range} pairs per outcome): the pilot
    estimates the direction of change more precisely than its size. Clients without a pair (a
    missed visit or a skipped item at one visit) are in each result's `.excluded`; a mixed
    model (see notebook 03) would use their single scores.
""")

# %% [markdown]
# ## Reliable change and clinical significance (baseline to `followup_3m`)
#
# Jacobson-Truax RCI = (post - pre) / S_diff with S_diff = sqrt(2) SD_pre sqrt(1 - r_xx); a
# change is reliable when |RCI| exceeds the normal quantile at `confidence` (1.96 at 0.95). r_xx is the reliability the instrument
# spec declares (with its source); SD_pre is the SD of the sample's complete baseline scores,
# which the package flags with a `SampleEstimateWarning`.
#
# What each spec declares decides what can be classified:
#
# - **FSFI total**: reliability and both clinical and functional norms (Rosen 2000), so the
#   full Jacobson-Truax categories with cutoff c (recovered / improved / unchanged /
#   deteriorated / harmed).
# - **FSDS-R, PCL-5, PHQ-9, GAD-7**: a reliability but **no functional norms**, so only the
#   reliable-change labels (improved / unchanged / deteriorated); no "recovered".
# - **IIEF erectile function**: **no reliability** in the spec, so no RCI at all; the IIEF is
#   covered by its responder rule below.

# %%
change_results = {}
for col, (inst, label) in OUTCOMES.items():
    print(f"--- {label}")
    try:
        change_results[col] = caught(
            po.classify_change,
            given_form(inst),
            measure=col,
            instrument=inst,
            pre="baseline",
            post="followup_3m",
            method="jt",
            confidence=confidence,
        )
    except po.ArgumentError as err:
        print(f"not classified: {err}")

# %%
for col, res in change_results.items():
    print(f"{LABELS[col]}:")
    for line in res.notes():
        print("  " + line)

# %% [markdown]
# Counts per client (denominator: clients with both scores; the `missing` row counts clients
# without a pair, who are never counted as "unchanged").

# %%
rc_rows = []
for col, res in change_results.items():
    summary = res.reliable_counts.set_index("reliable")
    d = int(summary.loc["improved", "denominator"])
    rc_rows.append(
        {
            "outcome": LABELS[col],
            "reliability": res.reliability,
            "S_diff": res.s_diff,
            "points for reliable change": res.critical_value * res.s_diff,
            "pairs": d,
            "improved": f"{summary.loc['improved', 'n']}/{d} ({summary.loc['improved', 'percent']:.0f}%)",
            "unchanged": f"{summary.loc['unchanged', 'n']}/{d}",
            "deteriorated": f"{summary.loc['deteriorated', 'n']}/{d} ({summary.loc['deteriorated', 'percent']:.0f}%)",
            "no pair": int(summary.loc["missing", "n"]),
        }
    )
po.format_table(pd.DataFrame(rc_rows))

# %%
fsfi_change = change_results["fsfi_total"]
po.format_table(fsfi_change.counts, digits=1)

# %% [markdown]
# Pre-versus-post plots: each point is a client with both scores; the identity line is no
# change and the grey band is change too small to be reliable. For the FSFI the dashed lines
# are cutoff c between the clinical and functional populations.

# %%
def reliable_words(res):
    counts = res.reliable_counts.set_index("reliable")
    pairs = int(counts.loc["improved", "denominator"])
    return (
        f"{po.format_count(pairs, 'client')} with both scores, "
        f"{counts.loc['improved', 'n']} reliably improved and "
        f"{counts.loc['deteriorated', 'n']} reliably deteriorated"
    )


fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
change_results["phq9_total"].plot(ax=axes[0], title="PHQ-9: baseline vs 3 months")
fsfi_change.plot(ax=axes[1], title="FSFI total: baseline vs 3 months")
for ax, label in zip(axes, ["PHQ-9 total", "FSFI total"], strict=True):
    ax.set_xlabel(f"{label} at baseline")
    ax.set_ylabel(f"{label} at 3 months")
fig.tight_layout()
po.format_figure(
    fig,
    alt=f"Two scatter plots of the 3-month score against the baseline score, one point per "
    f"client, with the no-change line and the band of change too small to be reliable. PHQ-9: "
    f"{reliable_words(change_results['phq9_total'])}. FSFI total: {reliable_words(fsfi_change)}.",
)

# %%
fsfi_pairs = fsfi_change.table.dropna(subset=["pre", "post"])
low_start = int((fsfi_pairs["pre"] < 10).sum())
po.format_markdown(f"""
    The FSFI cutoff c ({fsfi_change.cutoff:.2f}) is pulled towards the clinical mean by the
    clinical SD, so a client can be "recovered" with a total near the Wiegel (2005) dysfunction
    cutoff of 26.55. The norms are recalled, not checked against Rosen (2000) (see the spec
    notes), and the reliability used is the lower bound of the reported range; both feed
    directly into these labels. FSFI totals below about 10 usually mean no sexual activity in
    the past four weeks (most items answered 0), not poor function during activity:
    {low_start} of the {len(fsfi_pairs)} FSFI pairs here start below 10, and gains from such
    baselines are mostly changes in activity, which the FSFI cannot separate from changes in
    function.
""")

# %% [markdown]
# ## Responders (baseline to `followup_3m`)
#
# Rules as declared in the instrument specs. The denominator is the clients for whom the rule
# could be evaluated: both scores present and, for IIEF, a baseline EF of 25 or less (EF 26-30
# means no erectile dysfunction and has no MCID in Rosen 2011); PHQ-9 response and remission
# (NCQA) apply to a baseline of 10 or more. Rates and their Wilson score intervals (at `confidence`) are the
# `responder` row of each result's `.counts`; clients the rule does not apply to are the
# `not-eligible` rows of its `.excluded`.

# %%
RULES = [
    ("phq9", "response50"),
    ("phq9", "remission"),
    ("gad7", "mcid4"),
    ("pcl5", "mcid10"),
    ("iief", "ef_mcid"),
]


def responder_row(frame, inst, rule):
    res = po.classify_responders(
        given_form(inst, frame),
        instrument=inst,
        rule=rule,
        pre="baseline",
        post="followup_3m",
        confidence=confidence,
    )
    rate = res.counts.set_index("category").loc["responder"]
    k, n = int(rate["n"]), int(rate["denominator"])
    return {
        "instrument": inst,
        "rule": rule,
        "definition": res.label,
        "clients": len(res.table),
        "pairs": int((res.table["pre"].notna() & res.table["post"].notna()).sum()),
        "not applicable": int((res.excluded["reason"] == "not-eligible").sum()),
        "responders": f"{k}/{n}",
        "rate": rate["rate"],
        "ci_low": rate["ci_low"],
        "ci_high": rate["ci_high"],
    }


with warnings.catch_warnings(record=True) as record:  # each distinct warning printed once
    warnings.simplefilter("always")
    responders = pd.DataFrame([responder_row(scored, inst, rule) for inst, rule in RULES])
if record:
    print(po.format_warnings(record))
po.format_table(responders, digits=3)

# %%
phq = responders.set_index("rule").loc[["response50", "remission"]]
po.format_markdown(f"""
    `clients` is everyone who answered the form at least once (IIEF: the clients with a
    penis); `pairs` those with both scores; the rate's denominator is `pairs - not applicable`.

    PHQ-9 response and remission count only clients depressed at baseline (PHQ-9 10 or more):
    {int(phq["pairs"].iloc[0] - phq["not applicable"].iloc[0])} of the
    {int(phq["pairs"].iloc[0])} PHQ-9 pairs here; the rest are `not applicable`, never
    counted as non-responders. Responder rates describe within-person change only; without a
    control arm they cannot be attributed to the treatment.
""")

# %% [markdown]
# ## Trajectories over the three visits
#
# Mean with a t-based interval (at `confidence`) at each visit, using every available score
# (available-case: the clients may differ between visits).

# %%
traj = desc.copy()
q = stats.t.ppf(1 - alpha / 2, traj["n"] - 1)
half = q * traj["sd"] / np.sqrt(traj["n"])
traj["ci_low"], traj["ci_high"] = traj["mean"] - half, traj["mean"] + half

fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
x = np.arange(len(TIMEPOINTS))
for ax, col in zip(axes.flat, OUTCOMES, strict=True):
    t = traj[traj["outcome"] == col].set_index("timepoint").reindex(TIMEPOINTS)
    ax.errorbar(
        x,
        t["mean"],
        yerr=[t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]],
        marker="o",
        capsize=4,
        color="#2166ac",
    )
    for xi, n in zip(x, t["n"], strict=True):
        ax.annotate(f"n={n}", (xi, 0.02), xycoords=("data", "axes fraction"), ha="center", fontsize=8)
    inst = OUTCOMES[col][0]
    direction = po.load_instrument(inst).scales[col].direction
    ax.set_title(f"{LABELS[col]} ({direction.replace('-is-', ' is ')})", fontsize=10)
    ax.set_xticks(x, ["baseline", "post-\nintegration", "3 months"])
    ax.set_xlim(-0.4, len(TIMEPOINTS) - 0.6)
    ax.margins(y=0.2)
fig.suptitle(
    f"Mean score per visit with {confidence:.0%} CI"
    + (" (synthetic pilot)" if data_path == "past_pilot" else "")
)
fig.tight_layout()


def trajectory_words(col):
    t = traj[traj["outcome"] == col].set_index("timepoint").reindex(TIMEPOINTS)["mean"]
    return f"{LABELS[col]} " + ", ".join("-" if np.isnan(m) else f"{m:.1f}" for m in t)


po.format_figure(
    fig,
    alt=f"Six panels, one per outcome: mean score at baseline, post-integration and 3 months "
    f"with {confidence:.0%} confidence intervals and the number of scores at each visit. Means: "
    + "; ".join(trajectory_words(col) for col in OUTCOMES)
    + ".",
)

# %% [markdown]
# ## Results table (baseline to 3-month follow-up)
#
# One row per outcome, complete pairs. Baseline and follow-up means are over the same pairs as
# the change; `p` is the paired t test; `p_holm` adjusts across the six outcomes. Reliable
# change is Jacobson-Truax (IIEF: no reliability declared, so not assessed).

# %%
fu = tests["followup_3m"].table.set_index("measure")


table_rows = []
for col in OUTCOMES:
    r = fu.loc[col]
    res = change_results.get(col)
    if res is not None:
        rs = res.reliable_counts.set_index("reliable")
        improved = f"{rs.loc['improved', 'percent']:.0f}%"
        deteriorated = f"{rs.loc['deteriorated', 'percent']:.0f}%"
    else:
        improved = deteriorated = "n/a"
    table_rows.append(
        {
            "outcome": LABELS[col],
            "n": int(r["n"]),
            "baseline M (SD)": f"{r['mean_pre']:.1f} ({r['sd_pre']:.1f})",
            "3 months M (SD)": f"{r['mean_post']:.1f} ({r['sd_post']:.1f})",
            f"change ({confidence:.0%} CI)": po.format_ci(r["mean_diff"], r["ci_low"], r["ci_high"], digits=1),
            f"d_z ({confidence:.0%} CI)": po.format_ci(r["cohen_dz"], r["cohen_dz_ci_low"], r["cohen_dz_ci_high"]),
            "p": po.format_p(r["p_value"]),
            "p_holm": po.format_p(r["p_holm"]),
            "reliably improved": improved,
            "reliably deteriorated": deteriorated,
        }
    )
results_table = pd.DataFrame(table_rows)
po.format_table(results_table)

# %% [markdown]
# ## Interpretation and caveats

# %%
fu_change = fu["mean_diff"]
pi = tests["post_integration"].table.set_index("measure")
better_fu = [c for c in OUTCOMES if is_better(c, fu_change[c])]
kept = [c for c in better_fu if is_better(c, pi.loc[c, "mean_diff"])
        and abs(fu_change[c]) >= abs(pi.loc[c, "mean_diff"])]
share = {
    col: res.reliable_counts.set_index("reliable").loc[["improved", "deteriorated"]]
    for col, res in change_results.items()
}
n_deteriorated = sum(int(t.loc["deteriorated", "n"]) for t in share.values())
improved_pct = po.format_range([t.loc["improved", "percent"] for t in share.values()])
vulva = clients["anatomy"].eq("vulva").sum()
penis = clients["anatomy"].eq("penis").sum()
fsfi_fsdsr_pairs = po.format_range(fu.loc[["fsfi_total", "fsdsr_total"], "n"])
po.format_markdown(f"""
    - In {source}, {len(better_fu)} of {len(OUTCOMES)} outcomes improved on average from
      baseline to three months, with within-person effect sizes |d_z|
      {po.format_range(fu["cohen_dz"].abs(), digits=2)} (at the end of integration
      {po.format_range(pi["cohen_dz"].abs(), digits=2)}); for {len(kept)} of them the mean
      change at three months was at least as large as at the end of integration. Per outcome,
      {improved_pct}% of the clients with both scores reliably improved (Jacobson-Truax; no
      IIEF); {po.format_count(n_deteriorated, "reliable deterioration")}
      {"was" if n_deteriorated == 1 else "were"} recorded across the outcomes.
    - **Single arm, no control.** The pre/post change mixes any treatment effect with natural
      course, expectancy (unblinded psychedelic treatment), concurrent therapy and measurement
      reactivity. Nothing here is a treatment effect.
    - **Regression to the mean.** Clients enrolled because their difficulties were high at
      intake; their baseline scores are partly high by chance, so some improvement is expected
      without any treatment, most of all for the least reliable measures and the most extreme
      clients.
    - **Small, split samples.** The FSFI/FSDS-R analyses rest on the
      {po.format_count(vulva, "client")} with a vulva ({fsfi_fsdsr_pairs} complete pairs at three
      months) and the IIEF on the {penis} with a penis ({int(fu.loc["iief_ef", "n"])} pairs);
      effect-size intervals are wide, and the six outcomes are adjusted only within each
      comparison, not across the two comparisons.
    - **Complete cases.** Clients with a missed visit or a skipped item are set aside (listed
      above); if dropout relates to outcome the estimates are biased.
    - **Borrowed constants.** Reliabilities and FSFI norms come from the validation papers
      (several recalled rather than checked, as the specs say); the SD for the RCI is the
      sample's own.
""" + ("""    - **Synthetic data.** Numbers illustrate the analysis; they say nothing about ketamine.
""" if data_path == "past_pilot" else ""))
