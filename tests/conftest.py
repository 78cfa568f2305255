"""Shared fixtures. The suite runs with warnings as errors (see pyproject).

Hypothesis runs derandomized: the examples are drawn from a fixed seed, so a run of the
suite is reproducible (a reviewer gets the same cases as CI). Property tests are still free
to explore more with ``--hypothesis-seed`` or the attack census.
"""

from __future__ import annotations

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")

settings.register_profile("reproducible", derandomize=True, print_blob=True)
settings.load_profile("reproducible")
