"""Write the input CSVs for stats_golden.R (run once; the CSVs are committed).

python tests/golden/stats/make_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
rng = np.random.default_rng(20240518)

# two-arm pre/post trial, 24 + 20 subjects, long format; values to 4 decimals (no ties)
rows = []
for i in range(44):
    arm = "drug" if i < 24 else "placebo"
    base = rng.normal(40, 6)
    fall = rng.normal(-22 if arm == "drug" else -12, 10)
    post = base + fall + 0.3 * (base - 40)
    other_pre = rng.normal(10, 3)
    other_post = other_pre + rng.normal(1, 2)
    sid = f"S{i + 1:02d}"
    rows.append((sid, arm, "baseline", round(base, 4), round(other_pre, 4)))
    rows.append((sid, arm, "week12", round(post, 4), round(other_post, 4)))
trial = pd.DataFrame(rows, columns=["subject", "group", "timepoint", "score", "other"])
trial.to_csv(HERE / "trial_long.csv", index=False)

# six 0-4 items from a one-factor model, 150 respondents
latent = rng.normal(size=150)
loadings = np.array([0.8, 0.7, 0.6, 0.75, 0.5, 0.65])
raw = latent[:, None] * loadings + rng.normal(size=(150, 6)) * np.sqrt(1 - loadings**2)
items = np.clip(np.round(raw * 1.1 + 2), 0, 4).astype(int)
pd.DataFrame(items, columns=[f"item_{j + 1}" for j in range(6)]).to_csv(
    HERE / "items.csv", index=False
)
