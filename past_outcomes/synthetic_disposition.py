"""Synthetic participant flow of ``mdma_trial``: one row per randomized subject.

``generate("mdma_trial_disposition")`` describes the subjects of the bundled ``mdma_trial``
(always the trial made with its documented seed): who was randomized and treated, the first
visit each dropout missed, why they left, their end-of-trial guess of the arm and their
baseline expectancy. The dropouts and their visits are read from the trial itself, so the
two files can never disagree; everything else is drawn from this data set's own seed, never
from the trial's random stream (which is why ``mdma_trial.csv`` did not change when this file
was added). Nothing here comes from a real person.

Columns
-------
``subject``, ``arm``
    As in ``mdma_trial``.
``randomized``
    True on every row (the file lists randomized subjects only).
``treated``
    Received at least one experimental session. Every subject of ``mdma_trial`` attended the
    week-6 visit, after the first session, so every one is True.
``discontinued``
    The first scheduled visit the subject missed (``week6``, ``week12`` or ``week18``), empty
    for those who completed week 18.
``discontinuation_reason``
    Empty for completers; one of :data:`REASONS` for each dropout (drawn with arm-specific
    probabilities: adverse events more often with MDMA, withdrawal of consent and loss to
    follow-up more often with placebo; invented, not MAPP2's reasons).
``guess``
    End-of-trial guess of the arm: ``mdma``, ``placebo`` or ``dont_know``; empty for dropouts
    (they had no end-of-trial visit). Calibrated loosely to what the FDA's 2024 advisory
    committee was told of MAPP1 and MAPP2: about 90 % of MDMA and 75 % of placebo participants
    identified their arm (MIT Technology Review, 6 June 2024). Here a tenth of each arm answers
    "don't know", and among the others the chance of guessing MDMA rises with the subject's
    own improvement (placebo responders guess MDMA more often), as functional unblinding would
    make it.
``expectancy``
    Baseline expectancy of improvement on a single 0-10 numeric rating (0 = no improvement
    expected, 10 = complete relief), NOT the Stanford Expectations of Treatment Scale. Mean
    about 7 (participants of psychedelic trials expect much); correlated about 0.25 with the
    subject's CAPS-5 improvement, built in after the fact from the trial's outcomes so that
    an expectancy-adjusted sensitivity analysis has something to adjust for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from past_outcomes.datasets import TIMEPOINTS, format_dataset

__all__ = ["REASONS", "GUESSES", "disposition"]

#: discontinuation reasons (short categories, as a CONSORT diagram lists them)
REASONS = ("adverse event", "withdrew consent", "lost to follow-up", "other")
#: the end-of-trial guesses
GUESSES = ("mdma", "placebo", "dont_know")

_REASON_P = {"mdma": (0.40, 0.30, 0.15, 0.15), "placebo": (0.15, 0.40, 0.25, 0.20)}
_DONT_KNOW = {"mdma": 0.08, "placebo": 0.12}
# logit of guessing MDMA (among those who guess) at average improvement, and its slope per SD
# of improvement: about 94 % of MDMA and 20 % of placebo guessers say "mdma".
_GUESS_LOGIT = {"mdma": 2.8, "placebo": -1.4}
_GUESS_SLOPE = 0.8
_EXPECTANCY = (7.0, 1.8, 0.25)  # mean, SD, correlation with improvement
_COLUMNS = [
    "subject",
    "arm",
    "randomized",
    "treated",
    "discontinued",
    "discontinuation_reason",
    "guess",
    "expectancy",
]


def _trial_summary() -> pd.DataFrame:
    """Per subject of the bundled trial: arm, last visit attended, CAPS-5 improvement.

    Improvement is the fall of the CAPS-5 total from baseline to the last visit attended,
    scaled by the share of the week-18 change the generator expects by that visit.
    """
    from past_outcomes.synthetic import _MDMA_VISIT_FRACTION, generate, item_columns

    trial = generate("mdma_trial")
    total = trial[item_columns("caps5")].to_numpy(dtype="float64").sum(axis=1)
    frame = pd.DataFrame(
        {
            "subject": trial["subject"].astype(str),
            "arm": trial["arm"].astype(str),
            "visit": trial["timepoint"].cat.codes.to_numpy(),
            "total": total,
        }
    )
    by = frame.groupby("subject", sort=True)
    first, last = by.first(), by.last()
    fraction = np.asarray(_MDMA_VISIT_FRACTION)[last["visit"].to_numpy()]
    improvement = (first["total"] - last["total"]) / fraction
    return pd.DataFrame(
        {"arm": first["arm"], "last_visit": last["visit"], "improvement": improvement}
    )


def disposition(rng: np.random.Generator) -> pd.DataFrame:
    """The ``mdma_trial_disposition`` data set (see the module docstring), drawn from ``rng``."""
    visits = TIMEPOINTS["mdma_trial"]
    summary = _trial_summary()
    n = len(summary)
    arm = summary["arm"].to_numpy()
    dropped = summary["last_visit"].to_numpy() < len(visits) - 1
    z = summary["improvement"].to_numpy()
    z = (z - z.mean()) / z.std()

    reason = np.full(n, None, dtype=object)
    discontinued = np.full(n, None, dtype=object)
    for i in np.flatnonzero(dropped):
        discontinued[i] = visits[summary["last_visit"].iloc[i] + 1]
        reason[i] = REASONS[rng.choice(len(REASONS), p=_REASON_P[arm[i]])]

    guess = np.full(n, None, dtype=object)
    dont_know = rng.random(n) < np.array([_DONT_KNOW[a] for a in arm])
    logit = np.array([_GUESS_LOGIT[a] for a in arm]) + _GUESS_SLOPE * z
    says_mdma = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    for i in np.flatnonzero(~dropped):
        guess[i] = "dont_know" if dont_know[i] else ("mdma" if says_mdma[i] else "placebo")

    mean, sd, r = _EXPECTANCY
    latent = r * z + np.sqrt(1 - r**2) * rng.normal(0.0, 1.0, n)
    expectancy = np.clip(np.rint(mean + sd * latent), 0, 10).astype("int64")

    df = pd.DataFrame(
        {
            "subject": summary.index.to_numpy(),
            "arm": arm,
            "randomized": True,
            "treated": True,
            "discontinued": discontinued,
            "discontinuation_reason": reason,
            "guess": guess,
            "expectancy": expectancy,
        }
    )
    return format_dataset(df[_COLUMNS], name="mdma_trial_disposition")
