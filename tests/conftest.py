"""Shared fixtures. The suite runs with warnings as errors (see pyproject)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
os.environ["PYTHONHASHSEED"] = "0"
