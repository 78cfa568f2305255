"""Multi-visit responder rules: a single-visit rule repeated at several visits.

Two kinds (:data:`~past_outcomes.instrument.MULTI_VISIT_KINDS`), each naming the single-visit
rule it repeats (``base_rule``, or ``kind=`` given with a single-visit rule):

- ``sustained``: the rule met at ``post`` and at every later visit (``followup``), as the
  COMP360 phase 2b trial defined sustained response (Goodwin et al., N Engl J Med
  2022;387:1637-1648, doi:10.1056/NEJMoa2206443: response at week 3 and at all subsequent
  visits to week 12). The rate's denominator is every subject the rule could be evaluated for.
- ``durable``: a response at ``post`` (the primary visit) still met at every follow-up visit,
  judged among the responders at ``post`` only (the durability of a response; subjects
  without a response at ``post`` are "no response at post").

At each visit the base rule is judged against the same ``pre`` score with the steps of
:mod:`past_outcomes.change.responders` (:func:`~past_outcomes.change.responders.apply_rule`):
its threshold, its baseline condition (``eligible``) and by-baseline bands. A visit whose score
is missing leaves the result missing unless another visit already settles it (a sustained
response fails at the first visit where the rule is not met).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.change.difference import LATEST, listed, pair_scores, with_missing
from past_outcomes.change.responders import (
    NOT_ELIGIBLE,
    ResponderResult,
    RuleFit,
    apply_rule,
    check_rule_columns,
    count_responders,
    not_eligible_rows,
    per_subject,
    rule_notes,
)
from past_outcomes.change.rules import Resolved
from past_outcomes.errors import ArgumentError, UnpairedSubjectsWarning
from past_outcomes.instrument import Instrument
from past_outcomes.results import excluded_frame

__all__ = ["classify_visits", "SUSTAINED_CATEGORIES", "DURABLE_CATEGORIES"]

#: Labels of the ``category`` column of a sustained rule (besides "not eligible").
SUSTAINED_CATEGORIES = ("not sustained", "sustained")
#: Labels of the ``category`` column of a durable rule (besides "not eligible").
DURABLE_CATEGORIES = ("no response at post", "not durable", "durable")

_DEFINITIONS = {
    "sustained": (
        "Sustained: the rule met at post ({post}) and at every follow-up visit ({followup}), as "
        "in the COMP360 phase 2b trial (Goodwin 2022: response at week 3 and at all subsequent "
        "visits); rates are over every subject the rule could be evaluated for."
    ),
    "durable": (
        "Durable: a response at post ({post}) still met at every follow-up visit ({followup}); "
        "judged among the responders at post only, so the rates are over those responders."
    ),
}


def _check_followup(followup: Any, pre: Any, post: Any) -> tuple[Any, ...]:
    if followup is None:
        raise ArgumentError(
            "followup must name the later visit(s) of a sustained or durable rule; got None. "
            "Pass e.g. followup=['week6', 'week12'] (in visit order)."
        )
    visits = tuple(followup) if isinstance(followup, (list, tuple)) else (followup,)
    if not visits:
        raise ArgumentError("followup must name at least one visit; got an empty list.")
    if isinstance(post, str) and post == LATEST:
        raise ArgumentError(
            "post must be a timepoint for a sustained or durable rule, not 'latest'; pass the "
            "primary visit as post and the later visits as followup."
        )
    seen = [pre, post]
    for v in visits:
        if any(v == s for s in seen):
            raise ArgumentError(
                f"followup visits must differ from pre, post and one another; got {v!r} twice. "
                "List each later visit once, in visit order."
            )
        seen.append(v)
    return visits


def _judge(
    data: pd.DataFrame, rule: Any, *, sign: float, subject: str, timepoint: str, pre: Any,
    visit: Any, quiet: bool,
) -> tuple[pd.DataFrame, Any, RuleFit]:  # fmt: skip
    """The base rule judged from ``pre`` to ``visit``: (table, paired, fit)."""
    with warnings.catch_warnings():
        if quiet:  # reported once, as missing follow-up, not once per visit
            warnings.simplefilter("ignore", UnpairedSubjectsWarning)
        paired = pair_scores(
            data, measure=rule.scale, subject=subject, timepoint=timepoint, pre=pre, post=visit,
            caller="classify_responders", stacklevel=5,
        )  # fmt: skip
    x = paired.table["pre"].to_numpy(dtype=float)
    y = paired.table["post"].to_numpy(dtype=float)
    table = per_subject(paired.table[subject].to_numpy(), x, y, sign, subject)
    return table, paired, apply_rule(rule, table)


def _status(fit: RuleFit) -> np.ndarray:
    """Per subject: 1 met, 0 evaluated and not met, -1 not evaluated (missing or n/a)."""
    return np.where(fit.met, 1, np.where(fit.applicable, 0, -1))


def _three_valued(status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Across visits (rows of ``status``): all met (value, known) — known False as soon as one
    visit is not met, known True only when every visit is met."""
    failed = (status == 0).any(axis=0)
    all_met = (status == 1).all(axis=0)
    return all_met & ~failed, failed | all_met


def _first_unmet(status: np.ndarray, visits: tuple[Any, ...]) -> Any:
    labels = np.full(status.shape[1], None, dtype=object)
    for row, visit in zip(status[::-1], visits[::-1], strict=True):
        labels[row == 0] = str(visit)
    return pd.array(labels, dtype="string")


def classify_visits(
    data: pd.DataFrame, *, inst: Instrument, resolved: Resolved, subject: str, timepoint: str,
    pre: Any, post: Any, followup: Any, confidence: float,
) -> ResponderResult:  # fmt: skip
    """:func:`~past_outcomes.change.responders.classify_responders` for a ``sustained`` or
    ``durable`` rule (the module docstring gives both definitions).

    ``.table`` has one row per subject: ``<subject>, pre, post`` (score at post),
    ``eligible`` (rules with a baseline condition), ``met_post`` (the base rule met at post),
    ``followup_met`` (met at every follow-up visit; False as soon as one is not met, missing
    while a missing visit could decide it), ``first_unmet`` (the first visit, post included,
    where the rule is not met), ``category`` (:data:`SUSTAINED_CATEGORIES` or
    :data:`DURABLE_CATEGORIES`, and "not eligible"), ``responder`` and ``rule``.
    """
    multi, base = resolved.rule, resolved.visit_rule
    visits = (post, *_check_followup(followup, pre, post))
    direction = check_rule_columns(data, inst, base)
    sign = 1.0 if direction == "higher-is-better" else -1.0
    kw = {"sign": sign, "subject": subject, "timepoint": timepoint, "pre": pre}
    table, paired, fit = _judge(data, base, visit=post, quiet=False, **kw)
    status = [_status(fit)]
    for visit in visits[1:]:
        status.append(_status(_judge(data, base, visit=visit, quiet=True, **kw)[2]))
    grid = np.vstack(status)

    out = table[[subject, "pre", "post"]].copy()
    if "eligible" in table:
        out["eligible"] = table["eligible"]
    met_post, met_post_known = grid[0] == 1, grid[0] >= 0
    later, later_known = _three_valued(grid[1:])
    out["met_post"] = with_missing(met_post, met_post_known, "boolean")
    out["followup_met"] = with_missing(later, later_known, "boolean")
    out["first_unmet"] = _first_unmet(grid, visits)
    if multi.kind == "sustained":
        value, known = _three_valued(grid)
        labels = np.where(value, "sustained", "not sustained")
        category_known = known
    else:
        value, known = later, met_post & later_known
        labels = np.where(
            ~met_post, "no response at post", np.where(later, "durable", "not durable")
        )
        category_known = (met_post_known & ~met_post) | known
    ineligible = ~fit.eligible & ~np.isnan(table["pre"].to_numpy(dtype=float))
    out["category"] = with_missing(
        np.where(ineligible, NOT_ELIGIBLE, labels), category_known | ineligible, "string"
    )
    out["responder"] = with_missing(value, known & ~ineligible, "boolean")
    out["rule"] = pd.array([multi.id] * len(out), dtype="string")

    excluded = _excluded(out, paired, base, table, fit, subject, visits)
    notes = rule_notes(inst, resolved, confidence)
    notes.insert(
        1,
        _DEFINITIONS[multi.kind].format(post=repr(post), followup=", ".join(map(repr, visits[1:]))),
    )
    missing = excluded.loc[
        (excluded["reason"] == "missing-response")
        & ~excluded["detail"].str.startswith("no response at post"),
        "subject",
    ].tolist()
    if missing:
        notes.append(
            f"responder is missing for {len(missing)} subject(s) with a missing score at a visit "
            f"that would decide it: {listed(missing)}."
        )
    if not int(out["responder"].notna().sum()):
        notes.append("No subject could be evaluated: the rates and intervals are missing.")
    labels_counted = () if multi.kind == "sustained" else DURABLE_CATEGORIES
    return ResponderResult(
        table=out,
        counts=count_responders(
            out, confidence, labels_counted, eligibility=base.eligible is not None
        ),
        rule=multi.id, label=multi.label, kind=multi.kind, source=base.source,
        citation=inst.sources.get(base.source, base.source), instrument=inst.id,
        measure=base.scale, direction=direction, pre=pre, post=post, confidence=confidence,
        excluded=excluded, note_lines=tuple(notes), followup=visits[1:],
    )  # fmt: skip


def _excluded(
    out: pd.DataFrame, paired: Any, base: Any, table: pd.DataFrame, fit: RuleFit,
    subject: str, visits: tuple[Any, ...],
) -> pd.DataFrame:  # fmt: skip
    """Each subject whose responder status is missing, once: the pairing at post, the
    baseline condition, no response at post (durable), then a missing follow-up score."""
    frames = [paired.excluded, not_eligible_rows(base, table, fit, subject)]
    listed_ids = set(pd.concat(frames)["subject"].tolist())
    rest = []
    for sid, category, responder in zip(
        out[subject], out["category"], out["responder"], strict=True
    ):
        if sid in listed_ids or not pd.isna(responder):
            continue
        if not pd.isna(category) and category == "no response at post":
            detail = "no response at post: durability is judged among the responders at post"
        else:
            detail = f"{base.scale} missing at a visit among {', '.join(map(repr, visits))}"
        rest.append({"subject": sid, "reason": "missing-response", "detail": detail})
    return excluded_frame(pd.concat([*frames, excluded_frame(rest)]))
