"""What notebooks ask of a spec: typed conditions, primary scale, cutoffs, bands, direction."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pandas as pd
import pytest

from past_outcomes import load_instrument, score
from past_outcomes.errors import InstrumentDefinitionError
from past_outcomes.instrument import (
    Band,
    Classification,
    Requirement,
    Scale,
    instruments_dir,
    parse_instrument,
)

SPEC_IDS = sorted(p.stem for p in instruments_dir().glob("*.yaml"))


@pytest.mark.parametrize("inst_id", SPEC_IDS)
def test_criteria_requirements_are_typed_and_resolved(inst_id):
    inst = load_instrument(inst_id)
    for cls in inst.classifications.values():
        for req in cls.require:
            assert isinstance(req, Requirement)
            assert bool(req.items) != bool(req.scales)
            assert set(req.items) <= {it.n for it in inst.items}
            assert set(req.scales) <= set(inst.scales)
            assert 1 <= req.at_least <= len(req.items or req.scales)
            with pytest.raises(dataclasses.FrozenInstanceError):
                req.value = 0.0  # type: ignore[misc]


def test_caps5_symptom_rule_is_read_as_item_numbers():
    dx = load_instrument("caps5").classifications["caps5_dx"]
    assert [r.items for r in dx.require] == [
        (1, 2, 3, 4, 5),
        (6, 7),
        (8, 9, 10, 11, 12, 13, 14),
        (15, 16, 17, 18, 19, 20),
    ]
    assert [(r.operator, r.value, r.at_least) for r in dx.require] == [
        (">=", 2.0, 1),
        (">=", 2.0, 1),
        (">=", 2.0, 2),
        (">=", 2.0, 2),
    ]


# A criteria rule over a scale whose id ends in a number (part3), and over item 3 itself. (A
# scale id ending in _<digits>, part_3, is refused: its column would read as item 3.)
SPEC = textwrap.dedent(
    """
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
      - {n: 3, label: three}
    scales:
      - {id: part3, label: Part, method: sum, items: [1], source: src}
      - {id: total, label: Total, method: sum, items: [1, 2, 3], source: src}
    classifications:
      - id: rule
        type: criteria
        source: src
        require:
          - {scales: [part3], operator: ">=", value: 2, at_least: 1}
          - {items: [3], operator: ">=", value: 1, at_least: 1}
    """
)


def test_a_scale_named_like_an_item_column_is_refused():
    with pytest.raises(InstrumentDefinitionError, match=r"scales\[0\]\.id: .*'part_3'"):
        parse_instrument(SPEC.replace("part3", "part_3"))


def test_a_scale_ending_in_a_number_is_read_as_the_scale():
    inst = parse_instrument(SPEC)
    req = inst.classifications["demo_rule"].require
    assert req[0].scales == ("demo_part3",) and req[0].items == ()
    assert req[1].items == (3,) and req[1].scales == ()
    data = pd.DataFrame({"demo_1": [2, 0, 2], "demo_2": [0, 0, 0], "demo_3": [0, 3, 1]})
    out = score(data, instrument=inst)
    # item 3 answered 0/3/1, item 1 (scale part3) 2/0/2: only the last row meets both
    assert out["demo_rule"].tolist() == [False, False, True]


EXPECTED_PRIMARY = {
    "caps5": "caps5_total",  # primary responder rule mapp
    "ebi": "ebi_total",  # the total
    "fsds": "fsds_total",
    "fsdsr": "fsdsr_total",  # change criteria
    "fsfi": "fsfi_total",  # change criteria (not the first scale, fsfi_desire)
    "gad7": "gad7_total",
    "iief": "iief_ef",  # primary responder rule ef_mcid
    "iief5": "iief5_total",
    "meq30": "meq30_total",  # the scale with id total (not the first, meq30_mystical)
    "pcl5": "pcl5_total",
    "phq9": "phq9_total",
    "sds": "sds_total",
}


@pytest.mark.parametrize("inst_id", SPEC_IDS)
def test_primary_scale_follows_the_documented_rule(inst_id):
    inst = load_instrument(inst_id)
    primary = inst.primary_scale
    assert isinstance(primary, Scale)
    if inst.primary_responder_rule is not None:
        assert primary.column == inst.responder_rules[inst.primary_responder_rule].scale
    elif inst.change:
        assert primary.column == next(iter(inst.change))
    if inst_id in EXPECTED_PRIMARY:
        assert primary.column == EXPECTED_PRIMARY[inst_id]


def test_primary_scale_falls_back_to_total_then_first():
    inst = parse_instrument(SPEC)
    assert inst.primary_scale.column == "demo_total"
    no_total = parse_instrument(SPEC.replace("id: total", "id: whole"))
    assert no_total.primary_scale.column == "demo_part3"


def test_cutoffs_of_a_scale():
    phq9 = load_instrument("phq9")
    (cut,) = phq9.cutoffs()
    assert isinstance(cut, Classification)
    assert (cut.column, cut.operator, cut.value, cut.rule_text) == (
        "phq9_probable_depression",
        ">=",
        10.0,
        ">= 10",
    )
    assert phq9.cutoffs("total") == phq9.cutoffs("phq9_total") == (cut,)
    fsfi = load_instrument("fsfi")
    assert [c.rule_text for c in fsfi.cutoffs()] == ["<= 26.55"]
    assert fsfi.cutoffs("desire") == ()


def test_bands_of_a_scale_tile_its_range():
    gad7 = load_instrument("gad7")
    (band,) = gad7.bands()
    assert band.type == "bands" and band.source in gad7.sources
    assert all(isinstance(b, Band) for b in band.bands)
    assert band.bands[0].min == gad7.primary_scale.range[0]
    assert band.bands[-1].max == gad7.primary_scale.range[1]
    assert [b.min for b in band.bands] == sorted(b.min for b in band.bands)
    assert load_instrument("iief").bands("ef")[0].column == "iief_ef_band"
    assert load_instrument("pcl5").bands() == ()


def test_direction_of_a_scale():
    assert load_instrument("phq9").direction() == "lower-is-better"
    assert load_instrument("fsfi").direction("fsfi_desire") == "higher-is-better"
    iief = load_instrument("iief")
    assert iief.direction("ef") == iief.scales["iief_ef"].direction
    assert iief.default_direction == "higher-is-better"


def test_queries_refuse_an_unknown_scale():
    phq9 = load_instrument("phq9")
    for query in (phq9.cutoffs, phq9.bands, phq9.direction):
        with pytest.raises(KeyError, match="phq9 has no scale 'nope'; its scales are phq9_total"):
            query("nope")


def test_classification_rule_text_is_empty_without_an_operator():
    band = load_instrument("phq9").bands()[0]
    assert band.rule_text == ""
    flag = load_instrument("phq9").classifications["phq9_item9_flag"]
    assert flag.rule_text == "> 0"


def test_scoring_a_criteria_rule_matches_a_direct_count():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        rng.integers(0, 5, size=(200, 20)), columns=[f"caps5_{n}" for n in range(1, 21)]
    )
    out = score(data, instrument="caps5")["caps5_dx"].to_numpy(dtype=bool)
    x = data.to_numpy() >= 2
    expected = (
        (x[:, 0:5].sum(1) >= 1)
        & (x[:, 5:7].sum(1) >= 1)
        & (x[:, 7:14].sum(1) >= 2)
        & (x[:, 14:20].sum(1) >= 2)
    )
    np.testing.assert_array_equal(out, expected)
