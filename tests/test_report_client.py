"""Practitioner reports on the bundled practice_rom data (data/synthetic/README.md: C09
reliably deteriorates; C04 answers PHQ-9 item 9 with 1 at prep, 2024-01-25)."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

import past_outcomes as po
from past_outcomes.errors import ArgumentError, DataValidationError, OutputPathError
from past_outcomes.report.client import build_client_report
from past_outcomes.report.flags import CHECKLIST, append_action


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.links.append(str(a[key]))


def _parse(html: str) -> _Images:
    parser = _Images()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def c09() -> str:
    return build_client_report("practice_rom", client="C09").html


@pytest.fixture(scope="module")
def c04() -> str:
    return build_client_report("practice_rom", client="C04").html


def test_deterioration_flag_and_checklist(c09: str) -> None:
    assert "Reliable deterioration since intake" in c09
    for item in CHECKLIST:
        assert item in c09
    # the PHQ-9 RCI, recomputed by hand: (latest - intake) / (sqrt(2) SD sqrt(1 - r)) with the
    # SD of the intake scores of the caseload and r from the spec
    raw = po.read_dataset("practice_rom")
    scored = pd.concat([raw[["subject", "timepoint"]], po.score(raw, instrument="phq9")], axis=1)
    intake = scored[scored["timepoint"] == "intake"]["phq9_total"].dropna()
    r = po.load_instrument("phq9").change["phq9_total"].reliability.value
    s_diff = math.sqrt(2) * intake.std(ddof=1) * math.sqrt(1 - r)
    rows = scored[scored["subject"] == "C09"].dropna(subset=["phq9_total"])
    rci = (rows["phq9_total"].iloc[-1] - rows["phq9_total"].iloc[0]) / s_diff
    assert rci > 1.96
    assert f"RCI {rci:+.2f}" in c09
    assert "C09:phq9_total-deterioration:2024-08-12" in c09
    assert "reliably deteriorated" in c09


def test_band_move_is_not_called_change(c09: str) -> None:
    # PHQ-9 moves from mild to severe: the move is named and said not to be change by itself
    assert 'from the band "mild" to "severe"' in c09
    assert "A move between bands is not by itself change" in c09


def test_numbers_behind_the_label(c09: str) -> None:
    assert "The numbers behind the label" in c09
    assert "Reliability r = " in c09
    assert "SD of this file&#39;s intake scores (n = " in c09
    assert "no Jacobson-Truax category" in c09  # PHQ-9: no norms in the spec


def test_safety_banner_then_recorded_action(c04: str, tmp_path) -> None:
    banner = c04[c04.index('class="banner') : c04.index("</section>")]
    assert "SAFETY: ASSESS NOW" in banner
    assert "2024-01-25" in banner and "item 9 answered 1 (several days)" in banner
    assert "No action recorded: assess now" in banner
    assert "not a risk score" in banner and "misses many people at risk" in banner
    # the banner comes before the first chart
    assert c04.index('class="banner') < c04.index("<img")

    actions = tmp_path / "actions.csv"
    append_action(
        actions, flag="C04:phq9_item9_flag:2024-01-25", who="AB",
        action="safety plan done, GP informed", date="2024-01-26",
    )  # fmt: skip
    html = build_client_report("practice_rom", client="C04", actions=actions).html
    banner = html[html.index('class="banner') : html.index("</section>")]
    assert "Action recorded:" in banner
    assert "2024-01-26, AB: safety plan done, GP informed" in banner
    assert "No action recorded" not in banner
    assert "SAFETY: ASSESS NOW" not in banner  # resolved: the banner stays, says so
    assert html.index('class="banner') < html.index("<img")


def test_unresolved_flag_stays_first(tmp_path) -> None:
    actions = tmp_path / "actions.csv"
    append_action(
        actions, flag="C09:phq9_total-deterioration:2024-08-12", who="AB",
        action="reviewed alliance", date="2024-08-13",
    )  # fmt: skip
    html = build_client_report("practice_rom", client="C09", actions=actions).html
    section = html[html.index("Reliable deterioration since intake") :]
    first_flag = section[section.index('class="flag') :][:40]
    assert "unresolved" in first_flag
    assert section.index("reviewed alliance") > section.index("No action recorded")


def test_single_administration_has_no_follow_up_yet() -> None:
    raw = po.read_dataset("practice_rom")
    one = raw[(raw["subject"] == "C12") & (raw["timepoint"] == "intake")].copy()
    one["subject"] = "C13"
    data = pd.concat([raw, one], ignore_index=True)
    html = build_client_report(data, client="C13").html
    assert "No follow-up yet" in html
    assert "reliably" not in html.split("Questionnaires over time")[1]


def test_client_version_has_no_item9_or_jargon() -> None:
    for client in ("C04", "C09"):
        html = build_client_report("practice_rom", client=client, audience="client").html
        text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<style>.*?</style>", "", html))
        for word in ("item 9", "RCI", "reliab", "Jacobson", "suicid", "assess now", "flag"):
            assert word.lower() not in text.lower(), (client, word)
        assert "phq9_item9" not in html
        assert "Your progress" in html
    assert "things have been harder lately" in html  # C09, in plain words


def test_self_contained_with_real_alt_text(c09: str) -> None:
    parsed = _parse(c09)
    assert len(parsed.images) == 5  # one per questionnaire C09 filled in
    for img in parsed.images:
        assert str(img["src"]).startswith("data:image/svg+xml;base64,")
        alt = str(img["alt"])
        assert alt.startswith("Line chart of the ") and "dosing sessions" in alt
    assert all(link.startswith("data:") for link in parsed.links)
    assert "<script" not in c09 and "http://" not in c09.split("<footer>")[0]
    assert "@media print" in c09
    assert f"past_outcomes {po.__version__}" in c09 and "SHA-256" in c09


def test_file_without_dates_reads_in_file_order(tmp_path) -> None:
    raw = po.read_dataset("practice_rom")
    path = tmp_path / "practice.csv"
    keep = [c for c in raw.columns if c not in ("date", "medicine", "gender", "age")]
    raw[raw["subject"].isin(["C04", "C09"])][keep].to_csv(path, index=False)
    html = build_client_report(path, client="C09").html
    assert "in file order (the data have no dates)" in html
    assert "practice.csv" in html
    assert "administration 8 (followup_3m)" in html


def test_html_escapes_client_ids() -> None:
    raw = po.read_dataset("practice_rom")
    raw = raw[raw["subject"] == "C04"].copy()
    raw["subject"] = "<b>x</b>"
    html = build_client_report(raw, client="<b>x</b>").html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_argument_errors(tmp_path) -> None:
    with pytest.raises(ArgumentError, match="client must be a client id of the data; got 'C99'"):
        build_client_report("practice_rom", client="C99")
    with pytest.raises(ArgumentError, match="audience must be"):
        build_client_report("practice_rom", client="C04", audience="patient")
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,timepoint,date,phq9_1\nC1,intake,03/04/2024,1\n")
    with pytest.raises(DataValidationError, match="not-a-date") as info:
        build_client_report(bad, client="C1")
    assert info.value.failure_cases["reason"].tolist() == ["not-a-date"]


def test_write_refuses_inputs_and_existing(tmp_path) -> None:
    raw = po.read_dataset("practice_rom")
    path = tmp_path / "data.csv"
    raw[raw["subject"] == "C04"].to_csv(path, index=False)
    report = build_client_report(path, client="C04")
    with pytest.raises(OutputPathError, match="must not be a file the command reads"):
        report.write(path, force=True)
    out = report.write(tmp_path / "r.html")
    assert out.read_text(encoding="utf-8") == report.html
    with pytest.raises(OutputPathError, match="must not overwrite an existing file"):
        report.write(out)
