"""The work behind ``past-outcomes validate`` and ``past-outcomes score``.

``prepare`` checks the command line (one input, output paths that are none of the inputs),
reads the file through ``_input.read_input`` and resolves the instruments; ``run_validation``
and ``run_scoring`` do the rest. A file of more than :data:`PROGRESS_ROWS` rows is scored one
instrument at a time behind a progress bar on stderr (the failures of every instrument are
still reported together). ``summary`` names the clients behind every safety flag and every
missing score; ``round_noise`` is the documented rounding of written scores.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from past_outcomes._input import PROVENANCE, InputData, read_input, require_rows
from past_outcomes.errors import ArgumentError, DataValidationError, ResponseValidationError
from past_outcomes.instrument import Instrument, is_spec_path

#: Files with more rows than this are scored behind a progress bar.
PROGRESS_ROWS = 100_000
#: Significant digits kept in written scores (see ``round_noise``).
SIGNIFICANT = 10
#: At most this many decimals are kept (no score has meaningful digits past them).
MAX_DECIMALS = 12
#: How many clients a summary line names before "and N more".
NAMED = 8
#: Output formats by suffix.
FORMATS = {".csv": None, ".xlsx": "openpyxl", ".parquet": "pyarrow"}
_ID_COLUMNS = ("subject", "timepoint", "date", "group", "arm")


@dataclass
class Job:
    """One validate or score run: the data read, the instruments, the options."""

    data: InputData
    instruments: list[Instrument]
    label: str
    args: dict[str, Any]
    errors_out: str | None = None
    renames: dict[str, str] = field(default_factory=dict)


def check_out_format(out: str) -> None:
    """Refuse an OUT suffix we cannot write, or a format whose library is missing."""
    import importlib.util

    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise ArgumentError(
            f"--out must end in .csv, .xlsx or .parquet; got {out!r}. Choose one of these."
        )
    module = FORMATS[suffix]
    if module is not None and importlib.util.find_spec(module) is None:
        raise ArgumentError(
            f"--out {suffix} needs the package {module}, which is not installed; got {out!r}. "
            f"Install it (pip install {module}) or write .csv."
        )


def prepare(args: dict[str, Any], *, outputs: list[str]) -> Job:
    """Check the command line, read the data, resolve the instruments."""
    source = check_command(args, outputs=outputs)
    data = _read(args, source)
    instruments = _instruments(args.get("instruments") or (), data.table)
    label = str(source) if not args.get("dataset") else args["dataset"]
    return Job(data, instruments, label, args, args.get("errors_out"), _renames(args))


def _renames(args: dict[str, Any]) -> dict[str, str]:
    return {
        canonical: given
        for canonical, given in (
            ("subject", args.get("subject")),
            ("timepoint", args.get("timepoint")),
        )
        if given and given != canonical
    }


def check_command(args: dict[str, Any], *, outputs: list[str]) -> Path:
    """The checks of the command line made before anything is read; returns the input path."""
    from past_outcomes._io import check_output_path
    from past_outcomes.instrument import instruments_dir

    if bool(args.get("file")) == bool(args.get("dataset")):
        raise ArgumentError(
            "the command needs either a FILE or --dataset NAME (not both). Example: "
            "past-outcomes score answers.csv -i phq9 -o scores.csv"
        )
    if args.get("dataset") and (args.get("codebook") or args.get("source") not in (None, "auto")):
        raise ArgumentError("--source and --codebook apply to a FILE, not to --dataset.")
    if len(set(map(str, outputs))) < len(outputs):
        raise ArgumentError("--out and --errors must be two different files.")
    if args.get("dataset"):
        from past_outcomes.datasets import _locate

        source: Path = _locate(args["dataset"])
    else:
        source = Path(args["file"])
    specs = [i for i in args.get("instruments") or () if is_spec_path(i)]
    inputs = [source, *specs, *sorted(instruments_dir().glob("*.yaml"))]
    if args.get("codebook"):
        inputs.append(Path(args["codebook"]))
    for option, path in (("--out", args.get("out")), ("--errors", args.get("errors_out"))):
        if path:  # before anything is read: an output may be none of the inputs
            check_output_path(path, inputs=inputs, force=args.get("force", False), option=option)
    if args.get("out"):
        check_out_format(args["out"])
    return source


def _read(args: dict[str, Any], source: Path) -> InputData:
    if args.get("dataset"):
        from past_outcomes.datasets import read_dataset

        table = read_dataset(args["dataset"])
        return InputData(table=table, path=source, line_numbers=False)
    data = read_input(
        source,
        source=args.get("source") or "auto",
        codebook=args.get("codebook"),
        subject=args.get("subject"),
        timepoint=args.get("timepoint"),
        keep=_keep(args.get("notebook")),
    )
    return require_rows(data)


def _keep(notebook: str | None) -> tuple[str, ...]:
    """Columns carried from an export: the arm (written beside the scores) and, for
    ``validate --notebook``, every column of the notebook's contract."""
    if notebook is None:
        return ("arm",)
    from past_outcomes.contracts import CONTRACTS

    return ("arm", *(c.name for c in CONTRACTS[notebook].columns if c.name != "arm"))


def _instruments(names: tuple[str, ...], table: pd.DataFrame) -> list[Instrument]:
    from past_outcomes.cli import _load_instrument
    from past_outcomes.instrument import instruments_dir

    if names:
        return [_load_instrument(i) for i in names]
    found = []
    for path in sorted(instruments_dir().glob("*.yaml")):
        inst = _load_instrument(path)
        if any(c in table.columns for c in inst.item_columns):
            found.append(inst)
    if not found:
        raise ArgumentError(
            "the data must have the item columns of at least one instrument (named <id>_<n>, "
            "e.g. phq9_1); none of the bundled instruments' columns were found. Name the "
            "instrument with -i, map your columns with --codebook, or rename them."
        )
    return found


# --------------------------------------------------------------------------------------------
# validate


def run_validation(job: Job, *, notebook: str | None) -> int:
    from past_outcomes.scoring import validate_responses

    table = job.data.table
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            validate_responses(table, instrument=job.instruments)
        if notebook:
            from past_outcomes.contracts import check_contract

            check_contract(table, notebook=notebook)
    except DataValidationError as exc:
        _fail(job, exc)
    _write_errors(job, None)
    names = ", ".join(i.short_name for i in job.instruments)
    click.echo(f"{job.label}: {len(table)} rows; every answer to {names} is valid.")
    if notebook:
        click.echo(f"The data meet the contract of notebook {notebook}.")
    _echo_notes(job, caught)
    return 0


# --------------------------------------------------------------------------------------------
# score


def run_scoring(job: Job, *, missing: str, out: str | None) -> int:
    table = job.data.table
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scores = _score(table, job.instruments, missing)
        except DataValidationError as exc:
            _fail(job, exc)
    result = _output_frame(job, scores)
    if out:
        _write_scores(result, out)
    _write_errors(job, None)
    click.echo(summary(job, scores))
    _echo_notes(job, caught)
    if out:
        click.echo(f"\nScores written to {out}")
    return 0


def _score(table: pd.DataFrame, instruments: list[Instrument], missing: str) -> pd.DataFrame:
    from past_outcomes.scoring import score

    if len(table) <= PROGRESS_ROWS:
        return score(table, instrument=instruments, missing=missing)
    parts, failures = [], []
    with click.progressbar(
        instruments,
        label=f"Scoring {len(table):,} rows",
        file=sys.stderr,
        item_show_func=lambda i: i.short_name if i is not None else "",
    ) as bar:
        for inst in bar:
            try:
                parts.append(score(table, instrument=inst, missing=missing))
            except DataValidationError as exc:
                failures.append(exc)
    if failures:
        if len(failures) == 1:
            raise failures[0]
        cases = pd.concat([f.failure_cases for f in failures], ignore_index=True)
        key = ["row", "column", "reason"]
        cases = cases[~cases[key].astype(str).duplicated()]
        raise ResponseValidationError(
            cases,
            context=f"Responses to {', '.join(i.id for i in instruments)} failed validation",
            remedy=failures[0].remedy,
        )
    return pd.concat(parts, axis=1)


def _fail(job: Job, exc: DataValidationError) -> None:
    _write_errors(job, exc.failure_cases)
    if job.data.line_numbers:
        exc.add_note(f"(Row numbers are line numbers of {job.label}; the header is line 1.)")
    if job.errors_out:
        exc.add_note(f"Every failure is listed in {job.errors_out}.")
    raise exc


def _write_errors(job: Job, cases: pd.DataFrame | None) -> None:
    """Write the failure table (header only when there is none), rows named by file line."""
    if not job.errors_out:
        return
    from past_outcomes._io import atomic_write
    from past_outcomes.errors import FAILURE_COLUMNS

    columns = [*FAILURE_COLUMNS, "message"]
    frame = pd.DataFrame(columns=columns) if cases is None else cases.copy()
    for col in columns:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[columns].rename(columns={"row": "line" if job.data.line_numbers else "row"})
    with atomic_write(job.errors_out) as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")


def _output_frame(job: Job, scores: pd.DataFrame) -> pd.DataFrame:
    table = job.data.table
    ids = [c for c in _ID_COLUMNS if c in table.columns and c not in PROVENANCE]
    result = pd.concat([table[ids], round_noise(scores)], axis=1)
    return result.rename(columns=job.renames)


def round_noise(frame: pd.DataFrame, digits: int = SIGNIFICANT) -> pd.DataFrame:
    """A copy of ``frame`` whose float columns keep ``digits`` significant digits of their
    largest absolute value, and at most :data:`MAX_DECIMALS` decimals: binary noise
    (``3.5999999999999996``) becomes ``3.6``."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue
        finite = values[np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))]
        if finite.empty or not finite.abs().max():
            continue
        decimals = digits - 1 - int(np.floor(np.log10(float(finite.abs().max()))))
        out[col] = values.round(min(max(decimals, 0), MAX_DECIMALS))
    return out


def _write_scores(result: pd.DataFrame, out: str) -> None:
    from past_outcomes._io import atomic_write

    suffix = Path(out).suffix.lower()
    if suffix == ".csv":
        n = len(result)
        with atomic_write(out) as fh:
            if n <= PROGRESS_ROWS:
                result.to_csv(fh, index=False, lineterminator="\n")
                return
            starts = range(0, n, PROGRESS_ROWS // 2)
            with click.progressbar(starts, label="Writing", file=sys.stderr) as bar:
                for start in bar:
                    chunk = result.iloc[start : start + PROGRESS_ROWS // 2]
                    chunk.to_csv(fh, index=False, header=start == 0, lineterminator="\n")
        return
    plain = result.astype(object).where(result.notna(), None)
    with atomic_write(out, mode="wb") as fh:
        if suffix == ".xlsx":
            plain.to_excel(fh, index=False, engine="openpyxl")
        else:
            result.to_parquet(fh, index=False)


# --------------------------------------------------------------------------------------------
# score, streamed: files of any size (past_outcomes.registry.stream)

#: A canonical CSV larger than this is streamed even without ``--chunk-rows``.
STREAM_BYTES = 32 * 2**20


def streams(args: dict[str, Any]) -> bool:
    """Whether ``score`` streams its input: every Parquet file; a CSV in the canonical layout
    (read with ``--source auto`` and no codebook) given ``--chunk-rows`` or larger than
    :data:`STREAM_BYTES`. Exports and ``--dataset`` are read whole."""
    if args.get("dataset") or not args.get("file"):
        return False
    path = Path(args["file"])
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return True
    if suffix != ".csv" or args.get("codebook") or (args.get("source") or "auto") != "auto":
        return False
    try:
        large = path.is_file() and path.stat().st_size > STREAM_BYTES
    except OSError:
        return False
    return (bool(args.get("chunk_rows")) or large) and _canonical_header(path)


def _canonical_header(path: Path) -> bool:
    """Whether the first line of ``path`` is a canonical header (no export metadata)."""
    import csv

    from past_outcomes._input import _looks_canonical

    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, csv.Error):
        return True  # the streaming reader reports the problem
    return _looks_canonical(header)


def run_streamed(args: dict[str, Any], *, outputs: list[str], validate: bool = False) -> int:
    """``past-outcomes score`` (or, with ``validate``, ``past-outcomes validate``) chunk by
    chunk in bounded memory (same checks, exit codes, summary and outputs; see
    :mod:`past_outcomes.registry.stream`)."""
    from past_outcomes._input import InputData
    from past_outcomes.registry.stream import CHUNK_ROWS
    from past_outcomes.registry.stream_score import run_stream

    source = check_command(args, outputs=outputs)
    out = args.get("out")
    if out and Path(out).suffix.lower() == ".xlsx":
        raise ArgumentError(
            f"--out must be .csv or .parquet when the input is streamed (a large or Parquet "
            f"file, or --chunk-rows); got {out!r}. Write .parquet or .csv."
        )
    chunk_rows = args.get("chunk_rows") or CHUNK_ROWS
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ArgumentError(f"--chunk-rows must be a positive whole number; got {chunk_rows!r}.")
    data = InputData(table=pd.DataFrame(), path=source)
    job = Job(data, [], str(source), args, args.get("errors_out"), _renames(args))
    return run_stream(job, source=source, missing=args["missing"], out=out, chunk_rows=chunk_rows,
                      validate=validate)  # fmt: skip


# --------------------------------------------------------------------------------------------
# the summary


def summary(job: Job, scores: pd.DataFrame) -> str:
    """Counts, means and ranges per score; classification counts; the clients behind every
    safety flag and every missing score, by name (subject, timepoint, file line)."""
    instruments, table = job.instruments, job.data.table
    lines = [
        f"Scored {len(table)} administrations of {', '.join(i.short_name for i in instruments)}."
    ]
    rows = []
    for inst in instruments:
        for col, scale in inst.scales.items():
            s = scores[col]
            rows.append(
                {
                    "score": col,
                    "n": int(s.notna().sum()),
                    "missing": int(s.isna().sum()),
                    "mean": s.mean(),
                    "sd": s.std(),
                    "min": s.min(),
                    "max": s.max(),
                    "range": f"{scale.range[0]:g}-{scale.range[1]:g}",
                }
            )
    lines.append(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    for inst in instruments:
        for col in inst.classifications:
            counts = scores[col].value_counts(dropna=False)
            parts = ", ".join(f"{'missing' if _absent(k) else k}: {v}" for k, v in counts.items())
            lines.append(f"{col}: {parts}")
    lines += _safety_lines(job, scores) + _missing_lines(job, scores)
    return "\n".join(lines)


def _who(job: Job, index: pd.Index) -> str:
    table = job.data.table
    names = []
    for idx in index[:NAMED]:
        subject: Any = table.at[idx, "subject"] if "subject" in table.columns else None
        when: Any = table.at[idx, "timepoint"] if "timepoint" in table.columns else None
        where = f"line {idx}" if job.data.line_numbers else f"row {idx}"
        who = "(no subject)" if _absent(subject) else str(subject)
        names.append(who + ("" if _absent(when) else f" at {when}") + f" ({where})")
    more = f" and {len(index) - NAMED} more" if len(index) > NAMED else ""
    return ", ".join(names) + more


def _absent(value: Any) -> bool:
    """None, NaN, NA or NaT."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _safety_lines(job: Job, scores: pd.DataFrame) -> list[str]:
    lines = []
    for inst in job.instruments:
        for col, cls in inst.classifications.items():
            if cls.type != "item_flag":
                continue
            flagged = scores.index[scores[col].fillna(False).astype(bool).to_numpy()]
            if len(flagged):
                lines.append(
                    f"SAFETY {col} ({cls.label}): {len(flagged)} administration(s): "
                    f"{_who(job, flagged)}."
                )
    return lines


def _missing_lines(job: Job, scores: pd.DataFrame) -> list[str]:
    lines = []
    for inst in job.instruments:
        answered = job.data.table.reindex(columns=list(inst.item_columns)).notna().sum(axis=1)
        for col in inst.scales:
            missing = scores[col].isna() & (answered > 0)
            not_given = int((scores[col].isna() & (answered == 0)).sum())
            if missing.any():
                lines.append(
                    f"Missing {col} ({int(missing.sum())}; an item skipped): "
                    f"{_who(job, scores.index[missing.to_numpy()])}."
                    + (f" Not given at {not_given} more row(s)." if not_given else "")
                )
    return lines


def _echo_notes(job: Job, caught: list[warnings.WarningMessage]) -> None:
    notes = list(job.data.notes)
    excluded = job.data.excluded
    if excluded is not None and len(excluded):
        notes.append(f"{len(excluded)} row(s) of the file were set aside on import:")
        notes += ["  " + line for line in excluded.to_string(index=False).splitlines()]
    if caught:
        from past_outcomes.display import format_warnings

        notes.append(format_warnings(caught))
    if notes:
        click.echo("\n" + "\n".join(notes))
