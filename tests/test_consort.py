"""build_consort: CONSORT 2010 counts from the data, the diagram, and hostile disposition data.

Expected counts are counted by hand from the small frames written here (each count's
derivation is in a comment), or derived independently from mdma_trial.csv (who has which
visits) for the bundled disposition file.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.consort import BOXES, NOT_RECORDED, TERMINAL_BOXES, build_consort
from past_outcomes.errors import ArgumentError, DataValidationError


def small() -> pd.DataFrame:
    """Ten rows: 2 screened out (g, h), 4 randomized to A (a, b, c, i), 4 to B (d, e, f, j)."""
    return pd.DataFrame(
        {
            "subject": list("abcdefghij"),
            "group": ["A", "A", "A", "B", "B", "B", None, None, "A", "B"],
            "randomized": [True] * 6 + [False, False, True, True],
            "treated": [True, True, False, True, True, True, None, None, True, True],
            "discontinued": [None, "w2", "w1", None, "w3", None, None, None, None, "w2"],
            "discontinuation_reason": [
                None, "adverse event", "withdrew consent", None, None, None,
                "not eligible", None, None, "adverse event",
            ],
        }
    )  # fmt: skip


def long_outcome() -> pd.DataFrame:
    """Outcome data for small(): c has a baseline only, j has no rows, e's post value is NaN."""
    rows = []
    for s in "abdfi":
        rows += [(s, "w0", 10.0), (s, "w1", 8.0)]
    rows += [("c", "w0", 12.0), ("e", "w0", 9.0), ("e", "w1", np.nan)]
    return pd.DataFrame(rows, columns=["subject", "timepoint", "score"])


# ------------------------------------------------------------------------------------------
# counts against hand-counted frames


def test_every_box_of_a_small_trial_counted_by_hand():
    flow = build_consort(small(), analysed={"a", "b", "d", "e", "f", "i"})
    c = flow.count
    assert c("assessed for eligibility") == 10  # every row
    assert c("excluded before randomization") == 2  # g, h
    assert c("excluded before randomization", None, "not eligible") == 1  # g
    assert c("excluded before randomization", None, NOT_RECORDED) == 1  # h: no reason
    assert c("randomized") == 8
    assert (c("allocated", "A"), c("allocated", "B")) == (4, 4)  # a b c i / d e f j
    assert c("received allocated intervention", "A") == 3  # c was not treated
    assert c("did not receive allocated intervention", "A", "withdrew consent") == 1  # c
    assert c("did not receive allocated intervention", "B") == 0
    assert (c("discontinued", "A"), c("discontinued", "B")) == (2, 2)  # b c / e j
    assert c("discontinued", "A", "adverse event") == 1  # b
    assert c("discontinued", "A", "withdrew consent") == 1  # c
    assert c("discontinued", "B", NOT_RECORDED) == 1  # e: discontinued, no reason
    assert c("discontinued", "B", "adverse event") == 1  # j
    assert (c("completed follow-up", "A"), c("completed follow-up", "B")) == (2, 2)
    assert (c("analysed", "A"), c("analysed", "B")) == (3, 3)  # a b i / d e f
    assert c("excluded from analysis", "A", "not in the analysis set") == 1  # c
    assert c("excluded from analysis", "B", "not in the analysis set") == 1  # j
    assert flow.groups == ("A", "B")
    boxes = flow.subjects.set_index("subject")["box"]
    assert boxes[["g", "h"]].tolist() == ["not randomized"] * 2
    assert boxes[["c", "j"]].tolist() == ["excluded from analysis"] * 2
    assert any("reason not recorded" in n for n in flow.notes())


def test_analysed_from_long_outcome_data():
    flow = build_consort(small(), data=long_outcome(), measure="score", pre="w0")
    sub = flow.subjects.set_index("subject")
    # c: baseline only; e: its post-baseline value is missing; j: no rows at all
    assert sub.loc[["c", "e", "j"], "box_reason"].tolist() == [
        "no post-baseline score",
        "no post-baseline score",
        "no score data",
    ]
    assert sub.loc[["a", "b", "d", "f", "i"], "analysed"].all()
    assert (flow.count("analysed", "A"), flow.count("analysed", "B")) == (3, 2)
    assert flow.count("excluded from analysis", "B", "no score data") == 1
    assert "post-baseline score" in flow.notes()[0]


def test_analysed_from_a_flag_column_and_intention_to_treat_by_default():
    d = small().assign(in_fas=[True, True, False, True, True, True, None, None, True, False])
    flow = build_consort(d, analysed="in_fas")
    assert flow.count("excluded from analysis", "A", "in_fas is False") == 1
    itt = build_consort(d)
    assert itt.count("analysed", "A") + itt.count("analysed", "B") == 8
    assert "intention to treat" in itt.notes()[0]


def test_randomized_subjects_only_draws_no_eligibility_boxes():
    d = small()
    d = d[d["randomized"]].drop(columns="randomized")
    flow = build_consort(d, randomized=None, treated=None)
    assert flow.count("randomized") == 8
    assert not flow.screened
    assert "assessed for eligibility" not in set(flow.table["box"])
    assert flow.count("received allocated intervention", "A") == 4  # treated=None: all
    assert any("randomized subjects only" in n for n in flow.notes())


def test_the_table_is_tidy_ordered_and_its_reasons_add_up():
    flow = build_consort(small(), analysed={"a", "b", "d", "e", "f", "i"})
    t = flow.table
    assert list(t.columns) == ["stage", "box", "detail", "group", "n"]
    assert t["n"].dtype == "int64"
    ranks = [BOXES.index(b) for b in t["box"]]
    assert ranks == sorted(ranks)
    totals = t[t["detail"] == ""].set_index(["box", "group"])["n"]
    parts = t[t["detail"] != ""].groupby(["box", "group"], dropna=False)["n"].sum()
    for key, n in parts.items():
        assert totals[key] == n, key
    wide = flow.to_wide()
    assert list(wide.columns) == ["stage", "box", "detail", "all", "A", "B"]
    row = wide[(wide["box"] == "discontinued") & (wide["detail"] == NOT_RECORDED)]
    assert row[["A", "B"]].values.tolist() == [[0, 1]]  # a 0 count, not missing
    assert wide["detail"][wide["box"] == "discontinued"].tolist()[-1] == NOT_RECORDED


def test_the_input_is_not_modified():
    d, data = small(), long_outcome()
    before, before_data = d.copy(), data.copy()
    build_consort(d, data=data, measure="score", pre="w0")
    pd.testing.assert_frame_equal(d, before)
    pd.testing.assert_frame_equal(data, before_data)


def test_a_duplicated_index_and_text_flags_are_read():
    d = small()
    d.index = [0] * len(d)
    d["randomized"] = d["randomized"].map({True: "True", False: "false"})
    flow = build_consort(d)
    assert flow.count("randomized") == 8


# ------------------------------------------------------------------------------------------
# the bundled trial


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    t = po.read_dataset("mdma_trial")
    items = [f"caps5_{i}" for i in range(1, 21)]
    return t.assign(caps5_total=t[items].astype("float64").sum(axis=1))


@pytest.fixture(scope="module")
def bundled(trial) -> po.ConsortResult:
    return build_consort(
        po.read_dataset("mdma_trial_disposition"), group="arm", data=trial,
        measure="caps5_total", pre="baseline", treatment="mdma", control="placebo",
    )  # fmt: skip


def test_the_bundled_flow_equals_what_mdma_trial_shows(bundled, trial):
    arms = trial.groupby("subject")["arm"].first()
    visits = trial.groupby("subject")["timepoint"].agg(lambda t: set(t.astype(str)))
    dropped = visits.map(lambda v: "week18" not in v)
    post = visits.map(lambda v: bool(v - {"baseline"}))
    for arm in ("mdma", "placebo"):
        mine = arms == arm
        assert bundled.count("allocated", arm) == int(mine.sum())
        assert bundled.count("discontinued", arm) == int((mine & dropped).sum())
        assert bundled.count("completed follow-up", arm) == int((mine & ~dropped).sum())
        assert bundled.count("analysed", arm) == int((mine & post).sum())
    assert bundled.count("randomized") == len(arms) == 104
    # the published split of the synthetic calibration: 1 and 9 dropouts
    assert (bundled.count("discontinued", "mdma"), bundled.count("discontinued", "placebo")) == (
        1,
        9,
    )
    reasons = bundled.table.query("box == 'discontinued' and detail != ''")
    assert reasons["n"].sum() == 10 and NOT_RECORDED not in set(reasons["detail"])


def test_the_plot_draws_every_count(bundled):
    ax = bundled.plot()
    text = " ".join(t.get_text() for t in ax.texts).replace("\u00a0", " ")
    for needle in ("Randomized (n = 104)", "Allocated to mdma (n = 53)",
                   "Allocated to placebo (n = 51)", "Discontinued (n = 9)",
                   "Discontinued (n = 1)", "Analysed (n = 53)", "Analysed (n = 51)",
                   "Completed follow-up (n = 42)"):  # fmt: skip
        assert needle in text, needle
    for r in bundled.table.query("detail != '' and group == 'placebo'").itertuples():
        assert f"{r.detail} (n = {r.n})" in text
    w, h = ax.figure.get_size_inches()
    assert 6 < w < 10 and 4 < h < 12  # readable at notebook size
    plt.close(ax.figure)


def test_the_svg_and_the_alt_text(bundled):
    svg = bundled.to_svg()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Randomized (n\u00a0=\u00a0104)" in svg  # text kept as text
    assert svg == bundled.to_svg()  # stable: no date, fixed ids
    alt = bundled.alt_text()
    assert "104 randomized" in alt and "placebo: 51 allocated" in alt and "9 discontinued" in alt
    figure = po.format_figure(bundled.plot().figure, alt=alt)
    assert figure.png.startswith(b"\x89PNG")
    assert plt.get_fignums() == []


def test_a_screened_flow_draws_the_excluded_box():
    flow = build_consort(small())
    ax = flow.plot()
    text = " ".join(t.get_text() for t in ax.texts).replace("\u00a0", " ")
    assert "Assessed for eligibility (n = 10)" in text and "Excluded (n = 2)" in text
    plt.close(ax.figure)


# ------------------------------------------------------------------------------------------
# hostile input


def test_a_subject_on_two_rows_in_two_arms_is_named():
    d = small()
    d.loc[9, "subject"] = "a"  # j becomes a second row of a, in arm B
    with pytest.raises(DataValidationError, match="subject a must be on one row") as info:
        build_consort(d)
    fc = info.value.failure_cases
    assert fc["reason"].tolist() == [
        "duplicate-observation",
        "duplicate-observation",
        "inconsistent-group",
    ]
    assert fc["row"].tolist() == [0, 9, 0]
    assert "subject a must be in one group; it is in 'A' and 'B'" in str(info.value)


def test_an_arm_that_is_neither_arm_named_is_refused():
    d = small()
    d.loc[3, "group"] = "b"
    with pytest.raises(DataValidationError, match=r"group must be one of 'A', 'B'; got 'b'"):
        build_consort(d, treatment="A", control="B")


def test_a_randomized_subject_without_an_arm_and_bad_flags_are_listed_together():
    d = small().astype({"treated": object, "randomized": object})
    d.loc[0, "group"] = None
    d.loc[1, "treated"] = "sometimes"
    d.loc[2, "randomized"] = None
    with pytest.raises(DataValidationError, match="3 invalid cell") as info:
        build_consort(d)
    fc = info.value.failure_cases
    assert sorted(zip(fc["row"], fc["column"], fc["reason"], strict=True)) == [
        (0, "group", "missing-value"),
        (1, "treated", "not-a-boolean"),
        (2, "randomized", "missing-value"),
    ]


def test_a_reason_without_a_discontinuation_is_refused():
    d = small()
    d.loc[0, "discontinuation_reason"] = "other"
    with pytest.raises(DataValidationError, match="subject a has a discontinuation_reason"):
        build_consort(d)


def test_a_discontinued_subject_without_a_reason_is_counted_never_dropped():
    d = small().assign(discontinuation_reason=None)
    flow = build_consort(d)
    assert flow.count("discontinued", "A", NOT_RECORDED) == flow.count("discontinued", "A") == 2


def test_a_missing_subject_is_named():
    d = small()
    d.loc[4, "subject"] = "  "
    with pytest.raises(DataValidationError, match="subject must identify every row; row 4"):
        build_consort(d)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group": "arm"}, r"disposition must have the column\(s\) 'arm'"),
        ({"treatment": "A"}, "treatment and control must be given together"),
        ({"treatment": "A", "control": "A"}, "must be different arms"),
        # found by the attack suite: an array as an arm raised numpy's "truth value of an
        # array is ambiguous"; a list, a NaN arm, likewise not one label
        ({"treatment": np.array([1.0, np.nan]), "control": "B"}, "treatment must be one arm label"),
        ({"treatment": "A", "control": ["B"]}, "control must be one arm label"),
        ({"treatment": float("nan"), "control": "B"}, "treatment must be one arm label"),
        ({"analysed": {"a"}, "data": "x"}, "analysed and data must not both be given"),
        ({"analysed": {"a", "zz"}}, "analysed must name randomized subjects.*'zz'"),
        ({"analysed": {"a", "g"}}, "analysed must name randomized subjects.*'g'"),
        ({"analysed": [True, False]}, "analysed must hold subject ids"),
        ({"analysed": 3}, "analysed must be None, a column name"),
        # found by the attack suite: a 2-D array raised "unhashable type: 'list'"
        ({"analysed": np.array([[0.0, 1.0]])}, r"analysed must hold subject ids .*\(list\)"),
        ({"analysed": [["a"], "b"]}, r"analysed must hold subject ids .*\['a'\]"),
        ({"analysed": "nope"}, r"disposition must have the column\(s\) 'nope'"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        build_consort(small(), **kwargs)


def test_outcome_data_errors():
    d, data = small(), long_outcome()
    with pytest.raises(ArgumentError, match="measure and pre must be given with data"):
        build_consort(d, data=data, measure="score")
    with pytest.raises(ArgumentError, match="pre must be a value of the 'timepoint' column"):
        build_consort(d, data=data, measure="score", pre="week0")
    stranger = pd.concat([data, pd.DataFrame({"subject": ["zz"], "timepoint": ["w1"]})])
    with pytest.raises(ArgumentError, match="data must hold subjects of the disposition.*zz"):
        build_consort(d, data=stranger, measure="score", pre="w0")
    bad = data.assign(score=data["score"].where(data.index != 1, np.inf))
    with pytest.raises(DataValidationError, match="not-finite"):
        build_consort(d, data=bad, measure="score", pre="w0")
    other_arm = data.assign(group="B")  # a, b and i are in A in the disposition table
    with pytest.raises(DataValidationError, match="subject a must be in the same group"):
        build_consort(d, data=other_arm, measure="score", pre="w0")


def test_no_randomized_subject_and_not_a_frame():
    with pytest.raises(ArgumentError, match="at least one randomized subject; got 2 row"):
        build_consort(small().iloc[6:8])
    with pytest.raises(ArgumentError, match="disposition must be a pandas DataFrame"):
        build_consort([{"subject": "a"}])  # type: ignore[arg-type]
    dup = pd.concat([small(), small()[["group"]]], axis=1)
    with pytest.raises(ArgumentError, match="unique column names"):
        build_consort(dup)


# ------------------------------------------------------------------------------------------
# property: every subject ends in exactly one terminal box


@st.composite
def dispositions(draw):
    n = draw(st.integers(1, 25))
    arms = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    randomized = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    randomized[0] = True
    treated = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    left = draw(st.lists(st.sampled_from([None, "w1", "w2"]), min_size=n, max_size=n))
    why = draw(st.lists(st.sampled_from([None, "adverse event", "other"]), min_size=n, max_size=n))
    # a reason where a randomized subject discontinued, or why a row was not randomized
    why = [
        w if not r or d is not None else None for w, r, d in zip(why, randomized, left, strict=True)
    ]
    analysed = draw(st.sets(st.integers(0, n - 1)))
    frame = pd.DataFrame(
        {"subject": [f"s{i}" for i in range(n)], "group": arms, "randomized": randomized,
         "treated": treated, "discontinued": left, "discontinuation_reason": why}
    )  # fmt: skip
    ids = {f"s{i}" for i in analysed if randomized[i]}
    return frame, ids


@settings(max_examples=40, deadline=None)
@given(dispositions())
def test_every_subject_lands_in_exactly_one_terminal_box(case):
    frame, ids = case
    flow = build_consort(frame, analysed=ids)
    sub = flow.subjects
    assert len(sub) == len(frame) and set(sub["box"]) <= set(TERMINAL_BOXES)
    assert sub["subject"].tolist() == frame["subject"].tolist()
    rand = frame["randomized"].to_numpy()
    assert (sub["box"] == "not randomized").to_numpy().tolist() == (~rand).tolist()
    assert set(sub.loc[sub["box"] == "analysed", "subject"]) == ids
    c = flow.count
    assert c("randomized") == rand.sum()
    assert sum(c("allocated", g) for g in flow.groups) == rand.sum()
    for g in flow.groups:
        assert c("analysed", g) + c("excluded from analysis", g) == c("allocated", g)
        assert c("discontinued", g) + c("completed follow-up", g) == c("allocated", g)
        received = c("received allocated intervention", g)
        assert received + c("did not receive allocated intervention", g) == c("allocated", g)
    if flow.screened:
        assert c("assessed for eligibility") == len(frame)
        assert c("excluded before randomization") + c("randomized") == len(frame)


# ------------------------------------------------------------------------------------------
# attack: hostile cells anywhere give a result or a documented error, never anything else

HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.booleans(),
    st.none(),
    st.just(pd.NA),
    st.complex_numbers(max_magnitude=10, allow_nan=False, allow_infinity=False),
    st.sampled_from(["", " ", "1", "TRUE", "nan", "A", "B", "s0", "w1", "\x00"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([np.int64(1), np.float32(1.5), np.bool_(True), 10**30]),
)


@st.composite
def hostile_dispositions(draw):
    frame, _ = draw(dispositions())
    frame = frame.astype(object)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(frame) - 1))
        col = draw(st.sampled_from(list(frame.columns)))
        frame.iloc[i, frame.columns.get_loc(col)] = draw(HOSTILE)
    if draw(st.booleans()):
        frame = pd.concat([frame, frame.iloc[[draw(st.integers(0, len(frame) - 1))]]])
    return frame.infer_objects() if draw(st.booleans()) else frame


@settings(max_examples=40, deadline=None)
@given(hostile_dispositions(), st.sampled_from([None, ("A", "B")]))
def test_hostile_dispositions_give_a_flow_or_a_documented_error(frame, arms):
    import warnings

    before = frame.copy(deep=True)
    kwargs = {} if arms is None else {"treatment": arms[0], "control": arms[1]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            flow = build_consort(frame, **kwargs)
        except po.PastOutcomesError as exc:
            assert len(str(exc)) < 20_000
        else:
            assert flow.count("randomized") == sum(flow.count("allocated", g) for g in flow.groups)
            assert flow.subjects["box"].isin(TERMINAL_BOXES).all()
            assert flow.count("randomized") == (flow.subjects["box"] != "not randomized").sum()
    pd.testing.assert_frame_equal(frame, before)


def test_numpy_scalar_arms_and_labels_compare_without_numpy_warnings():
    # found by the attack suite (blinding): np.float32(1.5) == 1e249 warns "overflow
    # encountered in cast"; labels are compared as Python values
    d = small().astype({"group": object})
    d.loc[d["group"] == "A", "group"] = np.float32(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataValidationError, match=r"group must be one of 1e\+249"):
            build_consort(d, treatment=1e249, control="B")
        flow = build_consort(d, treatment=np.float32(1.5), control="B")
    assert flow.count("randomized") == 8
