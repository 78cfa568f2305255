"""The flow of participants through a trial: CONSORT 2010 boxes and diagram, from the data.

:func:`build_consort` reads a disposition table (one row per subject: arm, randomized,
treated, the visit at which the subject discontinued and why) and, optionally, the long
outcome data that decide who was analysed, and returns a :class:`ConsortResult`: the counts
of every box of the CONSORT 2010 flow diagram per arm (``.table``), the box each subject
ends in (``.subjects``), the diagram itself (``.plot()``, ``.to_svg()``) and its alt text.

Every count is computed from the data; none is typed in. Nothing is dropped: a discontinued
subject without a recorded reason is counted under "reason not recorded", a subject excluded
from the analysis is counted with the reason. Data that cannot be drawn honestly (a subject
on two rows or in two arms, an arm that is not one of the arms named, a randomized subject
without an arm, a flag that is not true/false, a reason with no discontinuation) raise one
:class:`~past_outcomes.errors.DataValidationError` naming every offending row.

The boxes follow the CONSORT 2010 flow diagram (Schulz, Altman and Moher 2010, BMJ
340:c332, figure 1): enrollment (assessed for eligibility, excluded, randomized), allocation
(allocated, received and did not receive the allocated intervention), follow-up
(discontinued, with reasons) and analysis (analysed, excluded from analysis, with reasons).
"""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes._checks import check_columns, check_dataframe
from past_outcomes._consort_checks import (
    NOT_RECORDED,
    arms_of,
    flags_of,
    is_present,
    validate_disposition,
)
from past_outcomes.errors import ArgumentError, DataValidationError, short_repr
from past_outcomes.results import ResultBase

__all__ = ["ConsortResult", "build_consort"]

#: The stages of the diagram, top to bottom.
STAGES = ("enrollment", "allocation", "follow-up", "analysis")
#: The terminal box of each subject (``ConsortResult.subjects['box']``).
TERMINAL_BOXES = ("not randomized", "analysed", "excluded from analysis")
TABLE_COLUMNS = ["stage", "box", "detail", "group", "n"]
#: The boxes, in the order of the diagram.
BOXES = (
    "assessed for eligibility",
    "excluded before randomization",
    "randomized",
    "allocated",
    "received allocated intervention",
    "did not receive allocated intervention",
    "discontinued",
    "completed follow-up",
    "analysed",
    "excluded from analysis",
)


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ConsortResult(ResultBase):
    """The CONSORT flow of a trial (what :func:`build_consort` returns).

    Attributes
    ----------
    table : DataFrame
        One row per box of the diagram and per reason listed in it: ``stage`` (one of
        :data:`STAGES`), ``box`` (``assessed for eligibility``, ``excluded before
        randomization``, ``randomized``, ``allocated``, ``received allocated intervention``,
        ``did not receive allocated intervention``, ``completed follow-up``,
        ``discontinued``, ``analysed``, ``excluded from analysis``), ``detail`` (empty for
        the box's total, else a reason counted inside it), ``group`` (the arm; missing for
        the enrollment boxes, which are not per arm) and ``n`` (integer). The two
        eligibility boxes appear only when the data list screened subjects who were not
        randomized.
    subjects : DataFrame
        One row per row of the disposition data: ``subject``, ``group``, ``randomized``,
        ``treated``, ``discontinued`` (bool), ``reason`` (the reason counted, or empty),
        ``analysed`` (bool) and ``box`` (the terminal box: one of :data:`TERMINAL_BOXES`),
        ``box_reason`` (why a subject is excluded from analysis, or not randomized).
    groups : tuple
        The arms, in the order drawn (left to right).
    analysed_from : str
        How "analysed" was decided (for the notes).
    screened : bool
        True when the data include subjects who were not randomized.
    """

    table: pd.DataFrame
    subjects: pd.DataFrame
    groups: tuple
    analysed_from: str
    screened: bool
    title: str = "CONSORT flow of participants"

    def count(self, box: str, group: Any = None, detail: str = "") -> int:
        """The ``n`` of one box (``group`` None for the enrollment boxes); 0 if not listed."""
        t = self.table
        columns = (t[c].tolist() for c in ("box", "detail", "group", "n"))
        rows = zip(*columns, strict=True)
        return sum(
            int(n)
            for b, d, g, n in rows
            if b == box and d == detail and (g is None if group is None else g == group)
        )

    def to_wide(self) -> pd.DataFrame:
        """``.table`` with one column of counts per arm (enrollment boxes under ``all``)."""
        t = self.table.copy()
        t["group"] = t["group"].astype(object).where(t["group"].notna(), "all")
        wide = t.pivot_table(
            index=["stage", "box", "detail"], columns="group", values="n", sort=False
        )
        wide = wide.reindex(columns=["all", *self.groups]).astype("Int64")
        per_arm = wide.index.get_level_values("stage") != "enrollment"
        wide.loc[per_arm, list(self.groups)] = wide.loc[per_arm, list(self.groups)].fillna(0)
        wide.columns.name = None
        wide = wide.reset_index()
        total = wide[["all", *self.groups]].sum(axis=1)
        key = [  # box order; its total first; reasons by count, "reason not recorded" last
            (BOXES.index(b), d != "", d == NOT_RECORDED, -n, d)
            for b, d, n in zip(wide["box"], wide["detail"], total, strict=True)
        ]
        order = sorted(range(len(wide)), key=key.__getitem__)
        return wide.iloc[order].reset_index(drop=True)

    def notes(self) -> list[str]:
        """What the counts rest on."""
        lines = [f"Analysed: {self.analysed_from}."]
        if not self.screened:
            lines.append(
                "The data list randomized subjects only, so the assessed-for-eligibility and "
                "excluded boxes are not drawn; add the screened candidates as rows with "
                "randomized False to count them."
            )
        n_missing = int((self.subjects["reason"] == NOT_RECORDED).sum())
        if n_missing:
            lines.append(
                f"{n_missing} subject(s) discontinued or were excluded without a recorded "
                f"reason; they are counted under {NOT_RECORDED!r}."
            )
        lines.append(
            "A subject who did not receive the allocated intervention is also counted in "
            "the follow-up and analysis boxes it reached; every randomized subject ends in "
            "exactly one of 'analysed' and 'excluded from analysis'."
        )
        return lines

    def alt_text(self) -> str:
        """One paragraph describing the diagram, for ``format_figure(..., alt=...)``."""
        parts = [f"CONSORT flow diagram: {self.count('randomized')} randomized"]
        if self.screened:
            parts[0] = (
                f"CONSORT flow diagram: {self.count('assessed for eligibility')} assessed for "
                f"eligibility, {self.count('excluded before randomization')} excluded, "
                f"{self.count('randomized')} randomized"
            )
        for g in self.groups:
            parts.append(
                f"{g}: {self.count('allocated', g)} allocated, "
                f"{self.count('received allocated intervention', g)} received the "
                f"intervention, {self.count('discontinued', g)} discontinued, "
                f"{self.count('analysed', g)} analysed, "
                f"{self.count('excluded from analysis', g)} excluded from analysis"
            )
        return "; ".join(parts) + "."

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the CONSORT 2010 flow diagram (boxes and arrows, arms side by side).

        A new figure sized to the diagram when ``ax`` is None; ``fontsize`` (default 9)
        may be passed. Returns the Axes (``ax.figure`` for ``format_figure``).
        """
        from past_outcomes._consort_plot import draw_consort

        return draw_consort(self, ax=ax, **kwargs)

    def to_svg(self) -> str:
        """The diagram as an SVG document (text kept as text; no date, so it is stable)."""
        import matplotlib
        import matplotlib.pyplot as plt

        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "consort"}):
            ax = self.plot()
            buffer = io.StringIO()
            ax.figure.savefig(buffer, format="svg", metadata={"Date": None})
            plt.close(ax.figure)
        return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# who was analysed
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """The long outcome data that decide who was analysed."""

    data: pd.DataFrame
    measure: str
    timepoint: str
    pre: Any


def _analysed_from_data(
    ids: list, arm: dict, outcome: _Outcome, subject: str, group: str
) -> tuple[set, dict]:
    """``ids`` are the randomized subjects; ``arm`` maps every subject of the table to its arm."""
    from past_outcomes._long import validate_long

    data, measure, timepoint = outcome.data, outcome.measure, outcome.timepoint
    check_dataframe("data", data)
    check_columns(data, [subject, timepoint, measure], what="data")
    if not (data[timepoint] == outcome.pre).any():
        shown = ", ".join(map(str, pd.unique(data[timepoint].dropna())[:12]))
        raise ArgumentError(
            f"pre must be a value of the {timepoint!r} column of data (the baseline); got "
            f"{outcome.pre!r}, not among its values ({shown}). Pass e.g. pre='baseline'."
        )
    rows = validate_long(
        data, subject=subject, timepoint=timepoint, id_columns=[subject, timepoint],
        measures=[measure], group=group if group in data.columns else None,
        context="data (the outcome data that decide who was analysed)",
    )  # fmt: skip
    known = set(arm)
    unknown = [s for s in pd.unique(rows[subject]) if s not in known]
    if unknown:
        raise ArgumentError(
            f"data must hold subjects of the disposition table only; "
            f"{', '.join(short_repr(s, 20) for s in unknown[:10])} are not in it. Check the ids "
            "(and their type: 1 is not '1')."
        )
    if group in data.columns:
        _check_arms_agree(rows, arm, subject, group)
    post = rows[(rows[timepoint] != outcome.pre).to_numpy() & rows[measure].notna().to_numpy()]
    analysed = set(post[subject])
    seen = set(rows[subject])
    why = {
        s: f"no post-baseline {measure}" if s in seen else f"no {measure} data"
        for s in ids
        if s not in analysed
    }
    return analysed, why


def _check_arms_agree(rows: pd.DataFrame, arm: dict, subject: str, group: str) -> None:
    bad = [
        (label, s, g)
        for label, s, g in zip(rows.index, rows[subject], rows[group], strict=True)
        if is_present(g) and s in arm and arm[s] is not None and g != arm[s]
    ]
    if bad:
        raise DataValidationError(
            pd.DataFrame(
                {
                    "row": label,
                    "subject": s,
                    "column": group,
                    "value": g,
                    "reason": "inconsistent-group",
                    "message": f"subject {s} must be in the same {group} in data as in the "
                    f"disposition table ({short_repr(arm[s])}); got {short_repr(g)}",
                }
                for label, s, g in bad
            ),  # fmt: skip
            context="data (the outcome data)",
            remedy="Correct the arm in one of the two tables.",
        )


def _id_set(analysed: Iterable[Any]) -> set:
    """The ids of ``analysed``; an element that cannot be an id (a list, an array row) is an
    ArgumentError, not Python's "unhashable type"."""
    chosen = set()
    for s in analysed:
        try:
            chosen.add(s)
        except TypeError:
            raise ArgumentError(
                "analysed must hold subject ids (text or numbers); got the element "
                f"{short_repr(s)} ({type(s).__name__}). Pass a flat list or set of ids."
            ) from None
    return chosen


def _analysed_from_set(
    rows: pd.DataFrame, subject: str, randomized: set, analysed: Any
) -> tuple[set, dict, str]:
    """``analysed`` as a column of the disposition table or a collection of subject ids."""
    ids = rows[subject].tolist()
    if isinstance(analysed, str):
        check_columns(rows, [analysed], what="disposition")
        failures: list = []
        mask = np.array([s in randomized for s in ids])
        flags = flags_of(rows, analysed, subject, failures, default=False, among=mask)
        if failures:
            raise DataValidationError(
                pd.DataFrame(failures), context="disposition",
                remedy=f"Write {analysed} as True or False for every randomized subject.",
            )  # fmt: skip
        chosen = {s for s, f in zip(ids, flags, strict=True) if f}
        why = {s: f"{analysed} is False" for s in ids if s not in chosen}
        return chosen, why, f"the subjects flagged True in the {analysed!r} column"
    if isinstance(analysed, pd.Series | pd.Index | np.ndarray):
        analysed = analysed.tolist()
    if not isinstance(analysed, Iterable) or isinstance(analysed, bytes | dict):
        raise ArgumentError(
            "analysed must be None, a column name of the disposition table or a set of "
            f"subject ids; got {type(analysed).__name__}."
        )
    chosen = _id_set(analysed)
    if chosen and all(isinstance(s, bool | np.bool_) for s in chosen):
        raise ArgumentError(
            "analysed must hold subject ids, not true/false flags; got only booleans. Pass "
            "the name of a flag column of the disposition table instead."
        )
    stray = [s for s in chosen if s not in randomized]
    if stray:
        raise ArgumentError(
            "analysed must name randomized subjects of the disposition table; "
            f"{', '.join(short_repr(s, 20) for s in sorted(stray, key=str)[:10])} are not. "
            "Check the ids (and their type: 1 is not '1')."
        )
    n = len(chosen)
    why = {s: "not in the analysis set" for s in ids if s not in chosen}
    return chosen, why, f"the {n} subject(s) of the analysis set given"


# --------------------------------------------------------------------------------------------
# counting the boxes
# --------------------------------------------------------------------------------------------


def _reason_rows(stage: str, box: str, group: Any, reasons: list[str]) -> list[dict]:
    """One row per reason (most frequent first, "reason not recorded" last)."""
    counts = Counter(reasons)
    order = sorted(counts, key=lambda r: (r == NOT_RECORDED, -counts[r], r))
    return [
        {"stage": stage, "box": box, "detail": r, "group": group, "n": counts[r]} for r in order
    ]


def _arm_rows(records: list[dict], g: Any) -> list[dict]:
    """The allocation, follow-up and analysis rows of arm ``g`` (``records``: its subjects)."""
    untreated = [r for r in records if not r["treated"]]
    left = [r for r in records if r["discontinued"]]
    excluded = [r for r in records if not r["analysed"]]
    n = len(records)

    def row(stage: str, box: str, count: int) -> dict:
        return {"stage": stage, "box": box, "detail": "", "group": g, "n": count}

    return [
        row("allocation", "allocated", n),
        row("allocation", "received allocated intervention", n - len(untreated)),
        row("allocation", "did not receive allocated intervention", len(untreated)),
        *_reason_rows("allocation", "did not receive allocated intervention", g,
                      [r["reason"] or NOT_RECORDED for r in untreated]),
        row("follow-up", "discontinued", len(left)),
        *_reason_rows("follow-up", "discontinued", g, [r["reason"] for r in left]),
        row("follow-up", "completed follow-up", n - len(left)),
        row("analysis", "analysed", n - len(excluded)),
        row("analysis", "excluded from analysis", len(excluded)),
        *_reason_rows("analysis", "excluded from analysis", g,
                      [r["box_reason"] for r in excluded]),
    ]  # fmt: skip


def _count_boxes(subjects: pd.DataFrame, groups: tuple, screened: bool) -> pd.DataFrame:
    """The ``.table`` of :class:`ConsortResult` from its ``.subjects``."""
    records = subjects.to_dict("records")
    rand = [r for r in records if r["randomized"]]
    rows: list[dict] = []
    if screened:
        out = [r["reason"] for r in records if not r["randomized"]]
        rows += [
            {"stage": "enrollment", "box": "assessed for eligibility", "n": len(records)},
            {"stage": "enrollment", "box": "excluded before randomization", "n": len(out)},
            *_reason_rows("enrollment", "excluded before randomization", None, out),
        ]
    rows.append({"stage": "enrollment", "box": "randomized", "n": len(rand)})
    for g in groups:
        rows += _arm_rows([r for r in rand if r["group"] == g], g)
    # box by box in the order of the diagram, arms side by side (a stable sort keeps the
    # reasons in their order under each box)
    arm_rank = {g: i for i, g in enumerate(groups)}
    rows.sort(key=lambda r: (BOXES.index(r["box"]), arm_rank.get(r.get("group"), -1)))
    table = pd.DataFrame(
        {
            "stage": [r["stage"] for r in rows],
            "box": [r["box"] for r in rows],
            "detail": [r.get("detail", "") for r in rows],
            "group": pd.Series([r.get("group") for r in rows], dtype=object),
            "n": np.array([r["n"] for r in rows], dtype="int64"),
        }
    )
    return table


# --------------------------------------------------------------------------------------------
# build_consort
# --------------------------------------------------------------------------------------------


def build_consort(
    disposition: pd.DataFrame,
    *,
    subject: str = "subject",
    group: str = "group",
    randomized: str | None = "randomized",
    treated: str | None = "treated",
    discontinued: str | None = "discontinued",
    reason: str | None = "discontinuation_reason",
    analysed: str | Iterable[Any] | None = None,
    data: pd.DataFrame | None = None,
    measure: str | None = None,
    timepoint: str = "timepoint",
    pre: Any = None,
    treatment: Any = None,
    control: Any = None,
) -> ConsortResult:
    """Count the CONSORT 2010 flow of participants from the data and draw it.

    Parameters
    ----------
    disposition : DataFrame
        One row per subject (e.g. ``read_dataset("mdma_trial_disposition")``). Rows with
        ``randomized`` False are screened candidates who were not randomized (their
        ``reason`` says why; other columns are not read): with them, the diagram starts at
        "assessed for eligibility".
    subject, group : str
        The subject and arm columns.
    randomized, treated : str or None
        Flag columns (True/False, 1/0; ``read_dataset`` gives ``boolean``): randomized, and
        received at least one dose or session of the allocated intervention. None: every
        row is randomized / every randomized subject was treated.
    discontinued : str or None
        The visit at which the subject discontinued (any recorded value, e.g. the first
        missed timepoint, or a True flag, means discontinued; empty means completed). None:
        nobody discontinued.
    reason : str or None
        Why a subject discontinued (or, on a row not randomized, why it was excluded). A
        discontinued subject without one is counted under "reason not recorded".
    analysed : str, collection of subject ids, or None
        Who was analysed: a flag column of ``disposition``, or the ids of the analysis set.
        None (and no ``data``): every randomized subject (intention to treat), said in notes.
    data, measure, timepoint, pre :
        Alternatively, long outcome data (one row per subject and timepoint): the analysed
        subjects are those with at least one non-missing ``measure`` at a timepoint other
        than ``pre`` (the baseline), as a mixed model for repeated measures uses them; the
        others are excluded from analysis with the reason "no post-baseline <measure>" (or
        "no <measure> data" when they have no rows).
    treatment, control :
        The two arms, drawn left and right. An arm in the data that is neither is an error.
        None (default): every arm present, in sorted order.

    Returns
    -------
    ConsortResult
        ``.table`` (box counts per arm), ``.subjects`` (the terminal box of each subject),
        ``.plot()``, ``.to_svg()``, ``.alt_text()``; see :class:`ConsortResult`.

    Raises
    ------
    DataValidationError
        Listing every offending row at once: a missing or duplicated subject
        (``duplicate-observation``), a subject in two arms (``inconsistent-group``), a
        randomized subject without an arm (``missing-value``) or in an arm that is not
        ``treatment`` or ``control`` (``out-of-range``), a flag that is not true/false
        (``not-a-boolean``) or missing, a reason recorded without a discontinuation. Also
        the long-data errors of ``data`` (see ``past_outcomes._long``).
    ArgumentError
        A column not found, ``analysed`` and ``data`` both given, ``data`` without
        ``measure`` or ``pre``, subjects in ``data`` or ``analysed`` not in the table, no
        randomized subject.

    Examples
    --------
    >>> import past_outcomes as po
    >>> flow = po.build_consort(po.read_dataset("mdma_trial_disposition"), group="arm")
    >>> flow.count("discontinued", "placebo")
    9
    """
    check_dataframe("disposition", disposition)
    arms = arms_of(treatment, control)
    subjects = validate_disposition(
        disposition, subject=subject, group=group, randomized=randomized, treated=treated,
        discontinued=discontinued, reason=reason, arms=arms,
    )  # fmt: skip
    rand = subjects["randomized"].to_numpy()
    if not rand.any():
        raise ArgumentError(
            f"disposition must list at least one randomized subject; got {len(subjects)} "
            "row(s), none randomized. Check the randomized column."
        )
    ids = subjects["subject"].tolist()
    chosen, why, source = _who_was_analysed(
        disposition, subjects, analysed, data, measure, timepoint, pre, subject, group
    )
    subjects["analysed"] = [s in chosen and r for s, r in zip(ids, rand, strict=True)]
    subjects["box"] = np.where(
        ~rand,
        "not randomized",
        np.where(subjects["analysed"], "analysed", "excluded from analysis"),
    )
    subjects["box_reason"] = [
        reason_ if box == "not randomized" else why.get(s, "") if box != "analysed" else ""
        for s, box, reason_ in zip(ids, subjects["box"], subjects["reason"], strict=True)
    ]
    # arms equal under == (1, 1.0, True) are one arm, as they are when subjects are counted
    present = dict.fromkeys(subjects.loc[rand, "group"].tolist())
    groups = arms if arms is not None else tuple(sorted(present, key=str))
    return ConsortResult(
        table=_count_boxes(subjects, groups, screened=bool((~rand).any())),
        subjects=subjects,
        groups=groups,
        analysed_from=source,
        screened=bool((~rand).any()),
    )


def _who_was_analysed(
    disposition: pd.DataFrame,
    subjects: pd.DataFrame,
    analysed: Any,
    data: pd.DataFrame | None,
    measure: str | None,
    timepoint: str,
    pre: Any,
    subject: str,
    group: str,
) -> tuple[set, dict, str]:
    """(analysed ids, reason per other id, how it was decided)."""
    rand = subjects["randomized"].to_numpy()
    randomized_ids = set(subjects.loc[rand, "subject"])
    ids = list(subjects.loc[rand, "subject"])
    if data is not None and analysed is not None:
        raise ArgumentError(
            "analysed and data must not both be given; got both. Pass data (with measure "
            "and pre) to derive who was analysed, or analysed to name them."
        )
    if data is not None:
        if not isinstance(measure, str) or pre is None:
            raise ArgumentError(
                "measure and pre must be given with data (the outcome column and the "
                f"baseline timepoint); got measure={measure!r}, pre={pre!r}."
            )
        arm = dict(zip(subjects["subject"], subjects["group"], strict=True))
        outcome = _Outcome(data, measure, timepoint, pre)
        chosen, why = _analysed_from_data(ids, arm, outcome, subject, group)
        return chosen, why, (
            f"subjects with at least one post-baseline {measure} (timepoint other than "
            f"{pre!r}) in the outcome data"
        )  # fmt: skip
    if analysed is not None:
        return _analysed_from_set(disposition, subject, randomized_ids, analysed)
    return set(ids), {}, (
        "every randomized subject (intention to treat); pass data= or analysed= to count "
        "who was actually analysed"
    )  # fmt: skip
