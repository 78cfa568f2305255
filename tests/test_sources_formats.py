"""read_responses on realistic small exports of every supported source, written here.

Each test writes the file a practitioner would download (REDCap, Qualtrics, Google and
Microsoft Forms, SPSS, Stata, Excel, European CSV), reads it, and checks the canonical frame
against values worked out by hand from the file, then scores it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import past_outcomes as po
from past_outcomes.errors import DataValidationError, InputFileError

PHQ = [f"phq9_{n}" for n in range(1, 10)]
WORDS = ["Not at all", "Several days", "More than half the days", "Nearly every day"]


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------------------------------
# REDCap


def test_redcap_raw_longitudinal_with_repeating_instrument(tmp_path):
    rows = [
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,"
        + ",".join(PHQ)
        + ",phq9_complete,meds___1,meds___2",
        "101,baseline_arm_1,,," + ",".join("1" * 9) + ",2,1,0",
        "101,treatment_arm_1,phq9,1," + ",".join("2" * 9) + ",2,,",
        "101,treatment_arm_1,phq9,2," + ",".join("0" * 9) + ",0,,",
        "102,baseline_arm_1,,," + ",".join(["3"] * 8 + [""]) + ",0,0,1",
        "102,treatment_arm_1,,," + "," * 8 + ",,,",  # event without the form
    ]
    path = _write(tmp_path / "proj_DATA_2024-06-01.csv", "\n".join(rows) + "\n")
    res = po.read_responses(path)
    assert res.source == "redcap"
    t = res.table
    assert list(t["subject"]) == ["101", "101", "101", "102"]
    assert list(t["timepoint"]) == ["baseline", "treatment_1", "treatment_2", "baseline"]
    assert list(t["source_line"]) == [2, 3, 4, 5]
    assert t["phq9_9"].isna().tolist() == [False, False, False, True]
    assert "group" not in t.columns  # one arm only
    assert list(res.excluded["reason"]) == ["no-items"]
    assert list(res.excluded["subject"]) == ["102"]
    notes = " ".join(res.notes())
    assert "REDCap column 'redcap_event_name'" in notes
    assert "phq9_complete: 2 row(s) Incomplete and 0 Unverified" in notes
    scores = po.score(t, instrument="phq9")
    assert scores["phq9_total"].tolist()[:3] == [9.0, 18.0, 0.0]
    assert np.isnan(scores["phq9_total"].iloc[3])


def test_redcap_label_export_with_dictionary_and_two_arms(tmp_path):
    """Label headers (field labels, 'Complete?' per form) and label values, decoded through
    the data dictionary (PHQ-9 here, but the dictionary's words, not the spec's, are used)."""
    dictionary = [
        '"Variable / Field Name","Form Name","Field Type","Field Label",'
        '"Choices, Calculations, OR Slider Labels"',
        'record_id,intake,text,"Record ID",',
    ]
    for n in range(1, 10):
        dictionary.append(
            f'phq9_{n},phq9,radio,"Question {n} of the form",'
            '"0, Never | 1, Some days | 2, Most days | 3, Every day"'
        )
    dict_path = _write(tmp_path / "dictionary.csv", "\n".join(dictionary) + "\n")
    header = ["Record ID", "Event Name"] + [f"Question {n} of the form" for n in range(1, 10)]
    header += ["Complete?", "Complete?"]
    rows = [",".join(f'"{h}"' for h in header)]
    rows.append(
        "A1,Baseline (Arm 1: Ketamine)," + ",".join(["Some days"] * 9) + ",Complete,Incomplete"
    )
    rows.append(
        "A2,Baseline (Arm 2: Waitlist)," + ",".join(["Every day"] * 9) + ",Unverified,Complete"
    )
    path = _write(tmp_path / "labels.csv", "\n".join(rows) + "\n")
    res = po.read_responses(path, codebook=dict_path)
    t = res.table
    assert res.source == "redcap"
    assert list(t["timepoint"]) == ["Baseline", "Baseline"]
    assert list(t["group"]) == ["Arm 1: Ketamine", "Arm 2: Waitlist"]
    assert t[PHQ].iloc[0].tolist() == [1] * 9 and t[PHQ].iloc[1].tolist() == [3] * 9
    assert "through the codebook" in " ".join(res.notes())


def test_redcap_label_value_without_dictionary_uses_spec_labels(tmp_path):
    rows = ["record_id," + ",".join(PHQ) + ",phq9_complete"]
    rows.append("7," + ",".join(WORDS[i % 4] for i in range(9)) + ",Complete")
    res = po.read_responses(_write(tmp_path / "r.csv", "\n".join(rows) + "\n"))
    assert res.source == "redcap"
    assert res.table[PHQ].iloc[0].tolist() == [i % 4 for i in range(9)]
    assert "PHQ-9 spec's published labels" in " ".join(res.notes())


# ------------------------------------------------------------------------------------------
# Qualtrics


def _qualtrics(tmp_path, rows):
    head = [
        "StartDate",
        "EndDate",
        "Status",
        "Progress",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "DistributionChannel",
        "client_id",
    ] + [f"PHQ9_{n}" for n in range(1, 10)]
    question = [
        "Start Date",
        "End Date",
        "Response Type",
        "Progress",
        "Finished",
        "Recorded Date",
        "Response ID",
        "Distribution Channel",
        "client_id",
    ]
    question += [f"Over the last 2 weeks... - item {n}" for n in range(1, 10)]
    import_ids = [f'"{{""ImportId"":""{h}""}}"' for h in head]
    lines = [",".join(head), ",".join(f'"{q}"' for q in question), ",".join(import_ids)]
    lines += rows
    return _write(tmp_path / "survey.csv", "\n".join(lines) + "\n")


def test_qualtrics_three_header_rows_previews_and_unfinished(tmp_path):
    meta = "2024-05-01 10:00:00,2024-05-01 10:05:00"
    rows = [
        f"{meta},IP Address,100,True,2024-05-01 10:05:01,R_1,anonymous,C01,"
        + ",".join(WORDS[1:2] * 9),
        f"{meta},Survey Preview,100,True,2024-05-01 10:05:01,R_2,preview,TEST,"
        + ",".join(WORDS[:1] * 9),
        f"{meta},IP Address,40,False,2024-05-02 10:05:01,R_3,anonymous,C02,"
        + ",".join(["Nearly every day"] * 3 + [""] * 6),
        f"{meta},IP Address,100,True,2024-05-03 09:00:00,R_4,anonymous,C03," + ",".join(["2"] * 9),
    ]
    res = po.read_responses(_qualtrics(tmp_path, rows), subject="client_id")
    assert res.source == "qualtrics"
    t = res.table
    assert list(t["subject"]) == ["C01", "C03"]
    assert list(t["source_line"]) == [4, 7]  # header rows 1-3; responses from line 4
    # RecordedDate with its time of day (kept since the time is part of the date column)
    assert t["date"].tolist() == [
        pd.Timestamp("2024-05-01 10:05:01"),
        pd.Timestamp("2024-05-03 09:00:00"),
    ]
    assert t[PHQ].iloc[0].tolist() == [1] * 9 and t[PHQ].iloc[1].tolist() == [2] * 9
    ex = res.excluded
    assert list(ex["reason"]) == ["preview", "unfinished"]
    assert list(ex["subject"]) == ["TEST", "C02"]
    assert "progress 40%" in ex["detail"].iloc[1]
    assert "Set aside (see .excluded): 1 preview, 1 unfinished." in res.notes()


def test_qualtrics_recode_values_starting_at_one_are_refused_with_the_fix(tmp_path):
    meta = "2024-05-01 10:00:00,2024-05-01 10:05:00,IP Address,100,True,2024-05-01 10:05:01"
    rows = [
        f"{meta},R_{i},anonymous,C0{i}," + ",".join(str(1 + (i + n) % 4) for n in range(9))
        for i in range(4)
    ]
    with pytest.raises(DataValidationError, match=r"shifted by one.*Subtract 1") as info:
        po.read_responses(_qualtrics(tmp_path, rows), subject="client_id")
    fc = info.value.failure_cases
    assert list(fc["reason"]) == ["shifted-scale"]
    assert fc["value"].iloc[0] == "1-4"


# ------------------------------------------------------------------------------------------
# Google and Microsoft Forms


def test_google_forms_answer_words_with_codebook_and_month_first_dates(tmp_path):
    questions = [f"How often: item {n} [Q{n}]" for n in range(1, 10)]
    header = ["Timestamp", "Email Address", "Your client code"] + questions
    rows = [",".join(f'"{h}"' for h in header)]
    rows.append("5/24/2024 10:15:00,a@example.org,K1," + ",".join(WORDS[n % 4] for n in range(9)))
    rows.append("5/31/2024 9:02:11,b@example.org,K1," + ",".join(["Not at all"] * 9))
    path = _write(tmp_path / "Form Responses 1.csv", "\n".join(rows) + "\n")
    book = tmp_path / "codebook.yaml"
    book.write_text(
        "subject: Your client code\ncolumns:\n"
        + "".join(f'  "{q}": phq9_{n}\n' for n, q in enumerate(questions, start=1))
    )
    res = po.read_responses(path, codebook=book)
    assert res.source == "forms"
    t = res.table
    assert t["date"].tolist() == [
        pd.Timestamp("2024-05-24 10:15:00"),
        pd.Timestamp("2024-05-31 09:02:11"),
    ]
    assert t[PHQ].iloc[0].tolist() == [n % 4 for n in range(9)]
    assert "Email Address" not in t.columns  # never carried unless kept
    assert any("month first" in n for n in res.notes())


def test_microsoft_forms_xlsx_day_first_dates(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["ID", "Start time", "Completion time", "Email", "Name", "Client"]
        + [f"PCL-5 {n}" for n in range(1, 21)]
    )
    ws.append(
        [1, "13/05/2024 09:00", "13/05/2024 09:10", "anonymous", None, "P7"] + ["A little bit"] * 20
    )
    ws.append(
        [2, "02/06/2024 09:00", "02/06/2024 09:10", "anonymous", None, "P7"]
        + ["Extremely"] * 19
        + [None]
    )
    path = tmp_path / "ms.xlsx"
    wb.save(path)
    res = po.read_responses(path, subject="Client")
    assert res.source == "forms"
    t = res.table
    assert t["date"].tolist() == [
        pd.Timestamp("2024-05-13 09:10"),
        pd.Timestamp("2024-06-02 09:10"),
    ]
    assert t["pcl5_1"].tolist() == [1, 4] and pd.isna(t["pcl5_20"].iloc[1])
    assert list(t["source_line"]) == [2, 3]


# ------------------------------------------------------------------------------------------
# SPSS and Stata


def test_spss_user_missing_codes_never_score(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"id": ["S1", "S2", "S3"], "wave": [1.0, 1.0, 2.0]})
    for n in range(1, 8):
        frame[f"gad7_{n}"] = [1.0, 9.0 if n == 3 else 2.0, 8.0 if n == 7 else 0.0]
    labels = {
        0: "Not at all",
        1: "Several days",
        2: "More than half the days",
        3: "Nearly every day",
        8: "Refused",
        9: "Not applicable",
    }
    path = tmp_path / "gad.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={f"gad7_{n}": labels for n in range(1, 8)},
        missing_ranges={f"gad7_{n}": [8, 9] for n in range(1, 8)},
    )
    res = po.read_responses(path, subject="id", timepoint="wave")
    assert res.source == "spss"
    t = res.table
    assert pd.isna(t["gad7_3"].iloc[1]) and pd.isna(t["gad7_7"].iloc[2])
    assert list(t["timepoint"]) == ["1", "1", "2"]
    assert list(t["source_line"]) == [1, 2, 3]  # record numbers
    assert "gad7_3: 1 answer(s) coded 9 (Not applicable), declared missing" in " ".join(res.notes())
    scores = po.score(t, instrument="gad7")
    assert scores["gad7_total"].iloc[0] == 7.0
    assert scores["gad7_total"].iloc[1:].isna().all()  # a missing item, never a 9


def test_spss_value_labels_shifted_from_the_published_codes_are_refused(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"id": ["S1"]} | {f"phq9_{n}": [1.0] for n in range(1, 10)})
    labels = {i + 1: w for i, w in enumerate(WORDS)}  # 1-4 where PHQ-9 publishes 0-3
    path = tmp_path / "phq.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={c: labels for c in PHQ})
    with pytest.raises(DataValidationError, match=r"code PHQ-9's answers \+1.*subtract 1"):
        po.read_responses(path, subject="id")


def test_stata_file(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"subject": ["T1", "T2"], "pcl5_1": [0.0, np.nan]})
    path = tmp_path / "pcl.dta"
    pyreadstat.write_dta(frame, str(path))
    res = po.read_responses(path)
    assert res.source == "stata"
    assert res.table["pcl5_1"].iloc[0] == 0 and list(res.excluded["reason"]) == ["no-items"]


# ------------------------------------------------------------------------------------------
# Excel and delimited text


def test_excel_generic_with_dates_and_keep(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["subject", "timepoint", "date", "gender"] + PHQ)
    ws.append(["C1", "intake", dt.datetime(2024, 5, 2), "woman"] + [1] * 9)
    ws.append([None] * 13)  # an empty row is skipped
    ws.append(["C1", "week4", dt.datetime(2024, 6, 1), "woman"] + [0] * 9)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    res = po.read_responses(path, keep=["gender"])
    assert res.source == "excel"
    t = res.table
    assert list(t["source_line"]) == [2, 4]
    assert list(t["gender"]) == ["woman", "woman"]
    assert t["date"].dt.month.tolist() == [5, 6]


def test_semicolon_decimal_comma_latin1_file(tmp_path):
    text = "Klient;Zeitpunkt;Datum;sds_1;sds_2;sds_3\nMüller-1;T0;03.04.2024;5,5;6;7\nMüller-1;T1;15.05.2024;2;3,0;1\n"
    path = _write(tmp_path / "eu.csv", text, encoding="latin-1")
    res = po.read_responses(path, subject="Klient", timepoint="Zeitpunkt", date="Datum")
    notes = " ".join(res.notes())
    assert "encoding Windows-1252" in notes and "delimiter semicolon" in notes
    assert "Decimal commas read as decimal points in column(s) sds_1, sds_2" in notes
    t = res.table
    assert list(t["subject"]) == ["Müller-1", "Müller-1"]
    assert t["sds_1"].tolist() == [5.5, 2.0]
    assert t["date"].tolist() == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-05-15")]


def test_utf8_bom_and_export_tags_in_any_case(tmp_path):
    text = "\ufeffClient_ID,PHQ9_1,Phq9-2,phq9 3\nX,1,2,3\n"
    res = po.read_responses(_write(tmp_path / "bom.csv", text), subject="Client_ID")
    assert "UTF-8 with BOM" in res.notes()[1]
    assert res.table[["phq9_1", "phq9_2", "phq9_3"]].iloc[0].tolist() == [1, 2, 3]


def test_ambiguous_dates_ask_for_dayfirst(tmp_path):
    text = "subject,date,phq9_1\nA,03/04/2024,1\nB,05/06/2024,2\n"
    path = _write(tmp_path / "d.csv", text)
    with pytest.raises(DataValidationError, match="dayfirst=True") as info:
        po.read_responses(path)
    assert info.value.failure_cases["reason"].tolist() == ["ambiguous-date"]
    res = po.read_responses(path, dayfirst=False)
    assert res.table["date"].tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-05-06")]


def test_dates_in_both_orders_in_one_column_are_refused(tmp_path):
    text = "subject,date,phq9_1\nA,25/04/2024,1\nB,04/25/2024,2\n"
    with pytest.raises(DataValidationError, match="ambiguous-date"):
        po.read_responses(_write(tmp_path / "d.csv", text))


def test_source_argument_overrides_detection_and_checks_the_layout(tmp_path):
    path = _write(tmp_path / "plain.csv", "subject,phq9_1\nA,1\nB,2\n")
    with pytest.raises(InputFileError, match="three header rows"):
        po.read_responses(path, source="qualtrics")
    assert po.read_responses(path, source="csv").source == "csv"


def test_redcap_classic_repeating_label_checkboxes(tmp_path):
    """A classic project (no events) with a repeating PHQ-9 and a label-export checkbox."""
    header = "Record ID,Repeat Instrument,Repeat Instance," + ",".join(PHQ) + ",meds___1,Complete?"
    rows = [
        header,
        "R1,,,,,,,,,,,,Checked,Complete",  # the record's base row: no PHQ-9
        "R1,Weekly PHQ9,1," + ",".join(["Several days"] * 9) + ",,Complete",
        "R1,Weekly PHQ9,2," + ",".join(["Not at all"] * 9) + ",,Incomplete",
    ]
    res = po.read_responses(
        _write(tmp_path / "classic.csv", "\n".join(rows) + "\n"), keep=["meds___1"]
    )
    t = res.table
    assert res.source == "redcap"
    assert list(t["timepoint"]) == ["Weekly PHQ9_1", "Weekly PHQ9_2"]
    assert t["phq9_1"].tolist() == [1, 0]
    assert list(res.excluded["reason"]) == ["no-items"] and res.excluded["subject"].iloc[0] == "R1"
    assert "form_1_complete: 1 row(s) Incomplete" in " ".join(res.notes())
