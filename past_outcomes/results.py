"""Shared behaviour of the frozen ``<Analysis>Result`` objects.

A result holds one or more tidy DataFrames; ``.summary`` is the one a reader looks at first.
Subclasses are ``@dataclass(frozen=True)`` and set ``title``; this base gives them a text
rendering (``str``), a Jupyter HTML rendering (``_repr_html_``) and ``to_dict``.
Numbers are stored at full precision; rounding happens only here, when tables are formatted.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any

DISPLAY_DECIMALS = 4


class ResultBase:
    """Mixin for frozen result dataclasses: text and HTML rendering of ``summary``."""

    title: str = "Result"

    @property
    def summary(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def notes(self) -> list[str]:
        """Plain-language lines shown under the summary (method, assumptions, warnings)."""
        return []

    def __str__(self) -> str:
        import pandas as pd

        with pd.option_context("display.width", 160, "display.max_columns", 50):
            body = self.summary.to_string(float_format=lambda v: f"{v:.{DISPLAY_DECIMALS}g}")
        lines = [self.title, body, *self.notes()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.summary.to_html(
            float_format=lambda v: f"{v:.{DISPLAY_DECIMALS}g}", border=0, na_rep="—"
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes())
        notes_html = f"<ul>{notes}</ul>" if notes else ""
        return f"<div><strong>{html.escape(self.title)}</strong>{table}{notes_html}</div>"

    def to_dict(self) -> dict[str, Any]:
        """The result's fields as a plain dict (DataFrames are kept as DataFrames)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
