"""Instrument ids with underscores, the one reader of ``<id>_<n>`` item columns, instruments
that would share a column, and the note on outputs resting on unverified rules (issue 13)."""

from __future__ import annotations

import re
import textwrap
import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes import load_instrument, parse_instrument, score
from past_outcomes._spec_columns import check_distinct_columns, claimed_columns, parse_item_column
from past_outcomes.errors import (
    ArgumentError,
    InstrumentDefinitionError,
    PastOutcomesWarning,
    UnknownInstrumentError,
    UnverifiedRuleWarning,
)
from past_outcomes.instrument import (
    COLUMN_SUB_ID_PATTERN,
    ID_PATTERN,
    ITEM_COLUMN_PATTERN,
    UnverifiedRule,
    instruments_dir,
    unverified_note,
)

BUNDLED = sorted(p.stem for p in instruments_dir().glob("*.yaml"))


def _spec(inst_id: str, *, scale: str = "total", extra: str = "") -> str:
    return textwrap.dedent(
        f"""
        id: {inst_id}
        name: Demo
        sources: {{src: "A. Demo. J 2020.", other: "{"B. " * 120}Long source."}}
        licence: public domain
        recall_period: past week
        administration: self-report
        direction: lower-is-better
        response: {{min: 0, max: 3, source: src}}
        items:
          - {{n: 1, label: one}}
          - {{n: 2, label: two}}
        scales:
          - {{id: {scale}, label: Total, method: sum, items: [1, 2], source: src,
              proration: {{min_answered: 1, source: src}}}}
        """
    ) + textwrap.dedent(extra)


# -- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["phq9", "cssrs_screen", "nsss_s", "a1_b2_c3", "phq_9"])
def test_an_id_may_join_words_with_single_underscores(good):
    assert ID_PATTERN.fullmatch(good)
    inst = parse_instrument(_spec(good))
    assert inst.item_columns == (f"{good}_1", f"{good}_2")
    assert f"{good}_total" in inst.scales


@pytest.mark.parametrize("bad", ["a__b", "a_", "_a", "1a", "a_B", "a-b", "cssrs_screen\n", "a b"])
def test_an_id_with_a_double_leading_or_trailing_underscore_is_refused(bad):
    assert not ID_PATTERN.fullmatch(bad)
    with pytest.raises(InstrumentDefinitionError, match=r"at id: must be lower-case letters"):
        parse_instrument(_spec(repr(bad) if "\n" in bad else f'"{bad}"'))


def test_the_screener_is_bundled_as_cssrs_screen_only():
    assert "cssrs_screen" in BUNDLED and "cssrsscreen" not in BUNDLED
    assert load_instrument("cssrs_screen").item_columns[0] == "cssrs_screen_1"
    with pytest.raises(UnknownInstrumentError, match="No bundled instrument 'cssrsscreen'"):
        load_instrument("cssrsscreen")


def test_an_underscore_id_scores_end_to_end():
    data = pd.DataFrame({"cssrs_screen_" + str(n): [0, 1] for n in range(1, 8)})
    out = score(data, instrument="cssrs_screen")
    assert out["cssrs_screen_yes_count"].tolist() == [0, 6]
    assert out["cssrs_screen_n_answered"].tolist() == [7, 7]


# -- item columns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("cssrs_screen_3", ("cssrs_screen", 3)),
        ("phq9_10", ("phq9", 10)),
        ("phq_9_1", ("phq_9", 1)),  # the item number follows the LAST underscore
        ("a_9999", ("a", 9999)),
        ("phq9_total", None),  # an output column: declared, never parsed
        ("phq9_0", None),
        ("phq9_01", None),
        ("phq9_10000", None),
        ("phq9", None),
        ("a__b_1", None),
        ("phq9_1\n", None),
        (3, None),
        (None, None),
    ],
)
def test_parse_item_column(name, parsed):
    assert parse_item_column(name) == parsed


_IDS = st.from_regex(r"\A[a-z][a-z0-9]{0,4}(_[a-z0-9]{1,4}){0,3}\Z")
_SUBS = st.from_regex(r"\A[a-z][a-z0-9_]{0,10}\Z").filter(COLUMN_SUB_ID_PATTERN.fullmatch)


@settings(max_examples=300, deadline=None)
@given(inst_id=_IDS, n=st.integers(1, 9999), sub=_SUBS)
def test_item_and_output_columns_never_read_as_each_other(inst_id, n, sub):
    assert parse_item_column(f"{inst_id}_{n}") == (inst_id, n)
    # an output column never looks like an item column, of this or any other instrument
    assert parse_item_column(f"{inst_id}_{sub}") is None
    assert not ITEM_COLUMN_PATTERN.fullmatch(f"{inst_id}_{sub}")


def test_codebook_and_loose_headers_map_underscore_ids(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text("columns: {Q1: cssrs_screen_1}\n")
    assert po.load_codebook(book).columns == {"Q1": "cssrs_screen_1"}
    text = "subject,CSSRS Screen 2,cssrsscreen_3,C-SSRS_screen_4\nA,1,0,1\n"
    (tmp_path / "answers.csv").write_text(text)
    res = po.read_responses(tmp_path / "answers.csv")
    items = [c for c in res.table.columns if c.startswith("cssrs")]
    assert items == ["cssrs_screen_2", "cssrs_screen_3", "cssrs_screen_4"]


# -- columns claimed by instruments scored together ----------------------------------------


def test_instruments_that_would_share_a_column_are_refused():
    parent = parse_instrument(_spec("a", scale="b_total"))
    child = parse_instrument(_spec("a_b", scale="total"))
    assert "a_b_total" in claimed_columns(parent) and "a_b_total" in claimed_columns(child)
    with pytest.raises(ArgumentError, match=r"must not share a column; a_b_total \(a and a_b\)"):
        check_distinct_columns([parent, child])
    # a_b_total_prorated is claimed by both as well (both scales prorate)
    with pytest.raises(ArgumentError, match="a_b_total_prorated"):
        check_distinct_columns([child, parent])


def test_every_bundled_instrument_can_be_scored_with_every_other():
    insts = [load_instrument(i) for i in BUNDLED]
    assert check_distinct_columns(iter(insts)) == insts


@pytest.mark.parametrize(
    ("scale", "extra", "taken"),
    [
        ("n_answered", "", "demo_n_answered"),
        ("prorated", "", "demo_prorated"),
        (
            "total",
            """
            classifications:
              - {id: total_prorated, type: cutoff, scale: total, operator: ">=", value: 3,
                 source: src}
            """,
            "demo_total_prorated",
        ),
    ],
)
def test_a_scale_or_classification_named_like_a_column_scoring_adds_is_refused(scale, extra, taken):
    with pytest.raises(InstrumentDefinitionError, match=f"{taken} are also columns that scoring"):
        parse_instrument(_spec("demo", scale=scale, extra=extra))


# -- outputs resting on unverified rules ----------------------------------------------------


def test_unverified_rules_of_the_bundled_specs():
    (fsds,) = load_instrument("fsds").unverified_rules()
    assert fsds == UnverifiedRule(
        "fsds_distress",
        "cutoff",
        "Sexually related personal distress (>= 15): fsds_total >= 15",
        load_instrument("fsds").sources["fsds_cutoff"],
    )
    (fsdsr,) = load_instrument("fsdsr").unverified_rules()
    assert fsdsr.name == "fsdsr_distress" and fsdsr.what.endswith("fsdsr_total >= 11")
    caps5 = load_instrument("caps5")
    assert [r.name for r in caps5.unverified_rules()] == ["caps5:mapp", "caps5:improvement10"]
    assert {r.kind for r in caps5.unverified_rules()} == {"responder rule"}
    assert caps5.unverified_rules(responder_rules=False) == ()
    marked = {i for i in BUNDLED if load_instrument(i).unverified_rules()}
    assert marked == {"fsds", "fsdsr", "caps5"}


def test_unverified_note_is_one_message_naming_outputs_instrument_rule_and_source():
    insts = [load_instrument(i) for i in ("phq9", "fsds", "fsdsr", "caps5")]
    note = unverified_note(insts)
    assert note is not None and note.count("Output(s) resting") == 1
    assert "fsds_distress (FSDS cutoff 'Sexually related personal distress (>= 15)" in note
    assert "fsdsr_distress (FSDS-R cutoff" in note and "fsdsr_total >= 11" in note
    assert "source to check: Total >= 15 indicates" in note
    assert "Derogatis L, Clayton A" in note  # the FSDS-R citation, cut to 200 characters
    assert "caps5" not in note  # score() outputs nothing resting on the MAPP rules
    assert "caps5:mapp (CAPS-5 responder rule" in unverified_note(insts, responder_rules=True)
    assert unverified_note(load_instrument("fsds")) == unverified_note([insts[1]])


def test_no_note_without_an_unverified_rule():
    assert unverified_note([load_instrument(i) for i in ("phq9", "gad7", "fsfi")]) is None
    assert unverified_note([]) is None


def test_a_levels_classification_on_an_unverified_flag_is_named_and_long_sources_cut():
    extra = """
    classifications:
      - {id: high, type: cutoff, scale: total, operator: ">=", value: 4, source: other,
         verification: unverified}
      - {id: grade, type: levels, source: src, levels: [{label: high, classification: high}],
         otherwise: low}
      - {id: ok, type: cutoff, scale: total, operator: "<", value: 4, source: src,
         verification: verified}
    """
    inst = parse_instrument(_spec("demo", extra=extra))
    note = unverified_note(inst)
    assert note is not None
    assert "demo_high, demo_grade (DEMO cutoff 'high: demo_total >= 4'" in note
    cited = re.search(r"source to check: (B\. .*?)\)", note)
    assert cited is not None and len(cited.group(1)) == 200 and cited.group(1).endswith("...")
    assert "demo_ok" not in note


def test_the_warning_class_is_public():
    assert issubclass(UnverifiedRuleWarning, PastOutcomesWarning)
    assert po.UnverifiedRuleWarning is UnverifiedRuleWarning
    with pytest.warns(UnverifiedRuleWarning, match="fsds_distress"):
        message = unverified_note(load_instrument("fsds"))
        warnings.warn(message, UnverifiedRuleWarning, stacklevel=1)


def test_score_warns_once_naming_the_outputs_resting_on_unverified_cutoffs():
    data = pd.DataFrame({f"fsds_{n}": [2] for n in range(1, 13)})
    data = data.join(pd.DataFrame({f"phq9_{n}": [1] for n in range(1, 10)}))
    with pytest.warns(UnverifiedRuleWarning) as record:
        out = score(data, instrument=["phq9", "fsds"])
    assert len(record) == 1
    assert str(record[0].message) == unverified_note(load_instrument("fsds"))
    assert out["fsds_distress"].tolist() == [True]  # 24 >= 15: the label is still given
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score(data, instrument="phq9")  # nothing unverified: no warning
