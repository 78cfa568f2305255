"""Codebooks: the declared link between an export's columns and answers and the items' codes.

A codebook is a small file the user writes (or a REDCap data dictionary), read as untrusted
input: at most :data:`MAX_CODEBOOK_BYTES`, YAML through the spec reader (plain data only: no
tags, anchors or aliases, bounded nesting), a closed vocabulary, every value checked.

YAML (``.yaml``/``.yml``)::

    note: PHQ-9 in our Google Form          # optional
    subject: Client code                    # optional: source columns of the identifiers
    timepoint: Session
    date: Timestamp
    columns:                                # source column -> item column <id>_<n>
      "Little interest [Q1]": phq9_1
      Q3_2: phq9_2
    labels:                                 # answer label -> code, for every mapped column
      Not at all: 0
      Several days: 1
    column_labels:                          # labels of one column (source or item name)
      phq9_2: {"Never": 0, "Sometimes": 1}
    multi_select:                           # a check-all-that-apply question: one column
      "Which did you notice? (check all)":  # whose cell joins the options ticked with ", "
        Nausea: ebi_1                       # option -> item: 1 when ticked, 0 when not
        Headache: ebi_2

``multi_select`` is the only way a cell is split: Google Forms writes the options ticked in a
checkbox question into one cell, joined by ", " (../shared/reference/practitioner.md, "Google
Forms"; an option that itself holds a comma is matched whole, since the options are declared).
A cell with an option not declared is an error (``unmapped-label``); an empty cell leaves the
items missing (not answered), never 0. YAML codebooks only.

Quote labels YAML would read as something else (``"Yes": 1``, ``"No": 0``, ``"1-2": 1``).

CSV (``.csv``): columns ``column, item, label, code`` (any order). A row with ``column`` and
``item`` maps a column; a row with ``label`` and ``code`` declares an answer label, for the
row's ``column`` when it names one, else for every column.

A REDCap data dictionary (a CSV whose header has ``Variable / Field Name``) is recognised: its
choices (``0, Not at all | 1, Several days``) become each field's labels and its field labels
let a label-header export find its fields, checkbox options included: a label export heads the
column of option ``code`` of checkbox ``field`` with ``<Field Label> (choice=<choice label>)``
(as REDCap's generated R script labels ``field___code``), which becomes ``field___code``.

Labels are compared after Unicode normalisation (NFKC), with case and repeated spaces
ignored. Refused, with ``ArgumentError`` naming the file, the entry and the remedy: unknown
keys, an item that is not ``<id>_<n>``, two columns mapped to one item, a label mapped to two
different codes, a code that is not a finite number, a label YAML read as a boolean.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from past_outcomes._io import parse_delimited, read_text
from past_outcomes._spec_yaml import read_spec_yaml
from past_outcomes.errors import (
    ArgumentError,
    InputFileError,
    InstrumentDefinitionError,
    short_repr,
)
from past_outcomes.sources.delimited import sniff_delimiter

__all__ = ["Codebook", "load_codebook", "merge_codebooks", "normalize_label", "ITEM_COLUMN"]

#: Largest codebook file read (a hand-written codebook is a few kilobytes).
MAX_CODEBOOK_BYTES = 1_000_000
#: An item column: ``<instrument id>_<item number>`` (an id may hold underscores,
#: ``cssrs_screen_1``; the item number follows the last one: instrument.ITEM_COLUMN_PATTERN).
ITEM_COLUMN = re.compile(r"\A[a-z][a-z0-9]*(?:_[a-z0-9]+)*_[1-9][0-9]{0,3}\Z")
_ID_KEYS = ("subject", "timepoint", "date", "group")
_YAML_KEYS = {"columns", "labels", "column_labels", "multi_select", "note", *_ID_KEYS}
_CSV_COLUMNS = ("column", "item", "label", "code")
_REDCAP_FIELD = "Variable / Field Name"
_HTML_TAG = re.compile(r"<[^>]{0,200}>")


def normalize_label(text: str) -> str:
    """A label or header as compared: NFKC, case folded, spaces collapsed, tags stripped."""
    text = _HTML_TAG.sub(" ", unicodedata.normalize("NFKC", text))
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Codebook:
    """A checked codebook. ``columns``: source column -> item column; ``labels``: normalised
    label -> code for every column; ``column_labels``: column -> normalised label -> code;
    ``headers``: normalised field label -> field name (REDCap label headers); ``ids``:
    identifier -> source column; ``multi``: multi-select column -> normalised option -> item
    column; ``paths``: the files it came from."""

    paths: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, float] = field(default_factory=dict)
    column_labels: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    ids: Mapping[str, str] = field(default_factory=dict)
    multi: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ", ".join(self.paths)


def load_codebook(path: str | os.PathLike) -> Codebook:
    """Read and check one codebook file (YAML, CSV or a REDCap data dictionary)."""
    if not isinstance(path, str | os.PathLike):
        raise ArgumentError(
            f"codebook must be a path to a .yaml or .csv file; got {short_repr(path)}."
        )
    name = str(path)
    try:
        size = os.stat(name).st_size
    except OSError:
        raise InputFileError(
            f"the codebook {name} must be an existing file; there is none at that path. "
            "Check the spelling and the folder you run from."
        ) from None
    if size > MAX_CODEBOOK_BYTES:
        raise ArgumentError(
            f"the codebook {name} must be at most {MAX_CODEBOOK_BYTES:,} bytes; it has "
            f"{size:,}. A codebook maps columns and labels; check that you chose the right file."
        )
    ext = os.path.splitext(name)[1].lower()
    if ext in (".yaml", ".yml"):
        return _from_yaml(name)
    if ext in (".csv", ".txt", ".tsv"):
        return _from_csv(name)
    raise ArgumentError(
        f"the codebook {name} must be a .yaml, .yml or .csv file; got {ext or 'no extension'}."
    )


def merge_codebooks(books: Iterable[Codebook]) -> Codebook:
    """One codebook from several (a REDCap dictionary and a YAML file...); conflicts refused."""
    paths: list[str] = []
    columns: dict[str, str] = {}
    labels: dict[str, float] = {}
    column_labels: dict[str, dict[str, float]] = {}
    headers: dict[str, str] = {}
    ids: dict[str, str] = {}
    multi: dict[str, dict[str, str]] = {}
    for book in books:
        where = f"codebook {book.name}"
        for col, item in book.columns.items():
            _add_column(columns, col, item, where)
        for col, options in book.multi.items():
            for option, item in options.items():
                _add_option(multi, columns, col, option, item, where)
        for lab, code in book.labels.items():
            _add_label(labels, lab, code, where, "")
        for col, labs in book.column_labels.items():
            for lab, code in labs.items():
                _add_label(column_labels.setdefault(col, {}), lab, code, where, col)
        headers.update(book.headers)
        for key, col in book.ids.items():
            if ids.get(key, col) != col:
                raise ArgumentError(
                    f"{where} names {col!r} as the {key} column; another codebook names "
                    f"{ids[key]!r}. Keep one."
                )
            ids[key] = col
        paths.extend(book.paths)
    return Codebook(tuple(paths), columns, labels, column_labels, headers, ids, multi)


# --------------------------------------------------------------------------------------------
# YAML


def _from_yaml(name: str) -> Codebook:
    with open(name, "rb") as fh:
        data = fh.read(MAX_CODEBOOK_BYTES + 1)
    try:
        raw = read_spec_yaml(data, name)
    except InstrumentDefinitionError as exc:
        raise ArgumentError(f"the codebook {exc}") from None
    where = f"the codebook {name}"
    if not isinstance(raw, dict):
        raise ArgumentError(
            f"{where} must be a YAML mapping with keys such as columns: and labels:; got "
            f"{type(raw).__name__}. See the read_responses documentation for an example."
        )
    unknown = [str(k) for k in raw if k not in _YAML_KEYS]
    if unknown:
        raise ArgumentError(
            f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; allowed: "
            f"{', '.join(sorted(_YAML_KEYS))}. Check the spelling."
        )
    columns: dict[str, str] = {}
    for col, item in _mapping(raw.get("columns", {}), where, "columns").items():
        _add_column(columns, _text(col, where, "columns"), item, where)
    labels: dict[str, float] = {}
    for lab, code in _mapping(raw.get("labels", {}), where, "labels").items():
        _add_label(labels, _label(lab, where, "labels"), _code(code, where, lab), where, "")
    column_labels: dict[str, dict[str, float]] = {}
    for col, labs in _mapping(raw.get("column_labels", {}), where, "column_labels").items():
        key = _text(col, where, "column_labels")
        scope = column_labels.setdefault(key, {})
        for lab, code in _mapping(labs, where, f"column_labels.{key}").items():
            _add_label(scope, _label(lab, where, key), _code(code, where, lab), where, key)
    multi: dict[str, dict[str, str]] = {}
    for col, options in _mapping(raw.get("multi_select", {}), where, "multi_select").items():
        key = _text(col, where, "multi_select")
        for option, item in _mapping(options, where, f"multi_select.{key}").items():
            _add_option(multi, columns, key, _label(option, where, key), item, where)
    ids = {k: _text(raw[k], where, k) for k in _ID_KEYS if k in raw}
    if "note" in raw:
        _text(raw["note"], where, "note")
    return Codebook((name,), columns, labels, column_labels, {}, ids, multi)


def _mapping(value: Any, where: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise ArgumentError(
            f"{where}: {key} must be a mapping (one 'name: value' per line); got "
            f"{short_repr(value)}."
        )
    return value


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        raise ArgumentError(
            f"{where}: {key} must be a non-empty text of at most 500 characters; got "
            f"{short_repr(value)}. Quote it in the YAML file."
        )
    return value


def _label(value: Any, where: str, key: str) -> str:
    if isinstance(value, bool):
        raise ArgumentError(
            f"{where}: the label {str(value).lower()!r} under {key} was read by YAML as a "
            f"boolean, not text. Quote it: '\"{'Yes' if value else 'No'}\": ...'."
        )
    if isinstance(value, int | float):
        raise ArgumentError(
            f"{where}: the label {value!r} under {key} is a number; labels map answer text to "
            "codes (numbers need no label). Quote it if it is a text answer."
        )
    return _text(value, where, key)


def _code(value: Any, where: str, label: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ArgumentError(
            f"{where}: the code of the label {short_repr(label)} must be a finite number "
            f"(e.g. 0); got {short_repr(value)}."
        )
    return float(value)


def _add_column(columns: dict[str, str], col: str, item: Any, where: str) -> None:
    if not isinstance(item, str) or not ITEM_COLUMN.match(item):
        raise ArgumentError(
            f"{where}: the column {short_repr(col)} must map to an item column "
            f"'<instrument id>_<item number>' such as 'phq9_1'; got {short_repr(item)}."
        )
    if col in columns and columns[col] != item:
        raise ArgumentError(
            f"{where}: the column {short_repr(col)} is mapped twice, to {columns[col]!r} and "
            f"{item!r}. Keep one."
        )
    for other, target in columns.items():
        if target == item and other != col:
            raise ArgumentError(
                f"{where}: two columns are mapped to the item {item!r}: {short_repr(other)} "
                f"and {short_repr(col)}. Each item must come from one column; remove one."
            )
    columns[col] = item


def _add_option(
    multi: dict[str, dict[str, str]],
    columns: dict[str, str],
    col: str,
    option: str,
    item: Any,
    where: str,
) -> None:
    """One option of a multi-select column, mapped to the item its tick answers."""
    if not isinstance(item, str) or not ITEM_COLUMN.match(item):
        raise ArgumentError(
            f"{where}: the option {short_repr(option)} of the multi-select column "
            f"{short_repr(col)} must map to an item column such as 'ebi_1'; got "
            f"{short_repr(item)}."
        )
    if col in columns:
        raise ArgumentError(
            f"{where}: the column {short_repr(col)} is declared both under columns: and under "
            "multi_select:. A column is one question or one check-all-that-apply list; keep one."
        )
    key = normalize_label(option)
    options = multi.setdefault(col, {})
    if not key:
        raise ArgumentError(f"{where}: an empty option is declared for {short_repr(col)}.")
    if options.get(key, item) != item:
        raise ArgumentError(
            f"{where}: the option {short_repr(option)} of {short_repr(col)} is mapped twice, "
            f"to {options[key]!r} and {item!r}. Keep one."
        )
    taken = [
        (c, o)
        for c, opts in multi.items()
        for o, i in opts.items()
        if i == item and (c, o) != (col, key)
    ] + [(c, None) for c, i in columns.items() if i == item]
    if taken:
        other = taken[0]
        shown = f"the column {other[0]!r}" + (f" (option {other[1]!r})" if other[1] else "")
        raise ArgumentError(
            f"{where}: two answers are mapped to the item {item!r}: {shown} and the option "
            f"{short_repr(option)} of {short_repr(col)}. Each item must come from one place."
        )
    options[key] = item


def _add_label(scope: dict[str, float], label: str, code: float, where: str, col: str) -> None:
    key = normalize_label(label)
    if not key:
        raise ArgumentError(f"{where}: an empty label is declared{' for ' + col if col else ''}.")
    if key in scope and scope[key] != code:
        raise ArgumentError(
            f"{where}: the label {short_repr(label)}{' of ' + repr(col) if col else ''} is "
            f"mapped twice, to {scope[key]:g} and {code:g} (labels are compared without case "
            "and extra spaces). Keep one code per label."
        )
    scope[key] = code


# --------------------------------------------------------------------------------------------
# CSV and REDCap data dictionaries


def _from_csv(name: str) -> Codebook:
    text, _encoding = read_text(name, legacy=True)
    text = text.lstrip("\ufeff")
    frame = parse_delimited(name, text, delimiter=sniff_delimiter(text))
    if _REDCAP_FIELD in frame.columns:
        return _from_redcap_dictionary(name, frame)
    where = f"the codebook {name}"
    cols = {c.strip().lower(): c for c in frame.columns}
    unknown = [c for c in cols if c not in _CSV_COLUMNS]
    if unknown or not ({"column", "item"} <= set(cols) or {"label", "code"} <= set(cols)):
        raise ArgumentError(
            f"{where} must have the columns column,item (to map columns) and/or label,code "
            f"(to declare answer labels); got {', '.join(map(repr, frame.columns))}."
        )
    columns: dict[str, str] = {}
    labels: dict[str, float] = {}
    column_labels: dict[str, dict[str, float]] = {}
    for line, row in frame.iterrows():
        get = {k: _cell(row[cols[k]]) if k in cols else None for k in _CSV_COLUMNS}
        at = f"{where} (line {line})"
        if get["column"] and get["item"]:
            _add_column(columns, get["column"], get["item"], at)
        if get["label"] is not None or get["code"] is not None:
            code = _csv_code(get["code"], at, get["label"])
            scope = column_labels.setdefault(get["column"], {}) if get["column"] else labels
            _add_label(scope, _text(get["label"], at, "label"), code, at, get["column"] or "")
    return Codebook((name,), columns, labels, column_labels, {}, {})


def _cell(value: Any) -> str | None:
    """A CSV cell as stripped text, or None when empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _csv_code(value: Any, where: str, label: Any) -> float:
    try:
        code = float(str(value).replace(",", "."))
    except ValueError:
        code = math.nan
    return _code(code if value is not None else None, where, label)


def _from_redcap_dictionary(name: str, frame: Any) -> Codebook:
    where = f"the REDCap data dictionary {name}"
    choices_col = next((c for c in frame.columns if str(c).startswith("Choices")), None)
    label_col = "Field Label" if "Field Label" in frame.columns else None
    column_labels: dict[str, dict[str, float]] = {}
    headers: dict[str, str] = {}
    repeated: set[str] = set()
    for line, row in frame.iterrows():
        fname = _cell(row[_REDCAP_FIELD])
        if fname is None:
            continue
        field_label = _cell(row[label_col]) if label_col else None
        if field_label is not None:
            key = normalize_label(field_label)
            if key in headers:
                repeated.add(key)
            headers[key] = fname
        choices = _cell(row[choices_col]) if choices_col else None
        ftype = _cell(row["Field Type"]) if "Field Type" in frame.columns else None
        if choices is None or ftype not in ("radio", "dropdown", "checkbox", None):
            continue
        for part in choices.split("|"):
            code, _, label = part.partition(",")
            if ftype == "checkbox" and field_label is not None and label.strip() and code.strip():
                key = normalize_label(f"{field_label} (choice={label.strip()})")
                if key in headers:
                    repeated.add(key)
                headers[key] = f"{fname}___{code.strip().lower()}"
            try:
                value = float(code.strip())
            except ValueError:
                continue  # a non-numeric code is no item answer
            if label.strip() and math.isfinite(value):
                _add_label(
                    column_labels.setdefault(fname, {}),
                    label.strip(),
                    value,
                    f"{where} (line {line})",
                    fname,
                )
    for key in repeated:  # a field label used twice cannot identify a column
        headers.pop(key, None)
    return Codebook((name,), {}, {}, column_labels, headers, {})
