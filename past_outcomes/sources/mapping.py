"""Which source column answers which item: :func:`map_columns` and :func:`specs_for`.

A column is an item when, in this order:

1. the codebook's ``columns:`` name its header (exactly, or after label normalisation);
2. its header already is ``<id>_<n>`` of a known instrument in any case or punctuation
   (``PHQ9_1``, ``phq9-1``: REDCap field names, Qualtrics export tags);
3. a codebook key that matched no header names its **question text** (Qualtrics' second header
   row, ``SourceTable.questions``): the whole text, or, for a matrix row written
   ``<stem> - <statement>``, the statement alone. A key whose text several columns share is
   an ``ambiguous-column`` error, never a guess.

Multi-select columns (``multi_select:`` in a codebook) are found the same way
(:func:`find_multi`). Everything that cannot be matched is collected and raised together.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from past_outcomes.errors import DataValidationError
from past_outcomes.instrument import Instrument, instruments_dir, load_instrument
from past_outcomes.sources.codebook import Codebook, normalize_label
from past_outcomes.sources.table import SourceTable, failure_row

__all__ = ["bundled_ids", "extra_instruments", "find_multi", "map_columns", "specs_for"]

_LOOSE_ITEM = re.compile(r"\A(?P<id>.+?)_(?P<n>[1-9][0-9]{0,3})\Z")


def bundled_ids() -> set[str]:
    """Ids of the bundled instrument specs."""
    return {p.stem for p in Path(instruments_dir()).glob("*.yaml")}


def extra_instruments(instrument: Any) -> list[Instrument]:
    """The specs ``instrument=`` names (ids, paths or loaded specs)."""
    if instrument is None:
        return []
    many = instrument if isinstance(instrument, list | tuple) else [instrument]
    return [load_instrument(i) for i in many]


def _question_keys(text: str) -> set[str]:
    """The normalised texts a codebook may use for a question: whole, or after a ' - '."""
    parts = text.split(" - ")
    keys = {normalize_label(" - ".join(parts[k:])) for k in range(len(parts))}
    return {k for k in keys if k}


def _by_question(table: SourceTable, taken: set) -> dict[str, list]:
    index: dict[str, list] = {}
    for col in table.frame.columns:
        text = table.questions.get(str(col))
        if text is None or col in taken:
            continue
        for key in _question_keys(text):
            index.setdefault(key, []).append(col)
    return index


def _locate(keys, frame: pd.DataFrame, table: SourceTable, taken: set, failures: list) -> dict:
    """Source column of each codebook key: by header, else by question text."""
    by_norm: dict[str, Any] = {}
    for col in frame.columns:
        by_norm.setdefault(normalize_label(str(col)), col)
    found: dict[str, Any] = {}
    for key in keys:
        hit: Any = key if key in frame.columns else by_norm.get(normalize_label(key))
        if hit is not None and hit not in taken:
            found[key] = hit
    questions = _by_question(table, taken | set(found.values()))
    for key in keys:
        if key in found:
            continue
        cols = questions.get(normalize_label(key), [])
        if len(cols) == 1:
            found[key] = cols[0]
        elif len(cols) > 1:
            failures.append(
                failure_row(
                    None,
                    key,
                    ", ".join(map(str, cols)),
                    "ambiguous-column",
                    f"the codebook's question {key!r} is the question text of {len(cols)} columns of {table.path} ({', '.join(map(repr, cols[:6]))}); name the column by its header (export tag) instead",
                )
            )
    return found


def _missing(key: str, table: SourceTable, what: str) -> dict:
    where = "header or question text" if table.questions else "header"
    return failure_row(
        None,
        key,
        None,
        "missing-column",
        f"the codebook maps the {what} {key!r}, which no {where} of {table.path} is (check the text or remove the entry)",
    )


def find_multi(frame: pd.DataFrame, book: Codebook, table: SourceTable) -> dict[Any, dict]:
    """Source column -> (normalised option -> item) of the codebook's multi-select questions."""
    failures: list[dict] = []
    found = _locate(list(book.multi), frame, table, set(), failures)
    reported = {f["column"] for f in failures}  # ambiguous: not also missing
    failures += [
        _missing(k, table, "multi-select column")
        for k in book.multi
        if k not in found and k not in reported
    ]
    if failures:
        _raise(failures, table)
    return {col: dict(book.multi[key]) for key, col in found.items()}


def map_columns(
    frame: pd.DataFrame,
    book: Codebook,
    extra: list[Instrument],
    table: SourceTable,
    multi: dict[Any, dict],
    notes: list,
) -> dict[Any, str]:
    """Source column -> item column for every single-answer item column of ``frame``."""
    known = (
        bundled_ids() | {i.id for i in extra} | {v.rsplit("_", 1)[0] for v in book.columns.values()}
    )
    # a loose header matches an id with or without its underscores ("PHQ_9_1", "CSSRS Screen
    # 1"); ids that differ only by underscores are ambiguous and never matched loosely
    squashed: dict[str, str | None] = {}
    for known_id in known:
        key = known_id.replace("_", "")
        squashed[key] = known_id if key not in squashed else None
    failures: list[dict] = []
    located = _locate(list(book.columns), frame, table, set(multi), failures)
    mapping: dict[Any, str] = {col: book.columns[key] for key, col in located.items()}
    for col in frame.columns:
        if col in mapping or col in multi:
            continue
        text = re.sub(r"[^a-z0-9]+", "_", str(col).casefold()).strip("_")
        loose = _LOOSE_ITEM.match(text)
        inst_id = squashed.get(loose["id"].replace("_", "")) if loose else None
        if loose and inst_id:
            mapping[col] = f"{inst_id}_{int(loose['n'])}"
    reported = {f["column"] for f in failures}  # ambiguous: not also missing
    failures += [
        _missing(k, table, "column") for k in book.columns if k not in located and k not in reported
    ]
    by_item: dict[str, list] = {}
    for col, item in mapping.items():
        by_item.setdefault(item, []).append(col)
    for col, options in multi.items():
        for item in options.values():
            by_item.setdefault(item, []).append(col)
    for item, cols in by_item.items():
        if len(cols) > 1:
            failures.append(
                failure_row(
                    None,
                    item,
                    ", ".join(map(str, cols)),
                    "ambiguous-column",
                    f"{len(cols)} columns supply the item {item}: {', '.join(map(repr, cols))}; keep one (delete or rename the others, or map one in a codebook)",
                )
            )
    if failures:
        _raise(failures, table)
    if not mapping and not multi:
        _raise(
            [
                failure_row(
                    None,
                    None,
                    ", ".join(map(str, list(frame.columns)[:6])),
                    "missing-column",
                    f"{table.path} has no item column: no header is <instrument>_<item> (e.g. phq9_1) and no codebook maps one",
                )
            ],
            table,
            context=f"{table.path}: nothing to score",
            remedy=(
                "Remedy: pass codebook= with a file mapping the question columns to items "
                "(columns: {'Your question header': phq9_1}), or rename the columns."
            ),
        )
    _note_renamed(mapping, located, table, notes)
    return mapping


def _note_renamed(mapping: dict, located: dict, table: SourceTable, notes: list) -> None:
    renamed = [f"{c!r} -> {i}" for c, i in mapping.items() if str(c) != i]
    if renamed:
        notes.append(
            f"{len(renamed)} column(s) read as items: {', '.join(renamed[:6])}"
            + (f" and {len(renamed) - 6} more" if len(renamed) > 6 else "")
            + "."
        )
    by_text = [k for k, col in located.items() if normalize_label(k) != normalize_label(str(col))]
    if by_text:
        notes.append(
            f"{len(by_text)} codebook question(s) found by the question text of the export's "
            f"second header row (e.g. {by_text[0]!r} is column {located[by_text[0]]!r})."
        )


def _raise(failures: list[dict], table: SourceTable, *, context: str = "", remedy: str = ""):
    raise DataValidationError(
        pd.DataFrame(failures),
        context=context or f"{table.path}: columns cannot be matched to items",
        remedy=remedy or "Remedy: correct the codebook or the file's header as each line says.",
    )


def specs_for(
    mapping: dict[Any, str], instrument: Any, notes: list, *, also: frozenset[str] = frozenset()
) -> dict[str, Instrument]:
    """Load the spec of every instrument found (``also``: items of multi-select options);
    drop columns that are no item of it."""
    specs = {i.id: i for i in extra_instruments(instrument)}
    bundled = bundled_ids()
    for item in set(mapping.values()) | also:
        inst_id = item.rsplit("_", 1)[0]
        if inst_id not in specs and inst_id in bundled:
            specs[inst_id] = load_instrument(inst_id)
    strays = [
        c
        for c, i in mapping.items()
        if i.rsplit("_", 1)[0] in specs and i not in specs[i.rsplit("_", 1)[0]].item_columns
    ]
    for col in strays:
        inst = specs[mapping[col].rsplit("_", 1)[0]]
        notes.append(
            f"{col!r} is not an item of {inst.short_name} (items "
            f"{inst.items[0].n}-{inst.items[-1].n}); not carried over."
        )
        del mapping[col]
    return specs
