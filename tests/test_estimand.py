"""Estimand (ICH E9(R1)) and its display on results: fit_mmrm, compare_groups,
compare_responders and the ResultBase contract."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.errors import ArgumentError
from past_outcomes.estimand import STRATEGIES, Estimand, IntercurrentEvent
from past_outcomes.results import ResultBase


def _estimand(**kw) -> Estimand:
    base = {
        "population": "randomized adults with low sexual desire",
        "endpoint": "FSFI total change from baseline to week 18",
        "treatment": "psilocybin-assisted therapy versus placebo-assisted therapy",
        "intercurrent_events": [
            IntercurrentEvent("discontinued treatment", "hypothetical", "imputed under MAR"),
            ("rescue medication", "Treatment-Policy"),
        ],
        "summary": "difference in mean change (treatment minus control)",
    }
    return Estimand(**{**base, **kw})


def test_attributes_table_and_describe():
    e = _estimand()
    assert e.intercurrent_events[1] == IntercurrentEvent("rescue medication", "treatment policy")
    assert e.strategies == {"discontinued treatment": "hypothetical",
                            "rescue medication": "treatment policy"}  # fmt: skip
    assert e.table["attribute"].tolist() == [
        "population", "endpoint", "treatment", "intercurrent event", "intercurrent event",
        "population-level summary"]  # fmt: skip
    assert e.table["value"].iloc[3] == "discontinued treatment: hypothetical (imputed under MAR)"
    assert e.describe() == (
        "Estimand: difference in mean change (treatment minus control) of FSFI total change "
        "from baseline to week 18, psilocybin-assisted therapy versus placebo-assisted "
        "therapy, in randomized adults with low sexual desire; intercurrent events: "
        "discontinued treatment (hypothetical); rescue medication (treatment policy)."
    )
    assert "<caption>Estimand</caption>" in e.to_html()
    assert str(e).startswith("Estimand\n  population")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.population = "x"  # type: ignore[misc]


def test_mapping_and_no_events():
    e = _estimand(intercurrent_events={"death": "composite"})
    assert e.intercurrent_events == (IntercurrentEvent("death", "composite"),)
    none = _estimand(intercurrent_events=())
    assert "intercurrent events: none stated" in none.describe()


def test_html_escapes_text():
    e = _estimand(population="<script>x</script>")
    assert "<script>" not in e.to_html()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"population": ""}, "population must be a non-empty string"),
        ({"endpoint": 3}, "endpoint must be a non-empty string; got 3 \\(int\\)"),
        ({"summary": None}, "summary must be a non-empty string"),
        ({"intercurrent_events": [("x", "ignore")]}, "strategy must be one of the ICH E9"),
        ({"intercurrent_events": [("x",)]}, "each intercurrent event must be"),
        ({"intercurrent_events": 5}, "intercurrent_events must be a list"),
        ({"intercurrent_events": [("x", "composite"), ("X", "hypothetical")]},
         "each intercurrent event must be listed once"),
    ],
)  # fmt: skip
def test_bad_arguments(kw, message):
    with pytest.raises(ArgumentError, match=message):
        _estimand(**kw)


def test_unknown_strategy_lists_the_strategies():
    with pytest.raises(ArgumentError, match="'while on treatment', 'principal stratum'"):
        IntercurrentEvent("dropout", "LOCF")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.sampled_from(list(STRATEGIES)), st.sampled_from(["-", "_", " "]), st.booleans())
def test_strategy_spellings(strategy, sep, upper):
    text = strategy.replace(" ", sep)
    assert IntercurrentEvent("e", text.upper() if upper else text).strategy == strategy


# --------------------------------------------------------------------------------------
# results


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class _Result(ResultBase):
    table: pd.DataFrame
    estimand: Estimand | None = None

    def notes(self) -> list[str]:
        return [*super().notes(), "own note"]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class _Child(_Result):
    def notes(self) -> list[str]:
        return [*super().notes(), "child note"]


def test_result_base_shows_the_estimand_once():
    e = _estimand()
    child = _Child(pd.DataFrame({"a": [1.0]}), e)
    assert child.notes() == [e.describe(), "own note", "child note"]
    assert _Child(pd.DataFrame({"a": [1.0]})).notes() == ["own note", "child note"]
    assert repr(child).splitlines()[1] == e.describe()
    assert str(child).splitlines()[3] == e.describe()  # title, table header, row, notes
    html = child.to_html()
    assert html.count("<caption>Estimand</caption>") == 1
    assert e.describe() not in html  # the table replaces the line in HTML


def _long(seed=1, n=30):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        arm = "active" if i % 2 else "placebo"
        base = rng.normal(20, 4)
        for k, t in enumerate(["base", "w6", "w12"]):
            y = base + (3 * k if arm == "active" else k) + rng.normal(0, 2) if k else base
            rows.append((f"s{i}", arm, t, y, rng.random() < 0.5))
    return pd.DataFrame(rows, columns=["subject", "group", "timepoint", "y", "resp"])


def test_fit_mmrm_compare_groups_and_responders_store_the_estimand():
    e, data = _estimand(), _long()
    mmrm = po.fit_mmrm(data, measure="y", pre="base", control="placebo", estimand=e)
    groups = po.compare_groups(data, measure="y", pre="base", post="w12", treatment="active",
                               control="placebo", estimand=e)  # fmt: skip
    wide = data[data["timepoint"] == "w12"]
    resp = po.compare_responders(wide, responder="resp", treatment="active", control="placebo",
                                 estimand=e)  # fmt: skip
    for result in (mmrm, groups, resp):
        assert result.estimand is e
        assert result.notes()[0] == e.describe()
        assert result.notes().count(e.describe()) == 1
    without = po.fit_mmrm(data, measure="y", pre="base", control="placebo")
    assert without.estimand is None and not without.notes()[0].startswith("Estimand")
    pd.testing.assert_frame_equal(without.table, mmrm.table)  # never used in computing


@pytest.mark.parametrize("bad", ["ITT", {"population": "x"}, 1])
def test_analyses_refuse_a_non_estimand(bad):
    data = _long()
    with pytest.raises(ArgumentError, match="estimand must be an Estimand or None"):
        po.fit_mmrm(data, measure="y", pre="base", control="placebo", estimand=bad)
    with pytest.raises(ArgumentError, match="estimand must be an Estimand or None"):
        po.compare_groups(data, measure="y", pre="base", post="w12", treatment="active",
                          control="placebo", estimand=bad)  # fmt: skip
