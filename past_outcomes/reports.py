"""Run the analysis notebooks and export self-contained HTML reports without input cells.

``run_notebooks`` executes each notebook with papermill (so a user's own data file can be
passed through the notebook's ``parameters`` cell), writes the executed copy beside the HTML
report, and converts it with nbconvert (``exclude_input=True``; figures embedded as PNG).
The executed copies go to the report folder, never into ``notebooks/``, so the committed,
validated notebooks are left untouched.

Nothing is lost and nothing is half written. A ``data`` file is read (``read_responses``
when the import module is installed, the safe CSV reader otherwise) and checked against the
notebook's data contract (``past_outcomes.contracts``) before any notebook starts, so a file
lacking a column the notebook needs stops with one readable ``DataContractError``. Every report file is written to a
temporary file in the report folder and renamed into place. The folder's
``.past-outcomes-reports.json`` records the SHA-256 of each file written here; a rerun replaces
a report only if it is recorded there and unchanged since, any other existing file of the same
name only with ``force=True``. All of this is checked before the first notebook runs. A
notebook stopped by one of the package's errors raises ``NotebookExecutionError`` with that
error's message (not papermill's traceback); any other error in a notebook is a bug and keeps
its traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from past_outcomes.errors import (
    ArgumentError,
    NotebookExecutionError,
    OutputPathError,
    PastOutcomesError,
)

__all__ = ["NOTEBOOKS", "NotebookExecutionError", "notebooks_dir", "run_notebooks"]

#: The file in a report folder that records the reports written there (name -> SHA-256).
RECORD = ".past-outcomes-reports.json"


#: The analysis notebooks in reading order, with what each shows.
NOTEBOOKS: dict[str, str] = {
    "01_scoring": "validate and score raw responses: bands, flags, proration",
    "02_pilot_prepost": "single-arm pilot: pre/post tests, effect sizes, reliable change, responders",
    "03_two_arm_trial": (
        "MAPP2-like trial: estimands, CONSORT, MMRM, missing-data sensitivity, blinding"
    ),
    "04_client_progress": "practitioner's view: one client and the caseload",
    "05_psychometrics_and_power": "internal consistency and sample sizes for a follow-up trial",
}


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder."""
    return Path(__file__).resolve().parents[1] / "notebooks"


def run_notebooks(
    names: list[str] | None = None,
    *,
    data: str | os.PathLike | None = None,
    source: str = "auto",
    codebook: str | os.PathLike | None = None,
    subject: str | None = None,
    timepoint: str | None = None,
    client: str | None = None,
    disposition: str | os.PathLike | None = None,
    html_dir: str | os.PathLike = "reports",
    timeout: int = 600,
    force: bool = False,
) -> list[Path]:
    """Execute notebooks and write one HTML report per notebook; return the report paths.

    Parameters
    ----------
    names
        Notebook names (``"02_pilot_prepost"`` or ``"02_pilot_prepost.ipynb"``); all five
        when None.
    data
        A data file to analyse instead of the bundled synthetic data set: any export
        ``read_responses`` reads (CSV, REDCap, Qualtrics, Forms, SPSS, Stata, Excel). Needs
        exactly one notebook name, since each notebook has its own data contract
        (``past_outcomes.contracts``). It is read and its contract checked before the
        notebook starts. A plain canonical CSV is passed to the notebook's ``data_path``
        parameter as it is; any other file is converted to the canonical CSV
        ``<name>.data.csv`` in ``html_dir`` first, and that file is passed.
    source, codebook, subject, timepoint
        How to read ``data`` (as in ``read_responses``): the kind of export, a codebook
        mapping its columns and answer labels, and the names of its client and visit columns.
    client
        For ``04_client_progress``: the client shown (its ``client`` parameter).
    disposition
        For ``03_two_arm_trial`` alone: a CSV with one row per randomized participant
        (laid out as the bundled ``mdma_trial_disposition``), passed to the notebook's
        ``disposition_path`` for the participant flow, the blinding indices and the
        expectancy-adjusted model. With ``data`` and no ``disposition``, the notebook runs
        without one (it says which parts it skips), never with the bundled trial's.
    html_dir
        Folder for the HTML reports and the executed notebooks (created if needed).
    timeout
        Seconds allowed for each cell.
    force
        Replace existing files in ``html_dir`` that this function did not write (or that
        were changed since). Reports it wrote itself are replaced without it.

    Raises
    ------
    ArgumentError
        Unknown notebook name, ``data`` with several notebooks, or no file at ``data``.
    OutputPathError
        ``html_dir`` is a file or not writable, ``data`` is one of the outputs, or a report
        would replace a file this function did not write (without ``force``).
    InputFileError, DataValidationError
        ``data`` cannot be read as a clean table (checked before any notebook runs).
    DataContractError
        ``data`` lacks a column or value the notebook needs (checked before it runs).
    NotebookExecutionError
        A notebook stopped on one of the package's errors.
    """
    import nbformat
    import papermill

    from past_outcomes._io import atomic_write

    folder = notebooks_dir()
    selected = _select(names)
    data_file = _check_data_argument(data, selected)
    disposition_file = _check_disposition_argument(disposition, selected)
    out_dir = _check_report_folder(html_dir)
    record = _read_record(out_dir)
    inputs = [f for f in (data_file, disposition_file) if f is not None]
    _check_report_targets(selected, out_dir, record, data_file, force, inputs)
    parameters = _notebook_parameters(
        selected, data_file, out_dir, record,
        source=source, codebook=codebook, subject=subject, timepoint=timepoint, client=client,
    )  # fmt: skip
    if disposition_file is not None:
        parameters["disposition_path"] = str(disposition_file)
    elif data_file is not None and selected == ["03_two_arm_trial"]:
        parameters["disposition_path"] = ""  # not the bundled trial's, beside other data
    env_before = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"
    written = []
    try:
        for name in selected:
            notebook_file = folder / f"{name}.ipynb"
            if not notebook_file.is_file():
                raise ArgumentError(
                    f"No notebook {notebook_file}; the notebooks are {', '.join(NOTEBOOKS)}."
                )
            executed = out_dir / f"{name}.executed.ipynb"
            scratch = tempfile.mkdtemp(dir=out_dir, prefix=".run-")
            try:  # papermill writes into a scratch folder beside the reports, then one rename
                run = Path(scratch) / executed.name
                _execute(papermill, name, notebook_file, run, parameters, timeout)
                nb = nbformat.read(run, as_version=4)
                os.replace(run, executed)
                _remember(out_dir, record, executed)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            body = _export_html(nb, name)
            html_path = out_dir / f"{name}.html"
            with atomic_write(html_path) as fh:
                fh.write(body)
            _remember(out_dir, record, html_path)
            written.append(html_path)
    finally:
        if env_before is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = env_before
    return written


#: The lab template with two changes: each figure's ``<img>`` carries the alt text stored in
#: its output's metadata (``format_figure``), and no image is left without one.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block data_png scoped %}
{%- set alt = output | get_metadata('alt', 'image/png') -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
alt="{{ (alt or 'Figure (no description was given)') | escape_html }}">
</div>
{%- endblock data_png %}
"""


def _export_html(nb, name: str) -> str:
    """The executed notebook as one offline HTML page without input cells: its first heading
    as the page's ``<title>``, alt text on every figure, no script or style from a server."""
    import jinja2
    from nbconvert import HTMLExporter

    nb.metadata["title"] = _title(nb, name)
    exporter = HTMLExporter(
        template_name="lab",
        template_file="past_outcomes_report.html.j2",
        extra_loaders=[jinja2.DictLoader({"past_outcomes_report.html.j2": _TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        # a report of sexual-health data must open offline and call no server
        require_js_url="",
        mathjax_url="",
        jquery_url="",
        widget_renderer_url="",
        mermaid_js_url="",
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    return body


def _title(nb, name: str) -> str:
    """The notebook's first Markdown heading (``# 02 Pilot: ...``), else its name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return name


def _checked_data(
    name: str,
    data: Path,
    *,
    source: str,
    codebook: str | os.PathLike | None,
    subject: str | None,
    timepoint: str | None,
    client: str | None,
):
    """Read ``data`` as the notebook will and check its contract; return the canonical frame
    to write for the notebook, or None when the file can be passed as it is (a CSV read by
    the safe CSV reader with no mapping: the notebook reads it the same way)."""
    from past_outcomes._input import PROVENANCE, canonical_csv, read_input
    from past_outcomes.contracts import CONTRACTS, check_contract
    from past_outcomes.datasets import read_dataset

    keep = [c.name for c in CONTRACTS[name].columns]
    if subject is None and timepoint is None and canonical_csv(data, source, codebook):
        # a plain CSV: the notebook reads it with read_dataset; check exactly what it sees
        check_contract(read_dataset(data), notebook=name, client=client)
        return None
    read = read_input(
        data, source=source, codebook=codebook, subject=subject, timepoint=timepoint, keep=keep
    )
    table = read.table.drop(columns=[c for c in PROVENANCE if c in read.table.columns])
    check_contract(table, notebook=name, client=client)
    return table


def _kernel_manager_class():
    """A kernel manager whose kernel talks to this process over local IPC sockets.

    Over TCP (jupyter_client's default) the kernel's IPKernelApp logs "Kernel is running
    over TCP without encryption" at every start (ipykernel/kernelapp.py, ``init_sockets``):
    the notebook's code and outputs, here clinical data, would cross the loopback interface
    in plain text. With ``transport="ipc"`` they go through Unix domain sockets in the user's
    private Jupyter runtime folder (mode 0700), so the warning is not just hidden: its cause is
    gone. Windows has no IPC transport; there the kernel stays on TCP and its log is limited
    to errors, so the report job stays quiet.
    """
    from jupyter_client.manager import KernelManager
    from traitlets import CaselessStrEnum

    if os.name == "nt":  # pragma: no cover - no IPC transport on Windows

        class QuietKernelManager(KernelManager):
            def format_kernel_cmd(self, extra_arguments=None):
                cmd = super().format_kernel_cmd(extra_arguments)
                return [*cmd, "--IPKernelApp.log_level=ERROR"]

        return QuietKernelManager

    class IPCKernelManager(KernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    return IPCKernelManager


def _execute(papermill, name, source, output, parameters, timeout) -> None:
    """Run one notebook; a package error inside it becomes a NotebookExecutionError."""
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            cwd=str(source.parent),
            progress_bar=False,
            execution_timeout=timeout,
            report_mode=False,
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as exc:
        if exc.ename not in _package_error_names():
            raise  # not a data or argument problem: a bug, keep papermill's traceback
        raise NotebookExecutionError(name, exc.exec_count, exc.ename, exc.evalue) from None


def _package_error_names() -> set[str]:
    names, todo = set(), [PastOutcomesError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _remember(out_dir: Path, record: dict[str, str | None], path: Path) -> None:
    """Record that ``path`` was written here, so that a rerun may replace it."""
    from past_outcomes._io import atomic_write

    record[path.name] = _sha256(path)
    with atomic_write(out_dir / RECORD) as fh:
        fh.write(json.dumps(dict(sorted(record.items())), indent=2) + "\n")


def _read_record(out_dir: Path) -> dict[str, str | None]:
    """The record of reports written in ``out_dir`` by this function ({} if none or unreadable)."""
    try:
        record = json.loads((out_dir / RECORD).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(record, dict):
        return {}
    return {k: v for k, v in record.items() if isinstance(k, str) and isinstance(v, str)}


def _check_data_argument(data: str | os.PathLike | None, selected: list[str]) -> Path | None:
    """``data`` as an existing file's resolved path (one notebook only), or None."""
    if data is None:
        return None
    if len(selected) != 1:
        raise ArgumentError(
            "--data needs exactly one notebook name, since each notebook expects its own "
            f"data layout; got {len(selected)}. Example: past-outcomes notebooks run "
            "02_pilot_prepost --data my_pilot.csv"
        )
    return _existing_file(data, "--data")


def _existing_file(value: str | os.PathLike, option: str) -> Path:
    """``value`` resolved, if it names an existing file (the inputs of ``run_notebooks``)."""
    path = Path(value).resolve()
    if not path.is_file():
        raise ArgumentError(f"{option} must name an existing file; {str(path)!r} does not exist.")
    return path


def _check_disposition_argument(
    disposition: str | os.PathLike | None, selected: list[str]
) -> Path | None:
    """``disposition`` as an existing file's resolved path (03_two_arm_trial only), or None."""
    if disposition is None:
        return None
    if selected != ["03_two_arm_trial"]:
        raise ArgumentError(
            "--disposition is read by 03_two_arm_trial alone; name that notebook only. "
            "Example: past-outcomes notebooks run 03_two_arm_trial --data trial.csv "
            "--disposition flow.csv"
        )
    if not isinstance(disposition, (str, os.PathLike)) or not str(disposition):
        raise ArgumentError(
            f"--disposition must be a file name; got {type(disposition).__name__} {disposition!r}."
        )
    return _existing_file(disposition, "--disposition")


def _check_report_folder(html_dir: str | os.PathLike) -> Path:
    out_dir = Path(html_dir).resolve()
    if os.path.lexists(out_dir) and not out_dir.is_dir():
        raise OutputPathError(
            f"--html must be a folder; {str(out_dir)!r} is a file. Name a folder (it is "
            "created if needed)."
        )
    return out_dir


def _check_report_targets(
    selected: list[str],
    out_dir: Path,
    record: dict,
    data: Path | None,
    force: bool,
    inputs: list[Path],
) -> None:
    """Every file the run will write may be written, and none is one of ``inputs`` (before
    anything is read or run)."""
    from past_outcomes._io import check_output_path

    for name in selected:
        targets = [out_dir / f"{name}.executed.ipynb", out_dir / f"{name}.html"]
        if data is not None:
            targets.append(out_dir / f"{name}.data.csv")
        for target in targets:
            ours = record.get(target.name) == _sha256(target)
            check_output_path(target, inputs=inputs, force=force or ours, option="--html")


def _notebook_parameters(
    selected: list[str],
    data: Path | None,
    out_dir: Path,
    record: dict,
    **reading: Any,
) -> dict[str, object]:
    """The notebooks' parameters, once ``data`` is read and its contract checked (an export
    is converted to ``<name>.data.csv`` in ``out_dir``)."""
    from past_outcomes._io import atomic_write

    client = reading["client"]
    parameters: dict[str, object] = {} if client is None else {"client": client}
    if data is None:
        if client is not None and "04_client_progress" in selected:
            from past_outcomes.contracts import check_contract
            from past_outcomes.datasets import read_dataset

            check_contract(read_dataset("practice_rom"), notebook="04_client_progress",
                           client=client)  # fmt: skip
        out_dir.mkdir(parents=True, exist_ok=True)
        return parameters
    canonical = _checked_data(selected[0], data, **reading)
    parameters["data_path"] = str(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    if canonical is not None:
        converted = out_dir / f"{selected[0]}.data.csv"
        with atomic_write(converted) as fh:
            canonical.to_csv(fh, index=False, lineterminator="\n")
        _remember(out_dir, record, converted)
        parameters["data_path"] = str(converted)
    return parameters


def _select(names: list[str] | None) -> list[str]:
    if not names:
        return list(NOTEBOOKS)
    selected = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb").removesuffix(".py")
        if stem not in NOTEBOOKS:
            raise ArgumentError(f"Unknown notebook {name!r}; choose from {', '.join(NOTEBOOKS)}.")
        selected.append(stem)
    return selected
