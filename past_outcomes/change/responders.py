"""Responders: rules declared in an instrument spec (or by the user) applied to each subject.

Every responder rule is read in one place:

- :data:`RULE_KINDS`: what each kind of rule compares with its threshold (change, percent
  change, endpoint);
- :func:`resolve_rule` and :func:`validate_rule`: which rule applies (the spec's primary
  rule, a rule id, a user's :class:`~past_outcomes.instrument.ResponderRule` or dict, with
  overrides) and every number in it checked;
- :func:`_thresholds`: thresholds by baseline severity (IIEF EF, Rosen 2011);
- :func:`_categories`: the MAPP categories (non-response / response / loss of diagnosis /
  remission; Mitchell 2023) and remission conditions;
- :func:`classify_responders` -> :class:`ResponderResult`, whose ``.counts`` give each
  category's count and rate with a Wilson interval, and :func:`plot_responders`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe, check_option
from past_outcomes._long import check_number
from past_outcomes.change.difference import (
    listed,
    missing_notes,
    pair_scores,
    percent,
    scale_direction,
    with_missing,
)
from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import (
    OPERATORS,
    RESPONDER_KINDS,
    BaselineThreshold,
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
]

#: Labels of the responder ``category`` column of a rule with a diagnosis condition.
MAPP_CATEGORIES = ("non-response", "response", "loss of diagnosis", "remission")
#: Labels of the ``category`` column of a rule with a remission condition only.
REMISSION_CATEGORIES = ("non-response", "response", "remission")


# --------------------------------------------------------------------------------------------
# the rules
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RuleKind:
    """What a kind of rule compares with its threshold.

    ``compared(pre, post, improvement)`` gives the quantity per subject (``description``) (``improvement =
    dir * (post - pre)``, positive is better); where it is missing the rule does not apply.
    ``column`` names the table column that shows it (None: already shown).
    """

    description: str
    compared: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    column: str | None = None


#: Every kind of responder rule (the spec vocabulary ``RESPONDER_KINDS``); the operator
#: defaults to ``>=``.
RULE_KINDS: dict[str, RuleKind] = {
    "change": RuleKind("improvement (dir * change)", lambda x, y, imp: imp),
    "percent_change": RuleKind(
        "percent improvement (100 * improvement / pre)",
        lambda x, y, imp: percent(imp, x),
        column="pct_improvement",
    ),
    "endpoint": RuleKind("post score", lambda x, y, imp: y),
}
assert tuple(RULE_KINDS) == RESPONDER_KINDS

_RULE_FIELDS = {f.name for f in dataclasses.fields(ResponderRule)}


def _finite(name: str, value: Any) -> float:
    return check_number(name, value)


def _baseline_bands(raw: Any) -> tuple[BaselineThreshold, ...]:
    bands: list[BaselineThreshold] = []
    for b in raw or ():
        if isinstance(b, BaselineThreshold):
            bands.append(b)
        elif isinstance(b, Mapping) and {"min", "max", "threshold"} <= set(b):
            i = len(bands)
            bands.append(
                BaselineThreshold(
                    min=_finite(f"by_baseline[{i}].min", b["min"]),
                    max=_finite(f"by_baseline[{i}].max", b["max"]),
                    threshold=_finite(f"by_baseline[{i}].threshold", b["threshold"]),
                    label=str(b.get("label", "")),
                )
            )
        else:
            raise ArgumentError(
                f"each by_baseline entry must have min, max and threshold (and a label); got {b!r}."
            )
    return tuple(bands)


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
    fields["by_baseline"] = _baseline_bands(fields.get("by_baseline"))
    if fields.get("threshold") is not None:
        fields["threshold"] = _finite("threshold", fields["threshold"])
    return ResponderRule(**fields)


def resolve_rule(inst: Instrument, rule: Any, overrides: dict[str, Any]) -> ResponderRule:
    """The rule to apply: ``None`` (the spec's primary rule, or one built from the
    overrides), a rule id of the spec, a ResponderRule or a dict; then the overrides (a
    spec rule changed by them gets ``+modified`` in its id) and :func:`validate_rule`."""
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
    validate_rule(resolved)
    return resolved


def validate_rule(rule: ResponderRule) -> None:
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


# --------------------------------------------------------------------------------------------
# applying a rule: named steps
# --------------------------------------------------------------------------------------------


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


def _apply_rule(
    rule: ResponderRule, table: pd.DataFrame, complete: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each subject meets the rule, whether it applies (both scores, a baseline
    band, a defined quantity) and whether the baseline lies in a band. Adds ``threshold``
    (and the compared quantity's column, :data:`RULE_KINDS`) to ``table``."""
    x, y = table["pre"].to_numpy(), table["post"].to_numpy()
    thr, in_band = _thresholds(rule, x, table)
    table["threshold"] = thr
    kind = RULE_KINDS[rule.kind]
    compared = kind.compared(x, y, table["improvement"].to_numpy())
    if kind.column is not None:
        table[kind.column] = compared
    applicable = complete & in_band & ~np.isnan(compared)
    with np.errstate(invalid="ignore", divide="ignore"):
        met = np.asarray(OPERATORS[rule.operator or ">="](compared, thr), dtype=bool)
    return met & applicable, applicable, in_band


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


def _categories(
    rule: ResponderRule, met: np.ndarray, applicable: np.ndarray, y: np.ndarray, dx: Any
) -> Any:
    """MAPP categories (rules with a diagnosis): ``non-response`` when the rule is not met;
    otherwise ``response`` if the diagnosis is still met at post, ``loss of diagnosis`` if
    not, ``remission`` if not and the post score meets the remission condition. Rules with
    a remission condition only: non-response / response / remission. Missing (None) where
    the rule does not apply, or it is met and the diagnosis at post is unknown."""
    n = len(y)
    if rule.remission is not None:
        rem_op = OPERATORS[rule.remission["operator"]]
        with np.errstate(invalid="ignore"):
            in_remission = np.asarray(rem_op(y, float(rule.remission["value"])), dtype=bool)
    else:
        in_remission = np.zeros(n, bool)
    if dx is None:
        category = np.select([~met, in_remission], ["non-response", "remission"], "response")
        return with_missing(category, applicable, "string")
    dx_known = ~np.asarray(dx.isna())
    dx_post = np.asarray(dx.fillna(False), dtype=bool)
    lost = ~dx_post
    category = np.select(
        [~met, dx_post, lost & in_remission, lost],
        ["non-response", "response", "remission", "loss of diagnosis"],
        default="non-response",
    )
    return with_missing(category, applicable & (~met | dx_known), "string")


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


def count_responders(table: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Rows ``responder`` and ``non-responder`` (denominator: subjects for whom the rule
    could be evaluated) and, for rules with categories, one row per category (denominator:
    subjects with a category): ``category, n, denominator, rate, ci_low, ci_high``."""
    flags = table["responder"]
    n = int(flags.notna().sum())
    k = int(flags.fillna(False).sum())
    rows = [
        _rate_row("responder", k, n, confidence),
        _rate_row("non-responder", n - k, n, confidence),
    ]
    if "category" in table:
        labels = MAPP_CATEGORIES if "diagnosis_post" in table else REMISSION_CATEGORIES
        known = int(table["category"].notna().sum())
        for label in labels:
            rows.append(
                _rate_row(label, int((table["category"] == label).sum()), known, confidence)
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
        positive is better), ``baseline_band`` (by-baseline rules), ``threshold`` (per
        subject), ``pct_improvement`` (percent-change rules: ``100 * improvement / pre``,
        missing where pre is 0), ``diagnosis_post`` (rules with a diagnosis), ``category``
        (rules with a diagnosis or remission condition; labels :data:`MAPP_CATEGORIES`),
        ``responder`` (nullable boolean: missing when pre or post is missing or the rule
        does not apply at that baseline) and ``rule``.
    counts : DataFrame
        ``category, n, denominator, rate, ci_low, ci_high``: rows ``responder`` and
        ``non-responder`` over the subjects the rule could be evaluated for, then, for rules
        with categories, one row per category over the subjects with a category. The
        interval is the Wilson score interval at ``confidence``.
    rule, label, kind, source, citation : str
        The rule applied (id, text, kind) and its source with the citation text.
    instrument, measure, direction : str
        The instrument, the score column (the rule's scale) and its direction.
    pre, post : Any
        The timepoints compared.
    confidence : float
        Confidence level of the intervals in ``counts``.
    excluded : DataFrame
        Subjects whose responder status is missing: ``no-pre``, ``no-post``, ``no-data``
        (from pairing) and ``not-eligible`` (baseline in no band of a by-baseline rule, or a
        percent change undefined at a baseline of 0). They keep their row in ``table``.
    note_lines : tuple of str
        Shown by :meth:`notes`.
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

    title = "Responders"

    def notes(self) -> list[str]:
        return list(self.note_lines)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The rates with their intervals: :func:`plot_responders` of this result."""
        return plot_responders(self, ax=ax, **kwargs)


def _not_eligible(
    table: pd.DataFrame, complete: np.ndarray, in_band: np.ndarray, applicable: np.ndarray,
    subject: str,
) -> pd.DataFrame:  # fmt: skip
    """``.excluded`` rows of the subjects with both scores the rule does not apply to."""
    out = complete & ~applicable
    return excluded_frame(
        {
            "subject": s,
            "reason": "not-eligible",
            "detail": "baseline in no by_baseline band"
            if not band
            else "percent change undefined at a baseline of 0",
        }
        for s, band in zip(table[subject].to_numpy()[out], in_band[out], strict=True)
    )


def _responder_notes(
    rule: ResponderRule, inst: Instrument, table: pd.DataFrame, unpaired: list,
    complete: np.ndarray, applicable: np.ndarray, confidence: float,
) -> list[str]:  # fmt: skip
    op = rule.operator or ">="
    threshold = "the threshold of its baseline band" if rule.by_baseline else f"{rule.threshold:g}"
    citation = inst.sources.get(rule.source, rule.source).strip().rstrip(".")
    notes = [
        f"Rule {rule.id} ({rule.label}): responder when {RULE_KINDS[rule.kind].description} "
        f"{op} {threshold}. Source: {citation}.",
        f"Rates are over the subjects the rule could be evaluated for; intervals are Wilson "
        f"score intervals at confidence {confidence:g}.",
    ]
    notes += missing_notes(table, unpaired, "pct_improvement")
    not_applicable = int((complete & ~applicable).sum())
    if not_applicable and rule.by_baseline:
        notes.append(
            f"responder is missing for {not_applicable} subject(s) whose baseline lies in no "
            "by_baseline band (the rule does not apply to them)."
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
        fields (``scale, kind, threshold, operator, by_baseline, diagnosis, remission, id,
        label, source``).
    subject, timepoint, pre, post
        As in :func:`~past_outcomes.change.difference.compute_change`.
    threshold, kind, operator, diagnosis, remission
        Override the rule's threshold (clears ``by_baseline``), kind (``change``,
        ``percent_change``, ``endpoint``), operator, diagnosis column (classification column
        at post, e.g. ``"caps5_dx"``) and remission condition.
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
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True
    )
    inst = load_instrument(instrument)
    if threshold is not None:
        _finite("threshold", threshold)
    overrides = {
        "scale": measure, "threshold": threshold, "kind": kind, "operator": operator,
        "diagnosis": diagnosis, "remission": None if remission is None else dict(remission),
    }  # fmt: skip
    resolved = resolve_rule(inst, rule, overrides)
    column = resolved.scale
    check_dataframe("data", data)
    direction = scale_direction(inst, column, "the rule's scale (measure)")
    check_columns(data, [column], what="data")
    if resolved.diagnosis is not None and resolved.diagnosis not in data.columns:
        raise ArgumentError(
            f"rule {resolved.id!r} needs the diagnosis column {resolved.diagnosis!r} at post; it "
            f"is not in the data. Score the items with past_outcomes.score(data, {inst.id!r}) "
            "first, which adds it, or pass diagnosis= naming your column."
        )
    paired = pair_scores(
        data, measure=column, subject=subject, timepoint=timepoint, pre=pre, post=post,
        carry=[resolved.diagnosis] if resolved.diagnosis is not None else [],
        caller="classify_responders",
    )  # fmt: skip
    x = paired.table["pre"].to_numpy(dtype=float)
    y = paired.table["post"].to_numpy(dtype=float)
    complete = ~(np.isnan(x) | np.isnan(y))
    sign = 1.0 if direction == "higher-is-better" else -1.0
    improvement = sign * (y - x)
    table = pd.DataFrame(
        {subject: paired.table[subject].to_numpy(), "pre": x, "post": y, "change": y - x,
         "improvement": improvement}
    )  # fmt: skip

    met, applicable, in_band = _apply_rule(resolved, table, complete)

    if resolved.diagnosis is not None or resolved.remission is not None:
        dx = None
        if resolved.diagnosis is not None:
            dx = _diagnosis_at_post(
                resolved, paired.rows, pd.Index(paired.table[subject]), subject=subject,
                timepoint=timepoint, post=post,
            )  # fmt: skip
            table["diagnosis_post"] = dx
        table["category"] = _categories(resolved, met, applicable, y, dx)
    table["responder"] = with_missing(met, applicable, "boolean")
    table["rule"] = pd.array([resolved.id] * len(table), dtype="string")

    excluded = excluded_frame(
        pd.concat([paired.excluded, _not_eligible(table, complete, in_band, applicable, subject)])
    )
    return ResponderResult(
        table=table,
        counts=count_responders(table, confidence),
        rule=resolved.id, label=resolved.label, kind=resolved.kind, source=resolved.source,
        citation=inst.sources.get(resolved.source, resolved.source),
        instrument=inst.id, measure=column, direction=direction, pre=pre, post=post,
        confidence=confidence, excluded=excluded,
        note_lines=tuple(_responder_notes(
            resolved, inst, table, paired.unpaired, complete, applicable, confidence
        )),
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
