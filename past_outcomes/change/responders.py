"""Responders: rules declared in an instrument spec (or by the user) applied to each subject.

The rules themselves (kinds, resolution, validation, eligibility) are read in
:mod:`past_outcomes.change.rules`; this module applies a single-visit rule in named steps:

- :func:`per_subject` builds the table a rule is judged on (pre, post, change, improvement);
- :func:`_thresholds`: thresholds by baseline severity (IIEF EF, Rosen 2011);
- :func:`apply_rule`: the rule's baseline condition (``eligible``: NCQA applies PHQ-9
  response and remission only from a baseline >= 10; an ineligible subject is "not
  eligible", never a responder), its threshold and where it applies;
- :func:`_categories`: the MAPP categories (non-response / response / loss of diagnosis /
  remission; Mitchell 2023), remission conditions and "not eligible";
- :func:`classify_responders` -> :class:`ResponderResult`, whose ``.counts`` give each
  category's count and rate with a Wilson interval, and :func:`plot_responders`.

Multi-visit kinds (``sustained``, ``durable``) are applied by
:mod:`past_outcomes.change.visits` with the same steps at each visit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_number
from past_outcomes.change.difference import (
    listed,
    missing_notes,
    pair_scores,
    scale_direction,
    with_missing,
)
from past_outcomes.change.rules import (
    RULE_KINDS,
    Resolved,
    condition_text,
    eligibility,
    resolve_rule,
)
from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import (
    MULTI_VISIT_KINDS,
    OPERATORS,
    Instrument,
    ResponderRule,
    load_instrument,
)
from past_outcomes.results import ResultBase, excluded_frame

__all__ = [
    "ResponderResult",
    "classify_responders",
    "plot_responders",
    "RULE_KINDS",
    "MAPP_CATEGORIES",
    "NOT_ELIGIBLE",
]

#: Labels of the responder ``category`` column of a rule with a diagnosis condition.
MAPP_CATEGORIES = ("non-response", "response", "loss of diagnosis", "remission")
#: Labels of the ``category`` column of a rule with a remission condition only.
REMISSION_CATEGORIES = ("non-response", "response", "remission")
#: Labels of the ``category`` column of a rule with a baseline condition (``eligible``) but
#: neither a diagnosis nor a remission condition.
ELIGIBILITY_CATEGORIES = ("non-responder", "responder")
#: The category of a subject whose baseline does not meet the rule's ``eligible`` condition.
NOT_ELIGIBLE = "not eligible"


# --------------------------------------------------------------------------------------------
# applying a rule: named steps
# --------------------------------------------------------------------------------------------


def per_subject(
    subjects: Any, x: np.ndarray, y: np.ndarray, sign: float, subject: str
) -> pd.DataFrame:
    """``<subject>, pre, post, change, improvement`` (``improvement = sign * change``)."""
    return pd.DataFrame(
        {subject: subjects, "pre": x, "post": y, "change": y - x, "improvement": sign * (y - x)}
    )


def _thresholds(
    rule: ResponderRule, x: np.ndarray, table: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """The threshold per subject and where the rule applies by baseline. By-baseline rules:
    the first band whose ``[min, max]`` holds the baseline; a baseline in no band (EF 26-30,
    no ED) makes the rule not applicable. Adds ``baseline_band`` to ``table``."""
    if not rule.by_baseline:
        assert rule.threshold is not None  # validate_rule
        return np.full(len(x), float(rule.threshold)), np.ones(len(x), bool)
    thr = np.full(len(x), np.nan)
    band = np.full(len(x), None, dtype=object)
    for b in rule.by_baseline:
        inside = (x >= b.min) & (x <= b.max) & np.isnan(thr)
        thr[inside] = b.threshold
        band[inside] = b.label
    table["baseline_band"] = pd.array(band, dtype="string")
    return thr, ~np.isnan(thr)


@dataclasses.dataclass(frozen=True)
class RuleFit:
    """Where a rule applies and is met, per subject (boolean arrays).

    ``complete``: both scores; ``eligible``: the baseline meets the rule's ``eligible``
    condition (True without one; False where pre is missing); ``in_band``: the baseline lies
    in a band of a by-baseline rule; ``applicable``: all of these and a defined compared
    quantity; ``met``: the rule is met (False where it does not apply).
    """

    met: np.ndarray
    applicable: np.ndarray
    eligible: np.ndarray
    in_band: np.ndarray
    complete: np.ndarray


def apply_rule(rule: ResponderRule, table: pd.DataFrame) -> RuleFit:
    """Judge a single-visit rule on ``table`` (:func:`per_subject`). Adds ``threshold``,
    ``eligible`` (rules with a baseline condition; missing where pre is missing) and the
    compared quantity's column (:data:`~past_outcomes.change.rules.RULE_KINDS`)."""
    x, y = table["pre"].to_numpy(dtype=float), table["post"].to_numpy(dtype=float)
    complete = ~(np.isnan(x) | np.isnan(y))
    thr, in_band = _thresholds(rule, x, table)
    table["threshold"] = thr
    eligible = eligibility(rule, x)
    if rule.eligible is not None:
        table["eligible"] = with_missing(eligible, ~np.isnan(x), "boolean")
    kind = RULE_KINDS[rule.kind]
    compared = kind.compared(x, y, table["improvement"].to_numpy(dtype=float))
    if kind.column is not None:
        table[kind.column] = compared
    applicable = complete & in_band & eligible & ~np.isnan(compared)
    with np.errstate(invalid="ignore", divide="ignore"):
        met = np.asarray(OPERATORS[rule.operator or ">="](compared, thr), dtype=bool)
    return RuleFit(met & applicable, applicable, eligible, in_band, complete)


def has_categories(rule: ResponderRule) -> bool:
    """Whether the rule's table has a ``category`` column."""
    return any(v is not None for v in (rule.diagnosis, rule.remission, rule.eligible))


def category_labels(rule: ResponderRule) -> tuple[str, ...]:
    """The labels of the rule's ``category`` column counted in ``.counts`` (besides
    :data:`NOT_ELIGIBLE`); empty when they repeat the responder / non-responder rows."""
    if rule.diagnosis is not None:
        return MAPP_CATEGORIES
    if rule.remission is not None:
        return REMISSION_CATEGORIES
    return ()


def _diagnosis_at_post(
    rule: ResponderRule, paired_rows: pd.DataFrame, subjects: pd.Index, *, subject: str,
    timepoint: str, post: Any,
) -> Any:  # fmt: skip
    """The rule's diagnosis column at post per subject, as a nullable boolean array."""
    assert rule.diagnosis is not None
    at_post = paired_rows.loc[(paired_rows[timepoint] == post).to_numpy()].set_index(subject)
    raw = at_post[rule.diagnosis].reindex(subjects)
    try:
        return pd.array(raw.to_numpy(), dtype="boolean")
    except (TypeError, ValueError):
        raise ArgumentError(
            f"{rule.diagnosis} must be boolean (diagnosis met: True/False); got values "
            f"such as {listed(pd.unique(raw.dropna())[:5])}. Score the data with "
            "past_outcomes.score first."
        ) from None


def _categories(rule: ResponderRule, fit: RuleFit, x: np.ndarray, y: np.ndarray, dx: Any) -> Any:
    """MAPP categories (rules with a diagnosis): ``non-response`` when the rule is not met;
    otherwise ``response`` if the diagnosis is still met at post, ``loss of diagnosis`` if
    not, ``remission`` if not and the post score meets the remission condition. Rules with
    a remission condition only: non-response / response / remission; with a baseline
    condition only: non-responder / responder. :data:`NOT_ELIGIBLE` wherever the baseline
    fails the rule's ``eligible`` condition (decided from pre alone). Missing (None) where
    the rule does not apply otherwise, or it is met and the diagnosis at post is unknown."""
    met, applicable = fit.met, fit.applicable
    n = len(y)
    if rule.remission is not None:
        rem_op = OPERATORS[rule.remission["operator"]]
        with np.errstate(invalid="ignore"):
            in_remission = np.asarray(rem_op(y, float(rule.remission["value"])), dtype=bool)
    else:
        in_remission = np.zeros(n, bool)
    if rule.diagnosis is None and rule.remission is None:
        category = np.where(met, "responder", "non-responder")
        keep = applicable
    elif dx is None:
        category = np.select([~met, in_remission], ["non-response", "remission"], "response")
        keep = applicable
    else:
        dx_known = ~np.asarray(dx.isna())
        dx_post = np.asarray(dx.fillna(False), dtype=bool)
        lost = ~dx_post
        category = np.select(
            [~met, dx_post, lost & in_remission, lost],
            ["non-response", "response", "remission", "loss of diagnosis"],
            default="non-response",
        )
        keep = applicable & (~met | dx_known)
    ineligible = ~fit.eligible & ~np.isnan(x)
    category = np.where(ineligible, NOT_ELIGIBLE, category)
    return with_missing(category, keep | ineligible, "string")


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------

COUNT_COLUMNS = ["category", "n", "denominator", "rate", "ci_low", "ci_high"]


def _rate_row(label: str, k: int, n: int, confidence: float) -> dict[str, Any]:
    """A count with its rate and Wilson score interval (statsmodels ``proportion_confint``)."""
    if n == 0:
        return dict(zip(COUNT_COLUMNS, [label, k, n, math.nan, math.nan, math.nan], strict=True))
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    return dict(zip(COUNT_COLUMNS, [label, k, n, k / n, float(low), float(high)], strict=True))


def count_responders(
    table: pd.DataFrame, confidence: float, labels: Sequence[str] = (), eligibility: bool = False
) -> pd.DataFrame:
    """Rows ``responder`` and ``non-responder`` (denominator: subjects for whom the rule
    could be evaluated), then one row per category of ``labels`` (denominator: subjects with
    one of these categories) and, for rules with a baseline condition, a row
    :data:`NOT_ELIGIBLE` (denominator: subjects with a baseline score):
    ``category, n, denominator, rate, ci_low, ci_high``."""
    flags = table["responder"]
    n = int(flags.notna().sum())
    k = int(flags.fillna(False).sum())
    rows = [
        _rate_row("responder", k, n, confidence),
        _rate_row("non-responder", n - k, n, confidence),
    ]
    if labels:
        category = table["category"]
        known = int(category.isin(list(labels)).sum())
        for label in labels:
            rows.append(_rate_row(label, int((category == label).sum()), known, confidence))
    if eligibility:
        not_eligible = int((table["category"] == NOT_ELIGIBLE).sum())
        rows.append(
            _rate_row(NOT_ELIGIBLE, not_eligible, int(table["pre"].notna().sum()), confidence)
        )
    counts = pd.DataFrame(rows, columns=COUNT_COLUMNS)
    return counts.astype({"n": "int64", "denominator": "int64"})


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ResponderResult(ResultBase):
    """Result of :func:`classify_responders`.

    Attributes
    ----------
    table : DataFrame
        One row per subject: ``<subject>, pre, post, change, improvement`` (``dir * change``:
        positive is better), ``post_timepoint`` (with ``post="latest"``: the timepoint each
        subject's post score comes from), ``baseline_band`` (by-baseline rules),
        ``threshold`` (per subject), ``eligible`` (rules with a baseline condition: whether
        the baseline meets it), ``pct_improvement`` (percent-change rules: ``100 *
        improvement / pre``, missing where pre is 0), ``diagnosis_post`` (rules with a
        diagnosis), ``category`` (rules with a diagnosis, remission or baseline condition;
        labels :data:`MAPP_CATEGORIES`, :data:`REMISSION_CATEGORIES` or
        :data:`ELIGIBILITY_CATEGORIES`, and :data:`NOT_ELIGIBLE`), ``responder`` (nullable
        boolean: missing when pre or post is missing or the rule does not apply at that
        baseline) and ``rule``. Multi-visit rules (:mod:`past_outcomes.change.visits`) have
        their own columns.
    counts : DataFrame
        ``category, n, denominator, rate, ci_low, ci_high``: rows ``responder`` and
        ``non-responder`` over the subjects the rule could be evaluated for, then, for rules
        with categories, one row per category over the subjects with one of them, and for
        rules with a baseline condition a row ``not eligible`` over the subjects with a
        baseline score. The interval is the Wilson score interval at ``confidence``.
    rule, label, kind, source, citation : str
        The rule applied (id, text, kind) and its source with the citation text.
    instrument, measure, direction : str
        The instrument, the score column (the rule's scale) and its direction.
    pre, post : Any
        The timepoints compared.
    confidence : float
        Confidence level of the intervals in ``counts``.
    excluded : DataFrame
        Subjects whose responder status is missing, once each: ``no-pre``, ``no-post``,
        ``no-data`` (from pairing) and ``not-eligible`` (a baseline failing the rule's
        condition, a baseline in no band of a by-baseline rule, or a percent change
        undefined at a baseline of 0). They keep their row in ``table``.
    note_lines : tuple of str
        Shown by :meth:`notes`; they say when the rule is not verified against its source.
    followup : tuple
        The follow-up timepoints of a multi-visit rule (empty otherwise).
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    rule: str
    label: str
    kind: str
    source: str
    citation: str
    instrument: str
    measure: str
    direction: str
    pre: Any
    post: Any
    confidence: float
    excluded: pd.DataFrame = dataclasses.field(default_factory=excluded_frame)
    note_lines: tuple[str, ...] = ()
    followup: tuple[Any, ...] = ()

    title = "Responders"

    def notes(self) -> list[str]:
        return list(self.note_lines)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The rates with their intervals: :func:`plot_responders` of this result."""
        return plot_responders(self, ax=ax, **kwargs)


def not_eligible_rows(
    rule: ResponderRule, table: pd.DataFrame, fit: RuleFit, subject: str
) -> pd.DataFrame:
    """``.excluded`` rows of the subjects with both scores the rule does not apply to."""
    out = fit.complete & ~fit.applicable
    pre = table["pre"].to_numpy(dtype=float)
    rows = []
    for i in np.flatnonzero(out):
        if not fit.eligible[i]:
            assert rule.eligible is not None
            detail = f"baseline {pre[i]:g} fails the rule's condition pre {condition_text(rule.eligible)}"
        elif not fit.in_band[i]:
            detail = "baseline in no by_baseline band"
        else:
            detail = "percent change undefined at a baseline of 0"
        rows.append({"subject": table[subject].iloc[i], "reason": "not-eligible", "detail": detail})
    return excluded_frame(rows)


def rule_notes(inst: Instrument, resolved: Resolved, confidence: float) -> list[str]:
    """The rule as text with its source, the rates' intervals, and whether it is verified."""
    rule = resolved.visit_rule
    op = rule.operator or ">="
    threshold = "the threshold of its baseline band" if rule.by_baseline else f"{rule.threshold:g}"
    citation = inst.sources.get(rule.source, rule.source).strip().rstrip(".")
    text = (
        f"Rule {rule.id} ({rule.label}): responder when {RULE_KINDS[rule.kind].description} "
        f"{op} {threshold}"
    )
    if rule.eligible is not None:
        text += f", for a baseline pre {condition_text(rule.eligible)} (others: {NOT_ELIGIBLE})"
    notes = [
        f"{text}. Source: {citation}.",
        f"Rates are over the subjects the rule could be evaluated for; intervals are Wilson "
        f"score intervals at confidence {confidence:g}.",
    ]
    for r in resolved.unverified:
        notes.append(
            f"Rule {r.id} is not verified against its primary source: report results resting "
            f"on it as such." + (f" {r.note}" if r.note else "")
        )
    return notes


def _responder_notes(
    resolved: Resolved, inst: Instrument, table: pd.DataFrame, unpaired: list, fit: RuleFit,
    confidence: float,
) -> list[str]:  # fmt: skip
    rule = resolved.visit_rule
    notes = rule_notes(inst, resolved, confidence)
    notes += missing_notes(table, unpaired, "pct_improvement")
    no_band = int((fit.complete & fit.eligible & ~fit.in_band).sum())
    if no_band and rule.by_baseline:
        notes.append(
            f"responder is missing for {no_band} subject(s) whose baseline lies in no "
            "by_baseline band (the rule does not apply to them)."
        )
    if rule.eligible is not None:
        pre = table["pre"].to_numpy(dtype=float)
        ineligible = int((~fit.eligible & ~np.isnan(pre)).sum())
        if ineligible:
            notes.append(
                f"{ineligible} subject(s) with a baseline failing pre "
                f"{condition_text(rule.eligible)} are '{NOT_ELIGIBLE}': responder is missing "
                "for them and they are not in the rates' denominators."
            )
    if "diagnosis_post" in table:
        unknown = int((table["responder"].fillna(False) & table["category"].isna()).sum())
        if unknown:
            notes.append(
                f"category is missing for {unknown} responder(s) whose diagnosis at post is "
                "missing (response or loss of diagnosis cannot be told apart)."
            )
    if not int(table["responder"].notna().sum()):
        notes.append("No subject could be evaluated: the rates and intervals are missing.")
    return notes


# --------------------------------------------------------------------------------------------
# classify_responders
# --------------------------------------------------------------------------------------------


def classify_responders(
    data: pd.DataFrame,
    *,
    instrument: Any,
    measure: str | None = None,
    rule: Any = None,
    subject: str = "subject",
    timepoint: str = "timepoint",
    pre: Any,
    post: Any,
    followup: Any = None,
    threshold: float | None = None,
    kind: str | None = None,
    operator: str | None = None,
    diagnosis: str | None = None,
    remission: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
) -> ResponderResult:
    """Apply a responder rule to each subject's change from ``pre`` to ``post``.

    Parameters
    ----------
    data
        Scored data in long form (one row per subject and timepoint).
    instrument
        Instrument id or :class:`~past_outcomes.instrument.Instrument`; gives the rules and the
        direction of the scale.
    measure
        The score column; overrides the rule's ``scale``.
    rule
        ``None`` for the spec's primary rule, a rule id of the spec (``"response50"``), or a
        user-defined :class:`~past_outcomes.instrument.ResponderRule` or dict with the same
        fields (``scale, kind, threshold, operator, by_baseline, diagnosis, remission,
        eligible, verification, base_rule, id, label, source``).
    subject, timepoint, pre, post
        As in :func:`~past_outcomes.change.difference.compute_change`; ``post="latest"``
        pairs each subject's pre score with that subject's most recent score after pre
        (column ``post_timepoint``).
    followup
        Multi-visit rules only (``kind="sustained"`` or ``"durable"``): the later timepoint
        or timepoints, in visit order (:func:`past_outcomes.change.visits.classify_visits`).
    threshold, kind, operator, diagnosis, remission
        Override the rule's threshold (clears ``by_baseline``), kind (``change``,
        ``percent_change``, ``endpoint``; ``sustained`` or ``durable`` repeat the rule at
        ``post`` and the ``followup`` visits), operator, diagnosis column (classification
        column at post, e.g. ``"caps5_dx"``) and remission condition.
    confidence
        Confidence level of the Wilson intervals of the rates in ``.counts``.

    Returns
    -------
    ResponderResult
        ``.table`` per subject, ``.counts`` (each category's count and rate with a Wilson
        interval), ``.excluded``, ``.notes()`` and ``.plot()``.

    Notes
    -----
    - ``change`` rules: responder when ``improvement >= threshold`` (or ``improvement
      <operator> threshold``); ``percent_change``: ``pct_improvement >= threshold``;
      ``endpoint``: ``post <operator> threshold`` (:data:`RULE_KINDS`).
    - Baseline conditions (``eligible``; PHQ-9 response and remission from a baseline >= 10,
      NCQA): a subject whose pre score fails it is :data:`NOT_ELIGIBLE` (``category``), with
      ``responder`` missing, never a response or a remission.
    - By-baseline thresholds (IIEF EF, Rosen 2011): the band whose ``[min, max]`` holds the
      baseline gives the threshold; a baseline in no band (EF 26-30, no ED) makes the rule
      not applicable (``responder`` missing).
    - Diagnosis rules (CAPS-5 ``mapp``): ``non-response`` when the improvement is below the
      threshold; otherwise ``response`` if the diagnosis is still met at post, ``loss of
      diagnosis`` if not, and ``remission`` if not and the post total meets the remission
      condition (e.g. ``<= 11``). ``responder`` is true for the last three. If the diagnosis
      at post is missing for a subject who improved enough, ``responder`` is true and
      ``category`` missing.
    - A rule the spec marks ``verification: unverified`` (the MAPP definitions) is named as
      such in ``.notes()``.
    """
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True
    )
    inst = load_instrument(instrument)
    if threshold is not None:
        check_number("threshold", threshold)
    overrides = {
        "scale": measure, "threshold": threshold, "kind": kind, "operator": operator,
        "diagnosis": diagnosis, "remission": None if remission is None else dict(remission),
    }  # fmt: skip
    resolved = resolve_rule(inst, rule, overrides)
    check_dataframe("data", data)
    if resolved.rule.kind in MULTI_VISIT_KINDS:
        from past_outcomes.change.visits import classify_visits

        return classify_visits(
            data, inst=inst, resolved=resolved, subject=subject, timepoint=timepoint, pre=pre,
            post=post, followup=followup, confidence=confidence,
        )  # fmt: skip
    if followup is not None:
        raise ArgumentError(
            f"followup is used only by multi-visit rules (kind 'sustained' or 'durable'); got "
            f"followup={followup!r} with the {resolved.rule.kind} rule {resolved.rule.id!r}. "
            "Pass kind='sustained' or kind='durable', or drop followup."
        )
    return _classify_one_visit(
        data, inst=inst, resolved=resolved, subject=subject, timepoint=timepoint, pre=pre,
        post=post, confidence=confidence,
    )  # fmt: skip


def check_rule_columns(data: pd.DataFrame, inst: Instrument, rule: ResponderRule) -> str:
    """The rule's scale direction, after checking its columns are in ``data``."""
    direction = scale_direction(inst, rule.scale, "the rule's scale (measure)")
    check_columns(data, [rule.scale], what="data")
    if rule.diagnosis is not None and rule.diagnosis not in data.columns:
        raise ArgumentError(
            f"rule {rule.id!r} needs the diagnosis column {rule.diagnosis!r} at post; it "
            f"is not in the data. Score the items with past_outcomes.score(data, {inst.id!r}) "
            "first, which adds it, or pass diagnosis= naming your column."
        )
    return direction


def _classify_one_visit(
    data: pd.DataFrame, *, inst: Instrument, resolved: Resolved, subject: str, timepoint: str,
    pre: Any, post: Any, confidence: float,
) -> ResponderResult:  # fmt: skip
    """:func:`classify_responders` for a single-visit rule."""
    rule = resolved.rule
    column = rule.scale
    direction = check_rule_columns(data, inst, rule)
    paired = pair_scores(
        data, measure=column, subject=subject, timepoint=timepoint, pre=pre, post=post,
        carry=[rule.diagnosis] if rule.diagnosis is not None else [],
        caller="classify_responders", stacklevel=4,
    )  # fmt: skip
    x = paired.table["pre"].to_numpy(dtype=float)
    y = paired.table["post"].to_numpy(dtype=float)
    sign = 1.0 if direction == "higher-is-better" else -1.0
    table = per_subject(paired.table[subject].to_numpy(), x, y, sign, subject)
    if "post_timepoint" in paired.table:
        table["post_timepoint"] = paired.table["post_timepoint"].to_numpy()

    fit = apply_rule(rule, table)

    if has_categories(rule):
        dx = None
        if rule.diagnosis is not None:
            dx = _diagnosis_at_post(
                rule, paired.rows, pd.Index(paired.table[subject]), subject=subject,
                timepoint=timepoint, post=paired.post_label,
            )  # fmt: skip
            table["diagnosis_post"] = dx
        table["category"] = _categories(rule, fit, x, y, dx)
    table["responder"] = with_missing(fit.met, fit.applicable, "boolean")
    table["rule"] = pd.array([rule.id] * len(table), dtype="string")

    excluded = excluded_frame(
        pd.concat([paired.excluded, not_eligible_rows(rule, table, fit, subject)])
    )
    return ResponderResult(
        table=table,
        counts=count_responders(
            table, confidence, category_labels(rule), eligibility=rule.eligible is not None
        ),
        rule=rule.id, label=rule.label, kind=rule.kind, source=rule.source,
        citation=inst.sources.get(rule.source, rule.source),
        instrument=inst.id, measure=column, direction=direction, pre=pre, post=post,
        confidence=confidence, excluded=excluded,
        note_lines=tuple(_responder_notes(resolved, inst, table, paired.unpaired, fit, confidence)),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# plot_responders
# --------------------------------------------------------------------------------------------


def plot_responders(result: ResponderResult, *, ax: Any = None, title: str | None = None) -> Any:
    """Rate of each row of ``result.counts`` with its Wilson interval (also ``result.plot()``).

    One horizontal line per category (responder, non-responder, then the rule's
    categories): the rate as a point, the interval as a bar, ``k/n`` beside it. Rows
    without a denominator are left out.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(result, ResponderResult):
        raise ArgumentError(
            f"result must be a ResponderResult; got {type(result).__name__}. "
            "Pass the output of classify_responders."
        )
    import matplotlib.pyplot as plt

    counts = result.counts[result.counts["denominator"] > 0].iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.45 * max(len(counts), 2) + 1.2))
    pos = np.arange(len(counts))
    rate = 100 * counts["rate"].to_numpy(dtype=float)
    low = 100 * counts["ci_low"].to_numpy(dtype=float)
    high = 100 * counts["ci_high"].to_numpy(dtype=float)
    ax.errorbar(
        rate, pos, xerr=np.clip(np.vstack([rate - low, high - rate]), 0, None), fmt="o", color="#2166ac",
        ecolor="0.4", capsize=3, lw=1.2,
    )  # fmt: skip
    for p, r, k, n in zip(pos, rate, counts["n"], counts["denominator"], strict=True):
        ax.annotate(f"{k}/{n}", (r, p), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize=8)  # fmt: skip
    ax.set_yticks(pos, counts["category"].tolist())
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.7, len(counts) - 0.3)
    ax.set_xlabel(f"percent of subjects ({100 * result.confidence:g}% Wilson interval)")
    ax.set_title(title if title is not None else f"{result.measure}: {result.label}")
    return ax
