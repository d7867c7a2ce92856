"""Treasury monthly disbursement reports (KBNN_<province>_<yyyy>_<mm>.xlsx) ->
raw_files.treasury_disbursement, one row per project and month.

The header is found by its labels (two rows, with merged group cells). Below it, the rows
that are not data are recognised explicitly: blank rows, the column-number row ('(1)',
'(2)', ...), the grand total and sub-totals, investor group rows (STT I, II, ...) and the
signature block. Every other row is a project row, loaded or quarantined with a reason:
nothing is skipped silently. The investor code must be a unit valid at the end of the
report's month; amounts must be present, not negative, below the ceiling of
loader_limits.yaml and consistent (the Prime Minister's part within the plan, the month
within the year-to-date, the year-to-date within the plan). Amounts and the rate are
rounded half-up to the column's decimals (spreadsheet formulas leave binary noise).
"""

from __future__ import annotations

import re

from ..raw import ParsedFile, ParsedRow, RawColumn, RawTable
from .cells import month_end, number, text
from .parsing import (
    FORMULA_HINT,
    Checks,
    Column,
    TemplateError,
    add_problem,
    cell_of,
    check_range,
    check_unit,
    find_in_rows,
    has_number,
    is_blank,
    is_column_numbers,
    is_roman,
    is_signature_line,
    is_total_label,
    locate_header,
    open_workbook,
    parse_row,
    require,
    sheet_rows,
    unrecognised_row,
    withheld_note,
)

FOLDER = "treasury"
PATTERN = re.compile(r"KBNN_(?P<province>\d{2})_(?P<year>\d{4})_(?P<month>\d{2})\.xlsx")
EXPECTED_NAME = "KBNN_<province>_<yyyy>_<mm>.xlsx"
PERIOD = re.compile(r"tháng (\d{1,2}) năm (\d{4})")
AMOUNT = "DECIMAL(18,3)"
AMOUNTS = ("plan_total", "plan_pm_assigned", "disbursed_month", "disbursed_ytd")

COLUMNS = [
    Column("stt", "STT", "VARCHAR", text, "Row number as printed (STT)"),
    Column("project_code", "Mã dự án", "VARCHAR", text, "Project code (mã dự án)"),
    Column("project_name", "Tên dự án", "VARCHAR", text, "Project name"),
    Column("investor_code", "Mã chủ đầu tư", "VARCHAR", text, "Investor unit key (unit or department)"),
    Column("investor_name", "Chủ đầu tư", "VARCHAR", text, "Investor name as printed"),
    Column("plan_total", "Kế hoạch vốn năm {year} / Tổng số", AMOUNT, number,
           "Capital plan for the year, full (triệu đồng)", round_half_up=True),
    Column("plan_pm_assigned", "Kế hoạch vốn năm {year} / Trong đó: Thủ tướng Chính phủ giao", AMOUNT, number,
           "Part of the plan assigned by the Prime Minister (triệu đồng)", round_half_up=True),
    Column("disbursed_month", "Giải ngân / Trong tháng", AMOUNT, number, "Disbursed in the month (triệu đồng)",
           round_half_up=True),
    Column("disbursed_ytd", "Giải ngân / Lũy kế từ đầu năm", AMOUNT, number,
           "Disbursed from 1 January to the month's end (triệu đồng)", round_half_up=True),
    Column("disbursement_rate_pct", "Tỷ lệ giải ngân (%)", "DECIMAL(9,2)", number,
           "Rate printed by the treasury: cumulative ÷ full plan, in %", round_half_up=True),
]

TABLE = RawTable(
    "treasury_disbursement",
    "Treasury monthly public-investment disbursement reports, one row per project and month, as sent",
    (RawColumn("province_code", "VARCHAR", "Province of the report (from the file name)"),
     RawColumn("report_year", "INTEGER", "Year of the report"),
     RawColumn("report_month", "INTEGER", "Month of the report (1-12)"),
     *(RawColumn(c.name, c.sql_type, c.description) for c in COLUMNS)),
    key=("province_code", "report_year", "report_month", "project_code"), key_label="Mã dự án",
    unit_column="investor_code")

CODE_LIKE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/-]*$")
NOT_A_PROJECT_ROW = ("not a project row: no 'Mã dự án' and no figures, and not a total, investor group, "
                     "column-number or signature row")


def period(match: re.Match) -> tuple[int, int]:
    month = int(match["month"])
    if not 1 <= month <= 12:
        raise TemplateError(f"month {month:02d} in the file name does not exist")
    return int(match["year"]), month


def parse(file, match: re.Match, checks: Checks) -> ParsedFile:
    province, (year, month) = match["province"], period(match)
    workbook = open_workbook(file.read_bytes(), file.name)
    # The report is the first sheet with the header; other sheets (notes) are ignored.
    errors, found = [], None
    for sheet in workbook.worksheets:
        rows = sheet_rows(sheet)
        try:
            found = sheet, rows, locate_header(rows, COLUMNS, f"{file.name}, sheet '{sheet.title}'")
            break
        except TemplateError as exc:
            errors.append(str(exc))
    if found is None:
        raise TemplateError("; ".join(errors))
    sheet, rows, header = found

    title = find_in_rows(rows[:header.row], PERIOD)
    if title and (int(title[1]), int(title[2])) != (month, year):
        raise TemplateError(f"{file.name}: the title says tháng {int(title[1]):02d} năm {title[2]}, "
                            f"the file name {month:02d}/{year}")
    parsed = ParsedFile([], withheld_note(f"{file.name}, sheet '{sheet.title}'", header, COLUMNS))
    in_signature = False
    for index in range(header.data_start, len(rows)):
        cells = rows[index]
        kind = _kind(cells, header, in_signature)
        in_signature = in_signature or kind == "signature"
        if kind == "project":
            parsed.rows.append(_project_row(sheet.title, index + 1, cells, header, checks, province, year, month))
        elif kind == "unrecognised":
            parsed.rows.append(unrecognised_row(sheet.title, index + 1, cells, header, NOT_A_PROJECT_ROW))
    return parsed


def _kind(cells: list, header, in_signature: bool) -> str:
    """project | unrecognised (content, but not a project row) | blank | column numbers |
    total | group | signature (the signers' names below their titles too)."""
    if is_blank(cells):
        return "blank"
    if is_column_numbers(cells):
        return "column numbers"
    code = text(cell_of(cells, header, "project_code"))
    if is_signature_line(cells) or (in_signature and not has_number(cells) and not CODE_LIKE.match(code or "")):
        return "signature"
    if code is not None:
        return "project"
    if is_roman(cell_of(cells, header, "stt")):
        return "group"
    if any(is_total_label(cell) for cell in cells):
        return "total"
    figures = any(text(cell_of(cells, header, name)) is not None for name in ("stt", "investor_code", *AMOUNTS))
    return "project" if figures else "unrecognised"


def _project_row(sheet: str, number_: int, cells: list, header, checks: Checks, province: str, year: int,
                 month: int) -> ParsedRow:
    row = parse_row(sheet, number_, cells, header, COLUMNS, unit="investor_code")
    row.values.update(province_code=province, report_year=year, report_month=month)
    require(row, header, "project_code", "investor_code")
    require(row, header, "plan_total", "disbursed_month", "disbursed_ytd", hint=FORMULA_HINT)
    code = row.values["project_code"]
    if code is not None and not CODE_LIKE.match(code):
        add_problem(row, header, "project_code", f"'{code}' does not look like a project code")
    _check_amounts(row, header, checks.limits)
    check_unit(row, header, "investor_code", checks.units, month_end(year, month), province)
    return row


def _check_amounts(row: ParsedRow, header, limits) -> None:
    values = row.values
    for name in AMOUNTS:
        value = values[name]
        if value is not None and value < 0:
            add_problem(row, header, name, f"negative amount {value}")
        elif value is not None and value > limits.amount_ceiling:
            add_problem(row, header, name, f"{value} triệu đồng is above the ceiling of {limits.amount_ceiling} "
                                           f"triệu đồng ({limits.source})")
    plan, pm, in_month, ytd = (values[n] for n in AMOUNTS)
    if None not in (plan, pm) and pm > plan:
        add_problem(row, header, "plan_pm_assigned", f"the Prime Minister's part {pm} is above the plan {plan}")
    if None not in (in_month, ytd) and in_month > ytd:
        add_problem(row, header, "disbursed_month", f"disbursed in the month {in_month} is above the "
                                                    f"year-to-date {ytd}")
    if None not in (plan, ytd) and ytd > plan * limits.rate_pct.high / 100:
        add_problem(row, header, "disbursed_ytd", f"year-to-date {ytd} is above the year's plan {plan} "
                                                  f"(rate outside {limits.rate_pct}%)")
    check_range(row, header, ["disbursement_rate_pct"], limits.rate_pct, "rate (%)")
