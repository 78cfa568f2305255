"""The closed spec vocabulary as data, and the checker every spec value goes through.

``*_KEYS`` tables give, for each kind of mapping in a spec, its keys with their accepted
Python types and whether they are required (``instruments/README.md`` documents them).
:class:`SpecChecker` holds the generic checks (keys, numbers, text, ids, references); the
steps that build each part of an :class:`~past_outcomes.instrument.Instrument` are in
``_spec_build``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from past_outcomes._spec_yaml import fmt_number as _fmt
from past_outcomes._spec_yaml import key_text
from past_outcomes.errors import InstrumentDefinitionError, short_repr
from past_outcomes.instrument import (
    MAX_ID_LENGTH,
    MAX_ITEM_NUMBER,
    MAX_LABEL_LENGTH,
    MAX_MAGNITUDE,
    MAX_TEXT_LENGTH,
    OPERATORS,
)

# key -> (accepted python types, required)
NUM = (int, float)
TOP_KEYS: dict[str, tuple[tuple[type, ...], bool]] = {
    "id": ((str,), True),
    "name": ((str,), True),
    "short_name": ((str,), False),
    "version": ((str,), False),
    "sources": ((dict,), True),
    "licence": ((str,), True),
    "recall_period": ((str,), True),
    "administration": ((str,), True),
    "direction": ((str,), True),
    "response": ((dict,), True),
    "items": ((list,), True),
    "scales": ((list,), True),
    "classifications": ((list,), False),
    "change": ((list,), False),
    "responders": ((dict,), False),
    "note": ((str,), False),
}
RESPONSE_KEYS = {
    "min": (NUM, False),
    "max": (NUM, False),
    "integer": ((bool,), False),
    "values": ((list,), False),
    "missing_codes": ((list,), False),
    "labels": ((list,), False),
    "source": ((str,), True),
    "note": ((str,), False),
}
#: One published answer label of ``response.labels``.
ANSWER_LABEL_KEYS = {"value": (NUM, True), "label": ((str,), True)}
ITEM_KEYS = {
    "n": ((int,), True),
    "label": ((str,), True),
    "min": (NUM, False),
    "max": (NUM, False),
    "integer": ((bool,), False),
    "values": ((list,), False),
    "reverse": ((bool,), False),
    "required": ((bool,), False),
    "note": ((str,), False),
}
SCALE_KEYS = {
    "id": ((str,), True),
    "label": ((str,), True),
    "method": ((str,), True),
    "source": ((str,), True),
    "items": ((list,), False),
    "weights": ((list,), False),
    "factor": (NUM, False),
    "scales": ((list,), False),
    "proration": ((dict,), False),
    "range": ((list,), False),
    "direction": ((str,), False),
    "note": ((str,), False),
}
PRORATION_KEYS = {
    "min_answered": ((int,), True),
    "floor": (NUM, False),
    "source": ((str,), True),
    "note": ((str,), False),
}
CLASSIFICATION_KEYS = {
    "id": ((str,), True),
    "type": ((str,), True),
    "source": ((str,), True),
    "label": ((str,), False),
    "scale": ((str,), False),
    "item": ((int,), False),
    "operator": ((str,), False),
    "value": (NUM, False),
    "bands": ((list,), False),
    "require": ((list,), False),
    "items": ((list,), False),
    "count_values": ((list,), False),
    "count_missing": ((bool,), False),
    "match": ((str,), False),
    "levels": ((list,), False),
    "otherwise": ((str,), False),
    "verification": ((str,), False),
    "note": ((str,), False),
}
LEVEL_KEYS = {"label": ((str,), True), "classification": ((str,), True)}
BAND_KEYS = {"label": ((str,), True), "min": (NUM, True), "max": (NUM, True)}
REQUIRE_KEYS = {
    "items": ((list,), False),
    "scales": ((list,), False),
    "operator": ((str,), True),
    "value": (NUM, True),
    "at_least": ((int,), True),
    "note": ((str,), False),
}
CHANGE_KEYS = {
    "scale": ((str,), True),
    "reliability": ((dict,), False),
    "clinical": ((dict,), False),
    "functional": ((dict,), False),
    "mcid": ((dict,), False),
    "reliable_change": ((dict,), False),
    "note": ((str,), False),
}
VALUE_KEYS = {"value": (NUM, True), "source": ((str,), True), "note": ((str,), False)}
POPULATION_KEYS = {
    "mean": (NUM, True),
    "sd": (NUM, True),
    "source": ((str,), True),
    "note": ((str,), False),
}
RESPONDERS_KEYS = {"primary": ((str,), False), "rules": ((list,), True)}
RULE_KEYS = {
    "id": ((str,), True),
    "label": ((str,), True),
    "scale": ((str,), True),
    "kind": ((str,), True),
    "source": ((str,), True),
    "threshold": (NUM, False),
    "operator": ((str,), False),
    "by_baseline": ((list,), False),
    "diagnosis": ((str,), False),
    "remission": ((dict,), False),
    "eligible": ((dict,), False),
    "verification": ((str,), False),
    "base_rule": ((str,), False),
    "note": ((str,), False),
}
#: A baseline condition of a responder rule: ``pre <operator> value``.
ELIGIBLE_KEYS = {"operator": ((str,), True), "value": (NUM, True), "note": ((str,), False)}
BY_BASELINE_KEYS = {
    "min": (NUM, True),
    "max": (NUM, True),
    "threshold": (NUM, True),
    "label": ((str,), True),
}
REMISSION_KEYS = {"operator": ((str,), True), "value": (NUM, True), "note": ((str,), False)}


class SpecChecker:
    """The generic checks of a spec's values, failing with the file and the key path.

    Every value goes through one of four checkers, so that no field escapes its rule:
    :meth:`number` (finite, not a boolean, at most :data:`MAX_MAGNITUDE`, optional bounds and
    integer type), :meth:`text` (a string of bounded length), :meth:`ident` (an id matching
    its pattern in full) and :meth:`check_keys` (a mapping with only known keys, each of the
    declared type; numeric keys pass through :meth:`number`). Messages show spec values only
    through :func:`~past_outcomes.errors.short_repr`, so no message grows with the input.
    """

    sources: dict[str, str]
    items: dict[int, Any]

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        raise InstrumentDefinitionError(self.source, path, problem)

    # -- generic checks ----------------------------------------------------------------------
    def check_keys(self, node: Any, spec: Mapping[str, tuple[tuple[type, ...], bool]], path: str):
        if not isinstance(node, dict):
            self.fail(path, f"must be a mapping of keys to values; got {describe_value(node)}")
        for key in node:
            if key not in spec:
                allowed = ", ".join(spec)
                shown = key_text(key)
                where = f"{path}.{shown}" if path else shown
                self.fail(where, f"unknown key {short_repr(key)}; allowed keys here: {allowed}")
        for key, (types, required) in spec.items():
            where = f"{path}.{key}" if path else key
            if key not in node:
                if required:
                    self.fail(where, "is required but missing")
                continue
            value = node[key]
            if types == NUM:
                self.number(where, value)
                continue
            ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
            if not ok:
                names = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
                self.fail(where, f"must be {names}; got {describe_value(value)}")
            if types == (str,):
                self.text(where, value, limit=_TEXT_LIMITS.get(key, MAX_LABEL_LENGTH))
        return node

    def number(
        self,
        path: str,
        value: Any,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        exclusive_maximum: bool = False,
        integer: bool = False,
    ) -> Any:
        """The one check of every number in a spec; returns the value unchanged."""
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool):
            self.fail(
                path, f"must be {kind}, not a boolean; got {str(value).lower()}. Write a number."
            )
        if not isinstance(value, int if integer else NUM):
            self.fail(path, f"must be {kind}; got {describe_value(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(path, f"must be a finite number; got {short_repr(value)}. Write a number.")
        if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
            self.fail(
                path,
                f"must be at most {MAX_MAGNITUDE:,.0f} in absolute value; got "
                f"{short_repr(value)}. Check the value.",
            )
        if minimum is not None and (value < minimum or (exclusive_minimum and value == minimum)):
            word = "above" if exclusive_minimum else "at least"
            self.fail(path, f"must be {word} {_fmt(minimum)}; got {short_repr(value)}")
        if maximum is not None and (value > maximum or (exclusive_maximum and value == maximum)):
            word = "below" if exclusive_maximum else "at most"
            self.fail(path, f"must be {word} {_fmt(maximum)}; got {short_repr(value)}")
        return value

    def number_list(self, values: Any, path: str, *, integer: bool = False, **bounds: Any) -> tuple:
        if not isinstance(values, list) or not values:
            self.fail(path, f"must be a non-empty list; got {describe_value(values)}")
        return tuple(
            self.number(f"{path}[{i}]", v, integer=integer, **bounds) for i, v in enumerate(values)
        )

    def item_refs(self, values: Any, path: str) -> tuple[int, ...]:
        """A non-empty list of item numbers, each an item of the spec."""
        ns = self.number_list(values, path, integer=True, minimum=1, maximum=MAX_ITEM_NUMBER)
        for j, n in enumerate(ns):
            if n not in self.items:
                self.fail(f"{path}[{j}]", f"refers to unknown item {n}")
        return ns

    def text(self, path: str, value: Any, *, limit: int = MAX_LABEL_LENGTH) -> str:
        """A non-empty string of at most ``limit`` characters (one line for short texts)."""
        if not isinstance(value, str):
            self.fail(path, f"must be text; got {describe_value(value)}")
        if not value.strip():
            self.fail(path, "must be non-empty text")
        if len(value) > limit:
            self.fail(path, f"must be at most {limit:,} characters; got {len(value):,}")
        if limit <= MAX_LABEL_LENGTH and _CONTROL.search(value):
            self.fail(path, f"must be one line without control characters; got {short_repr(value)}")
        return value

    def ident(self, path: str, value: Any, pattern: re.Pattern, rule: str) -> str:
        """An id: text of at most :data:`MAX_ID_LENGTH` characters matching ``pattern`` in full."""
        if not isinstance(value, str):
            self.fail(path, f"must be text; got {describe_value(value)}")
        if len(value) > MAX_ID_LENGTH or not pattern.fullmatch(value):
            self.fail(
                path, f"must be {rule}, at most {MAX_ID_LENGTH} characters; got {short_repr(value)}"
            )
        return value

    def check_source(self, key: Any, path: str):
        if key not in self.sources:
            self.fail(
                path,
                f"source {short_repr(key)} is not a key of 'sources' ({', '.join(self.sources)})",
            )
        return key

    def check_operator(self, op: Any, path: str) -> str:
        if op not in OPERATORS:
            self.fail(path, f"operator must be one of {', '.join(OPERATORS)}; got {short_repr(op)}")
        return op

    def check_choice(self, path: str, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(path, f"must be one of {', '.join(choices)}; got {short_repr(value)}")
        return value


def describe_value(value: Any) -> str:
    """A value for a message: its kind and a short repr (never the whole value)."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "nothing (null)"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    kind = kinds.get(type(value))
    return f"{kind} {short_repr(value)}" if kind else short_repr(value)


_TYPE_NAMES = {
    str: "text",
    dict: "a mapping",
    list: "a list",
    bool: "true or false",
    int: "an integer",
}
# free text may be longer than a label; every other string is at most MAX_LABEL_LENGTH
_TEXT_LIMITS = {"note": MAX_TEXT_LENGTH, "licence": MAX_TEXT_LENGTH}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
