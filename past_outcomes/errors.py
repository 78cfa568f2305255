"""Exceptions and warnings raised by past_outcomes.

One hierarchy, so that callers can catch narrowly or broadly::

    PastOutcomesError
    ├── InstrumentDefinitionError (ValueError)   a spec file is malformed
    ├── UnknownInstrumentError (LookupError)     no spec with that id or path
    ├── ArgumentError (ValueError)               a function argument is wrong
    │   └── OutputPathError                      an output would overwrite an input or a file
    ├── InputFileError (ValueError)              a file cannot be read as a table (missing,
    │                                            binary, wrong encoding, ragged rows...)
    ├── DataValidationError (ValueError)         the data are wrong; carries .failure_cases
    │   └── ResponseValidationError              item responses are out of range, miscoded...
    │   └── DataContractError                    a notebook's data lack a column or value it needs
    ├── EstimationError (ValueError)             the data cannot support the statistic asked
    ├── NotebookExecutionError (RuntimeError)    a notebook stopped on one of these errors
    └── MMRMConvergenceError (RuntimeError)      the MMRM's REML fit did not converge

    PastOutcomesWarning (UserWarning)
    ├── ProrationWarning                         a score was prorated from incomplete items
    ├── UnpairedSubjectsWarning                  subjects lacked a timepoint and were set aside
    ├── SampleEstimateWarning                    a parameter was estimated from the sample
    ├── PrivacyWarning                           pseudonymize dropped e-mail or free-text columns
    └── UnverifiedRuleWarning                    an output rests on a cutoff or rule not verified

Data errors are collected, never raised one at a time: a ``DataValidationError`` carries a
``failure_cases`` DataFrame with one row per offending cell and the stable columns
``row, subject, timepoint, column, value, reason``. Reason codes are kebab-case strings
listed in ``REASON_CODES``.
"""

from __future__ import annotations

import pandas as pd

#: Stable reason codes used in ``failure_cases['reason']``, with a plain description.
REASON_CODES: dict[str, str] = {
    "out-of-range": "the answer is a number outside the item's allowed values",
    "not-an-integer": "the answer is a number between two allowed values (e.g. 2.5)",
    "not-a-number": "the answer is text or another value that is not a number",
    "missing-column": "a column the instrument needs is not in the data",
    "unknown-column": "a column looks like an item of the instrument but is not one",
    "duplicate-observation": "the same subject and timepoint appear on more than one row",
    "missing-value": "a required identifier or value is missing",
    "inconsistent-group": "the same subject is recorded in more than one group (arm)",
    "not-finite": "the value is infinite (inf or -inf), which no score or measure can be",
    "duplicate-column": "the same column name appears more than once",
    "ambiguous-column": "two columns could supply the same item, or one column two items",
    "wrong-field-count": "a line of a file has more or fewer fields than its header",
    "not-a-date": "the value is not a date (expected YYYY-MM-DD)",
    "not-a-boolean": "the value is not true or false (expected True/False, true/false or 1/0)",
    "unmapped-label": "an answer word that no codebook or spec maps to a code",
    "shifted-scale": "answers are coded one step off the instrument's scale (e.g. 1-4 for 0-3)",
    "ambiguous-date": "the order of day and month cannot be read from the dates (03/04/2024)",
}

FAILURE_COLUMNS = ["row", "subject", "timepoint", "column", "value", "reason"]


class PastOutcomesError(Exception):
    """Base class of every error raised on purpose by past_outcomes."""


class InstrumentDefinitionError(PastOutcomesError, ValueError):
    """An instrument spec is malformed: the message names the file and the key path."""

    def __init__(self, source: str, path: str, problem: str):
        self.source = source
        self.path = path
        self.problem = problem
        where = f" at {path}" if path else ""
        super().__init__(f"{source}{where}: {problem}")


class UnknownInstrumentError(PastOutcomesError, LookupError):
    """No instrument spec exists under the given id or path."""


class ArgumentError(PastOutcomesError, ValueError):
    """A function argument is invalid (raised at once, before any data are read)."""


class OutputPathError(ArgumentError):
    """An output path is refused: it is an input, it exists (without ``force``), or it is
    not writable. Nothing has been read or written when this is raised."""


class InputFileError(PastOutcomesError, ValueError):
    """A file cannot be read as a table: missing, a folder, binary, not UTF-8, empty, ragged.

    ``failure_cases`` (possibly empty) lists offending lines (``row`` is the 1-based line
    number of the file) when the problem is line by line, e.g. ``wrong-field-count``.
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame | None = None):
        self.failure_cases = (
            failure_cases if failure_cases is not None else pd.DataFrame(columns=FAILURE_COLUMNS)
        )
        super().__init__(message)


class EstimationError(PastOutcomesError, ValueError):
    """The data cannot support the statistic asked for (e.g. no variance within an arm).

    Raised only where no honest number exists to report; where a statistic of a larger
    result cannot be computed, the result reports it as missing with a note instead.
    """


class NotebookExecutionError(PastOutcomesError, RuntimeError):
    """A notebook stopped on one of the package's errors (bad data, bad argument...).

    The message names the notebook, the cell and the original error with its message;
    ``ename`` and ``evalue`` hold the original exception's class name and message.
    """

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str):
        self.notebook = notebook
        self.ename = ename
        self.evalue = evalue
        where = f" in cell {cell}" if cell is not None else ""
        super().__init__(
            f"notebook {notebook} stopped{where} on {ename}:\n{evalue}\n"
            "Fix the data or the arguments as the message says, then run it again."
        )


class MMRMConvergenceError(PastOutcomesError, RuntimeError):
    """The REML optimisation did not converge, or converged to a singular covariance."""


class DataValidationError(PastOutcomesError, ValueError):
    """The data contain errors; ``failure_cases`` lists every offending cell.

    The message summarises the first few failures and the remedy; the full table is in
    ``failure_cases`` (columns ``row, subject, timepoint, column, value, reason``).
    """

    max_listed = 10

    def __init__(self, failure_cases: pd.DataFrame, context: str = "", remedy: str = ""):
        fc = failure_cases.reset_index(drop=True)
        for col in FAILURE_COLUMNS:
            if col not in fc.columns:
                fc[col] = None
        self.failure_cases = fc[
            FAILURE_COLUMNS + [c for c in fc.columns if c not in FAILURE_COLUMNS]
        ]
        self.context = context
        self.remedy = remedy
        super().__init__(self._message())

    def _message(self) -> str:
        fc = self.failure_cases
        n = len(fc)
        head = f"{self.context}: " if self.context else ""
        counts = fc["reason"].value_counts()
        summary = ", ".join(f"{k} x{v}" for k, v in counts.items())
        lines = [f"{head}{n} invalid cell(s) ({summary})."]
        for rec in fc.head(self.max_listed).itertuples(index=False):
            message = getattr(rec, "message", None)
            lines.append("  - " + (message if isinstance(message, str) else _describe(rec)))
        if n > self.max_listed:
            lines.append(f"  ... and {n - self.max_listed} more; see .failure_cases for all.")
        if self.remedy:
            lines.append(self.remedy)
        return "\n".join(lines)


class ResponseValidationError(DataValidationError):
    """Item responses are out of range, non-numeric, miscoded, or their columns are wrong."""


class DataContractError(DataValidationError):
    """A notebook's or report's data lack a column or value its contract requires.

    Raised by ``past_outcomes.contracts.check_contract`` before the analysis starts. The
    message lists every missing column or value with what it is for and how to supply or map
    it; ``failure_cases`` has one row per problem (reason ``missing-column`` or
    ``missing-value``, ``row`` empty) and ``notebook`` names the notebook.
    """

    def __init__(self, notebook: str, failures: list[dict], *, example: str = ""):
        self.notebook = notebook
        self.example = example
        super().__init__(pd.DataFrame(failures))

    def _message(self) -> str:
        n = len(self.failure_cases)
        lines = [
            f"notebook {self.notebook} cannot run on these data: {n} thing(s) it needs are missing."
        ]
        lines += [f"  - {m}" for m in self.failure_cases["message"]]
        if self.example:
            lines.append(
                f"A minimal file with everything it needs: {self.example} (past_outcomes."
                f"contracts.example_path({self.notebook!r}))."
            )
        return "\n".join(lines)


def short_repr(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so that no message grows with the input."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(rec) -> str:
    where = [f"row {rec.row!r}"] if rec.row is not None else []
    if rec.subject is not None and not _isna(rec.subject):
        where.append(f"subject {rec.subject}")
    if rec.timepoint is not None and not _isna(rec.timepoint):
        where.append(f"timepoint {rec.timepoint}")
    loc = ", ".join(where)
    got = short_repr(rec.value)
    return f"{short_repr(rec.column)}: {rec.reason}, got {got}" + (f" in {loc}" if loc else "")


def _isna(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class PastOutcomesWarning(UserWarning):
    """Base class of every warning issued by past_outcomes."""


class ProrationWarning(PastOutcomesWarning):
    """Some scores were prorated from incomplete item sets (see the ``*_prorated`` columns)."""


class UnpairedSubjectsWarning(PastOutcomesWarning):
    """Some subjects lacked one of the timepoints compared; they are listed, not dropped silently."""


class SampleEstimateWarning(PastOutcomesWarning):
    """A parameter (reliability, norm, SD) was estimated from the sample instead of a published source."""


class PrivacyWarning(PastOutcomesWarning):
    """``pseudonymize`` dropped columns holding e-mail addresses or free text (listed)."""


class UnverifiedRuleWarning(PastOutcomesWarning):
    """An output rests on a cutoff, band or rule its spec marks ``verification: unverified``
    (not checked against its primary source); the message names the outputs, the instrument,
    what is unverified and the source to check."""
