"""Notebook data contracts: each example file meets its contract; a missing column is one
readable message (issue 11, "A declared data contract for notebooks and reports")."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import past_outcomes as po
from past_outcomes.contracts import CONTRACTS, check_contract, example_path, format_contract
from past_outcomes.errors import ArgumentError, DataContractError
from past_outcomes.reports import NOTEBOOKS, notebooks_dir

REPO = Path(__file__).resolve().parents[1]


def test_every_notebook_has_a_contract_and_an_example_file():
    assert set(CONTRACTS) == set(NOTEBOOKS)
    for name in NOTEBOOKS:
        assert example_path(name).is_file()
        assert example_path(name) == REPO / "data" / "examples" / f"{name}.csv"


@pytest.mark.parametrize("notebook", list(NOTEBOOKS))
def test_each_notebook_calls_its_check_right_after_reading(notebook):
    source = (notebooks_dir() / f"{notebook}.py").read_text(encoding="utf-8")
    match = re.search(r"^(\w+) = po\.read_dataset\(data_path\)\n(.*)$", source, re.M)
    assert match, "the notebook reads its data with po.read_dataset(data_path)"
    assert match.group(2).startswith(f"{match.group(1)} = po.check_contract({match.group(1)}, ")
    assert f'notebook="{notebook}"' in match.group(2)


@pytest.mark.parametrize("notebook", list(NOTEBOOKS))
def test_the_example_file_meets_the_contract(notebook):
    data = po.read_dataset(example_path(notebook))
    checked = check_contract(data, notebook=notebook, client="C09")
    assert len(checked) == len(data) and list(checked.columns) == list(data.columns)
    assert len(data) < 200  # minimal: a few clients, not the whole data set


@pytest.mark.parametrize(
    "notebook, dataset",
    [
        ("01_scoring", "past_pilot"),
        ("02_pilot_prepost", "past_pilot"),
        ("03_two_arm_trial", "mdma_trial"),
        ("04_client_progress", "practice_rom"),
        ("05_psychometrics_and_power", "past_pilot"),
    ],
)
def test_the_bundled_data_pass_unchanged(notebook, dataset):
    data = po.read_dataset(dataset)
    assert check_contract(data, notebook=notebook) is data  # the stored outputs cannot move


@pytest.mark.parametrize("notebook", list(NOTEBOOKS))
def test_each_required_column_missing_gives_one_readable_message(notebook):
    contract = CONTRACTS[notebook]
    data = po.read_dataset(example_path(notebook))
    for column in contract.required_columns:
        with pytest.raises(DataContractError, match=f"column '{column}' is missing") as info:
            check_contract(data.drop(columns=column), notebook=notebook)
        message = str(info.value)
        assert message.startswith(f"notebook {notebook} cannot run on these data: 1 thing")
        spec = next(c for c in contract.columns if c.name == column)
        assert spec.purpose in message and "Supply" in message
        assert f"data/examples/{notebook}.csv" in message
        cases = info.value.failure_cases
        assert cases[["column", "reason"]].values.tolist() == [[column, "missing-column"]]
    for column in contract.optional_columns:
        if column in data.columns:
            check_contract(data.drop(columns=column), notebook=notebook)


def test_missing_items_timepoints_and_arms_are_listed_together():
    data = po.read_dataset(example_path("03_two_arm_trial"))
    broken = data.drop(columns=["sds_2", "dissociative"])
    broken = broken[broken["timepoint"] != "week12"].copy()
    broken["arm"] = broken["arm"].replace({"placebo": "control"})
    with pytest.raises(DataContractError) as info:
        check_contract(broken, notebook="03_two_arm_trial")
    cases = info.value.failure_cases
    assert cases[["column", "value", "reason"]].values.tolist() == [
        ["dissociative", None, "missing-column"],
        ["sds_2", 1, "missing-column"],
        ["timepoint", "week12", "missing-value"],
        ["arm", "placebo", "missing-value"],
    ]
    message = str(info.value)
    assert "4 thing(s) it needs are missing" in message
    assert "SDS item column(s) sds_2 are missing" in message and "--codebook" in message
    assert "'arm' must hold the value(s) mdma, placebo; no row has 'placebo'" in message


def test_the_client_shown_must_be_a_subject():
    data = po.read_dataset(example_path("04_client_progress"))
    with pytest.raises(DataContractError, match="'C99' is not. Pass one of yours") as info:
        check_contract(data, notebook="04_client_progress", client="C99")
    assert info.value.failure_cases["reason"].tolist() == ["missing-value"]


def test_a_users_timepoints_are_put_in_the_contracts_visit_order():
    data = pd.DataFrame(
        {"subject": ["A", "A", "A"], "timepoint": ["followup_3m", "extra", "baseline"]}
    )
    data = data.assign(
        **{
            c: 0
            for inst in ("fsfi", "iief", "fsdsr", "pcl5", "phq9", "gad7")
            for c in po.load_instrument(inst).item_columns
        }
    )
    out = check_contract(data, notebook="05_psychometrics_and_power")
    assert out["timepoint"].cat.categories.tolist() == ["baseline", "followup_3m", "extra"]
    assert out["timepoint"].cat.ordered
    assert not isinstance(data["timepoint"].dtype, pd.CategoricalDtype)  # input unchanged


def test_arguments_are_checked():
    with pytest.raises(ArgumentError, match="notebook must be one of 01_scoring"):
        check_contract(pd.DataFrame(), notebook="nope")
    with pytest.raises(ArgumentError, match="must be a pandas DataFrame"):
        check_contract([1, 2], notebook="01_scoring")


def test_format_contract_lists_every_column():
    text = format_contract("04_client_progress")
    assert "date (required)" in text and "medicine (optional)" in text
    assert "timepoint values (required): intake" in text


def test_the_examples_ship_in_the_wheel():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"past_outcomes.examples" = "data/examples"' in text
    assert '"past_outcomes.examples" = ["*.csv", "README.md"]' in text


def test_notebooks_run_stops_before_papermill_on_a_missing_column(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: pytest.fail("ran"))
    user = tmp_path / "mine.csv"
    data = pd.read_csv(example_path("02_pilot_prepost"), dtype=str)
    data.drop(columns="anatomy").to_csv(user, index=False)
    from past_outcomes.cli import main

    code = main(
        ["notebooks", "run", "02_pilot_prepost", "--data", str(user), "--html", str(tmp_path / "r")]
    )
    assert code == 1
    assert not (tmp_path / "r").exists()


def test_copying_an_example_is_a_valid_user_file(tmp_path):
    copy = tmp_path / "mine.csv"
    shutil.copy(example_path("01_scoring"), copy)
    check_contract(po.read_dataset(copy), notebook="01_scoring")
