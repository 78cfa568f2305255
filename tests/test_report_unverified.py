"""Reports say, next to the chart or table, when a cutoff or band rests on a rule its spec
marks unverified (issue 13: "a note on the result, not only in the YAML"), and the
``UnverifiedRuleWarning`` of scoring never escapes the report builders.

practice_rom (data/synthetic/README.md) gives the FSDS-R (distress cutoff >= 11, marked
``verification: unverified`` in instruments/fsdsr.yaml) to the clients with a vulva only.
"""

from __future__ import annotations

import html
import re
import warnings

import pytest

import past_outcomes as po
from past_outcomes.cli import main
from past_outcomes.instrument import instruments_dir
from past_outcomes.report.caseload import build_caseload_report
from past_outcomes.report.client import build_client_report

FSDSR = po.load_instrument("fsdsr")
FSDSR_CUTOFF = FSDSR.classifications["fsdsr_distress"]


def _clients() -> tuple[str, str]:
    """(a client given the FSDS-R, a client never given it), from the data."""
    data = po.read_dataset("practice_rom")
    given = data[list(FSDSR.item_columns)].notna().any(axis=1)
    with_fsdsr = sorted(data.loc[given, "subject"].unique())
    without = sorted(set(data["subject"]) - set(with_fsdsr))
    assert with_fsdsr and without  # the data set has both kinds of client
    return with_fsdsr[0], without[0]


WITH, WITHOUT = _clients()


def _text(page: str) -> str:
    """The page as plain text: data URIs dropped, entities unescaped, spaces folded."""
    page = re.sub(r'src="data:[^"]*"', "", page)
    return " ".join(html.unescape(page).split())


def _section(page: str, heading: str) -> str:
    """The <section> of one questionnaire, found by the start of its heading."""
    start = page.index(f"<h3>{heading}")
    return page[start : page.index("</section>", start)]


def _built_quietly(build, *args, **kwargs):
    """Build a report and assert that no warning escaped from it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build(*args, **kwargs)
    assert [str(w.message)[:80] for w in caught] == []
    return report


def test_spec_marks_the_fsdsr_cutoff_unverified():
    # the premise of every test below: if the spec is ever verified, these tests must change
    assert FSDSR_CUTOFF.verification == "unverified" and FSDSR_CUTOFF.note
    assert [r.name for r in FSDSR.unverified_rules()] == ["fsdsr_distress"]


def test_client_report_says_it_next_to_the_fsdsr_chart():
    page = _built_quietly(build_client_report, "practice_rom", client=WITH).html
    fsdsr = _text(_section(page, "FSDS-R"))
    caption = fsdsr[fsdsr.index("<figcaption>") : fsdsr.index("</figcaption>")]
    assert "Dotted: Sexually related personal distress (>= 11) (not verified)." in caption
    assert "Not verified: FSDS-R cutoff" in caption and "(output fsdsr_distress)" in caption
    assert " ".join(FSDSR_CUTOFF.note.split()) in caption  # the spec's note, word for word
    assert "Source to check: Derogatis L" in caption  # the spec's citation
    assert "dotted line: cutoff >= 11 (not verified)" in fsdsr  # the alt text
    # the details list under the chart marks the cutoff too
    assert "Clinical cutoff: Sexually related personal distress (>= 11) (not verified)" in fsdsr
    # said once, next to the chart; not repeated in the notes; no other section says it
    assert _text(page).count("Not verified:") == 1
    for other in ("PHQ-9", "GAD-7", "PCL-5", "FSFI"):
        assert "not verified" not in _text(_section(page, other)).lower()


def test_client_report_without_fsdsr_says_nothing_of_it():
    page = _text(_built_quietly(build_client_report, "practice_rom", client=WITHOUT).html)
    assert "FSDS-R" not in page
    assert "not verified" not in page.lower()


def test_client_version_says_it_in_plain_words():
    page = _built_quietly(build_client_report, "practice_rom", client=WITH, audience="client")
    text = _text(page.html)
    assert (
        "The dotted line at 11 is a threshold in common use, but its original publication "
        "has not been checked: read it as a rough guide only" in text
    )
    assert "Source to check" not in text and "fsdsr_distress" not in text  # no jargon


def test_caseload_report_says_it_beside_the_table_only_with_fsdsr():
    page = _built_quietly(build_caseload_report, "practice_rom", as_of="2024-11-01").html
    text = _text(page)
    table_end = text.index("</table>")
    said = text.index("Not verified: FSDS-R cutoff")
    assert table_end < said < text.index("<h2>Summary</h2>")  # right under the table
    assert text.count("Not verified:") == 1
    assert "UnverifiedRuleWarning" not in text and "Output(s) resting on" not in text
    data = po.read_dataset("practice_rom").drop(columns=list(FSDSR.item_columns))
    without = _text(_built_quietly(build_caseload_report, data, as_of="2024-11-01").html)
    assert "not verified" not in without.lower()


def test_a_practice_spec_with_unverified_bands_is_marked_from_the_spec(tmp_path):
    """Nothing is written per instrument: a user's copy of the PHQ-9 spec that marks its
    severity bands unverified gets the bands marked in the table and a caption."""
    text = (instruments_dir() / "phq9.yaml").read_text(encoding="utf-8")
    anchor = "    source: kroenke2001\n    bands:"
    assert text.count(anchor) == 1
    spec_path = tmp_path / "phq9.yaml"
    spec_path.write_text(
        text.replace(
            anchor,
            "    source: kroenke2001\n    verification: unverified\n"
            "    note: Bands copied from a secondary summary.\n    bands:",
        ),
        encoding="utf-8",
    )
    page = _built_quietly(
        build_client_report, "practice_rom", client="C09", instrument=[str(spec_path)]
    ).html
    phq = _text(_section(page, "PHQ-9"))
    assert "Not verified: PHQ-9 severity bands, Depression severity (output phq9_band), were" in phq
    assert "Bands copied from a secondary summary." in phq
    bands = re.findall(r"<td>([a-z ]+) \(not verified\)</td>", phq)
    assert len(bands) == 2  # intake and latest band, each marked
    # the bundled spec (no verification mark) says nothing
    plain = build_client_report("practice_rom", client="C09", instrument=["phq9"]).html
    assert "not verified" not in _text(plain).lower()


@pytest.mark.parametrize("kind", ["client", "caseload"])
def test_cli_report_prints_no_warning(tmp_path, capsys, kind):
    out = tmp_path / f"{kind}.html"
    args = ["report", kind, "practice_rom", "-o", str(out)]
    args += ["--client", WITH] if kind == "client" else ["--as-of", "2024-11-01"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(args) == 0
    assert caught == []
    err = capsys.readouterr().err
    assert "Warning" not in err and "not verified" not in err.lower()
    assert "Not verified: FSDS-R cutoff" in _text(out.read_text(encoding="utf-8"))
