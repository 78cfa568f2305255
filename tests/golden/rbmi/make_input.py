"""Export the bundled trial for the rbmi golden test (``input.csv``).

The bundled synthetic trial ``mdma_trial`` (104 participants, MDMA vs placebo), scored with
``past_outcomes.score(..., instrument="caps5")`` as notebook 03 does, laid out as rbmi wants
it: one row per subject and post-baseline visit (a complete grid; ``chg`` empty where the
visit is missing), with the baseline CAPS-5 total (``base``), the arm, the dissociative
subtype (a baseline covariate) and ``ice_visit``: the first visit after the subject's last
observed CAPS-5 (empty for completers). That is the intercurrent event
``compute_reference_imputation`` uses by default (``intercurrent=None``: the dropout), and the
one the Python tests use. Run from the repository root::

    python tests/golden/rbmi/make_input.py

A second input, ``input_sim.csv``, is a simulated trial with the same layout that puts
more weight on the reference-based strategies than the bundled trial (where one MDMA
participant drops out): 80 subjects, monotone dropout in both arms (two subjects with no
post-baseline value, so the ICE is at the first visit), intermittent missed visits that stay
MAR, and treatment discontinuations (``ice_visit``) after which the subject is still observed:
J2R, CR and CIR must set those values aside and impute them.

tests/test_rbmi_golden.py rebuilds both frames and checks that they equal the committed files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import past_outcomes as po

VISITS = ["week6", "week12", "week18"]
OUT = Path(__file__).with_name("input.csv")
OUT_SIM = Path(__file__).with_name("input_sim.csv")


def build_long() -> pd.DataFrame:
    """The scored trial, long: subject, arm, dissociative, timepoint, caps5_total."""
    raw = po.read_dataset("mdma_trial")
    scores = po.score(raw, instrument="caps5", subject="subject", timepoint="timepoint")
    df = pd.concat([raw[["subject", "arm", "dissociative", "timepoint"]], scores], axis=1)
    df["timepoint"] = df["timepoint"].astype(str)
    df["subject"] = df["subject"].astype(str)
    return df[["subject", "arm", "dissociative", "timepoint", "caps5_total"]]


def build_input(long: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and post-baseline visit, as rbmi's ``expand_locf`` would give."""
    base = long[long["timepoint"] == "baseline"].set_index("subject")
    post = long[long["timepoint"] != "baseline"].set_index(["subject", "timepoint"])
    rows = []
    for s in base.index:
        observed = [v for v in VISITS if (s, v) in post.index]
        last = max((VISITS.index(v) for v in observed), default=-1)
        ice = VISITS[last + 1] if last + 1 < len(VISITS) else ""
        for v in VISITS:
            score = post.loc[(s, v), "caps5_total"] if (s, v) in post.index else np.nan
            rows.append(
                {
                    "subject": s,
                    "arm": base.loc[s, "arm"],
                    "dissociative": bool(base.loc[s, "dissociative"]),
                    "visit": v,
                    "base": float(base.loc[s, "caps5_total"]),
                    "chg": float(score) - float(base.loc[s, "caps5_total"]),
                    "ice_visit": ice,
                }
            )
    return pd.DataFrame(rows)


def build_sim(seed: int = 20240614, n_per_arm: int = 40) -> pd.DataFrame:
    """The simulated trial, in the layout of :func:`build_input` (integer-valued scores)."""
    rng = np.random.default_rng(seed)
    sd = np.array([7.0, 9.0, 10.0])
    corr = np.array([[1.0, 0.65, 0.5], [0.65, 1.0, 0.7], [0.5, 0.7, 1.0]])
    sigma = corr * np.outer(sd, sd)
    placebo = np.array([-6.0, -9.0, -11.0])
    effect = np.array([-3.0, -6.0, -9.0])
    rows = []
    for i in range(2 * n_per_arm):
        arm = "mdma" if i % 2 else "placebo"
        base = float(np.round(rng.normal(42.0, 6.0)))
        mean = placebo + (effect if arm == "mdma" else 0.0) - 0.3 * (base - 42.0)
        chg = np.round(mean + rng.multivariate_normal(np.zeros(3), sigma))
        u = rng.random()
        if i < 2:  # no post-baseline value: ICE at the first visit
            ice, last = 0, 0
        elif u < 0.25:  # dropout after week6 or week12
            ice = last = int(rng.integers(1, 3))
        elif u < 0.35:  # discontinued treatment, still observed afterwards
            ice, last = int(rng.integers(1, 3)), 3
        else:
            ice, last = 3, 3
        gap = ice == 3 and rng.random() < 0.08  # an intermittent missed visit (MAR)
        for k, v in enumerate(VISITS):
            missing = k >= last or (gap and k == 1)
            rows.append(
                {
                    "subject": f"S-{i + 1:03d}",
                    "arm": arm,
                    "dissociative": bool(rng.random() < 0.3) if k == 0 else None,
                    "visit": v,
                    "base": base,
                    "chg": np.nan if missing else float(chg[k]),
                    "ice_visit": VISITS[ice] if ice < 3 else "",
                }
            )
    out = pd.DataFrame(rows)
    out["dissociative"] = out.groupby("subject")["dissociative"].transform("first").astype(bool)
    return out


def build_sim_long(sim: pd.DataFrame) -> pd.DataFrame:
    """The simulated trial, long, as compute_reference_imputation takes it (the ICE visit on
    every row of the subject, empty for none)."""
    first = sim.drop_duplicates("subject")
    baseline = first.assign(timepoint="baseline", score=first["base"])
    post = sim.dropna(subset=["chg"])
    post = post.assign(timepoint=post["visit"], score=post["base"] + post["chg"])
    cols = ["subject", "arm", "dissociative", "timepoint", "score", "ice_visit"]
    long = pd.concat([baseline[cols], post[cols]], ignore_index=True)
    long["ice_visit"] = long["ice_visit"].replace("", None)
    return long


if __name__ == "__main__":
    build_input(build_long()).to_csv(OUT, index=False)
    build_sim().to_csv(OUT_SIM, index=False)
    print(f"wrote {OUT} and {OUT_SIM}")
