"""Agencies' workbooks: what a spreadsheet does to data is forgiven; what is wrong is named by
sheet, row and column, in Korean and English, and then nothing is sent."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from impact.agency_sheets import SHEET, TemplateRow, WorkbookError, read_any, write_template
from impact.domain.quarter import Quarter
from impact.errors import SubmissionError

NOW = datetime(2022, 1, 20, 12, 0, tzinfo=UTC)
Q = Quarter.parse("2021Q4")
ROWS = [
    TemplateRow(
        "P-KAMCO-01", "합동 채용박람회 · Joint job fair", "jobs_created", "2021Q4", Decimal(58)
    ),
    TemplateRow("P-KAMCO-01", "합동 채용박람회 · Joint job fair", "local_hires", "2021Q4", None),
    TemplateRow(
        "P-KAMCO-02", "공공구매 · Procurement", "se_purchases_krw", "2021Q4", Decimal("400000000")
    ),
    TemplateRow("P-KAMCO-04", "채무조정 · Debt", "participant_satisfaction", "2021Q4", None),
]


def workbook(tmp_path: Path, **cells: object) -> Path:
    path = tmp_path / "kamco.xlsx"
    write_template(ROWS, "KAMCO", Q, path)
    book = load_workbook(path)
    sheet = book[SHEET]
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return path


def read(path: Path) -> list[dict]:
    from impact.agency_sheets import read_outcome_rows

    return read_outcome_rows(path, "KAMCO", now=NOW)


def test_the_template_has_korean_headers_with_english_beneath_and_checks_typing(tmp_path):
    path = workbook(tmp_path)
    book = load_workbook(path)
    sheet = book[SHEET]
    assert [sheet["A2"].value, sheet["A3"].value] == ["사업 코드", "Programme code"]
    assert [sheet["H2"].value, sheet["H3"].value] == ["실적", "Actual"]
    assert sheet["A4"].value == "P-KAMCO-01" and sheet["G4"].value == 58
    assert sheet["E4"].value == "people", "the metric's unit is shown"
    kinds = {v.type for v in sheet.data_validations.dataValidation}
    assert {"decimal", "list", "date"} <= kinds
    assert book["_meta"].sheet_state == "hidden"


def test_spreadsheet_mess_is_read_as_meant(tmp_path):
    path = workbook(
        tmp_path,
        H4=" 1,234 ",  # a number stored as text with a thousands separator and spaces
        H5=61.5,  # a float
        A5="P-KAMCO-01  ",  # trailing spaces
        H6="418,600,959",
        K6=44561,  # an Excel serial date: 2021-12-31
        I6="https://evidence.example/kamco/2021Q4.pdf ",
        J6="AB" * 32,  # upper-case hex
        # row 7 left empty: nothing reported on it
    )
    book = load_workbook(path)
    sheet = book[SHEET]
    sheet.unmerge_cells("A1:K1")
    sheet.merge_cells("B2:B3")  # a header merged across its two rows
    book.save(path)
    sent = read(path)
    assert [(s["program_code"], s["metric"], s["value"]) for s in sent] == [
        ("P-KAMCO-01", "jobs_created", "1234"),
        ("P-KAMCO-01", "local_hires", "61.5"),
        ("P-KAMCO-02", "se_purchases_krw", "418600959"),
    ]
    assert sent[2]["submitted_at"].startswith("2021-12-31")
    assert sent[2]["evidence"] == {
        "uri": "https://evidence.example/kamco/2021Q4.pdf",
        "sha256": "ab" * 32,
    }
    assert sent[0]["submitted_at"] == NOW.isoformat()
    assert read(path) == sent, "the same workbook gives the same submission ids"


def test_every_bad_row_is_named_by_sheet_row_and_column_and_nothing_is_sent(tmp_path):
    path = workbook(
        tmp_path,
        H4="열두 개",  # not a number
        H5="12",
        C5="local_hirez",  # unknown metric
        H6="-3",
        H7="70",
        I7="https://evidence.example/x.pdf",  # evidence without its hash
    )
    with pytest.raises(WorkbookError) as raised:
        read(path)
    where = {(e.sheet, e.row, e.column) for e in raised.value.errors}
    assert where == {(SHEET, 4, "H"), (SHEET, 5, "C"), (SHEET, 6, "H"), (SHEET, 7, "J")}
    text = str(raised.value)
    assert "4행 H열 / row 4, column H" in text and "not a number" in text
    assert "알 수 없는 지표" in text and "unknown metric 'local_hirez'" in text
    assert "nothing was sent" in text


def test_a_csv_saved_by_korean_excel_is_read_too(tmp_path):
    path = tmp_path / "kamco.csv"
    lines = [
        "사업 코드,지표 코드,분기,실적,기준일",
        "Programme code,Metric code,Quarter,Actual,As of (date)",
        'P-KAMCO-01,jobs_created,2021Q4,"1,200",2021.12.31',
        "P-KAMCO-04,participant_satisfaction,2021q4, 88.5 ,",
    ]
    path.write_bytes("\r\n".join(lines).encode("cp949"))
    sent = list(read_any(path, "KAMCO"))
    assert [(s["metric"], s["value"], s["quarter"]) for s in sent] == [
        ("jobs_created", "1200", "2021Q4"),
        ("participant_satisfaction", "88.5", "2021Q4"),
    ]
    assert sent[0]["submitted_at"].startswith("2021-12-31")


def test_a_sheet_without_the_headers_or_an_old_format_is_refused_plainly(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match="no header row"):
        list(read_any(path, "KAMCO"))
    with pytest.raises(SubmissionError, match=r"\.xlsx"):
        list(read_any(tmp_path / "old.xls", "KAMCO"))
