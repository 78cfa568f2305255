"""Malformed specs: each raises InstrumentDefinitionError naming the file and the key path."""

from __future__ import annotations

import textwrap

import pytest

from past_outcomes import InstrumentDefinitionError, UnknownInstrumentError, load_instrument
from past_outcomes.instrument import parse_instrument

GOOD = textwrap.dedent(
    """
    id: demo
    name: Demo scale
    sources:
      src: "Author A. A demo. Journal 2020."
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
      - {id: total, label: Total, method: sum, items: [1, 2, 3], range: [0, 9], source: src}
    classifications:
      - id: band
        type: bands
        scale: total
        source: src
        bands:
          - {label: low, min: 0, max: 4}
          - {label: high, min: 5, max: 9}
    """
)


def test_the_good_spec_loads():
    inst = parse_instrument(GOOD, source="demo.yaml")
    assert inst.id == "demo"
    assert inst.scales["demo_total"].range == (0.0, 9.0)
    assert [b.label for b in inst.classifications["demo_band"].bands] == ["low", "high"]


BAD_SPECS = [
    # (edit applied to GOOD, expected key path, expected message fragment)
    (
        ("licence: public domain", "licence: public domain\nlicense: typo"),
        "license",
        "unknown key 'license'",
    ),
    (
        ("- {n: 3, label: three}", "- {n: 2, label: three}"),
        r"items\[2\]\.n",
        "duplicate item number 2",
    ),
    (
        ("items: [1, 2, 3], range", "items: [1, 2, 4], range"),
        r"scales\[0\]\.items\[2\]",
        "unknown item 4",
    ),
    (("range: [0, 9]", "range: [0, 10]"), r"scales\[0\]\.range", r"items imply \[0, 9\]"),
    (("min: 5, max: 9", "min: 6, max: 9"), r"classifications\[0\]\.bands", "gap between 'low'"),
    (("min: 5, max: 9", "min: 4, max: 9"), r"classifications\[0\]\.bands", "overlap"),
    (
        ("{label: high, min: 5, max: 9}", "{label: high, min: 5, max: 8}"),
        r"classifications\[0\]\.bands",
        "end at 8",
    ),
    (
        ("source: src}\nclassifications", "source: nowhere}\nclassifications"),
        r"scales\[0\]\.source",
        "not a key of 'sources'",
    ),
    (("method: sum", "method: product"), r"scales\[0\]\.method", "must be one of"),
    (("direction: lower-is-better", "direction: down"), "direction", "must be one of"),
    (("scale: total", "scale: totl"), r"classifications\[0\]\.scale", "unknown scale 'totl'"),
    (("name: Demo scale", "name: Demo scale\nname: again"), "name", "duplicate key 'name'"),
    (
        ("name: Demo scale", "name: !!python/object/apply:os.system ['echo pwned']"),
        "",
        "not valid safe YAML",
    ),
    (("id: demo", "id: Demo-1"), "id", "lower-case"),
    (("items:\n  - {n: 1", "items:\n  - {n: 0"), r"items\[0\]\.n", "start at 1"),
]


@pytest.mark.parametrize("edit, path, message", BAD_SPECS, ids=[b[2][:30] for b in BAD_SPECS])
def test_malformed_specs_are_rejected_with_file_and_key_path(edit, path, message):
    old, new = edit
    text = textwrap.dedent(GOOD)
    assert old in text, old
    bad = text.replace(old, new, 1)
    with pytest.raises(InstrumentDefinitionError, match=message) as info:
        parse_instrument(bad, source="user/demo.yaml")
    err = info.value
    assert err.source == "user/demo.yaml"
    assert str(err).startswith("user/demo.yaml")
    if path:
        import re

        assert re.fullmatch(path, err.path), err.path


def test_yaml_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = GOOD.replace(
        "name: Demo scale", f"name: !!python/object/apply:os.system ['touch {marker}']"
    )
    with pytest.raises(InstrumentDefinitionError):
        parse_instrument(text)
    assert not marker.exists()


def test_a_users_spec_file_loads_by_path(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(GOOD)
    assert load_instrument(path).id == "demo"
    assert load_instrument(str(path)).id == "demo"


def test_unknown_ids_and_paths_raise_lookup_errors():
    with pytest.raises(UnknownInstrumentError, match="No bundled instrument 'fsfx'.*fsfi"):
        load_instrument("fsfx")
    with pytest.raises(LookupError, match="No instrument spec file"):
        load_instrument("nowhere/else.yaml")
