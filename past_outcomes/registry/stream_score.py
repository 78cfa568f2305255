"""``past-outcomes score`` on a file of any size: the loop over chunks and its summary.

:func:`run_stream` is called by ``past_outcomes._cli_score.run_streamed`` (see
:mod:`past_outcomes.registry.stream` for what is read, checked and written, and how).
:class:`StreamSummary` accumulates, chunk by chunk, the summary that
``past_outcomes._cli_score.summary`` prints for a file read whole: counts, means, SDs and
ranges of every score (means and variances combined by Chan, Golub and LeVeque's pairwise
update), classification counts, and the first clients behind each safety flag and each
missing score, with the totals.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from past_outcomes.errors import (
    ArgumentError,
    DataValidationError,
    ProrationWarning,
    ResponseValidationError,
)
from past_outcomes.instrument import Instrument
from past_outcomes.registry.frames import plain_ids
from past_outcomes.registry.stream import (
    CAP,
    _Output,
    _PairBuckets,
    bucket_count,
    confirm_duplicates,
    open_chunks,
    progress,
    response_error,
)

_DUPLICATE = "duplicate-observation"


@dataclass
class _Moments:
    n: int = 0
    missing: int = 0
    mean: float = 0.0
    m2: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    def add(self, values: np.ndarray) -> None:
        ok = values[~np.isnan(values)]
        self.missing += len(values) - len(ok)
        if not len(ok):
            return
        n_b, mean_b = len(ok), float(ok.mean())
        m2_b = float(((ok - mean_b) ** 2).sum())
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta**2 * self.n * n_b / n
        self.n = n
        self.low, self.high = min(self.low, float(ok.min())), max(self.high, float(ok.max()))


@dataclass
class _Named:
    """The first few clients behind a flag, and how many there are."""

    who: list[tuple[Any, Any, Any]] = field(default_factory=list)
    count: int = 0
    extra: int = 0  # rows not given the instrument (missing scores only)


@dataclass
class StreamSummary:
    """The summary of ``past-outcomes score``, accumulated chunk by chunk."""

    instruments: list[Instrument]
    line_numbers: bool
    rows: int = 0
    moments: dict[str, _Moments] = field(default_factory=dict)
    counts: dict[str, dict[Any, int]] = field(default_factory=dict)
    safety: dict[str, _Named] = field(default_factory=dict)
    missing: dict[str, _Named] = field(default_factory=dict)
    prorated: int = 0

    def add(self, table: pd.DataFrame, scores: pd.DataFrame) -> None:
        from past_outcomes._cli_score import NAMED

        self.rows += len(table)
        for inst in self.instruments:
            answered = table.reindex(columns=list(inst.item_columns)).notna().sum(axis=1)
            for col in inst.scales:
                values = scores[col].to_numpy(dtype=float, na_value=np.nan)
                self.moments.setdefault(col, _Moments()).add(values)
                gone = np.isnan(values)
                named = self.missing.setdefault(col, _Named())
                skipped = gone & (answered.to_numpy() > 0)
                named.extra += int((gone & (answered.to_numpy() == 0)).sum())
                self._name(named, table, np.flatnonzero(skipped), NAMED)
                if f"{col}_prorated" in scores:
                    self.prorated += int(scores[f"{col}_prorated"].fillna(False).sum())
            for col, cls in inst.classifications.items():
                counts = self.counts.setdefault(col, {})
                for key, n in scores[col].value_counts(dropna=False, sort=False).items():
                    key = None if _absent(key) else key
                    counts[key] = counts.get(key, 0) + int(n)
                if cls.type == "item_flag":
                    flagged = np.flatnonzero(scores[col].fillna(False).to_numpy(dtype=bool))
                    self._name(self.safety.setdefault(col, _Named()), table, flagged, NAMED)

    @staticmethod
    def _name(named: _Named, table: pd.DataFrame, rows: np.ndarray, limit: int) -> None:
        named.count += len(rows)
        for i in rows[: max(0, limit - len(named.who))]:
            subject = table["subject"].iloc[i] if "subject" in table.columns else None
            when = table["timepoint"].iloc[i] if "timepoint" in table.columns else None
            named.who.append((subject, when, table.index[i]))

    def text(self) -> str:
        """The summary, as ``past_outcomes._cli_score.summary`` writes it."""
        names = ", ".join(i.short_name for i in self.instruments)
        lines = [f"Scored {self.rows} administrations of {names}."]
        rows = []
        for inst in self.instruments:
            for col, scale in inst.scales.items():
                m = self.moments.get(col, _Moments())
                rows.append(
                    {
                        "score": col, "n": m.n, "missing": m.missing,
                        "mean": m.mean if m.n else math.nan,
                        "sd": math.sqrt(m.m2 / (m.n - 1)) if m.n > 1 else math.nan,
                        "min": m.low if m.n else math.nan, "max": m.high if m.n else math.nan,
                        "range": f"{scale.range[0]:g}-{scale.range[1]:g}",
                    }
                )  # fmt: skip
        lines.append(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        for inst in self.instruments:
            for col in inst.classifications:
                ordered = sorted(self.counts.get(col, {}).items(), key=lambda kv: -kv[1])
                parts = ", ".join(f"{'missing' if k is None else k}: {v}" for k, v in ordered)
                lines.append(f"{col}: {parts}")
        lines += self._flag_lines()
        return "\n".join(lines)

    def _flag_lines(self) -> list[str]:
        lines = []
        for inst in self.instruments:
            for col, cls in inst.classifications.items():
                named = self.safety.get(col)
                if cls.type == "item_flag" and named is not None and named.count:
                    lines.append(
                        f"SAFETY {col} ({cls.label}): {named.count} administration(s): "
                        f"{self._who(named)}."
                    )
        for inst in self.instruments:
            for col in inst.scales:
                named = self.missing.get(col)
                if named is not None and named.count:
                    more = f" Not given at {named.extra} more row(s)." if named.extra else ""
                    lines.append(
                        f"Missing {col} ({named.count}; an item skipped): {self._who(named)}."
                        + more
                    )
        return lines

    def _who(self, named: _Named) -> str:
        from past_outcomes._cli_score import NAMED

        out = []
        for subject, when, idx in named.who:
            where = f"line {idx}" if self.line_numbers else f"row {idx}"
            who = "(no subject)" if _absent(subject) else str(subject)
            out.append(who + ("" if _absent(when) else f" at {when}") + f" ({where})")
        more = f" and {named.count - NAMED} more" if named.count > NAMED else ""
        return ", ".join(out) + more


def _absent(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------


@dataclass
class _Failures:
    frames: list[pd.DataFrame] = field(default_factory=list)
    counts: dict[tuple[Any, str], int] = field(default_factory=dict)
    listed: int = 0

    def add(self, cases: pd.DataFrame) -> None:
        if not len(cases):
            return
        sizes = cases.groupby(["column", "reason"], sort=False, dropna=False).size()
        for key, n in zip(sizes.index.to_list(), sizes.to_numpy(), strict=True):
            self.counts[key] = self.counts.get(key, 0) + int(n)
        if self.listed < CAP:
            self.frames.append(cases.head(CAP - self.listed))
            self.listed += len(self.frames[-1])


def run_stream(
    job: Any,
    *,
    source: Path,
    missing: str,
    out: str | None,
    chunk_rows: int,
    validate: bool = False,
) -> int:
    """Validate and score ``source`` chunk by chunk (see the module docstring); with
    ``validate``, only validate it (``past-outcomes validate``: nothing is scored or written)."""
    from past_outcomes._cli_score import _fail, _write_errors

    reader = open_chunks(source, chunk_rows)
    header = reader.open()
    job.instruments = _instruments(job, header)
    reader.numeric = frozenset(c for inst in job.instruments for c in inst.item_columns)
    renames = _renames(job, header, source)
    is_csv = source.suffix.lower() not in (".parquet", ".pq")
    job.data = job.data.__class__(table=pd.DataFrame(columns=header), path=source,
                                  line_numbers=is_csv)  # fmt: skip
    ids = [renames.get(c, c) for c in header]
    buckets = _PairBuckets(bucket_count(source)) if {"subject", "timepoint"} <= set(ids) else None
    summary = StreamSummary(job.instruments, line_numbers=is_csv)
    failures = _Failures()
    output = _Output(out)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _loop(reader, job, (renames, missing, validate), summary, failures, output, buckets)
        reader.raise_ragged()
        if buckets is not None and len(rows := buckets.candidates()):
            again = open_chunks(source, chunk_rows)
            again.open()
            dup = confirm_duplicates(again, renames, rows)
            if len(dup):
                failures.add(_duplicate_cases(dup))
        if failures.counts:
            names = ", ".join(i.id for i in job.instruments)
            try:
                response_error(failures.frames, failures.counts, names)
            except DataValidationError as exc:
                _fail(job, exc)
        output.commit()
    except BaseException:
        output.abort()
        raise
    finally:
        if buckets is not None:
            buckets.close()
    _write_errors(job, None)
    _report(job, summary, caught, out=out, validate=validate)
    return 0


def _report(job: Any, summary: StreamSummary, caught: list, *, out: str | None,
            validate: bool) -> None:  # fmt: skip
    """What the command prints on success (as for a file read whole)."""
    import click

    if validate:
        names = ", ".join(i.short_name for i in job.instruments)
        click.echo(f"{job.label}: {summary.rows} rows; every answer to {names} is valid.")
    else:
        click.echo(summary.text())
    notes = [w for w in caught if not issubclass(w.category, ProrationWarning)]
    if summary.prorated:
        click.echo(
            f"\nNote: {summary.prorated} score(s) were prorated from incomplete items under the "
            "spec's declared rule; see the *_prorated columns."
        )
    if notes:
        from past_outcomes.display import format_warnings

        click.echo("\n" + format_warnings(notes))
    if out:
        click.echo(f"\nScores written to {out}")


def _loop(reader, job, how, summary, failures, output, buckets) -> None:
    from past_outcomes._cli_score import _ID_COLUMNS, round_noise
    from past_outcomes._input import PROVENANCE

    renames, missing, validate = how
    total = getattr(reader, "rows", None) or Path(reader.path).stat().st_size
    unit = "rows" if hasattr(reader, "rows") else "bytes"
    first = True
    with progress(total, f"{'Validating' if validate else 'Scoring'} {reader.path.name}") as bar:
        done = 0
        for chunk in reader:
            table = chunk.rename(columns=renames) if renames else chunk
            scores, fc = _score_chunk(reader, table, job, missing, renames, validate)
            if fc is not None:
                keep = fc["reason"] != _DUPLICATE  # found across chunks by the buckets
                if not first:
                    keep &= fc["position"].notna()  # column failures: once
                failures.add(fc[keep.to_numpy()])
            first = False
            if buckets is not None:
                buckets.add(table["subject"], table["timepoint"], table.index.to_numpy())
            if validate:
                summary.rows += len(table)
            elif scores is not None and not failures.counts:
                summary.add(table, scores)
                keep_ids = [c for c in _ID_COLUMNS if c in table.columns and c not in PROVENANCE]
                frame = pd.concat([table[keep_ids], round_noise(scores)], axis=1)
                output.write(frame.rename(columns=job.renames))
            now = reader.consumed if unit == "bytes" else reader.consumed
            bar.update(max(0, now - done))
            done = now
        bar.update(max(0, total - done))


def _score_chunk(
    reader, table, job, missing, renames, validate=False
) -> tuple[Any, pd.DataFrame | None]:
    """(scores, None) for a valid chunk, (None, failure_cases) otherwise.

    When the identifiers are text or numbers with none missing, the engine is called without
    them (its duplicate check within the chunk is skipped: the spilled pair hashes find the
    duplicates of the whole file). A chunk that fails, or whose identifiers are missing or
    of another type, is checked again with its identifiers, on its text when the fast reader
    read its items as numbers, so that every failure row names the subject, the file line
    and the cell's text (``07``, not ``7.0``) as for a file read whole. With ``validate``
    the engine validates only (``validate_responses``)."""
    from functools import partial

    from past_outcomes.scoring import score, validate_responses

    engine = (
        partial(validate_responses, instrument=job.instruments)
        if validate
        else partial(score, instrument=job.instruments, missing=missing)
    )
    if plain_ids(table, ("subject", "timepoint")):
        try:
            return engine(table, subject=None, timepoint=None), None
        except ResponseValidationError:
            pass
    again = reader.text_again(table) if hasattr(reader, "text_again") else None
    if again is not None:
        table = again.rename(columns=renames) if renames else again
    try:
        return engine(table), None
    except ResponseValidationError as exc:
        return None, exc.failure_cases


def _duplicate_cases(dup: pd.DataFrame) -> pd.DataFrame:
    from past_outcomes.registry.frames import duplicate_cases

    return duplicate_cases(dup.sort_values("row", kind="stable"), column="subject+timepoint")


def _instruments(job: Any, header: list[str]) -> list[Instrument]:
    from past_outcomes._cli_score import _instruments as resolve

    return resolve(tuple(job.args.get("instruments") or ()), pd.DataFrame(columns=header))


def _renames(job: Any, header: list[str], source: Path) -> dict[str, str]:
    """``--subject COL``/``--timepoint COL`` to the canonical names, checked as on small files."""
    renames = {}
    for canonical, option in (("subject", "--subject"), ("timepoint", "--timepoint")):
        given = job.args.get(canonical)
        if not given or given == canonical:
            continue
        if given not in header:
            raise ArgumentError(
                f"{option} must name a column of {source}; {given!r} is not one (its columns: "
                f"{', '.join(header[:15])}{', ...' if len(header) > 15 else ''}). Check the "
                "spelling."
            )
        if canonical in header:
            raise ArgumentError(
                f"{option} {given!r} would replace the column {canonical!r} that {source} "
                f"already has; the two cannot both identify rows. Drop one of them, or leave "
                f"out {option}."
            )
        renames[given] = canonical
    return renames
