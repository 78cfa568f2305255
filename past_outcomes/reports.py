"""Run the analysis notebooks and export self-contained HTML reports without input cells.

``run_notebooks`` executes each notebook with papermill (so a user's own data file can be
passed through the notebook's ``parameters`` cell), writes the executed copy beside the HTML
report, and converts it with nbconvert (``exclude_input=True``; figures embedded as PNG).
The executed copies go to the report folder, never into ``notebooks/``, so the committed,
validated notebooks are left untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

from past_outcomes.errors import ArgumentError

__all__ = ["NOTEBOOKS", "notebooks_dir", "run_notebooks"]

#: The analysis notebooks in reading order, with what each shows.
NOTEBOOKS: dict[str, str] = {
    "01_scoring": "validate and score raw responses: bands, flags, proration",
    "02_pilot_prepost": "single-arm pilot: pre/post tests, effect sizes, reliable change, responders",
    "03_two_arm_trial": "MAPP2-like trial: ANCOVA, MMRM, responder table, comparison with MAPP2",
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
    html_dir: str | os.PathLike = "reports",
    timeout: int = 600,
) -> list[Path]:
    """Execute notebooks and write one HTML report per notebook; return the report paths.

    Parameters
    ----------
    names
        Notebook names (``"02_pilot_prepost"`` or ``"02_pilot_prepost.ipynb"``); all five
        when None.
    data
        A data file to analyse instead of the bundled synthetic data set; passed to the
        notebook's ``data_path`` parameter. Needs exactly one notebook name, since each
        notebook expects its own data layout.
    html_dir
        Folder for the HTML reports and the executed notebooks (created if needed).
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    folder = notebooks_dir()
    selected = _select(names)
    if data is not None:
        if len(selected) != 1:
            raise ArgumentError(
                "--data needs exactly one notebook name, since each notebook expects its own "
                f"data layout; got {len(selected)}. Example: past-outcomes notebooks run "
                "02_pilot_prepost --data my_pilot.csv"
            )
        data = Path(data).resolve()
        if not data.is_file():
            raise ArgumentError(f"--data must name an existing file; {str(data)!r} does not exist.")
    out_dir = Path(html_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    env_before = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"
    written = []
    try:
        for name in selected:
            source = folder / f"{name}.ipynb"
            if not source.is_file():
                raise ArgumentError(
                    f"No notebook {source}; the notebooks are {', '.join(NOTEBOOKS)}."
                )
            executed = out_dir / f"{name}.executed.ipynb"
            parameters = {"data_path": str(data)} if data is not None else {}
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=parameters,
                cwd=str(folder),
                progress_bar=False,
                execution_timeout=timeout,
                report_mode=False,
            )
            nb = nbformat.read(executed, as_version=4)
            exporter = HTMLExporter(
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
            body, _ = exporter.from_notebook_node(nb)
            html_path = out_dir / f"{name}.html"
            html_path.write_text(body, encoding="utf-8")
            written.append(html_path)
    finally:
        if env_before is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = env_before
    return written


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
