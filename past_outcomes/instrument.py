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

Where the steps live: this module holds the vocabulary (constants), the data model and the
loaders; ``_spec_yaml`` reads a file as bounded plain YAML; ``_spec_checks`` holds the key
tables and the checker every value goes through; ``_spec_build`` builds each part of an
:class:`Instrument` in one named step (items, scales, classifications, change criteria,
responder rules), resolving every reference to typed objects (a criteria requirement names
item numbers or scale columns: :class:`Requirement`), so that scoring never parses a name.

What a notebook asks of a spec, :class:`Instrument` answers: :attr:`Instrument.primary_scale`,
:meth:`Instrument.cutoffs`, :meth:`Instrument.bands`, :meth:`Instrument.direction`.
"""

from __future__ import annotations

import functools
import operator as _operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from past_outcomes._spec_yaml import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_SPEC_BYTES,
    fmt_number,
    read_spec_yaml,
    too_large,
)
from past_outcomes.errors import (
    InstrumentDefinitionError,
    UnknownInstrumentError,
    short_repr,
)

__all__ = [
    "Instrument",
    "Item",
    "AnswerLabel",
    "Scale",
    "Classification",
    "Band",
    "Level",
    "Requirement",
    "ChangeCriteria",
    "ResponderRule",
    "UnverifiedRule",
    "load_instrument",
    "list_instruments",
    "unverified_note",
    "parse_instrument",
    "instruments_dir",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_SPEC_BYTES",
]

# Ids are matched in full: \A and \Z (not ^ and $, which accept a trailing newline), so
# "phq9\n" is not an id whether a pattern is used with fullmatch or match.
#: An instrument id: lower-case words of letters and digits joined by single underscores,
#: starting with a letter (``phq9``, ``cssrs_screen``; not ``a__b`` nor ``a_``).
ID_PATTERN = re.compile(r"\A[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
#: A source key or responder rule id (never part of a column name): snake_case.
SUB_ID_PATTERN = re.compile(r"\A[a-z][a-z0-9_]*\Z")
#: A scale or classification id, the ``<sub>`` of an output column ``<id>_<sub>``: snake_case
#: not ending in ``_<digits>``, so that only an item column ends in ``_<digits>``.
COLUMN_SUB_ID_PATTERN = re.compile(r"\A(?![a-z0-9_]*_[0-9]+\Z)[a-z][a-z0-9_]*\Z")
#: An item column ``<instrument id>_<item number>``: the item number (digits only, no leading
#: zero, at most 4 digits) follows the LAST underscore, so ``cssrs_screen_3`` is item 3 of
#: ``cssrs_screen`` whatever other ids exist (an id may hold underscores, an item number not).
ITEM_COLUMN_PATTERN = re.compile(
    r"\A(?P<id>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)_(?P<n>[1-9][0-9]{0,3})\Z"
)
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
CLASSIFICATION_TYPES = ("cutoff", "bands", "item_flag", "criteria", "count", "levels")
#: How a ``criteria`` classification combines its requirements: every one, or at least one.
CRITERIA_MATCHES = ("all", "any")
#: Classification types whose label is a nullable boolean (what a ``levels`` rule reads).
BOOLEAN_TYPES = ("cutoff", "item_flag", "criteria", "count")
RESPONDER_KINDS = ("change", "percent_change", "endpoint", "sustained", "durable")
#: Responder kinds that judge several visits by an earlier single-visit rule (``base_rule``):
#: ``sustained`` (met at post and at every follow-up visit) and ``durable`` (a response at
#: post still met at follow-up, judged among the responders at post).
MULTI_VISIT_KINDS = ("sustained", "durable")
#: Whether a rule or cutoff was checked against its primary source: outputs resting on an
#: ``unverified`` one say so in their notes.
VERIFICATION_LEVELS = ("verified", "unverified")

# Bounds on a spec, which is untrusted input (documented in instruments/README.md).
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

#: What makes a scale an instrument's primary scale, in order (see Instrument.primary_scale).
PRIMARY_SCALE_RULE = (
    "the scale of the primary responder rule",
    "else the scale of the first change criteria",
    "else the scale with id 'total'",
    "else the first scale",
)


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
            return "one of " + ", ".join(fmt_number(v) for v in self.values)
        kind = "an integer" if self.integer else "a number"
        return f"{kind} from {fmt_number(self.min)} to {fmt_number(self.max)}"


@dataclass(frozen=True)
class AnswerLabel:
    """A published answer label (``response.labels`` in a spec): the text a label export
    writes for the answer ``value`` (PHQ-9: ``1`` is "Several days"). Read by
    ``read_responses`` to decode answer words without a codebook."""

    value: float
    label: str


@dataclass(frozen=True)
class Proration:
    """A published or declared rule for scoring a scale with some answers missing."""

    min_answered: int
    source: str
    floor: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Scale:
    """A score computed from items (sum, mean, weighted sum) or from other scales (sum).

    ``column`` is the output column (``<instrument>_<id>``); ``items`` the item numbers it
    rests on (for a ``sum_of_scales``, those of its parts, whose ids are in ``scales``);
    ``range`` the lowest and highest score the items allow; ``direction`` one of
    :data:`DIRECTIONS`.
    """

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
    range: tuple[float, float] = (float("nan"), float("nan"))
    integer_valued: bool = False
    direction: str = "lower-is-better"
    note: str | None = None


@dataclass(frozen=True)
class Band:
    """One severity band of a scale: scores from ``min`` to ``max`` get ``label``.

    Bands tile the scale's range: a score gets the band with the largest ``min`` not above it
    (on an integer-valued scale, ``min`` and ``max`` are inclusive whole numbers).
    """

    label: str
    min: float
    max: float


@dataclass(frozen=True)
class Level:
    """One level of a ``levels`` classification: ``label`` where the boolean classification
    ``classification`` (an output column defined earlier in the spec) is true."""

    label: str
    classification: str


@dataclass(frozen=True)
class Requirement:
    """One condition of a ``criteria`` classification, resolved when the spec is loaded.

    Met when at least ``at_least`` of the listed parts satisfy ``part <operator> value``. The
    parts are either item numbers (``items``) or scale output columns (``scales``): exactly
    one of the two is non-empty.
    """

    operator: str
    value: float
    at_least: int
    items: tuple[int, ...] = ()
    scales: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Classification:
    """A derived label: a cutoff, severity bands, an item flag, a symptom rule or a count rule.

    Which fields are set depends on ``type``: ``cutoff`` (``scale``, ``operator``, ``value``),
    ``bands`` (``scale``, ``bands``), ``item_flag`` (``item``, ``operator``, ``value``),
    ``criteria`` (``require``: :class:`Requirement` objects, all of which must hold, or with
    ``match == "any"`` at least one), ``count`` (``items``, ``count_values``, ``count_missing``,
    ``operator``, ``value``), ``levels`` (``levels``: :class:`Level` objects in order of
    precedence, and ``otherwise``). ``scale`` is the scale's output column; ``item`` and
    ``items`` are item numbers.
    """

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
    require: tuple[Requirement, ...] = ()
    items: tuple[int, ...] = ()
    count_values: tuple[float, ...] = ()
    count_missing: bool = False
    match: str = "all"
    levels: tuple[Level, ...] = ()
    otherwise: str | None = None
    note: str | None = None
    #: ``"unverified"`` when the rule was not checked against its primary source (the
    #: ``note`` says what is missing); ``None`` when the spec does not say.
    verification: str | None = None

    @property
    def rule_text(self) -> str:
        """The rule as text, e.g. ``">= 10"`` for a cutoff or flag; ``""`` for other types."""
        if self.operator is None or self.value is None:
            return ""
        return f"{self.operator} {fmt_number(self.value)}"


@dataclass(frozen=True)
class NormValue:
    """A published number (a reliability, an MCID, a reliable-change threshold) and its source."""

    value: float
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Population:
    """A published population mean and SD (clinical or functional norms) and its source."""

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
    """A responder threshold that applies to baselines from ``min`` to ``max`` (inclusive)."""

    min: float
    max: float
    threshold: float
    label: str


@dataclass(frozen=True)
class ResponderRule:
    """A responder definition declared in a spec (applied by ``classify_responders``).

    ``eligible`` is a baseline condition (``{"operator": ">=", "value": 10}``): the rule
    applies only to subjects whose pre score meets it; the others are "not eligible", never
    responders (NCQA's PHQ-9 response and remission apply to a baseline >= 10).
    ``verification`` is ``"unverified"`` when the definition was not checked against its
    primary source (results say so in their notes). Multi-visit kinds
    (:data:`MULTI_VISIT_KINDS`) name the single-visit rule they repeat in ``base_rule``.
    """

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
    eligible: Mapping[str, Any] | None = None
    verification: str | None = None
    base_rule: str | None = None


class UnverifiedRule(NamedTuple):
    """A cutoff, band, flag or responder rule that its spec marks ``verification: unverified``
    (not checked against its primary source); see :meth:`Instrument.unverified_rules`."""

    #: The output column of a classification (``fsds_distress``), or ``<id>:<rule id>`` of a
    #: responder rule (``caps5:mapp``).
    name: str
    #: The classification type (``cutoff``, ``bands``, ...) or ``responder rule``.
    kind: str
    #: The rule in words: its label and, for a cutoff or flag, the comparison.
    what: str
    #: The citation to check (the text of the spec's source).
    source: str


@dataclass(frozen=True)
class Instrument:
    """A validated instrument spec. Build it with :func:`load_instrument`.

    ``scales``, ``classifications`` and ``change`` are keyed by output column
    (``phq9_total``); ``default_direction`` is the spec's top-level ``direction``, the
    direction of every scale that declares none (ask :meth:`direction` for a scale's).
    """

    id: str
    name: str
    short_name: str
    sources: Mapping[str, str]
    licence: str
    recall_period: str
    administration: str
    default_direction: str
    items: tuple[Item, ...]
    scales: Mapping[str, Scale]
    classifications: Mapping[str, Classification]
    change: Mapping[str, ChangeCriteria]
    responder_rules: Mapping[str, ResponderRule]
    primary_responder_rule: str | None
    missing_codes: tuple[float, ...] = ()
    answer_labels: tuple[AnswerLabel, ...] = ()
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

    def scale(self, name: str | Scale) -> Scale:
        """A scale by id (``total``), output column (``fsfi_total``) or itself."""
        if isinstance(name, Scale) and self.scales.get(name.column) == name:
            return name
        if isinstance(name, str):
            if name in self.scales:
                return self.scales[name]
            for s in self.scales.values():
                if s.id == name:
                    return s
        known = ", ".join(self.scales)
        raise KeyError(f"{self.id} has no scale {short_repr(name)}; its scales are {known}.")

    @property
    def primary_scale(self) -> Scale:
        """The scale a notebook follows for this instrument, derived from the spec.

        In order: the scale of the primary responder rule; else the scale of the first
        change criteria; else the scale with id ``total``; else the first scale
        (:data:`PRIMARY_SCALE_RULE`). For the bundled specs: the totals, the FSFI full scale
        and the IIEF erectile-function domain.
        """
        if self.primary_responder_rule is not None:
            return self.scales[self.responder_rules[self.primary_responder_rule].scale]
        if self.change:
            return self.scales[next(iter(self.change))]
        for s in self.scales.values():
            if s.id == "total":
                return s
        return next(iter(self.scales.values()))

    def direction(self, scale: str | Scale | None = None) -> str:
        """``"higher-is-better"`` or ``"lower-is-better"`` for ``scale`` (id or column;
        default the :attr:`primary_scale`)."""
        return self._scale_or_primary(scale).direction

    def cutoffs(self, scale: str | Scale | None = None) -> tuple[Classification, ...]:
        """The cutoff classifications of ``scale`` (id or column; default the
        :attr:`primary_scale`), in spec order; empty when the spec declares none.

        Each has ``operator``, ``value``, ``label``, ``source`` and ``rule_text``
        (``">= 10"``); e.g. draw ``ax.axhline(c.value)`` for each.
        """
        column = self._scale_or_primary(scale).column
        return tuple(
            c for c in self.classifications.values() if c.type == "cutoff" and c.scale == column
        )

    def bands(self, scale: str | Scale | None = None) -> tuple[Classification, ...]:
        """The severity-band classifications of ``scale`` (id or column; default the
        :attr:`primary_scale`), in spec order; empty when the spec declares none (the bundled
        specs declare at most one per scale).

        The ``bands`` of each are :class:`Band` objects (``label``, ``min``, ``max``) that
        tile the scale's range in ascending order; ``source`` names their citation.
        """
        column = self._scale_or_primary(scale).column
        return tuple(
            c for c in self.classifications.values() if c.type == "bands" and c.scale == column
        )

    def _scale_or_primary(self, scale: str | Scale | None) -> Scale:
        return self.primary_scale if scale is None else self.scale(scale)

    def unverified_rules(self, *, responder_rules: bool = True) -> tuple[UnverifiedRule, ...]:
        """The classifications (cutoffs, bands, flags ...) and, with ``responder_rules``, the
        responder rules that the spec marks ``verification: unverified``, in spec order.

        Outputs resting on them must say so (issue 13): ``score`` warns with
        :func:`unverified_note`, ``classify_responders`` writes it in its notes.
        """
        out = []
        for col, cls in self.classifications.items():
            if cls.verification == "unverified":
                what = cls.label or cls.id
                if cls.rule_text:
                    item = None if cls.item is None else self.item(cls.item).column
                    what += f": {cls.scale or item or 'the count'} {cls.rule_text}"
                out.append(UnverifiedRule(col, cls.type, what, self._citation(cls.source)))
        if responder_rules:
            for rule in self.responder_rules.values():
                if rule.verification == "unverified":
                    out.append(
                        UnverifiedRule(
                            f"{self.id}:{rule.id}", "responder rule", rule.label,
                            self._citation(rule.source),
                        )
                    )  # fmt: skip
        return tuple(out)

    def _citation(self, key: str) -> str:
        return self.sources.get(key, key).strip()

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
                "direction": inst.default_direction,
                "licence": inst.licence,
            }
        )
    return pd.DataFrame(rows, columns=["id", "name", "items", "scales", "direction", "licence"])


def is_spec_path(value: str) -> bool:
    """Whether :func:`load_instrument` reads ``value`` as a file path rather than a bundled id:
    a ``.yaml``/``.yml`` name, or anything with a slash."""
    return value.endswith((".yaml", ".yml")) or "/" in value


def unverified_note(
    instruments: Instrument | Iterable[Instrument], *, responder_rules: bool = False
) -> str | None:
    """ONE message naming every output that rests on a rule its spec marks unverified, or
    None when there is none: which output columns, which instrument, what is unverified and
    the source to check (cut to 200 characters). ``score`` warns with it
    (:class:`~past_outcomes.errors.UnverifiedRuleWarning`). A ``levels`` classification
    built on an unverified one is named with it. With ``responder_rules``, unverified
    responder rules are included (``classify_responders`` notes them itself)."""
    insts = [instruments] if isinstance(instruments, Instrument) else list(instruments)
    parts = []
    for inst in insts:
        for rule in inst.unverified_rules(responder_rules=responder_rules):
            resting = [rule.name] + [
                col
                for col, cls in inst.classifications.items()
                if any(level.classification == rule.name for level in cls.levels)
            ]
            source = rule.source if len(rule.source) <= 200 else rule.source[:197] + "..."
            parts.append(
                f"{', '.join(resting)} ({inst.short_name} {rule.kind} {rule.what!r}; "
                f"source to check: {source})"
            )
    if not parts:
        return None
    return (
        "Output(s) resting on a cutoff or rule not verified against its primary source: "
        + "; ".join(parts)
        + ". Report them as resting on an unverified rule, or check the source before relying "
        "on them (the spec's note says what is missing)."
    )


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
    if isinstance(id_or_path, Path) or (isinstance(id_or_path, str) and is_spec_path(id_or_path)):
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
        raise InstrumentDefinitionError(path, "", too_large(f"{size:,} bytes"))
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
    # imported here: the builder needs this module's data model (no import cycle)
    from past_outcomes._spec_build import build_instrument

    raw = read_spec_yaml(text, source)
    return build_instrument(raw, source)
