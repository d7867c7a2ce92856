"""Treasury monthly disbursement reports (KBNN_<province>_<yyyy>_<mm>.xlsx) ->
raw_files.treasury_disbursement, one row per project and month.

The header is found by its labels (two rows, with merged group cells); grand-total,
investor sub-total, column-number and signature rows are not data: a data row is one with
a whole-number STT or a code-like project code. The investor code must be a unit valid at the end of
the report's month.
"""

from __future__ import annotations

import re

from ..raw import ParsedFile, RawColumn, RawTable
from .parsing import (Column, TemplateError, UnitDirectory, check_unit, find_in_rows, locate_header, month_end,
                      number, open_workbook, parse_row, require, sheet_rows, text)

FOLDER = "treasury"
PATTERN = re.compile(r"KBNN_(?P<province>\d{2})_(?P<year>\d{4})_(?P<month>\d{2})\.xlsx")
EXPECTED_NAME = "KBNN_<province>_<yyyy>_<mm>.xlsx"
PERIOD = re.compile(r"tháng (\d{1,2}) năm (\d{4})")
AMOUNT = "DECIMAL(18,3)"

COLUMNS = [
    Column("stt", "STT", "VARCHAR", text, "Row number as printed (STT)"),
    Column("project_code", "Mã dự án", "VARCHAR", text, "Project code (mã dự án)"),
    Column("project_name", "Tên dự án", "VARCHAR", text, "Project name"),
    Column("investor_code", "Mã chủ đầu tư", "VARCHAR", text, "Investor unit key (unit or department)"),
    Column("investor_name", "Chủ đầu tư", "VARCHAR", text, "Investor name as printed"),
    Column("plan_total", "Kế hoạch vốn năm {year} / Tổng số", AMOUNT, number,
           "Capital plan for the year, full (triệu đồng)"),
    Column("plan_pm_assigned", "Kế hoạch vốn năm {year} / Trong đó: Thủ tướng Chính phủ giao", AMOUNT, number,
           "Part of the plan assigned by the Prime Minister (triệu đồng)"),
    Column("disbursed_month", "Giải ngân / Trong tháng", AMOUNT, number, "Disbursed in the month (triệu đồng)"),
    Column("disbursed_ytd", "Giải ngân / Lũy kế từ đầu năm", AMOUNT, number,
           "Disbursed from 1 January to the month's end (triệu đồng)"),
    Column("disbursement_rate_pct", "Tỷ lệ giải ngân (%)", "DECIMAL(9,2)", number,
           "Rate printed by the treasury: cumulative ÷ full plan, in %"),
]

TABLE = RawTable(
    "treasury_disbursement",
    "Treasury monthly public-investment disbursement reports, one row per project and month, as sent",
    (RawColumn("province_code", "VARCHAR", "Province of the report (from the file name)"),
     RawColumn("report_year", "INTEGER", "Year of the report"),
     RawColumn("report_month", "INTEGER", "Month of the report (1-12)"),
     *(RawColumn(c.name, c.sql_type, c.description) for c in COLUMNS)),
    key=("province_code", "report_year", "report_month", "project_code"), key_label="Mã dự án")


CODE_LIKE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/-]*$")


def _is_data_row(cells: list, header) -> bool:
    """Project rows carry a whole-number STT or a project code; totals, investor groups
    (I, II, ...), column numbers ('(2)') and signatures ('NGƯỜI LẬP BIỂU') do not."""
    def cell(name: str) -> str | None:
        index = header.positions[name]
        return text(cells[index]) if index < len(cells) else None

    stt, code = cell("stt"), cell("project_code")
    return (stt is not None and stt.isdigit()) or (code is not None and CODE_LIKE.match(code) is not None)


def parse(data: bytes, file_name: str, match: re.Match, units: UnitDirectory) -> ParsedFile:
    province, year, month = match["province"], int(match["year"]), int(match["month"])
    if not 1 <= month <= 12:
        raise TemplateError(f"{file_name}: month {month:02d} in the file name does not exist")
    workbook = open_workbook(data, file_name)
    # The report is the first sheet with the header; other sheets (notes) are ignored.
    errors, found = [], None
    for sheet in workbook.worksheets:
        rows = sheet_rows(sheet)
        try:
            found = sheet, rows, locate_header(rows, COLUMNS, f"{file_name}, sheet '{sheet.title}'")
            break
        except TemplateError as exc:
            errors.append(str(exc))
    if found is None:
        raise TemplateError("; ".join(errors))
    sheet, rows, header = found

    period = find_in_rows(rows[:header.row], PERIOD)
    if period and (int(period[1]), int(period[2])) != (month, year):
        raise TemplateError(f"{file_name}: the title says tháng {int(period[1]):02d} năm {period[2]}, "
                            f"the file name {month:02d}/{year}")
    day = month_end(year, month)
    parsed = ParsedFile([])
    for index in range(header.data_start, len(rows)):
        cells = rows[index]
        if not _is_data_row(cells, header):
            continue  # totals, sub-totals, column numbers, signatures
        row = parse_row(sheet.title, index + 1, cells, header, COLUMNS)
        row.values.update(province_code=province, report_year=year, report_month=month)
        require(row, header, "project_code", "investor_code")
        check_unit(row, header, "investor_code", units, day, province)
        parsed.rows.append(row)
    return parsed
