"""The caseload report, the append-only actions file and the report/flags commands."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.cli import main
from past_outcomes.errors import ArgumentError, DataValidationError, InputFileError
from past_outcomes.report.caseload import build_caseload_report
from past_outcomes.report.flags import append_action, read_actions


def _client_order(html: str) -> list[str]:
    table = html[html.index("<h2>Clients</h2>") : html.index("<h2>Summary</h2>")]
    return re.findall(r"<tr>\s*<td><strong>([^<]+)</strong>", table)


@pytest.fixture(scope="module")
def caseload() -> str:
    return build_caseload_report("practice_rom", as_of="2024-11-01", schedule_weeks=4).html


def test_one_row_per_client_unresolved_flags_first(caseload: str) -> None:
    order = _client_order(caseload)
    assert sorted(order) == [f"C{k:02d}" for k in range(1, 13)]
    assert order[:2] == ["C09", "C04"]  # C09: safety + deterioration; C04: safety
    assert "SAFETY: ASSESS NOW (2 without a recorded action)" in caseload
    assert caseload.index('class="banner') < caseload.index("<h2>Clients</h2>")


def test_share_reliably_improved_matches_classify_change(caseload: str) -> None:
    raw = po.read_dataset("practice_rom")
    scored = pd.concat([raw[["subject", "date"]], po.score(raw, instrument="phq9")], axis=1)
    given = scored[scored["phq9_n_answered"] > 0].sort_values(["subject", "date"]).copy()
    given["seq"] = given.groupby("subject").cumcount() + 1
    intake_sd = given.loc[given["seq"] == 1, "phq9_total"].dropna().std(ddof=1)
    with pytest.warns(po.UnpairedSubjectsWarning):
        res = po.classify_change(
            given, measure="phq9_total", timepoint="seq", pre=1, post="latest",
            instrument="phq9", sd_pre=intake_sd,
        )  # fmt: skip
    improved = int((res.table["reliable"] == "improved").sum())
    both = int(res.table["reliable"].notna().sum())
    assert f"PHQ-9: {improved} of {both} clients with an intake and a later score" in caseload


def test_days_since_and_overdue() -> None:
    raw = po.read_dataset("practice_rom")
    last = raw.groupby("subject")["date"].max()
    as_of = pd.Timestamp("2024-11-01")
    overdue = int(((as_of - last).dt.days > 28).sum())
    html = build_caseload_report(raw, as_of="2024-11-01", schedule_weeks=4).html
    assert f"{overdue} overdue under the declared schedule (every 4 weeks" in html
    html_long = build_caseload_report(raw, as_of="2024-11-01", schedule_weeks=52).html
    expected = int(((as_of - last).dt.days > 364).sum())
    assert f"{expected} overdue under the declared schedule (every 52 weeks" in html_long


def test_resolved_flag_moves_down(tmp_path) -> None:
    actions = tmp_path / "actions.csv"
    append_action(actions, flag="C04:phq9_item9_flag:2024-01-25", who="AB", action="assessed",
                  date="2024-01-25")  # fmt: skip
    html = build_caseload_report("practice_rom", as_of="2024-11-01", actions=actions).html
    order = _client_order(html)
    assert order[:5] == ["C09", "C01", "C02", "C03", "C04"]  # C04 now sorted with the rest
    assert "Safety items with a recorded action" in html


def test_actions_file_is_append_only(tmp_path) -> None:
    actions = tmp_path / "actions.csv"
    append_action(actions, flag="C04:phq9_item9_flag:2024-01-25", who="AB", action="first",
                  date="2024-01-25")  # fmt: skip
    before = actions.read_bytes()
    append_action(actions, flag="C04:phq9_item9_flag:2024-01-25", who="CD",
                  action='second, with "quotes"', date="2024-01-26")  # fmt: skip
    after = actions.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    table = read_actions(actions)
    assert table["action"].tolist() == ["first", 'second, with "quotes"']


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                        max_size=30).filter(str.strip), min_size=1, max_size=4))  # fmt: skip
def test_every_recorded_action_is_kept(tmp_path_factory, texts: list[str]) -> None:
    actions = tmp_path_factory.mktemp("a") / "actions.csv"
    for text in texts:
        append_action(actions, flag="C01:phq9_item9_flag:admin1", who="AB", action=text,
                      date="2024-01-01")  # fmt: skip
    assert read_actions(actions)["action"].tolist() == [t.strip() for t in texts]


def test_actions_refusals(tmp_path) -> None:
    with pytest.raises(ArgumentError, match="the flag must be a flag id"):
        append_action(tmp_path / "a.csv", flag="C04", who="AB", action="x")
    with pytest.raises(ArgumentError, match="action must be one line of text"):
        append_action(tmp_path / "a.csv", flag="C04:phq9_item9_flag:admin1", who="AB",
                      action="two\nlines")  # fmt: skip
    with pytest.raises(ArgumentError, match="date must be YYYY-MM-DD; got '26/01/2024'"):
        append_action(tmp_path / "a.csv", flag="C04:phq9_item9_flag:admin1", who="AB",
                      action="x", date="26/01/2024")  # fmt: skip
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("when,what\n2024-01-01,x\n")
    with pytest.raises(InputFileError, match="must have the header date,flag,who,action"):
        append_action(wrong, flag="C04:phq9_item9_flag:admin1", who="AB", action="x")
    assert wrong.read_text() == "when,what\n2024-01-01,x\n"  # untouched
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("date,flag,who,action\n2024-01-01,C04:phq9_item9_flag:admin1,,x\n")
    with pytest.raises(DataValidationError, match="missing-value"):
        read_actions(gaps)


def test_cli_report_and_flags(tmp_path, capsys) -> None:
    actions = tmp_path / "actions.csv"
    out = tmp_path / "c04.html"
    assert main(["flags", "resolve", "C04:phq9_item9_flag:2024-01-25", "--actions",
                 str(actions), "--who", "AB", "--action", "safety plan done",
                 "--date", "2024-01-26"]) == 0  # fmt: skip
    assert main(["report", "client", "practice_rom", "--client", "C04", "-o", str(out),
                 "--actions", str(actions)]) == 0  # fmt: skip
    assert "2024-01-26, AB: safety plan done" in out.read_text(encoding="utf-8")
    public = tmp_path / "public.html"
    assert main(["report", "client", "practice_rom", "--client", "C04", "-o", str(public),
                 "--audience", "client"]) == 0  # fmt: skip
    assert "item 9" not in public.read_text(encoding="utf-8")
    case = tmp_path / "caseload.html"
    assert main(["report", "caseload", "practice_rom", "-o", str(case), "--schedule-weeks",
                 "6", "--as-of", "2024-11-01"]) == 0  # fmt: skip
    assert "every 6 weeks" in case.read_text(encoding="utf-8")
    capsys.readouterr()
    # an output never overwrites an input, even with --force
    assert main(["report", "caseload", "practice_rom", "-o", str(actions), "--actions",
                 str(actions), "--force"]) == 2  # fmt: skip
    assert "must not be a file the command reads" in capsys.readouterr().err
    assert main(["report", "client", "practice_rom", "--client", "C04", "-o", str(out)]) == 2
    assert "must not overwrite an existing file" in capsys.readouterr().err
