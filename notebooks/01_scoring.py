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
# # 01 Scoring: from raw responses to validated scores
#
# This notebook takes item-level questionnaire responses, as they come out of a survey tool,
# checks every answer, and scores every instrument with its published algorithm: totals and
# subscales, severity bands, cutoffs, the PHQ-9 item 9 safety flag, and FSFI proration under
# the declared rule. The data are the bundled **synthetic** pilot of ketamine-assisted sex
# therapy (`past_pilot`); no real client is behind any row.
#
# Every rule comes from a declarative spec in `instruments/` that cites its source; nothing is
# scored by code written for one instrument.

# %% tags=["parameters"]
data_path: str = "past_pilot"  # a bundled data set name, or the path of your own CSV
seed: int = 20261128  # not used for scoring; kept so every notebook takes the same parameters
alpha: float = 0.05

# %%
import warnings

import pandas as pd

import past_outcomes as po

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## The instruments
#
# The bundled specs, and what the FSFI spec declares for each scale: the items, the possible
# range, the proration rule and its source.

# %%
po.list_instruments()[["id", "name", "items", "direction"]]

# %%
fsfi = po.load_instrument("fsfi")
fsfi.describe()[["column", "method", "items", "min", "max", "proration"]]

# %% [markdown]
# ## The data
#
# One row per client and timepoint; item columns are named `<instrument>_<n>`. An empty cell is
# an unanswered item, or an instrument not given at that row (the FSFI and FSDS-R are given to
# clients with a vulva, the IIEF to clients with a penis).

# %%
data = po.read_dataset(data_path)
data = po.check_contract(data, notebook="01_scoring")  # the columns this notebook needs
visit_order = list(data["timepoint"].unique())
present = [
    inst
    for inst in po.list_instruments()["id"]
    if any(c in data.columns for c in po.load_instrument(inst).item_columns)
]
print(f"{len(data)} rows, {data['subject'].nunique()} clients, timepoints: "
      f"{', '.join(map(str, data['timepoint'].unique()))}")
print("instruments present:", ", ".join(present))

# %% [markdown]
# ## Validation: what a miscoded export looks like
#
# Exports from survey tools often carry text labels instead of codes, answers off the
# instrument's scale, or the same administration twice. Below, four such problems are planted in
# a copy of the data. `validate_responses` checks every cell and reports **all** problems at
# once, each with its row, client, timepoint, column, value and a reason code, so that the
# export can be fixed in one pass. Nothing is scored from invalid data and the input is never
# modified.

# %%
broken = data.copy()
broken["phq9_2"] = broken["phq9_2"].astype("object")
broken.loc[0, "phq9_2"] = "several days"  # a text label instead of the code 1
broken.loc[1, "gad7_3"] = 4  # GAD-7 answers run from 0 to 3
first_fsfi_row = broken.index[broken["fsfi_1"].notna()][0]
broken.loc[first_fsfi_row, "fsfi_1"] = 0  # FSFI item 1 has no zero option (1-5)
broken = pd.concat([broken, broken.iloc[[5]]], ignore_index=True)  # exported twice

try:
    po.validate_responses(broken, instrument=["phq9", "gad7", "fsfi"])
except po.ResponseValidationError as error:
    print(error)
    failures = error.failure_cases

# %%
failures[["row", "subject", "timepoint", "column", "value", "reason"]]

# %% [markdown]
# The original data pass the same checks:

# %%
clean = po.validate_responses(data, instrument=present)
print(f"{clean.shape[1]} item columns validated, {int(clean.isna().sum().sum())} empty cells")

# %% [markdown]
# ## Scoring
#
# `score` returns one row per input row (same index), with every scale, band and flag, and the
# number of items answered. Under the default `missing="complete"` a scale is scored only when
# all of its items are answered; a missing answer gives a missing score, never a zero.

# %%
scores = po.score(data, instrument=present)
scored = pd.concat([data[["subject", "timepoint", "gender"]], scores], axis=1)
scored[["subject", "timepoint", "phq9_total", "phq9_band", "gad7_total", "gad7_band",
        "pcl5_total", "pcl5_dx", "pcl5_probable"]].head(8)

# %% [markdown]
# Sexual function and distress, for the first clients of each anatomy form:

# %%
women = scored["fsfi_n_answered"] > 0
cols_f = ["subject", "timepoint", "fsfi_desire", "fsfi_arousal", "fsfi_lubrication",
          "fsfi_orgasm", "fsfi_satisfaction", "fsfi_pain", "fsfi_total", "fsfi_dysfunction",
          "fsfi_sexually_active", "fsdsr_total", "fsdsr_distress"]
scored.loc[women, cols_f].head(6).round(2)

# %%
cols_m = ["subject", "timepoint", "iief_ef", "iief_ef_band", "iief_ed", "iief_of", "iief_sd",
          "iief_is", "iief_os", "iief_total"]
scored.loc[scored["iief_n_answered"] > 0, cols_m].head(6)

# %% [markdown]
# How many scores are missing at each timepoint, and why: a missing total means at least one
# item was skipped (or the instrument was not given).

# %%
totals = ["phq9_total", "gad7_total", "pcl5_total", "fsfi_total", "fsdsr_total", "iief_ef"]
given = {"fsfi_total": "fsfi_n_answered", "fsdsr_total": "fsdsr_n_answered",
         "iief_ef": "iief_n_answered"}
rows = []
for (tp, group) in scored.groupby("timepoint", observed=True):
    for col in totals:
        administered = group[given[col]] > 0 if col in given else pd.Series(True, group.index)
        rows.append({"timepoint": tp, "score": col, "administered": int(administered.sum()),
                     "scored": int(group.loc[administered, col].notna().sum())})
missing_table = pd.DataFrame(rows)
missing_table["missing (items skipped)"] = missing_table["administered"] - missing_table["scored"]
missing_table.pivot(index="score", columns="timepoint", values="missing (items skipped)")[
    visit_order
]

# %% [markdown]
# ## Bands and cutoffs
#
# Severity bands are the published ones (PHQ-9: Kroenke 2001; GAD-7: Spitzer 2006; IIEF
# erectile function: Cappelleri 1999). A band is a description of the current score, not a
# measure of change.

# %%
band_order = ["minimal", "mild", "moderate", "moderately severe", "severe"]
phq_bands = pd.crosstab(scored["phq9_band"], scored["timepoint"])
phq_bands.reindex(index=band_order, columns=visit_order).fillna(0).astype(int)

# %%
pd.crosstab(scored["gad7_band"], scored["timepoint"]).reindex(
    index=["minimal", "mild", "moderate", "severe"], columns=visit_order).fillna(0).astype(int)

# %%
fsfi_rows = scored[women]
summary = fsfi_rows.groupby("timepoint", observed=True).agg(
    n_scored=("fsfi_total", "count"),
    dysfunction=("fsfi_dysfunction", "sum"),
    sexually_active=("fsfi_sexually_active", "sum"),
)
summary

# %% [markdown]
# The FSFI was designed for sexually active women: when more than 7 of the 15 items with a
# "no sexual activity" option are answered 0 or left empty (Baser 2012), the total mostly
# reflects inactivity, not dysfunction. `fsfi_sexually_active` marks the administrations where
# the total can be read as sexual function.

# %% [markdown]
# ## Safety: PHQ-9 item 9
#
# Any answer above 0 on PHQ-9 item 9 (thoughts of death or self-harm) needs same-day clinical
# follow-up, whatever the total. It is a prompt to assess, not a risk score.

# %%
flagged = scored.loc[scored["phq9_item9_flag"].fillna(False).astype(bool),
                     ["subject", "timepoint", "phq9_total"]].copy()
flagged["item 9 answer"] = data.loc[flagged.index, "phq9_9"]
print(f"{len(flagged)} administration(s) with PHQ-9 item 9 above 0:")
flagged

# %% [markdown]
# ## Proration, explicitly
#
# The FSFI authors publish no missing-data rule. The spec declares the convention of the
# PROscorer package (Baser): a domain is scored when at least half its items are answered,
# prorated to the full item count, and the total when at least 5 of 6 domains are available.
# Proration is never silent: it must be asked for with `missing="prorate"`, it raises a
# `ProrationWarning`, and each prorated score carries a flag.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    prorated = po.score(data, instrument="fsfi", missing="prorate")
print(po.format_warnings(caught))

# %%
gained = prorated["fsfi_total"].notna() & scores["fsfi_total"].isna()
comparison = pd.DataFrame({
    "subject": data["subject"],
    "timepoint": data["timepoint"],
    "items answered": prorated["fsfi_n_answered"],
    "total (complete)": scores["fsfi_total"],
    "total (prorated)": prorated["fsfi_total"],
    "prorated": prorated["fsfi_prorated"],
})[gained | (prorated["fsfi_prorated"] & prorated["fsfi_total"].notna())]
print(f"{int(gained.sum())} FSFI totals become available under the declared proration rule")
comparison.round(2)

# %% [markdown]
# Instruments without a published or declared rule refuse to prorate rather than invent one:

# %%
try:
    po.score(data, instrument="phq9", missing="prorate")
except po.ArgumentError as error:
    print(error)
