"""PAR INDEX appraisal workbooks (PAR_<province>_<yyyy>.xlsx) -> raw_files.par_scores, one
row per unit and criterion with its maximum, self-assessed and appraised points.

A workbook has one sheet per peer group, named as the Department of Home Affairs names
them. The peer groups expected for a year are those with units of the province on 31/12
of that year in the reference data (departments and communes every year, districts up to
2024: they were abolished on 01/07/2025), as the simulator writes them: a workbook
without one of those sheets, or with one that holds no score rows, is rejected whole (a
renamed sheet would silently drop a whole peer group from the index). Other sheets are
ignored and named in the load's messages.

Units must exist at the end of the assessed year and belong to the sheet's peer group;
points have at most two decimals (exact: never rounded) and lie between 0 and the
criterion's maximum. Blank rows, totals and the signature block are not data; any other
row with content is loaded or quarantined.
"""

from __future__ import annotations

import re
from datetime import date

from ..raw import ParsedFile, RawColumn, RawTable
from .cells import fold, normalize_label, number, text
from .parsing import (
    FORMULA_HINT,
    Checks,
    Column,
    TemplateError,
    add_problem,
    cell_of,
    check_unit,
    find_in_rows,
    has_number,
    is_blank,
    is_column_numbers,
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

FOLDER = "par"
PATTERN = re.compile(r"PAR_(?P<province>\d{2})_(?P<year>\d{4})\.xlsx")
EXPECTED_NAME = "PAR_<province>_<yyyy>.xlsx"
SHEETS = {"Sở, ban, ngành": "department", "UBND cấp huyện": "district", "UBND cấp xã": "commune"}
YEAR_IN_TITLE = re.compile(r"chỉ số cải cách hành chính năm (\d{4})")
CRITERION_CODE = re.compile(r"^\d+(\.\d+)*$")  # staging takes the field number before the first dot
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
    key=("province_code", "score_year", "unit_code", "criterion_code"), key_label="Mã đơn vị, Mã tiêu chí",
    unit_column="unit_code")

_SHEET_GROUPS = {normalize_label(name): group for name, group in SHEETS.items()}
_PEER_GROUP_NAMES = {"department": "a department", "district": "a district", "commune": "a commune",
                     "province": "a province"}
NOT_A_SCORE_ROW = ("not a score row: no 'Mã đơn vị' or 'Mã tiêu chí' and no points, and not a total or "
                   "signature row")


def period(match: re.Match) -> tuple[int, None]:
    return int(match["year"]), None


def expected_sheets(checks: Checks, province: str, year: int) -> list[str]:
    """The peer-group sheets a workbook for ``year`` must have: the groups with units of
    the province on 31/12 of the year."""
    levels = checks.units.levels(province, date(year, 12, 31))
    return [name for name, group in SHEETS.items() if group in levels]


def parse(file, match: re.Match, checks: Checks) -> ParsedFile:
    workbook = open_workbook(file.read_bytes(), file.name, read_only=True)  # one-row header, no merges needed
    try:
        return _parse_sheets(workbook, file.name, match["province"], int(match["year"]), checks)
    finally:
        workbook.close()


def _parse_sheets(workbook, file_name: str, province: str, year: int, checks: Checks) -> ParsedFile:
    titles = [sheet.title for sheet in workbook.worksheets]
    expected = expected_sheets(checks, province, year)
    expected = [next((t for t in titles if normalize_label(t) == normalize_label(name)), name) for name in expected]
    missing = [name for name in expected if name not in titles]
    if missing:
        raise TemplateError(_missing_sheets(file_name, year, missing, expected, titles))
    parsed = ParsedFile([], [f"{file_name}: sheet '{t}' ignored (not a peer-group sheet)"
                             for t in titles if normalize_label(t) not in _SHEET_GROUPS])
    for sheet in workbook.worksheets:
        peer_group = _SHEET_GROUPS.get(normalize_label(sheet.title))
        if peer_group is None:
            continue
        where = f"{file_name}, sheet '{sheet.title}'"
        rows = sheet_rows(sheet)
        header = locate_header(rows, COLUMNS, where)
        title_year = find_in_rows(rows[:header.row], YEAR_IN_TITLE)
        if title_year and int(title_year[1]) != year:
            raise TemplateError(f"{where}: the title says năm {title_year[1]}, the file name {year}")
        parsed.notes += withheld_note(where, header, COLUMNS)
        scores = _sheet_rows(sheet.title, rows, header, checks, province, year, peer_group)
        if sheet.title in expected and not any(row.values for row in scores):
            raise TemplateError(f"{where}: no score rows under the header (the sheet of a peer group that has "
                                f"units in {year})")
        parsed.rows += scores
    return parsed


def _missing_sheets(file_name: str, year: int, missing: list[str], expected: list[str], titles: list[str]) -> str:
    message = (f"{file_name}: peer-group sheet(s) missing: {', '.join(repr(m) for m in missing)} (expected for "
               f"{year}: {', '.join(repr(e) for e in expected)}; found: {', '.join(repr(t) for t in titles)})")
    for name in missing:
        for title in titles:
            short, long = sorted((f" {fold(title)} ", f" {fold(name)} "), key=len)
            if len(short.strip()) >= 4 and short in long:
                message += f"; sheet '{title}' looks like '{name}' (diacritics or words differ): rename it"
    return message


def _kind(cells: list, header, in_signature: bool) -> str:
    """score | unrecognised | blank | column numbers | total | signature."""
    if is_blank(cells):
        return "blank"
    if is_column_numbers(cells):
        return "column numbers"
    codes = any(text(cell_of(cells, header, n)) is not None for n in ("unit_code", "criterion_code"))
    if is_signature_line(cells) or (in_signature and not codes and not has_number(cells)):
        return "signature"
    if text(cell_of(cells, header, "criterion_code")) is None and any(is_total_label(cell) for cell in cells):
        return "total"
    points = any(text(cell_of(cells, header, c.name)) is not None for c in COLUMNS if c.sql_type == POINTS)
    return "score" if codes or points else "unrecognised"


def _sheet_rows(sheet: str, rows: list[list], header, checks: Checks, province: str, year: int, peer_group: str):
    result, in_signature = [], False
    for index in range(header.data_start, len(rows)):
        cells = rows[index]
        kind = _kind(cells, header, in_signature)
        in_signature = in_signature or kind == "signature"
        if kind == "unrecognised":
            result.append(unrecognised_row(sheet, index + 1, cells, header, NOT_A_SCORE_ROW))
        elif kind == "score":
            row = parse_row(sheet, index + 1, cells, header, COLUMNS, unit="unit_code")
            row.values.update(province_code=province, score_year=year, peer_group=peer_group)
            require(row, header, "unit_code", "criterion_code", "field_name")
            require(row, header, "max_points", "appraised_score", hint=FORMULA_HINT)
            check_unit(row, header, "unit_code", checks.units, date(year, 12, 31), province)
            _check_scores(row, header, checks, peer_group)
            result.append(row)
    return result


def _check_scores(row, header, checks: Checks, peer_group: str) -> None:
    code = row.values["criterion_code"]
    if code is not None and not CRITERION_CODE.match(code):
        add_problem(row, header, "criterion_code", f"criterion code '{code}' is not numbers and dots ('3.2')")
    level = checks.units.level(row.values["unit_code"] or "")
    if level and level != peer_group:
        add_problem(row, header, "unit_code", f"{_PEER_GROUP_NAMES.get(level, level)} listed on sheet '{row.sheet}'")
    maximum, ceiling = row.values["max_points"], checks.limits.max_points_ceiling
    if maximum is not None and not 0 <= maximum <= ceiling:
        add_problem(row, header, "max_points", f"maximum {maximum} points is outside 0-{ceiling} "
                                               f"({checks.limits.source})")
        maximum = None
    for name in ("self_score", "appraised_score"):
        value = row.values[name]
        if value is not None and (value < 0 or (maximum is not None and value > maximum)):
            bound = f"0-{maximum}" if maximum is not None else "0 or more"
            add_problem(row, header, name, f"{value} points is outside the criterion's range {bound}")
