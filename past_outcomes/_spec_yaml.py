"""Reading a spec file as plain YAML data, within bounds (the first step of loading a spec).

A spec is untrusted input. :func:`read_spec_yaml` refuses it, before parsing where possible,
when it is larger than :data:`MAX_SPEC_BYTES`, is not UTF-8 text, uses YAML tags, anchors,
aliases, merge keys or non-scalar keys, nests mappings and lists more than :data:`MAX_DEPTH`
deep or holds more than :data:`MAX_NODES` values. What it returns (mappings, lists, scalars)
is then checked against the spec vocabulary by ``_spec_build``. The public entry points are
``past_outcomes.instrument.load_instrument`` and ``parse_instrument``.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import ScalarNode, SequenceNode
from yaml.resolver import Resolver

from past_outcomes.errors import ArgumentError, InstrumentDefinitionError, short_repr

# Bounds on a spec, which is untrusted input (documented in instruments/README.md).
#: Largest spec accepted, in bytes, checked before parsing (a hand-written spec is < 50 KB).
MAX_SPEC_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (the bundled specs nest at most 7 deep).
MAX_DEPTH = 20
#: Most values (scalars, mappings and lists) in one spec (the bundled specs hold < 300).
MAX_NODES = 20_000


def read_spec_yaml(text: Any, source: str) -> Any:
    """The spec ``text`` (``str`` or UTF-8 ``bytes``) as plain YAML data, refused when unsafe.

    Raises :class:`InstrumentDefinitionError` naming ``source`` (see the module docstring).
    """
    if not isinstance(source, str):
        raise ArgumentError(f"source must be a str naming the spec; got {short_repr(source)}.")
    text = _spec_text(text, source)
    loader = _SpecLoader(text)
    try:
        return loader.get_single_data()
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


def too_large(size: str) -> str:
    """The message for a spec over :data:`MAX_SPEC_BYTES` (``size`` as measured)."""
    return (
        f"is {size}; a spec may be at most {MAX_SPEC_BYTES:,} bytes (a hand-written spec is "
        "under 50 KB). Check that this is the spec file you meant."
    )


def _spec_text(data: Any, source: str) -> str:
    """The spec as checked text: bounded in size, UTF-8, without NUL characters."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_SPEC_BYTES:
            raise InstrumentDefinitionError(source, "", too_large(f"{len(data):,} bytes or more"))
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
        raise InstrumentDefinitionError(source, "", too_large(f"{len(data):,} characters"))
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
        raise InstrumentDefinitionError(source, "", too_large(f"{size:,} bytes in UTF-8"))
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
                    path=key_text(key),
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


# types-PyYAML types add_constructor for the stock Loader classes only, not a composed loader
_SpecLoader.add_constructor("tag:yaml.org,2002:int", _SpecLoader.construct_yaml_int)  # type: ignore[type-var]
_SpecLoader.add_constructor("tag:yaml.org,2002:float", _SpecLoader.construct_yaml_float)  # type: ignore[type-var]


def key_text(key: Any) -> str:
    """A key as shown in a key path: plain names as they are, anything else cut short."""
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return key
    return short_repr(key, 40)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


def fmt_number(x: float) -> str:
    """A spec number for a message: whole numbers without a decimal point (``4``, ``26.55``)."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
