"""Change over time: pre/post change, reliable change, clinical significance and responders.

Functions take already scored data in long form (one row per subject and timepoint) and pair
the two timepoints by subject:

- :func:`compute_change`: ``pre, post, change, pct_change`` per subject;
- :func:`classify_change`: reliable change index (RCI) by one of six methods, Jacobson-Truax
  cutoffs and the combined categories (recovered / improved / unchanged / deteriorated /
  harmed), returned as a frozen :class:`ChangeClassification`;
- :func:`classify_responders`: responder rules declared in an instrument spec (or passed by
  the user): change, percent change or endpoint thresholds, thresholds by baseline severity,
  and the MAPP categories (non-response / response / loss of diagnosis / remission);
- :func:`plot_change`: the pre-versus-post scatter with the band of no reliable change.

Pairing rules, shared by all functions:

- every subject in ``data`` gets one output row, in order of first appearance;
- a subject without a value at ``pre`` or ``post`` (no row, or a missing score) keeps its row
  with missing change, RCI and categories (never ``"unchanged"``), and is named in an
  :class:`~past_outcomes.errors.UnpairedSubjectsWarning` and in the result
  (``ChangeClassification.unpaired`` or ``DataFrame.attrs["unpaired_subjects"]``);
- two rows for the same subject and timepoint, a missing subject id or a score that is not
  a number raise one :class:`~past_outcomes.errors.DataValidationError` listing every such
  cell in ``failure_cases`` (reasons ``duplicate-observation``, ``missing-value``,
  ``not-a-number``);
- the input is never modified.

Label columns (``reliable``, ``category``) use the pandas ``"string"`` dtype with ``<NA>`` for
missing; the fixed label orders are :data:`RELIABLE_LABELS`, :data:`CHANGE_CATEGORIES` and
:data:`MAPP_CATEGORIES`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from past_outcomes._checks import (
    check_columns,
    check_dataframe,
    check_option,
    check_timepoints,
)
from past_outcomes._long import check_number, no_spread, validate_long
from past_outcomes.errors import (
    ArgumentError,
    SampleEstimateWarning,
    UnpairedSubjectsWarning,
)
from past_outcomes.instrument import (
    DIRECTIONS,
    OPERATORS,
    RESPONDER_KINDS,
    BaselineThreshold,
    Instrument,
    ResponderRule,
    load_instrument,
)
from past_outcomes.results import ResultBase

__all__ = [
    "ChangeClassification",
    "compute_change",
    "classify_change",
    "classify_responders",
    "plot_change",
    "RCI_METHODS",
    "RELIABLE_LABELS",
    "CHANGE_CATEGORIES",
    "MAPP_CATEGORIES",
]

#: Reliable change methods: id -> name.
RCI_METHODS: dict[str, str] = {
    "jt": "Jacobson-Truax",
    "gln": "Gulliksen-Lord-Novick",
    "hll": "Hsu-Lin-Lord",
    "en": "Edwards-Nunnally",
    "nk": "Nunnally-Kotsch",
    "ha": "Hageman-Arrindell",
}
CUTOFF_TYPES = ("a", "b", "c")
#: Labels of the ``reliable`` column, in display order.
RELIABLE_LABELS = ("improved", "unchanged", "deteriorated")
#: Labels of the combined ``category`` column, in display order (HA has no "harmed").
CHANGE_CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
#: Labels of the responder ``category`` column of a rule with a diagnosis condition.
MAPP_CATEGORIES = ("non-response", "response", "loss of diagnosis", "remission")

_LIST_MAX = 20


# --------------------------------------------------------------------------------------------
# pairing
# --------------------------------------------------------------------------------------------


def _listed(values: Sequence[Any], limit: int = _LIST_MAX) -> str:
    shown = ", ".join(map(str, list(values)[:limit]))
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


@dataclasses.dataclass(frozen=True)
class _Paired:
    table: pd.DataFrame  # subject, pre, post (+ extra columns at post)
    unpaired: tuple


def _pair(
    data: Any,
    *,
    measure: str,
    subject: str,
    timepoint: str,
    pre: Any,
    post: Any,
    post_columns: Sequence[str] = (),
    caller: str,
    stacklevel: int = 3,
) -> _Paired:
    """Pair ``measure`` at ``pre`` and ``post`` by subject (see the module docstring)."""
    check_dataframe("data", data)
    check_columns(data, [subject, timepoint, measure, *post_columns])
    check_timepoints(data, timepoint, pre, post)

    rows = validate_long(
        data[[subject, timepoint, measure, *post_columns]],
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        id_columns=[subject],
        measures=[measure],
        context=f"{caller}: {measure} at {pre!r} and {post!r} cannot be paired by {subject!r}",
    )
    values = rows[measure].to_numpy(dtype=float)  # validated: finite floats or NaN

    subjects = pd.Index(data[subject].dropna().unique())
    is_pre = (rows[timepoint] == pre).to_numpy()
    ids = rows[subject].to_numpy()
    pre_s = pd.Series(values[is_pre], index=ids[is_pre])
    post_s = pd.Series(values[~is_pre], index=ids[~is_pre])
    table = pd.DataFrame({subject: subjects})
    table["pre"] = pre_s.reindex(subjects).to_numpy(dtype=float)
    table["post"] = post_s.reindex(subjects).to_numpy(dtype=float)
    post_rows = rows.loc[~is_pre].set_index(subject)
    for col in post_columns:
        table[f"{col}@post"] = post_rows[col].reindex(subjects).to_numpy()

    incomplete = np.isnan(table["pre"].to_numpy()) | np.isnan(table["post"].to_numpy())
    unpaired = tuple(table.loc[incomplete, subject].tolist())
    if unpaired:
        warnings.warn(
            f"{len(unpaired)} of {len(table)} subject(s) lack a {measure} value at {pre!r} or "
            f"{post!r}; they are kept with missing change and categories, not dropped: "
            f"{_listed(unpaired)}.",
            UnpairedSubjectsWarning,
            stacklevel=stacklevel + 1,
        )
    return _Paired(table=table, unpaired=unpaired)


def _percent(change: np.ndarray, pre: np.ndarray) -> np.ndarray:
    """``100 * change / pre``; missing where it is undefined or overflows (pre 0 or
    subnormal, e.g. 1e-309): never inf."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pct = 100.0 * change / pre
    return np.where(np.isfinite(pct), pct, np.nan)


def _change_columns(table: pd.DataFrame, subject: str) -> pd.DataFrame:
    pre = table["pre"].to_numpy(dtype=float)
    post = table["post"].to_numpy(dtype=float)
    change = post - pre
    pct = _percent(change, pre)
    return pd.DataFrame(
        {
            subject: table[subject].to_numpy(),
            "pre": pre,
            "post": post,
            "change": change,
            "pct_change": pct,
        }
    )


# --------------------------------------------------------------------------------------------
# compute_change
# --------------------------------------------------------------------------------------------


def compute_change(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
) -> pd.DataFrame:
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
        The two values of ``timepoint`` compared (e.g. ``"baseline"``, ``"week18"``).

    Returns
    -------
    DataFrame
        Columns ``<subject>, pre, post, change, pct_change``: ``change = post - pre``;
        ``pct_change = 100 * (post - pre) / pre``, missing where ``pre`` is 0. Subjects lacking
        a value are kept with missing values and listed in ``attrs["unpaired_subjects"]``;
        ``attrs["notes"]`` says why any value is missing.

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
    paired = _pair(
        data,
        measure=measure,
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        caller="compute_change",
    )
    out = _change_columns(paired.table, subject)
    out.attrs.update(
        {
            "measure": measure,
            "pre": pre,
            "post": post,
            "unpaired_subjects": list(paired.unpaired),
            "notes": _missing_notes(out, paired.unpaired, "pct_change"),
        }
    )
    return out


def _missing_notes(out: pd.DataFrame, unpaired: tuple, pct_column: str | None) -> list[str]:
    """Why values of the per-subject table are missing: no pair, or a baseline of 0."""
    notes = []
    if unpaired:
        notes.append(
            f"{len(unpaired)} subject(s) lack pre or post: their change (and everything "
            f"computed from it) is missing: {_listed(unpaired)}."
        )
    if pct_column is not None and pct_column in out:
        zero = out[pct_column].isna() & out["pre"].notna() & out["post"].notna()
        if zero.any():
            notes.append(
                f"{pct_column} is missing for {int(zero.sum())} subject(s) whose pre score is "
                "0 or too close to 0 (a percent of 0 is undefined)."
            )
    return notes


# --------------------------------------------------------------------------------------------
# classify_change
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ChangeClassification(ResultBase):
    """Result of :func:`classify_change`.

    Attributes
    ----------
    data : DataFrame
        One row per subject: ``<subject>, pre, post, change, pct_change, rci, reliable`` and,
        when a cutoff is available, ``clinical_pre, functional_post`` (nullable booleans) and
        ``category``. ``reliable`` is ``improved / unchanged / deteriorated`` and ``category``
        ``recovered / improved / unchanged / deteriorated / harmed`` ("harmed" never occurs
        with HA), both of pandas ``"string"`` dtype, ``<NA>`` where pre or post is missing.
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
    alpha, critical_value : float
        Significance level and the critical |RCI|: ``z(1 - alpha/2)`` (1.96), for HA
        ``z(1 - alpha)`` (1.645).
    cutoff_type, cutoff : str or None, float or None
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
    unpaired : tuple
        Ids of subjects lacking pre or post (missing RCI and categories).
    """

    data: pd.DataFrame
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
    alpha: float
    critical_value: float
    cutoff_type: str | None
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
    unpaired: tuple = ()

    title: ClassVar[str] = "Reliable change and clinical significance"

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of the summary table in display order."""
        if "category" in self.data.columns:
            if self.method == "ha":
                return tuple(c for c in CHANGE_CATEGORIES if c != "harmed")
            return CHANGE_CATEGORIES
        return RELIABLE_LABELS

    def _counts(self, column: str, labels: Sequence[str]) -> pd.DataFrame:
        values = self.data[column]
        denominator = int(values.notna().sum())
        rows = []
        for label in labels:
            n = int((values == label).sum())
            rows.append(
                (label, n, 100.0 * n / denominator if denominator else math.nan, denominator)
            )
        rows.append(("missing", int(values.isna().sum()), math.nan, None))
        table = pd.DataFrame(rows, columns=[column, "n", "percent", "denominator"])
        table["denominator"] = table["denominator"].astype("Int64")
        return table

    @property
    def summary(self) -> pd.DataFrame:
        """Counts per category (or reliable-change label when no cutoff is available).

        Columns ``category`` (or ``reliable``), ``n``, ``percent`` and ``denominator`` (the
        subjects with both scores); a last row ``missing`` counts the rest (no percent).
        """
        column = "category" if "category" in self.data.columns else "reliable"
        return self._counts(column, self.labels)

    @property
    def reliable_summary(self) -> pd.DataFrame:
        """Counts per reliable-change label (improved / unchanged / deteriorated)."""
        return self._counts("reliable", RELIABLE_LABELS)

    def notes(self) -> list[str]:
        lines = [
            f"Method: {self.method_name} ({self.method}); {self.direction} "
            f"(from {self.direction_source}).",
            f"Reliability {self.reliability:.4g} ({self.reliability_source}); SD pre "
            f"{self.sd_pre:.4g} ({self.sd_pre_source}); SEM {self.se_measurement:.4g}, "
            f"S_diff {self.s_diff:.4g}; |RCI| > {self.critical_value:.4g} (alpha {self.alpha:g}).",
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
        if self.unpaired:
            lines.append(
                f"{len(self.unpaired)} subject(s) lack pre or post and have missing categories: "
                f"{_listed(self.unpaired)}."
            )
        if math.isnan(self.r_pre_post):
            lines.append(
                "The pre-post correlation is missing: it needs at least 3 complete pairs and "
                f"pre and post scores that vary ({self.n_complete} pair(s) here)."
            )
        d = self.data
        zero = d["pct_change"].isna() & d["pre"].notna() & d["post"].notna()
        if zero.any():
            lines.append(
                f"pct_change is missing for {int(zero.sum())} subject(s) whose pre score is 0 "
                "or too close to 0."
            )
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


def _resolve_instrument(instrument: Any) -> Instrument | None:
    return None if instrument is None else load_instrument(instrument)


def _scale_direction(inst: Instrument, measure: str, what: str) -> str:
    if measure in inst.scales:
        return inst.scales[measure].direction
    raise ArgumentError(
        f"{what} must be a scale column of the {inst.id} spec ({', '.join(inst.scales)}); got "
        f"{measure!r}. Pass the scored column name, or leave instrument=None and pass direction=."
    )


def _resolve_direction(
    inst: Instrument | None, measure: str, direction: str | None
) -> tuple[str, str]:
    if direction is not None:
        check_option("direction", direction, DIRECTIONS)
    if inst is None:
        if direction is None:
            raise ArgumentError(
                "direction must be given when no instrument is; got neither. Pass "
                "instrument='phq9' (for example) or direction='lower-is-better'."
            )
        return direction, "argument"
    spec_direction = _scale_direction(inst, measure, "measure")
    if direction is not None and direction != spec_direction:
        raise ArgumentError(
            f"direction must agree with the {inst.id} spec, which declares {measure} "
            f"{spec_direction}; got {direction!r}. Drop direction= or correct the spec."
        )
    return spec_direction, f"{inst.id} spec"


def _cite(inst: Instrument, key: str) -> str:
    text = inst.sources.get(key)
    return f"{inst.id} spec, {key}: {text}" if text else f"{inst.id} spec, {key}"


def _positive(name: str, value: Any) -> float:
    return check_number(name, value, low=0, low_open=True)


def _finite(name: str, value: Any) -> float:
    return check_number(name, value)


def classify_change(
    data: pd.DataFrame,
    *,
    measure: str,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    instrument: Any = None,
    method: str = "jt",
    reliability: float | None = None,
    reliability_post: float | None = None,
    sd_pre: float | None = None,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    m_clinical: float | None = None,
    sd_clinical: float | None = None,
    cutoff: str = "c",
    direction: str | None = None,
    alpha: float = 0.05,
) -> ChangeClassification:
    """Reliable change and clinical significance of each subject's change from pre to post.

    Parameters
    ----------
    data
        Scored data in long form: one row per subject and timepoint.
    measure
        The score column (e.g. ``"phq9_total"``).
    subject, timepoint, pre, post
        As in :func:`compute_change`.
    instrument
        Instrument id or :class:`~past_outcomes.instrument.Instrument`. Supplies the
        direction of ``measure`` and defaults for the reliability and the clinical and
        functional populations (``instrument.change[measure]``), with their sources.
    method
        ``"jt"`` Jacobson-Truax, ``"gln"`` Gulliksen-Lord-Novick, ``"hll"`` Hsu-Lin-Lord,
        ``"en"`` Edwards-Nunnally, ``"nk"`` Nunnally-Kotsch, ``"ha"`` Hageman-Arrindell.
    reliability
        r_xx; overrides the spec. Required if the spec has none.
    reliability_post
        r_yy for NK (defaults to ``reliability``); ignored by the other methods.
    sd_pre
        SD for the standard error of measurement; defaults to the SD of the pre scores of
        the subjects with both scores (with a SampleEstimateWarning).
    m_functional, sd_functional
        Mean and SD of the functional (healthy) population; default to the spec.
    m_clinical, sd_clinical
        Mean and SD of the clinical population; default to the spec, else to the sample pre
        scores (with a SampleEstimateWarning).
    cutoff
        ``"a"``: 2 SD beyond the clinical mean; ``"b"``: within 2 SD of the functional mean;
        ``"c"``: the point between the two means weighted by the SDs.
    direction
        ``"higher-is-better"`` or ``"lower-is-better"``; required without ``instrument``.
    alpha
        Significance level of the RCI.

    Returns
    -------
    ChangeClassification
        Per-subject table in ``.data``, category counts in ``.summary`` and every value the
        classification rests on, with its source.

    Notes
    -----
    Formulas as in the R package clinicalsignificance 3.0 (Claus, Wager & Bonnet 2024,
    J Stat Softw 111(1)); ``M_pre, SD_pre, M_post, SD_post, r_pp`` are sample values over
    the subjects with both scores, ``dir`` is +1 when higher is better and -1 otherwise,
    ``SEM = SD_pre sqrt(1 - r_xx)``, ``S_diff = sqrt(2) SEM``:

    - JT: ``(post - pre) / S_diff``;
    - GLN: ``[(post - M_pre) - r_xx (pre - M_pre)] / (SD_pre sqrt(1 - r_xx^2))``;
    - HLL: ``[(post - M_post) - r_xx (pre - M_pre)] / (SD_pre sqrt(1 - r_xx^2))``;
    - EN: ``[post - (r_xx (pre - M_pre) + M_pre)] / SEM``;
    - NK: as EN over ``sqrt(r_xx^2 SD_pre^2 (1 - r_xx) + SD_pre^2 (1 - r_yy))``;
    - HA: ``[(post - pre) r_dd + (M_post - M_pre)(1 - r_dd)] / (sqrt(r_dd) S_diff)`` with
      ``r_dd = (SD_pre^2 r1 + SD_post^2 r2 - 2 SD_pre SD_post r_pp) / (SD_pre^2 + SD_post^2
      - 2 SD_pre SD_post r_pp)``, ``r1 = (SD_pre^2 - SEM^2)/SD_pre^2``, ``r2 = (SD_post^2 -
      SEM^2)/SD_post^2``.

    Reliably improved: ``dir * rci > crit``; deteriorated: ``dir * rci < -crit``.

    Cutoffs (Jacobson & Truax 1991): ``a = M_clin + dir 2 SD_clin``, ``b = M_func - dir 2
    SD_func``, ``c = (SD_clin M_func + SD_func M_clin) / (SD_clin + SD_func)``.
    **Cutoff b uses the functional SD as in Jacobson & Truax; the R package uses the
    clinical SD** (the two agree only when the SDs are equal). ``clinical_pre = dir pre <
    dir cutoff``, ``functional_post = dir post > dir cutoff``. Recovered: clinical at pre,
    functional at post and reliably improved; harmed: not clinical at pre, not functional at
    post and reliably deteriorated; improved / deteriorated: the other reliable changes.

    HA uses true-score cutoffs with ``SEM_c = SD_clin sqrt(1 - r_xx)`` and ``r_g = (SD_g^2 -
    SEM_c^2)/SD_g^2`` for g = clinical, functional, post: ``a = M_clin + dir 2 SD_clin
    sqrt(r_clin)``, ``b = M_func - dir 2 SD_func sqrt(r_func)`` (R: SD_clin sqrt(r_clin)),
    ``c = (SD_clin sqrt(r_clin) M_func + SD_func sqrt(r_func) M_clin) / (SD_clin
    sqrt(r_clin) + SD_func sqrt(r_func))``; ``functional_post = clinical_pre & dir CS >
    crit`` with ``CS = (M_post + (post - M_post) r_post - cutoff) / (sqrt(r_post) SEM_c)``;
    recovered = functional at post and reliably improved; there is no "harmed" category.
    """
    check_option("method", method, tuple(RCI_METHODS))
    check_option("cutoff", cutoff, CUTOFF_TYPES)
    alpha = check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    inst = _resolve_instrument(instrument)
    check_dataframe("data", data)
    check_columns(data, [measure], what="data")
    direction, direction_source = _resolve_direction(inst, measure, direction)
    criteria = inst.change.get(measure) if inst is not None else None

    # reliability
    if reliability is not None:
        r_xx = _check_reliability("reliability", reliability)
        r_source = "argument"
    elif criteria is not None and criteria.reliability is not None:
        r_xx = criteria.reliability.value
        r_source = _cite(inst, criteria.reliability.source)
    else:
        hint = ""
        if criteria is not None and criteria.reliable_change is not None:
            hint = (
                f" (The spec gives a reliable-change threshold of "
                f"{criteria.reliable_change.value:g} points, {criteria.reliable_change.source}, "
                "usable as a change rule in classify_responders.)"
            )
        where = f"the {inst.id} spec declares none for {measure}" if inst else "no instrument"
        raise ArgumentError(
            f"classify_change needs the reliability of {measure}; {where} and reliability= is "
            f"None. Pass reliability= (e.g. a published test-retest or internal-consistency "
            f"coefficient) with its source.{hint}"
        )
    r_yy, r_yy_source = None, None
    if method == "nk":
        if reliability_post is not None:
            r_yy, r_yy_source = _check_reliability("reliability_post", reliability_post), "argument"
        else:
            r_yy, r_yy_source = r_xx, "reliability (no reliability_post given)"

    for name, value in (("m_functional", m_functional), ("m_clinical", m_clinical)):
        if value is not None:
            _finite(name, value)
    for name, value in (
        ("sd_pre", sd_pre),
        ("sd_functional", sd_functional),
        ("sd_clinical", sd_clinical),
    ):
        if value is not None:
            _positive(name, value)
    if (m_clinical is None) != (sd_clinical is None):
        raise ArgumentError(
            "m_clinical and sd_clinical must be given together; got only "
            f"{'m_clinical' if sd_clinical is None else 'sd_clinical'}. Pass both or neither."
        )
    if (m_functional is None) != (sd_functional is None) and cutoff != "a":
        raise ArgumentError(
            "m_functional and sd_functional must be given together for cutoff "
            f"{cutoff!r}; got only {'m_functional' if sd_functional is None else 'sd_functional'}. "
            "Pass both."
        )

    paired = _pair(
        data,
        measure=measure,
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        caller="classify_change",
    )
    out = _change_columns(paired.table, subject)
    x = out["pre"].to_numpy()
    y = out["post"].to_numpy()
    complete = ~(np.isnan(x) | np.isnan(y))
    n_complete = int(complete.sum())
    xc, yc = x[complete], y[complete]
    sample_estimates: list[str] = []

    if n_complete < 2 and (sd_pre is None or method != "jt"):
        raise ArgumentError(
            f"classify_change needs at least 2 subjects with both {measure} scores to estimate "
            f"sample means and SDs; got {n_complete}. Check pre/post or pass sd_pre= (JT only)."
        )
    m_pre = float(np.mean(xc)) if n_complete else math.nan
    m_post = float(np.mean(yc)) if n_complete else math.nan
    sd_pre_sample = float(np.std(xc, ddof=1)) if n_complete > 1 else math.nan
    sd_post = float(np.std(yc, ddof=1)) if n_complete > 1 else math.nan
    if n_complete > 1 and no_spread(sd_pre_sample, xc):
        sd_pre_sample = 0.0  # rounding noise of equal scores, not a spread
    if n_complete > 1 and no_spread(sd_post, yc):
        sd_post = 0.0
    r_pp = math.nan
    if n_complete > 2 and sd_pre_sample > 0 and sd_post > 0:
        r_pp = float(np.clip(np.corrcoef(xc, yc)[0, 1], -1.0, 1.0))
    if sd_pre is not None:
        s_pre, s_pre_source = float(sd_pre), "argument"
    else:
        s_pre, s_pre_source = sd_pre_sample, "sample"
        sample_estimates.append(
            f"sd_pre = {s_pre:.6g} (SD of the {n_complete} complete pre scores)"
        )
        if not s_pre > 0:
            raise ArgumentError(
                f"sd_pre must be positive; the {n_complete} complete pre scores of {measure} "
                "all equal, so their SD is 0. Pass sd_pre= (e.g. a published SD)."
            )

    crit = (
        NormalDist().inv_cdf(1 - alpha) if method == "ha" else NormalDist().inv_cdf(1 - alpha / 2)
    )
    sem = s_pre * math.sqrt(1 - r_xx)
    s_diff = math.sqrt(2) * sem
    r_dd = None
    se_pred = s_pre * math.sqrt(1 - r_xx**2)
    if method == "jt":
        rci = (y - x) / s_diff
        center = (0.0, 1.0, s_diff)
    elif method == "gln":
        rci = ((y - m_pre) - r_xx * (x - m_pre)) / se_pred
        center = (m_pre * (1 - r_xx), r_xx, se_pred)
    elif method == "hll":
        rci = ((y - m_post) - r_xx * (x - m_pre)) / se_pred
        center = (m_post - r_xx * m_pre, r_xx, se_pred)
    elif method == "en":
        rci = (y - (r_xx * (x - m_pre) + m_pre)) / sem
        center = (m_pre * (1 - r_xx), r_xx, sem)
    elif method == "nk":
        denom = math.sqrt(r_xx**2 * s_pre**2 * (1 - r_xx) + s_pre**2 * (1 - r_yy))
        rci = (y - (r_xx * (x - m_pre) + m_pre)) / denom
        center = (m_pre * (1 - r_xx), r_xx, denom)
    else:  # ha
        if not (sd_post > 0) or math.isnan(r_pp):
            raise ArgumentError(
                "method 'ha' needs post scores that vary and at least 3 complete pairs (it uses "
                f"the pre-post correlation); got SD_post {sd_post:.4g} over {n_complete} pairs. "
                "Use method='jt'."
            )
        # the formula above divided through by SD_post^2 (q = SD_pre / SD_post), so that no
        # square of a score is formed: r1 = 1 - SEM^2 / SD_pre^2 = r_xx exactly
        q = s_pre / sd_post
        r1 = r_xx
        r2 = 1 - (1 - r_xx) * q**2
        cross = 2 * q * r_pp
        r_dd = (q**2 * r1 + r2 - cross) / (q**2 + 1 - cross)
        if not r_dd > 0:
            raise ArgumentError(
                "method 'ha' needs a positive reliability of the difference scores r_dd; got "
                f"{r_dd:.4g} from these data. Use method='jt'."
            )
        rci = ((y - x) * r_dd + (m_post - m_pre) * (1 - r_dd)) / (math.sqrt(r_dd) * s_diff)
        center = (-(m_post - m_pre) * (1 - r_dd) / r_dd, 1.0, s_diff / math.sqrt(r_dd))
    rci = np.where(complete, rci, np.nan)
    out["rci"] = rci
    sign = 1.0 if direction == "higher-is-better" else -1.0
    improved = complete & (sign * rci > crit)
    deteriorated = complete & (sign * rci < -crit)
    reliable = np.where(improved, "improved", np.where(deteriorated, "deteriorated", "unchanged"))
    out["reliable"] = pd.array(np.where(complete, reliable, None), dtype="string")

    # populations and cutoff
    clin_m = clin_sd = func_m = func_sd = None
    clin_source = func_source = None
    if m_clinical is not None:
        clin_m, clin_sd, clin_source = float(m_clinical), float(sd_clinical), "argument"
    elif criteria is not None and criteria.clinical is not None:
        c = criteria.clinical
        clin_m, clin_sd, clin_source = c.mean, c.sd, _cite(inst, c.source)
    if m_functional is not None and sd_functional is not None:
        func_m, func_sd, func_source = float(m_functional), float(sd_functional), "argument"
    elif m_functional is not None:  # cutoff a: only the functional mean was given; unused
        func_m, func_sd, func_source = None, None, None
    elif criteria is not None and criteria.functional is not None:
        f = criteria.functional
        func_m, func_sd, func_source = f.mean, f.sd, _cite(inst, f.source)
    needs_functional = cutoff in ("b", "c")
    needs_clinical = cutoff in ("a", "c") or method == "ha"
    cut = None
    if needs_functional and func_m is None:
        clin_m = clin_sd = clin_source = None
    else:
        if needs_clinical and clin_m is None:
            if n_complete < 2 or not sd_pre_sample > 0:
                raise ArgumentError(
                    "m_clinical and sd_clinical must be given when the sample cannot estimate "
                    f"them; got {n_complete} complete pairs. Pass m_clinical= and sd_clinical=."
                )
            clin_m, clin_sd, clin_source = m_pre, sd_pre_sample, "sample"
            sample_estimates.append(
                f"clinical population M = {clin_m:.6g}, SD = {clin_sd:.6g} (complete pre scores)"
            )
        if not needs_clinical:
            clin_m = clin_sd = clin_source = None
        if not needs_functional:
            func_m = func_sd = func_source = None
        if method == "ha":
            sem_c = clin_sd * math.sqrt(1 - r_xx)
            r_clin = (clin_sd**2 - sem_c**2) / clin_sd**2
            w_clin = clin_sd * math.sqrt(r_clin)
            if needs_functional:
                r_func = (func_sd**2 - sem_c**2) / func_sd**2
                if not r_func > 0:
                    raise ArgumentError(
                        "sd_functional must exceed the standard error of measurement of the HA "
                        f"true-score cutoff ({sem_c:.4g}); got {func_sd:.4g}. Use method='jt'."
                    )
                w_func = func_sd * math.sqrt(r_func)
            if cutoff == "a":
                cut = clin_m + sign * 2 * w_clin
            elif cutoff == "b":
                cut = func_m - sign * 2 * w_func
            else:
                cut = (w_clin * func_m + w_func * clin_m) / (w_clin + w_func)
        else:
            if cutoff == "a":
                cut = clin_m + sign * 2 * clin_sd
            elif cutoff == "b":
                cut = func_m - sign * 2 * func_sd
            else:
                cut = (clin_sd * func_m + func_sd * clin_m) / (clin_sd + func_sd)

    if cut is not None:
        has_pre, has_post = ~np.isnan(x), ~np.isnan(y)
        clinical_pre = sign * x < sign * cut
        if method == "ha":
            r_post = (sd_post**2 - sem_c**2) / sd_post**2
            if not r_post > 0:
                raise ArgumentError(
                    "method 'ha' needs SD_post above the standard error of measurement "
                    f"({sem_c:.4g}); got {sd_post:.4g}. Use method='jt'."
                )
            cs = (m_post + (y - m_post) * r_post - cut) / (math.sqrt(r_post) * sem_c)
            functional_post = clinical_pre & (sign * cs > crit)
            has_post = complete
            recovered = functional_post & improved
            harmed = np.zeros_like(improved)
        else:
            functional_post = sign * y > sign * cut
            recovered = clinical_pre & functional_post & improved
            harmed = ~clinical_pre & ~functional_post & deteriorated
        category = np.select(
            [recovered, improved, harmed, deteriorated],
            ["recovered", "improved", "harmed", "deteriorated"],
            default="unchanged",
        )
        out["clinical_pre"] = pd.array(np.where(has_pre, clinical_pre, None), dtype="boolean")
        out["functional_post"] = pd.array(
            np.where(has_post, functional_post, None), dtype="boolean"
        )
        out["category"] = pd.array(np.where(complete, category, None), dtype="string")

    if sample_estimates:
        warnings.warn(
            f"classify_change estimated from the sample: {'; '.join(sample_estimates)}. Pass "
            "published values (sd_pre=, m_clinical=, sd_clinical=) or declare them in the "
            "instrument spec to rely on a stated source.",
            SampleEstimateWarning,
            stacklevel=2,
        )

    return ChangeClassification(
        data=out,
        measure=measure,
        pre=pre,
        post=post,
        instrument=None if inst is None else inst.id,
        method=method,
        method_name=RCI_METHODS[method],
        direction=direction,
        direction_source=direction_source,
        reliability=float(r_xx),
        reliability_source=r_source,
        reliability_post=None if r_yy is None else float(r_yy),
        reliability_post_source=r_yy_source,
        sd_pre=float(s_pre),
        sd_pre_source=s_pre_source,
        m_pre=m_pre,
        m_post=m_post,
        sd_post=sd_post,
        r_pre_post=r_pp,
        se_measurement=sem,
        s_diff=s_diff,
        r_dd=r_dd,
        alpha=alpha,
        critical_value=crit,
        cutoff_type=cutoff,
        cutoff=None if cut is None else float(cut),
        m_clinical=clin_m if cut is not None else None,
        sd_clinical=clin_sd if cut is not None else None,
        clinical_source=clin_source if cut is not None else None,
        m_functional=func_m if cut is not None else None,
        sd_functional=func_sd if cut is not None else None,
        functional_source=func_source if cut is not None else None,
        sample_estimates=tuple(sample_estimates),
        center_intercept=float(center[0]),
        center_slope=float(center[1]),
        rci_scale=float(center[2]),
        n_subjects=len(out),
        n_complete=n_complete,
        unpaired=paired.unpaired,
    )


def _check_reliability(name: str, value: Any) -> float:
    return check_number(
        name, value, low=0, high=1, low_open=True, high_open=True,
        remedy="Pass a reliability coefficient such as Cronbach's alpha or a test-retest "
        "correlation.",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# classify_responders
# --------------------------------------------------------------------------------------------

_RULE_FIELDS = {f.name for f in dataclasses.fields(ResponderRule)}


def _rule_from_mapping(raw: Mapping[str, Any]) -> ResponderRule:
    unknown = sorted(set(raw) - _RULE_FIELDS)
    if unknown:
        raise ArgumentError(
            f"rule keys must be among {', '.join(sorted(_RULE_FIELDS))}; got unknown "
            f"{', '.join(map(repr, unknown))}. Check the spelling."
        )
    fields = dict(raw)
    fields.setdefault("id", "custom")
    fields.setdefault("label", "user-defined rule")
    fields.setdefault("source", "user-defined")
    if "scale" not in fields or "kind" not in fields:
        raise ArgumentError(
            "a user-defined rule must have 'scale' (the score column) and 'kind'; got keys "
            f"{', '.join(sorted(raw))}. Add them, e.g. {{'scale': 'phq9_total', 'kind': 'change', "
            "'threshold': 5}."
        )
    bands = []
    for b in fields.get("by_baseline") or ():
        if isinstance(b, BaselineThreshold):
            bands.append(b)
        elif isinstance(b, Mapping) and {"min", "max", "threshold"} <= set(b):
            bands.append(
                BaselineThreshold(
                    *(_finite(f"by_baseline[{len(bands)}].{k}", b[k])
                      for k in ("min", "max", "threshold")),
                    str(b.get("label", "")),
                )
            )  # fmt: skip
        else:
            raise ArgumentError(
                f"each by_baseline entry must have min, max and threshold (and a label); got {b!r}."
            )
    fields["by_baseline"] = tuple(bands)
    if fields.get("threshold") is not None:
        fields["threshold"] = _finite("threshold", fields["threshold"])
    return ResponderRule(**fields)


def _resolve_rule(inst: Instrument, rule: Any, overrides: dict[str, Any]) -> ResponderRule:
    from_spec = isinstance(rule, str) or (rule is None and inst.primary_responder_rule is not None)
    if rule is None:
        if inst.primary_responder_rule is not None:
            resolved = inst.responder_rules[inst.primary_responder_rule]
        elif overrides.get("scale") and overrides.get("kind"):
            resolved = _rule_from_mapping({"scale": overrides["scale"], "kind": overrides["kind"]})
        else:
            raise ArgumentError(
                f"rule must be given: the {inst.id} spec declares no primary responder rule; got "
                "rule=None. Pass rule= (a rule id, a ResponderRule or a dict) or measure=, kind= "
                "and threshold=."
            )
    elif isinstance(rule, ResponderRule):
        resolved = rule
    elif isinstance(rule, Mapping):
        resolved = _rule_from_mapping(rule)
    elif isinstance(rule, str):
        if rule not in inst.responder_rules:
            known = ", ".join(inst.responder_rules) or "none"
            raise ArgumentError(
                f"rule must be a responder rule of the {inst.id} spec ({known}); got {rule!r}. "
                "Pass one of these ids, or your own rule as a dict or ResponderRule."
            )
        resolved = inst.responder_rules[rule]
    else:
        raise ArgumentError(
            f"rule must be a rule id, a ResponderRule or a dict; got {type(rule).__name__}."
        )
    changes = {k: v for k, v in overrides.items() if v is not None}
    if changes:
        if "threshold" in changes:
            changes["threshold"] = _finite("threshold", changes["threshold"])
            changes["by_baseline"] = ()
        if from_spec:  # no longer the rule as cited: say so in its id
            changes["id"] = resolved.id + "+modified"
        resolved = dataclasses.replace(resolved, **changes)
    _validate_rule(resolved)
    return resolved


def _validate_rule(rule: ResponderRule) -> None:
    """Check the rule's options and every number in it (finite, bands with min <= max),
    whether it came from a spec, a ResponderRule, a dict or an override."""
    check_option("kind", rule.kind, RESPONDER_KINDS)
    if rule.threshold is not None:
        _finite(f"rule {rule.id!r} threshold", rule.threshold)
    for i, b in enumerate(rule.by_baseline):
        lo = _finite(f"rule {rule.id!r} by_baseline[{i}].min", b.min)
        hi = _finite(f"rule {rule.id!r} by_baseline[{i}].max", b.max)
        _finite(f"rule {rule.id!r} by_baseline[{i}].threshold", b.threshold)
        if lo > hi:
            raise ArgumentError(
                f"rule {rule.id!r} by_baseline[{i}] must have min <= max; got min={lo:g}, "
                f"max={hi:g}. Swap them."
            )
    if rule.operator is not None:
        check_option("operator", rule.operator, OPERATORS)
    if rule.kind == "endpoint":
        if rule.operator is None or rule.threshold is None:
            raise ArgumentError(
                f"an endpoint rule must have operator and threshold; got operator="
                f"{rule.operator!r}, threshold={rule.threshold!r}. "
                "Pass e.g. operator='<', threshold=5."
            )
    elif rule.threshold is None and not rule.by_baseline:
        raise ArgumentError(
            f"a {rule.kind} rule must have a threshold or by_baseline thresholds; got neither. "
            "Pass threshold=."
        )
    if rule.remission is not None:
        rem = rule.remission
        if not isinstance(rem, Mapping) or "operator" not in rem or "value" not in rem:
            raise ArgumentError(
                f"remission must be a dict with 'operator' and 'value'; got {rem!r}. "
                "Pass e.g. {'operator': '<=', 'value': 11}."
            )
        check_option("remission operator", rem["operator"], OPERATORS)
        _finite("remission value", rem["value"])


def classify_responders(
    data: pd.DataFrame,
    *,
    instrument: Any,
    rule: Any = None,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    measure: str | None = None,
    threshold: float | None = None,
    kind: str | None = None,
    operator: str | None = None,
    diagnosis: str | None = None,
    remission: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Apply a responder rule to each subject's change from ``pre`` to ``post``.

    Parameters
    ----------
    data
        Scored data in long form (one row per subject and timepoint).
    instrument
        Instrument id or :class:`~past_outcomes.instrument.Instrument`; gives the rules and the
        direction of the scale.
    rule
        ``None`` for the spec's primary rule, a rule id of the spec (``"response50"``), or a
        user-defined :class:`~past_outcomes.instrument.ResponderRule` or dict with the same
        fields (``scale, kind, threshold, operator, by_baseline, diagnosis, remission, id,
        label, source``).
    subject, timepoint, pre, post
        As in :func:`compute_change`.
    measure, threshold, kind, operator, diagnosis, remission
        Override the rule's ``scale`` (the score column), threshold (clears ``by_baseline``),
        kind (``change``, ``percent_change``, ``endpoint``), operator, diagnosis column
        (classification column at post, e.g. ``"caps5_dx"``) and remission condition.

    Returns
    -------
    DataFrame
        One row per subject: ``<subject>, pre, post, change, improvement`` (``dir * change``:
        positive is better), ``pct_improvement`` (percent-change rules: ``100 * improvement /
        pre``, missing where pre is 0), ``baseline_band`` (by-baseline rules),
        ``threshold`` (per subject when it depends on the baseline), ``diagnosis_post``
        (rules with a diagnosis), ``responder`` (nullable boolean: missing when pre or post is
        missing or the rule does not apply at that baseline), ``category`` (rules with a
        diagnosis or remission condition; labels :data:`MAPP_CATEGORIES`) and ``rule``.
        ``attrs`` hold ``rule, label, source, citation, instrument, measure, direction, kind,
        unpaired_subjects``.

    Notes
    -----
    - ``change`` rules: responder when ``improvement >= threshold`` (or ``improvement
      <operator> threshold``); ``percent_change``: ``pct_improvement >= threshold``;
      ``endpoint``: ``post <operator> threshold``.
    - By-baseline thresholds (IIEF EF, Rosen 2011): the band whose ``[min, max]`` holds the
      baseline gives the threshold; a baseline in no band (EF 26-30, no ED) makes the rule
      not applicable (``responder`` missing).
    - Diagnosis rules (CAPS-5 ``mapp``): ``non-response`` when the improvement is below the
      threshold; otherwise ``response`` if the diagnosis is still met at post, ``loss of
      diagnosis`` if not, and ``remission`` if not and the post total meets the remission
      condition (e.g. ``<= 11``). ``responder`` is true for the last three. If the diagnosis
      at post is missing for a subject who improved enough, ``responder`` is true and
      ``category`` missing.
    """
    inst = load_instrument(instrument)
    overrides = {
        "scale": measure,
        "threshold": threshold,
        "kind": kind,
        "operator": operator,
        "diagnosis": diagnosis,
        "remission": None if remission is None else dict(remission),
    }
    if threshold is not None:
        _finite("threshold", threshold)
    resolved = _resolve_rule(inst, rule, overrides)
    column = resolved.scale
    check_dataframe("data", data)
    direction = _scale_direction(inst, column, "the rule's scale (measure)")
    check_columns(data, [column], what="data")
    if resolved.diagnosis is not None and resolved.diagnosis not in data.columns:
        raise ArgumentError(
            f"rule {resolved.id!r} needs the diagnosis column {resolved.diagnosis!r} at post; it "
            f"is not in the data. Score the items with past_outcomes.score(data, {inst.id!r}) "
            "first, which adds it, or pass diagnosis= naming your column."
        )
    post_columns = [resolved.diagnosis] if resolved.diagnosis is not None else []
    paired = _pair(
        data,
        measure=column,
        subject=subject,
        timepoint=timepoint,
        pre=pre,
        post=post,
        post_columns=post_columns,
        caller="classify_responders",
    )
    table = paired.table
    x = table["pre"].to_numpy(dtype=float)
    y = table["post"].to_numpy(dtype=float)
    complete = ~(np.isnan(x) | np.isnan(y))
    sign = 1.0 if direction == "higher-is-better" else -1.0
    change = y - x
    improvement = sign * change
    out = pd.DataFrame(
        {
            subject: table[subject].to_numpy(),
            "pre": x,
            "post": y,
            "change": change,
            "improvement": improvement,
        }
    )

    applicable = complete.copy()
    if resolved.by_baseline:
        thr = np.full(len(out), np.nan)
        band = np.full(len(out), None, dtype=object)
        for b in resolved.by_baseline:
            inside = (x >= b.min) & (x <= b.max) & np.isnan(thr)
            thr[inside] = b.threshold
            band[inside] = b.label
        out["baseline_band"] = pd.array(band, dtype="string")
        applicable &= ~np.isnan(thr)
    else:
        thr = np.full(len(out), float(resolved.threshold))
    out["threshold"] = thr

    op = OPERATORS[resolved.operator or ">="]
    with np.errstate(invalid="ignore", divide="ignore"):
        if resolved.kind == "change":
            met = op(improvement, thr)
        elif resolved.kind == "percent_change":
            pct = _percent(improvement, x)
            out["pct_improvement"] = pct
            applicable &= ~np.isnan(pct)
            met = op(pct, thr)
        else:  # endpoint
            met = op(y, thr)
    met = np.asarray(met, dtype=bool) & applicable

    responder = met.copy()
    if resolved.diagnosis is not None or resolved.remission is not None:
        dx_known = np.ones(len(out), bool)
        dx_post = np.ones(len(out), bool)
        if resolved.diagnosis is not None:
            raw_dx = table[f"{resolved.diagnosis}@post"]
            try:
                dx = pd.array(raw_dx, dtype="boolean")
            except (TypeError, ValueError):
                raise ArgumentError(
                    f"{resolved.diagnosis} must be boolean (diagnosis met: True/False); got values "
                    f"such as {_listed(pd.unique(raw_dx.dropna())[:5])}. Score the data with "
                    "past_outcomes.score first."
                ) from None
            out["diagnosis_post"] = dx
            dx_known = ~np.asarray(dx.isna())
            dx_post = np.asarray(dx.fillna(False), dtype=bool)
        if resolved.remission is not None:
            rem_op = OPERATORS[resolved.remission["operator"]]
            with np.errstate(invalid="ignore"):
                in_remission = np.asarray(rem_op(y, float(resolved.remission["value"])), dtype=bool)
        else:
            in_remission = np.zeros(len(out), bool)
        if resolved.diagnosis is not None:
            lost = ~dx_post
            category = np.select(
                [~met, dx_post, lost & in_remission, lost],
                ["non-response", "response", "remission", "loss of diagnosis"],
                default="non-response",
            )
            known = applicable & (~met | dx_known)
        else:
            category = np.select(
                [~met, in_remission], ["non-response", "remission"], default="response"
            )
            known = applicable
        out["category"] = pd.array(np.where(known, category, None), dtype="string")
    out["responder"] = pd.array(np.where(applicable, responder, None), dtype="boolean")
    out["rule"] = pd.array([resolved.id] * len(out), dtype="string")

    out.attrs.update(
        {
            "rule": resolved.id,
            "label": resolved.label,
            "kind": resolved.kind,
            "source": resolved.source,
            "citation": inst.sources.get(resolved.source, resolved.source),
            "instrument": inst.id,
            "measure": column,
            "direction": direction,
            "pre": pre,
            "post": post,
            "unpaired_subjects": list(paired.unpaired),
            "notes": _missing_notes(out, paired.unpaired, "pct_improvement")
            + (
                [
                    f"responder is missing for {int(not_applicable)} subject(s) whose baseline "
                    "lies in no by_baseline band (the rule does not apply to them)."
                ]
                if (not_applicable := int((complete & ~applicable).sum())) and resolved.by_baseline
                else []
            ),
        }
    )
    return out


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
    ax: Any = None,
    *,
    color_by: str | None = None,
    show_band: bool = True,
    show_cutoff: bool = True,
    title: str | None = None,
) -> Any:
    """Pre-versus-post scatter of a :class:`ChangeClassification`.

    Draws the identity line, the shaded band of no reliable change (``|post - center(pre)|
    <= crit * rci_scale``; for JT ``|post - pre| < crit * S_diff``), dashed cutoff lines on
    both axes when a cutoff exists, and the subjects with both scores coloured by
    ``category`` (or ``reliable``). The region of improvement (below the identity line when
    lower is better, above when higher is better) is labelled.

    Parameters
    ----------
    result
        The output of :func:`classify_change`.
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

    df = result.data
    if color_by is None:
        color_by = "category" if "category" in df.columns else "reliable"
    check_option("color_by", color_by, [c for c in ("category", "reliable") if c in df.columns])
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.5))

    ok = df["rci"].notna().to_numpy()
    x = df["pre"].to_numpy()[ok]
    y = df["post"].to_numpy()[ok]
    labels = df[color_by].to_numpy(dtype=object)[ok]
    values = np.concatenate([x, y, [result.cutoff] if result.cutoff is not None else []])
    if values.size:
        lo, hi = float(np.min(values)), float(np.max(values))
    else:
        lo, hi = 0.0, 1.0
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    lo, hi = lo - pad, hi + pad
    grid = np.array([lo, hi])
    ax.plot(grid, grid, color="black", lw=1, zorder=1, label="no change")
    if show_band:
        center = result.center_intercept + result.center_slope * grid
        half = result.critical_value * result.rci_scale
        ax.fill_between(
            grid,
            center - half,
            center + half,
            color="0.85",
            alpha=0.7,
            lw=0,
            zorder=0,
            label="no reliable change",
        )
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
                x[mask],
                y[mask],
                s=28,
                color=_COLOURS[label],
                edgecolor="black",
                linewidth=0.4,
                zorder=3,
                label=f"{label} ({int(mask.sum())})",
            )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"{result.measure} at {result.pre}")
    ax.set_ylabel(f"{result.measure} at {result.post}")
    better_below = result.direction == "lower-is-better"
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
    ax.set_title(title if title is not None else f"{result.measure}: {result.method_name} RCI")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    return ax
