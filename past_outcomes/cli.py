"""Command-line interface: ``past-outcomes <command>`` (built on click).

Commands
--------
``instruments``               list the bundled instrument specs
``instruments show ID``       items, scales, cutoffs and sources of one spec
``instruments new ID``        write a commented template spec for a practice's own questionnaire
``instruments check FILE``    validate a spec; print what it would score, or what to fix
``validate FILE``             check the answers (and optionally a notebook's data contract)
``score FILE -i ID -o OUT``   validate and score; write .csv, .xlsx or .parquet; print a summary
``synth``                     regenerate the bundled synthetic data sets
``notebooks run``             execute the analysis notebooks and export HTML reports
``--version``                 the installed version

Every data file is read by ``past_outcomes._input.read_input`` (``read_responses`` when the
import module is installed: REDCap, Qualtrics, Forms, SPSS, Stata, Excel; the safe CSV reader
otherwise), so rows are named by their file line everywhere.

Exit status
-----------
0    success.
1    data errors found: answers that fail validation, lines with the wrong number of fields
     or repeated column names (each listed by file line), a malformed instrument spec, a
     notebook's data lacking what its contract requires, a statistic the data cannot support.
2    the command line is wrong, or a file is missing or unreadable: a usage error, an unknown
     instrument, a missing, empty, binary or wrongly encoded input file, an output path that
     is an input, exists (without ``--force``), is a folder or cannot be written. Nothing has
     been written.
130  interrupted (Ctrl-C).

Every failure prints one block starting ``error:`` on stderr, never a traceback; an
unexpected exception that is not one of the package's errors is a bug and keeps its traceback.

Outputs are never half written: each file is written to a temporary file in the same folder
and renamed into place. An existing file is never replaced without ``--force``, and an output
that is one of the files the command reads is refused even with it.

Scores are written without binary floating-point noise: every float column is rounded to 10
significant digits of its largest value (``3.6``, not ``3.5999999999999996``). No digit an
instrument can produce is lost: answers are whole numbers or have a few decimals, and the
factors and weights of the bundled specs have at most three, so a score has at most a handful
of meaningful decimals; only the noise past the 15th significant digit goes.

Every heavy import happens inside the command that needs it, so ``--help`` answers at once.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

#: Bundled data set names (``past_outcomes.datasets.DATASETS``; a test keeps them equal).
DATASET_NAMES = (
    "mdma_trial",
    "past_pilot",
    "past_pilot_sessions",
    "practice_rom",
    "mdma_trial_disposition",
)
#: Notebook names (``past_outcomes.reports.NOTEBOOKS``; a test keeps them equal).
NOTEBOOK_NAMES = (
    "01_scoring",
    "02_pilot_prepost",
    "03_two_arm_trial",
    "04_client_progress",
    "05_psychometrics_and_power",
)
#: ``--source`` values (``past_outcomes._input.SOURCES``).
SOURCE_NAMES = ("auto", "redcap", "qualtrics", "forms", "spss", "stata", "excel", "csv")

_EPILOG = (
    "exit status: 0 success; 1 the input data are wrong (invalid answers, ragged lines, bad "
    "spec, a notebook's missing column); 2 the command line is wrong or a file is missing or "
    "unreadable (usage, unknown instrument, refused output path); 130 interrupted. Outputs are "
    "written atomically; an existing file is replaced only with --force, and never when it is "
    "an input of the command."
)
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Interrupted(Exception):
    """Ctrl-C inside a command (click would turn KeyboardInterrupt into Abort and print)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module docstring)."""
    from past_outcomes.errors import PastOutcomesError

    try:
        result = cli.main(args=argv, prog_name="past-outcomes", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code)
    except click.UsageError as exc:
        hint = f"\nSee: {exc.ctx.command_path} --help" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    except (_Interrupted, click.exceptions.Abort):
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except PastOutcomesError as exc:
        _print_error(exc)
        return exit_code(exc)
    return int(result or 0)


def exit_code(exc: BaseException) -> int:
    """The exit status of a package error: 2 for the command line or an unreadable file, else 1."""
    from past_outcomes.errors import ArgumentError, InputFileError, UnknownInstrumentError

    if isinstance(exc, ArgumentError | UnknownInstrumentError):
        return 2
    if isinstance(exc, InputFileError):  # located line problems are data errors found
        return 1 if len(exc.failure_cases) else 2
    return 1


def _print_error(exc: BaseException) -> None:
    lines = [f"error: {exc}", *getattr(exc, "__notes__", ())]
    click.echo("\n".join(lines), err=True)


def _command(func: Callable[..., int]) -> Callable[..., int]:
    """Run a command body; Ctrl-C becomes exit 130 without click's extra output."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt:
            raise _Interrupted from None

    return wrapper


@click.group(context_settings=_CONTEXT, epilog=_EPILOG)
@click.version_option(package_name="past_outcomes", prog_name="past-outcomes")
def cli() -> None:
    """Score outcome measures and run the analyses of psychedelic-assisted sex therapy."""


# --------------------------------------------------------------------------------------------
# instruments


@cli.group("instruments", invoke_without_command=True, epilog=_EPILOG)
@click.pass_context
def instruments_group(ctx: click.Context) -> int:
    """List the bundled instrument specs (or show, create or check one: see the commands)."""
    if ctx.invoked_subcommand is None:
        return _run(_cmd_instruments, {})
    return 0


def _run(func: Callable[[dict[str, Any]], int], args: dict[str, Any]) -> int:
    """Call a command body, looked up at call time so tests can replace it."""
    return _command(func)(args)


def _cmd_instruments(args: dict[str, Any]) -> int:
    from past_outcomes.instrument import list_instruments

    table = list_instruments()[["id", "name", "items", "direction"]]
    click.echo(table.to_string(index=False))
    click.echo(
        "\nDetails: past-outcomes instruments show ID. Your own: past-outcomes instruments new ID."
    )
    return 0


@instruments_group.command("show", epilog=_EPILOG)
@click.argument("instrument", metavar="ID")
def instruments_show(instrument: str) -> int:
    """Print the items, scales, cutoffs, bands, responder rules and sources of ID (a bundled id
    or a spec file)."""
    return _run(_cmd_instruments_show, {"instrument": instrument})


def _cmd_instruments_show(args: dict[str, Any]) -> int:
    from past_outcomes._cli_instruments import describe_spec

    inst = _load_instrument(args["instrument"])
    click.echo(describe_spec(inst))
    return 0


@instruments_group.command("new", epilog=_EPILOG)
@click.argument("instrument", metavar="ID")
@click.option(
    "--out", "-o", "out", metavar="FILE", help="where to write the spec (default: ./ID.yaml)"
)
@click.option("--force", is_flag=True, help="replace an existing file of that name")
def instruments_new(instrument: str, out: str | None, force: bool) -> int:
    """Write a commented template spec for a practice's own questionnaire, valid as it stands:
    edit it, then run `past-outcomes instruments check ID.yaml`."""
    return _run(_cmd_instruments_new, {"instrument": instrument, "out": out, "force": force})


def _cmd_instruments_new(args: dict[str, Any]) -> int:
    from past_outcomes._cli_instruments import template_spec
    from past_outcomes._io import atomic_write, check_output_path
    from past_outcomes.errors import ArgumentError
    from past_outcomes.instrument import ID_PATTERN, instruments_dir

    inst_id = args["instrument"]
    if not isinstance(inst_id, str) or not ID_PATTERN.fullmatch(inst_id):
        raise ArgumentError(
            f"ID must be lower-case letters and digits starting with a letter, words joined by "
            f"single underscores (at most 40), since item columns are named <ID>_<n>; got "
            f"{inst_id!r}. Example: mpq or my_scale"
        )
    if (instruments_dir() / f"{inst_id}.yaml").is_file():
        raise ArgumentError(
            f"ID must not be a bundled instrument's id; {inst_id!r} is one. Choose another id "
            "so that your item columns cannot be mistaken for the bundled instrument's."
        )
    out = args["out"] or f"{inst_id}.yaml"
    check_output_path(out, inputs=[], force=args["force"])
    with atomic_write(out) as fh:
        fh.write(template_spec(inst_id))
    click.echo(f"wrote {out}\nEdit it, then: past-outcomes instruments check {out}")
    return 0


@instruments_group.command("check", epilog=_EPILOG)
@click.argument("file", metavar="FILE")
def instruments_check(file: str) -> int:
    """Validate a spec file: print what it would score (items, scales, ranges, cutoffs), or
    the definition errors, located by key path, with the fix. Exit 1 on an error."""
    return _run(_cmd_instruments_check, {"file": file})


def _cmd_instruments_check(args: dict[str, Any]) -> int:
    from pathlib import Path

    from past_outcomes._cli_instruments import describe_spec
    from past_outcomes.errors import InputFileError

    path = Path(args["file"])
    if not path.is_file():
        raise InputFileError(
            f"FILE must be an instrument spec file; there is no file at {str(path)!r}. "
            "Check the path (write a template with: past-outcomes instruments new ID)."
        )
    from past_outcomes.errors import InstrumentDefinitionError

    try:
        inst = _load_instrument(path)
    except InstrumentDefinitionError as exc:
        exc.add_note(
            f"Fix the key named above in {path} (every key and its allowed values: "
            "instruments/README.md), then run the check again."
        )
        raise
    click.echo(f"{path}: a valid spec. It would score:\n")
    click.echo(describe_spec(inst, where=str(path)))
    click.echo(
        f"\nData columns needed: {', '.join(inst.item_columns)}.\n"
        f"Score a file with: past-outcomes score FILE -i {path} -o scores.csv"
    )
    return 0


def _load_instrument(id_or_path: Any) -> Any:
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


# --------------------------------------------------------------------------------------------
# validate and score: shared options


def _input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("file", required=False, metavar="FILE"),
        click.option(
            "--dataset",
            type=click.Choice(DATASET_NAMES),
            help="use a bundled synthetic data set instead of FILE",
        ),
        click.option(
            "--instrument",
            "-i",
            "instruments",
            multiple=True,
            metavar="ID",
            help="instrument id or spec file (repeat for several); default: every bundled "
            "instrument whose item columns are present",
        ),
        click.option(
            "--subject",
            metavar="COL",
            help="the column that identifies clients, if it is not called 'subject'",
        ),
        click.option(
            "--timepoint",
            metavar="COL",
            help="the column that names visits, if it is not called 'timepoint'",
        ),
        click.option(
            "--source",
            type=click.Choice(SOURCE_NAMES),
            default="auto",
            show_default=True,
            help="the kind of export FILE is (auto detects it from the file)",
        ),
        click.option(
            "--codebook",
            metavar="FILE",
            help="YAML or CSV codebook mapping the export's columns to items and its answer "
            "labels to codes",
        ),
        click.option(
            "--errors",
            "errors_out",
            metavar="FILE",
            help="write the table of every failure (file line, subject, timepoint, column, "
            "value, reason) to this CSV; written empty when there is none",
        ),
        click.option("--force", is_flag=True, help="replace existing output files"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command("validate", epilog=_EPILOG)
@_input_options
@click.option(
    "--notebook",
    type=click.Choice(NOTEBOOK_NAMES),
    help="also check the data contract of this notebook (the columns and values it needs)",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="stream FILE (CSV or Parquet) N rows at a time in bounded memory; Parquet files and "
    "CSV files over 32 MiB are streamed anyway (200,000 rows a chunk), unless --notebook "
    "is given (a contract is checked on the whole table)",
)
def validate_command(**args: Any) -> int:
    """Check every answer in FILE against the instrument specs; list every problem by file
    line and subject (exit 1), or say that the file can be scored (exit 0)."""
    return _run(_cmd_validate, args)


def _cmd_validate(args: dict[str, Any]) -> int:
    from past_outcomes._cli_score import prepare, run_streamed, run_validation, streams

    if not args.get("notebook") and streams(args):
        outputs = [p for p in (args.get("errors_out"),) if p]
        return run_streamed({**args, "missing": "complete"}, outputs=outputs, validate=True)
    job = prepare(args, outputs=[])
    return run_validation(job, notebook=args.get("notebook"))


@cli.command("score", epilog=_EPILOG)
@_input_options
@click.option(
    "--missing",
    type=click.Choice(["complete", "prorate"]),
    default="complete",
    show_default=True,
    help="complete: a scale needs every item; prorate: apply the spec's declared proration rule",
)
@click.option(
    "--out",
    "-o",
    "out",
    metavar="OUT",
    help="write the scores with the id columns to OUT.csv, OUT.xlsx or OUT.parquet",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="stream FILE (CSV or Parquet) N rows at a time in bounded memory; Parquet files and "
    "CSV files over 32 MiB are streamed anyway (200,000 rows a chunk)",
)
def score_command(**args: Any) -> int:
    """Validate and score FILE (one row per administration); print a summary that names the
    clients behind every safety flag and every missing score. Scores are rounded to 10
    significant digits (no floating-point noise)."""
    return _run(_cmd_score, args)


def _cmd_score(args: dict[str, Any]) -> int:
    from past_outcomes._cli_score import prepare, run_scoring, run_streamed, streams

    outputs = [p for p in (args.get("out"), args.get("errors_out")) if p]
    if streams(args):
        return run_streamed(args, outputs=outputs)
    job = prepare(args, outputs=outputs)
    return run_scoring(job, missing=args["missing"], out=args.get("out"))


# --------------------------------------------------------------------------------------------
# synth and notebooks


@cli.command(
    "synth",
    epilog="Files whose bytes would not change are rewritten freely; a file whose content "
    "would change is replaced only with --force. Other files in the folder are not touched.",
)
@click.option(
    "--out", metavar="FOLDER", help="output folder (default: the repository's data/synthetic)"
)
@click.option("--force", is_flag=True, help="replace existing files whose content differs")
def synth_command(out: str | None, force: bool) -> int:
    """Regenerate the bundled synthetic data sets from their documented seeds."""
    return _run(_cmd_synth, {"out": out, "force": force})


def _cmd_synth(args: dict[str, Any]) -> int:
    from past_outcomes.synthetic_files import write_datasets

    for path in write_datasets(args["out"], force=args["force"]):
        click.echo(f"wrote {path}")
    return 0


@cli.group("notebooks")
def notebooks_group() -> None:
    """Run the analysis notebooks."""


@notebooks_group.command(
    "run",
    epilog="Each notebook checks its data contract first (README, 'Data contracts'); --data is "
    "read and checked before any notebook starts. Rerunning into the same --html folder "
    "replaces the reports this command wrote there (recorded in .past-outcomes-reports.json) "
    "if they were not changed since; any other existing file is replaced only with --force. "
    + _EPILOG,
)
@click.argument("names", nargs=-1, type=click.Choice(NOTEBOOK_NAMES), metavar="[NAME]...")
@click.option(
    "--data",
    metavar="FILE",
    help="run on this file instead of the bundled data set: any export --source accepts "
    "(CSV, REDCap, Qualtrics, Forms, SPSS, Stata, Excel); needs exactly one NAME",
)
@click.option(
    "--source",
    type=click.Choice(SOURCE_NAMES),
    default="auto",
    show_default=True,
    help="the kind of export --data is",
)
@click.option("--codebook", metavar="FILE", help="codebook for --data (see score --help)")
@click.option("--subject", metavar="COL", help="the column of --data that identifies clients")
@click.option("--timepoint", metavar="COL", help="the column of --data that names visits")
@click.option("--client", metavar="ID", help="04_client_progress: the client to show")
@click.option(
    "--disposition",
    metavar="FILE",
    help="03_two_arm_trial: one row per randomized participant (flow, treatment guess, "
    "expectancy), laid out as the bundled mdma_trial_disposition",
)
@click.option(
    "--html",
    default="reports",
    show_default=True,
    metavar="FOLDER",
    help="folder for the HTML reports and executed notebooks",
)
@click.option("--force", is_flag=True, help="replace report files this command did not write")
def notebooks_run(**args: Any) -> int:
    """Execute notebooks NAME... (default: all) and export HTML reports without input cells.
    NAME is one of: 01_scoring, 02_pilot_prepost, 03_two_arm_trial, 04_client_progress,
    05_psychometrics_and_power."""
    return _run(_cmd_notebooks_run, args)


def _cmd_notebooks_run(args: dict[str, Any]) -> int:
    from past_outcomes.reports import run_notebooks

    outputs = run_notebooks(
        list(args["names"]) or None,
        data=args["data"],
        source=args["source"],
        codebook=args["codebook"],
        subject=args["subject"],
        timepoint=args["timepoint"],
        client=args["client"],
        disposition=args["disposition"],
        html_dir=args["html"],
        force=args["force"],
    )
    for path in outputs:
        click.echo(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------------------------
# practitioner reports and the actions file


@cli.group("report")
def report_group() -> None:
    """Write a practitioner report (one self-contained HTML file)."""


def _report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("file", metavar="FILE"),
        click.option("--out", "-o", "out", required=True, metavar="OUT", help="the .html file"),
        click.option("--actions", metavar="FILE", help="the actions file (date,flag,who,action)"),
        click.option(
            "--subject",
            default="subject",
            show_default=True,
            metavar="COL",
            help="the column of FILE that identifies clients",
        ),
        click.option(
            "--timepoint",
            default="timepoint",
            show_default=True,
            metavar="COL",
            help="the column of FILE that names the administration",
        ),
        click.option(
            "--source",
            type=click.Choice(SOURCE_NAMES),
            default="auto",
            show_default=True,
            help="the export format of FILE (auto: detected and reported)",
        ),
        click.option("--codebook", metavar="FILE", help="codebook for FILE (see score --help)"),
        click.option("--force", is_flag=True, help="replace an existing OUT (never an input)"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@report_group.command("client", epilog=_EPILOG)
@_report_options
@click.option("--client", required=True, metavar="ID", help="the client's pseudonymous id")
@click.option("--audience", type=click.Choice(["clinician", "client"]), default="clinician",
              show_default=True, help="client: plain language, no safety-item details")  # fmt: skip
def report_client(**args: Any) -> int:
    """One client's progress report from FILE (or a bundled data set name)."""
    return _run(_cmd_report, {**args, "kind": "client"})


@report_group.command("caseload", epilog=_EPILOG)
@_report_options
@click.option("--schedule-weeks", default=4.0, show_default=True, type=float,
              help="a client is overdue when the last measure is older than this")  # fmt: skip
@click.option("--as-of", metavar="YYYY-MM-DD", help="count days to this date (default today)")
def report_caseload(**args: Any) -> int:
    """The caseload view from FILE: one row per client, unresolved flags first."""
    return _run(_cmd_report, {**args, "kind": "caseload"})


def _cmd_report(args: dict[str, Any]) -> int:
    from past_outcomes._io import check_output_path
    from past_outcomes.datasets import DATASETS, _locate

    data = args["file"]
    source = _locate(data) if data in DATASETS and not _exists(data) else data
    inputs = [source] + ([args["actions"]] if args.get("actions") else [])
    check_output_path(args["out"], inputs=inputs, force=args["force"])
    common = {k: args[k] for k in ("actions", "subject", "timepoint", "source", "codebook")}
    if args["kind"] == "client":
        from past_outcomes.report.client import build_client_report

        report = build_client_report(
            data, client=args["client"], audience=args["audience"], **common
        )
    else:
        from past_outcomes.report.caseload import build_caseload_report

        report = build_caseload_report(
            data, schedule_weeks=args["schedule_weeks"], as_of=args["as_of"], **common
        )
    report.write(args["out"], force=args["force"])
    click.echo(f"wrote {args['out']}")
    return 0


def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists()


@cli.group("flags")
def flags_group() -> None:
    """Record what was done about a report's flags (an append-only actions file)."""


@flags_group.command("resolve", epilog=_EPILOG)
@click.argument("flag", metavar="FLAG_ID")
@click.option(
    "--actions", required=True, metavar="FILE", help="the actions file (created if absent)"
)
@click.option(
    "--who", required=True, metavar="INITIALS", help="who acted (initials, no client names)"
)
@click.option(
    "--action", required=True, metavar="TEXT", help='what was done, e.g. "safety plan done"'
)
@click.option("--date", metavar="YYYY-MM-DD", help="when it was done (default today)")
def flags_resolve(**args: Any) -> int:
    """Append one action for FLAG_ID (as printed in a report) to the actions file; earlier
    rows are never changed or deleted."""
    return _run(_cmd_flags_resolve, args)


def _cmd_flags_resolve(args: dict[str, Any]) -> int:
    from past_outcomes.report.flags import append_action

    row = append_action(
        args["actions"], flag=args["flag"], who=args["who"], action=args["action"],
        date=args["date"],
    )  # fmt: skip
    click.echo(f"recorded in {args['actions']}: {row['date']} {row['flag']} {row['who']}: "
               f"{row['action']}")  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
