"""Instrument specs: load, validate and describe the declarative ``instruments/*.yaml`` files.

A spec is data, never code, and untrusted input: a user may load any file. It is refused
before parsing when larger than :data:`MAX_SPEC_BYTES` or not UTF-8 text; read as plain YAML
data only (no tags, anchors, aliases, merge keys, complex or duplicate keys; nesting and
value count bounded); checked against a closed vocabulary (unknown keys are errors at every
level) and turned into frozen dataclasses. Every rule in a spec names its source, a key of
the spec's ``sources`` mapping. The vocabulary and the bounds are documented in
``instruments/README.md``; the checks here enforce them:

- unknown or missing keys, wrong types, text too long, ids not matching their pattern in full;
- numbers that are not finite, are booleans, are huge or lie outside their domain (a factor
  or SD of 0, a reliability of 1, a missing code that is also an allowed answer);
- duplicate item numbers, scale ids, classification ids or output columns;
- references to unknown items, scales, classifications or sources;
- scales whose declared ``range`` differs from the range their items imply;
- bands with gaps or overlaps, or that do not cover the scale's range exactly.

Every failure raises :class:`~past_outcomes.errors.InstrumentDefinitionError` naming the file
and the key path (``scales[2].items[4]``), showing spec values only cut short (``short_repr``).
"""

from __future__ import annotations

import codecs
import functools
import math
import operator as _operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import ScalarNode, SequenceNode
from yaml.resolver import Resolver

from past_outcomes.errors import (
    ArgumentError,
    InstrumentDefinitionError,
    UnknownInstrumentError,
    short_repr,
)

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

# Ids are matched in full: \A and \Z (not ^ and $, which accept a trailing newline), so
# "phq9\n" is not an id whether a pattern is used with fullmatch or match.
ID_PATTERN = re.compile(r"\A[a-z][a-z0-9]*\Z")
SUB_ID_PATTERN = re.compile(r"\A[a-z][a-z0-9_]*\Z")
DIRECTIONS = ("higher-is-better", "lower-is-better")
SCALE_METHODS = ("sum", "mean", "weighted_sum", "sum_of_scales")
#: Comparison operators of the spec vocabulary: symbol -> function (iterating gives symbols).
OPERATORS = {
    "<": _operator.lt,
    "<=": _operator.le,
    ">": _operator.gt,
    ">=": _operator.ge,
    "==": _operator.eq,
    "!=": _operator.ne,
}
CLASSIFICATION_TYPES = ("cutoff", "bands", "item_flag", "criteria", "count")
RESPONDER_KINDS = ("change", "percent_change", "endpoint")

# Bounds on a spec, which is untrusted input (documented in instruments/README.md).
#: Largest spec accepted, in bytes, checked before parsing (a hand-written spec is < 50 KB).
MAX_SPEC_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (the bundled specs nest at most 7 deep).
MAX_DEPTH = 20
#: Most values (scalars, mappings and lists) in one spec (the bundled specs hold < 300).
MAX_NODES = 50_000
#: Longest id (instrument, scale, classification, rule, source key).
MAX_ID_LENGTH = 40
#: Longest label, name or other one-line text.
MAX_LABEL_LENGTH = 200
#: Longest free text: citations, licence, notes.
MAX_TEXT_LENGTH = 5_000
#: Largest absolute value of any number in a spec.
MAX_MAGNITUDE = 1e9
#: Highest item number.
MAX_ITEM_NUMBER = 9_999


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
        raise KeyError(f"{self.id} has no scale {short_repr(name)}; its scales are {known}.")

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
        The file is not a valid spec (the message names the file and the key path): larger
        than :data:`MAX_SPEC_BYTES`, not UTF-8 text, not plain YAML data, or outside the
        vocabulary of ``instruments/README.md``.
    """
    if isinstance(id_or_path, Instrument):
        return id_or_path
    if isinstance(id_or_path, Path) or (
        isinstance(id_or_path, str)
        and (id_or_path.endswith((".yaml", ".yml")) or "/" in id_or_path)
    ):
        path = Path(id_or_path)
        if not _is_file(path):
            raise UnknownInstrumentError(
                f"No instrument spec file at {short_repr(str(path))}. Check the path, or pass a "
                f"bundled id ({', '.join(_bundled_ids())})."
            )
        stat = path.stat()
        return _load_path(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if not isinstance(id_or_path, str):
        raise UnknownInstrumentError(
            f"An instrument must be an id, a path or an Instrument; got {type(id_or_path).__name__}."
        )
    path = instruments_dir() / f"{id_or_path}.yaml"
    if not ID_PATTERN.fullmatch(id_or_path) or not _is_file(path):
        raise UnknownInstrumentError(
            f"No bundled instrument {short_repr(id_or_path)}. Bundled ids: "
            f"{', '.join(_bundled_ids())}; or pass the path of your own spec file."
        )
    stat = path.stat()
    return _load_path(str(path), stat.st_mtime_ns, stat.st_size)


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False also when the name cannot be a file (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _bundled_ids() -> list[str]:
    return sorted(p.stem for p in instruments_dir().glob("*.yaml"))


@functools.lru_cache(maxsize=64)
def _load_path(path: str, _mtime: int, size: int) -> Instrument:
    if size > MAX_SPEC_BYTES:  # refused from its size alone: nothing is read
        raise InstrumentDefinitionError(path, "", _too_large(f"{size:,} bytes"))
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)  # the file may have grown since stat
    except OSError as exc:
        raise InstrumentDefinitionError(
            path, "", f"cannot be read ({exc.strerror}). Check its permissions."
        ) from None
    return parse_instrument(data, source=path)


def parse_instrument(text: str | bytes, *, source: str = "<string>") -> Instrument:
    """Parse and validate a spec from YAML text (``source`` names it in error messages).

    ``text`` is a ``str`` or UTF-8 ``bytes``. A spec is untrusted input and is refused with
    :class:`InstrumentDefinitionError`, before any parsing where possible, when it is larger
    than :data:`MAX_SPEC_BYTES`, is not UTF-8 text (Latin-1, UTF-16, binary with NUL bytes),
    uses YAML tags, anchors, aliases, merge keys or non-scalar keys, nests mappings and lists
    more than :data:`MAX_DEPTH` deep or holds more than :data:`MAX_NODES` values.
    """
    if not isinstance(source, str):
        raise ArgumentError(f"source must be a str naming the spec; got {short_repr(source)}.")
    text = _spec_text(text, source)
    loader = _SpecLoader(text)
    try:
        raw = loader.get_single_data()
    except _SpecRefusal as exc:
        raise InstrumentDefinitionError(source, exc.path, str(exc)) from None
    except yaml.YAMLError as exc:
        raise InstrumentDefinitionError(
            source,
            "",
            f"not valid safe YAML ({_clip(str(exc))}). Specs are plain data: no tags, no code.",
        ) from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        # a scalar YAML resolves but cannot build, e.g. the date 2020-13-45
        raise InstrumentDefinitionError(
            source, "", f"has a value that cannot be read ({_clip(str(exc))}). Check the spec."
        ) from None
    finally:
        loader.dispose()
    return _Builder(source).build(raw)


def _too_large(size: str) -> str:
    return (
        f"is {size}; a spec may be at most {MAX_SPEC_BYTES:,} bytes (a hand-written spec is "
        "under 50 KB). Check that this is the spec file you meant."
    )


def _spec_text(data: Any, source: str) -> str:
    """The spec as checked text: bounded in size, UTF-8, without NUL characters."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_SPEC_BYTES:
            raise InstrumentDefinitionError(source, "", _too_large(f"{len(data):,} bytes or more"))
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InstrumentDefinitionError(
                source,
                "",
                "is UTF-16 or UTF-32 text (it starts with a byte-order mark); a spec must be "
                "UTF-8. Save it again as UTF-8.",
            )
        if b"\x00" in data:
            raise InstrumentDefinitionError(
                source,
                "",
                f"contains NUL bytes (first at byte {data.index(0)}): it is binary, or UTF-16 "
                "text without a byte-order mark; a spec must be UTF-8 text. Save it as UTF-8.",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InstrumentDefinitionError(
                source,
                "",
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); it may "
                "be Latin-1 or Windows-1252. Save it again as UTF-8.",
            ) from None
        return text.removeprefix("\ufeff")
    if not isinstance(data, str):
        raise ArgumentError(
            f"a spec must be YAML text (str or UTF-8 bytes); got {type(data).__name__}. "
            "Pass the text of the file, or its path to load_instrument."
        )
    if len(data) > MAX_SPEC_BYTES:  # UTF-8 needs at least one byte per character
        raise InstrumentDefinitionError(source, "", _too_large(f"{len(data):,} characters"))
    try:
        size = len(data.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InstrumentDefinitionError(
            source,
            "",
            f"is not valid text (a lone surrogate {short_repr(exc.object[exc.start])} at "
            f"character {exc.start}). Decode the file as UTF-8 before passing it.",
        ) from None
    if size > MAX_SPEC_BYTES:
        raise InstrumentDefinitionError(source, "", _too_large(f"{size:,} bytes in UTF-8"))
    if "\x00" in data:
        raise InstrumentDefinitionError(
            source,
            "",
            f"contains a NUL character (at character {data.index(chr(0))}): it is binary, or "
            "UTF-16 decoded as something else; a spec must be UTF-8 text.",
        )
    return data.removeprefix("\ufeff")


def _clip(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _SpecRefusal(yaml.YAMLError):
    """A YAML feature or size refused in a spec (raised while composing or constructing)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_CHARS = 100  # no spec number needs more characters (bounds int("9" * 10**6) work)


class _SpecLoader(Composer, SafeConstructor, Resolver):
    """Plain YAML data only, within bounds.

    Events come from libyaml when PyYAML has it (fast), else from PyYAML's pure-Python
    parser; either way the composition below is the same and refuses, before any value is
    built: tags (even safe ones such as ``!!binary``), anchors and aliases (so no "billion
    laughs" expansion), nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES`
    values, non-scalar and merge (``<<``) keys, duplicate keys and numbers written with more
    than 100 characters.
    """

    def __init__(self, text: str):
        parser = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
        self._parser = parser(text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._nodes = 0

    # events, from the parser
    def check_event(self, *choices):
        return self._parser.check_event(*choices)

    def peek_event(self):
        return self._parser.peek_event()

    def get_event(self):
        return self._parser.get_event()

    def dispose(self):
        self._parser.dispose()

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = f"line {event.start_mark.line + 1}"
        if isinstance(event, AliasEvent):
            raise _SpecRefusal(
                f"uses the YAML alias *{_clip(str(event.anchor), 40)} ({line}); anchors and "
                "aliases are refused in specs. Write the value out in full."
            )
        if event.anchor is not None:
            raise _SpecRefusal(
                f"uses the YAML anchor &{_clip(str(event.anchor), 40)} ({line}); anchors and "
                "aliases are refused in specs. Write the value out in full."
            )
        if event.tag is not None:
            raise _SpecRefusal(
                f"not valid safe YAML: the tag {short_repr(event.tag)} ({line}) is refused. "
                "Specs are plain data: no tags, no code."
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _SpecRefusal(
                f"holds more than {MAX_NODES:,} values ({line}); a hand-written spec holds a few "
                "hundred. Check that this is the spec file you meant."
            )
        nested = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _SpecRefusal(
                    f"nests mappings and lists more than {MAX_DEPTH} deep ({line}); a spec "
                    "nests at most 7. Check the indentation and brackets."
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            line = f"line {key_node.start_mark.line + 1}"
            if not isinstance(key_node, ScalarNode):
                raise _SpecRefusal(
                    f"uses a {'list' if isinstance(key_node, SequenceNode) else 'mapping'} as a "
                    f"key ({line}); keys must be plain names."
                )
            if key_node.tag == _MERGE_TAG:
                raise _SpecRefusal(
                    f"uses a YAML merge key '<<' ({line}); merge keys are refused in specs. "
                    "Write the keys out in full."
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _SpecRefusal(
                    f"duplicate key {short_repr(key)} ({line}); each key may appear once",
                    path=_key_text(key),
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def _bounded_number(self, node):
        if len(node.value) > _NUMBER_CHARS:
            raise _SpecRefusal(
                f"has a number written with {len(node.value):,} characters "
                f"(line {node.start_mark.line + 1}); at most {_NUMBER_CHARS} are accepted."
            )

    def construct_yaml_int(self, node):
        self._bounded_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        self._bounded_number(node)
        return super().construct_yaml_float(node)


_SpecLoader.add_constructor("tag:yaml.org,2002:int", _SpecLoader.construct_yaml_int)
_SpecLoader.add_constructor("tag:yaml.org,2002:float", _SpecLoader.construct_yaml_float)


def _key_text(key: Any) -> str:
    """A key as shown in a key path: plain names as they are, anything else cut short."""
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return key
    return short_repr(key, 40)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


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
    """Turns a parsed YAML mapping into an :class:`Instrument`, checking every key.

    Every value goes through one of four checkers, so that no field escapes its rule:
    :meth:`number` (finite, not a boolean, at most :data:`MAX_MAGNITUDE`, optional bounds and
    integer type), :meth:`text` (a string of bounded length), :meth:`ident` (an id matching
    its pattern in full) and :meth:`check_keys` (a mapping with only known keys, each of the
    declared type; numeric keys pass through :meth:`number`). Messages show spec values only
    through :func:`~past_outcomes.errors.short_repr`, so no message grows with the input.
    """

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        raise InstrumentDefinitionError(self.source, path, problem)

    # -- generic checks ----------------------------------------------------------------------
    def check_keys(self, node: Any, spec: Mapping[str, tuple[tuple[type, ...], bool]], path: str):
        if not isinstance(node, dict):
            self.fail(path, f"must be a mapping of keys to values; got {_got(node)}")
        for key in node:
            if key not in spec:
                allowed = ", ".join(spec)
                shown = _key_text(key)
                where = f"{path}.{shown}" if path else shown
                self.fail(where, f"unknown key {short_repr(key)}; allowed keys here: {allowed}")
        for key, (types, required) in spec.items():
            where = f"{path}.{key}" if path else key
            if key not in node:
                if required:
                    self.fail(where, "is required but missing")
                continue
            value = node[key]
            if types == _NUM:
                self.number(where, value)
                continue
            ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
            if not ok:
                names = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
                self.fail(where, f"must be {names}; got {_got(value)}")
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
        if not isinstance(value, int if integer else _NUM):
            self.fail(path, f"must be {kind}; got {_got(value)}")
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
            self.fail(path, f"must be a non-empty list; got {_got(values)}")
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
            self.fail(path, f"must be text; got {_got(value)}")
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
            self.fail(path, f"must be text; got {_got(value)}")
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

    # -- build ------------------------------------------------------------------------------
    def build(self, raw: Any) -> Instrument:
        if not isinstance(raw, dict):
            got = "an empty document" if raw is None else _got(raw)
            self.fail(
                "",
                f"a spec must be a YAML mapping of keys (id, name, sources, items, scales, ...); "
                f"got {got}. See instruments/README.md.",
            )
        top = self.check_keys(raw, _TOP_KEYS, "")
        inst_id = self.ident(
            "id", top["id"], ID_PATTERN, "lower-case letters and digits, starting with a letter"
        )
        self.inst_id = inst_id
        direction = self.check_choice("direction", top["direction"], DIRECTIONS)
        self.sources = {}
        for key, text in top["sources"].items():
            where = f"sources.{_key_text(key)}"
            self.ident(where, key, SUB_ID_PATTERN, "a snake_case source key")
            self.text(where, text, limit=MAX_TEXT_LENGTH)
            self.sources[key] = text
        if not self.sources:
            self.fail("sources", "must cite at least one source")

        response = self.check_keys(top["response"], _RESPONSE_KEYS, "response")
        self.check_source(response["source"], "response.source")
        items = self.build_items(top["items"], response)
        self.items = {it.n: it for it in items}
        missing_codes: tuple = ()
        if "missing_codes" in response:
            missing_codes = self.build_missing_codes(response["missing_codes"], items)
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

    def build_missing_codes(self, raw: Any, items: list[Item]) -> tuple:
        codes = self.number_list(raw, "response.missing_codes")
        for j, code in enumerate(codes):
            for it in items:
                if it.values is not None:
                    allowed = float(code) in it.values
                else:
                    allowed = it.min <= code <= it.max and (
                        not it.integer or float(code).is_integer()
                    )
                if allowed:
                    self.fail(
                        f"response.missing_codes[{j}]",
                        f"{_fmt(code)} is also an allowed answer to item {it.n} "
                        f"({it.allowed_text()}); a missing code must not be a valid answer",
                    )
        return codes

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
                self.fail(f"{path}.n", f"item numbers start at 1; got {short_repr(n)}")
            self.number(f"{path}.n", n, integer=True, maximum=MAX_ITEM_NUMBER)
            if n in seen:
                self.fail(f"{path}.n", f"duplicate item number {n}")
            seen.add(n)
            if "values" in node:
                values, where = node["values"], f"{path}.values"
            else:
                values, where = response.get("values"), "response.values"
            if values is not None:
                values = tuple(sorted(self.number_list(values, where)))
                if len(set(values)) != len(values):
                    self.fail(where, "lists a value twice")
                if len(values) < 2:
                    self.fail(where, "must list at least two allowed answers")
                lo, hi = values[0], values[-1]
            else:
                lo = node.get("min", response.get("min"))
                hi = node.get("max", response.get("max"))
                if lo is None or hi is None:
                    self.fail(path, "needs min and max (on the item or in 'response') or values")
                if lo >= hi:
                    self.fail(path, f"min must be below max; got {_fmt(lo)} and {_fmt(hi)}")
            integer = node.get("integer", response.get("integer", True))
            if (
                integer
                and values is None
                and not (float(lo).is_integer() and float(hi).is_integer())
            ):
                self.fail(
                    path,
                    f"an integer item needs whole-number min and max; got {_fmt(lo)} and "
                    f"{_fmt(hi)} (set integer: false for a continuous answer)",
                )
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
            sid = self.ident(f"{path}.id", node["id"], SUB_ID_PATTERN, "snake_case")
            if sid in by_id:
                self.fail(f"{path}.id", f"duplicate scale id {short_repr(sid)}")
            method = self.check_choice(f"{path}.method", node["method"], SCALE_METHODS)
            self.check_source(node["source"], f"{path}.source")
            sdir = self.check_choice(
                f"{path}.direction", node.get("direction", direction), DIRECTIONS
            )
            factor = float(
                self.number(
                    f"{path}.factor", node.get("factor", 1.0), minimum=0, exclusive_minimum=True
                )
            )
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
                if not node["scales"]:
                    self.fail(f"{path}.scales", "must list at least one scale")
                for j, ref in enumerate(node["scales"]):
                    if not isinstance(ref, str) or ref not in by_id:
                        self.fail(
                            f"{path}.scales[{j}]",
                            f"refers to unknown scale {short_repr(ref)} (scales must be defined "
                            "before use)",
                        )
                sub_ids = tuple(node["scales"])
                if len(set(sub_ids)) != len(sub_ids):
                    self.fail(f"{path}.scales", "lists a scale twice")
                subs = [by_id[r] for r in sub_ids]
                lo = sum(s.range[0] for s in subs) * factor
                hi = sum(s.range[1] for s in subs) * factor
                integer_valued = all(s.integer_valued for s in subs) and factor.is_integer()
                item_ns = tuple(n for s in subs for n in s.items)
                n_parts = len(subs)
            else:
                if "scales" in node:
                    self.fail(
                        f"{path}.scales", f"only a sum_of_scales scale lists scales, not {method}"
                    )
                if "items" not in node:
                    self.fail(f"{path}.items", f"is required for method {method}")
                item_ns = self.item_refs(node["items"], f"{path}.items")
                if len(set(item_ns)) != len(item_ns):
                    self.fail(f"{path}.items", "lists an item twice")
                if method == "weighted_sum":
                    if "weights" not in node:
                        self.fail(f"{path}.weights", "is required for method weighted_sum")
                    weights = self.number_list(
                        node["weights"], f"{path}.weights", minimum=0, exclusive_minimum=True
                    )
                    if len(weights) != len(item_ns):
                        self.fail(f"{path}.weights", "must have one weight per item")
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
                        and factor.is_integer()
                    )
                n_parts = len(its)
            lo, hi = _clean(lo), _clean(hi)
            proration = None
            if "proration" in node:
                proration = self.build_proration(
                    node["proration"], f"{path}.proration", n_parts, (lo, hi)
                )
            if "range" in node:
                declared = self.number_list(node["range"], f"{path}.range")
                if len(declared) != 2 or not (
                    math.isclose(declared[0], lo, abs_tol=1e-9)
                    and math.isclose(declared[1], hi, abs_tol=1e-9)
                ):
                    shown = (
                        "["
                        + ", ".join(_fmt(x) for x in declared[:3])
                        + (", ...]" if len(declared) > 3 else "]")
                    )
                    self.fail(
                        f"{path}.range",
                        f"declares {shown} but the items imply [{_fmt(lo)}, {_fmt(hi)}]",
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

    def build_proration(
        self, raw: Any, path: str, n_parts: int, scale_range: tuple[float, float]
    ) -> Proration:
        p = self.check_keys(raw, _PRORATION_KEYS, path)
        self.check_source(p["source"], f"{path}.source")
        self.number(
            f"{path}.min_answered", p["min_answered"], integer=True, minimum=1, maximum=n_parts
        )
        floor = None
        if "floor" in p:
            lo, hi = scale_range
            floor = float(self.number(f"{path}.floor", p["floor"], minimum=lo, maximum=hi))
        return Proration(p["min_answered"], p["source"], floor, p.get("note"))

    def scale_by_id(self, sid: Any, path: str) -> Scale:
        for s in self.scales.values():
            if isinstance(sid, str) and s.id == sid:
                return s
        self.fail(path, f"refers to unknown scale {short_repr(sid)}")

    def build_classifications(self, raw: list) -> dict[str, Classification]:
        out: dict[str, Classification] = {}
        ids: set[str] = set()
        for i, node in enumerate(raw):
            path = f"classifications[{i}]"
            self.check_keys(node, _CLASSIFICATION_KEYS, path)
            cid = self.ident(f"{path}.id", node["id"], SUB_ID_PATTERN, "snake_case")
            if cid in ids:
                self.fail(f"{path}.id", f"duplicate classification id {short_repr(cid)}")
            ids.add(cid)
            ctype = self.check_choice(f"{path}.type", node["type"], CLASSIFICATION_TYPES)
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
            for key in sorted(needed):
                if key not in node:
                    self.fail(f"{path}.{key}", f"is required for a {ctype} classification")
            kwargs: dict[str, Any] = {}
            if "scale" in node:
                kwargs["scale"] = self.scale_by_id(node["scale"], f"{path}.scale").column
            if "operator" in node:
                kwargs["operator"] = self.check_operator(node["operator"], f"{path}.operator")
                kwargs["value"] = float(node["value"])  # checked finite by check_keys
            if "item" in node:
                n = self.number(f"{path}.item", node["item"], integer=True)
                if n not in self.items:
                    self.fail(f"{path}.item", f"refers to unknown item {short_repr(n)}")
                kwargs["item"] = n
            if ctype == "bands":
                kwargs["bands"] = self.build_bands(
                    node["bands"], self.scales[kwargs["scale"]], path
                )
            if ctype == "criteria":
                kwargs["require"] = self.build_require(node["require"], f"{path}.require")
            if ctype == "count":
                kwargs["items"] = self.item_refs(node["items"], f"{path}.items")
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
        """Bands that tile the scale's range exactly (the rule is in instruments/README.md).

        A score is given the band with the largest ``min`` not above it, so band *i* covers
        ``[min_i, min_i+1)`` and the last band ``[min, max]``. On an integer-valued scale
        bands are written inclusively with whole-number edges (0-4, 5-9): each band starts
        exactly one above the previous band's ``max``. On any other scale each band starts
        exactly at the previous band's ``max``. The first band starts at the scale's minimum,
        the last ends at its maximum.
        """
        where = f"{path}.bands"
        if not raw:
            self.fail(where, "must list at least one band")
        whole = scale.integer_valued
        bands = []
        for j, b in enumerate(raw):
            at = f"{where}[{j}]"
            self.check_keys(b, _BAND_KEYS, at)
            for key in ("min", "max"):
                if whole and not float(b[key]).is_integer():
                    self.fail(
                        f"{at}.{key}",
                        f"must be a whole number: {scale.column} takes whole-number values, so "
                        f"bands are inclusive (0-4, 5-9); got {short_repr(b[key])}",
                    )
            if b["min"] > b["max"] or (not whole and b["min"] == b["max"]):
                self.fail(
                    at,
                    f"min {_fmt(b['min'])} must be {'at most' if whole else 'below'} max "
                    f"{_fmt(b['max'])}",
                )
            bands.append(Band(b["label"], float(b["min"]), float(b["max"])))
        labels = [b.label for b in bands]
        if len(set(labels)) != len(labels):
            self.fail(where, "band labels must be unique")
        ordered = sorted(bands, key=lambda b: b.min)
        lo, hi = scale.range
        if not math.isclose(ordered[0].min, lo, abs_tol=1e-9):
            self.fail(
                where, f"start at {_fmt(ordered[0].min)} but {scale.column} starts at {_fmt(lo)}"
            )
        if not math.isclose(ordered[-1].max, hi, abs_tol=1e-9):
            self.fail(
                where, f"end at {_fmt(ordered[-1].max)} but {scale.column} ends at {_fmt(hi)}"
            )
        step = 1.0 if whole else 0.0
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            expected = prev.max + step
            names = f"{short_repr(prev.label)} and {short_repr(nxt.label)}"
            if nxt.min < expected:
                self.fail(where, f"{names} overlap (the next band must start at {_fmt(expected)})")
            if nxt.min > expected:
                self.fail(
                    where,
                    f"gap between {short_repr(prev.label)} (to {_fmt(prev.max)}) and "
                    f"{short_repr(nxt.label)} (from {_fmt(nxt.min)}); the next band must start "
                    f"at {_fmt(expected)}",
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
                ns = self.item_refs(node["items"], f"{where}.items")
                columns = tuple(f"{self.inst_id}_{n}" for n in ns)
            else:
                if not node["scales"]:
                    self.fail(f"{where}.scales", "must list at least one scale")
                columns = tuple(
                    self.scale_by_id(s, f"{where}.scales[{k}]").column
                    for k, s in enumerate(node["scales"])
                )
            self.number(
                f"{where}.at_least", node["at_least"], integer=True, minimum=1, maximum=len(columns)
            )
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
            scale = self.scale_by_id(node["scale"], f"{path}.scale")
            if scale.column in out:
                self.fail(
                    f"{path}.scale",
                    f"change criteria for {short_repr(node['scale'])} are given twice",
                )
            kwargs: dict[str, Any] = {}
            # reliability in (0, 1); an MCID and a reliable-change threshold are positive sizes
            bounds = {
                "reliability": {"minimum": 0, "maximum": 1, "exclusive_maximum": True},
                "mcid": {"minimum": 0},
                "reliable_change": {"minimum": 0},
            }
            for key, bound in bounds.items():
                if key in node:
                    v = self.check_keys(node[key], _VALUE_KEYS, f"{path}.{key}")
                    self.check_source(v["source"], f"{path}.{key}.source")
                    self.number(f"{path}.{key}.value", v["value"], exclusive_minimum=True, **bound)
                    kwargs[key] = NormValue(float(v["value"]), v["source"], v.get("note"))
            lo, hi = scale.range
            for key in ("clinical", "functional"):
                if key in node:
                    v = self.check_keys(node[key], _POPULATION_KEYS, f"{path}.{key}")
                    self.check_source(v["source"], f"{path}.{key}.source")
                    self.number(f"{path}.{key}.mean", v["mean"], minimum=lo, maximum=hi)
                    self.number(f"{path}.{key}.sd", v["sd"], minimum=0, exclusive_minimum=True)
                    kwargs[key] = Population(
                        float(v["mean"]), float(v["sd"]), v["source"], v.get("note")
                    )
            out[scale.column] = ChangeCriteria(scale=scale.column, note=node.get("note"), **kwargs)
        return out

    def build_responders(self, raw: Any) -> tuple[dict[str, ResponderRule], str | None]:
        if raw is None:
            return {}, None
        node = self.check_keys(raw, _RESPONDERS_KEYS, "responders")
        if not node["rules"]:
            self.fail("responders.rules", "must list at least one rule")
        rules: dict[str, ResponderRule] = {}
        for i, r in enumerate(node["rules"]):
            path = f"responders.rules[{i}]"
            self.check_keys(r, _RULE_KEYS, path)
            rid = self.ident(f"{path}.id", r["id"], SUB_ID_PATTERN, "snake_case")
            if rid in rules:
                self.fail(f"{path}.id", f"duplicate responder rule {short_repr(rid)}")
            kind = self.check_choice(f"{path}.kind", r["kind"], RESPONDER_KINDS)
            self.check_source(r["source"], f"{path}.source")
            scale = self.scale_by_id(r["scale"], f"{path}.scale")
            if kind == "endpoint":
                if "operator" not in r or "threshold" not in r:
                    self.fail(path, "an endpoint rule needs 'operator' and 'threshold'")
            elif "threshold" not in r and "by_baseline" not in r:
                self.fail(path, f"a {kind} rule needs 'threshold' or 'by_baseline'")
            if "operator" in r:
                self.check_operator(r["operator"], f"{path}.operator")
            by_baseline = self.build_by_baseline(r.get("by_baseline"), scale, path)
            if "diagnosis" in r:
                dx = f"{self.inst_id}_{r['diagnosis']}"
                if dx not in self.classifications or self.classifications[dx].type not in (
                    "criteria",
                    "cutoff",
                ):
                    self.fail(
                        f"{path}.diagnosis",
                        "must name a criteria or cutoff classification; got "
                        f"{short_repr(r['diagnosis'])}",
                    )
            remission = None
            if "remission" in r:
                remission = dict(
                    self.check_keys(r["remission"], _REMISSION_KEYS, f"{path}.remission")
                )
                self.check_operator(remission["operator"], f"{path}.remission.operator")
                remission["value"] = float(remission["value"])
            rules[rid] = ResponderRule(
                id=rid,
                label=r["label"],
                scale=scale.column,
                kind=kind,
                source=r["source"],
                threshold=None if "threshold" not in r else float(r["threshold"]),
                operator=r.get("operator"),
                by_baseline=by_baseline,
                diagnosis=None if "diagnosis" not in r else f"{self.inst_id}_{r['diagnosis']}",
                remission=remission,
                note=r.get("note"),
            )
        primary = node.get("primary")
        if primary is not None and primary not in rules:
            self.fail("responders.primary", f"names unknown rule {short_repr(primary)}")
        return rules, primary

    def build_by_baseline(self, raw: Any, scale: Scale, path: str) -> tuple[BaselineThreshold, ...]:
        """Baseline bands ``[min, max]`` (inclusive), inside the scale's range, not overlapping.

        Gaps are allowed: a baseline in no band makes the rule not applicable (IIEF EF 26-30).
        """
        if raw is None:
            return ()
        where = f"{path}.by_baseline"
        if not raw:
            self.fail(where, "must list at least one baseline band")
        lo, hi = scale.range
        out = []
        for j, b in enumerate(raw):
            at = f"{where}[{j}]"
            self.check_keys(b, _BY_BASELINE_KEYS, at)
            self.number(f"{at}.min", b["min"], minimum=lo, maximum=hi)
            self.number(f"{at}.max", b["max"], minimum=b["min"], maximum=hi)
            out.append(
                BaselineThreshold(
                    float(b["min"]), float(b["max"]), float(b["threshold"]), b["label"]
                )
            )
        ordered = sorted(out, key=lambda b: b.min)
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            if nxt.min <= prev.max:
                self.fail(
                    where,
                    f"{short_repr(prev.label)} and {short_repr(nxt.label)} overlap; a baseline "
                    "must fall in one band at most",
                )
        return tuple(out)


def _got(value: Any) -> str:
    """A value for a message: its kind and a short repr (never the whole value)."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "nothing (null)"
    kind = {dict: "a mapping", list: "a list", str: "text"}.get(type(value))
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


def _clean(x: float) -> float:
    """Round away float noise from factor arithmetic (0.3 * 20 = 6.000000000000001)."""
    return float(round(x, 9))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def iter_scales_in_order(instrument: Instrument) -> Iterable[Scale]:
    """Scales in definition order (sub-scales come before the scales built on them)."""
    return instrument.scales.values()
