"""Instrument specs: load, validate and describe the declarative ``instruments/*.yaml`` files.

A spec is data, never code. It is read with a safe YAML loader (no tags, no duplicate keys),
checked against a closed vocabulary (unknown keys are errors) and turned into frozen
dataclasses. Every rule in a spec names its source, a key of the spec's ``sources`` mapping.
The vocabulary is documented in ``instruments/README.md``; the checks here enforce it:

- unknown or missing keys, wrong types;
- duplicate item numbers, scale ids, classification ids or output columns;
- references to unknown items, scales, classifications or sources;
- scales whose declared ``range`` differs from the range their items imply;
- bands with gaps or overlaps, or that do not cover the scale's range.

Every failure raises :class:`~past_outcomes.errors.InstrumentDefinitionError` naming the file
and the key path (``scales[2].items[4]``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from past_outcomes.errors import InstrumentDefinitionError, UnknownInstrumentError

__all__ = [
    "Instrument",
    "Item",
    "Scale",
    "Classification",
    "Band",
    "ChangeCriteria",
    "ResponderRule",
    "load_instrument",
    "list_instruments",
    "instruments_dir",
]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*$")
SUB_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
DIRECTIONS = ("higher-is-better", "lower-is-better")
SCALE_METHODS = ("sum", "mean", "weighted_sum", "sum_of_scales")
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
CLASSIFICATION_TYPES = ("cutoff", "bands", "item_flag", "criteria", "count")
RESPONDER_KINDS = ("change", "percent_change", "endpoint")


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One questionnaire item: its number, data column and allowed answers."""

    n: int
    column: str
    label: str
    min: float
    max: float
    integer: bool = True
    values: tuple[float, ...] | None = None
    reverse: bool = False
    required: bool = True
    note: str | None = None

    def allowed_text(self) -> str:
        """Plain-language description of the allowed answers, for error messages."""
        if self.values is not None:
            return "one of " + ", ".join(_fmt(v) for v in self.values)
        kind = "an integer" if self.integer else "a number"
        return f"{kind} from {_fmt(self.min)} to {_fmt(self.max)}"


@dataclass(frozen=True)
class Proration:
    """A published or declared rule for scoring a scale with some answers missing."""

    min_answered: int
    source: str
    floor: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Scale:
    """A score computed from items (sum, mean, weighted sum) or from other scales (sum)."""

    id: str
    column: str
    label: str
    method: str
    source: str
    items: tuple[int, ...] = ()
    item_columns: tuple[str, ...] = ()
    weights: tuple[float, ...] | None = None
    factor: float = 1.0
    scales: tuple[str, ...] = ()
    proration: Proration | None = None
    range: tuple[float, float] = (math.nan, math.nan)
    integer_valued: bool = False
    direction: str = "lower-is-better"
    note: str | None = None


@dataclass(frozen=True)
class Band:
    label: str
    min: float
    max: float


@dataclass(frozen=True)
class Classification:
    """A derived label: a cutoff, severity bands, an item flag, a symptom rule or a count rule."""

    id: str
    column: str
    type: str
    source: str
    label: str = ""
    scale: str | None = None
    item: int | None = None
    operator: str | None = None
    value: float | None = None
    bands: tuple[Band, ...] = ()
    require: tuple[Mapping[str, Any], ...] = ()
    items: tuple[int, ...] = ()
    count_values: tuple[float, ...] = ()
    count_missing: bool = False
    note: str | None = None


@dataclass(frozen=True)
class NormValue:
    value: float
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Population:
    mean: float
    sd: float
    source: str
    note: str | None = None


@dataclass(frozen=True)
class ChangeCriteria:
    """What a scale's change is judged against: reliability, norms, minimal important difference."""

    scale: str
    reliability: NormValue | None = None
    clinical: Population | None = None
    functional: Population | None = None
    mcid: NormValue | None = None
    reliable_change: NormValue | None = None
    note: str | None = None


@dataclass(frozen=True)
class BaselineThreshold:
    min: float
    max: float
    threshold: float
    label: str


@dataclass(frozen=True)
class ResponderRule:
    """A responder definition declared in a spec (applied by ``classify_responders``)."""

    id: str
    label: str
    scale: str
    kind: str
    source: str
    threshold: float | None = None
    operator: str | None = None
    by_baseline: tuple[BaselineThreshold, ...] = ()
    diagnosis: str | None = None
    remission: Mapping[str, Any] | None = None
    note: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A validated instrument spec. Build it with :func:`load_instrument`."""

    id: str
    name: str
    short_name: str
    sources: Mapping[str, str]
    licence: str
    recall_period: str
    administration: str
    direction: str
    items: tuple[Item, ...]
    scales: Mapping[str, Scale]
    classifications: Mapping[str, Classification]
    change: Mapping[str, ChangeCriteria]
    responder_rules: Mapping[str, ResponderRule]
    primary_responder_rule: str | None
    missing_codes: tuple[float, ...] = ()
    version: str = ""
    note: str | None = None
    path: str = ""

    @property
    def item_columns(self) -> tuple[str, ...]:
        return tuple(item.column for item in self.items)

    def item(self, n: int) -> Item:
        for item in self.items:
            if item.n == n:
                return item
        raise KeyError(n)

    def scale(self, name: str) -> Scale:
        """A scale by id (``total``) or output column (``fsfi_total``)."""
        if name in self.scales:
            return self.scales[name]
        for s in self.scales.values():
            if s.id == name:
                return s
        known = ", ".join(self.scales)
        raise KeyError(f"{self.id} has no scale {name!r}; its scales are {known}.")

    @property
    def output_columns(self) -> tuple[str, ...]:
        return tuple(self.scales) + tuple(self.classifications)

    def describe(self):
        """A tidy table of the instrument's scales: column, label, method, items, range, source."""
        import pandas as pd

        rows = []
        for s in self.scales.values():
            rows.append(
                {
                    "column": s.column,
                    "label": s.label,
                    "method": s.method,
                    "items": ", ".join(map(str, s.items)) or ", ".join(s.scales),
                    "min": s.range[0],
                    "max": s.range[1],
                    "proration": (
                        f">= {s.proration.min_answered} answered" if s.proration else "none"
                    ),
                    "source": self.sources.get(s.source, s.source),
                }
            )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"Instrument(id={self.id!r}, name={self.name!r}, items={len(self.items)}, "
            f"scales={list(self.scales)})"
        )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def instruments_dir() -> Path:
    """The folder of the bundled specs (inside the installed package, or the source tree)."""
    here = Path(__file__).resolve().parent
    packaged = here / "instruments"
    if packaged.is_dir() and any(packaged.glob("*.yaml")):
        return packaged
    return here.parent / "instruments"


def list_instruments():
    """The bundled instruments as a DataFrame: id, name, items, scales, direction, licence."""
    import pandas as pd

    rows = []
    for path in sorted(instruments_dir().glob("*.yaml")):
        inst = load_instrument(path)
        rows.append(
            {
                "id": inst.id,
                "name": inst.name,
                "items": len(inst.items),
                "scales": ", ".join(inst.scales),
                "direction": inst.direction,
                "licence": inst.licence,
            }
        )
    return pd.DataFrame(rows, columns=["id", "name", "items", "scales", "direction", "licence"])


def load_instrument(id_or_path: str | Path | Instrument) -> Instrument:
    """Load and validate an instrument spec.

    Parameters
    ----------
    id_or_path
        A bundled instrument id (``"fsfi"``), a path to a user's YAML spec, or an already
        loaded :class:`Instrument` (returned unchanged).

    Raises
    ------
    UnknownInstrumentError
        No bundled spec has that id and no file exists at that path.
    InstrumentDefinitionError
        The file is not a valid spec (the message names the file and the key path).
    """
    if isinstance(id_or_path, Instrument):
        return id_or_path
    if isinstance(id_or_path, Path) or (
        isinstance(id_or_path, str)
        and (id_or_path.endswith((".yaml", ".yml")) or "/" in id_or_path)
    ):
        path = Path(id_or_path)
        if not path.is_file():
            raise UnknownInstrumentError(
                f"No instrument spec file at {str(path)!r}. Check the path, or pass a bundled id "
                f"({', '.join(_bundled_ids())})."
            )
        stat = path.stat()
        return _load_path(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if not isinstance(id_or_path, str):
        raise UnknownInstrumentError(
            f"An instrument must be an id, a path or an Instrument; got {type(id_or_path).__name__}."
        )
    path = instruments_dir() / f"{id_or_path}.yaml"
    if not path.is_file():
        raise UnknownInstrumentError(
            f"No bundled instrument {id_or_path!r}. Bundled ids: {', '.join(_bundled_ids())}; "
            "or pass the path of your own spec file."
        )
    stat = path.stat()
    return _load_path(str(path), stat.st_mtime_ns, stat.st_size)


def _bundled_ids() -> list[str]:
    return sorted(p.stem for p in instruments_dir().glob("*.yaml"))


@functools.lru_cache(maxsize=64)
def _load_path(path: str, _mtime: int, _size: int) -> Instrument:
    text = Path(path).read_text(encoding="utf-8")
    return parse_instrument(text, source=path)


def parse_instrument(text: str, *, source: str = "<string>") -> Instrument:
    """Parse and validate a spec from YAML text (``source`` names it in error messages)."""
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKeyError as exc:
        raise InstrumentDefinitionError(source, exc.path, str(exc)) from None
    except yaml.YAMLError as exc:
        raise InstrumentDefinitionError(
            source, "", f"not valid safe YAML ({exc}). Specs are plain data: no tags, no code."
        ) from None
    return _Builder(source).build(raw)


class _DuplicateKeyError(yaml.YAMLError):
    def __init__(self, message: str, path: str):
        super().__init__(message)
        self.path = path


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader (plain data only: no tags, no code) that also rejects duplicate mapping keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKeyError(
                    f"duplicate key {key!r} (line {key_node.start_mark.line + 1}); "
                    "each key may appear once",
                    path=str(key),
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# --------------------------------------------------------------------------------------------
# Validation against the closed vocabulary
# --------------------------------------------------------------------------------------------

# key -> (accepted python types, required)
_NUM = (int, float)
_TOP_KEYS: dict[str, tuple[tuple[type, ...], bool]] = {
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
_RESPONSE_KEYS = {
    "min": (_NUM, False),
    "max": (_NUM, False),
    "integer": ((bool,), False),
    "values": ((list,), False),
    "missing_codes": ((list,), False),
    "source": ((str,), True),
    "note": ((str,), False),
}
_ITEM_KEYS = {
    "n": ((int,), True),
    "label": ((str,), True),
    "min": (_NUM, False),
    "max": (_NUM, False),
    "integer": ((bool,), False),
    "values": ((list,), False),
    "reverse": ((bool,), False),
    "required": ((bool,), False),
    "note": ((str,), False),
}
_SCALE_KEYS = {
    "id": ((str,), True),
    "label": ((str,), True),
    "method": ((str,), True),
    "source": ((str,), True),
    "items": ((list,), False),
    "weights": ((list,), False),
    "factor": (_NUM, False),
    "scales": ((list,), False),
    "proration": ((dict,), False),
    "range": ((list,), False),
    "direction": ((str,), False),
    "note": ((str,), False),
}
_PRORATION_KEYS = {
    "min_answered": ((int,), True),
    "floor": (_NUM, False),
    "source": ((str,), True),
    "note": ((str,), False),
}
_CLASSIFICATION_KEYS = {
    "id": ((str,), True),
    "type": ((str,), True),
    "source": ((str,), True),
    "label": ((str,), False),
    "scale": ((str,), False),
    "item": ((int,), False),
    "operator": ((str,), False),
    "value": (_NUM, False),
    "bands": ((list,), False),
    "require": ((list,), False),
    "items": ((list,), False),
    "count_values": ((list,), False),
    "count_missing": ((bool,), False),
    "note": ((str,), False),
}
_BAND_KEYS = {"label": ((str,), True), "min": (_NUM, True), "max": (_NUM, True)}
_REQUIRE_KEYS = {
    "items": ((list,), False),
    "scales": ((list,), False),
    "operator": ((str,), True),
    "value": (_NUM, True),
    "at_least": ((int,), True),
    "note": ((str,), False),
}
_CHANGE_KEYS = {
    "scale": ((str,), True),
    "reliability": ((dict,), False),
    "clinical": ((dict,), False),
    "functional": ((dict,), False),
    "mcid": ((dict,), False),
    "reliable_change": ((dict,), False),
    "note": ((str,), False),
}
_VALUE_KEYS = {"value": (_NUM, True), "source": ((str,), True), "note": ((str,), False)}
_POPULATION_KEYS = {
    "mean": (_NUM, True),
    "sd": (_NUM, True),
    "source": ((str,), True),
    "note": ((str,), False),
}
_RESPONDERS_KEYS = {"primary": ((str,), False), "rules": ((list,), True)}
_RULE_KEYS = {
    "id": ((str,), True),
    "label": ((str,), True),
    "scale": ((str,), True),
    "kind": ((str,), True),
    "source": ((str,), True),
    "threshold": (_NUM, False),
    "operator": ((str,), False),
    "by_baseline": ((list,), False),
    "diagnosis": ((str,), False),
    "remission": ((dict,), False),
    "note": ((str,), False),
}
_BY_BASELINE_KEYS = {
    "min": (_NUM, True),
    "max": (_NUM, True),
    "threshold": (_NUM, True),
    "label": ((str,), True),
}
_REMISSION_KEYS = {"operator": ((str,), True), "value": (_NUM, True), "note": ((str,), False)}


class _Builder:
    """Turns a parsed YAML mapping into an :class:`Instrument`, checking every key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str):
        raise InstrumentDefinitionError(self.source, path, problem)

    # -- generic checks ----------------------------------------------------------------------
    def check_keys(self, node: Any, spec: Mapping[str, tuple[tuple[type, ...], bool]], path: str):
        if not isinstance(node, dict):
            self.fail(path, f"must be a mapping; got {type(node).__name__}")
        for key in node:
            if key not in spec:
                allowed = ", ".join(spec)
                where = f"{path}.{key}" if path else str(key)
                self.fail(where, f"unknown key {key!r}; allowed keys here: {allowed}")
        for key, (types, required) in spec.items():
            where = f"{path}.{key}" if path else key
            if key not in node:
                if required:
                    self.fail(where, "is required but missing")
                continue
            value = node[key]
            ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
            if not ok:
                names = " or ".join(t.__name__ for t in types)
                self.fail(where, f"must be {names}; got {value!r}")
        return node

    def number_list(self, values: Any, path: str, *, integer: bool = False) -> tuple:
        if not isinstance(values, list) or not values:
            self.fail(path, "must be a non-empty list")
        for i, v in enumerate(values):
            ok = isinstance(v, int if integer else _NUM) and not isinstance(v, bool)
            if not ok:
                self.fail(
                    f"{path}[{i}]", f"must be {'an integer' if integer else 'a number'}; got {v!r}"
                )
        return tuple(values)

    def check_source(self, key: str, path: str):
        if key not in self.sources:
            self.fail(path, f"source {key!r} is not a key of 'sources' ({', '.join(self.sources)})")
        return key

    def check_operator(self, op: Any, path: str) -> str:
        if op not in OPERATORS:
            self.fail(path, f"operator must be one of {', '.join(OPERATORS)}; got {op!r}")
        return op

    # -- build ------------------------------------------------------------------------------
    def build(self, raw: Any) -> Instrument:
        top = self.check_keys(raw, _TOP_KEYS, "")
        inst_id = top["id"]
        if not ID_PATTERN.match(inst_id):
            self.fail(
                "id",
                f"must be lower-case letters and digits, starting with a letter; got {inst_id!r}",
            )
        self.inst_id = inst_id
        if top["direction"] not in DIRECTIONS:
            self.fail(
                "direction", f"must be one of {', '.join(DIRECTIONS)}; got {top['direction']!r}"
            )
        self.sources = {}
        for key, text in top["sources"].items():
            if not isinstance(key, str) or not isinstance(text, str) or not text.strip():
                self.fail(f"sources.{key}", "each source is a key and a non-empty citation text")
            self.sources[key] = text
        if not self.sources:
            self.fail("sources", "must cite at least one source")

        response = self.check_keys(top["response"], _RESPONSE_KEYS, "response")
        self.check_source(response["source"], "response.source")
        missing_codes = ()
        if "missing_codes" in response:
            missing_codes = self.number_list(response["missing_codes"], "response.missing_codes")
        items = self.build_items(top["items"], response)
        self.items = {it.n: it for it in items}
        direction = top["direction"]
        scales = self.build_scales(top["scales"], direction)
        self.scales = scales
        classifications = self.build_classifications(top.get("classifications", []))
        self.classifications = classifications
        columns = [it.column for it in items] + list(scales) + list(classifications)
        dupes = {c for c in columns if columns.count(c) > 1}
        if dupes:
            self.fail("", f"output column(s) {', '.join(sorted(dupes))} are defined more than once")
        change = self.build_change(top.get("change", []))
        rules, primary = self.build_responders(top.get("responders"))
        return Instrument(
            id=inst_id,
            name=top["name"],
            short_name=top.get("short_name", inst_id.upper()),
            sources=dict(self.sources),
            licence=top["licence"],
            recall_period=top["recall_period"],
            administration=top["administration"],
            direction=direction,
            items=tuple(items),
            scales=scales,
            classifications=classifications,
            change=change,
            responder_rules=rules,
            primary_responder_rule=primary,
            missing_codes=tuple(float(v) for v in missing_codes),
            version=top.get("version", ""),
            note=top.get("note"),
            path=self.source,
        )

    def build_items(self, raw_items: list, response: dict) -> list[Item]:
        if not raw_items:
            self.fail("items", "must list at least one item")
        items: list[Item] = []
        seen: set[int] = set()
        for i, node in enumerate(raw_items):
            path = f"items[{i}]"
            self.check_keys(node, _ITEM_KEYS, path)
            n = node["n"]
            if n < 1:
                self.fail(f"{path}.n", f"item numbers start at 1; got {n}")
            if n in seen:
                self.fail(f"{path}.n", f"duplicate item number {n}")
            seen.add(n)
            values = node.get("values", response.get("values"))
            if values is not None:
                values = tuple(sorted(self.number_list(values, f"{path}.values")))
                lo, hi = values[0], values[-1]
            else:
                lo = node.get("min", response.get("min"))
                hi = node.get("max", response.get("max"))
                if lo is None or hi is None:
                    self.fail(path, "needs min and max (on the item or in 'response') or values")
                if lo >= hi:
                    self.fail(path, f"min must be below max; got {lo} and {hi}")
            integer = node.get("integer", response.get("integer", True))
            items.append(
                Item(
                    n=n,
                    column=f"{self.inst_id}_{n}",
                    label=node["label"],
                    min=float(lo),
                    max=float(hi),
                    integer=integer,
                    values=None if values is None else tuple(float(v) for v in values),
                    reverse=node.get("reverse", False),
                    required=node.get("required", True),
                    note=node.get("note"),
                )
            )
        return items

    def build_scales(self, raw_scales: list, direction: str) -> dict[str, Scale]:
        if not raw_scales:
            self.fail("scales", "must define at least one scale")
        scales: dict[str, Scale] = {}
        by_id: dict[str, Scale] = {}
        for i, node in enumerate(raw_scales):
            path = f"scales[{i}]"
            self.check_keys(node, _SCALE_KEYS, path)
            sid = node["id"]
            if not SUB_ID_PATTERN.match(sid):
                self.fail(f"{path}.id", f"must be snake_case; got {sid!r}")
            if sid in by_id:
                self.fail(f"{path}.id", f"duplicate scale id {sid!r}")
            method = node["method"]
            if method not in SCALE_METHODS:
                self.fail(
                    f"{path}.method", f"must be one of {', '.join(SCALE_METHODS)}; got {method!r}"
                )
            self.check_source(node["source"], f"{path}.source")
            sdir = node.get("direction", direction)
            if sdir not in DIRECTIONS:
                self.fail(f"{path}.direction", f"must be one of {', '.join(DIRECTIONS)}")
            factor = float(node.get("factor", 1.0))
            proration = None
            if "proration" in node:
                p = self.check_keys(node["proration"], _PRORATION_KEYS, f"{path}.proration")
                self.check_source(p["source"], f"{path}.proration.source")
                proration = Proration(p["min_answered"], p["source"], p.get("floor"), p.get("note"))
            weights = None
            item_ns: tuple[int, ...] = ()
            sub_ids: tuple[str, ...] = ()
            if method == "sum_of_scales":
                if "items" in node or "weights" in node:
                    self.fail(
                        path, "a sum_of_scales scale lists 'scales', not 'items' or 'weights'"
                    )
                if "scales" not in node:
                    self.fail(f"{path}.scales", "is required for method sum_of_scales")
                sub_ids = tuple(node["scales"])
                for j, ref in enumerate(sub_ids):
                    if ref not in by_id:
                        self.fail(
                            f"{path}.scales[{j}]",
                            f"refers to unknown scale {ref!r} (scales must be defined before use)",
                        )
                if len(set(sub_ids)) != len(sub_ids):
                    self.fail(f"{path}.scales", "lists a scale twice")
                subs = [by_id[r] for r in sub_ids]
                lo = sum(s.range[0] for s in subs) * factor
                hi = sum(s.range[1] for s in subs) * factor
                integer_valued = all(s.integer_valued for s in subs) and float(factor).is_integer()
                item_ns = tuple(n for s in subs for n in s.items)
                n_parts = len(subs)
            else:
                if "scales" in node:
                    self.fail(
                        f"{path}.scales", f"only a sum_of_scales scale lists scales, not {method}"
                    )
                if "items" not in node:
                    self.fail(f"{path}.items", f"is required for method {method}")
                item_ns = self.number_list(node["items"], f"{path}.items", integer=True)
                for j, n in enumerate(item_ns):
                    if n not in self.items:
                        self.fail(f"{path}.items[{j}]", f"refers to unknown item {n}")
                if len(set(item_ns)) != len(item_ns):
                    self.fail(f"{path}.items", "lists an item twice")
                if method == "weighted_sum":
                    if "weights" not in node:
                        self.fail(f"{path}.weights", "is required for method weighted_sum")
                    weights = self.number_list(node["weights"], f"{path}.weights")
                    if len(weights) != len(item_ns):
                        self.fail(f"{path}.weights", "must have one weight per item")
                    if any(w <= 0 for w in weights):
                        self.fail(f"{path}.weights", "weights must be positive")
                elif "weights" in node:
                    self.fail(f"{path}.weights", f"only weighted_sum takes weights, not {method}")
                its = [self.items[n] for n in item_ns]
                w = weights or (1.0,) * len(its)
                los = [wi * it.min for wi, it in zip(w, its, strict=True)]
                his = [wi * it.max for wi, it in zip(w, its, strict=True)]
                if method == "mean":
                    lo, hi = sum(los) / len(its) * factor, sum(his) / len(its) * factor
                    integer_valued = False
                else:
                    lo, hi = sum(los) * factor, sum(his) * factor
                    integer_valued = (
                        all(it.integer for it in its)
                        and all(float(x).is_integer() for x in w)
                        and float(factor).is_integer()
                    )
                n_parts = len(its)
            if proration is not None and not 1 <= proration.min_answered <= n_parts:
                self.fail(
                    f"{path}.proration.min_answered",
                    f"must be between 1 and the number of parts ({n_parts})",
                )
            lo, hi = _clean(lo), _clean(hi)
            if "range" in node:
                declared = self.number_list(node["range"], f"{path}.range")
                if len(declared) != 2 or not (
                    math.isclose(declared[0], lo, abs_tol=1e-9)
                    and math.isclose(declared[1], hi, abs_tol=1e-9)
                ):
                    self.fail(
                        f"{path}.range",
                        f"declares {list(declared)} but the items imply [{_fmt(lo)}, {_fmt(hi)}]",
                    )
            scale = Scale(
                id=sid,
                column=f"{self.inst_id}_{sid}",
                label=node["label"],
                method=method,
                source=node["source"],
                items=item_ns,
                item_columns=tuple(f"{self.inst_id}_{n}" for n in item_ns),
                weights=None if weights is None else tuple(float(x) for x in weights),
                factor=factor,
                scales=sub_ids,
                proration=proration,
                range=(lo, hi),
                integer_valued=integer_valued,
                direction=sdir,
                note=node.get("note"),
            )
            by_id[sid] = scale
            scales[scale.column] = scale
        return scales

    def scale_by_id(self, sid: Any, path: str) -> Scale:
        for s in self.scales.values():
            if s.id == sid:
                return s
        self.fail(path, f"refers to unknown scale {sid!r}")
        raise AssertionError  # unreachable

    def build_classifications(self, raw: list) -> dict[str, Classification]:
        out: dict[str, Classification] = {}
        ids: set[str] = set()
        for i, node in enumerate(raw):
            path = f"classifications[{i}]"
            self.check_keys(node, _CLASSIFICATION_KEYS, path)
            cid, ctype = node["id"], node["type"]
            if not SUB_ID_PATTERN.match(cid):
                self.fail(f"{path}.id", f"must be snake_case; got {cid!r}")
            if cid in ids:
                self.fail(f"{path}.id", f"duplicate classification id {cid!r}")
            ids.add(cid)
            if ctype not in CLASSIFICATION_TYPES:
                self.fail(
                    f"{path}.type",
                    f"must be one of {', '.join(CLASSIFICATION_TYPES)}; got {ctype!r}",
                )
            self.check_source(node["source"], f"{path}.source")
            needed = {
                "cutoff": {"scale", "operator", "value"},
                "bands": {"scale", "bands"},
                "item_flag": {"item", "operator", "value"},
                "criteria": {"require"},
                "count": {"items", "count_values", "operator", "value"},
            }[ctype]
            allowed = needed | {"id", "type", "source", "label", "note"}
            if ctype == "count":
                allowed = allowed | {"count_missing"}
            for key in node:
                if key not in allowed:
                    self.fail(f"{path}.{key}", f"is not used by a {ctype} classification")
            for key in needed:
                if key not in node:
                    self.fail(f"{path}.{key}", f"is required for a {ctype} classification")
            kwargs: dict[str, Any] = {}
            if "scale" in node:
                kwargs["scale"] = self.scale_by_id(node["scale"], f"{path}.scale").column
            if "operator" in node:
                kwargs["operator"] = self.check_operator(node["operator"], f"{path}.operator")
                kwargs["value"] = float(node["value"])
            if "item" in node:
                if node["item"] not in self.items:
                    self.fail(f"{path}.item", f"refers to unknown item {node['item']}")
                kwargs["item"] = node["item"]
            if ctype == "bands":
                kwargs["bands"] = self.build_bands(
                    node["bands"], self.scales[kwargs["scale"]], path
                )
            if ctype == "criteria":
                kwargs["require"] = self.build_require(node["require"], f"{path}.require")
            if ctype == "count":
                ns = self.number_list(node["items"], f"{path}.items", integer=True)
                for j, n in enumerate(ns):
                    if n not in self.items:
                        self.fail(f"{path}.items[{j}]", f"refers to unknown item {n}")
                kwargs["items"] = ns
                kwargs["count_values"] = tuple(
                    float(v) for v in self.number_list(node["count_values"], f"{path}.count_values")
                )
                kwargs["count_missing"] = node.get("count_missing", False)
            cls = Classification(
                id=cid,
                column=f"{self.inst_id}_{cid}",
                type=ctype,
                source=node["source"],
                label=node.get("label", ""),
                note=node.get("note"),
                **kwargs,
            )
            out[cls.column] = cls
        return out

    def build_bands(self, raw: list, scale: Scale, path: str) -> tuple[Band, ...]:
        if not scale.integer_valued:
            self.fail(
                f"{path}.bands",
                f"bands need an integer-valued scale; {scale.column} is not (use cutoffs instead)",
            )
        if not raw:
            self.fail(f"{path}.bands", "must list at least one band")
        bands = []
        for j, b in enumerate(raw):
            self.check_keys(b, _BAND_KEYS, f"{path}.bands[{j}]")
            if b["min"] > b["max"]:
                self.fail(f"{path}.bands[{j}]", f"min {b['min']} is above max {b['max']}")
            bands.append(Band(b["label"], float(b["min"]), float(b["max"])))
        labels = [b.label for b in bands]
        if len(set(labels)) != len(labels):
            self.fail(f"{path}.bands", "band labels must be unique")
        ordered = sorted(bands, key=lambda b: b.min)
        lo, hi = scale.range
        if ordered[0].min != lo:
            self.fail(
                f"{path}.bands",
                f"start at {_fmt(ordered[0].min)} but {scale.column} starts at {_fmt(lo)}",
            )
        if ordered[-1].max != hi:
            self.fail(
                f"{path}.bands",
                f"end at {_fmt(ordered[-1].max)} but {scale.column} ends at {_fmt(hi)}",
            )
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            if nxt.min <= prev.max:
                self.fail(f"{path}.bands", f"{prev.label!r} and {nxt.label!r} overlap")
            if nxt.min > prev.max + 1:
                self.fail(
                    f"{path}.bands",
                    f"gap between {prev.label!r} (to {_fmt(prev.max)}) and {nxt.label!r} (from {_fmt(nxt.min)})",
                )
        return tuple(ordered)

    def build_require(self, raw: list, path: str) -> tuple[Mapping[str, Any], ...]:
        if not raw:
            self.fail(path, "must list at least one requirement")
        out = []
        for j, node in enumerate(raw):
            where = f"{path}[{j}]"
            self.check_keys(node, _REQUIRE_KEYS, where)
            if ("items" in node) == ("scales" in node):
                self.fail(where, "needs exactly one of 'items' or 'scales'")
            self.check_operator(node["operator"], f"{where}.operator")
            if "items" in node:
                ns = self.number_list(node["items"], f"{where}.items", integer=True)
                for k, n in enumerate(ns):
                    if n not in self.items:
                        self.fail(f"{where}.items[{k}]", f"refers to unknown item {n}")
                columns = tuple(f"{self.inst_id}_{n}" for n in ns)
            else:
                columns = tuple(
                    self.scale_by_id(s, f"{where}.scales[{k}]").column
                    for k, s in enumerate(node["scales"])
                )
            if not 1 <= node["at_least"] <= len(columns):
                self.fail(f"{where}.at_least", f"must be between 1 and {len(columns)}")
            out.append(
                {
                    "columns": columns,
                    "operator": node["operator"],
                    "value": float(node["value"]),
                    "at_least": node["at_least"],
                }
            )
        return tuple(out)

    def build_change(self, raw: list) -> dict[str, ChangeCriteria]:
        out: dict[str, ChangeCriteria] = {}
        for i, node in enumerate(raw):
            path = f"change[{i}]"
            self.check_keys(node, _CHANGE_KEYS, path)
            column = self.scale_by_id(node["scale"], f"{path}.scale").column
            if column in out:
                self.fail(f"{path}.scale", f"change criteria for {node['scale']!r} are given twice")
            kwargs: dict[str, Any] = {}
            for key in ("reliability", "mcid", "reliable_change"):
                if key in node:
                    v = self.check_keys(node[key], _VALUE_KEYS, f"{path}.{key}")
                    self.check_source(v["source"], f"{path}.{key}.source")
                    if key == "reliability" and not 0 < v["value"] < 1:
                        self.fail(f"{path}.reliability.value", "must be strictly between 0 and 1")
                    kwargs[key] = NormValue(float(v["value"]), v["source"], v.get("note"))
            for key in ("clinical", "functional"):
                if key in node:
                    v = self.check_keys(node[key], _POPULATION_KEYS, f"{path}.{key}")
                    self.check_source(v["source"], f"{path}.{key}.source")
                    if v["sd"] <= 0:
                        self.fail(f"{path}.{key}.sd", "must be positive")
                    kwargs[key] = Population(
                        float(v["mean"]), float(v["sd"]), v["source"], v.get("note")
                    )
            out[column] = ChangeCriteria(scale=column, note=node.get("note"), **kwargs)
        return out

    def build_responders(self, raw: Any) -> tuple[dict[str, ResponderRule], str | None]:
        if raw is None:
            return {}, None
        node = self.check_keys(raw, _RESPONDERS_KEYS, "responders")
        rules: dict[str, ResponderRule] = {}
        for i, r in enumerate(node["rules"]):
            path = f"responders.rules[{i}]"
            self.check_keys(r, _RULE_KEYS, path)
            rid = r["id"]
            if not SUB_ID_PATTERN.match(rid):
                self.fail(f"{path}.id", f"must be snake_case; got {rid!r}")
            if rid in rules:
                self.fail(f"{path}.id", f"duplicate responder rule {rid!r}")
            if r["kind"] not in RESPONDER_KINDS:
                self.fail(
                    f"{path}.kind",
                    f"must be one of {', '.join(RESPONDER_KINDS)}; got {r['kind']!r}",
                )
            self.check_source(r["source"], f"{path}.source")
            column = self.scale_by_id(r["scale"], f"{path}.scale").column
            if r["kind"] == "endpoint":
                if "operator" not in r or "threshold" not in r:
                    self.fail(path, "an endpoint rule needs 'operator' and 'threshold'")
                self.check_operator(r["operator"], f"{path}.operator")
            elif "threshold" not in r and "by_baseline" not in r:
                self.fail(path, f"a {r['kind']} rule needs 'threshold' or 'by_baseline'")
            by_baseline = []
            for j, b in enumerate(r.get("by_baseline", [])):
                self.check_keys(b, _BY_BASELINE_KEYS, f"{path}.by_baseline[{j}]")
                by_baseline.append(
                    BaselineThreshold(
                        float(b["min"]), float(b["max"]), float(b["threshold"]), b["label"]
                    )
                )
            if "diagnosis" in r:
                dx = f"{self.inst_id}_{r['diagnosis']}"
                if dx not in self.classifications or self.classifications[dx].type not in (
                    "criteria",
                    "cutoff",
                ):
                    self.fail(
                        f"{path}.diagnosis",
                        f"must name a criteria or cutoff classification; got {r['diagnosis']!r}",
                    )
            remission = None
            if "remission" in r:
                remission = dict(
                    self.check_keys(r["remission"], _REMISSION_KEYS, f"{path}.remission")
                )
                self.check_operator(remission["operator"], f"{path}.remission.operator")
            rules[rid] = ResponderRule(
                id=rid,
                label=r["label"],
                scale=column,
                kind=r["kind"],
                source=r["source"],
                threshold=None if "threshold" not in r else float(r["threshold"]),
                operator=r.get("operator"),
                by_baseline=tuple(by_baseline),
                diagnosis=None if "diagnosis" not in r else f"{self.inst_id}_{r['diagnosis']}",
                remission=remission,
                note=r.get("note"),
            )
        primary = node.get("primary")
        if primary is not None and primary not in rules:
            self.fail("responders.primary", f"names unknown rule {primary!r}")
        return rules, primary


def _clean(x: float) -> float:
    """Round away float noise from factor arithmetic (0.3 * 20 = 6.000000000000001)."""
    return float(round(x, 9))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def iter_scales_in_order(instrument: Instrument) -> Iterable[Scale]:
    """Scales in definition order (sub-scales come before the scales built on them)."""
    return instrument.scales.values()
