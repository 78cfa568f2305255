"""Golden vectors for the instruments added in issue 13 (ASEX, PEDT, EHS, C-SSRS screener) and
the two vocabulary constructs they needed (``match: any`` criteria, ``levels``).

Every expected value below is computed by hand from the published key cited in the spec
(``instruments/<id>.yaml``), not by the engine: ASEX (McGahuey 2000: items 1-6, total 5-30,
dysfunction = total >= 19 or any item >= 5 or any three items >= 4), PEDT (Symonds 2007:
<= 8 no PE, 9-10 probable PE, >= 11 PE), EHS (one item 0-4; 3 and 4 are hard enough for
penetration), C-SSRS screener (Columbia triage: yes to 4 or 5 or behaviour in the past 3 months
= high risk, assess now; yes to 3 or lifetime behaviour = moderate; yes to 1 or 2 = low).
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from past_outcomes import load_instrument, parse_instrument, score
from past_outcomes.errors import InstrumentDefinitionError, ResponseValidationError

NA = pd.NA
nan = math.nan


def _frame(inst_id: str, rows: list[list[float]]) -> pd.DataFrame:
    inst = load_instrument(inst_id)
    return pd.DataFrame(rows, columns=list(inst.item_columns), dtype=float)


def _labels(series: pd.Series) -> list:
    return [NA if pd.isna(v) else v for v in series.tolist()]


# -- ASEX -----------------------------------------------------------------------------------

ASEX_GOLDEN = [
    # items             total  dysfunction   why
    ([1, 1, 1, 1, 1], 5, False),  # minimum
    ([3, 3, 3, 3, 3], 15, False),  # no item >= 4
    ([4, 4, 3, 3, 3], 17, False),  # only two items >= 4: highest total without dysfunction
    ([4, 4, 4, 1, 1], 14, True),  # exactly three items at 4 (total far below 19)
    ([5, 1, 1, 1, 1], 9, True),  # one item at 5
    ([4, 4, 4, 4, 3], 19, True),  # total exactly 19
    ([6, 6, 6, 6, 6], 30, True),  # maximum
]


@pytest.mark.parametrize(("items", "total", "dysfunction"), ASEX_GOLDEN)
def test_asex_golden_vectors(items, total, dysfunction):
    out = score(_frame("asex", [items]), instrument="asex")
    assert out["asex_total"].iloc[0] == total
    assert out["asex_dysfunction"].iloc[0] is np.bool_(dysfunction) or (
        bool(out["asex_dysfunction"].iloc[0]) is dysfunction
    )


def test_asex_a_known_positive_item_decides_despite_a_missing_one():
    rows = [[5, nan, 1, 1, 1], [1, nan, 1, 1, 1], [4, 4, 4, nan, 1], [4, 4, nan, 1, 1]]
    out = score(_frame("asex", rows), instrument="asex")
    assert out["asex_total"].isna().all()  # no proration rule: a missing item, no total
    # item 1 at 5 / three items at 4 decide; otherwise the missing item could still decide
    assert _labels(out["asex_dysfunction"]) == [True, NA, True, NA]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 6), min_size=5, max_size=5), min_size=1, max_size=20))
def test_asex_rule_matches_the_published_definition(rows):
    out = score(_frame("asex", rows), instrument="asex")
    for items, got in zip(rows, out["asex_dysfunction"], strict=True):
        expected = sum(items) >= 19 or max(items) >= 5 or sum(v >= 4 for v in items) >= 3
        assert bool(got) is expected


# -- PEDT -----------------------------------------------------------------------------------

PEDT_GOLDEN = [
    ([0, 0, 0, 0, 0], 0, "no PE"),
    ([2, 2, 2, 1, 1], 8, "no PE"),  # upper edge of no PE
    ([2, 2, 2, 2, 1], 9, "probable PE"),  # lower edge of probable PE
    ([2, 2, 2, 2, 2], 10, "probable PE"),
    ([3, 2, 2, 2, 2], 11, "PE"),  # lower edge of PE
    ([4, 4, 4, 4, 4], 20, "PE"),
]


@pytest.mark.parametrize(("items", "total", "band"), PEDT_GOLDEN)
def test_pedt_golden_vectors(items, total, band):
    out = score(_frame("pedt", [items]), instrument="pedt")
    assert out["pedt_total"].iloc[0] == total
    assert out["pedt_band"].iloc[0] == band


def test_pedt_refuses_an_answer_above_4():
    with pytest.raises(ResponseValidationError, match="pedt_3") as err:
        score(_frame("pedt", [[0, 0, 5, 0, 0]]), instrument="pedt")
    assert err.value.failure_cases["reason"].tolist() == ["out-of-range"]


# -- EHS ------------------------------------------------------------------------------------


def test_ehs_golden_vectors():
    out = score(_frame("ehs", [[0], [2], [3], [4], [nan]]), instrument="ehs")
    assert out["ehs_score"].tolist()[:4] == [0, 2, 3, 4]
    assert _labels(out["ehs_penetration_hardness"]) == [False, False, True, True, NA]


# -- C-SSRS screener ------------------------------------------------------------------------

CSSRS_GOLDEN = [
    # items 1-5 (past month), 6 (lifetime behaviour), 7 (behaviour in past 3 months)
    ([0, 0, 0, 0, 0, 0, 0], False, "none reported", 0),
    ([1, 0, 0, 0, 0, 0, 0], False, "low", 1),
    ([1, 1, 0, 0, 0, 0, 0], False, "low", 2),
    ([1, 1, 1, 0, 0, 0, 0], False, "moderate", 3),
    ([0, 0, 0, 0, 0, 1, 0], False, "moderate", 1),  # behaviour, but not in the past 3 months
    ([1, 1, 1, 1, 0, 0, 0], True, "high", 4),  # intent without plan
    ([1, 1, 0, 0, 1, 0, 0], True, "high", 3),  # intent with plan
    ([0, 0, 0, 0, 0, 1, 1], True, "high", 1),  # behaviour in the past 3 months
    ([1, 1, 1, 1, 1, 1, 1], True, "high", 6),
]


@pytest.mark.parametrize(("items", "assess_now", "risk", "yes_count"), CSSRS_GOLDEN)
def test_cssrs_screener_golden_vectors(items, assess_now, risk, yes_count):
    out = score(_frame("cssrs_screen", [items]), instrument="cssrs_screen")
    assert bool(out["cssrs_screen_assess_now"].iloc[0]) is assess_now
    assert out["cssrs_screen_risk"].iloc[0] == risk
    assert out["cssrs_screen_yes_count"].iloc[0] == yes_count


def test_cssrs_a_yes_raises_the_flag_whatever_is_missing():
    rows = [
        [1, 1, nan, 1, nan, nan, nan],  # yes to 4, the rest unknown: assess now, high
        [nan, nan, nan, nan, nan, 1, 1],  # recent behaviour only: assess now, high
        [1, 0, nan, nan, nan, 0, 0],  # skips left blank instead of 0: nothing can be ruled out
        [1, 0, 0, 0, 0, 0, nan],  # item 7 unanswered: high cannot be ruled out
        [1, 1, 1, 0, 0, 0, nan],  # yes to 3 but item 7 unanswered: still unknown
    ]
    out = score(_frame("cssrs_screen", rows), instrument="cssrs_screen")
    assert _labels(out["cssrs_screen_assess_now"]) == [True, True, NA, NA, NA]
    assert _labels(out["cssrs_screen_risk"]) == ["high", "high", NA, NA, NA]


def test_cssrs_skips_recorded_as_no_give_the_category():
    # the spec's convention: a question skipped by the form's skip logic is recorded as 0
    out = score(_frame("cssrs_screen", [[1, 0, 0, 0, 0, 0, 0]]), instrument="cssrs_screen")
    assert out["cssrs_screen_risk"].tolist() == ["low"]


def test_cssrs_not_administered_has_no_label():
    out = score(_frame("cssrs_screen", [[nan] * 7]), instrument="cssrs_screen")
    assert _labels(out["cssrs_screen_assess_now"]) == [NA]
    assert _labels(out["cssrs_screen_risk"]) == [NA]


def test_cssrs_refuses_anything_but_yes_or_no():
    with pytest.raises(ResponseValidationError, match="cssrs_screen_4") as err:
        score(_frame("cssrs_screen", [[1, 1, 1, 2, 0, 0, 0]]), instrument="cssrs_screen")
    assert err.value.failure_cases["column"].tolist() == ["cssrs_screen_4"]


def test_cssrs_and_phq9_safety_flags_score_side_by_side():
    data = pd.DataFrame(
        {
            **{f"phq9_{i}": [0, 0] for i in range(1, 9)},
            "phq9_9": [1, 0],
            **{f"cssrs_screen_{i}": [0, 0] for i in range(1, 8)},
        }
    )
    data.loc[1, ["cssrs_screen_2", "cssrs_screen_5"]] = 1
    out = score(data, instrument=["phq9", "cssrs_screen"])
    assert out["phq9_item9_flag"].tolist() == [True, False]
    assert out["cssrs_screen_assess_now"].tolist() == [False, True]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1), min_size=7, max_size=7), min_size=1, max_size=20))
def test_cssrs_risk_is_the_highest_level_with_a_yes(rows):
    out = score(_frame("cssrs_screen", rows), instrument="cssrs_screen")
    for a, flag, risk in zip(
        rows, out["cssrs_screen_assess_now"], out["cssrs_screen_risk"], strict=True
    ):
        high = a[3] == 1 or a[4] == 1 or a[6] == 1
        expected = (
            "high"
            if high
            else "moderate"
            if a[2] == 1 or a[5] == 1
            else "low"
            if a[0] == 1 or a[1] == 1
            else "none reported"
        )
        assert bool(flag) is high
        assert risk == expected


# -- the vocabulary: match: any, levels -----------------------------------------------------

SPEC = textwrap.dedent(
    """\
    id: demo
    name: Demo
    sources: {src: "A. Demo. J 2020."}
    licence: public domain
    recall_period: past week
    administration: self-report
    direction: lower-is-better
    response: {min: 0, max: 3, source: src}
    items:
      - {n: 1, label: one}
      - {n: 2, label: two}
    scales:
      - {id: total, label: Total, method: sum, items: [1, 2], source: src}
    classifications:
      - {id: band, type: bands, scale: total, source: src,
         bands: [{label: low, min: 0, max: 2}, {label: high, min: 3, max: 6}]}
      - id: either
        type: criteria
        match: any
        source: src
        require:
          - {items: [1], operator: ">=", value: 3, at_least: 1}
          - {scales: [total], operator: ">=", value: 5, at_least: 1}
      - {id: one_high, type: item_flag, item: 1, operator: ">=", value: 2, source: src}
      - id: level
        type: levels
        source: src
        levels:
          - {label: top, classification: either}
          - {label: middle, classification: one_high}
        otherwise: bottom
    """
)


def test_match_any_and_levels_score_as_documented():
    inst = parse_instrument(SPEC)
    assert inst.classifications["demo_either"].match == "any"
    assert [lv.classification for lv in inst.classifications["demo_level"].levels] == [
        "demo_either",
        "demo_one_high",
    ]
    data = pd.DataFrame({"demo_1": [3, 0, 2, 2, 2, nan, 0], "demo_2": [0, 0, 3, 0, nan, 0, nan]})
    out = score(data, instrument=inst)
    assert _labels(out["demo_either"]) == [True, False, True, False, NA, NA, NA]
    # row 3: either false, one_high true -> middle; row 4: either unknown -> unknown even
    # though one_high is true (top cannot be ruled out)
    assert _labels(out["demo_level"]) == ["top", "bottom", "top", "middle", NA, NA, NA]


def test_match_all_keeps_its_conservative_rule():
    spec = SPEC.replace("match: any", "match: all")
    out = score(
        pd.DataFrame({"demo_1": [3, 3], "demo_2": [3, nan]}), instrument=parse_instrument(spec)
    )
    assert _labels(out["demo_either"]) == [True, NA]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("match: any", "match: some", r"classifications\[1\]\.match: must be one of all, any"),
        (
            "{id: one_high, type: item_flag,",
            "{id: one_high, type: item_flag, match: any,",
            r"classifications\[2\]\.match: is not used by a item_flag classification",
        ),
        (
            "{label: middle, classification: one_high}",
            "{label: middle, classification: band}",
            r"levels\[1\]\.classification: must name a cutoff, item_flag, criteria, count "
            r"classification defined above; got 'band'",
        ),
        (
            "{label: middle, classification: one_high}",
            "{label: middle, classification: level}",
            r"levels\[1\]\.classification: must name .* defined above; got 'level'",
        ),
        ("otherwise: bottom", "otherwise: top", r"otherwise: must differ from every level label"),
        ("label: middle,", "label: top,", r"levels: level labels must be unique"),
        ("    otherwise: bottom\n", "", r"otherwise: is required for a levels classification"),
        (
            "    levels:\n      - {label: top, classification: either}\n"
            "      - {label: middle, classification: one_high}\n",
            "    levels: []\n",
            r"levels: must list at least one level",
        ),
    ],
)
def test_vocabulary_errors_name_the_key(old, new, message):
    assert old in SPEC
    with pytest.raises(InstrumentDefinitionError, match=message):
        parse_instrument(SPEC.replace(old, new))
