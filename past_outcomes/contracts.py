"""The data contract of each analysis notebook: the columns and values it needs, checked first.

Every notebook in ``notebooks/`` calls :func:`check_contract` right after reading its data, so
that a user's file lacking something the notebook uses stops at once with one readable message
naming each missing column or value, what the notebook uses it for and how to supply or map
it, instead of a ``KeyError`` deep inside a cell. ``past-outcomes notebooks run NAME --data
FILE`` runs the same check before the notebook starts.

A contract (:class:`Contract`) declares, per notebook:

- ``columns``: identifier and covariate columns (:class:`ContractColumn`), required or
  optional, each with its purpose and how to supply it;
- ``instruments``: the instruments whose item columns (``<id>_<n>``) must all be present
  (cells may be empty where an instrument was not given), and ``optional_instruments``
  scored when present;
- ``timepoints``: timepoint values the notebook compares (in visit order), and ``levels``:
  values a column must hold (the trial arms);
- ``example``: a minimal example file that satisfies it, shipped with the package
  (``data/examples/<notebook>.csv``, read by :func:`example_path`).

``format_contract(notebook)`` prints a contract as a short table; the README's "Data
contracts" section shows each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from past_outcomes.errors import ArgumentError, DataContractError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CONTRACTS",
    "Contract",
    "ContractColumn",
    "check_contract",
    "example_path",
    "format_contract",
]

_MAP_HINT = (
    "rename the column in your file, or map it when running the notebook "
    "(past-outcomes notebooks run {notebook} --data FILE --{option} YOUR_COLUMN)"
)


@dataclass(frozen=True)
class ContractColumn:
    """One column a notebook reads: its name, whether it is required, its use, how to supply it."""

    name: str
    purpose: str
    supply: str
    required: bool = True


@dataclass(frozen=True)
class Contract:
    """What a notebook needs from its data (see the module docstring)."""

    notebook: str
    columns: tuple[ContractColumn, ...]
    instruments: tuple[str, ...] = ()
    optional_instruments: tuple[str, ...] = ()
    timepoints: tuple[str, ...] = ()
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    client_parameter: bool = False

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)

    @property
    def example(self) -> str:
        return f"data/examples/{self.notebook}.csv"


def _subject(notebook: str) -> ContractColumn:
    return ContractColumn(
        "subject",
        "identifies each client, so that administrations of one person are paired over time",
        "a column 'subject' with one id per client (any text); "
        + _MAP_HINT.format(notebook=notebook, option="subject"),
    )


def _timepoint(notebook: str, values: tuple[str, ...] = ()) -> ContractColumn:
    wanted = f" with the values {', '.join(values)}" if values else ""
    return ContractColumn(
        "timepoint",
        "names the visit of each administration (the columns of every table over time)",
        f"a column 'timepoint'{wanted}; " + _MAP_HINT.format(notebook=notebook, option="timepoint"),
    )


_PILOT_INSTRUMENTS = ("fsfi", "iief", "fsdsr", "pcl5", "phq9", "gad7")
_PILOT_TIMEPOINTS = ("baseline", "post_integration", "followup_3m")
_FORMS = (
    "every item column of the instrument (leave the cells empty where a client was not given "
    "it: the FSFI and FSDS-R to clients with a vulva, the IIEF to clients with a penis)"
)

#: The contract of every notebook, by notebook name.
CONTRACTS: dict[str, Contract] = {
    "01_scoring": Contract(
        "01_scoring",
        (
            _subject("01_scoring"),
            _timepoint("01_scoring"),
            ContractColumn(
                "gender",
                "is shown beside each client's scores in the scored table",
                "a column 'gender' with any labels (it may be empty)",
            ),
        ),
        instruments=_PILOT_INSTRUMENTS,
    ),
    "02_pilot_prepost": Contract(
        "02_pilot_prepost",
        (
            _subject("02_pilot_prepost"),
            _timepoint("02_pilot_prepost", _PILOT_TIMEPOINTS),
            ContractColumn(
                "gender",
                "describes the sample (clients by gender and anatomy)",
                "a column 'gender' with any labels",
            ),
            ContractColumn(
                "anatomy",
                "describes the sample and says which sexual-function form a client was given "
                "(vulva: FSFI and FSDS-R; penis: IIEF)",
                "a column 'anatomy' with the values vulva or penis",
            ),
        ),
        instruments=_PILOT_INSTRUMENTS,
        timepoints=_PILOT_TIMEPOINTS,
    ),
    "03_two_arm_trial": Contract(
        "03_two_arm_trial",
        (
            _subject("03_two_arm_trial"),
            _timepoint("03_two_arm_trial", ("baseline", "week6", "week12", "week18")),
            ContractColumn(
                "arm",
                "the randomized arm: every comparison is mdma (treatment) against placebo "
                "(control)",
                "a column 'arm' with the values mdma and placebo (rename your arm labels)",
            ),
            ContractColumn(
                "site",
                "a covariate of the MMRM sensitivity analysis",
                "a column 'site' with any labels (one site: the same label on every row)",
            ),
            ContractColumn(
                "dissociative",
                "the dissociative-subtype covariate of the MMRM and the baseline table",
                "a column 'dissociative' with true/false (or 1/0) on every row",
            ),
        ),
        instruments=("caps5", "sds"),
        timepoints=("baseline", "week6", "week12", "week18"),
        levels={"arm": ("mdma", "placebo")},
    ),
    "04_client_progress": Contract(
        "04_client_progress",
        (
            _subject("04_client_progress"),
            _timepoint("04_client_progress", ("intake",)),
            ContractColumn(
                "date",
                "places every administration on the calendar (the graphs over time, the "
                "latest score)",
                "a column 'date' with dates written YYYY-MM-DD",
            ),
            ContractColumn(
                "medicine",
                "labels the dosing sessions in the graphs",
                "a column 'medicine' (e.g. ketamine, psilocybin); without it the sessions "
                "are drawn unlabelled",
                required=False,
            ),
            ContractColumn(
                "anatomy",
                "shown in the caseload table",
                "a column 'anatomy' (e.g. vulva, penis); without it the column is left out",
                required=False,
            ),
        ),
        instruments=("phq9",),
        optional_instruments=("gad7", "pcl5", "fsdsr", "fsfi", "iief"),
        timepoints=("intake",),
        client_parameter=True,
    ),
    "05_psychometrics_and_power": Contract(
        "05_psychometrics_and_power",
        (
            _subject("05_psychometrics_and_power"),
            _timepoint("05_psychometrics_and_power", ("baseline", "followup_3m")),
        ),
        instruments=_PILOT_INSTRUMENTS,
        timepoints=("baseline", "followup_3m"),
    ),
}


def _contract(notebook: Any) -> Contract:
    name = Path(notebook).name.removesuffix(".ipynb").removesuffix(".py") if notebook else ""
    if not isinstance(notebook, str) or name not in CONTRACTS:
        raise ArgumentError(
            f"notebook must be one of {', '.join(CONTRACTS)}; got {notebook!r}. "
            "Pass the notebook's name."
        )
    return CONTRACTS[name]


def example_path(notebook: str) -> Path:
    """The minimal example file of ``notebook`` (installed package or source checkout)."""
    contract = _contract(notebook)
    here = Path(__file__).resolve().parent
    for folder in (here / "examples", here.parent / "data" / "examples"):
        path = folder / f"{contract.notebook}.csv"
        if path.is_file():
            return path
    return here.parent / contract.example


def check_contract(data: pd.DataFrame, *, notebook: str, client: str | None = None) -> pd.DataFrame:
    """Check that ``data`` has what ``notebook`` needs; return it ready for the notebook.

    Parameters
    ----------
    data
        The notebook's data, one row per administration (as ``read_dataset`` returns it).
    notebook
        The notebook's name (``"02_pilot_prepost"``); see :data:`CONTRACTS`.
    client
        For ``04_client_progress``: the client shown, which must be one of the subjects.

    Returns
    -------
    pandas.DataFrame
        ``data`` unchanged when it already has an ordered ``timepoint`` (the bundled data
        sets); otherwise a copy whose ``timepoint`` is an ordered Categorical: the contract's
        timepoints in visit order, then any others in order of first appearance.

    Raises
    ------
    ArgumentError
        ``data`` is not a DataFrame with unique column names, or ``notebook`` is unknown.
    DataContractError
        Anything the contract requires is missing, all listed at once in one message: each
        missing column with its purpose and how to supply or map it (reason
        ``missing-column``), each required timepoint or arm value that no row has, and a
        ``client`` that is not a subject (reason ``missing-value``). ``failure_cases`` holds
        one row per problem.
    """
    from past_outcomes._checks import check_dataframe

    contract = _contract(notebook)
    check_dataframe("data", data)
    failures = _missing_columns(data, contract) + _missing_instruments(data, contract)
    failures += _missing_values(data, contract, client)
    if failures:
        raise DataContractError(contract.notebook, failures, example=contract.example)
    return _ordered(data, contract)


def _missing_columns(data: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    rows = []
    for col in contract.columns:
        if col.required and col.name not in data.columns:
            rows.append(
                _failure(
                    col.name,
                    None,
                    "missing-column",
                    f"column {col.name!r} is missing. The notebook uses it: {col.purpose}. "
                    f"Supply {col.supply}.",
                )
            )
    return rows


def _missing_instruments(data: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    from past_outcomes.instrument import load_instrument

    rows = []
    for inst_id in contract.instruments:
        inst = load_instrument(inst_id)
        missing = [c for c in inst.item_columns if c not in data.columns]
        if not missing:
            continue
        shown = ", ".join(missing[:4]) + (
            f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        )
        rows.append(
            _failure(
                missing[0],
                len(missing),
                "missing-column",
                f"the {inst.short_name} item column(s) {shown} are missing. The notebook "
                f"scores the {inst.short_name}. Supply {_FORMS}, named {inst.id}_1 to "
                f"{inst.id}_{len(inst.items)}; if your export names them otherwise, map them "
                "with a codebook (--codebook FILE) or rename them.",
            )
        )
    return rows


def _missing_values(
    data: pd.DataFrame, contract: Contract, client: str | None
) -> list[dict[str, Any]]:
    rows = []
    wanted = {"timepoint": contract.timepoints, **contract.levels}
    for column, values in wanted.items():
        if column not in data.columns or not values:
            continue
        present = set(data[column].dropna().astype(str))
        absent = [v for v in values if v not in present]
        if absent:
            rows.append(
                _failure(
                    column,
                    ", ".join(absent),
                    "missing-value",
                    f"{column!r} must hold the value(s) {', '.join(values)}; no row has "
                    f"{', '.join(map(repr, absent))}. The notebook compares exactly these. "
                    f"Rename your {column} labels to these (e.g. in a spreadsheet, or with a "
                    "codebook).",
                )
            )
    if contract.client_parameter and client is not None and "subject" in data.columns:
        if str(client) not in set(data["subject"].dropna().astype(str)):
            rows.append(
                _failure(
                    "subject",
                    client,
                    "missing-value",
                    f"the client shown must be one of the subjects; {client!r} is not. Pass "
                    "one of yours: past-outcomes notebooks run 04_client_progress --data FILE "
                    "--client ID (or set the notebook's client parameter).",
                )
            )
    return rows


def _failure(column: str, value: Any, reason: str, message: str) -> dict[str, Any]:
    return {
        "row": None,
        "subject": None,
        "timepoint": None,
        "column": column,
        "value": value,
        "reason": reason,
        "message": message,
    }


def _ordered(data: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    import pandas as pd

    if "timepoint" not in data.columns or not contract.timepoints:
        return data
    if isinstance(data["timepoint"].dtype, pd.CategoricalDtype) and data["timepoint"].cat.ordered:
        return data
    seen = [str(v) for v in data["timepoint"].dropna().astype(str).unique()]
    order = list(contract.timepoints) + [v for v in seen if v not in contract.timepoints]
    out = data.copy()
    values = out["timepoint"].astype("string")
    out["timepoint"] = pd.Categorical(values, categories=order, ordered=True)
    return out


def format_contract(notebook: str) -> str:
    """The contract of ``notebook`` as plain text: what it needs, what for, how to supply it."""
    contract = _contract(notebook)
    lines = [f"Data contract of notebook {contract.notebook} (example: {contract.example})"]
    for col in contract.columns:
        kind = "required" if col.required else "optional"
        lines.append(f"  {col.name} ({kind}): {col.purpose}. Supply {col.supply}.")
    if contract.instruments:
        lines.append(
            f"  item columns (required): every item of {', '.join(contract.instruments)} "
            "(<id>_<n>; cells may be empty where an instrument was not given)"
        )
    if contract.optional_instruments:
        lines.append(
            f"  item columns (optional): {', '.join(contract.optional_instruments)}, scored "
            "when present"
        )
    for column, values in {"timepoint": contract.timepoints, **contract.levels}.items():
        if values:
            lines.append(f"  {column} values (required): {', '.join(values)}")
    return "\n".join(lines)
