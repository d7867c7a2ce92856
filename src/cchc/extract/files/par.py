"""PAR INDEX appraisal workbooks (PAR_<province>_<yyyy>.xlsx) -> raw_files.par_scores, one
row per unit and criterion with its maximum, self-assessed and appraised points.

A workbook has one sheet per peer group, named as the Department of Home Affairs names
them; other sheets are ignored (and named in the load's messages). Units must exist at
the end of the assessed year and belong to the sheet's peer group; scores must lie
between 0 and the criterion's maximum.
"""

from __future__ import annotations

import re
from datetime import date

from ..raw import ParsedFile, Problem, RawColumn, RawTable
from .parsing import (Column, TemplateError, UnitDirectory, check_unit, find_in_rows, label_of, locate_header,
                      normalize_label, number, open_workbook, parse_row, require, sheet_rows, text)

FOLDER = "par"
PATTERN = re.compile(r"PAR_(?P<province>\d{2})_(?P<year>\d{4})\.xlsx")
EXPECTED_NAME = "PAR_<province>_<yyyy>.xlsx"
SHEETS = {"Sở, ban, ngành": "department", "UBND cấp huyện": "district", "UBND cấp xã": "commune"}
YEAR_IN_TITLE = re.compile(r"chỉ số cải cách hành chính năm (\d{4})")
POINTS = "DECIMAL(6,2)"

COLUMNS = [
    Column("stt", "STT", "VARCHAR", text, "Row number as printed"),
    Column("unit_code", "Mã đơn vị", "VARCHAR", text, "Unit key of the assessed unit"),
    Column("unit_name", "Tên đơn vị", "VARCHAR", text, "Unit name as printed"),
    Column("field_name", "Lĩnh vực", "VARCHAR", text, "PAR field (lĩnh vực) of the criterion"),
    Column("criterion_code", "Mã tiêu chí", "VARCHAR", text, "Criterion code, e.g. '3.2' (field 3)"),
    Column("criterion_name", "Tiêu chí", "VARCHAR", text, "Criterion (tiêu chí) as printed"),
    Column("max_points", "Điểm tối đa", POINTS, number, "Maximum points of the criterion"),
    Column("self_score", "Điểm tự đánh giá", POINTS, number, "Points the unit gave itself"),
    Column("appraised_score", "Điểm thẩm định", POINTS, number, "Points after appraisal by the council"),
]

TABLE = RawTable(
    "par_scores", "PAR INDEX appraisal results per unit and criterion, as sent by the Department of Home Affairs",
    (RawColumn("province_code", "VARCHAR", "Province (from the file name)"),
     RawColumn("score_year", "INTEGER", "Assessed year (from the file name)"),
     RawColumn("peer_group", "VARCHAR", "department | district | commune, from the sheet name"),
     *(RawColumn(c.name, c.sql_type, c.description) for c in COLUMNS)),
    key=("province_code", "score_year", "unit_code", "criterion_code"), key_label="Mã đơn vị, Mã tiêu chí")

_SHEET_GROUPS = {normalize_label(name): group for name, group in SHEETS.items()}
_PEER_GROUP_NAMES = {"department": "a department", "district": "a district", "commune": "a commune",
                     "province": "a province"}


def parse(data: bytes, file_name: str, match: re.Match, units: UnitDirectory) -> ParsedFile:
    workbook = open_workbook(data, file_name, read_only=True)  # one-row header, no merges needed
    try:
        return _parse_sheets(workbook, file_name, match["province"], int(match["year"]), units)
    finally:
        workbook.close()


def _parse_sheets(workbook, file_name: str, province: str, year: int, units: UnitDirectory) -> ParsedFile:
    known = [(sheet, _SHEET_GROUPS[normalize_label(sheet.title)]) for sheet in workbook.worksheets
             if normalize_label(sheet.title) in _SHEET_GROUPS]
    if not known:
        raise TemplateError(f"{file_name}: no sheet named {', '.join(repr(s) for s in SHEETS)}; "
                            f"found {', '.join(repr(s.title) for s in workbook.worksheets)}")
    parsed = ParsedFile([], [f"{file_name}: sheet '{s.title}' ignored (not a peer-group sheet)"
                             for s in workbook.worksheets if normalize_label(s.title) not in _SHEET_GROUPS])
    year_end = date(year, 12, 31)
    for sheet, peer_group in known:
        rows = sheet_rows(sheet)
        header = locate_header(rows, COLUMNS, f"{file_name}, sheet '{sheet.title}'")
        title_year = find_in_rows(rows[:header.row], YEAR_IN_TITLE)
        if title_year and int(title_year[1]) != year:
            raise TemplateError(f"{file_name}, sheet '{sheet.title}': the title says năm {title_year[1]}, "
                                f"the file name {year}")
        for index in range(header.data_start, len(rows)):
            cells = rows[index]
            if all(text(cells[i]) is None for i in (header.positions["unit_code"],
                                                     header.positions["criterion_code"]) if i < len(cells)):
                continue  # blank lines and the signature block
            row = parse_row(sheet.title, index + 1, cells, header, COLUMNS)
            row.values.update(province_code=province, score_year=year, peer_group=peer_group)
            require(row, header, "unit_code", "criterion_code", "max_points")
            check_unit(row, header, "unit_code", units, year_end, province)
            _check_scores(row, header, units, peer_group)
            parsed.rows.append(row)
    return parsed


def _check_scores(row, header, units: UnitDirectory, peer_group: str) -> None:
    level = units.level(row.values["unit_code"] or "")
    if level and level != peer_group:
        row.problems.append(Problem(label_of(header, "unit_code"), row.values["unit_code"],
                                    f"{_PEER_GROUP_NAMES.get(level, level)} listed on sheet '{row.sheet}'"))
    maximum = row.values["max_points"]
    for name in ("self_score", "appraised_score"):
        value = row.values[name]
        if value is not None and (value < 0 or (maximum is not None and value > maximum)):
            bound = f"0-{maximum:g}" if maximum is not None else "0 or more"
            row.problems.append(Problem(label_of(header, name), value,
                                        f"{value:g} points is outside the criterion's range {bound}"))
