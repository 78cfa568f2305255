"""`instruments new` and `instruments check`: a practice's own questionnaire (issue 13), and
hostile spec files refused quickly, in bounded memory, with nothing executed."""

from __future__ import annotations

import contextlib
import io
import time
import tracemalloc
from pathlib import Path

import pytest

from past_outcomes._cli_instruments import template_spec
from past_outcomes.cli import main
from past_outcomes.instrument import parse_instrument


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_the_template_is_a_valid_commented_spec():
    text = template_spec("mpq")
    inst = parse_instrument(text, source="mpq.yaml")
    assert inst.id == "mpq" and inst.item_columns == tuple(f"mpq_{i}" for i in range(1, 6))
    assert text.count("\n#") >= 3 and "instruments check" in text


def test_new_writes_the_template_and_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["instruments", "new", "mpq"])
    assert code == 0, err
    assert "wrote mpq.yaml" in out and Path("mpq.yaml").read_text() == template_spec("mpq")
    Path("mpq.yaml").write_text("my edits\n")
    code, _, err = run(["instruments", "new", "mpq"])
    assert code == 2 and "exists" in err and Path("mpq.yaml").read_text() == "my edits\n"
    assert run(["instruments", "new", "mpq", "--force"])[0] == 0


@pytest.mark.parametrize(
    "inst_id, fragment",
    [("My Scale", "lower-case letters and digits"), ("phq9", "must not be a bundled")],
)
def test_new_refuses_a_bad_or_bundled_id(tmp_path, monkeypatch, inst_id, fragment):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["instruments", "new", inst_id])
    assert code == 2 and fragment in err and list(tmp_path.iterdir()) == []


def test_check_prints_what_it_would_score(tmp_path):
    spec = tmp_path / "mpq.yaml"
    spec.write_text(template_spec("mpq"))
    code, out, err = run(["instruments", "check", str(spec)])
    assert code == 0, err
    assert f"{spec}: a valid spec. It would score:" in out
    assert "mpq_5: fifth item [0-4] (reverse-keyed)" in out
    assert "mpq_band (bands): mpq_total: low 0-6, moderate 7-13, high 14-20" in out
    assert "mpq_high (cutoff): mpq_total >= 14" in out
    assert "Data columns needed: mpq_1, mpq_2, mpq_3, mpq_4, mpq_5." in out


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (("max: 20}", "max: 21}"), "at classifications[0].bands"),
        (("items: [1, 2, 3, 4, 5]", "items: [1, 2, 3, 4, 6]"), "scales[0].items"),
        (("method: sum\n", "method: median\n"), "scales[0].method"),
        (("source: own\n    bands", "source: nowhere\n    bands"), "nowhere"),
    ],
)
def test_check_locates_a_definition_error_and_gives_the_fix(tmp_path, edit, fragment):
    spec = tmp_path / "mpq.yaml"
    text = template_spec("mpq")
    assert text.count(edit[0]) == 1
    spec.write_text(text.replace(*edit))
    code, out, err = run(["instruments", "check", str(spec)])
    assert code == 1 and out == ""
    assert err.startswith(f"error: {spec}") and fragment in err and "Traceback" not in err
    assert "Fix the key named above" in err and "instruments/README.md" in err


def test_check_on_a_missing_file_exits_2(tmp_path):
    code, _, err = run(["instruments", "check", str(tmp_path / "none.yaml")])
    assert code == 2 and "there is no file at" in err


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"id: !!python/object/apply:os.system ['touch pwned']\n", "tag"),
        (BOMB.encode(), "alias"),
        (b"id: x\n" + b"note: " + b"y" * 2_000_000 + b"\n", "1,000,000"),
        (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "deep"),
        ("name: caf\u00e9\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_hostile_specs_are_refused_quickly_in_bounded_memory(
    tmp_path, monkeypatch, content, fragment
):
    monkeypatch.chdir(tmp_path)
    Path("evil.yaml").write_bytes(content)
    tracemalloc.start()
    start = time.process_time()
    code, out, err = run(["instruments", "check", "evil.yaml"])
    elapsed = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert code == 1 and out == "" and "Traceback" not in err
    assert fragment.lower() in err.lower(), err
    assert elapsed < 2 and peak < 50_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml"]  # nothing executed
