"""Synthetic item-level data sets that behave like real studies, generated from explicit seeds.

Every notebook and demo of the package runs on these data; none of them comes from a real person.
Identifiers are pseudonymous (``T-001``, ``P01``, ``C01``), ages and dates are invented.

How the items are made
----------------------
Each person has a latent severity at each timepoint. An item's answer is the category of
``item location + person severity + person-by-item effect + noise``, rounded to the nearest
allowed value and clipped to the item's range (a thresholded-latent, graded-response model with
equally spaced thresholds). Because every item of an instrument shares the person's severity,
scales have realistic internal consistency (Cronbach's alpha about 0.8 to 0.95); because the
severities of different instruments are correlated, so are their totals. Change is a shift of the
latent severity, which is why floor and ceiling effects appear where they would in real data.

Self-report instruments have a few skipped items (NaN). The clinician interview (CAPS-5) is
never skipped: its missingness is dropout only. Dropouts have no rows after they drop out.

Data sets
---------
``mdma_trial``
    Two-arm trial modelled on MAPP2 (Mitchell et al. 2023, Nat Med 29:2473-2480): CAPS-5 and
    the Sheehan Disability Scale at baseline and weeks 6, 12 and 18.
``mdma_trial_disposition``
    The participant flow of ``mdma_trial``, one row per randomized subject: discontinuation
    and its reason, end-of-trial treatment guess, baseline expectancy
    (``past_outcomes.synthetic_disposition``; its own seed, the trial's rows unchanged).
``past_pilot``
    Single-arm pilot of ketamine-assisted sex therapy: FSFI and FSDS-R (vulva), IIEF-15
    (penis), PCL-5, PHQ-9 and GAD-7 at baseline, after integration and at 3 months.
``past_pilot_sessions``
    The same 40 clients' MEQ-30 and EBI ratings after each of two dosing sessions.
``practice_rom``
    Routine outcome monitoring of 12 clients in one practice, dated and tied to dosing sessions.

Each data set has a documented default seed (``DATASETS[name][1]``); ``generate(name)`` with that
seed reproduces the committed CSV file in ``data/synthetic/`` byte for byte, and
:func:`past_outcomes.synthetic_files.write_datasets` (``past-outcomes synth``) writes them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from past_outcomes.datasets import DATASETS, TIMEPOINTS, format_dataset
from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import OPERATORS, Instrument, load_instrument

__all__ = [
    "ITEM_RANGES",
    "generate",
    "item_columns",
]

#: The instruments the generator writes, in the column order of the files. Their item counts
#: and ranges come from their specs (``instruments/<id>.yaml``).
_INSTRUMENTS = ("caps5", "pcl5", "phq9", "gad7", "fsfi", "iief", "fsdsr", "meq30", "ebi", "sds")


def _spec(instrument: str) -> Instrument:
    return load_instrument(instrument)


def item_columns(instrument: str) -> list[str]:
    """Return the item columns of one generated instrument, as its spec lists them."""
    if instrument not in _INSTRUMENTS:
        raise ArgumentError(
            f"instrument must be one of {', '.join(map(repr, _INSTRUMENTS))}; got {instrument!r}."
        )
    return list(_spec(instrument).item_columns)


def _whole(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


#: item column -> (lowest, highest) allowed value, from the specs
ITEM_RANGES: dict[str, tuple[int | float, int | float]] = {
    item.column: (_whole(item.min), _whole(item.max))
    for inst in _INSTRUMENTS
    for item in _spec(inst).items
}


def _bounds(instrument: str) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest answer of each item of ``instrument`` (arrays in item order)."""
    items = _spec(instrument).items
    return np.array([it.min for it in items]), np.array([it.max for it in items])


def _caps_clusters() -> np.ndarray:
    """The DSM-5 cluster (0-3: B, C, D, E) of each CAPS-5 item, from the spec's scales."""
    spec = _spec("caps5")
    clusters = [spec.scale(c) for c in ("b", "c", "d", "e")]
    return np.array([next(k for k, s in enumerate(clusters) if n in s.items) for n in _ns(spec)])


def _ns(spec: Instrument) -> list[int]:
    return [it.n for it in spec.items]


_CAPS_CLUSTERS = _caps_clusters()
# Item locations on the 0-4 scale before centring: lower for amnesia (8) and reckless
# behaviour (16), higher for avoidance, negative mood and arousal items, as in trial samples.
_CAPS_LOCATION = np.array(
    [2.0, 2.2, 2.1, 2.4, 2.0, 2.4, 2.3, 1.2, 2.3, 2.1, 2.4, 2.3, 2.4, 1.9]
    + [2.0, 1.1, 2.3, 2.3, 2.2, 2.4]
)


# --------------------------------------------------------------------------------------------
# helpers


def _ordinal(latent: np.ndarray, instrument: str) -> np.ndarray:
    """Category of a continuous latent response: nearest integer, clipped to the item's range
    in the spec of ``instrument`` (``latent`` has one value per item, last axis)."""
    low, high = _bounds(instrument)
    return np.clip(np.rint(latent), low, high).astype("int64")


def _caps_symptom_rule(items: np.ndarray) -> np.ndarray:
    """The CAPS-5 spec's ``dx`` rule (SEV2: >= 1 B, >= 1 C, >= 2 D, >= 2 E) on rows of items."""
    spec = _spec("caps5")
    pos = {n: j for j, n in enumerate(_ns(spec))}
    met = np.ones(items.shape[0], dtype=bool)
    for req in spec.classifications["caps5_dx"].require:
        hits = OPERATORS[req.operator](items[:, [pos[n] for n in req.items]], req.value)
        met &= hits.sum(1) >= req.at_least
    return met


def _skip_items(
    rng: np.random.Generator,
    df: pd.DataFrame,
    instruments: Iterable[str],
    rate: float,
    *,
    exempt: Iterable[str] = (),
) -> None:
    """Blank one or two answered items in a ``rate`` share of administrations (skipped items).

    Real skips cluster: most forms are complete, a few have an item or two left blank. Rows
    whose subject is in ``exempt`` are left complete (designated demonstration cases).
    """
    eligible = ~df["subject"].isin(list(exempt)).to_numpy()
    for inst in instruments:
        cols = [c for c in item_columns(inst) if c in df.columns]
        if not cols:
            continue
        values = df[cols].to_numpy(dtype="float64", na_value=np.nan)
        for r in np.flatnonzero(eligible & ~np.isnan(values).all(axis=1)):
            if rng.random() >= rate:
                continue
            answered = np.flatnonzero(~np.isnan(values[r]))
            k = min(answered.size, 1 + int(rng.random() < 0.3))
            for j in rng.choice(answered, size=k, replace=False):
                # pandas-stubs: iloc[row, get_loc(...)] (the columns are unique)
                df.iloc[r, df.columns.get_loc(cols[j])] = pd.NA  # type: ignore[index]


def _finish(df: pd.DataFrame, name: str, first: list[str]) -> pd.DataFrame:
    """Put columns in contract order and give them their documented dtypes."""
    items = [c for c in ITEM_RANGES if c in df.columns]
    df = df[first + items].reset_index(drop=True)
    return format_dataset(df, name=name)


# --------------------------------------------------------------------------------------------
# mdma_trial

_MDMA_N = {"mdma": 53, "placebo": 51}
_MDMA_DISSOCIATIVE = {"mdma": 13, "placebo": 11}  # MAPP2 Table 1
_MDMA_DROPOUTS = {"mdma": 1, "placebo": 9}  # 52 and 42 week-18 completers
# Latent change (item units) at week 18: a mixture of strong and partial responders per arm:
# (share strong, mean strong, sd strong, mean partial, sd partial)
_MDMA_CHANGE = {"mdma": (0.45, -2.3, 0.40, -0.80, 0.45), "placebo": (0.15, -2.4, 0.35, -0.55, 0.28)}
_MDMA_VISIT_FRACTION = (0.0, 0.45, 0.75, 1.0)  # share of the week-18 change reached by each visit
_MDMA_SITES = ("site01", "site02", "site03", "site04", "site05", "site06")


def _mdma_trial(rng: np.random.Generator) -> pd.DataFrame:
    n_total = sum(_MDMA_N.values())
    k = len(_spec("caps5").items)
    location = _CAPS_LOCATION - _CAPS_LOCATION.mean() + 1.85
    # Screening: draw candidates until enough meet the inclusion criteria (CAPS-5 total >= 28
    # and the DSM-5 symptom rule); screen failures are discarded, as in a real trial.
    accepted: list[dict[str, np.ndarray]] = []
    while len(accepted) < n_total:
        severity = rng.normal(0.0, 0.37)
        cluster = rng.normal(0.0, 0.20, 4)[_CAPS_CLUSTERS]
        person_item = rng.normal(0.0, 0.45, k)
        base = location + severity + cluster + person_item
        items0 = _ordinal(base + rng.normal(0.0, 0.35, k), "caps5")
        if items0.sum() >= 28 and _caps_symptom_rule(items0[None, :])[0]:
            accepted.append({"base": base, "items0": items0, "severity": np.array(severity)})

    arms = rng.permutation(np.array(["mdma"] * _MDMA_N["mdma"] + ["placebo"] * _MDMA_N["placebo"]))
    site = rng.choice(len(_MDMA_SITES), size=n_total, p=[0.25, 0.2, 0.2, 0.15, 0.1, 0.1])
    dissociative = np.zeros(n_total, dtype=bool)
    change = np.empty(n_total)
    last_visit = np.full(n_total, 3)
    for arm in ("mdma", "placebo"):
        idx = np.flatnonzero(arms == arm)
        dissociative[rng.choice(idx, size=_MDMA_DISSOCIATIVE[arm], replace=False)] = True
        share, mu_s, sd_s, mu_p, sd_p = _MDMA_CHANGE[arm]
        strong = rng.random(idx.size) < share
        change[idx] = np.where(
            strong, rng.normal(mu_s, sd_s, idx.size), rng.normal(mu_p, sd_p, idx.size)
        )
        # Dropout falls more often on those improving least.
        weight = np.exp(2.0 * change[idx])
        drop = rng.choice(idx, size=_MDMA_DROPOUTS[arm], replace=False, p=weight / weight.sum())
        last_visit[drop] = rng.choice(3, size=drop.size, p=[0.2, 0.4, 0.4])

    # Sheehan Disability Scale: impairment tracks the CAPS-5 latent change, with its own noise.
    sds_location = np.array([6.9, 7.2, 6.4])  # one per item
    sds_person = rng.normal(0.0, 1.2, n_total)
    sds_own_change = rng.normal(0.0, 1.0, n_total)
    item_change = rng.normal(0.0, 0.6, (n_total, k))  # symptoms improve unevenly

    rows = []
    for i in range(n_total):
        for v, timepoint in enumerate(TIMEPOINTS["mdma_trial"]):
            if v > last_visit[i]:
                break
            frac = _MDMA_VISIT_FRACTION[v]
            if v == 0:
                caps = accepted[i]["items0"]
            else:
                latent = accepted[i]["base"] + frac * (change[i] + item_change[i])
                caps = _ordinal(latent + rng.normal(0.0, 0.35, k), "caps5")
            sds_latent = (
                sds_location
                + sds_person[i]
                + 2.0 * accepted[i]["severity"]
                + frac * (2.3 * change[i] + sds_own_change[i])
            )
            sds = _ordinal(sds_latent + rng.normal(0.0, 0.9, sds_location.size), "sds")
            row = {
                "subject": f"T-{i + 1:03d}",
                "arm": arms[i],
                "site": _MDMA_SITES[site[i]],
                "dissociative": dissociative[i],
                "timepoint": timepoint,
            }
            row.update(zip(item_columns("caps5"), caps.tolist(), strict=True))
            row.update(zip(item_columns("sds"), sds.tolist(), strict=True))
            rows.append(row)
    df = pd.DataFrame(rows)
    return _finish(df, "mdma_trial", ["subject", "arm", "site", "dissociative", "timepoint"])


def _mdma_figures(df: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The MAPP2 headline figures computed from item-level CAPS-5 data (used for calibration)."""
    items = item_columns("caps5")
    out: dict[str, dict[str, float]] = {}
    for arm in ("mdma", "placebo"):
        a = df[df["arm"] == arm]
        base = a[a["timepoint"] == "baseline"].set_index("subject")
        last = a[a["timepoint"] == "week18"].set_index("subject")
        base_items = base[items].to_numpy(dtype="int64")
        last_items = last[items].to_numpy(dtype="int64")
        base_total = pd.Series(base_items.sum(1), index=base.index)
        last_total = pd.Series(last_items.sum(1), index=last.index)
        change = last_total - base_total.loc[last.index]
        responder = change <= -10
        lost = responder & ~_caps_symptom_rule(last_items)
        remission = lost & (last_total <= 11)
        out[arm] = {
            "randomized": float(len(base)),
            "baseline_mean": float(base_total.mean()),
            "baseline_sd": float(base_total.std()),
            "baseline_min": float(base_total.min()),
            "completers": float(len(last)),
            "change_mean": float(change.mean()),
            "responder_pct": float(100 * responder.mean()),
            "loss_of_diagnosis_pct": float(100 * lost.mean()),
            "remission_pct": float(100 * remission.mean()),
        }
    return out


#: published MAPP2 figures the mdma_trial data set is calibrated to
MAPP2_TARGETS: dict[str, dict[str, float]] = {
    "mdma": {
        "randomized": 53,
        "baseline_mean": 39.4,
        "baseline_sd": 6.6,
        "completers": 52,
        "change_mean": -23.7,
        "responder_pct": 86.5,
        "loss_of_diagnosis_pct": 71.2,
        "remission_pct": 46.2,
    },
    "placebo": {
        "randomized": 51,
        "baseline_mean": 38.7,
        "baseline_sd": 6.7,
        "completers": 42,
        "change_mean": -14.8,
        "responder_pct": 69.0,
        "loss_of_diagnosis_pct": 47.6,
        "remission_pct": 21.4,
    },
}


def _mdma_distance(figures: dict[str, dict[str, float]]) -> float:
    """Largest miss, in tolerance units (means 1 point, SDs 1 point, percentages 3.5 points)."""
    worst = 0.0
    for arm, target in MAPP2_TARGETS.items():
        for key, value in target.items():
            scale = 3.5 if key.endswith("_pct") else 1.0
            worst = max(worst, abs(figures[arm][key] - value) / scale)
    return worst


def search_mdma_seed(seeds: Iterable[int]) -> tuple[int, float]:
    """Return the first seed whose ``mdma_trial`` meets every MAPP2 figure within tolerance.

    This is how the default seed of ``mdma_trial`` was chosen (``search_mdma_seed(range(10000,
    14000))`` after fixing the generating model); it is kept so the choice can be rerun. The
    tolerance is tighter than the test's: means and SDs within 1 point, percentages within 3.5.
    Returns ``(seed, distance)``; raises ArgumentError if no seed qualifies.
    """
    best: tuple[int | None, float] = (None, np.inf)
    for seed in seeds:
        d = _mdma_distance(_mdma_figures(generate("mdma_trial", seed=seed)))
        if d <= 1.0:
            return int(seed), d
        if d < best[1]:
            best = (seed, d)
    raise ArgumentError(
        f"no seed met the MAPP2 figures within tolerance; the closest was {best[0]} "
        f"(distance {best[1]:.2f}). Search a wider range of seeds."
    )


# --------------------------------------------------------------------------------------------
# self-report instruments shared by past_pilot and practice_rom

# instrument -> (mean item location, item units per latent SD, item noise SD, direction,
#                construct). Direction -1: higher answers mean better function (FSFI, IIEF).
_SELF_REPORT = {
    "pcl5": (1.75, 0.65, 0.75, 1, "ptsd"),
    "phq9": (1.30, 0.50, 0.55, 1, "depression"),
    "gad7": (1.45, 0.55, 0.55, 1, "anxiety"),
    "fsdsr": (1.90, 0.70, 0.80, 1, "sexual"),
    "fsfi": (3.10, 0.70, 1.00, -1, "sexual"),
    "iief": (3.10, 0.80, 0.80, -1, "sexual"),
}
_CONSTRUCTS = ("sexual", "ptsd", "depression", "anxiety")
# correlations of the baseline latent severities (sexual, PTSD, depression, anxiety)
_CONSTRUCT_CORR = np.array(
    [
        [1.00, 0.30, 0.35, 0.30],
        [0.30, 1.00, 0.60, 0.55],
        [0.35, 0.60, 1.00, 0.70],
        [0.30, 0.55, 0.70, 1.00],
    ]
)
# FSFI and IIEF items whose lowest answer (0) means "no sexual activity / no attempt": in
# their specs, the items that allow 0
_ZERO_MEANS_INACTIVE = {
    inst: [it.n for it in _spec(inst).items if it.min == 0] for inst in ("fsfi", "iief")
}


def _item_locations(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Item locations of each self-report instrument (fixed for a data set by its seed)."""
    locations = {}
    for inst, (mean, _scale, _noise, _direction, _construct) in _SELF_REPORT.items():
        k = len(_spec(inst).items)
        loc = mean + rng.normal(0.0, 0.25, k)
        if inst == "phq9":
            loc[8] = -0.9  # item 9 (thoughts of self-harm) is rarely endorsed
        locations[inst] = loc
    return locations


def _self_report_items(
    rng: np.random.Generator,
    inst: str,
    location: np.ndarray,
    severity: float,
    *,
    inactive: bool = False,
) -> dict[str, int]:
    """One administration of ``inst`` for a person whose construct severity is ``severity``."""
    _mean, scale, noise, direction, _construct = _SELF_REPORT[inst]
    latent = location + direction * scale * severity + rng.normal(0.0, noise, location.size)
    cols = item_columns(inst)
    values = {}
    for j, col in enumerate(cols):
        low, high = ITEM_RANGES[col]
        if inst in _ZERO_MEANS_INACTIVE and low == 0:
            low = 1  # 0 is reserved for "no sexual activity"; active people answer 1-5
        values[col] = int(np.clip(np.rint(latent[j]), low, high))
    if inactive:
        for n in _ZERO_MEANS_INACTIVE.get(inst, []):
            values[f"{inst}_{n}"] = 0
    return values


def _sexual_instruments(anatomy: str) -> list[str]:
    return ["fsfi", "fsdsr"] if anatomy == "vulva" else ["iief"]


# --------------------------------------------------------------------------------------------
# past_pilot and past_pilot_sessions

_PILOT_GENDERS = ["woman"] * 22 + ["man"] * 16 + ["nonbinary"] * 2
_PILOT_TIMEPOINT_SHARE = {"baseline": 0.0, "post_integration": 1.0, "followup_3m": 0.9}
_PILOT_MISSED = {"post_integration": 0.06, "followup_3m": 0.12, "dosing2": 0.05}
_SKIP_RATE = 0.12  # share of instrument administrations with a skipped item


def _pilot(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(_PILOT_GENDERS)
    locations = _item_locations(rng)
    n_meq, n_ebi = len(_spec("meq30").items), len(_spec("ebi").items)
    meq_location = 2.3 + rng.normal(0.0, 0.3, n_meq)
    ebi_location = 48.0 + rng.normal(0.0, 6.0, n_ebi)
    gender = rng.permutation(np.array(_PILOT_GENDERS))
    anatomy = np.where(gender == "man", "penis", "vulva")
    nonbinary = np.flatnonzero(gender == "nonbinary")
    anatomy[nonbinary[1:]] = "penis"  # one nonbinary client completes FSFI, the other IIEF
    age = np.clip(np.rint(rng.normal(39.0, 9.0, n)), 23, 68).astype(int)
    baseline = rng.multivariate_normal(np.zeros(4), _CONSTRUCT_CORR, size=n)
    baseline[:, 0] += 0.5  # clients come to sex therapy with sexual difficulties
    mystical = rng.normal(0.0, 1.0, n)  # drives MEQ-30 / EBI and, in part, improvement
    improvement = -0.85 - 0.35 * mystical + rng.normal(0.0, 0.6, n)
    weights = np.array([1.0, 0.9, 1.0, 0.9])
    change = improvement[:, None] * weights + rng.normal(0.0, 0.35, (n, 4))
    relapse = rng.normal(0.0, 0.3, (n, 4))

    visit_rows, session_rows = [], []
    for i in range(n):
        subject = f"P{i + 1:02d}"
        ids = {
            "subject": subject,
            "gender": gender[i],
            "anatomy": anatomy[i],
            "age": int(age[i]),
            "dosing_drug": "ketamine",
        }
        for timepoint, share in _PILOT_TIMEPOINT_SHARE.items():
            missed = rng.random() < _PILOT_MISSED.get(timepoint, 0.0)
            severity = baseline[i] + share * change[i] + (share < 1 and share > 0) * relapse[i]
            inactive = rng.random() < (0.10 if timepoint == "baseline" else 0.05)
            if missed:
                continue
            row = dict(ids, timepoint=timepoint)
            for inst in ["pcl5", "phq9", "gad7", *_sexual_instruments(anatomy[i])]:
                c = _CONSTRUCTS.index(_SELF_REPORT[inst][4])
                row.update(
                    _self_report_items(rng, inst, locations[inst], severity[c], inactive=inactive)
                )
            visit_rows.append(row)
        for s, timepoint in enumerate(TIMEPOINTS["past_pilot_sessions"]):
            if rng.random() < _PILOT_MISSED.get(timepoint, 0.0):
                continue
            intensity = mystical[i] + 0.2 * s + rng.normal(0.0, 0.5)
            meq = _ordinal(meq_location + 0.8 * intensity + rng.normal(0.0, 1.1, n_meq), "meq30")
            ebi = _ordinal(ebi_location + 18.0 * intensity + rng.normal(0.0, 14.0, n_ebi), "ebi")
            row = {"subject": subject, "dosing_drug": "ketamine", "timepoint": timepoint}
            row.update(zip(item_columns("meq30"), meq.tolist(), strict=True))
            row.update(zip(item_columns("ebi"), ebi.tolist(), strict=True))
            session_rows.append(row)

    visits = pd.DataFrame(visit_rows)
    _skip_items(rng, visits, ["pcl5", "phq9", "gad7", "fsfi", "iief", "fsdsr"], _SKIP_RATE)
    sessions = pd.DataFrame(session_rows)
    _skip_items(rng, sessions, ["meq30", "ebi"], _SKIP_RATE)
    visits = _finish(
        visits, "past_pilot", ["subject", "gender", "anatomy", "age", "dosing_drug", "timepoint"]
    )
    sessions = _finish(sessions, "past_pilot_sessions", ["subject", "dosing_drug", "timepoint"])
    return visits, sessions


def _past_pilot(rng: np.random.Generator) -> pd.DataFrame:
    return _pilot(rng)[0]


def _past_pilot_sessions(rng: np.random.Generator) -> pd.DataFrame:
    return _pilot(rng)[1]


# --------------------------------------------------------------------------------------------
# practice_rom

_ROM_BRIEF = ["phq9", "gad7"]
_ROM_INSTRUMENTS = {
    "intake": "all",
    "prep": "brief",
    "dosing1": "brief",
    "integration1": "brief+pcl5",
    "dosing2": "brief",
    "integration2": "all",
    "followup_1m": "all",
    "followup_3m": "all",
}
# share of the client's eventual change reached by each session
_ROM_SHARE = {
    "intake": 0.0,
    "prep": 0.05,
    "dosing1": 0.1,
    "integration1": 0.5,
    "dosing2": 0.55,
    "integration2": 0.9,
    "followup_1m": 1.0,
    "followup_3m": 0.95,
}
_ROM_MEDICINE = ["ketamine"] * 5 + ["psilocybin"] * 4 + ["mdma"] * 3
_ROM_GENDERS = ["woman"] * 7 + ["man"] * 4 + ["nonbinary"]
ROM_DETERIORATING = "C09"  #: client whose PHQ-9, GAD-7 and PCL-5 rise well past reliable change
ROM_ITEM9 = "C04"  #: client who endorses PHQ-9 item 9 (at ``prep``)
_ROM_SINGLE_DOSE = "C11"  # had one dosing session only
_ROM_MISSED = {("C06", "followup_3m"), ("C02", "dosing2")}


def _practice_rom(rng: np.random.Generator) -> pd.DataFrame:
    n = 12
    locations = _item_locations(rng)
    medicine = rng.permutation(np.array(_ROM_MEDICINE))
    gender = rng.permutation(np.array(_ROM_GENDERS))
    anatomy = np.where(gender == "man", "penis", "vulva")
    age = np.clip(np.rint(rng.normal(41.0, 10.0, n)), 24, 70).astype(int)
    baseline = rng.multivariate_normal(np.zeros(4), _CONSTRUCT_CORR, size=n)
    baseline[:, 0] += 0.5
    change = rng.normal(-0.9, 0.45, n)[:, None] + rng.normal(0.0, 0.3, (n, 4))
    start = np.datetime64("2024-01-08") + rng.integers(0, 180, n).astype("timedelta64[D]")

    rows = []
    for i in range(n):
        subject = f"C{i + 1:02d}"
        if subject == ROM_DETERIORATING:
            baseline[i, 1:] = [-0.2, -0.4, -0.3]
            change[i] = [0.3, 2.2, 2.3, 2.0]
        days = {"intake": 0}
        days["prep"] = days["intake"] + int(rng.integers(7, 15))
        days["dosing1"] = days["prep"] + int(rng.integers(7, 15))
        days["integration1"] = days["dosing1"] + int(rng.integers(1, 4))
        days["dosing2"] = days["dosing1"] + int(rng.integers(14, 29))
        days["integration2"] = days["dosing2"] + int(rng.integers(1, 4))
        last_dose = days["dosing2"]
        if subject == _ROM_SINGLE_DOSE:
            del days["dosing2"], days["integration2"]
            last_dose = days["dosing1"]
        days["followup_1m"] = last_dose + int(rng.integers(28, 36))
        days["followup_3m"] = last_dose + int(rng.integers(84, 99))
        for session, day in days.items():
            severity = baseline[i] + _ROM_SHARE[session] * change[i]
            inactive = rng.random() < 0.06
            if (subject, session) in _ROM_MISSED:
                continue
            plan = _ROM_INSTRUMENTS[session]
            instruments = list(_ROM_BRIEF)
            if plan != "brief":
                instruments.append("pcl5")
            if plan == "all":
                instruments += _sexual_instruments(anatomy[i])
            row = {
                "subject": subject,
                "timepoint": session,
                "date": str(start[i] + np.timedelta64(day, "D")),
                "medicine": medicine[i],
                "gender": gender[i],
                "anatomy": anatomy[i],
                "age": int(age[i]),
            }
            for inst in instruments:
                c = _CONSTRUCTS.index(_SELF_REPORT[inst][4])
                row.update(
                    _self_report_items(rng, inst, locations[inst], severity[c], inactive=inactive)
                )
            rows.append(row)

    df = pd.DataFrame(rows)
    _skip_items(
        rng,
        df,
        ["pcl5", "phq9", "gad7", "fsfi", "iief", "fsdsr"],
        0.05,
        exempt=[ROM_DETERIORATING, ROM_ITEM9],
    )
    # PHQ-9 item 9: endorsed only where documented, so the safety flag has a known answer.
    answered = df["phq9_9"].notna()
    df.loc[answered, "phq9_9"] = 0
    df.loc[(df["subject"] == ROM_ITEM9) & (df["timepoint"] == "prep"), "phq9_9"] = 1
    deteriorating_last = (df["subject"] == ROM_DETERIORATING) & (df["timepoint"] == "followup_3m")
    df.loc[deteriorating_last, "phq9_9"] = 1
    return _finish(
        df,
        "practice_rom",
        ["subject", "timepoint", "date", "medicine", "gender", "anatomy", "age"],
    )


# --------------------------------------------------------------------------------------------
# public entry points


def _mdma_trial_disposition(rng: np.random.Generator) -> pd.DataFrame:
    from past_outcomes.synthetic_disposition import disposition

    return disposition(rng)


_GENERATORS = {
    "mdma_trial": _mdma_trial,
    "mdma_trial_disposition": _mdma_trial_disposition,
    "past_pilot": _past_pilot,
    "past_pilot_sessions": _past_pilot_sessions,
    "practice_rom": _practice_rom,
}


def generate(name: str, *, seed: int | None = None) -> pd.DataFrame:
    """Generate one synthetic data set.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.
    seed : int, optional
        Seed of ``numpy.random.default_rng``. None (default) uses the data set's documented
        seed, which reproduces the committed file in ``data/synthetic/``.

    Returns
    -------
    pandas.DataFrame
        One row per subject and timepoint (per subject for ``mdma_trial_disposition``), with the dtypes ``read_dataset`` returns: item
        columns ``Int64``, identifiers and labels ``string``, ``timepoint`` an ordered
        Categorical in visit order, ``date`` ``datetime64[s]``, ``dissociative`` ``boolean``.
    """
    if name not in DATASETS:
        raise ArgumentError(
            f"name must be one of {', '.join(map(repr, DATASETS))}; got {name!r}. "
            "Call list_datasets() to see them."
        )
    if seed is None:
        seed = DATASETS[name][1]
    rng = np.random.default_rng(seed)
    return _GENERATORS[name](rng)
