"""The change score ``post - pre``: pairing, ``compute_change``, the classification result and
its pre-versus-post plot.

- :func:`pair_scores`: the pairing every function of ``past_outcomes.change`` shares (one
  call to :func:`past_outcomes._long.pair_long`, every subject of ``data`` kept); with
  ``post="latest"`` each subject's pre score is paired with that subject's most recent score
  after pre (:func:`latest_rows`), the timepoint used stated in ``post_timepoint``;
- :func:`compute_change`: ``pre, post, change, pct_change`` per subject, as a
  :class:`ChangeResult`;
- :class:`ChangeClassification`: the result of :func:`~past_outcomes.change.rci.classify_change`;
- :func:`plot_change`: the pre-versus-post scatter with the band of no reliable change.

Label columns (``reliable``, ``category``) use the pandas ``"string"`` dtype with ``<NA>`` for
missing; the fixed label orders are :data:`RELIABLE_LABELS` and :data:`CHANGE_CATEGORIES`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_option, check_timepoints
from past_outcomes._long import pair_long
from past_outcomes.errors import ArgumentError, PastOutcomesError, UnpairedSubjectsWarning
from past_outcomes.instrument import Instrument, load_instrument
from past_outcomes.results import ResultBase, excluded_frame

__all__ = [
    "ChangeResult",
    "ChangeClassification",
    "compute_change",
    "plot_change",
    "RELIABLE_LABELS",
    "CHANGE_CATEGORIES",
]

#: The ``post`` value that pairs each subject's pre score with their most recent later score.
LATEST = "latest"
#: Labels of the ``reliable`` column, in display order.
RELIABLE_LABELS = ("improved", "unchanged", "deteriorated")
#: Labels of the combined ``category`` column, in display order (HA has no "harmed").
CHANGE_CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated", "harmed")

_LIST_MAX = 20


# --------------------------------------------------------------------------------------------
# helpers shared by the modules of past_outcomes.change
# --------------------------------------------------------------------------------------------


def listed(values: Sequence[Any], limit: int = _LIST_MAX) -> str:
    """``values`` joined by commas, cut after ``limit`` with a count of the rest."""
    shown = ", ".join(map(str, list(values)[:limit]))
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


def percent(change: np.ndarray, pre: np.ndarray) -> np.ndarray:
    """``100 * change / pre``; missing where it is undefined or overflows (pre 0 or
    subnormal, e.g. 1e-309): never inf."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pct = 100.0 * change / pre
    return np.where(np.isfinite(pct), pct, np.nan)


def scale_direction(inst: Instrument, measure: str, what: str) -> str:
    """The direction the spec declares for the scale ``measure``; ArgumentError if none."""
    if measure in inst.scales:
        return inst.scales[measure].direction
    raise ArgumentError(
        f"{what} must be a scale column of the {inst.id} spec ({', '.join(inst.scales)}); got "
        f"{measure!r}. Pass the scored column name, or leave instrument=None and pass direction=."
    )


@dataclasses.dataclass(frozen=True)
class PairedScores:
    """One score paired by subject: ``table`` (``<subject>, pre, post``), the subjects set
    aside (``excluded``: no-pre, no-post, no-data; they stay in ``table`` with missing
    values) and the validated rows in scope (``rows``, for columns read at one timepoint)."""

    table: pd.DataFrame
    excluded: pd.DataFrame
    rows: pd.DataFrame
    #: The value of the timepoint column at post in ``rows`` (``post``, or a label for the
    #: per-subject latest timepoints).
    post_label: Any = None

    @property
    def unpaired(self) -> list:
        """Ids of the subjects lacking pre or post, in table order."""
        return self.excluded["subject"].tolist()


def pair_scores(
    data: Any,
    *,
    measure: str,
    subject: str,
    timepoint: str,
    pre: Any,
    post: Any,
    carry: Sequence[str] = (),
    caller: str,
    stacklevel: int = 3,
) -> PairedScores:
    """Check the arguments, pair ``measure`` at ``pre`` and ``post`` by subject and warn about
    subjects lacking one of the two (see the package docstring).

    Every subject of ``data`` gets a row in order of first appearance, also one seen only at
    other timepoints (reason ``no-data``). ``carry`` columns are validated as identifiers are
    not, and are available in ``rows``.
    """
    check_dataframe("data", data)
    check_columns(data, [subject, timepoint, measure, *carry])
    latest = None
    if isinstance(post, str) and post == LATEST:
        data, latest = latest_rows(
            data, measure=measure, subject=subject, timepoint=timepoint, pre=pre, carry=carry
        )
    else:
        check_timepoints(data, timepoint, pre, post)
    paired = pair_long(
        data,
        measures=[measure],
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        carry=carry,
        context=f"{caller}: {measure} at {pre!r} and {post!r} cannot be paired by {subject!r}",
    )
    subjects = pd.Index(data[subject].dropna().unique())
    by_subject = paired.table.set_index(subject)
    table = pd.DataFrame({subject: subjects})
    table["pre"] = by_subject[f"{measure}_pre"].reindex(subjects).to_numpy(dtype=float)
    table["post"] = by_subject[f"{measure}_post"].reindex(subjects).to_numpy(dtype=float)
    if latest is not None:
        table["post_timepoint"] = latest.reindex(subjects).to_numpy()

    pre_missing = np.isnan(table["pre"].to_numpy())
    post_missing = np.isnan(table["post"].to_numpy())
    reasons = np.select(
        [pre_missing & post_missing, pre_missing, post_missing],
        ["no-data", "no-pre", "no-post"],
        default="",
    )
    incomplete = reasons != ""
    excluded = excluded_frame(
        pd.DataFrame(
            {
                "subject": table.loc[incomplete, subject].to_numpy(),
                "reason": reasons[incomplete],
                "detail": measure,
            }
        )
    )
    unpaired = excluded["subject"].tolist()
    if unpaired:
        warnings.warn(
            f"{len(unpaired)} of {len(table)} subject(s) lack a {measure} value at {pre!r} or "
            f"{post!r}; they are kept with missing change and categories, not dropped: "
            f"{listed(unpaired)}.",
            UnpairedSubjectsWarning,
            stacklevel=stacklevel + 1,
        )
    return PairedScores(table=table, excluded=excluded, rows=paired.rows, post_label=post)


def _orderable(data: pd.DataFrame, timepoint: str) -> bool:
    column = data[timepoint]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return bool(column.dtype.ordered)
    if pd.api.types.is_bool_dtype(column):
        return False
    return bool(
        pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)
    )


def latest_rows(
    data: pd.DataFrame, *, measure: str, subject: str, timepoint: str, pre: Any,
    carry: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    """The rows at ``pre`` and each subject's rows at their latest timepoint after ``pre``
    with a ``measure`` value, that timepoint relabelled :data:`LATEST`; and the latest
    timepoint per subject (a Series indexed by subject id).

    The timepoint column must be ordered: numbers (session or visit numbers), dates, or an
    ordered categorical (``pd.Categorical(values, categories=[...], ordered=True)``). Two
    rows of one subject at the latest timepoint are kept, so that the pairing reports them
    as a duplicate observation.
    """
    if not _orderable(data, timepoint):
        raise ArgumentError(
            f"post='latest' needs an ordered {timepoint!r} column (visit numbers, dates or an "
            f"ordered categorical); got dtype {data[timepoint].dtype}. Convert it, e.g. "
            f"data[{timepoint!r}] = pd.Categorical(data[{timepoint!r}], categories=[...in visit "
            "order...], ordered=True)."
        )
    column = data[timepoint]
    if pre is None or (isinstance(pre, str) and pre == LATEST) or not (column == pre).any():
        raise ArgumentError(
            f"pre must be a value of the {timepoint!r} column when post='latest'; got {pre!r}. "
            "Pass the intake timepoint, e.g. pre=1 for session numbers."
        )
    frame = data[list(dict.fromkeys([subject, timepoint, measure, *carry]))].reset_index(drop=True)
    is_pre = (frame[timepoint] == pre).to_numpy(dtype=bool)
    later = (
        (frame[timepoint] > pre).to_numpy(dtype=bool)
        & frame[measure].notna().to_numpy()
        & frame[subject].notna().to_numpy()
    )
    ordered = frame.loc[later, [subject, timepoint]].sort_values(timepoint, kind="stable")
    last = ordered.drop_duplicates(subject, keep="last").set_index(subject)[timepoint]
    keys = set(zip(last.index, last.to_numpy(), strict=True))
    at_latest = later & np.fromiter(
        ((s, t) in keys for s, t in zip(frame[subject], frame[timepoint], strict=True)),
        dtype=bool, count=len(frame),
    )  # fmt: skip
    kept = is_pre | at_latest
    out = frame.loc[kept].copy()
    labels = np.empty(int(kept.sum()), dtype=object)
    labels.fill(pre)
    labels[at_latest[kept]] = LATEST
    out[timepoint] = labels
    return out, last


def with_missing(values: Any, keep: np.ndarray, dtype: str) -> Any:
    """``values`` as a pandas array of ``dtype`` (``"string"``, ``"boolean"``), ``<NA>`` where
    ``keep`` is False."""
    out: Any = pd.array(np.asarray(values, dtype=object), dtype=cast(Any, dtype))
    out[~np.asarray(keep, dtype=bool)] = pd.NA
    return out


def change_columns(table: pd.DataFrame, subject: str) -> pd.DataFrame:
    """``<subject>, pre, post, change, pct_change`` from a paired table (and
    ``post_timepoint`` after the ``"latest"`` pairing)."""
    pre = table["pre"].to_numpy(dtype=float)
    post = table["post"].to_numpy(dtype=float)
    change = post - pre
    out = pd.DataFrame({subject: table[subject].to_numpy(), "pre": pre, "post": post})
    if "post_timepoint" in table:
        out["post_timepoint"] = table["post_timepoint"].to_numpy()
    out["change"] = change
    out["pct_change"] = percent(change, pre)
    return out


def missing_notes(table: pd.DataFrame, unpaired: Sequence[Any], pct_column: str) -> list[str]:
    """Why values of a per-subject table are missing (no pair, or a baseline of 0), and the
    pairing when post was ``"latest"``."""
    notes = []
    if "post_timepoint" in table:
        notes.append(
            "post='latest': each subject's pre score is paired with that subject's most recent "
            "score after pre; the timepoint used is in post_timepoint."
        )
    if len(unpaired):
        notes.append(
            f"{len(unpaired)} subject(s) lack pre or post: their change (and everything "
            f"computed from it) is missing: {listed(unpaired)}."
        )
    if pct_column in table:
        zero = table[pct_column].isna() & table["pre"].notna() & table["post"].notna()
        if zero.any():
            notes.append(
                f"{pct_column} is missing for {int(zero.sum())} subject(s) whose pre score is "
                "0 or too close to 0 (a percent of 0 is undefined)."
            )
    return notes


# --------------------------------------------------------------------------------------------
# compute_change
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ChangeResult(ResultBase):
    """Result of :func:`compute_change`.

    Attributes
    ----------
    table : DataFrame
        One row per subject: ``<subject>, pre, post, change, pct_change``; ``change = post -
        pre``, ``pct_change = 100 * change / pre`` (missing where pre is 0).
    measure, pre, post : Any
        The score column and the two timepoints compared.
    excluded : DataFrame
        Subjects lacking pre or post (``subject, reason, detail``; reasons ``no-pre``,
        ``no-post``, ``no-data``). They stay in ``table`` with missing change.
    note_lines : tuple of str
        Why any value of ``table`` is missing; shown by :meth:`notes`.
    """

    table: pd.DataFrame
    measure: str
    pre: Any
    post: Any
    excluded: pd.DataFrame = dataclasses.field(default_factory=excluded_frame)
    note_lines: tuple[str, ...] = ()

    title = "Change from pre to post"

    def notes(self) -> list[str]:
        return list(self.note_lines)


def compute_change(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
) -> ChangeResult:
    """Change from ``pre`` to ``post`` of one score, one row per subject.

    Parameters
    ----------
    data
        Scored data in long form: one row per subject and timepoint.
    measure
        The score column (e.g. ``"caps5_total"``).
    subject, timepoint
        Names of the subject-id and timepoint columns.
    pre, post
        The two values of ``timepoint`` compared (e.g. ``"baseline"``, ``"week18"``), or
        ``post="latest"``: each subject's most recent score after ``pre`` (an ordered
        timepoint column: numbers, dates or an ordered categorical), the timepoint used given
        per subject in a ``post_timepoint`` column.

    Returns
    -------
    ChangeResult
        ``.table`` has columns ``<subject>, pre, post, change, pct_change``: ``change = post
        - pre``; ``pct_change = 100 * (post - pre) / pre``, missing where ``pre`` is 0.
        Subjects lacking a value are kept with missing values and listed in ``.excluded``;
        ``.notes()`` says why any value is missing.

    Raises
    ------
    ArgumentError
        Unknown column, ``pre == post``, or a timepoint value not in the data.
    DataValidationError
        Duplicate subject-timepoint rows, missing subject ids or non-numeric scores.

    Warns
    -----
    UnpairedSubjectsWarning
        Some subjects lack a value at one of the timepoints.
    """
    paired = pair_scores(
        data,
        measure=measure,
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        caller="compute_change",
    )
    table = change_columns(paired.table, subject)
    return ChangeResult(
        table=table,
        measure=measure,
        pre=pre,
        post=post,
        excluded=paired.excluded,
        note_lines=tuple(missing_notes(table, paired.unpaired, "pct_change")),
    )


# --------------------------------------------------------------------------------------------
# ChangeClassification
# --------------------------------------------------------------------------------------------


def count_labels(values: pd.Series, labels: Sequence[str], column: str) -> pd.DataFrame:
    """Counts of ``labels`` in ``values``: ``<column>, n, percent, denominator``; percents of
    the non-missing values; a last row ``missing`` counts the rest (no percent)."""
    denominator = int(values.notna().sum())
    rows: list[tuple[str, int, float, int | None]] = []
    for label in labels:
        n = int((values == label).sum())
        rows.append((label, n, 100.0 * n / denominator if denominator else math.nan, denominator))
    rows.append(("missing", int(values.isna().sum()), math.nan, None))
    table = pd.DataFrame(rows, columns=[column, "n", "percent", "denominator"])
    table["denominator"] = table["denominator"].astype("Int64")
    return table


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ChangeClassification(ResultBase):
    """Result of :func:`~past_outcomes.change.rci.classify_change`.

    Attributes
    ----------
    table : DataFrame
        One row per subject: ``<subject>, pre, post, change, pct_change, rci, reliable`` and,
        when a cutoff is available, ``clinical_pre, functional_post`` (nullable booleans) and
        ``category``. ``reliable`` is ``improved / unchanged / deteriorated`` and ``category``
        ``recovered / improved / unchanged / deteriorated / harmed`` ("harmed" never occurs
        with HA), both of pandas ``"string"`` dtype, ``<NA>`` where pre or post is missing.
    counts : DataFrame
        Counts per ``category`` (or per ``reliable`` label when there is no cutoff): columns
        ``category`` (or ``reliable``), ``n``, ``percent`` and ``denominator`` (subjects with
        both scores); a last row ``missing`` counts the rest (no percent).
    reliable_counts : DataFrame
        The same counts per reliable-change label (improved / unchanged / deteriorated).
    measure, pre, post : Any
        The score column and the timepoints compared.
    instrument : str or None
        Id of the instrument whose spec supplied defaults.
    method : str
        RCI method id (``jt, gln, hll, en, nk, ha``); ``method_name`` spells it out.
    direction, direction_source : str
        ``"higher-is-better"`` or ``"lower-is-better"`` and where it came from.
    reliability, reliability_source : float, str
        Reliability r_xx and its source (``"argument"`` or the spec's citation).
    reliability_post, reliability_post_source : float or None, str or None
        r_yy, used by NK only.
    sd_pre, sd_pre_source : float, str
        SD of the pre scores used in the RCI (``"sample"`` or ``"argument"``).
    m_pre, m_post, sd_post, r_pre_post : float
        Sample mean of pre and post, SD of post and pre-post correlation (complete pairs).
    se_measurement, s_diff : float
        ``SEM = sd_pre * sqrt(1 - r_xx)`` and ``S_diff = sqrt(2) * SEM``.
    r_dd : float or None
        HA reliability of the difference scores.
    confidence, critical_value : float
        Confidence level and the critical |RCI|: ``z((1 + confidence) / 2)`` (1.96 at 0.95),
        for HA (one-sided) ``z(confidence)`` (1.645).
    cutoff_type, cutoff : str, float or None
        Jacobson-Truax cutoff ``a``, ``b`` or ``c`` and its value (HA: true-score cutoff).
    m_clinical, sd_clinical, clinical_source, m_functional, sd_functional, functional_source
        The populations the cutoff rests on (``None`` when not used).
    sample_estimates : tuple of str
        Parameters estimated from the sample instead of a spec or an argument.
    center_intercept, center_slope, rci_scale : float
        Every method's RCI equals ``(post - (center_intercept + center_slope * pre)) /
        rci_scale``: the band of no reliable change is ``|post - center| <= crit * rci_scale``.
    n_subjects, n_complete : int
        Subjects in the data, and subjects with both scores.
    excluded : DataFrame
        Subjects lacking pre or post (reasons ``no-pre``, ``no-post``, ``no-data``): they
        keep their row in ``table`` with missing RCI and categories.
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    reliable_counts: pd.DataFrame
    measure: str
    pre: Any
    post: Any
    instrument: str | None
    method: str
    method_name: str
    direction: str
    direction_source: str
    reliability: float
    reliability_source: str
    reliability_post: float | None
    reliability_post_source: str | None
    sd_pre: float
    sd_pre_source: str
    m_pre: float
    m_post: float
    sd_post: float
    r_pre_post: float
    se_measurement: float
    s_diff: float
    r_dd: float | None
    confidence: float
    critical_value: float
    cutoff_type: str
    cutoff: float | None
    m_clinical: float | None
    sd_clinical: float | None
    clinical_source: str | None
    m_functional: float | None
    sd_functional: float | None
    functional_source: str | None
    sample_estimates: tuple[str, ...]
    center_intercept: float
    center_slope: float
    rci_scale: float
    n_subjects: int
    n_complete: int
    excluded: pd.DataFrame = dataclasses.field(default_factory=excluded_frame)

    title = "Reliable change and clinical significance"

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The pre-versus-post plot: :func:`plot_change` of this result."""
        return plot_change(self, ax=ax, **kwargs)

    def notes(self) -> list[str]:
        lines = [
            f"Method: {self.method_name} ({self.method}); {self.direction} "
            f"(from {self.direction_source}).",
            f"Reliability {self.reliability:.4g} ({self.reliability_source}); SD pre "
            f"{self.sd_pre:.4g} ({self.sd_pre_source}); SEM {self.se_measurement:.4g}, "
            f"S_diff {self.s_diff:.4g}; |RCI| > {self.critical_value:.4g} (confidence "
            f"{self.confidence:g}).",
        ]
        if self.reliability_post is not None:
            lines.append(
                f"Reliability at post {self.reliability_post:.4g} ({self.reliability_post_source})."
            )
        if self.cutoff is not None:
            lines.append(
                f"Cutoff {self.cutoff_type} = {self.cutoff:.4g}" + self._population_text() + "."
            )
        else:
            lines.append(
                f"No cutoff {self.cutoff_type}: no functional population is known, so only "
                "reliable change is classified. Pass m_functional= and sd_functional=."
            )
        if self.sample_estimates:
            lines.append("Estimated from the sample: " + ", ".join(self.sample_estimates) + ".")
        unpaired = self.excluded["subject"].tolist()
        if unpaired:
            lines.append(
                f"{len(unpaired)} subject(s) lack pre or post and have missing categories: "
                f"{listed(unpaired)}."
            )
        if math.isnan(self.r_pre_post):
            lines.append(
                "The pre-post correlation is missing: it needs at least 3 complete pairs and "
                f"pre and post scores that vary ({self.n_complete} pair(s) here)."
            )
        lines += missing_notes(self.table, (), "pct_change")
        return lines

    def _population_text(self) -> str:
        parts = []
        if self.m_clinical is not None:
            parts.append(
                f"clinical M {self.m_clinical:.4g}, SD {self.sd_clinical:.4g} "
                f"({self.clinical_source})"
            )
        if self.m_functional is not None:
            parts.append(
                f"functional M {self.m_functional:.4g}, SD {self.sd_functional:.4g} "
                f"({self.functional_source})"
            )
        return " from " + "; ".join(parts) if parts else ""


# --------------------------------------------------------------------------------------------
# plot_change
# --------------------------------------------------------------------------------------------

_COLOURS = {
    "recovered": "#1b7837",
    "improved": "#7fbf7b",
    "unchanged": "#9e9e9e",
    "deteriorated": "#f4a582",
    "harmed": "#b2182b",
}


def plot_change(
    result: ChangeClassification,
    *,
    ax: Any = None,
    color_by: str | None = None,
    show_band: bool = True,
    show_cutoff: bool = True,
    title: str | None = None,
) -> Any:
    """Pre-versus-post scatter of a :class:`ChangeClassification` (also ``result.plot()``).

    Draws the identity line, the shaded band of no reliable change (``|post - center(pre)|
    <= crit * rci_scale``; for JT ``|post - pre| < crit * S_diff``), dashed cutoff lines on
    both axes when a cutoff exists, and the subjects with both scores coloured by
    ``category`` (or ``reliable``). The region of improvement (below the identity line when
    lower is better, above when higher is better) is labelled.

    Parameters
    ----------
    result
        The output of :func:`~past_outcomes.change.rci.classify_change`.
    ax
        Matplotlib Axes to draw on; a new figure is made when ``None``.
    color_by
        ``"category"`` or ``"reliable"``; default ``category`` when present.
    show_band, show_cutoff
        Draw the band of no reliable change and the cutoff lines.
    title
        Axes title; default names the measure and the method.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(result, ChangeClassification):
        raise ArgumentError(
            f"result must be a ChangeClassification; got {type(result).__name__}. "
            "Pass the output of classify_change."
        )
    import matplotlib.pyplot as plt

    df = result.table
    if color_by is None:
        color_by = "category" if "category" in df.columns else "reliable"
    check_option("color_by", color_by, [c for c in ("category", "reliable") if c in df.columns])
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.5))

    ok = df["rci"].notna().to_numpy()
    x = df["pre"].to_numpy()[ok]
    y = df["post"].to_numpy()[ok]
    labels = df[color_by].to_numpy(dtype=object)[ok]
    lo, hi = _limits(np.concatenate([x, y, [result.cutoff] if result.cutoff is not None else []]))
    grid = np.array([lo, hi])
    ax.plot(grid, grid, color="black", lw=1, zorder=1, label="no change")
    if show_band:
        center = result.center_intercept + result.center_slope * grid
        half = result.critical_value * result.rci_scale
        ax.fill_between(
            grid, center - half, center + half, color="0.85", alpha=0.7, lw=0, zorder=0,
            label="no reliable change",
        )  # fmt: skip
    if show_cutoff and result.cutoff is not None:
        ax.axvline(result.cutoff, color="0.3", ls="--", lw=1, zorder=1)
        ax.axhline(
            result.cutoff,
            color="0.3",
            ls="--",
            lw=1,
            zorder=1,
            label=f"cutoff {result.cutoff_type}",
        )
    order = CHANGE_CATEGORIES if color_by == "category" else RELIABLE_LABELS
    for label in order:
        mask = labels == label
        if mask.any():
            ax.scatter(
                x[mask], y[mask], s=28, color=_COLOURS[label], edgecolor="black", linewidth=0.4,
                zorder=3, label=f"{label} ({int(mask.sum())})",
            )  # fmt: skip
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    name = _measure_label(result)
    ax.set_xlabel(f"{name} at {result.pre}")
    ax.set_ylabel(f"{name} at {result.post}")
    _label_regions(ax, better_below=result.direction == "lower-is-better")
    ax.set_title(title if title is not None else f"{result.measure}: {result.method_name} RCI")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    return ax


def _limits(values: np.ndarray) -> tuple[float, float]:
    """Axis limits covering ``values`` with a margin of 8 % (0 to 1 when there are none)."""
    lo, hi = (float(np.min(values)), float(np.max(values))) if values.size else (0.0, 1.0)
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _label_regions(ax: Any, *, better_below: bool) -> None:
    """Write "improved" and "deteriorated" in the corners where they lie."""
    ax.text(
        0.97 if better_below else 0.03,
        0.03 if better_below else 0.97,
        "improved",
        transform=ax.transAxes,
        ha="right" if better_below else "left",
        va="bottom" if better_below else "top",
        fontsize=9,
        color=_COLOURS["recovered"],
    )
    ax.text(
        0.03 if better_below else 0.97,
        0.97 if better_below else 0.03,
        "deteriorated",
        transform=ax.transAxes,
        ha="left" if better_below else "right",
        va="top" if better_below else "bottom",
        fontsize=9,
        color=_COLOURS["harmed"],
    )


def _measure_label(result: ChangeClassification) -> str:
    """The scale's label from its spec ("PHQ-9 total"), else the column name."""
    if result.instrument is None:
        return result.measure
    try:
        inst = load_instrument(result.instrument)
    except PastOutcomesError:
        return result.measure
    scale = inst.scales.get(result.measure)
    return f"{inst.short_name} {scale.label}" if scale is not None else result.measure
