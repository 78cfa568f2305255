# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.17.3
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Client progress: one client's view and the caseload
#
# This notebook is a practitioner's progress view for routine outcome monitoring in
# psychedelic-assisted sex therapy. It reads one practice's dated questionnaire
# administrations (`practice_rom`, synthetic: no real client is behind any row), scores every
# questionnaire that was given and shows, for one client and then for the whole caseload:
#
# 1. **safety first**: every PHQ-9 item 9 answer above 0, with the answer and its date;
# 2. **one graph per questionnaire over calendar time**, with the severity bands and the
#    clinical cutoff from the instrument's spec and the dosing sessions marked;
# 3. **change read honestly**: intake against the latest score, with the reliable change index
#    (RCI) and every number the label rests on;
# 4. **item-level detail**: which items and domains moved;
# 5. **the caseload**: who is flagged, who is deteriorating, and the share reliably improved
#    at the 3-month follow-up.
#
# **What this view is not.** The safety flag means *assess now*; it is not a risk score, and
# PHQ-9 item 9 misses many people at risk. There is **no validated expected-recovery curve
# for psychedelic-assisted sex therapy**, so this notebook draws no "on track / not on track"
# band: the only deterioration rule used is reliable deterioration from intake. A practice
# that wants an expected trajectory must derive it from its own or published data and label
# it as such.

# %% tags=["parameters"]
data_path: str = "practice_rom"
client: str = "C09"
seed: int = 20261128
alpha: float = 0.05

# %% [markdown]
# ## Data and scoring
#
# `po.read_dataset` reads the data set (or a CSV with the same layout). Every instrument whose
# item columns are present is scored with `po.score` under each spec's default rule: a total is
# computed only when every item is answered (PHQ-9, GAD-7, PCL-5 and FSDS-R declare no
# proration rule), so an administration with a skipped item has no total and is marked as
# "not scorable" in the graphs rather than silently filled in. `seed` is not used: nothing in
# this notebook is random.

# %%
import re
import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import past_outcomes as po

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 30)
confidence = 1 - alpha

raw = po.read_dataset(data_path)
raw = po.check_contract(raw, notebook="04_client_progress", client=client)  # what it needs
item_cols = [c for c in raw.columns if re.fullmatch(r"[a-z][a-z0-9]*_\d+", c)]
present = [i for i in dict.fromkeys(c.rsplit("_", 1)[0] for c in item_cols)]
specs = {i: po.load_instrument(i) for i in present}

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    scores = po.score(raw, instrument=present)
if caught:
    print(po.format_warnings(caught))

id_cols = [c for c in ("subject", "timepoint", "date", "medicine", "anatomy") if c in raw.columns]
scored = pd.concat([raw[id_cols], scores], axis=1)
scored["timepoint"] = scored["timepoint"].astype("string")
scored = scored.sort_values(["subject", "date"], kind="stable").reset_index(drop=True)

print(
    f"{scored['subject'].nunique()} clients, {len(scored)} dated administrations from "
    f"{scored['date'].min():%Y-%m-%d} to {scored['date'].max():%Y-%m-%d}."
)
print("Instruments scored:", ", ".join(specs[i].short_name for i in present))

# %% [markdown]
# For each instrument the notebook follows one **primary score**, the spec's `primary_scale`:
# the scale of its primary responder rule or, failing that, of its change criteria (the PHQ-9,
# GAD-7, PCL-5 and FSDS-R totals, the FSFI full scale and the IIEF erectile-function domain).
# Direction, range, severity bands, cutoffs, reliability and their sources all come from the
# spec (`direction`, `bands`, `cutoffs`), printed below so that every later label can be traced.


# %%
def direction_text(direction):
    return "higher = better" if direction == "higher-is-better" else "higher = worse"


primary = {i: specs[i].primary_scale.column for i in present}
rows = []
for i in present:
    spec, col = specs[i], primary[i]
    scale = spec.scales[col]
    crit = spec.change.get(col)
    bands = spec.bands(col)
    rows.append(
        {
            "instrument": spec.short_name,
            "score": f"{col} ({scale.label})",
            "range": f"{scale.range[0]:g}-{scale.range[1]:g}",
            "direction": direction_text(spec.direction(col)),
            "bands": "; ".join(f"{b.label} {b.min:g}-{b.max:g}" for b in bands[0].bands)
            if bands
            else "none in spec",
            "cutoff": "; ".join(c.rule_text for c in spec.cutoffs(col)) or "none",
            "reliability": f"{crit.reliability.value:g} ({crit.reliability.source})"
            if crit is not None and crit.reliability is not None
            else "none in spec",
            "MCID": f"{crit.mcid.value:g} ({crit.mcid.source})"
            if crit is not None and crit.mcid is not None
            else "none in spec",
        }
    )
spec_table = pd.DataFrame(rows)
spec_table

# %%
print("Sources of the bands, cutoffs, reliabilities and MCIDs above (from the specs):")
for i in present:
    spec, col = specs[i], primary[i]
    crit = spec.change.get(col)
    keys = [c.source for c in spec.classifications.values() if c.scale == col]
    if crit is not None:
        keys += [v.source for v in (crit.reliability, crit.clinical, crit.mcid) if v is not None]
    for key in dict.fromkeys(keys):
        print(f"- {spec.short_name} {key}: {spec.sources[key]}")

# %% [markdown]
# ## Safety: PHQ-9 item 9
#
# PHQ-9 item 9 asks about thoughts of being better off dead or of hurting oneself. **Any answer
# above 0 means: assess suicide risk now**, whatever the total. The banner lists every such
# answer with its date; it also lists any administration where item 9 was left unanswered,
# because a skipped item 9 is not a "no". A notebook cannot record that a clinician has acted
# (acknowledged, safety plan done): the banner therefore keeps showing past answers, and the
# clinic's record of the action lives elsewhere.

# %%
PHQ_ANCHORS = {0: "not at all", 1: "several days", 2: "more than half the days", 3: "nearly every day"}


def banner(title, lines):
    """Print an unmissable boxed text block."""
    body = [title, ""] + lines
    width = max(len(line) for line in body)
    print("#" * (width + 8))
    for line in body:
        print(f"##  {line:<{width}}  ##")
    print("#" * (width + 8))


def safety_lines(subjects):
    """One line per PHQ-9 item 9 answer above 0 (or unanswered) for the given clients."""
    if "phq9" not in specs:
        return ["PHQ-9 was not administered: no item-9 screen is available."]
    flag_label = specs["phq9"].classifications["phq9_item9_flag"].label
    given = scored["phq9_n_answered"] > 0
    sel = scored[given & scored["subject"].isin(subjects)].copy()
    sel["item9"] = raw.set_index(["subject", "date"]).loc[
        list(zip(sel["subject"], sel["date"], strict=True)), "phq9_9"
    ].to_numpy()
    lines = []
    for _, r in sel[sel["phq9_item9_flag"].fillna(False)].iterrows():
        answer = int(r["item9"])
        lines.append(
            f"{r['subject']}: PHQ-9 item 9 answered {answer} ({PHQ_ANCHORS.get(answer, '?')}) "
            f"on {r['date']:%Y-%m-%d} ({r['timepoint']}). {flag_label}."
        )
    for _, r in sel[sel["phq9_item9_flag"].isna()].iterrows():
        lines.append(
            f"{r['subject']}: PHQ-9 item 9 NOT ANSWERED on {r['date']:%Y-%m-%d} "
            f"({r['timepoint']}): ask directly."
        )
    return lines


lines = safety_lines([client])
if lines:
    last = scored[(scored["subject"] == client) & (scored["phq9_n_answered"] > 0)].iloc[-1]
    answer = raw.set_index(["subject", "date"]).loc[(client, last["date"]), "phq9_9"]
    lines.append(
        f"Most recent PHQ-9: {last['date']:%Y-%m-%d} ({last['timepoint']}), item 9 = "
        f"{'not answered' if pd.isna(answer) else int(answer)}. A past answer stays listed "
        "until the clinic records its action."
    )
    banner(f"SAFETY - ASSESS NOW - client {client}", lines)
else:
    print(f"Client {client}: PHQ-9 item 9 was 0 at every administration.")

# %% [markdown]
# ## The client's scores over time
#
# One panel per questionnaire, on the calendar dates the client filled it in. The y-axis spans
# the questionnaire's full score range, and the panel title says which way is better. Shaded
# bands are the published severity bands where the spec has them (PHQ-9, GAD-7, IIEF
# erectile function); the dotted line is the clinical cutoff (e.g. PCL-5 33 for probable PTSD,
# FSDS-R 11 for sexually related distress, FSFI 26.55 for probable sexual dysfunction). The
# vertical lines are dosing sessions. A cross on the x-axis marks an administration that could
# not be scored because an item was skipped; a red ring marks a PHQ-9 item 9 answer above 0.
#
# A point crossing into another band is **not** by itself change: a 1-point move can cross a
# band edge and a large move can stay inside a band. Change is judged by the reliable change
# index in the next section.

# %%
BAND_COLOURS = ["#e6f2e6", "#f7f4d2", "#fbe3c8", "#f8cfc2", "#f0b2b2"]


def dosing_dates(rows):
    """Dates of the dosing sessions recorded as administrations (timepoint 'dosing<k>')."""
    d = rows[rows["timepoint"].str.fullmatch(r"dosing\d+")]
    return list(zip(d["timepoint"], d["date"], strict=True))


def inferred_missing_dosings(rows):
    """Dosing sessions implied by an 'integration<k>' row without a 'dosing<k>' row."""
    tps = set(rows["timepoint"])
    return sorted(
        f"dosing{t[len('integration'):]}"
        for t in tps
        if re.fullmatch(r"integration\d+", t) and f"dosing{t[len('integration'):]}" not in tps
    )


def shade_bands(ax, band, direction):
    n = len(band.bands)
    ranks = range(n) if direction == "lower-is-better" else range(n - 1, -1, -1)
    colours = [BAND_COLOURS[k] for k in np.linspace(0, 4, n).round().astype(int)]
    for k, (b, rank) in enumerate(zip(band.bands, ranks, strict=True)):
        lo = b.min if k == 0 else (band.bands[k - 1].max + b.min) / 2
        hi = b.max if k == n - 1 else (b.max + band.bands[k + 1].min) / 2
        ax.axhspan(lo, hi, color=colours[rank], zorder=0, lw=0)
        ax.text(1.01, (lo + hi) / 2, b.label, transform=ax.get_yaxis_transform(),
                va="center", fontsize=7, color="0.35")


def plot_panel(ax, rows, i, doses, medicine):
    """One questionnaire's primary score over calendar time, with its bands, cutoffs and doses."""
    spec, col = specs[i], primary[i]
    scale = spec.scales[col]
    sub = rows[rows[f"{i}_n_answered"] > 0]
    ok = sub[col].notna()
    bands = spec.bands(col)
    if bands:
        shade_bands(ax, bands[0], spec.direction(col))
    cut_text = []
    for c in spec.cutoffs(col):
        ax.axhline(c.value, color="0.2", ls=":", lw=1.5, zorder=1)
        rule = c.rule_text
        cut_text.append(c.label if rule in c.label else f"{c.label} ({rule})")
    for k, (_tp, day) in enumerate(doses):
        ax.axvline(day, color="#5e3c99", lw=1.2, alpha=0.8, zorder=1,
                   label=f"dosing session ({medicine})" if k == 0 else None)
    ax.plot(sub.loc[ok, "date"], sub.loc[ok, col], "-o", color="black", ms=4, zorder=3)
    if (~ok).any():
        ax.plot(sub.loc[~ok, "date"], [scale.range[0]] * int((~ok).sum()), "x",
                color="0.3", ms=7, clip_on=False, zorder=4,
                label="not scorable (item skipped)")
    if i == "phq9":
        flagged = sub[sub["phq9_item9_flag"].fillna(False)]
        if len(flagged):
            ax.plot(flagged["date"], flagged[col], "o", mfc="none", mec="red", ms=12, mew=2,
                    zorder=5, label="item 9 above 0: assess now")
    ax.set_ylim(*scale.range)
    ax.set_ylabel(f"{spec.short_name}\n{scale.label}", fontsize=8)
    arrow = "↑" if spec.direction(col) == "higher-is-better" else "↓"
    ax.set_title(f"{spec.short_name} {scale.label.lower()} ({scale.range[0]:g}-"
                 f"{scale.range[1]:g}): {direction_text(spec.direction(col))} "
                 f"({arrow} is better)"
                 + (f"; dotted line: {'; '.join(cut_text)}" if cut_text else ""),
                 fontsize=9, loc="left")


def plot_client(subject):
    rows = scored[scored["subject"] == subject]
    given = [i for i in present if (rows[f"{i}_n_answered"] > 0).any()]
    fig, axes = plt.subplots(len(given), 1, figsize=(9, 2.5 * len(given)), sharex=True,
                             layout="constrained", squeeze=False)
    doses = dosing_dates(rows)
    medicine = rows["medicine"].iloc[0] if "medicine" in rows else ""
    for ax, i in zip(axes[:, 0], given, strict=True):
        plot_panel(ax, rows, i, doses, medicine)
    bottom = axes[-1, 0]
    for tp, day in doses:
        bottom.text(day, 0.02, f" {tp}", transform=bottom.get_xaxis_transform(),
                    ha="left", va="bottom", fontsize=7, color="#5e3c99")
    axes[-1, 0].xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.suptitle(f"Client {subject}: scores over time", x=0.01, ha="left", fontsize=11)
    handles = {}
    for ax in axes[:, 0]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center",
               ncol=len(handles), fontsize=8, frameon=False)
    missing = inferred_missing_dosings(rows)
    return missing


missing_doses = plot_client(client)
plt.show()
if missing_doses:
    print(f"{client}: {', '.join(missing_doses)} took place (an integration session followed it) "
          "but has no dated form, so it is not marked on the timeline.")

# %% [markdown]
# ## Change from intake: reliable change, with the numbers behind it
#
# For each questionnaire the intake score is compared with the **latest scorable score** (the
# most recent administration with every item answered; if a later form had a skipped item,
# the table says so). The label is the Jacobson-Truax reliable change index,
# `RCI = (latest - intake) / S_diff`, with `S_diff = sqrt(2) * SD * sqrt(1 - r)`: a change
# larger than 1.96 `S_diff` (two-sided, at `confidence` = 1 - `alpha` = 0.95) is unlikely to
# be measurement error alone.
#
# * `r` is the reliability in the instrument's spec, cited with its source.
# * `SD` must describe a *group* of people before treatment: one client has no SD of their
#   own. Where the spec gives a published clinical-population SD (FSFI, Rosen 2000, marked as
#   recalled in the spec) it is used; otherwise this practice's **intake SD over all clients
#   with an intake score** is used, which rests on a handful of clients and is stated as such.
# * The **Jacobson-Truax category** (recovered / improved / unchanged / deteriorated /
#   harmed) needs published clinical and functional norms; in the spec only the FSFI has them,
#   so only the FSFI gets a category (cutoff c, printed). The other questionnaires get the
#   reliable change label only; their clinical cutoff is shown for orientation, not as a
#   criterion of recovery.
# * IIEF: the spec has no reliability coefficient, so no RCI is computed (the raw change and
#   the spec's MCID are shown instead).
#
# The RCI is computed for every client at once with `po.classify_change`: with an explicitly
# passed SD, each client's RCI depends only on their own two scores, so the client view and the
# caseload agree.

# %%
RELIABLE_TEXT = {
    "improved": "reliably improved",
    "unchanged": "no reliable change",
    "deteriorated": "reliably deteriorated",
}


def intake_latest_pairs(i):
    """Intake row and latest scorable row after intake, per client, as a long table."""
    col = primary[i]
    given = scored[scored[f"{i}_n_answered"] > 0]
    out = []
    for subject, rows in given.groupby("subject", sort=False):
        intake = rows[rows["timepoint"] == "intake"]
        later = rows[(rows["timepoint"] != "intake") & rows[col].notna()]
        last_given = rows[rows["timepoint"] != "intake"].tail(1)
        note = ""
        if len(last_given) and last_given[col].isna().all():
            note = (f"latest form ({last_given['timepoint'].iloc[0]} "
                    f"{last_given['date'].iloc[0]:%Y-%m-%d}) not scorable: item skipped")
        if len(intake) and intake[col].isna().all():
            note = "intake form not scorable: item skipped"
        out.append({"subject": subject, "timepoint": "intake",
                    "date": intake["date"].iloc[0] if len(intake) else pd.NaT,
                    col: intake[col].iloc[0] if len(intake) else np.nan, "note": note})
        if len(later):
            out.append({"subject": subject, "timepoint": "latest_scored", "date": later["date"].iloc[-1],
                        col: later[col].iloc[-1], "latest_timepoint": later["timepoint"].iloc[-1],
                        "note": note})
    return pd.DataFrame(out)


def reference_sd(i):
    """(SD, source text) for the RCI: a published clinical SD from the spec, else the caseload's."""
    col = primary[i]
    crit = specs[i].change.get(col)
    if crit is not None and crit.clinical is not None:
        return crit.clinical.sd, f"published clinical SD ({crit.clinical.source})"
    intake = scored.loc[(scored["timepoint"] == "intake") & scored[col].notna(), col]
    return float(intake.std(ddof=1)), f"caseload intake SD (n = {len(intake)})"


def labelled_warnings(name, caught):
    """Caught warnings as po.format_warnings lines, each prefixed with the instrument's name."""
    return [f"{name}: {line}" for line in po.format_warnings(caught).splitlines()]


def classify_intake_latest(i):
    """((ChangeClassification, pairs, SD source) or None, notes) for instrument i."""
    col, spec = primary[i], specs[i]
    crit = spec.change.get(col)
    if crit is None or crit.reliability is None:
        return None, [f"{spec.short_name}: no reliability in the spec; RCI not computed."]
    pairs = intake_latest_pairs(i)
    sd, sd_source = reference_sd(i)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = po.classify_change(pairs, measure=col, pre="intake", post="latest_scored", instrument=i,
                                 sd_pre=sd, confidence=confidence)
    return (res, pairs, sd_source), labelled_warnings(spec.short_name, caught)


change_results, change_notes = {}, {}
for i in present:
    change_results[i], change_notes[i] = classify_intake_latest(i)
for i in present:
    for note in change_notes[i]:
        print(note)


# %%
def basis_row(i):
    """What instrument i's reliable change label rests on: method, r, SD, S_diff, cutoff, MCID."""
    res = change_results[i]
    crit = specs[i].change.get(primary[i])
    row = {"instrument": specs[i].short_name, "score": primary[i]}
    if res is None:
        row.update({"method": "none: no reliability in spec"})
    else:
        c = res[0]
        row.update({
            "method": c.method_name,
            "r": c.reliability,
            "r source": crit.reliability.source,
            "SD": c.sd_pre,
            "SD source": res[2],
            "S_diff": c.s_diff,
            "reliable if |change| >": c.critical_value * c.s_diff,
            "JT cutoff": f"{c.cutoff_type} = {c.cutoff:.2f}" if c.cutoff is not None
            else "none (no norms in spec)",
        })
    row["MCID (spec)"] = crit.mcid.value if crit is not None and crit.mcid is not None else np.nan
    return row


pd.DataFrame([basis_row(i) for i in present]).round(3)


# %%
def client_change_table(subject):
    out = []
    for i in present:
        spec, col = specs[i], primary[i]
        pairs = intake_latest_pairs(i)
        mine = pairs[pairs["subject"] == subject]
        if mine.empty:
            continue
        crit = spec.change.get(col)
        intake = mine[mine["timepoint"] == "intake"]
        latest = mine[mine["timepoint"] == "latest_scored"]
        row = {
            "instrument": spec.short_name,
            "score": col,
            "direction": direction_text(spec.direction(col)),
            "intake": intake[col].iloc[0] if len(intake) else np.nan,
            "latest": latest[col].iloc[0] if len(latest) else np.nan,
            "latest at": (f"{latest['latest_timepoint'].iloc[0]} {latest['date'].iloc[0]:%Y-%m-%d}"
                          if len(latest) else "none"),
        }
        row["change"] = row["latest"] - row["intake"]
        res = change_results[i]
        if res is None:
            row.update({"RCI": np.nan, "reliable change": "not computed (no reliability)",
                        "r (source)": "none in spec", "S_diff": np.nan, "reliable if |change| >": np.nan})
        else:
            r = res[0].table.set_index("subject").loc[subject]
            row.update({
                "RCI": r["rci"],
                "reliable change": RELIABLE_TEXT.get(r["reliable"], "not computable")
                if pd.notna(r["reliable"]) else "not computable",
                "r (source)": f"{res[0].reliability:g} ({crit.reliability.source})",
                "S_diff": res[0].s_diff,
                "reliable if |change| >": res[0].critical_value * res[0].s_diff,
            })
            if "category" in res[0].table.columns:
                row["JT category"] = (r["category"] if pd.notna(r["category"]) else "n/a")
                row["JT cutoff"] = f"c = {res[0].cutoff:.2f}"
        cuts = spec.cutoffs(col)
        row["clinical cutoff"] = "; ".join(c.rule_text for c in cuts) or "none"
        row["MCID"] = crit.mcid.value if crit is not None and crit.mcid is not None else np.nan
        row["note"] = mine["note"].iloc[0]
        out.append(row)
    table = pd.DataFrame(out)
    for c in ("JT category", "JT cutoff"):
        if c in table:
            table[c] = table[c].fillna("no norms in spec")
    return table


client_change = client_change_table(client)
client_change.round(3)

# %% [markdown]
# Read the last two columns together. With this caseload's intake SD, the number of points a
# PHQ-9 or GAD-7 score must move to count as reliable change can be smaller than the spec's
# minimal clinically important difference: such a change is beyond measurement error but may
# be below what clients experience as important. The specs hold no published clinical SD for
# these questionnaires; a published SD would make the threshold less dependent on who happens
# to be in the caseload.

# %% [markdown]
# How to read the client's table: **change** is latest minus intake in the questionnaire's own points
# (negative is better where higher = worse). **RCI** beyond +/-1.96 gives "reliably improved"
# or "reliably deteriorated" according to the direction; "reliable if |change| >" is the number of points
# a score must move for that. Where the FSFI has a Jacobson-Truax category, "recovered" would
# also require moving from below to above the cutoff c (computed from the spec's clinical and
# functional norms; it differs from the 26.55 screening cutoff, which comes from a different
# paper). The MCID column is the spec's minimal clinically important difference, shown only for
# orientation.

# %%
for _, r in client_change.iterrows():
    if r["reliable change"] in RELIABLE_TEXT.values():
        print(f"{client} {r['instrument']}: {r['intake']:g} at intake -> {r['latest']:g} at "
              f"{r['latest at']} (change {r['change']:+g}, RCI {r['RCI']:+.2f}): "
              f"{r['reliable change']}.")
    else:
        print(f"{client} {r['instrument']}: {r['reliable change']}"
              + (f" ({r['note']})" if r["note"] else "") + ".")

# %% [markdown]
# ## Item-level drill-down
#
# Totals can hide where change happens: sexual-function change is often confined to one domain
# (desire, pain), and a PHQ-9 total can stay level while item 9 moves. The tables show the
# first, the previous and the current administration of each questionnaire for this client:
# PHQ-9 items, PCL-5 symptom clusters (B intrusion, C avoidance, D cognition and mood,
# E arousal and reactivity) and FSFI or IIEF domains. Empty cells are skipped items or scores
# that could not be computed.


# %%
def drill_down(subject, i, columns, labels):
    rows = scored[(scored["subject"] == subject) & (scored[f"{i}_n_answered"] > 0)]
    if rows.empty:
        return None
    picks = {"first": rows.iloc[0], "previous": rows.iloc[-2] if len(rows) > 1 else None,
             "current": rows.iloc[-1]}
    values = raw.set_index(["subject", "date"])
    table = pd.DataFrame({"item / scale": labels})
    for name, r in picks.items():
        if r is None:
            continue
        head = f"{name}: {r['timepoint']} {r['date']:%Y-%m-%d}"
        src = values.loc[(subject, r["date"])]
        table[head] = [src[c] if c in src.index else r[c] for c in columns]
        values_num = pd.to_numeric(table[head], errors="coerce").astype("Float64")
        whole = values_num.dropna().mod(1).eq(0).all()
        table[head] = values_num.round(0).astype("Int64") if whole else values_num
    return table


phq = specs.get("phq9")
if phq is not None:
    cols = [it.column for it in phq.items] + ["phq9_total"]
    labels = [f"{it.n}. {it.label}" for it in phq.items] + ["Total"]
    t = drill_down(client, "phq9", cols, labels)
    print(f"PHQ-9 items, client {client} (0 not at all ... 3 nearly every day; higher = worse)")
    display(t if t is not None else "PHQ-9 not administered")  # noqa: F821

# %%
for i in ("pcl5", "fsfi", "iief"):
    if i not in specs:
        continue
    spec = specs[i]
    cols = [c for c in spec.scales if c != primary[i]] + [primary[i]]
    if i == "iief":
        cols = [c for c in spec.scales]
    t = drill_down(client, i, cols, [f"{spec.scales[c].label} ({c})" for c in cols])
    if t is None:
        continue
    print(f"{spec.short_name} domains, client {client} ({direction_text(spec.default_direction)})")
    if i == "fsfi":
        active = scored.loc[(scored["subject"] == client) & (scored["fsfi_n_answered"] > 0),
                            ["date", "fsfi_sexually_active"]]
        inactive = active[active["fsfi_sexually_active"] == False]  # noqa: E712
        for d in inactive["date"]:
            print(f"  FSFI on {d:%Y-%m-%d}: not sufficiently sexually active for a valid "
                  "score (Baser 2012); read its domains with care.")
    display(t.round(2))  # noqa: F821

# %% [markdown]
# ## The caseload
#
# One row per client, **flagged clients first**: a PHQ-9 item 9 answer above 0 at any
# administration, or reliable deterioration (intake against latest scorable score) on any
# questionnaire with a reliability in its spec. "Administrations" counts the dated forms out of
# the 8 scheduled markers (intake, prep, two dosings, two integrations, two follow-ups);
# "dosings" counts the dosing sessions evidenced by a dosing or an integration form. The
# safety banner for the whole caseload comes first.

# %%
lines = safety_lines(list(scored["subject"].unique()))
if lines:
    banner("SAFETY - ASSESS NOW - whole caseload", lines)
else:
    print("No PHQ-9 item 9 answer above 0 in the caseload.")

# %%
n_markers = 8
case_rows = []
for subject, rows in scored.groupby("subject", sort=True):
    dose_ids = {re.sub(r"\D", "", t) for t in rows["timepoint"]
                if re.fullmatch(r"(dosing|integration)\d+", t)}
    row = {
        "client": subject,
        "medicine": rows["medicine"].iloc[0] if "medicine" in rows else "",
        "administrations": f"{len(rows)}/{n_markers}",
        "dosings": len(dose_ids),
        "last form": f"{rows['timepoint'].iloc[-1]} {rows['date'].iloc[-1]:%Y-%m-%d}",
    }
    deteriorated = []
    for i in present:
        res = change_results[i]
        if res is None:
            continue
        r = res[0].table.set_index("subject")
        if subject in r.index and r.loc[subject, "reliable"] is not pd.NA and (
            r.loc[subject, "reliable"] == "deteriorated"
        ):
            deteriorated.append(specs[i].short_name)
        if i in ("phq9", "pcl5"):
            name = specs[i].short_name
            row[f"{name} intake"] = r.loc[subject, "pre"] if subject in r.index else np.nan
            row[f"{name} latest"] = r.loc[subject, "post"] if subject in r.index else np.nan
            lab = r.loc[subject, "reliable"] if subject in r.index else pd.NA
            row[f"{name} reliable change"] = RELIABLE_TEXT[lab] if pd.notna(lab) else "not computable"
    item9 = rows[rows["phq9_item9_flag"].fillna(False)] if "phq9" in specs else rows.iloc[:0]
    row["item 9 flag"] = ", ".join(f"{d:%Y-%m-%d}" for d in item9["date"]) or "-"
    row["reliable deterioration"] = ", ".join(deteriorated) or "-"
    case_rows.append(row)

caseload = pd.DataFrame(case_rows)
caseload["flagged"] = (caseload["item 9 flag"] != "-") | (caseload["reliable deterioration"] != "-")
caseload = caseload.sort_values(["flagged", "client"], ascending=[False, True], kind="stable")
caseload = caseload.drop(columns="flagged").reset_index(drop=True)
caseload

# %% [markdown]
# "Not computable" means the client lacks a scorable intake or later score for that
# questionnaire (a skipped item, with no proration rule in the spec): their change is unknown,
# not "unchanged".
#
# ### Share reliably improved at the 3-month follow-up
#
# A fixed point keeps clients comparable (Mirah's "effectiveness metric"): intake against
# `followup_3m`, about 3 months after the last dosing, with the same reliability and SD as
# above. Clients without a scorable 3-month form are counted as missing, not as unchanged.
# With 12 clients, one client moves a share by about 8 percentage points; the clients differ
# in medicine, diagnosis and severity, so these shares describe this caseload and are not
# benchmarks.

# %%
fu_rows = []
fu_warnings = []
for i in present:
    res = change_results[i]
    if res is None:
        continue
    col = primary[i]
    sub = scored[scored[f"{i}_n_answered"] > 0]
    if not (sub["timepoint"] == "followup_3m").any():
        continue
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fu = po.classify_change(sub, measure=col, pre="intake", post="followup_3m", instrument=i,
                                sd_pre=res[0].sd_pre, confidence=confidence)
    fu_warnings += labelled_warnings(specs[i].short_name, caught)
    counts = fu.reliable_counts.set_index("reliable")
    denom = int(counts["denominator"].iloc[0])
    fu_rows.append({
        "instrument": specs[i].short_name,
        "clients with both scores": denom,
        "reliably improved": f"{int(counts.loc['improved', 'n'])} ({counts.loc['improved', 'percent']:.0f}%)",
        "no reliable change": f"{int(counts.loc['unchanged', 'n'])} ({counts.loc['unchanged', 'percent']:.0f}%)",
        "reliably deteriorated": f"{int(counts.loc['deteriorated', 'n'])} ({counts.loc['deteriorated', 'percent']:.0f}%)",
        "missing": int(counts.loc["missing", "n"]),
    })
for message in fu_warnings:
    print(message)
pd.DataFrame(fu_rows)

# %% [markdown]
# ### Clinical-support checklist for deteriorating clients
#
# A deterioration signal helps most when it comes with a short structured review (Barkham 2023;
# de Jong 2021). For every client who has reliably deteriorated on any questionnaire, the
# checklist below is printed with the scores that triggered it.

# %%
CHECKLIST = [
    "Alliance: has the relationship with the therapist or guide changed? Ask directly.",
    "Motivation and goals: does the client still want this treatment and these goals?",
    "Life events: loss, relationship change, work, health, legal problems since intake?",
    "Integration difficulties: unresolved or distressing material from a dosing session?",
    "Medication and substances: changes, interactions, discontinuation, other drug use?",
    "Safety: review PHQ-9 item 9 and ask about suicidal thoughts whatever the answer.",
]
flag_clients = caseload.loc[caseload["reliable deterioration"] != "-", "client"].tolist()
for subject in flag_clients:
    table = client_change_table(subject)
    det = table[table["reliable change"] == "reliably deteriorated"]
    lines = [
        f"{r['instrument']}: {r['intake']:g} at intake -> {r['latest']:g} at {r['latest at']} "
        f"(RCI {r['RCI']:+.2f})"
        for _, r in det.iterrows()
    ]
    banner(f"RELIABLE DETERIORATION - client {subject} - review before the next session",
           lines + [""] + [f"[ ] {item}" for item in CHECKLIST])
    print()
if not flag_clients:
    print("No client has reliably deteriorated.")

# %% [markdown]
# ## Limits of this view
#
# * The reliable change labels rest on reliability coefficients that the specs mark as recalled
#   or taken from secondary summaries, and, for most questionnaires, on an SD from this small
#   caseload; treat labels near the threshold (|RCI| close to 1.96) as uncertain.
# * No expected-recovery curve exists for psychedelic-assisted sex therapy; deterioration here
#   means reliable deterioration from intake, nothing more.
# * The safety flag is a prompt to assess, not a risk estimate, and the notebook cannot record
#   that a clinician has acted on it.
