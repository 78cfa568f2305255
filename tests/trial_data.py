"""A small simulated two-arm trial shared by the imputation tests (not a test module)."""

from __future__ import annotations

import numpy as np
import pandas as pd

TIMES = ["v0", "v1", "v2", "v3"]


def simulated_trial(
    seed: int, n: int = 40, times=TIMES, effect=(0.0, -2.0, -4.0, -6.0), dropout=0.3
) -> pd.DataFrame:
    """Long data: placebo/active, correlated visits (AR(1)-like, SD about 2.2), a fall of one
    point a visit, the active arm ``effect`` lower, monotone dropout from v2 on in a share
    ``dropout`` of subjects."""
    rng = np.random.default_rng(seed)
    T = len(times)
    cov = 4.0 * (0.6 ** np.abs(np.subtract.outer(np.arange(T), np.arange(T)))) + 1.0
    rows = []
    for i in range(n):
        arm = "active" if i % 2 else "placebo"
        y = 30 + rng.multivariate_normal(np.zeros(T), cov) - np.arange(T)
        if arm == "active":
            y = y + np.array(effect[:T])
        last = T if rng.random() > dropout else int(rng.integers(2, T))
        for k in range(last):
            rows.append((f"s{i:03d}", arm, times[k], y[k]))
    return pd.DataFrame(rows, columns=["subject", "group", "timepoint", "y"])
