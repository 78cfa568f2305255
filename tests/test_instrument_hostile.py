"""A spec is untrusted input: hostile specs are refused quickly, in bounded memory, with
InstrumentDefinitionError naming the file and the key path, and never another exception.

Classes attacked: resource exhaustion (aliases, size, nesting, node count, long numbers),
encodings, YAML features that are not plain data (tags, anchors, merge and complex keys),
every numeric field (NaN, infinities, booleans, huge values, out-of-domain values), every
string field (wrong types, unbounded length), ids matched in full, band tiling, and
arbitrary or mutated input (hypothesis).
"""

from __future__ import annotations

import copy
import math
import re
import textwrap
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from past_outcomes import (
    InstrumentDefinitionError,
    UnknownInstrumentError,
    load_instrument,
    score,
)
from past_outcomes.errors import ArgumentError
from past_outcomes.instrument import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_SPEC_BYTES,
    instruments_dir,
    parse_instrument,
)

#: A refusal must come in well under a second of CPU time (process time, so that other
#: processes loading the machine do not count) and within this much traced memory.
TIME_BUDGET_S = 1.0
MEMORY_BUDGET_B = 50 * 2**20
#: No refusal message grows with the input.
MESSAGE_LIMIT = 600

# A spec that uses every numeric and string field of the vocabulary at least once.
SINK = textwrap.dedent(
    """
    id: sink
    name: Every field
    short_name: SINK
    version: "1"
    sources:
      src: "Author A. A spec with every field. Journal 2020."
    licence: public domain
    recall_period: past week
    administration: self-report
    direction: lower-is-better
    note: free text
    response: {min: 0, max: 4, integer: true, missing_codes: [9, -1], source: src, note: codes}
    items:
      - {n: 1, label: one}
      - {n: 2, label: two, reverse: true}
      - {n: 3, label: three, values: [0, 2, 4]}
      - {n: 4, label: four, min: 1, max: 3, required: false, note: fewer answers}
      - {n: 5, label: five, integer: false, min: 0, max: 2.5}
    scales:
      - {id: core, label: Core, method: sum, items: [1, 2, 3], range: [0, 12], source: src,
         proration: {min_answered: 2, floor: 1, source: src, note: half}}
      - {id: weighted, label: Weighted, method: weighted_sum, items: [1, 4], weights: [2, 0.5],
         factor: 0.4, range: [0.2, 3.8], source: src, direction: higher-is-better}
      - {id: avg, label: Average, method: mean, items: [1, 5], range: [0, 3.25], source: src}
      - {id: total, label: Total, method: sum_of_scales, scales: [core, weighted], factor: 1,
         range: [0.2, 15.8], source: src}
    classifications:
      - {id: high, label: High core, type: cutoff, scale: core, operator: ">=", value: 8,
         source: src}
      - id: level
        label: Core level
        type: bands
        scale: core
        source: src
        bands:
          - {label: low, min: 0, max: 5}
          - {label: high, min: 6, max: 12}
      - id: avg_level
        type: bands
        scale: avg
        source: src
        bands:
          - {label: low, min: 0, max: 1.5}
          - {label: high, min: 1.5, max: 3.25}
      - {id: flag, type: item_flag, item: 1, operator: ">", value: 3, source: src}
      - id: rule
        type: criteria
        source: src
        require:
          - {items: [1, 2], operator: ">=", value: 2, at_least: 1}
          - {scales: [core], operator: ">=", value: 4, at_least: 1, note: n}
      - {id: zeros, type: count, items: [1, 2, 3], count_values: [0], count_missing: true,
         operator: "<=", value: 1, source: src}
    change:
      - scale: core
        reliability: {value: 0.8, source: src}
        mcid: {value: 2, source: src}
        reliable_change: {value: 3.5, source: src}
        clinical: {mean: 9, sd: 2.5, source: src}
        functional: {mean: 3, sd: 1.5, source: src, note: norms}
    responders:
      primary: by_base
      rules:
        - id: by_base
          label: By baseline
          scale: core
          kind: change
          source: src
          by_baseline:
            - {min: 0, max: 5, threshold: 2, label: mild}
            - {min: 6, max: 12, threshold: 4, label: severe}
        - {id: pct, label: Half, scale: core, kind: percent_change, threshold: 50, source: src}
        - {id: end, label: Low at end, scale: core, kind: endpoint, operator: "<", threshold: 3,
           source: src}
        - {id: mapp, label: MAPP, scale: core, kind: change, threshold: 3, diagnosis: rule,
           remission: {operator: "<=", value: 2, note: r}, source: src}
    """
)

SPECS = {
    "sink": SINK,
    **{
        name: (instruments_dir() / f"{name}.yaml").read_text(encoding="utf-8")
        for name in ("phq9", "fsfi")
    },
}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the test's own YAML: fast when possible
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
RAW = {name: yaml.load(text, Loader=_LOADER) for name, text in SPECS.items()}


def _refused(text, *, source="user/spec.yaml", match: str | None = None, memory: bool = True):
    """Parse ``text``: it must be refused within the time budget and (traced separately,
    since tracing slows Python down) the memory budget."""
    start = time.process_time()
    with pytest.raises(InstrumentDefinitionError, match=match) as info:
        parse_instrument(text, source=source)
    elapsed = time.process_time() - start
    assert elapsed < TIME_BUDGET_S, f"refused in {elapsed:.2f} s"
    if memory:
        tracemalloc.start()
        try:
            with pytest.raises(InstrumentDefinitionError):
                parse_instrument(text, source=source)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < MEMORY_BUDGET_B, f"peak memory {peak / 2**20:.0f} MiB"
    err = info.value
    assert err.source == source
    assert len(str(err)) < MESSAGE_LIMIT, str(err)
    return err


def test_the_sink_spec_uses_every_field_and_loads():
    inst = parse_instrument(SINK)
    assert inst.missing_codes == (9.0, -1.0)
    assert inst.scales["sink_weighted"].weights == (2.0, 0.5)
    assert inst.scales["sink_core"].proration.floor == 1.0
    assert [b.min for b in inst.classifications["sink_avg_level"].bands] == [0.0, 1.5]
    assert inst.responder_rules["mapp"].remission == {"operator": "<=", "value": 2.0, "note": "r"}
    assert inst.change["sink_core"].functional.sd == 1.5


# --------------------------------------------------------------------------------------------
# Resource exhaustion
# --------------------------------------------------------------------------------------------


def _billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*lol{i - 1}"] * 10)
        lines.append(f"lol{i}: &lol{i} [{refs}]")
    lines.append(f"id: *lol{levels}")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_at_once_in_bounded_memory():
    err = _refused(_billion_laughs(), match=r"anchor &lol0 \(line 1\); anchors and aliases")
    assert err.path == ""


def test_an_alias_alone_is_refused():
    _refused("id: *nowhere\n", match=r"alias \*nowhere \(line 1\)")


def test_anchors_in_a_valid_spec_are_refused():
    text = SINK.replace("licence: public domain", "licence: &s public domain")
    assert text != SINK
    _refused(text, match="anchor &s")


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_a_50_mb_spec_is_refused_before_parsing(as_bytes):
    text = "# padding\n" * 5_000_000
    err = _refused(text.encode() if as_bytes else text, match="at most 1,000,000 bytes")
    assert "50,000,000" in str(err)


def test_a_50_mb_spec_file_is_refused_from_its_size(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(50_000_000)  # sparse: its size alone must refuse it
    start = time.process_time()
    with pytest.raises(InstrumentDefinitionError, match=r"is 50,000,000 bytes") as info:
        load_instrument(path)
    assert time.process_time() - start < TIME_BUDGET_S
    assert info.value.source == str(path.resolve())


def test_multibyte_text_is_measured_in_utf8_bytes():
    text = "note: " + "\u00e9" * (MAX_SPEC_BYTES // 2 + 10) + "\n"  # under the cap in characters
    assert len(text) < MAX_SPEC_BYTES
    _refused(text, match="bytes in UTF-8")


def test_a_spec_just_under_the_size_cap_is_parsed_and_refused_quickly():
    text = SINK.replace("note: free text", "note: " + "x" * (MAX_SPEC_BYTES - len(SINK) - 100))
    assert MAX_SPEC_BYTES - 1000 < len(text.encode()) <= MAX_SPEC_BYTES
    err = _refused(text, match="must be at most 5,000 characters")
    assert err.path == "note"


@pytest.mark.parametrize(
    "text",
    [
        "[" * 1000 + "]" * 1000,
        "{a: " * 1000 + "1" + "}" * 1000,
        "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "v\n",
        "- " * 1000 + "x\n",
    ],
    ids=["flow-lists", "flow-maps", "block-maps", "block-lists"],
)
def test_1000_levels_of_nesting_are_refused(text):
    _refused(text, match=f"more than {MAX_DEPTH} deep")


def test_nesting_up_to_the_limit_parses():
    # MAX_DEPTH nested lists as the value of a note: YAML reads it, the vocabulary refuses it
    text = SINK.replace("note: free text", "note: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    err = _refused(text, match="must be text; got a list")
    assert err.path == "note"


def test_too_many_values_are_refused():
    text = "id: [" + ",".join(["0"] * (MAX_NODES + 10)) + "]\n"
    assert len(text) < MAX_SPEC_BYTES
    _refused(text, match=f"more than {MAX_NODES:,} values")


@pytest.mark.parametrize(
    "number",
    ["9" * 5000, "1" + ":30" * 5000, "0x" + "f" * 5000, "1" + "0" * 200 + ".5"],
    ids=["long-int", "sexagesimal", "hex", "long-float"],
)
def test_numbers_written_with_thousands_of_digits_are_refused_before_conversion(number):
    text = SINK.replace("response: {min: 0, max: 4,", f"response: {{min: 0, max: {number},")
    _refused(text, match=r"a number written with [\d,]+ characters \(line \d+\); at most 100")


# --------------------------------------------------------------------------------------------
# YAML features that are not plain data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("? [a, b]\n: 1\n", r"uses a list as a key \(line 1\)"),
        ("? {a: 1}\n: 1\n", r"uses a mapping as a key \(line 1\)"),
        ("{[a]: 1}\n", "uses a list as a key"),
        ("x: {<<: {a: 1}, b: 2}\n", r"merge key '<<' \(line 1\)"),
        ("id: !!binary aGVsbG8=\n", r"not valid safe YAML: the tag .*binary' \(line 1\)"),
        ("id: !!python/object/apply:os.system ['true']\n", "not valid safe YAML: the tag"),
        ("id: !custom x\n", r"the tag '!custom'"),
        ("id: ! x\n", r"the tag '!'"),
        ("id: !!str 1\n", "the tag 'tag:yaml.org,2002:str'"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
        ("id: [\n", "not valid safe YAML"),
        ("version: 2020-13-45\n", r"cannot be read \(month must be in 1..12\)"),
    ],
    ids=lambda v: v if len(v) < 25 else v[:25],
)
def test_yaml_that_is_not_plain_data_is_refused(text, message):
    _refused(text, match=message)


def test_complex_keys_inside_a_valid_spec_are_refused():
    text = SINK.replace("licence: public domain", "licence: public domain\n? [x]\n: y")
    _refused(text, match="uses a list as a key")


def test_a_duplicate_key_message_and_path_stay_short():
    key = "k" * 100_000
    err = _refused(f"? {key}\n: 1\n? {key}\n: 2\n", match=r"duplicate key 'kkk.*\.\.\. \(line 3\)")
    assert len(err.path) <= 40


@pytest.mark.parametrize(
    "text, path, message",
    [
        ("", "", "got an empty document"),
        ("# only a comment\n", "", "got an empty document"),
        ("null\n", "", "got an empty document"),
        ("- id: phq9\n", "", r"must be a YAML mapping .*; got a list \[\{'id': 'phq9'\}\]"),
        ("phq9\n", "", "got text 'phq9'"),
        ("42\n", "", "got 42"),
        ("true\n", "", r"got true \(a boolean\)"),
    ],
)
def test_a_spec_that_is_not_a_mapping_gets_a_clean_error(text, path, message):
    assert _refused(text, match=message).path == path


# --------------------------------------------------------------------------------------------
# Encodings: bytes given to parse_instrument, and files loaded by path
# --------------------------------------------------------------------------------------------

PHQ9 = SPECS["phq9"]
ENCODINGS = {
    "latin-1": (
        PHQ9.replace("Kroenke K, Spitzer", "Kr\u00f6nke K, Spitzer").encode("latin-1"),
        r"not UTF-8 text \(byte 0xf6 at offset \d+\); it may be Latin-1",
    ),
    "utf-16-bom": (PHQ9.encode("utf-16"), "UTF-16 or UTF-32 text .*byte-order mark"),
    "utf-16-be-bom": (b"\xfe\xff" + PHQ9.encode("utf-16-be"), "UTF-16 or UTF-32"),
    "utf-16-no-bom": (PHQ9.encode("utf-16-le"), r"contains NUL bytes \(first at byte 1\)"),
    "utf-32": (PHQ9.encode("utf-32"), "UTF-16 or UTF-32"),
    "nul-bytes": (PHQ9.encode() + b"\x00\x01\x02", "contains NUL bytes"),
    "binary": (bytes(range(256)) * 4, "contains NUL bytes"),
}


@pytest.mark.parametrize("name", ENCODINGS)
def test_bytes_that_are_not_utf8_text_are_refused(name):
    data, message = ENCODINGS[name]
    _refused(data, match=message)


@pytest.mark.parametrize("name", ENCODINGS)
def test_files_that_are_not_utf8_text_are_refused_naming_the_file(tmp_path, name):
    data, message = ENCODINGS[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    with pytest.raises(InstrumentDefinitionError, match=message) as info:
        load_instrument(path)
    assert info.value.source == str(path.resolve())
    assert str(info.value).startswith(str(path.resolve()))


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "phq9_bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + PHQ9.encode())
    assert load_instrument(path).id == "phq9"
    assert parse_instrument(b"\xef\xbb\xbf" + PHQ9.encode()).id == "phq9"


def test_text_with_a_nul_or_a_lone_surrogate_is_refused():
    _refused(PHQ9 + "\x00", match=r"contains a NUL character \(at character \d+\)")
    _refused(PHQ9 + "# \ud800\n", match="lone surrogate")


def test_a_spec_that_is_neither_text_nor_bytes_is_an_argument_error():
    with pytest.raises(ArgumentError, match="a spec must be YAML text .*; got dict"):
        parse_instrument({"id": "phq9"})


# --------------------------------------------------------------------------------------------
# The class attack on numbers: every numeric leaf of a valid spec, replaced in turn
# --------------------------------------------------------------------------------------------


def _leaves(node, path=""):
    """(key path, value) of every scalar leaf, with paths spelled as the loader spells them."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, node


def _replace(node, path, value):
    """A deep copy of ``node`` with the leaf at ``path`` replaced by ``value``."""
    node = copy.deepcopy(node)
    steps = [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]
    target = node
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = value
    return node


def _swap(spec: str, path: str, value) -> str:
    changed = _replace(RAW[spec], path, value)
    return yaml.dump(changed, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


def _numeric_paths(spec: str) -> list[str]:
    raw = yaml.safe_load(SPECS[spec])
    return [p for p, v in _leaves(raw) if isinstance(v, (int, float)) and not isinstance(v, bool)]


NUMERIC = [(spec, path) for spec in SPECS for path in _numeric_paths(spec)]


def test_the_numeric_attack_covers_every_kind_of_numeric_field():
    # each field of the vocabulary that holds a number appears in the attack at least once
    fields = {re.sub(r"\[\d+\]", "[]", path) for _, path in NUMERIC}
    expected = {
        "response.min",
        "response.max",
        "response.missing_codes[]",
        "items[].n",
        "items[].min",
        "items[].max",
        "items[].values[]",
        "scales[].items[]",
        "scales[].weights[]",
        "scales[].factor",
        "scales[].range[]",
        "scales[].proration.min_answered",
        "scales[].proration.floor",
        "classifications[].value",
        "classifications[].item",
        "classifications[].items[]",
        "classifications[].count_values[]",
        "classifications[].bands[].min",
        "classifications[].bands[].max",
        "classifications[].require[].items[]",
        "classifications[].require[].value",
        "classifications[].require[].at_least",
        "change[].reliability.value",
        "change[].mcid.value",
        "change[].reliable_change.value",
        "change[].clinical.mean",
        "change[].clinical.sd",
        "change[].functional.mean",
        "change[].functional.sd",
        "responders.rules[].threshold",
        "responders.rules[].by_baseline[].min",
        "responders.rules[].by_baseline[].max",
        "responders.rules[].by_baseline[].threshold",
        "responders.rules[].remission.value",
    }
    assert expected <= fields, sorted(expected - fields)


@pytest.mark.parametrize("spec, path", NUMERIC, ids=[f"{s}:{p}" for s, p in NUMERIC])
def test_nan_infinity_and_booleans_are_refused_in_every_numeric_field(spec, path):
    for bad, shown in ((math.nan, "nan"), (math.inf, "inf"), (True, "true")):
        err = _refused(_swap(spec, path, bad), source=f"{spec}.yaml", memory=False)
        assert err.path == path, (bad, str(err))
        assert re.search(rf"\b{shown}\b", err.problem), (bad, err.problem)


@pytest.mark.parametrize("path", _numeric_paths("sink"), ids=lambda p: p)
def test_minus_infinity_and_huge_numbers_are_refused_in_every_numeric_field(path):
    for bad, shown in ((-math.inf, "-inf"), (1e300, "1e+300"), (10**30, "1" + "0" * 30)):
        err = _refused(_swap("sink", path, bad), source="sink.yaml", memory=False)
        assert err.path == path, (bad, str(err))
        assert shown in err.problem, (bad, err.problem)


# --------------------------------------------------------------------------------------------
# The class attack on strings: every string leaf, replaced by a wrong type or a long text
# --------------------------------------------------------------------------------------------


def _string_paths(spec: str) -> list[str]:
    return [p for p, v in _leaves(RAW[spec]) if isinstance(v, str)]


STRINGS = [(spec, path) for spec in ("sink", "phq9") for path in _string_paths(spec)]


@pytest.mark.parametrize("spec, path", STRINGS, ids=[f"{s}:{p}" for s, p in STRINGS])
def test_wrong_types_and_unbounded_text_are_refused_in_every_string_field(spec, path):
    for bad in ([1, 2], None, 7, "x" * 6000):
        err = _refused(_swap(spec, path, bad), source=f"{spec}.yaml", memory=False)
        assert err.path == path, (bad, str(err))
        # the value is shown cut short, never whole
        assert "x" * 100 not in str(err)


# --------------------------------------------------------------------------------------------
# Numbers in their domain, ids in full, strings bounded: the rule and its message
# --------------------------------------------------------------------------------------------

DOMAIN = [
    # (old, new, key path, message)
    ("factor: 0.4", "factor: 0", r"scales\[1\]\.factor", "must be above 0; got 0"),
    ("factor: 0.4", "factor: -1", r"scales\[1\]\.factor", "must be above 0; got -1"),
    ("weights: [2, 0.5]", "weights: [2, 0]", r"scales\[1\]\.weights\[1\]", "above 0"),
    ("weights: [2, 0.5]", "weights: [2, -3]", r"scales\[1\]\.weights\[1\]", "above 0"),
    ("sd: 2.5", "sd: 0", r"change\[0\]\.clinical\.sd", "must be above 0; got 0"),
    ("sd: 1.5", "sd: -1.5", r"change\[0\]\.functional\.sd", "must be above 0"),
    ("value: 0.8", "value: 0", r"change\[0\]\.reliability\.value", "must be above 0"),
    ("value: 0.8", "value: 1", r"change\[0\]\.reliability\.value", "must be below 1; got 1"),
    ("value: 0.8", "value: 1.5", r"change\[0\]\.reliability\.value", "must be below 1"),
    ("mcid: {value: 2", "mcid: {value: 0", r"change\[0\]\.mcid\.value", "above 0"),
    (
        "reliable_change: {value: 3.5",
        "reliable_change: {value: -2",
        r".*reliable_change.value",
        "0",
    ),
    ("mean: 9,", "mean: 99,", r"change\[0\]\.clinical\.mean", "must be at most 12; got 99"),
    ("floor: 1,", "floor: 13,", r"scales\[0\]\.proration\.floor", "must be at most 12"),
    ("min_answered: 2,", "min_answered: 0,", r"scales\[0\]\.proration\.min_answered", "at least 1"),
    ("min_answered: 2,", "min_answered: 4,", r"scales\[0\]\.proration\.min_answered", "at most 3"),
    (
        "at_least: 1}\n",
        "at_least: 3}\n",
        r"classifications\[4\]\.require\[0\]\.at_least",
        "at most 2",
    ),
    ("{n: 1, label: one}", "{n: 0, label: one}", r"items\[0\]\.n", "start at 1"),
    ("{n: 1, label: one}", "{n: 10000, label: one}", r"items\[0\]\.n", "at most 9999"),
    ("{n: 1, label: one}", "{n: 1.0, label: one}", r"items\[0\]\.n", "must be an integer; got 1.0"),
    ("values: [0, 2, 4]", "values: [0, 2, 2]", r"items\[2\]\.values", "lists a value twice"),
    ("values: [0, 2, 4]", "values: [4]", r"items\[2\]\.values", "at least two"),
    ("min: 1, max: 3, req", "min: 1.5, max: 3, req", r"items\[3\]", "whole-number min and max"),
    (
        "missing_codes: [9, -1]",
        "missing_codes: [9, 2]",
        r"response\.missing_codes\[1\]",
        "2 is also an allowed answer to item 1",
    ),
    (
        "missing_codes: [9, -1]",
        "missing_codes: [9, 2.5]",
        r"response\.missing_codes\[1\]",
        "2.5 is also an allowed answer to item 5",
    ),
    (
        "{min: 6, max: 12, threshold: 4",
        "{min: 5, max: 12, threshold: 4",
        r"responders\.rules\[0\]\.by_baseline",
        "'mild' and 'severe' overlap",
    ),
    (
        "{min: 6, max: 12, threshold: 4",
        "{min: 6, max: 13, threshold: 4",
        r"responders\.rules\[0\]\.by_baseline\[1\]\.max",
        "at most 12",
    ),
    (
        "{min: 0, max: 5, threshold: 2",
        "{min: 5, max: 4, threshold: 2",
        r"responders\.rules\[0\]\.by_baseline\[0\]\.max",
        "at least 5",
    ),
    ("id: sink", 'id: "sink\\n"', "id", r"one line .*; got 'sink\\n'"),
    ("id: sink", "id: " + "s" * 41, "id", "at most 40 characters; got 'sss"),
    ("- {id: core,", '- {id: "core\\n",', r"scales\[0\]\.id", "one line"),
    ("- {id: core,", "- {id: Core,", r"scales\[0\]\.id", "must be snake_case, not ending in"),
    # a scale or classification id ending in _<digits> would name a column like an item's
    ("- {id: core,", "- {id: core_2,", r"scales\[0\]\.id", r"not ending in _<digits>.*'core_2'"),
    ("- {id: flag,", "- {id: flag_10,", r"classifications\[3\]\.id", "not ending in _<digits>"),
    ("- {id: flag,", "- {id: flag\u00e9,", r"classifications\[3\]\.id", "snake_case"),
    ("- id: by_base", "- id: by-base", r"responders\.rules\[0\]\.id", "snake_case"),
    ("  src: ", "  Src: ", "sources.Src", "snake_case source key"),
    ("label: Core,", "label: " + "L" * 201 + ",", r"scales\[0\]\.label", "at most 200"),
    ("label: Core,", "label: '',", r"scales\[0\]\.label", "non-empty text"),
    ("label: Core,", 'label: "Co\\tre",', r"scales\[0\]\.label", "control characters"),
    (
        "scales: [core, weighted]",
        "scales: [core, [weighted]]",
        r"scales\[3\]\.scales\[1\]",
        r"unknown scale \['weighted'\]",
    ),
    ("scales: [core, weighted]", "scales: []", r"scales\[3\]\.scales", "at least one scale"),
    (
        "- {scales: [core]",
        "- {scales: [[core]]",
        r"classifications\[4\]\.require\[1\]\.scales\[0\]",
        "unknown scale",
    ),
    (
        "scale: core, kind: percent",
        "scale: [core], kind: percent",
        r"responders\.rules\[1\]\.scale",
        "must be text; got a list",
    ),
    ("  primary: by_base\n", "  primary: by_base\n  extra: 1\n", "responders.extra", "unknown key"),
    ("remission: {operator", "remission: {typo: 1, operator", r".*remission\.typo", "unknown key"),
    (
        "reliability: {value",
        "reliability: {typo: 1, value",
        r".*reliability\.typo",
        "unknown key 'typo'",
    ),
    ("clinical: {mean", "clinical: {typo: 1, mean", r".*clinical\.typo", "unknown key"),
    ("floor: 1,", "floor: 1, typo: 1,", r".*proration\.typo", "unknown key"),
    (
        "{label: low, min: 0, max: 5}",
        "{label: low, min: 0, max: 5, typo: 1}",
        r".*bands\[0\]\.typo",
        "unknown key",
    ),
    ("at_least: 1, note: n}", "at_least: 1, typo: n}", r".*require\[1\]\.typo", "unknown key"),
    (
        "threshold: 2, label: mild}",
        "threshold: 2, label: mild, typo: 1}",
        r".*by_baseline\[0\]\.typo",
        "unknown key",
    ),
    ("{n: 1, label: one}", "{n: 1, label: one, typo: 1}", r"items\[0\]\.typo", "unknown key"),
    (
        "source: src, note: codes}",
        "source: src, note: codes, typo: 1}",
        r"response\.typo",
        "unknown key",
    ),
    ("licence: public domain", "licence: public domain\n1: x", "1", "unknown key 1"),
    (
        "licence: public domain",
        "licence: public domain\n? " + "k" * 5000 + "\n: x",
        "'kkk.*",
        r"unknown key 'kkk.*\.\.\.; allowed",
    ),
]


@pytest.mark.parametrize(
    "old, new, path, message", DOMAIN, ids=[f"{d[2][-28:]}:{d[1][-20:]}" for d in DOMAIN]
)
def test_values_outside_their_domain_are_refused(old, new, path, message):
    assert SINK.count(old) >= 1, old
    err = _refused(SINK.replace(old, new, 1), match=message)
    assert re.fullmatch(path, err.path), err.path


def test_responders_need_at_least_one_rule():
    text = SINK[: SINK.index("responders:")] + "responders: {rules: []}\n"
    assert _refused(text, match="must list at least one rule").path == "responders.rules"


def test_a_bundled_id_with_a_trailing_newline_is_not_found():
    with pytest.raises(UnknownInstrumentError, match=r"No bundled instrument 'phq9\\n'"):
        load_instrument("phq9\n")


def test_an_unknown_id_or_path_message_stays_short():
    with pytest.raises(UnknownInstrumentError, match=r"No bundled instrument 'xxx") as info:
        load_instrument("x" * 100_000)
    assert len(str(info.value)) < MESSAGE_LIMIT
    with pytest.raises(UnknownInstrumentError, match="No instrument spec file") as info:
        load_instrument("nowhere/" + "y" * 100_000 + ".yaml")
    assert len(str(info.value)) < MESSAGE_LIMIT


# --------------------------------------------------------------------------------------------
# Bands tile the score's range exactly
# --------------------------------------------------------------------------------------------


def _with_bands(bands: list[tuple[float, float]], scale: str = "core") -> str:
    """The sink spec with the bands of its ``level`` classification (on ``scale``) replaced."""
    raw = yaml.safe_load(SINK)
    level = next(c for c in raw["classifications"] if c["id"] == "level")
    level["scale"] = scale
    level["bands"] = [{"label": f"b{i}", "min": lo, "max": hi} for i, (lo, hi) in enumerate(bands)]
    return yaml.safe_dump(raw, sort_keys=False)


@pytest.mark.parametrize(
    "bands, message",
    [
        ([(0, 4.5), (5.5, 12)], r"bands\[0\]\.max: must be a whole number"),
        ([(0, 4), (4.5, 12)], r"bands\[1\]\.min: must be a whole number"),
        ([(0, 4), (6, 12)], r"gap between 'b0' \(to 4\) and 'b1' \(from 6\).*start at 5"),
        ([(0, 4), (4, 12)], "'b0' and 'b1' overlap"),
        ([(1, 4), (5, 12)], "start at 1 but sink_core starts at 0"),
        ([(0, 4), (5, 11)], "end at 11 but sink_core ends at 12"),
        ([(0, 5), (3, 2), (6, 12)], r"bands\[1\]: min 3 must be at most max 2"),
    ],
)
def test_bands_on_an_integer_scale_must_tile_it_exactly(bands, message):
    _refused(_with_bands(bands), match=message)


@pytest.mark.parametrize(
    "bands, message",
    [
        ([(0, 1.5), (1.6, 3.25)], r"gap between 'b0' \(to 1.5\) and 'b1' \(from 1.6\)"),
        ([(0, 1), (2, 3.25)], "gap between"),  # integer-style bands leave (1, 2) uncovered
        ([(0, 1.5), (1.4, 3.25)], "overlap"),
        ([(0, 1.5), (1.5, 1.5), (1.5, 3.25)], r"min 1.5 must be below max 1.5"),
        ([(0, 1.5), (1.5, 3)], "end at 3 but sink_avg ends at 3.25"),
    ],
)
def test_bands_on_a_real_valued_scale_must_meet_exactly(bands, message):
    _refused(_with_bands(bands, scale="avg"), match=message)


def test_bands_on_a_real_valued_scale_are_half_open_when_scoring():
    inst = parse_instrument(_with_bands([(0, 1.5), (1.5, 2), (2, 3.25)], scale="avg"))
    # avg = mean(item 1, item 5): 1.49 -> b0, 1.5 -> b1, 2 -> b2, 3.25 -> b2
    data = pd.DataFrame(
        {
            "sink_1": [1, 1, 2, 4],
            "sink_2": [0, 0, 0, 0],
            "sink_3": [0, 0, 0, 0],
            "sink_4": [1, 1, 1, 1],
            "sink_5": [1.98, 2.0, 2.0, 2.5],
        }
    )
    out = score(data, instrument=inst)
    assert out["sink_avg"].tolist() == pytest.approx([1.49, 1.5, 2.0, 3.25])
    assert out["sink_level"].tolist() == ["b0", "b1", "b2", "b2"]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_exact_integer_tiling_loads_and_any_shifted_edge_is_refused(data):
    # cut points split 0..12 into consecutive inclusive integer bands
    cuts = sorted(data.draw(st.sets(st.integers(1, 12), max_size=6), label="cuts"))
    edges = [0, *cuts, 13]
    bands = [(lo, hi - 1) for lo, hi in zip(edges, edges[1:], strict=False)]
    inst = parse_instrument(_with_bands(bands))
    got = inst.classifications["sink_level"].bands
    assert [(b.min, b.max) for b in got] == [(float(lo), float(hi)) for lo, hi in bands]
    # every integer score falls in exactly one band
    for value in range(13):
        assert sum(b.min <= value <= b.max for b in got) == 1
    # shifting one edge by any non-zero amount opens a gap, an overlap or a bad end
    which = data.draw(st.integers(0, 2 * len(bands) - 1), label="edge")
    shift = data.draw(st.sampled_from([-1, 1, -0.5, 0.5, 0.25]), label="shift")
    moved = [list(b) for b in bands]
    moved[which // 2][which % 2] += shift
    with pytest.raises(InstrumentDefinitionError, match="bands"):
        parse_instrument(_with_bands([tuple(b) for b in moved]))


# --------------------------------------------------------------------------------------------
# Arbitrary input: an Instrument or InstrumentDefinitionError, never anything else
# --------------------------------------------------------------------------------------------


def _parse_or_refuse(spec) -> None:
    start = time.process_time()
    try:
        parse_instrument(spec, source="fuzz.yaml")
    except InstrumentDefinitionError as err:
        assert len(str(err)) < MESSAGE_LIMIT + 100, str(err)
    assert time.process_time() - start < TIME_BUDGET_S


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_arbitrary_bytes_or_text_load_or_are_refused_cleanly(spec):
    _parse_or_refuse(spec)


_YAML_ALPHABET = st.sampled_from(
    list("{}[]:,-?&*!|>'\"#%@` \n\t.0123456789abcnxyz")
    + ["<<", ".nan", ".inf", "true", "null", "~", "0x", "1e999", "\ufeff", "\x85", "\u2028"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.sampled_from(sorted(SPECS)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 8), st.lists(_YAML_ALPHABET, max_size=6)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_specs_load_or_are_refused_cleanly(spec, edits):
    text = SPECS[spec]
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + "".join(insert) + text[at + cut :]
    _parse_or_refuse(text)
    _parse_or_refuse(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=60, deadline=None)
@given(
    path=st.sampled_from(NUMERIC),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**40), 10**40),
        st.booleans(),
        st.none(),
        st.text(max_size=5),
        st.lists(st.integers(0, 3), max_size=2),
    ),
)
def test_any_value_in_a_numeric_field_loads_or_is_refused_at_that_path(path, value):
    spec, key = path
    text = _swap(spec, key, value)
    try:
        inst = parse_instrument(text)
    except InstrumentDefinitionError:
        return
    # accepted: then the value was a finite, bounded, non-boolean number
    assert isinstance(value, (int, float)) and not isinstance(value, bool)
    assert math.isfinite(value) and abs(value) <= 1e9
    assert inst.id == spec
    assert all(np.isfinite(s.range).all() for s in inst.scales.values())
