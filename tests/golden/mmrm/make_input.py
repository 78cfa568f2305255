"""Generate the input data set for the MMRM golden test (``input.csv``).

A realistic two-arm trial: 60 subjects (30 placebo, 30 active), change from baseline at
weeks 2, 4, 8 and 12, a baseline score, a three-level site factor, an unstructured residual
covariance with variances growing over time, monotone dropout plus a few intermittent missed
visits (rows absent), and two rows kept with a missing outcome (NaN), which the fit must drop
and report. Run from the repository root::

    python tests/golden/mmrm/make_input.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

VISITS = ["week2", "week4", "week8", "week12"]


def make_input(seed: int = 20240611, n_per_arm: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 2 * n_per_arm
    arm = np.repeat(["placebo", "active"], n_per_arm)
    site = rng.choice(["A", "B", "C"], size=n, p=[0.4, 0.35, 0.25])
    base = rng.normal(30.0, 6.0, size=n)
    sd = np.array([4.0, 5.0, 6.0, 7.0])
    corr = np.array(
        [
            [1.0, 0.6, 0.45, 0.35],
            [0.6, 1.0, 0.6, 0.45],
            [0.45, 0.6, 1.0, 0.65],
            [0.35, 0.45, 0.65, 1.0],
        ]
    )
    sigma = corr * np.outer(sd, sd)
    placebo_mean = np.array([-3.0, -5.0, -6.0, -7.0])
    effect = np.array([-1.0, -3.0, -5.0, -6.0])
    site_effect = {"A": 0.0, "B": 1.5, "C": -1.0}
    errors = rng.multivariate_normal(np.zeros(4), sigma, size=n)
    rows = []
    for i in range(n):
        mean = placebo_mean + (effect if arm[i] == "active" else 0.0)
        mean = mean - 0.3 * (base[i] - 30.0) + site_effect[site[i]]
        y = mean + errors[i]
        # monotone dropout: hazard 8% per visit after the first
        last = 4
        for t in range(1, 4):
            if rng.random() < 0.08:
                last = t
                break
        for t in range(last):
            if t > 0 and rng.random() < 0.05:  # intermittent missed visit
                continue
            rows.append(
                {
                    "subject": f"S{i + 1:03d}",
                    "arm": arm[i],
                    "site": site[i],
                    "visit": VISITS[t],
                    "base": round(float(base[i]), 2),
                    "chg": round(float(y[t]), 3),
                }
            )
    data = pd.DataFrame(rows)
    # two visits attended but with the outcome not recorded
    data.loc[[5, 77], "chg"] = np.nan
    return data


if __name__ == "__main__":
    out = Path(__file__).with_name("input.csv")
    make_input().to_csv(out, index=False)
    print(f"wrote {out}")
