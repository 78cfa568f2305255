"""Command-line interface: ``past-outcomes <command>``.

Commands
--------
``instruments``   list the bundled instrument specs
``score``         validate and score a CSV file, write the scores, print a summary
``synth``         regenerate the bundled synthetic data sets
``notebooks run`` execute the analysis notebooks and export HTML reports

Every heavy import happens inside the command that needs it, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from past_outcomes.errors import PastOutcomesError

    try:
        return int(args.func(args) or 0)
    except PastOutcomesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="past-outcomes",
        description="Score outcome measures and run the analyses of psychedelic-assisted sex therapy.",
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("instruments", help="list the bundled instrument specs")
    p.set_defaults(func=_cmd_instruments)

    p = sub.add_parser("score", help="validate and score a CSV file of item responses")
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
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("synth", help="regenerate the bundled synthetic data sets")
    p.add_argument("--out", help="output folder (default: the repository's data/synthetic)")
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("notebooks", help="run the analysis notebooks")
    nsub = p.add_subparsers(dest="notebooks_command")
    r = nsub.add_parser("run", help="execute notebooks and export HTML reports without input cells")
    r.add_argument("names", nargs="*", help="notebook names (default: all)")
    r.add_argument("--data", help="run on this data file instead of the bundled data set")
    r.add_argument(
        "--html", default="reports", help="folder for the HTML reports (default: reports)"
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

    from past_outcomes.errors import ArgumentError
    from past_outcomes.instrument import instruments_dir, load_instrument
    from past_outcomes.scoring import score

    if bool(args.file) == bool(args.dataset):
        raise ArgumentError("score needs either a FILE or --dataset NAME (not both).")
    if args.dataset:
        from past_outcomes.datasets import read_dataset

        data = read_dataset(args.dataset)
    else:
        data = pd.read_csv(args.file)
    if args.instrument:
        instruments = [load_instrument(i) for i in args.instrument]
    else:
        instruments = []
        for path in sorted(instruments_dir().glob("*.yaml")):
            inst = load_instrument(path)
            if any(c in data.columns for c in inst.item_columns):
                instruments.append(inst)
        if not instruments:
            raise ArgumentError(
                "no item columns of any bundled instrument were found; name the instrument with "
                "--instrument, and check that item columns are named <id>_<n>."
            )
    scores = score(data, instruments, missing=args.missing)
    ids = [c for c in ("subject", "timepoint", "arm", "date") if c in data.columns]
    result = pd.concat([data[ids], scores], axis=1)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(args.out, index=False, lineterminator="\n")
    print(_score_summary(scores, instruments, len(data)))
    if args.out:
        print(f"\nScores written to {args.out}")
    return 0


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

    paths = write_datasets(args.out)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _cmd_notebooks_run(args) -> int:
    from past_outcomes.reports import run_notebooks

    outputs = run_notebooks(args.names or None, data=args.data, html_dir=args.html)
    for path in outputs:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
