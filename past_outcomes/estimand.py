"""The estimand an analysis estimates, as ICH E9(R1) asks every trial to state it.

An :class:`Estimand` names the five attributes of ICH E9(R1) (section A.3.2): the
**population**, the **endpoint** (variable), the **treatment** condition, the
**intercurrent events** each with the **strategy** that handles it, and the
**population-level summary**. Analyses accept one (``estimand=``), store it on their result
and print it above their numbers, so that every table says what it estimates::

    from past_outcomes import Estimand, IntercurrentEvent

    estimand = Estimand(
        population="adults with hypoactive sexual desire, randomized",
        endpoint="FSFI total change from baseline to week 18",
        treatment="psilocybin-assisted sex therapy versus placebo-assisted therapy",
        intercurrent_events=[
            IntercurrentEvent("discontinued treatment", "hypothetical",
                              "as if treatment had continued; imputed under MAR"),
            IntercurrentEvent("rescue medication", "treatment policy"),
        ],
        summary="difference in mean change (treatment minus control)",
    )

Strategies (ICH E9(R1) A.3.2, with the names used there): ``"treatment policy"``,
``"hypothetical"``, ``"composite"``, ``"while on treatment"``, ``"principal stratum"``.
Hyphens, underscores and capitals are accepted (``"while-on-treatment"``); any other word is
refused with the list.

Reference: ICH E9(R1) Addendum on estimands and sensitivity analysis in clinical trials to
the guideline on statistical principles for clinical trials (EMA/CHMP/ICH/436221/2017,
step 5, 2020).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from past_outcomes.errors import ArgumentError, short_repr

__all__ = ["STRATEGIES", "Estimand", "IntercurrentEvent"]

#: The strategies for intercurrent events of ICH E9(R1), with what each means.
STRATEGIES: dict[str, str] = {
    "treatment policy": "the event is part of the treatment condition: the values observed "
    "after it are used (and, if missing, imputed as if observed)",
    "hypothetical": "the value that would have been observed had the event not occurred",
    "composite": "the event is part of the endpoint (e.g. discontinuation counts as non-response)",
    "while on treatment": "the response before the event (or while on treatment) is used",
    "principal stratum": "the population is the stratum of patients in whom the event would "
    "(not) occur",
}


def _check_text(name: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ArgumentError(
            f"{name} must be {'a' if allow_empty else 'a non-empty'} string; got "
            f"{short_repr(value)} ({type(value).__name__}). Describe it in words, e.g. "
            f"{_EXAMPLES.get(name, repr('...'))}."
        )
    return value.strip()


_EXAMPLES = {
    "population": "'randomized adults with low sexual desire'",
    "endpoint": "'FSFI total change from baseline to week 18'",
    "treatment": "'psilocybin-assisted therapy versus placebo-assisted therapy'",
    "summary": "'difference in mean change (treatment minus control)'",
    "event": "'discontinued treatment'",
}


def _check_strategy(value: Any) -> str:
    key = (
        value.strip().lower().replace("-", " ").replace("_", " ") if isinstance(value, str) else ""
    )
    key = " ".join(key.split())
    if key not in STRATEGIES:
        listed = ", ".join(repr(s) for s in STRATEGIES)
        raise ArgumentError(
            f"strategy must be one of the ICH E9(R1) strategies {listed}; got "
            f"{short_repr(value)}. Pick the strategy that says how the intercurrent event "
            "is handled."
        )
    return key


@dataclass(frozen=True)
class IntercurrentEvent:
    """An intercurrent event and the ICH E9(R1) strategy that handles it.

    ``event``
        What happens after randomization that affects the endpoint's interpretation or
        existence (e.g. ``"discontinued treatment"``, ``"rescue medication"``).
    ``strategy``
        One of :data:`STRATEGIES` (stored in its canonical spelling).
    ``detail``
        Optional: how the strategy is implemented (e.g. ``"imputed by jump to reference"``).
    """

    event: str
    strategy: str
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "event", _check_text("event", self.event))
        object.__setattr__(self, "strategy", _check_strategy(self.strategy))
        object.__setattr__(self, "detail", _check_text("detail", self.detail, allow_empty=True))

    def describe(self) -> str:
        """``"discontinued treatment: hypothetical (imputed under MAR)"``."""
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.event}: {self.strategy}{tail}"


def _as_events(value: Any) -> tuple[IntercurrentEvent, ...]:
    """Intercurrent events from IntercurrentEvent objects, (event, strategy[, detail])
    tuples, or a mapping ``{event: strategy}``."""
    if value is None:
        return ()
    if isinstance(value, IntercurrentEvent) or isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        value = list(value.items())
    if not isinstance(value, Iterable):
        raise ArgumentError(
            "intercurrent_events must be a list of IntercurrentEvent (or (event, strategy) "
            f"pairs, or a dict event -> strategy); got {type(value).__name__}. Pass e.g. "
            "[IntercurrentEvent('discontinued treatment', 'hypothetical')]."
        )
    events = []
    for item in value:
        if isinstance(item, IntercurrentEvent):
            events.append(item)
        elif isinstance(item, tuple) and len(item) in (2, 3):
            events.append(IntercurrentEvent(*item))
        else:
            raise ArgumentError(
                "each intercurrent event must be an IntercurrentEvent or an (event, strategy"
                f"[, detail]) tuple; got {short_repr(item)}. Pass e.g. "
                "IntercurrentEvent('discontinued treatment', 'hypothetical')."
            )
    names = [e.event.lower() for e in events]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ArgumentError(
            f"each intercurrent event must be listed once; {', '.join(map(repr, dup))} "
            "appear(s) more than once. Give one strategy per event (combine the details)."
        )
    return tuple(events)


@dataclass(frozen=True)
class Estimand:
    """The five attributes of an estimand (ICH E9(R1) A.3.2); immutable and checked.

    ``population``
        The patients targeted by the question.
    ``endpoint``
        The variable (endpoint) obtained for each patient, e.g. change from baseline at a
        visit.
    ``treatment``
        The treatment condition of interest and the alternative it is compared with.
    ``intercurrent_events``
        A tuple of :class:`IntercurrentEvent` (event and strategy); lists, ``(event,
        strategy)`` tuples and a dict ``{event: strategy}`` are accepted and converted.
    ``summary``
        The population-level summary, e.g. ``"difference in means"``, ``"odds ratio"``.

    ``.table`` has one row per attribute (columns ``attribute, value``; one row per
    intercurrent event); ``describe()`` gives one line; ``to_html()`` renders the table.
    """

    population: str
    endpoint: str
    treatment: str
    intercurrent_events: tuple[IntercurrentEvent, ...] = field(default=())
    summary: str = "difference in means (treatment minus control)"

    def __post_init__(self) -> None:
        for name in ("population", "endpoint", "treatment", "summary"):
            object.__setattr__(self, name, _check_text(name, getattr(self, name)))
        object.__setattr__(self, "intercurrent_events", _as_events(self.intercurrent_events))

    @property
    def strategies(self) -> dict[str, str]:
        """``{event: strategy}`` for each intercurrent event."""
        return {e.event: e.strategy for e in self.intercurrent_events}

    @property
    def table(self) -> pd.DataFrame:
        """One row per attribute: columns ``attribute, value``."""
        rows = [
            ("population", self.population),
            ("endpoint", self.endpoint),
            ("treatment", self.treatment),
        ]
        if self.intercurrent_events:
            rows += [("intercurrent event", e.describe()) for e in self.intercurrent_events]
        else:
            rows.append(("intercurrent event", "none stated"))
        rows.append(("population-level summary", self.summary))
        return pd.DataFrame(rows, columns=["attribute", "value"])

    def to_frame(self) -> pd.DataFrame:
        """A copy of ``.table``."""
        return self.table.copy()

    def describe(self) -> str:
        """One line: ``"Estimand: <summary> of <endpoint>, <treatment>, in <population>;
        intercurrent events: <event> (<strategy>), ..."``."""
        events = "; ".join(f"{e.event} ({e.strategy})" for e in self.intercurrent_events)
        return (
            f"Estimand: {self.summary} of {self.endpoint}, {self.treatment}, in "
            f"{self.population}; intercurrent events: {events or 'none stated'}."
        )

    def to_html(self) -> str:
        """The attribute table as an HTML fragment with the caption "Estimand"."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(a)}</th><td>{html.escape(v)}</td></tr>"
            for a, v in self.table.itertuples(index=False)
        )
        return f"<table class='estimand'><caption>Estimand</caption>{rows}</table>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        width = max(len(a) for a in self.table["attribute"])
        lines = ["Estimand"]
        lines += [f"  {a:<{width}}  {v}" for a, v in self.table.itertuples(index=False)]
        return "\n".join(lines)


def check_estimand(value: Any) -> Estimand | None:
    """Return ``value`` if it is None or an :class:`Estimand`; otherwise raise ArgumentError."""
    if value is None or isinstance(value, Estimand):
        return value
    raise ArgumentError(
        f"estimand must be an Estimand or None; got {short_repr(value)} "
        f"({type(value).__name__}). Build one with past_outcomes.Estimand(population=..., "
        "endpoint=..., treatment=..., intercurrent_events=[...], summary=...)."
    )
