"""Contract suite over every bundled spec: a new instrument needs no new test code."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from past_outcomes import list_instruments, load_instrument, score
from past_outcomes.instrument import instruments_dir

# The contract is about scores and labels, not about the note on unverified cutoffs (FSDS,
# FSDS-R): that warning is tested in test_spec_columns.py.
pytestmark = pytest.mark.filterwarnings("ignore::past_outcomes.errors.UnverifiedRuleWarning")

SPEC_PATHS = sorted(instruments_dir().glob("*.yaml"))
SPEC_IDS = [p.stem for p in SPEC_PATHS]


def test_bundled_specs_are_found():
    assert len(SPEC_PATHS) >= 11
    assert {"fsfi", "caps5", "pcl5", "iief", "iief5", "fsds", "fsdsr", "phq9", "gad7"} <= set(
        SPEC_IDS
    )


def test_list_instruments_lists_every_spec_once():
    table = list_instruments()
    assert sorted(table["id"]) == sorted(SPEC_IDS)
    assert table["id"].is_unique


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_spec_loads_and_file_name_matches_id(path: Path):
    inst = load_instrument(path)
    assert inst.id == path.stem
    assert inst.sources, "a spec must cite its sources"
    assert inst.licence.strip()


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_every_rule_cites_a_declared_source(path: Path):
    inst = load_instrument(path)
    cited = [s.source for s in inst.scales.values()]
    cited += [s.proration.source for s in inst.scales.values() if s.proration]
    cited += [c.source for c in inst.classifications.values()]
    cited += [r.source for r in inst.responder_rules.values()]
    for crit in inst.change.values():
        for part in (
            crit.reliability,
            crit.clinical,
            crit.functional,
            crit.mcid,
            crit.reliable_change,
        ):
            if part is not None:
                cited.append(part.source)
    assert cited and all(src in inst.sources for src in cited)


def _answers(inst, which: str) -> pd.DataFrame:
    row = {it.column: (it.min if which == "min" else it.max) for it in inst.items}
    return pd.DataFrame([row])


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
@pytest.mark.parametrize("which", ["min", "max"])
def test_extreme_answers_give_the_scale_extremes(path: Path, which: str):
    inst = load_instrument(path)
    out = score(_answers(inst, which), instrument=inst)
    for col, scale in inst.scales.items():
        expected = scale.range[0] if which == "min" else scale.range[1]
        # reverse-keyed items would swap the extremes; none are declared in bundled specs
        assert out[col].iloc[0] == pytest.approx(expected), col


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_output_columns_are_prefixed_and_unique(path: Path):
    inst = load_instrument(path)
    out = score(_answers(inst, "max"), instrument=inst)
    assert list(out.columns[: len(inst.output_columns)]) == list(inst.output_columns)
    assert out.columns.is_unique
    assert all(c.startswith(f"{inst.id}_") for c in out.columns)
    assert f"{inst.id}_n_answered" in out.columns


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_bands_tile_the_scale_range(path: Path):
    # the rule of instruments/README.md: band i covers [min_i, min_i+1), the last [min, max];
    # integer-valued scales write bands inclusively with whole-number edges (0-4, 5-9)
    inst = load_instrument(path)
    for cls in inst.classifications.values():
        if cls.type != "bands":
            continue
        scale = inst.scales[cls.scale]
        step = 1.0 if scale.integer_valued else 0.0
        assert cls.bands[0].min == scale.range[0]
        assert cls.bands[-1].max == scale.range[1]
        for prev, nxt in zip(cls.bands, cls.bands[1:], strict=False):
            assert nxt.min == prev.max + step, (prev, nxt)
        if scale.integer_valued:
            covered = [v for b in cls.bands for v in range(int(b.min), int(b.max) + 1)]
            assert covered == list(range(int(scale.range[0]), int(scale.range[1]) + 1))
            assert all(float(b.min).is_integer() and float(b.max).is_integer() for b in cls.bands)


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_every_score_in_the_range_gets_exactly_one_band(path: Path):
    inst = load_instrument(path)
    for cls in inst.classifications.values():
        if cls.type != "bands":
            continue
        lo, hi = inst.scales[cls.scale].range
        # a fine grid, including prorated (non-integer) values of integer-valued scales
        grid = np.linspace(lo, hi, 1001)
        mins = np.array([b.min for b in cls.bands])
        index = np.searchsorted(mins, grid, side="right") - 1
        assert (index >= 0).all() and (index < len(cls.bands)).all()
        for value, i in zip(grid, index, strict=True):
            band = cls.bands[i]
            upper = cls.bands[i + 1].min if i + 1 < len(cls.bands) else hi
            assert band.min <= value and (value < upper or value == hi), (value, band)


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_spec_is_within_the_loader_bounds(path: Path):
    from past_outcomes.instrument import MAX_SPEC_BYTES

    # a wide margin under the size cap, so that the cap never bites a real spec
    assert path.stat().st_size < MAX_SPEC_BYTES / 20


def _random_answers(inst, data: st.DataObject, n: int) -> pd.DataFrame:
    cols = {}
    for it in inst.items:
        if it.integer:
            strat = st.integers(int(it.min), int(it.max))
        else:
            strat = st.floats(it.min, it.max, allow_nan=False)
        cols[it.column] = data.draw(st.lists(strat, min_size=n, max_size=n), label=it.column)
    return pd.DataFrame(cols)


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_scores_stay_inside_their_declared_range(path: Path, data):
    inst = load_instrument(path)
    frame = _random_answers(inst, data, 5)
    out = score(frame, instrument=inst)
    for col, scale in inst.scales.items():
        values = out[col].to_numpy()
        assert not np.isnan(values).any()
        assert (values >= scale.range[0] - 1e-9).all() and (values <= scale.range[1] + 1e-9).all()


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_missing_item_never_yields_a_number_under_complete(path: Path, data):
    inst = load_instrument(path)
    frame = _random_answers(inst, data, 3).astype(float)
    victim = data.draw(st.sampled_from(inst.items), label="missing item")
    frame[victim.column] = math.nan
    out = score(frame, instrument=inst, missing="complete")
    for col, scale in inst.scales.items():
        if victim.n in scale.items:
            assert out[col].isna().all(), col
        else:
            assert out[col].notna().all(), col


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_scores_are_monotone_in_each_item(path: Path, data):
    inst = load_instrument(path)
    frame = _random_answers(inst, data, 1).astype(float)
    item = data.draw(st.sampled_from(inst.items), label="raised item")
    raised = frame.copy()
    raised[item.column] = item.max
    before, after = score(frame, instrument=inst), score(raised, instrument=inst)
    for col in inst.scales:
        assert after[col].iloc[0] >= before[col].iloc[0] - 1e-12


@pytest.mark.parametrize("path", SPEC_PATHS, ids=SPEC_IDS)
def test_unverified_rules_and_cutoffs_say_what_is_missing(path: Path):
    """A rule or cutoff marked unverified carries a note saying what was not checked; a
    multi-visit rule names an earlier single-visit rule on its own scale."""
    inst = load_instrument(path)
    marked = [*inst.responder_rules.values(), *inst.classifications.values()]
    for item in marked:
        if item.verification == "unverified":
            assert item.note and "verif" in item.note.lower(), item.id
    for rule in inst.responder_rules.values():
        if rule.base_rule is not None:
            base = inst.responder_rules[rule.base_rule]
            assert base.base_rule is None and base.scale == rule.scale
        if rule.eligible is not None:
            lo, hi = inst.scales[rule.scale].range
            assert lo < rule.eligible["value"] <= hi, rule.id


def test_issue13_bundled_facts():
    """The corrections of issue 13 as data: NCQA eligibility, the FSFI satisfaction floor,
    the unverified MAPP rules and FSDS cutoffs, and MEQ30 labels in the official order."""
    phq9 = load_instrument("phq9")
    for rid in ("response50", "remission"):
        assert phq9.responder_rules[rid].eligible == {
            "operator": ">=", "value": 10.0, "note": phq9.responder_rules[rid].eligible["note"]
        }  # fmt: skip
    assert load_instrument("fsfi").scales["fsfi_satisfaction"].proration.floor == 0.8
    caps = load_instrument("caps5")
    assert {r.verification for r in caps.responder_rules.values()} == {"unverified"}
    for inst_id in ("fsds", "fsdsr"):
        assert load_instrument(inst_id).classifications[f"{inst_id}_distress"].verification == (
            "unverified"
        )
    meq = load_instrument("meq30")
    # official order (three independent implementations agree): a sample across factors
    assert meq.item(5).label == "feeling of eternity or infinity"
    assert meq.item(17).label == "experience of ecstasy"
    assert meq.item(27).label == "sense of awe"
    assert meq.item(30).label == "feelings of joy"


SPEC_HEAD = """
id: demo
name: Demo
sources: {a: "Source A"}
licence: "none"
recall_period: now
administration: self-report
direction: lower-is-better
response: {min: 0, max: 3, source: a}
items: [{n: 1, label: one}, {n: 2, label: two}]
scales: [{id: total, label: Total, method: sum, items: [1, 2], source: a}]
responders:
  rules:
    - {id: fall2, label: Fall of 2, scale: total, kind: change, threshold: 2, source: a}
"""


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{id: s, label: S, scale: total, kind: sustained, source: a}",
         r"responders.rules\[1\].base_rule.*must name a single-visit rule defined above"),
        ("{id: s, label: S, scale: total, kind: sustained, base_rule: s2, source: a}",
         "must name a single-visit rule defined above"),
        ("{id: s, label: S, scale: total, kind: durable, base_rule: fall2, threshold: 3, "
         "source: a}", "takes its thresholds from its base_rule; remove threshold"),
        ("{id: s, label: S, scale: total, kind: change, threshold: 2, base_rule: fall2, "
         "source: a}", "only a sustained or durable rule names a base rule"),
        ("{id: s, label: S, scale: total, kind: change, threshold: 2, source: a, "
         "eligible: {operator: '=>', value: 2}}", "operator must be one of"),
        ("{id: s, label: S, scale: total, kind: change, threshold: 2, source: a, "
         "eligible: {value: 2}}", r"eligible.operator.*is required"),
        ("{id: s, label: S, scale: total, kind: change, threshold: 2, source: a, "
         "verification: maybe}", "verification.*must be one of verified, unverified"),
    ],
)  # fmt: skip
def test_multi_visit_and_eligibility_vocabulary_is_checked(rule: str, message: str):
    from past_outcomes import InstrumentDefinitionError
    from past_outcomes.instrument import parse_instrument

    with pytest.raises(InstrumentDefinitionError, match=message):
        parse_instrument(SPEC_HEAD + f"    - {rule}\n")
    ok = parse_instrument(
        SPEC_HEAD + "    - {id: s, label: S, scale: total, kind: sustained, base_rule: fall2, "
        "source: a, verification: unverified, eligible: {operator: '>=', value: 2}}\n"
    )
    assert ok.responder_rules["s"].base_rule == "fall2"
