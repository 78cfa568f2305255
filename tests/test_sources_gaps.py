"""read_responses on the awkward corners of real exports, each from a small export written here.

Qualtrics numeric exports (``Status`` codes, export tags ``Q1``... matched through the question
text of header row 2), REDCap label exports (checkbox ``(choice=...)`` headers, forms left
Incomplete or Unverified), Google Forms (checkbox answers joined in one cell, times of day),
scales shifted downward or per range group (IIEF), single-wave files (``timepoint_value=``)
and optional ``keep`` columns (``keep_missing=``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import past_outcomes as po
from past_outcomes.errors import ArgumentError, DataValidationError
from past_outcomes.sources.dates import parse_dates

PHQ = [f"phq9_{n}" for n in range(1, 10)]
STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
STATEMENTS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself",
    "Trouble concentrating on things",
    "Moving or speaking slowly, or being fidgety",
    "Thoughts that you would be better off dead",
]


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _csv_row(cells):
    return ",".join('"' + str(c).replace('"', '""') + '"' for c in cells)


# ------------------------------------------------------------------------------------------
# Qualtrics: numeric Status codes and question text


def _qualtrics_numeric(tmp_path, statuses):
    """A numeric-values export whose questions keep Qualtrics' default tags Q1_1..Q1_9."""
    meta = ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate"]
    meta += ["ResponseId", "DistributionChannel", "client"]
    tags = [f"Q1_{n}" for n in range(1, 10)]
    questions = ["Start Date", "End Date", "Response Type", "Progress", "Finished"]
    questions += ["Recorded Date", "Response ID", "Distribution Channel", "client"]
    questions += [f"{STEM} - {s}" for s in STATEMENTS]
    import_ids = [f'{{"ImportId":"{h}"}}' for h in meta] + [
        f'{{"ImportId":"QID1_{n}"}}' for n in range(1, 10)
    ]
    lines = [_csv_row(meta + tags), _csv_row(questions), _csv_row(import_ids)]
    for k, status in enumerate(statuses):
        answers = [(k + n) % 4 for n in range(9)]
        lines.append(
            _csv_row(
                ["2024-05-01 10:00:00", "2024-05-01 10:05:00", status, 100, 1]
                + [f"2024-05-0{1 + k % 9} 10:05:0{k % 10}", f"R_{k}", "anonymous", f"C{k}"]
                + answers
            )
        )
    return _write(tmp_path / "numeric.csv", "\n".join(lines) + "\n")


def test_qualtrics_numeric_status_codes_are_set_aside_by_their_bits(tmp_path):
    """Codes as in Qualtrics' SPSS value labels: 0 IP Address, 1 Survey Preview, 2 Survey
    Test, 4 Imported, 8 Spam, 9 Survey Preview Spam, 12 Imported Spam, 16 Offline,
    17 Offline Survey Preview."""
    statuses = [0, 1, 2, 4, 8, 9, 12, 16, 17]
    book = tmp_path / "book.yaml"
    book.write_text(
        "columns:\n" + "".join(f'  "{s}": phq9_{n}\n' for n, s in enumerate(STATEMENTS, 1))
    )
    res = po.read_responses(_qualtrics_numeric(tmp_path, statuses), subject="client", codebook=book)
    assert list(res.table["subject"]) == ["C0", "C3", "C7"]  # 0, 4 and 16 are real answers
    ex = res.excluded
    assert list(ex["reason"]) == ["preview"] * 6
    assert list(ex["subject"]) == ["C1", "C2", "C4", "C5", "C6", "C8"]
    assert "Status 17" in ex["detail"].iloc[-1] and "line 12" in ex["detail"].iloc[-1]
    # the statements (row 2 after the stem) found Q1_1..Q1_9; answers as exported
    t = res.table
    assert t[PHQ].iloc[1].tolist() == [(3 + n) % 4 for n in range(9)]
    notes = " ".join(res.notes())
    assert "found by the question text" in notes and "'Q1_1'" in notes


def test_qualtrics_codebook_with_the_whole_question_text_and_ambiguous_text(tmp_path):
    path = _qualtrics_numeric(tmp_path, [0, 0])
    whole = tmp_path / "whole.yaml"
    whole.write_text(
        "subject: client\ncolumns:\n"
        + "".join(f'  "{STEM} - {s}": phq9_{n}\n' for n, s in enumerate(STATEMENTS, 1))
    )
    res = po.read_responses(path, codebook=whole)
    assert res.table["phq9_9"].tolist() == [0, 1]
    # a statement two columns share cannot name one of them
    text = path.read_text().replace(STATEMENTS[1], STATEMENTS[0])
    dup = _write(tmp_path / "dup.csv", text)
    book = tmp_path / "book.yaml"
    book.write_text(f'subject: client\ncolumns:\n  "{STATEMENTS[0]}": phq9_1\n')
    with pytest.raises(DataValidationError, match="question text of 2 columns") as info:
        po.read_responses(dup, codebook=book)
    fc = info.value.failure_cases
    assert fc["reason"].tolist() == ["ambiguous-column"] and fc["value"].iloc[0] == "Q1_1, Q1_2"


def test_qualtrics_question_text_absent_is_a_missing_column(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text('subject: client\ncolumns:\n  "A question nobody asked": phq9_1\n')
    with pytest.raises(DataValidationError, match="no header or question text") as info:
        po.read_responses(_qualtrics_numeric(tmp_path, [0]), codebook=book)
    assert info.value.failure_cases["reason"].tolist() == ["missing-column"]


# ------------------------------------------------------------------------------------------
# REDCap: checkbox label headers and form statuses


def _dictionary(tmp_path):
    rows = [
        _csv_row(
            ["Variable / Field Name", "Form Name", "Field Type", "Field Label"]
            + ["Choices, Calculations, OR Slider Labels"]
        ),
        _csv_row(["record_id", "phq9", "text", "Record ID", ""]),
    ]
    rows += [
        _csv_row([f"phq9_{n}", "phq9", "radio", s, "0, Not at all | 1, Several days"])
        for n, s in enumerate(STATEMENTS, 1)
    ]
    rows.append(
        _csv_row(
            ["meds", "phq9", "checkbox", "Medicines taken (check all that apply)"]
            + ["1, Sertraline | 2, Other (please say which)"]
        )
    )
    return _write(tmp_path / "dictionary.csv", "\n".join(rows) + "\n")


def test_redcap_label_export_checkbox_headers_and_incomplete_forms(tmp_path):
    header = ["Record ID", "Event Name", *STATEMENTS]
    header += [
        "Medicines taken (check all that apply) (choice=Sertraline)",
        "Medicines taken (check all that apply)  (choice=Other (please say which))",
        "Complete?",
    ]
    rows = [_csv_row(header)]
    rows.append(
        _csv_row(
            ["101", "Intake (Arm 1: Clinic)"]
            + ["Several days"] * 9
            + ["Checked", "Unchecked", "Incomplete"]
        )
    )
    rows.append(
        _csv_row(
            ["101", "Week 4 (Arm 1: Clinic)"]
            + ["Not at all"] * 9
            + ["Unchecked", "Checked", "Complete"]
        )
    )
    rows.append(
        _csv_row(
            ["102", "Intake (Arm 1: Clinic)"]
            + ["Several days"] * 9
            + ["Unchecked", "Unchecked", "Unverified"]
        )
    )
    rows.append(_csv_row(["103", "Intake (Arm 1: Clinic)"] + [""] * 9 + ["", "", "Incomplete"]))
    path = _write(tmp_path / "labels.csv", "\n".join(rows) + "\n")
    res = po.read_responses(path, codebook=_dictionary(tmp_path), keep=["meds___1", "meds___2"])
    t = res.table
    assert res.source == "redcap"
    assert list(t["meds___1"]) == [1, 0, 0] and list(t["meds___2"]) == [0, 1, 0]
    assert t[PHQ].sum(axis=1).tolist() == [9, 0, 9]
    # kept and reported row by row (line 5 has no answer: set aside, not listed as a status)
    notes = res.notes()
    status = next(n for n in notes if n.startswith("form_1_complete"))
    assert "1 row(s) Incomplete and 1 Unverified; their answers are kept" in status
    assert "line 2 (subject 101, timepoint Intake) Incomplete" in status
    assert "line 4 (subject 102, timepoint Intake) Unverified" in status
    assert "line 5" not in status
    assert list(res.excluded["reason"]) == ["no-items"]
    # without the dictionary the headers stay and the notes say what is missing
    raw = path.read_text()
    for n, s in enumerate(STATEMENTS, 1):
        raw = raw.replace(f'"{s}"', f'"phq9_{n}"', 1)
    res = po.read_responses(
        _write(tmp_path / "nodict.csv", raw.replace("Several days", "1").replace("Not at all", "0"))
    )
    assert any("(choice=...)" in n and "pass the data dictionary" in n for n in res.notes())


# ------------------------------------------------------------------------------------------
# Google Forms: checkbox answers in one cell, times of day


def _forms_checkbox(tmp_path, cells):
    question = "In the past month, which of these happened? (check all that apply)"
    rows = [_csv_row(["Timestamp", "Client code", question])]
    rows += [
        _csv_row([f"2024/05/2{k} 10:1{k}:00 PM GMT+1", f"K{k}", cell])
        for k, cell in enumerate(cells)
    ]
    book = tmp_path / "book.yaml"
    book.write_text(
        "subject: Client code\nmulti_select:\n"
        f'  "{question}":\n'
        '    "Wished you were dead, or could go to sleep and not wake up": cssrs_screen_1\n'
        '    "Had thoughts of killing yourself": cssrs_screen_2\n'
        '    "None of these": cssrs_screen_7\n'
    )
    return _write(tmp_path / "Form Responses 1.csv", "\n".join(rows) + "\n"), book


def test_forms_checkbox_answers_split_only_on_declared_options(tmp_path):
    cells = [
        "Wished you were dead, or could go to sleep and not wake up, Had thoughts of killing yourself",
        "None of these",
        "",
    ]
    path, book = _forms_checkbox(tmp_path, cells)
    res = po.read_responses(path, codebook=book)
    t = res.table
    assert t["cssrs_screen_1"].tolist()[:2] == [1, 0] and t["cssrs_screen_2"].tolist()[:2] == [1, 0]
    assert t["cssrs_screen_7"].tolist()[:2] == [0, 1]
    # an empty cell is not answered, never "none ticked" (and the row has no item at all)
    assert list(res.excluded["reason"]) == ["no-items"]
    assert res.excluded["subject"].iloc[0] == "K2"
    # the time of day is kept, as written (the zone is noted, not applied)
    assert t["date"].tolist() == [
        pd.Timestamp("2024-05-20 22:10"),
        pd.Timestamp("2024-05-21 22:11"),
    ]
    notes = " ".join(res.notes())
    assert "split into 3 item(s)" in notes and "GMT+1" in notes and "not converted" in notes


def test_forms_checkbox_option_not_declared_is_an_error_with_its_line(tmp_path):
    path, book = _forms_checkbox(
        tmp_path, ["None of these", "Had thoughts of killing yourself, Other"]
    )
    with pytest.raises(DataValidationError, match="ticked option 'other' is none of") as info:
        po.read_responses(path, codebook=book)
    fc = info.value.failure_cases
    assert fc[["row", "subject", "reason"]].values.tolist() == [[3, "K1", "unmapped-label"]]


def test_comma_joined_answers_are_not_split_without_a_declaration(tmp_path):
    text = 'subject,phq9_1,hobbies\nA,1,"reading, music"\n'
    res = po.read_responses(_write(tmp_path / "plain.csv", text), keep=["hobbies"])
    assert res.table["hobbies"].tolist() == ["reading, music"]
    assert [c for c in res.table.columns if "hobb" in c] == ["hobbies"]


def test_multi_select_codebook_refusals(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text('columns: {Q1: cssrs_screen_1}\nmulti_select:\n  Q2: {"A": cssrs_screen_1}\n')
    with pytest.raises(ArgumentError, match="two answers are mapped to the item 'cssrs_screen_1'"):
        po.load_codebook(book)
    book.write_text('multi_select:\n  Q2: {"A": phq9}\n')
    with pytest.raises(ArgumentError, match="must map to an item column"):
        po.load_codebook(book)


# ------------------------------------------------------------------------------------------
# shifted scales: downward, and per range group


def test_scale_shifted_downward_is_refused_with_add_one(tmp_path):
    # ASEX items are 1-6; recode values starting at 0 give 0-5
    rows = ["subject," + ",".join(f"asex_{n}" for n in range(1, 6))]
    rows += [f"S{k}," + ",".join(str((k + n) % 5) for n in range(5)) for k in range(3)]
    with pytest.raises(DataValidationError, match=r"shifted by one, downward.*Add 1") as info:
        po.read_responses(_write(tmp_path / "asex.csv", "\n".join(rows) + "\n"))
    fc = info.value.failure_cases
    assert fc[["column", "value", "reason"]].values.tolist() == [["asex", "0-4", "shifted-scale"]]


def _iief_file(tmp_path, shift):
    inst = po.load_instrument("iief")
    rows = ["subject," + ",".join(it.column for it in inst.items)]
    for k in range(3):
        cells = [int(it.min) + (k + it.n) % int(it.max - it.min + 1) + shift for it in inst.items]
        rows.append(f"S{k}," + ",".join(map(str, cells)))
    return _write(tmp_path / "iief.csv", "\n".join(rows) + "\n"), inst


def test_iief_mixed_ranges_checked_group_by_group(tmp_path):
    path, inst = _iief_file(tmp_path, 0)
    assert len(po.read_responses(path).table) == 3  # correctly coded: no complaint
    path, inst = _iief_file(tmp_path, 1)
    with pytest.raises(DataValidationError, match="shifted by one, upward") as info:
        po.read_responses(path)
    fc = info.value.failure_cases
    ones = sorted(it.n for it in inst.items if it.min == 1)
    assert fc["reason"].tolist() == ["shifted-scale", "shifted-scale"]
    assert fc["value"].tolist() == ["1-6", "2-6"]
    assert f"items {ones[0]}" in fc["message"].iloc[1] and "(scale 1-5)" in fc["message"].iloc[1]


# ------------------------------------------------------------------------------------------
# single-wave files and optional keep columns


def test_timepoint_value_gives_every_row_one_timepoint(tmp_path):
    path = _write(tmp_path / "wave.csv", "client,phq9_1,phq9_2\nA,1,2\nB,0,3\n")
    res = po.read_responses(path, subject="client", timepoint_value="baseline")
    assert list(res.table["timepoint"]) == ["baseline", "baseline"]
    assert "timepoint is 'baseline' on every row (timepoint_value=)." in res.notes()
    assert list(
        po.read_responses(path, subject="client", timepoint_value=0).table["timepoint"]
    ) == ["0", "0"]
    with pytest.raises(ArgumentError, match="cannot both be given"):
        po.read_responses(path, subject="client", timepoint="x", timepoint_value="baseline")
    with pytest.raises(ArgumentError, match="timepoint_value must be one timepoint"):
        po.read_responses(path, subject="client", timepoint_value=True)
    waves = _write(tmp_path / "waves.csv", "subject,timepoint,phq9_1\nA,pre,1\nA,post,0\n")
    with pytest.raises(ArgumentError, match=r"already has a timepoint: the column 'timepoint'"):
        po.read_responses(waves, timepoint_value="baseline")


def test_keep_missing_ignore_notes_the_absent_columns(tmp_path):
    path = _write(tmp_path / "k.csv", "subject,phq9_1,gender\nA,1,woman\n")
    with pytest.raises(ArgumentError, match=r"'arm' is not one.*keep_missing='ignore'"):
        po.read_responses(path, keep=["gender", "arm"])
    res = po.read_responses(path, keep=["gender", "arm"], keep_missing="ignore")
    assert list(res.table["gender"]) == ["woman"] and "arm" not in res.table.columns
    assert "keep: 'arm' not in the file; left out (keep_missing='ignore')." in res.notes()
    with pytest.raises(ArgumentError, match="keep_missing must be 'error' or 'ignore'"):
        po.read_responses(path, keep_missing="skip")


# ------------------------------------------------------------------------------------------
# dates: the time of day survives every written form


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1990, 1, 13), max_value=dt.datetime(2060, 12, 31)),
    st.sampled_from(["iso", "iso_t", "google", "ms_month", "day_first"]),
)
def test_dates_keep_the_time_as_written(when, form):
    when = when.replace(microsecond=0)
    hour12 = when.hour % 12 or 12
    ampm = "AM" if when.hour < 12 else "PM"
    text = {
        "iso": when.strftime("%Y-%m-%d %H:%M:%S"),
        "iso_t": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "google": when.strftime(f"%Y/%m/%d {hour12}:%M:%S {ampm} GMT+2"),
        "ms_month": f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}:{when.second:02d}",
        "day_first": when.strftime("%d.%m.%Y %H:%M:%S"),
    }[form]
    order = {"ms_month": False, "day_first": True}.get(form)
    values, _note = parse_dates(pd.Series([text], index=[2]), column="d", dayfirst=order)
    assert values.iloc[0] == pd.Timestamp(when)


def test_unreadable_time_is_an_error_not_dropped():
    with pytest.raises(DataValidationError, match="cannot be read") as info:
        parse_dates(
            pd.Series(["2024-05-24 25:61", "2024-05-24 lunchtime"], index=[2, 3]), column="d"
        )
    assert info.value.failure_cases["row"].tolist() == [2, 3]
