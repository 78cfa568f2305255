"""Responder rules: what each kind compares, which rule applies and every number in it checked.

- :data:`RULE_KINDS`: what each single-visit kind compares with its threshold (change,
  percent change, endpoint); the multi-visit kinds (``sustained``, ``durable``,
  :data:`~past_outcomes.instrument.MULTI_VISIT_KINDS`) repeat a single-visit base rule at
  several visits (:mod:`past_outcomes.change.visits`);
- :func:`resolve_rule` -> :class:`Resolved`: the rule to apply (the spec's primary rule, a rule
  id of the spec, a user's :class:`~past_outcomes.instrument.ResponderRule` or dict, with
  overrides; ``kind="sustained"`` or ``"durable"`` wraps the resolved rule) and, for a
  multi-visit rule, its base rule; :func:`validate_rule` checks every number in a rule;
- :func:`eligibility`: a rule's baseline condition applied to the pre scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from past_outcomes._checks import check_number, check_option
from past_outcomes.change.difference import percent
from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import (
    MULTI_VISIT_KINDS,
    OPERATORS,
    RESPONDER_KINDS,
    VERIFICATION_LEVELS,
    BaselineThreshold,
    Instrument,
    ResponderRule,
)

__all__ = ["RULE_KINDS", "Resolved", "resolve_rule", "validate_rule", "eligibility"]


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
assert tuple(RULE_KINDS) + MULTI_VISIT_KINDS == RESPONDER_KINDS

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


@dataclasses.dataclass(frozen=True)
class Resolved:
    """The rule to apply and, for a multi-visit rule, the single-visit rule it repeats."""

    rule: ResponderRule
    base: ResponderRule | None = None

    @property
    def visit_rule(self) -> ResponderRule:
        """The single-visit rule judged at each visit (the rule itself, or its base)."""
        return self.base if self.base is not None else self.rule

    @property
    def unverified(self) -> list[ResponderRule]:
        """The rules (this one and its base) a spec marks ``verification: unverified``."""
        return [
            r for r in (self.rule, self.base) if r is not None and r.verification == "unverified"
        ]


def _spec_rule(inst: Instrument, rule: str) -> ResponderRule:
    if rule not in inst.responder_rules:
        known = ", ".join(inst.responder_rules) or "none"
        raise ArgumentError(
            f"rule must be a responder rule of the {inst.id} spec ({known}); got {rule!r}. "
            "Pass one of these ids, or your own rule as a dict or ResponderRule."
        )
    return inst.responder_rules[rule]


def _first_rule(inst: Instrument, rule: Any, overrides: dict[str, Any]) -> ResponderRule:
    """The rule named by ``rule`` before any override."""
    if rule is None:
        if inst.primary_responder_rule is not None:
            return inst.responder_rules[inst.primary_responder_rule]
        kind = overrides.get("kind")
        if overrides.get("scale") and kind and kind not in MULTI_VISIT_KINDS:
            return _rule_from_mapping({"scale": overrides["scale"], "kind": kind})
        raise ArgumentError(
            f"rule must be given: the {inst.id} spec declares no primary responder rule; got "
            "rule=None. Pass rule= (a rule id, a ResponderRule or a dict) or measure=, kind= "
            "and threshold=."
        )
    if isinstance(rule, ResponderRule):
        return rule
    if isinstance(rule, Mapping):
        raw = dict(rule)
        if raw.get("kind") in MULTI_VISIT_KINDS and "scale" not in raw and raw.get("base_rule"):
            raw["scale"] = _spec_rule(inst, str(raw["base_rule"])).scale
        return _rule_from_mapping(raw)
    if isinstance(rule, str):
        return _spec_rule(inst, rule)
    raise ArgumentError(
        f"rule must be a rule id, a ResponderRule or a dict; got {type(rule).__name__}."
    )


def resolve_rule(inst: Instrument, rule: Any, overrides: dict[str, Any]) -> Resolved:
    """The rule to apply: ``None`` (the spec's primary rule, or one built from the
    overrides), a rule id of the spec, a ResponderRule or a dict; then the overrides (a
    spec rule changed by them gets ``+modified`` in its id) and :func:`validate_rule`.

    ``kind="sustained"`` or ``"durable"`` with a single-visit rule wraps it: the result
    repeats that rule at several visits. A multi-visit rule's ``base_rule`` must name a
    single-visit rule of the spec; the overrides then change the base rule.
    """
    from_spec = isinstance(rule, str) or (rule is None and inst.primary_responder_rule is not None)
    resolved = _first_rule(inst, rule, overrides)
    changes = {k: v for k, v in overrides.items() if v is not None}
    wrap = None
    if changes.get("kind") in MULTI_VISIT_KINDS:
        wrap = changes.pop("kind")
        if resolved.kind in MULTI_VISIT_KINDS:  # already multi-visit: the kind may change
            resolved = dataclasses.replace(resolved, kind=wrap)
            wrap = None
    base = None
    if resolved.kind in MULTI_VISIT_KINDS:
        validate_rule(resolved)
        base = _spec_rule(inst, str(resolved.base_rule))
        if base.kind in MULTI_VISIT_KINDS:
            raise ArgumentError(
                f"base_rule must name a single-visit rule; got {base.id!r}, a {base.kind} rule."
            )
        multi, resolved = resolved, base
    if changes:
        if "threshold" in changes:
            changes["threshold"] = _finite("threshold", changes["threshold"])
            changes["by_baseline"] = ()
        if from_spec or base is not None:  # no longer the rule as cited: say so in its id
            changes["id"] = resolved.id + "+modified"
        resolved = dataclasses.replace(resolved, **changes)
    validate_rule(resolved)
    if base is not None:
        return Resolved(dataclasses.replace(multi, scale=resolved.scale), resolved)
    if wrap is not None:
        wrapper = ResponderRule(
            id=f"{resolved.id}:{wrap}", label=f"{resolved.label}, {wrap}", scale=resolved.scale,
            kind=wrap, source=resolved.source, base_rule=resolved.id,
        )  # fmt: skip
        return Resolved(wrapper, resolved)
    return Resolved(resolved)


def validate_rule(rule: ResponderRule) -> None:
    """Check the rule's options and every number in it (finite, bands with min <= max),
    whether it came from a spec, a ResponderRule, a dict or an override."""
    check_option("kind", rule.kind, RESPONDER_KINDS)
    if rule.verification is not None:
        check_option("verification", rule.verification, VERIFICATION_LEVELS)
    _validate_condition("eligible", rule.eligible, "{'operator': '>=', 'value': 10}")
    if rule.kind in MULTI_VISIT_KINDS:
        own = [
            k
            for k in ("threshold", "operator", "diagnosis", "remission")
            if getattr(rule, k) is not None
        ]
        if rule.by_baseline:
            own.append("by_baseline")
        if not isinstance(rule.base_rule, str) or own:
            raise ArgumentError(
                f"a {rule.kind} rule must name its base_rule (a single-visit rule id of the "
                f"spec) and no thresholds of its own; got base_rule={rule.base_rule!r}"
                + (f" and {', '.join(own)}" if own else "")
                + ". Pass e.g. {'kind': 'sustained', 'base_rule': 'response50'}."
            )
        return
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
    _validate_condition("remission", rule.remission, "{'operator': '<=', 'value': 11}")


def _validate_condition(name: str, cond: Any, example: str) -> None:
    """A ``{operator, value}`` condition (``eligible``, ``remission``) or None."""
    if cond is None:
        return
    if not isinstance(cond, Mapping) or "operator" not in cond or "value" not in cond:
        raise ArgumentError(
            f"{name} must be a dict with 'operator' and 'value'; got {cond!r}. Pass e.g. {example}."
        )
    check_option(f"{name} operator", cond["operator"], OPERATORS)
    _finite(f"{name} value", cond["value"])


def eligibility(rule: ResponderRule, pre: np.ndarray) -> np.ndarray:
    """Whether each baseline meets the rule's ``eligible`` condition (``pre <operator>
    value``); True everywhere for a rule without one, False where pre is missing."""
    if rule.eligible is None:
        return np.ones(len(pre), bool)
    op = OPERATORS[rule.eligible["operator"]]
    with np.errstate(invalid="ignore"):
        return np.asarray(op(pre, float(rule.eligible["value"])), dtype=bool) & ~np.isnan(pre)


def condition_text(cond: Mapping[str, Any]) -> str:
    """``">= 10"`` for ``{"operator": ">=", "value": 10}``."""
    return f"{cond['operator']} {float(cond['value']):g}"
