"""Column names of instruments: the one reader of ``<id>_<n>`` item columns, and the check
that instruments scored together claim distinct columns.

Item columns are ``<instrument id>_<item number>`` and output columns
``<instrument id>_<scale or classification id>``. An instrument id may hold underscores
(``cssrs_screen``, :data:`~past_outcomes.instrument.ID_PATTERN`), so a name is never split at
its first underscore: an item number is digits only and follows the LAST underscore
(:data:`~past_outcomes.instrument.ITEM_COLUMN_PATTERN`), and a scale or classification id never
ends in ``_<digits>`` (:data:`~past_outcomes.instrument.COLUMN_SUB_ID_PATTERN`), so only an item
column does. Output columns are never parsed: they are looked up in a loaded spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import ITEM_COLUMN_PATTERN, Instrument

__all__ = ["parse_item_column", "check_distinct_columns", "claimed_columns"]


def parse_item_column(name: Any) -> tuple[str, int] | None:
    """``(instrument id, item number)`` of an item column name (``"cssrs_screen_3"`` ->
    ``("cssrs_screen", 3)``), or None when ``name`` is not shaped like one
    (:data:`ITEM_COLUMN_PATTERN`). The one reader of ``<id>_<n>`` names: the item number
    follows the last underscore, so an id holding underscores is never split apart."""
    match = ITEM_COLUMN_PATTERN.fullmatch(name) if isinstance(name, str) else None
    return None if match is None else (match["id"], int(match["n"]))


def check_distinct_columns(instruments: Iterable[Instrument]) -> list[Instrument]:
    """``instruments`` as a list, refused with :class:`ArgumentError` when two of them would
    read or write the same column (an id with underscores can make one instrument's column
    another's: scale ``b_total`` of ``a`` and scale ``total`` of ``a_b`` are both
    ``a_b_total``). Compared: item columns, output columns and the columns ``score`` adds
    (``<id>_n_answered``, ``<id>_prorated``, ``<scale>_prorated``)."""
    insts = list(instruments)
    owner: dict[str, str] = {}
    clashes: list[str] = []
    for inst in insts:
        for column in claimed_columns(inst):
            other = owner.setdefault(column, inst.id)
            if other != inst.id:
                clashes.append(f"{column} ({other} and {inst.id})")
    if clashes:
        raise ArgumentError(
            f"instruments scored together must not share a column; {', '.join(clashes[:5])}"
            f"{' ...' if len(clashes) > 5 else ''}. Score them in separate calls, or rename "
            "a scale or classification of your own spec."
        )
    return insts


def claimed_columns(inst: Instrument) -> tuple[str, ...]:
    """Every column ``score`` reads or writes for ``inst``: items, scales, classifications,
    ``<id>_n_answered``, ``<id>_prorated`` and ``<scale>_prorated`` of prorated scales."""
    added = [f"{inst.id}_n_answered", f"{inst.id}_prorated"]
    added += [f"{col}_prorated" for col, s in inst.scales.items() if s.proration is not None]
    return inst.item_columns + inst.output_columns + tuple(added)
