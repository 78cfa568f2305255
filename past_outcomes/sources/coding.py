"""The coding of the answers read, checked against each instrument's spec: :func:`check_coding`.

Two checks, each raising one ``DataValidationError`` (reason ``shifted-scale``) that names the
columns, the values found and the fix; nothing is recoded for you:

- **file value labels** (SPSS, a REDCap dictionary) that code the spec's published answer
  labels at other values (``Not at all`` = 1 where the PHQ-9 publishes 0): any shift;
- **answers shifted by one**, upward (1-4 where 0-3 is expected: Qualtrics recode values that
  start at 1) or downward (0-4 where 1-5 is expected: recode values that start at 0). The
  check runs per group of items that share a declared range, so an instrument that mixes
  ranges (the IIEF: 0-5 items and 1-5 items) is checked group by group. A group is shifted
  up when its answers never reach its lowest value and reach one above its highest
  (``min >= lo + 1`` and ``max == hi + 1``); down when they never reach its highest value
  and reach one below its lowest (``max <= hi - 1`` and ``min == lo - 1``); whole numbers
  only, the spec's declared missing codes left out. A value outside the range is refused by
  ``score`` anyway: this check names the likely cause and the recode.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import DataValidationError
from past_outcomes.instrument import Instrument, Item
from past_outcomes.sources.codebook import normalize_label
from past_outcomes.sources.table import SourceTable, failure_row

__all__ = ["check_coding"]


def check_coding(
    items: dict[str, pd.Series],
    specs: dict[str, Instrument],
    table: SourceTable,
    source_of: dict[str, Any],
) -> None:
    """Refuse file value labels that shift the published codes, and answers shifted by one.

    ``source_of`` maps each item column to the source column it was read from.
    """
    failures: list[dict] = []
    for inst in specs.values():
        present = [it for it in inst.items if it.column in items]
        if not present:
            continue
        labelled = _label_shifts(inst, present, table, source_of)
        failures += labelled
        if labelled:
            continue
        groups: dict[tuple[float, float], list[Item]] = {}
        for it in present:
            if it.integer:
                groups.setdefault((it.min, it.max), []).append(it)
        for (lo, hi), group in groups.items():
            found = _value_shift(inst, group, items, lo, hi)
            if found is not None:
                failures.append(_shift_failure(inst, group, lo, hi, *found, source_of, groups))
    if failures:
        raise DataValidationError(
            pd.DataFrame(failures),
            context=f"{table.path}: answers are not coded as the instrument is",
            remedy="Remedy: recode as each line says, then read the file again.",
        )


def _label_shifts(inst, present, table: SourceTable, source_of) -> list[dict]:
    published = {normalize_label(a.label): a.value for a in inst.answer_labels}
    out = []
    for it in present:
        col = source_of[it.column]
        file_labels = table.value_labels.get(str(col), {})
        shifts = {code - published[k] for k, code in file_labels.items() if k in published}
        if len(shifts) == 1 and (k := shifts.pop()) != 0:
            first = inst.answer_labels[0]
            out.append(
                failure_row(
                    None,
                    col,
                    f"{k:+g}",
                    "shifted-scale",
                    f"{col!r} ({it.column}): the file's value labels code {inst.short_name}'s answers {k:+g} from the published codes (e.g. {first.label!r} is {first.value + k:g}, published {first.value:g}); recode the variable ({'subtract' if k > 0 else 'add'} {abs(k):g}) before scoring",
                )
            )
    return out


def _value_shift(inst, group, items, lo: float, hi: float) -> tuple[int, float, float] | None:
    """(+1 or -1, lowest, highest answer) when the group's answers are shifted by one."""
    values = np.concatenate([items[it.column].to_numpy(dtype=float) for it in group])
    values = values[~np.isnan(values)]
    if inst.missing_codes:
        values = values[~np.isin(values, np.asarray(inst.missing_codes, dtype=float))]
    if not len(values) or not (values % 1 == 0).all():
        return None
    vmin, vmax = float(values.min()), float(values.max())
    if vmin >= lo + 1 and vmax == hi + 1:
        return 1, vmin, vmax
    if vmax <= hi - 1 and vmin == lo - 1:
        return -1, vmin, vmax
    return None


def _shift_failure(inst, group, lo, hi, step, vmin, vmax, source_of, groups) -> dict:
    cols = ", ".join(repr(str(source_of[it.column])) for it in group[:4])
    cols += " ..." if len(group) > 4 else ""
    which = (
        f"{inst.short_name} items {_numbers(group)} (scale {lo:g}-{hi:g})"
        if len(groups) > 1
        else f"{inst.short_name} answers"
    )
    if step > 0:
        cause = "e.g. Qualtrics recode values starting at 1"
        fix = f"Subtract 1 from every answer (recode {lo + 1:g}-{hi + 1:g} to {lo:g}-{hi:g})"
    else:
        cause = f"e.g. recode values starting at {lo - 1:g}"
        fix = (
            f"Add 1 to every answer (recode {lo - 1:g}-{hi - 1:g} to {lo:g}-{hi:g}); if "
            f"{lo - 1:g} means no answer, blank those cells instead"
        )
    return failure_row(
        None,
        inst.id,
        f"{vmin:g}-{vmax:g}",
        "shifted-scale",
        f"{which} run from {vmin:g} to {vmax:g} in {cols}, but the scale is {lo:g}-{hi:g}: the coding is shifted by one, {'upward' if step > 0 else 'downward'} ({cause}). {fix} in the source, or declare the codes in a codebook; nothing is recoded for you",
    )


def _numbers(group: list[Item]) -> str:
    """Item numbers as runs: 1-14, 16."""
    ns = sorted(it.n for it in group)
    runs: list[list[int]] = []
    for n in ns:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
