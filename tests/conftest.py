"""Shared fixtures. The suite runs with warnings as errors (see pyproject)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
