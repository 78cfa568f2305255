"""past-outcomes notebooks run: executes a notebook on a user's file and writes an offline report."""

from __future__ import annotations

import re
import shutil

import pytest

from past_outcomes import ArgumentError
from past_outcomes.cli import main
from past_outcomes.contracts import example_path
from past_outcomes.reports import run_notebooks


def test_a_notebook_runs_on_its_minimal_example_file_and_exports_offline_html(tmp_path, capfd):
    user_file = tmp_path / "my_pilot.csv"
    shutil.copy(example_path("01_scoring"), user_file)
    out = tmp_path / "reports"
    code = main(["notebooks", "run", "01_scoring", "--data", str(user_file), "--html", str(out)])
    assert code == 0
    html = (out / "01_scoring.html").read_text(encoding="utf-8")
    assert "import past_outcomes" not in html  # input cells are excluded
    assert "ProrationWarning" in html  # outputs are there
    assert "8 clients" in html  # the example's eight clients, not the bundled forty
    assert not re.search(r'(src|href)="https?://', html)  # no remote scripts or styles
    executed = (out / "01_scoring.executed.ipynb").read_text(encoding="utf-8")
    assert str(user_file) in executed  # the parameter reached the notebook
    captured = capfd.readouterr()  # file-descriptor level: the kernel's own stderr too
    assert "wrote" in captured.out
    # the kernel talks over local IPC sockets, not TCP: no transport warning at any start
    assert "without encryption" not in captured.err + captured.out
    assert "Kernel is running" not in captured.err
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title == "01 Scoring: from raw responses to validated scores"  # not "Notebook"
    assert "No description has been provided" not in html
    assert "`my_pilot.csv`" in executed  # the input file is named, by its name only


@pytest.mark.parametrize(
    "names, data, message",
    [
        (["nope"], None, "Unknown notebook 'nope'"),
        (None, "x.csv", "--data needs exactly one notebook name"),
        (["01_scoring"], "does/not/exist.csv", "--data must name an existing file"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(tmp_path, names, data, message):
    with pytest.raises(ArgumentError, match=message):
        run_notebooks(names, data=data, html_dir=tmp_path)


TRIAL = "03_two_arm_trial"
FLOW = example_path(TRIAL).with_name(f"{TRIAL}_disposition.csv")


@pytest.mark.parametrize(
    ("names", "disposition", "message"),
    [
        (["02_pilot_prepost"], FLOW, "--disposition is read by 03_two_arm_trial alone"),
        (None, FLOW, "--disposition is read by 03_two_arm_trial alone"),
        ([TRIAL], "no/such/flow.csv", "--disposition must name an existing file"),
        ([TRIAL], "", "--disposition must be a file name"),
        ([TRIAL], 3, "--disposition must be a file name"),
    ],
)
def test_bad_disposition_arguments_are_refused_before_anything_runs(
    tmp_path, names, disposition, message
):
    with pytest.raises(ArgumentError, match=message):
        run_notebooks(names, disposition=disposition, html_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def _parameters_passed(monkeypatch, tmp_path, argv):
    """The parameters papermill would get from ``past-outcomes notebooks run ARGV``."""
    import papermill

    seen = {}

    def record(source, output, parameters, **kwargs):
        seen.update(parameters)
        raise KeyboardInterrupt  # stop before anything is written

    monkeypatch.setattr(papermill, "execute_notebook", record)
    main(["notebooks", "run", *argv, "--html", str(tmp_path / "r")])
    return seen


def test_disposition_reaches_the_notebook_and_never_the_bundled_one_beside_other_data(
    monkeypatch, tmp_path
):
    data = tmp_path / "trial.csv"
    shutil.copy(example_path(TRIAL), data)
    given = _parameters_passed(
        monkeypatch, tmp_path, [TRIAL, "--data", str(data), "--disposition", str(FLOW)]
    )
    assert given["disposition_path"] == str(FLOW.resolve())
    alone = _parameters_passed(monkeypatch, tmp_path, [TRIAL, "--data", str(data)])
    assert alone["disposition_path"] == ""  # the bundled trial's would list others
    bundled = _parameters_passed(monkeypatch, tmp_path, [TRIAL])
    assert "disposition_path" not in bundled  # the notebook's default: the bundled file


def test_a_report_may_not_replace_the_disposition_file(tmp_path):
    reports = tmp_path / "r"
    reports.mkdir()
    flow = reports / f"{TRIAL}.html"  # the report this run would write
    shutil.copy(FLOW, flow)
    with pytest.raises(Exception, match="--html") as got:
        run_notebooks([TRIAL], disposition=flow, html_dir=reports, force=True)  # never an input
    assert type(got.value).__name__ == "OutputPathError"
    assert "disposition" in str(got.value) or str(flow) in str(got.value)
    assert flow.read_bytes() == FLOW.read_bytes()
