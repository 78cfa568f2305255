"""Command-line interface: ``past-outcomes <command>``.

Commands
--------
``instruments``   list the bundled instrument specs
``score``         validate and score a CSV file, write the scores, print a summary
``synth``         regenerate the bundled synthetic data sets
``notebooks run`` execute the analysis notebooks and export HTML reports

Exit status
-----------
0    success.
1    the input data are wrong: a file that cannot be read as a clean CSV table (missing, a
     folder, empty, binary, not UTF-8, ragged lines, repeated column names), answers that
     fail validation, a malformed instrument spec, a statistic the data cannot support, a
     notebook stopped by such an error.
2    the command line is wrong: a usage error, an unknown instrument, an output path that is
     an input, exists (without ``--force``), is a folder, or cannot be written. Nothing has
     been read or written.
130  interrupted (Ctrl-C).

Every failure prints one block starting ``error:`` on stderr, never a traceback; an
unexpected exception that is not one of the package's errors is a bug and keeps its traceback.

Outputs are never half written: each file is written to a temporary file in the same folder
and renamed into place. An existing file is never replaced without ``--force``, and an output
that is one of the files the command reads is refused even with it. ``notebooks run`` may
replace reports it wrote itself (recorded in the folder's ``.past-outcomes-reports.json``) and
not changed since, so rerunning it needs no ``--force``.

Every heavy import happens inside the command that needs it, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_EPILOG = """\
exit status: 0 success; 1 the input data are wrong (unreadable or ragged CSV, invalid answers,
bad spec); 2 the command line is wrong (usage, unknown instrument, refused output path);
130 interrupted. Outputs are written atomically; an existing file is replaced only with
--force, and never when it is an input of the command.
"""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module docstring)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from past_outcomes.errors import ArgumentError, PastOutcomesError, UnknownInstrumentError

    try:
        return int(args.func(args) or 0)
    except (ArgumentError, UnknownInstrumentError) as exc:
        _print_error(exc)
        return 2
    except PastOutcomesError as exc:
        _print_error(exc)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _print_error(exc: BaseException) -> None:
    lines = [f"error: {exc}", *getattr(exc, "__notes__", ())]
    print("\n".join(lines), file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="past-outcomes",
        description="Score outcome measures and run the analyses of psychedelic-assisted sex therapy.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("instruments", help="list the bundled instrument specs")
    p.set_defaults(func=_cmd_instruments)

    p = sub.add_parser(
        "score",
        help="validate and score a CSV file of item responses",
        epilog=_EPILOG
        + "\nThe file must be comma-separated UTF-8 text with a header line; errors name rows "
        "by file line (the header is line 1).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", nargs="?", help="CSV file, one row per administration")
    p.add_argument("--dataset", help="score a bundled synthetic data set instead of a file")
    p.add_argument(
        "--instrument",
        "-i",
        action="append",
        help="instrument id or spec path (repeatable); default: every instrument whose items are present",
    )
    p.add_argument("--missing", choices=["complete", "prorate"], default="complete")
    p.add_argument("--out", "-o", help="write the scores (with the id columns) to this CSV")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser(
        "synth",
        help="regenerate the bundled synthetic data sets",
        epilog="Files whose bytes would not change are rewritten freely; a file whose content "
        "would change is replaced only with --force. Other files in the folder are not touched.",
    )
    p.add_argument("--out", help="output folder (default: the repository's data/synthetic)")
    p.add_argument(
        "--force", action="store_true", help="replace existing files whose content differs"
    )
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("notebooks", help="run the analysis notebooks")
    nsub = p.add_subparsers(dest="notebooks_command")
    r = nsub.add_parser(
        "run",
        help="execute notebooks and export HTML reports without input cells",
        epilog="Rerunning into the same --html folder replaces the reports this command wrote "
        "there (recorded in .past-outcomes-reports.json) if they were not changed since; any "
        "other existing file of the same name is replaced only with --force. --data is "
        "checked (readable UTF-8 CSV, no ragged lines) before any notebook starts.",
    )
    r.add_argument("names", nargs="*", help="notebook names (default: all)")
    r.add_argument("--data", help="run on this data file instead of the bundled data set")
    r.add_argument(
        "--html", default="reports", help="folder for the HTML reports (default: reports)"
    )
    r.add_argument(
        "--force", action="store_true", help="replace report files this command did not write"
    )
    r.set_defaults(func=_cmd_notebooks_run)
    return parser


def _cmd_instruments(args) -> int:
    from past_outcomes.instrument import list_instruments

    table = list_instruments()[["id", "name", "items", "direction"]]
    print(table.to_string(index=False))
    return 0


def _cmd_score(args) -> int:
    import pandas as pd

    from past_outcomes._io import atomic_write, check_output_path, read_csv_safely
    from past_outcomes.errors import ArgumentError, DataValidationError, InputFileError
    from past_outcomes.instrument import instruments_dir
    from past_outcomes.scoring import score

    if bool(args.file) == bool(args.dataset):
        raise ArgumentError("score needs either a FILE or --dataset NAME (not both).")
    if args.dataset:
        from past_outcomes.datasets import _check_name, _locate

        source = _locate(_check_name(args.dataset))
    else:
        source = Path(args.file)
    specs = [i for i in args.instrument or [] if _is_spec_path(i)]
    if args.out:  # before anything is read: the output may be none of the inputs
        bundled = sorted(instruments_dir().glob("*.yaml"))
        check_output_path(args.out, inputs=[source, *specs, *bundled], force=args.force)
    if args.dataset:
        from past_outcomes.datasets import read_dataset

        data = read_dataset(args.dataset)
    else:
        data = read_csv_safely(source)  # index = file line numbers
        if data.empty:
            raise InputFileError(
                f"{source} must hold at least one data row below its header; it has none. "
                "Check that you chose the right file."
            )
    if args.instrument:
        instruments = [_load_instrument(i) for i in args.instrument]
    else:
        instruments = []
        for path in sorted(instruments_dir().glob("*.yaml")):
            inst = _load_instrument(path)
            if any(c in data.columns for c in inst.item_columns):
                instruments.append(inst)
        if not instruments:
            raise ArgumentError(
                "no item columns of any bundled instrument were found; name the instrument with "
                "--instrument, and check that item columns are named <id>_<n>."
            )
    try:
        scores = score(data, instrument=instruments, missing=args.missing)
    except DataValidationError as exc:
        if not args.dataset:
            exc.add_note(f"(Row numbers are line numbers of {source}; the header is line 1.)")
        raise
    ids = [c for c in ("subject", "timepoint", "arm", "date") if c in data.columns]
    result = pd.concat([data[ids], scores], axis=1)
    if args.out:
        with atomic_write(args.out) as fh:
            result.to_csv(fh, index=False, lineterminator="\n")
    print(_score_summary(scores, instruments, len(data)))
    if args.out:
        print(f"\nScores written to {args.out}")
    return 0


def _is_spec_path(value: str) -> bool:
    """The rule of ``load_instrument``: a .yaml/.yml name or anything with a slash is a path."""
    return value.endswith((".yaml", ".yml")) or "/" in value


def _load_instrument(id_or_path):
    """``load_instrument``, with a spec file that is not readable UTF-8 text refused cleanly."""
    from past_outcomes.errors import InputFileError
    from past_outcomes.instrument import load_instrument

    try:
        return load_instrument(id_or_path)
    except UnicodeDecodeError:
        raise InputFileError(
            f"the instrument spec {str(id_or_path)!r} must be a YAML text file encoded as "
            "UTF-8; it is not. Save it as UTF-8 and try again."
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"the instrument spec {str(id_or_path)!r} must be a readable file; it cannot be "
            f"read ({exc.strerror or exc}). Check its path and permissions."
        ) from None


def _score_summary(scores, instruments, n_rows: int) -> str:
    import pandas as pd

    lines = [f"Scored {n_rows} administrations of {', '.join(i.short_name for i in instruments)}."]
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
    table = pd.DataFrame(rows)
    lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    for inst in instruments:
        for col in inst.classifications:
            counts = scores[col].value_counts(dropna=False)
            parts = ", ".join(f"{'missing' if pd.isna(k) else k}: {v}" for k, v in counts.items())
            lines.append(f"{col}: {parts}")
    return "\n".join(lines)


def _cmd_synth(args) -> int:
    from past_outcomes.synthetic import write_datasets

    paths = write_datasets(args.out, force=args.force)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _cmd_notebooks_run(args) -> int:
    from past_outcomes.reports import run_notebooks

    outputs = run_notebooks(
        args.names or None, data=args.data, html_dir=args.html, force=args.force
    )
    for path in outputs:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
