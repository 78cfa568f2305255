"""Text for ``past-outcomes instruments``: a spec described, and the template of a new spec.

``describe_spec`` prints what a spec scores (items, scales, classifications with their rules,
change criteria, responder rules, sources); ``instruments show`` and ``instruments check``
both use it. ``template_spec`` is the commented file ``instruments new`` writes: a complete,
valid spec of a five-item questionnaire for a practice to edit.
"""

from __future__ import annotations

from past_outcomes._spec_yaml import fmt_number
from past_outcomes.instrument import Instrument


def describe_spec(inst: Instrument, *, where: str = "") -> str:
    """A plain-text account of everything ``inst`` scores, with the source of each rule."""
    lines = [f"{inst.id}: {inst.name} ({inst.short_name})" + (f"  [{where}]" if where else "")]
    lines.append(
        f"  recall period: {inst.recall_period}; administration: {inst.administration}; "
        f"direction: {inst.default_direction}"
    )
    lines.append(f"  licence: {inst.licence}")
    lines += _items(inst)
    lines.append(f"Scales ({len(inst.scales)}):")
    for s in inst.scales.values():
        parts = ", ".join(map(str, s.items)) if s.items else " + ".join(s.scales)
        extra = f" x {fmt_number(s.factor)}" if s.factor != 1 else ""
        if s.weights:
            extra += f", weights {', '.join(fmt_number(w) for w in s.weights)}"
        prorate = f"; prorated from >= {s.proration.min_answered} answered" if s.proration else ""
        lines.append(
            f"  {s.column}: {s.method} of {parts}{extra}, range "
            f"{fmt_number(s.range[0])}-{fmt_number(s.range[1])}, {s.direction}{prorate} "
            f"[{s.source}]"
        )
    if inst.classifications:
        lines.append(f"Classifications and cutoffs ({len(inst.classifications)}):")
        for c in inst.classifications.values():
            lines.append(f"  {c.column} ({c.type}): {_rule(inst, c)} [{c.source}]")
    if inst.change:
        lines.append("Change criteria:")
        for col, crit in inst.change.items():
            known = [
                f"{name} {fmt_number(getattr(crit, name).value)}"
                for name in ("reliability", "mcid", "reliable_change")
                if getattr(crit, name, None) is not None
            ]
            lines.append(f"  {col}: {', '.join(known) or 'no thresholds'}")
    if inst.responder_rules:
        lines.append("Responder rules:")
        for rid, rule in inst.responder_rules.items():
            primary = " (primary)" if rid == inst.primary_responder_rule else ""
            lines.append(f"  {rid}{primary}: {rule.label} [{rule.source}]")
    lines.append("Sources:")
    lines += [f"  {key}: {text}" for key, text in inst.sources.items()]
    lines.append("Scored columns: " + ", ".join(inst.output_columns))
    return "\n".join(lines)


def _items(inst: Instrument) -> list[str]:
    lines = [
        f"Items ({len(inst.items)}; columns {inst.items[0].column} to {inst.items[-1].column}):"
    ]
    for item in inst.items:
        allowed = (
            ", ".join(fmt_number(v) for v in item.values)
            if item.values
            else f"{fmt_number(item.min)}-{fmt_number(item.max)}"
        )
        flags = [
            f for f, on in (("reverse-keyed", item.reverse), ("optional", not item.required)) if on
        ]
        tail = f" ({', '.join(flags)})" if flags else ""
        lines.append(f"  {item.column}: {item.label} [{allowed}]{tail}")
    if inst.missing_codes:
        codes = ", ".join(fmt_number(c) for c in inst.missing_codes)
        lines.append(f"  answers read as missing: {codes}")
    return lines


def _rule(inst: Instrument, c) -> str:
    if c.type == "cutoff":
        return f"{c.scale} {c.operator} {fmt_number(c.value)}" + (f": {c.label}" if c.label else "")
    if c.type == "bands":
        bands = ", ".join(f"{b.label} {fmt_number(b.min)}-{fmt_number(b.max)}" for b in c.bands)
        return f"{c.scale}: {bands}"
    if c.type == "item_flag":
        return f"item {c.item} {c.operator} {fmt_number(c.value)}: {c.label} (safety flag)"
    return c.label or c.type


def template_spec(inst_id: str) -> str:
    """The commented spec ``instruments new`` writes: valid as it stands, to be edited."""
    return _TEMPLATE.replace("@ID@", inst_id)


_TEMPLATE = """\
# A practice's own questionnaire, declared as data (see instruments/README.md for every key).
# This file is a complete, valid spec of a 5-item questionnaire answered 0-4. Edit it, then run
#   past-outcomes instruments check @ID@.yaml      (says what it would score, or what to fix)
#   past-outcomes score answers.csv -i @ID@.yaml -o scores.csv
# Item columns in the data are named @ID@_1 ... @ID@_5; scores come out as @ID@_total etc.
# Nothing here is ever run as code: plain YAML only (no tags, anchors or aliases).

id: @ID@                         # lower-case letters and digits, starting with a letter;
                                 # words joined by single underscores (my_scale)
name: My practice questionnaire  # full name
short_name: MPQ                  # the name shown in tables
version: 5 items
sources:                         # every rule below names one of these keys
  own: "Written by our practice (2026). Not validated: bands are our clinical convention."
licence: "Our own questionnaire; free to use within the practice."
recall_period: last 2 weeks
administration: self-report
direction: lower-is-better       # or higher-is-better: which way is improvement
response:                        # defaults for every item (an item may override them)
  min: 0
  max: 4
  integer: true
  source: own
  # missing_codes: [9]           # answers that mean "not answered"
  # labels:                      # printed answer labels, to decode label exports
  #   - {value: 0, label: Not at all}
  #   - {value: 4, label: Extremely}
items:                           # n, short label; reverse: true recodes x to min + max - x
  - {n: 1, label: first item}
  - {n: 2, label: second item}
  - {n: 3, label: third item}
  - {n: 4, label: fourth item}
  - {n: 5, label: fifth item, reverse: true}
scales:                          # method: sum, mean, weighted_sum (weights) or sum_of_scales
  - id: total
    label: Total
    method: sum
    items: [1, 2, 3, 4, 5]
    range: [0, 20]               # checked against what the items allow
    source: own
    # proration: {min_answered: 4, source: own}   # score from 4 of 5 items, prorated
classifications:                 # optional: bands, cutoffs, item flags (see the README)
  - id: band
    label: Severity
    type: bands
    scale: total
    source: own
    bands:                       # must tile 0-20 with no gap: each min is the last max + 1
      - {label: low, min: 0, max: 6}
      - {label: moderate, min: 7, max: 13}
      - {label: high, min: 14, max: 20}
  - {id: high, label: Total >= 14, type: cutoff, scale: total, operator: ">=", value: 14, source: own}
# change:                        # optional: reliability for the reliable change index
#   - scale: total
#     reliability: {value: 0.85, source: own, note: "alpha in our own clients"}
"""
