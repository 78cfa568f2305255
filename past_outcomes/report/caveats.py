"""What a report says next to a band or cutoff that its spec marks unverified (issue 13).

``score`` warns (``UnverifiedRuleWarning``) when an output rests on a cutoff, band or flag
whose spec says ``verification: unverified``: it was not checked against its primary source
(today the FSDS >= 15 and FSDS-R >= 11 distress cutoffs). A report does not let that warning
reach the console: it says so in the page, next to the chart or table that shows the rule
(a caption or a footnote), and in its notes for a rule the page does not show. Every sentence
is built from the spec (:meth:`~past_outcomes.instrument.Instrument.unverified_rules`, the
classification's ``note``), never written per instrument.
"""

from __future__ import annotations

from past_outcomes.instrument import Classification, Instrument, UnverifiedRule

#: What a classification type is called in a sentence.
_KIND_WORDS = {"cutoff": "cutoff", "bands": "severity bands", "item_flag": "item flag"}


def is_unverified(classification: Classification) -> bool:
    """Whether the spec marks ``classification`` as not verified against its primary source."""
    return classification.verification == "unverified"


def shown_columns(spec: Instrument, column: str) -> set[str]:
    """The classifications a report shows for the scale ``column``: its cutoffs (dotted lines)
    and its first severity-band classification (shading and the band of each score)."""
    shown = {c.column for c in spec.cutoffs(column)}
    bands = spec.bands(column)
    if bands:
        shown.add(bands[0].column)
    return shown


def unverified_shown(spec: Instrument, column: str) -> list[UnverifiedRule]:
    """The unverified rules among what a report shows for the scale ``column``."""
    shown = shown_columns(spec, column)
    return [r for r in spec.unverified_rules(responder_rules=False) if r.name in shown]


def unverified_sentence(spec: Instrument, rule: UnverifiedRule) -> str:
    """For the clinician: what is unverified, what the spec says is missing, what to check."""
    cls = spec.classifications[rule.name]
    kind = _KIND_WORDS.get(cls.type, "rule")
    note = f" {cls.note.strip()}" if cls.note else ""
    end = "" if not note or note.endswith(".") else "."
    verb = "were" if cls.type == "bands" else "was"
    return (
        f"Not verified: {spec.short_name} {kind}, {rule.what} (output {rule.name}), {verb} not "
        f"checked against its primary source.{note}{end} Source to check: {rule.source}"
    )


def plain_sentence(spec: Instrument, rule: UnverifiedRule) -> str:
    """For the client, in plain words (no rule ids, no citations)."""
    cls = spec.classifications[rule.name]
    if cls.type == "bands":
        what = "The shaded bands are in common use, but their"
    elif cls.value is not None:
        value = f"{cls.value:g}"
        what = f"The dotted line at {value} is a threshold in common use, but its"
    else:
        what = f"The {spec.short_name} threshold is in common use, but its"
    return (
        f"{what} original publication has not been checked: read it as a rough guide only, "
        "and talk it over with your therapist."
    )


def unverified_notes(specs: list[Instrument], *, skip: set[str] | None = None) -> list[str]:
    """One clinician sentence per unverified rule of ``specs`` (in spec order), leaving out
    the output columns in ``skip`` (those already captioned next to a chart)."""
    skip = skip or set()
    return [
        unverified_sentence(spec, rule)
        for spec in specs
        for rule in spec.unverified_rules(responder_rules=False)
        if rule.name not in skip
    ]
