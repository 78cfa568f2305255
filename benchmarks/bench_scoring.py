"""Benchmark: validate and score 1,000,000 FSFI administrations.

Prints the full engine's time (validation included) beside a minimal pandas implementation
of FSFI scoring without any validation, timed in the same run on the same data, and the
ratio between them. Targets: ratio <= 3 and engine under 2 s on a 2-core machine.
Also times ``import past_outcomes`` in a fresh interpreter (target < 0.5 s).

Run: python benchmarks/bench_scoring.py [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np
import pandas as pd

DOMAINS = {
    "desire": ([1, 2], 0.6),
    "arousal": ([3, 4, 5, 6], 0.3),
    "lubrication": ([7, 8, 9, 10], 0.3),
    "orgasm": ([11, 12, 13], 0.4),
    "satisfaction": ([14, 15, 16], 0.4),
    "pain": ([17, 18, 19], 0.4),
}


def make_data(n: int, seed: int = 20261128) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(1, 20):
        low = 1 if i in (1, 2, 15, 16) else 0
        cols[f"fsfi_{i}"] = rng.integers(low, 6, size=n).astype("int64")
    return pd.DataFrame(cols)


def minimal_fsfi(data: pd.DataFrame) -> pd.DataFrame:
    """Baseline: the published formula in plain pandas, no validation, no missing-data rules."""
    out = {}
    for name, (items, factor) in DOMAINS.items():
        out[f"fsfi_{name}"] = data[[f"fsfi_{i}" for i in items]].sum(axis=1) * factor
    result = pd.DataFrame(out)
    result["fsfi_total"] = result.sum(axis=1)
    result["fsfi_dysfunction"] = result["fsfi_total"] <= 26.55
    return result


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def import_time(repeats: int = 5) -> float:
    code = "import time; t=time.perf_counter(); import past_outcomes; print(time.perf_counter()-t)"
    values = [
        float(subprocess.check_output([sys.executable, "-c", code], text=True))
        for _ in range(repeats)
    ]
    return min(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from past_outcomes import load_instrument, score

    data = make_data(args.rows)
    inst = load_instrument("fsfi")
    engine = score(data, instrument=inst)
    baseline = minimal_fsfi(data)
    np.testing.assert_allclose(engine["fsfi_total"], baseline["fsfi_total"], atol=1e-9)

    t_base = best_of(lambda: minimal_fsfi(data), args.repeats)
    t_engine = best_of(lambda: score(data, instrument=inst), args.repeats)
    t_import = import_time()
    print(f"rows: {args.rows:,} FSFI administrations (best of {args.repeats})")
    print(f"minimal pandas FSFI (no validation): {t_base:.3f} s")
    print(f"past_outcomes.score (validation included): {t_engine:.3f} s")
    print(f"ratio engine / minimal: {t_engine / t_base:.2f}x (target <= 3x; engine target < 2 s)")
    print(f"import past_outcomes: {t_import * 1000:.0f} ms (target < 500 ms)")


if __name__ == "__main__":
    main()
