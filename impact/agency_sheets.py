"""Agencies' spreadsheets: the outcomes workbook ``impact template outcomes`` writes, and
reading it (or a CSV saved from it) back into submissions.

The workbook holds one row per programme and metric the agency reports in the quarter,
prefilled with the programme's title, the metric's name and unit and the quarter's target;
staff type the actual value (and evidence, if any). Headers are Korean with English
beneath, and Excel checks what it can as it is typed (data validation).

Reading forgives what spreadsheets do to data: numbers stored as text, thousands
separators, trailing spaces, dates as serial numbers or text, merged header cells, rows
moved about, a CSV saved by Korean Excel in CP949. Every row is checked before anything is
sent; the errors name the sheet, row and column in Korean and English, and then nothing
is sent (all or none, as with JSON).
"""

import contextlib
import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from impact.domain.metrics import CURRENT_CATALOGUE
from impact.domain.quarter import Quarter
from impact.errors import SubmissionError
from impact.ingest.client import read_submissions
from impact.projections.schema import END_OF_TIME
from impact.projections.store import ProjectionStore

SHEET = "성과 Outcomes"
METRICS_SHEET = "지표 Metrics"


@dataclass(frozen=True)
class Field:
    key: str
    ko: str
    en: str
    width: int
    filled_by_agency: bool = False


FIELDS: tuple[Field, ...] = (
    Field("program_code", "사업 코드", "Programme code", 16),
    Field("program_title", "사업명", "Programme", 34),
    Field("metric", "지표 코드", "Metric code", 24),
    Field("metric_name", "지표명", "Metric", 26),
    Field("unit", "단위", "Unit", 10),
    Field("quarter", "분기", "Quarter", 10),
    Field("target", "목표", "Target", 12),
    Field("value", "실적", "Actual", 14, True),
    Field("evidence_uri", "증빙 URI", "Evidence URI", 36, True),
    Field("evidence_sha256", "증빙 SHA-256", "Evidence SHA-256", 30, True),
    Field("as_of", "기준일", "As of (date)", 14, True),
)
REQUIRED = ("program_code", "metric", "quarter", "value")
INFO = ("program_title", "metric_name", "unit", "target")


@dataclass(frozen=True)
class TemplateRow:
    program_code: str
    program_title: str
    metric: str
    quarter: str
    target: Decimal | None


def template_rows(store: ProjectionStore, agency: str, quarter: Quarter) -> list[TemplateRow]:
    """The agency's programmes active in ``quarter``, each with the metrics it reports: its
    targets of the quarter, and whatever it reported before."""
    programmes = store.dicts(
        "SELECT program_id, code, title_ko, title_en FROM {db}.program_state_as_of("
        f"as_of = '{END_OF_TIME}', until = {{until:DateTime64(6, 'UTC')}}, quarter = {{q:String}})"
        " WHERE agency = {agency:String} AND status = 'active'"
        " AND (starts_on IS NULL OR starts_on <= {last:Date32})"
        " AND (ends_on IS NULL OR ends_on >= {first:Date32}) ORDER BY code",
        until=quarter.end,
        q=str(quarter),
        agency=agency,
        first=quarter.first_day,
        last=quarter.last_day,
    )
    if not programmes:
        return []
    ids = [str(p["program_id"]) for p in programmes]
    metrics = store.rows(
        "SELECT toString(program_id), metric, anyIf(target, quarter = {q:String}),"
        " countIf(quarter = {q:String}) > 0 FROM ("
        "  SELECT program_id, metric, quarter, toNullable(target) AS target"
        "  FROM {db}.program_targets"
        "  UNION ALL SELECT program_id, metric, quarter, NULL FROM {db}.outcome_versions"
        ") WHERE toString(program_id) IN {ids:Array(String)} GROUP BY program_id, metric",
        q=str(quarter),
        ids=ids,
    )
    by_programme: dict[str, list[tuple[str, Decimal | None]]] = {}
    for program_id, metric, target, has_target in metrics:
        by_programme.setdefault(program_id, []).append((metric, target if has_target else None))
    rows = []
    for p in programmes:
        for metric, target in sorted(by_programme.get(str(p["program_id"]), [])):
            rows.append(
                TemplateRow(
                    p["code"], f"{p['title_ko']} · {p['title_en']}", metric, str(quarter), target
                )
            )
    return rows


def write_template(rows: Sequence[TemplateRow], agency: str, quarter: Quarter, path: Path) -> None:
    """The outcomes workbook of ``agency`` for ``quarter``, prefilled with ``rows``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    last = get_column_letter(len(FIELDS))
    sheet["A1"] = (
        f"{agency} {quarter} 성과 보고 — 노란 칸을 채워 주세요 / "
        f"Outcome report — fill in the yellow cells"
    )
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.merge_cells(f"A1:{last}1")
    header = PatternFill("solid", fgColor="DCE7F3")
    to_fill = PatternFill("solid", fgColor="FFF4C2")
    thin = Side(style="thin", color="9AA5B1")
    for i, f in enumerate(FIELDS, start=1):
        col = get_column_letter(i)
        ko, en = sheet[f"{col}2"], sheet[f"{col}3"]
        ko.value, en.value = f.ko, f.en
        ko.font, en.font = Font(bold=True), Font(italic=True, color="52606D")
        for cell in (ko, en):
            cell.fill = header
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = Border(bottom=thin if cell is en else None)
        sheet.column_dimensions[col].width = f.width
    sheet.freeze_panes = "A4"
    names = {m.code: m for m in CURRENT_CATALOGUE.metrics}
    for r, row in enumerate(rows, start=4):
        metric = names.get(row.metric)
        values: dict[str, Any] = {
            "program_code": row.program_code,
            "program_title": row.program_title,
            "metric": row.metric,
            "metric_name": f"{metric.name_ko} · {metric.name_en}" if metric else "",
            "unit": metric.unit if metric else "",
            "quarter": row.quarter,
            "target": float(row.target) if row.target is not None else None,
        }
        for i, f in enumerate(FIELDS, start=1):
            cell = sheet.cell(row=r, column=i, value=values.get(f.key))
            if f.filled_by_agency:
                cell.fill = to_fill
            if f.key in ("value", "target"):
                cell.number_format = "#,##0.######"
            if f.key == "as_of":
                cell.number_format = "yyyy-mm-dd"
    end = max(4, 3 + len(rows)) + 200  # room for rows staff add
    col = {f.key: get_column_letter(i) for i, f in enumerate(FIELDS, start=1)}
    checks = [
        DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="실적 Actual",
            error="0 이상의 숫자를 입력하세요. / Enter a number of 0 or more.",
            promptTitle="실적 Actual",
            prompt="이 분기의 실적 (단위 열 참고) / This quarter's actual, in the unit shown",
            showInputMessage=True,
        ),
        DataValidation(
            type="list",
            formula1=f"'{METRICS_SHEET}'!$A$2:$A${1 + len(CURRENT_CATALOGUE.metrics)}",
            allow_blank=True,
            showErrorMessage=True,
            error="지표 목록에 있는 코드를 고르세요. / Choose a code from the metrics sheet.",
        ),
        DataValidation(
            type="date",
            operator="greaterThan",
            formula1="43101",  # 2018-01-01
            allow_blank=True,
            showErrorMessage=True,
            error="날짜를 입력하세요 (예: 2021-12-31). / Enter a date (e.g. 2021-12-31).",
        ),
        DataValidation(
            type="textLength",
            operator="equal",
            formula1="64",
            allow_blank=True,
            showErrorMessage=True,
            error="SHA-256은 16진수 64자입니다. / A SHA-256 is 64 hexadecimal characters.",
        ),
    ]
    for check, key in zip(checks, ("value", "metric", "as_of", "evidence_sha256"), strict=True):
        check.add(f"{col[key]}4:{col[key]}{end}")
        sheet.add_data_validation(check)

    catalogue = book.create_sheet(METRICS_SHEET)
    catalogue.append(["지표 코드 Metric code", "지표명", "Metric", "단위 Unit", "최대 Maximum"])
    for m in CURRENT_CATALOGUE.metrics:
        catalogue.append([m.code, m.name_ko, m.name_en, m.unit, float(m.maximum)])
    for c, width in zip("ABCDE", (28, 24, 34, 10, 14), strict=True):
        catalogue.column_dimensions[c].width = width
    catalogue["A1"].font = Font(bold=True)
    meta = book.create_sheet("_meta")
    meta.append(["agency", agency])
    meta.append(["quarter", str(quarter)])
    meta.append(["template", "outcomes/1"])
    meta.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    sheet: str
    row: int
    column: str
    ko: str
    en: str

    def __str__(self) -> str:
        where = f"{self.sheet} {self.row}행 {self.column}열 / row {self.row}, column {self.column}"
        return f"{where}: {self.ko} / {self.en}"


class WorkbookError(SubmissionError):
    """The rows of a workbook or CSV that cannot be sent, each with where and why."""

    def __init__(self, path: Path, errors: list[CellError]) -> None:
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  … {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(
            f"{path.name}: {len(errors)}개 오류, 아무것도 보내지 않았습니다 / "
            f"{len(errors)} error(s), nothing was sent:\n{shown}{more}"
        )


SPACES = re.compile(r"[\s\u00a0\u3000]+")
EXCEL_EPOCH = date(1899, 12, 30)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return SPACES.sub(" ", str(value)).strip()


def _header_key(text: str) -> str | None:
    norm = SPACES.sub("", text).lower()
    if not norm:
        return None
    for f in FIELDS:
        for label in (f.ko, f.en, f.key):
            if SPACES.sub("", label).lower() == norm:
                return f.key
    return None


def _number(value: Any) -> Decimal | None:
    """A quantity as staff typed it: a number, or text with separators, spaces, a unit."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = _text(value).replace(",", "").replace(" ", "").replace("，", "")
    text = text.replace("−", "-")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


DATE_TEXT = re.compile(r"^(\d{4})[-./년 ]\s*(\d{1,2})[-./월 ]\s*(\d{1,2})[일.]?$")


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel serial date (1954 to 2119)
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = _text(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _date(float(text))
    found = DATE_TEXT.match(text.replace(" ", ""))
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


def _grid_of_xlsx(path: Path) -> list[tuple[str, list[list[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types on a damaged file
        raise SubmissionError(
            f"{path.name}: 엑셀 통합 문서로 읽을 수 없습니다 / not a readable .xlsx workbook: {exc}"
        ) from None
    grids = []
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible" or sheet.title == METRICS_SHEET:
            continue
        grid = [list(row) for row in sheet.iter_rows(values_only=True)]
        # A merged cell holds its value in its top-left cell only: spread header text over
        # the cells it covers, so a header merged across rows or columns is still found.
        for merged in sheet.merged_cells.ranges:
            top = (
                grid[merged.min_row - 1][merged.min_col - 1]
                if merged.min_row <= len(grid)
                else None
            )
            for r in range(merged.min_row, min(merged.max_row, 6) + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if r <= len(grid) and c <= len(grid[r - 1]):
                        grid[r - 1][c - 1] = top
        grids.append((sheet.title, grid))
    return grids


def _grid_of_csv(path: Path) -> list[tuple[str, list[list[Any]]]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp949"):  # Korean Excel saves "CSV" in CP949
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SubmissionError(f"{path.name}: neither UTF-8 nor CP949 text")
    dialect: Any = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    return [(path.name, [list(row) for row in csv.reader(io.StringIO(text), dialect)])]


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    """The last header row (0-based) and each field's column, from the first rows: Korean
    headers, English ones, or both on two rows (any of them merged)."""

    def keys(r: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for c, value in enumerate(grid[r]):
            key = _header_key(_text(value))
            if key and key not in found:
                found[key] = c
        return found

    for top in range(min(len(grid), 10)):
        found = keys(top)
        last = top
        while last + 1 < len(grid) and len(keys(last + 1)) >= 2:
            last += 1
            for key, c in keys(last).items():
                found.setdefault(key, c)
        if all(k in found for k in REQUIRED):
            return last, found
    return None


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _label(key: str) -> str:
    f = next(f for f in FIELDS if f.key == key)
    return f"{f.ko}({f.en})"


def read_outcome_rows(path: Path, agency: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The outcome submissions of a workbook or CSV, every row checked first."""
    from impact.contract.submissions import submission_adapter

    now = now or datetime.now(tz=UTC)
    grids = _grid_of_xlsx(path) if path.suffix.lower() == ".xlsx" else _grid_of_csv(path)
    errors: list[CellError] = []
    submissions: list[dict[str, Any]] = []
    metrics = {m.code: m for m in CURRENT_CATALOGUE.metrics}
    seen: dict[tuple[str, str, str], int] = {}
    any_sheet = False
    for sheet, grid in grids:
        header = _find_header(grid)
        if header is None:
            continue
        any_sheet = True
        head_row, columns = header
        for r in range(head_row + 1, len(grid)):
            row = grid[r]
            excel_row = r + 1

            def cell(key: str, row: list[Any] = row, columns: dict[str, int] = columns) -> Any:
                c = columns.get(key)
                return row[c] if c is not None and c < len(row) else None

            def fail(
                key: str,
                ko: str,
                en: str,
                row_no: int = excel_row,
                sheet: str = sheet,
                columns: dict[str, int] = columns,
            ) -> None:
                errors.append(CellError(sheet, row_no, _column_letter(columns.get(key, 0)), ko, en))

            before = len(errors)
            value_cell = cell("value")
            if _text(value_cell) == "" and all(
                _text(cell(k)) == "" for k in ("evidence_uri", "evidence_sha256")
            ):
                continue  # nothing reported on this row (yet)
            code = _text(cell("program_code")).upper()
            metric = _text(cell("metric")).lower()
            quarter_text = _text(cell("quarter")).upper().replace(" ", "")
            if not re.fullmatch(r"P-[A-Z0-9]{2,16}-[0-9A-Z-]{1,24}", code):
                fail(
                    "program_code",
                    f"사업 코드가 올바르지 않습니다: {code!r}",
                    f"not a programme code: {code!r}",
                )
            if metric not in metrics:
                fail(
                    "metric",
                    f"알 수 없는 지표입니다: {metric!r} ({METRICS_SHEET} 시트 참고)",
                    f"unknown metric {metric!r} (see the {METRICS_SHEET} sheet)",
                )
            quarter: Quarter | None = None
            try:
                quarter = Quarter.parse(quarter_text)
            except Exception:
                fail(
                    "quarter",
                    f"분기는 2021Q4 형식입니다: {quarter_text!r}",
                    f"a quarter looks like 2021Q4: {quarter_text!r}",
                )
            value = _number(value_cell)
            if value is None:
                fail(
                    "value",
                    f"실적이 숫자가 아닙니다: {_text(value_cell)!r}",
                    f"the actual is not a number: {_text(value_cell)!r}",
                )
            elif value < 0:
                fail(
                    "value",
                    f"실적은 0 이상이어야 합니다: {value}",
                    f"the actual must be 0 or more: {value}",
                )
            elif metric in metrics and value > metrics[metric].maximum:
                fail(
                    "value",
                    f"실적이 이 지표의 최대값({metrics[metric].maximum:,})을 넘습니다: {value:,}",
                    f"the actual exceeds this metric's maximum "
                    f"({metrics[metric].maximum:,}): {value:,}",
                )
            uri = _text(cell("evidence_uri"))
            sha = _text(cell("evidence_sha256")).lower()
            if bool(uri) != bool(sha):
                fail(
                    "evidence_uri" if not uri else "evidence_sha256",
                    "증빙은 URI와 SHA-256을 함께 적어야 합니다",
                    "evidence needs both its URI and its SHA-256",
                )
            elif sha and not re.fullmatch(r"[0-9a-f]{64}", sha):
                fail(
                    "evidence_sha256",
                    "SHA-256은 16진수 64자입니다",
                    "a SHA-256 is 64 hexadecimal characters",
                )
            as_of_cell = cell("as_of")
            as_of: date | None = None
            if _text(as_of_cell):
                as_of = _date(as_of_cell)
                if as_of is None:
                    fail(
                        "as_of",
                        f"날짜가 아닙니다: {_text(as_of_cell)!r} (예: 2021-12-31)",
                        f"not a date: {_text(as_of_cell)!r} (e.g. 2021-12-31)",
                    )
                elif as_of > now.date():
                    fail(
                        "as_of",
                        f"기준일이 미래입니다: {as_of}",
                        f"the date is in the future: {as_of}",
                    )
            key = (code, metric, quarter_text)
            if key in seen:
                fail(
                    "metric",
                    f"같은 사업·지표·분기가 {seen[key]}행에도 있습니다",
                    f"the same programme, metric and quarter is also on row {seen[key]}",
                )
            seen[key] = excel_row
            if len(errors) > before:
                continue
            assert value is not None and quarter is not None
            submitted = (
                datetime.combine(as_of, time(9, 0), tzinfo=UTC) if as_of is not None else now
            )
            exact = format(value.normalize(), "f")
            digest = hashlib.sha256(f"{code}|{metric}|{quarter}|{exact}|{sha}".encode()).hexdigest()
            submission: dict[str, Any] = {
                "schema_version": 1,
                "kind": "outcome.report",
                "submission_id": f"{agency}-{quarter}-{code}-{metric}-{digest[:10]}"[:128],
                "agency": agency,
                "submitted_at": submitted.isoformat(),
                "program_code": code,
                "report_id": f"{code}/{metric}/{quarter}",
                "metric": metric,
                "quarter": str(quarter),
                "value": exact,
            }
            if uri:
                submission["evidence"] = {"uri": uri, "sha256": sha}
            try:
                submission_adapter.validate_python(submission)
            except ValidationError as exc:
                details = exc.errors()
                for e in details[:3]:
                    field = str(e["loc"][-1]) if e.get("loc") else "value"
                    key_ = {"uri": "evidence_uri", "sha256": "evidence_sha256"}.get(field, field)
                    fail(
                        key_ if key_ in columns else "value",
                        f"형식 오류: {e['msg']}",
                        f"invalid: {e['msg']}",
                    )
                continue
            submissions.append(submission)
    if not any_sheet:
        raise SubmissionError(
            f"{path.name}: 머리글(사업 코드, 지표 코드, 분기, 실적)을 찾지 못했습니다 / "
            "no header row with Programme code, Metric code, Quarter and Actual; "
            "start from `impact template outcomes`"
        )
    if errors:
        raise WorkbookError(path, errors)
    if not submissions:
        raise SubmissionError(
            f"{path.name}: 실적이 입력된 행이 없습니다 / no row has an actual value"
        )
    return submissions


def read_any(path: Path, agency: str) -> Iterator[dict[str, Any]]:
    """The submissions in ``path``: a workbook (.xlsx) or CSV of outcomes, or JSON / JSON
    Lines."""
    if path.suffix.lower() in (".xlsx", ".csv"):
        yield from read_outcome_rows(path, agency)
        return
    if path.suffix.lower() in (".xls", ".xlsm", ".ods"):
        raise SubmissionError(
            f"{path.name}: save it as an Excel workbook (.xlsx) or CSV first / "
            ".xlsx 또는 CSV로 저장한 뒤 보내 주세요"
        )
    yield from read_submissions(path)
