"""The one result contract: every public function that computes statistics returns a result.

A result is a frozen, slotted dataclass deriving from :class:`ResultBase`. Whatever it
computed, a reader finds it the same way:

``.table``
    The main table (a DataFrame, full precision). Each subclass documents its columns.
``.to_frame()``
    A copy of ``.table``, for further work with pandas.
``.notes()``
    Plain-language lines: what the numbers rest on (method, reliability and its source,
    the SD used), which values were estimated from the sample, and why any statistic is
    missing. A missing number in ``.table`` always has a note saying why.
``.excluded``
    One table, columns ``subject, reason, detail``, of everything set aside (a subject
    without a post value, a row outside the analysed timepoints...): nothing disappears
    silently. Reasons are the kebab-case codes of :data:`EXCLUSION_REASONS`.
``repr(result)``
    A few lines of text (title, size, the first rows, counts of notes and exclusions), so a
    console never prints every field; ``str(result)`` and ``print_summary()`` give the whole
    table with the notes; ``_repr_html_``/``to_html()`` render it in Jupyter and reports.
``.plot(ax=None)``
    Where a figure is the natural view (the pre-versus-post plot, responder rates with CIs,
    LS means by visit); returns the matplotlib Axes. Other results raise ``ArgumentError``.

A result with an ``estimand`` field (a :class:`past_outcomes.estimand.Estimand`, set by
the analysis's ``estimand=`` argument) says what it estimates: ``.notes()`` starts with
``"Estimand: ..."``, the repr shows that line under the title, and ``to_html`` puts the
estimand's table above the numbers.

Numbers are stored at full precision; rounding happens only here, when tables are formatted.
The pattern follows lifelines' ``StatisticalResult`` (one family, text and HTML rendering of
one summary table) and statsmodels' ``AnovaResult`` (a frozen dataclass, every field
documented).
"""

from __future__ import annotations

import dataclasses
import functools
import html
from collections.abc import Iterable
from typing import Any

import pandas as pd

DISPLAY_DECIMALS = 4
REPR_ROWS = 5

#: Columns of every ``.excluded`` table.
EXCLUDED_COLUMNS = ["subject", "reason", "detail"]

#: Why a subject (or row) was set aside, as used in ``.excluded['reason']``.
EXCLUSION_REASONS: dict[str, str] = {
    "no-pre": "no value at the pre timepoint (the subject has a post value)",
    "no-post": "no value at the post timepoint (the subject has a pre value)",
    "no-data": "no value at either timepoint compared (often: the measure was not given)",
    "no-group": "the subject's group is missing or is neither of the groups compared",
    "no-baseline": "no baseline value, which the model needs as a covariate",
    "missing-covariate": "a covariate the model needs is missing",
    "missing-response": "the responder status is missing",
    "incomplete-items": "an item of the scale is unanswered, so the row cannot enter the analysis",
    "not-eligible": "the rule's baseline condition is not met (e.g. PHQ-9 below 10)",
    "other-timepoint": "a row at a timepoint that is not analysed",
    "preview": "a survey preview, test or spam response (Qualtrics), not a client's answers",
    "unfinished": "a survey response the respondent did not finish (Qualtrics Finished = false)",
    "no-items": "a row of an export with no answer to any item read (e.g. a REDCap event "
    "where the form was not given)",
    "no-guess": "no treatment guess recorded (the blinding question was not answered)",
}


def excluded_frame(records: Iterable[dict[str, Any]] | pd.DataFrame = ()) -> pd.DataFrame:
    """An ``.excluded`` table (columns ``subject, reason, detail``) from records or a frame."""
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    for col in EXCLUDED_COLUMNS:
        if col not in frame.columns:
            frame[col] = "" if col == "detail" else None
    unknown = set(frame["reason"].dropna()) - set(EXCLUSION_REASONS)
    if unknown:  # a programming error, not a user's: every reason is documented
        raise AssertionError(f"undocumented exclusion reason(s): {sorted(unknown)}")
    return frame[EXCLUDED_COLUMNS].reset_index(drop=True)


def exclude(subjects: Iterable[Any], reason: str, detail: str = "") -> pd.DataFrame:
    """An ``.excluded`` table listing ``subjects`` with one reason and detail."""
    return excluded_frame({"subject": s, "reason": reason, "detail": detail} for s in subjects)


def _with_estimand_line(notes: Any) -> Any:
    """Wrap a result's ``notes`` so that its list starts with ``estimand.describe()`` when the
    result has an ``estimand`` that is not None (once, even when a subclass's notes call its
    parent's)."""

    @functools.wraps(notes)
    def wrapped(self: Any) -> list[str]:
        lines = list(notes(self))
        estimand = getattr(self, "estimand", None)
        if estimand is None:
            return lines
        line = estimand.describe()
        return lines if lines[:1] == [line] else [line, *lines]

    wrapped._with_estimand = True  # type: ignore[attr-defined]
    return wrapped


class ResultBase:
    """Base of every result: ``table``, ``to_frame``, ``notes``, ``excluded``, renderings.

    Subclasses are ``@dataclass(frozen=True)`` with a ``table`` field (or property) and
    usually an ``excluded`` field; they set ``title`` and override :meth:`notes` and
    :meth:`plot` where they have more to say.
    """

    title: str = "Result"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Make a subclass's own ``notes`` start with its estimand's line (if it has one)."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("notes")
        if own is not None and not getattr(own, "_with_estimand", False):
            cls.notes = _with_estimand_line(own)  # type: ignore[method-assign]

    # -- the contract ---------------------------------------------------------------------
    # ``table`` and ``excluded`` are dataclass fields (or properties) of each subclass; they
    # are not defined here, because a base-class property would shadow a subclass field.
    def __getattr__(self, name: str) -> Any:
        if name == "excluded":  # a result that sets nothing aside
            return excluded_frame()
        if name == "table" and "summary" in dir(type(self)):  # results still being moved over
            return type(self).summary.fget(self)  # type: ignore[attr-defined]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_frame(self) -> pd.DataFrame:
        """A copy of the main table."""
        return self.table.copy()

    def notes(self) -> list[str]:
        """Plain-language lines shown under the table (method, assumptions, missing values)."""
        estimand = getattr(self, "estimand", None)
        return [estimand.describe()] if estimand is not None else []

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The natural figure of this result, on ``ax`` (a new one when None); returns the Axes."""
        from past_outcomes.errors import ArgumentError

        raise ArgumentError(
            f"{type(self).__name__} has no figure; use .table for its numbers and plot them "
            "with matplotlib or pandas."
        )

    # -- renderings -----------------------------------------------------------------------
    def _table_text(self, table: pd.DataFrame) -> str:
        with pd.option_context("display.width", 160, "display.max_columns", 50):
            return table.to_string(float_format=lambda v: f"{v:.{DISPLAY_DECIMALS}g}")

    def __repr__(self) -> str:
        table = self.table
        n_excluded, n_notes = len(self.excluded), len(self.notes())
        lines = [f"<{type(self).__name__}: {self.title}; {len(table)} row(s)>"]
        estimand = getattr(self, "estimand", None)
        if estimand is not None:
            lines.append(estimand.describe())
        lines.append(self._table_text(table.head(REPR_ROWS)))
        if len(table) > REPR_ROWS:
            lines.append(f"... {len(table) - REPR_ROWS} more row(s); see .table")
        extra = []
        if n_notes:
            extra.append(f"{n_notes} note(s): .notes()")
        if n_excluded:
            extra.append(f"{n_excluded} excluded: .excluded")
        if extra:
            lines.append("; ".join(extra))
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [self.title, self._table_text(self.table), *self.notes()]
        if len(self.excluded):
            lines.append(f"Excluded: {len(self.excluded)} (see .excluded).")
        return "\n".join(lines)

    def print_summary(self) -> None:
        """Print the title, the whole table, the notes and the number excluded."""
        print(str(self))

    def to_html(self) -> str:
        """The table and the notes as an HTML fragment (no scripts, no remote resources)."""
        table = self.table.to_html(
            float_format=lambda v: f"{v:.{DISPLAY_DECIMALS}g}", border=0, na_rep="—"
        )
        estimand = getattr(self, "estimand", None)
        lines = self.notes()
        if estimand is not None:  # shown as its own table above the numbers
            lines = [n for n in lines if n != estimand.describe()]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in lines)
        if len(self.excluded):
            notes += f"<li>Excluded: {len(self.excluded)} (see .excluded).</li>"
        notes_html = f"<ul>{notes}</ul>" if notes else ""
        estimand_html = estimand.to_html() if estimand is not None else ""
        title = f"<strong>{html.escape(self.title)}</strong>"
        return f"<div>{title}{estimand_html}{table}{notes_html}</div>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_dict(self) -> dict[str, Any]:
        """The result's fields as a plain dict (DataFrames are kept as DataFrames)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
