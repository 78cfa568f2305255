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
