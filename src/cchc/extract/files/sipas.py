"""SIPAS survey exports (SIPAS_<province>_<yyyy>.csv) -> raw_files.sipas_responses, one
row per respondent with the answers as a list of (question code, label, answer).

Question columns are recognised by their label, a question code followed by its text
('TC1.1 Nơi ngồi chờ ...'), so a questionnaire with more or fewer questions still loads.
Personal data (name, phone) is kept here as sent; staging drops it. Lines that are not
valid UTF-8 are quarantined by row number; a file whose header is not UTF-8 is rejected.
"""

from __future__ import annotations

import re
from datetime import date

from ..raw import ParsedFile, Problem, RawColumn, RawTable
from .parsing import (Column, UnitDirectory, check_unit, day_month_year, label_of, locate_header, parse_row,
                      read_csv_bytes, require, text, undecodable_rows, whole_number)

FOLDER = "sipas"
PATTERN = re.compile(r"SIPAS_(?P<province>\d{2})_(?P<year>\d{4})\.csv")
EXPECTED_NAME = "SIPAS_<province>_<yyyy>.csv"
QUESTION = re.compile(r"^(?P<code>[A-Z]{2,3}\d+\.\d+)\s+\S")
SCALE = range(1, 6)

COLUMNS = [
    Column("response_id", "Mã phiếu", "VARCHAR", text, "Questionnaire id (mã phiếu), unique"),
    Column("survey_year", "Năm", "INTEGER", whole_number, "Survey year as written in the row"),
    Column("survey_date", "Ngày khảo sát", "DATE", day_month_year, "Interview date"),
    Column("unit_code", "Mã đơn vị", "VARCHAR", text, "Unit key of the unit whose service was rated"),
    Column("unit_name", "Tên đơn vị", "VARCHAR", text, "Unit name as written"),
    Column("service_field", "Lĩnh vực", "VARCHAR", text, "Procedure field (lĩnh vực) of the service used"),
    Column("respondent_name", "Họ và tên", "VARCHAR", text,
           "PERSONAL DATA: respondent's name (dropped in staging)", required=False),
    Column("phone_number", "Số điện thoại", "VARCHAR", text,
           "PERSONAL DATA: respondent's phone (dropped in staging)", required=False),
    Column("gender", "Giới tính", "VARCHAR", text, "Nam / Nữ"),
    Column("age_group", "Nhóm tuổi", "VARCHAR", text, "Age group as written"),
]
ANSWER_TYPE = "STRUCT(question_code VARCHAR, question_label VARCHAR, answer TINYINT)[]"
ANSWER_JSON = '[{"question_code": "VARCHAR", "question_label": "VARCHAR", "answer": "TINYINT"}]'

TABLE = RawTable(
    "sipas_responses", "SIPAS survey responses, one row per respondent, as exported by the survey team",
    (RawColumn("province_code", "VARCHAR", "Province of the export (from the file name)"),
     *(RawColumn(c.name, c.sql_type, c.description) for c in COLUMNS),
     RawColumn("answers", ANSWER_TYPE, "One entry per question column: code ('TC1.1'; letters and first "
               "number = element), full label, answer 1-5 (NULL: left blank)", json_structure=ANSWER_JSON)),
    key=("response_id",), key_label="Mã phiếu")


def is_question(label: str) -> bool:
    return QUESTION.match(label) is not None


_ANSWERS = {str(i): i for i in SCALE} | {"": None}


def _answer(cell) -> int | None:
    if cell in _ANSWERS:  # the usual case, without the general number parser
        return _ANSWERS[cell]
    try:
        value = whole_number(cell)
    except ValueError:
        value = -1
    if value is not None and value not in SCALE:
        raise ValueError(f"answer '{text(cell)}' is not on the 1-5 scale")
    return value


def parse(data: bytes, file_name: str, match: re.Match, units: UnitDirectory) -> ParsedFile:
    province, year = match["province"], int(match["year"])
    content = read_csv_bytes(data, file_name)
    rows = [cells for _, cells in content.rows]
    header = locate_header(rows, COLUMNS, file_name, extra=is_question,
                           extra_name="question columns such as 'TC1.1 ...'")
    questions = [(i, QUESTION.match(label)["code"], label) for i, label in enumerate(header.labels)
                 if is_question(label)]
    parsed = ParsedFile(undecodable_rows(content))
    for number, cells in content.rows[header.data_start:]:
        if not any(c.strip() for c in cells):
            continue
        row = parse_row(None, number, cells, header, COLUMNS)
        if len(cells) != len(header.labels):
            row.problems.append(Problem(None, len(cells), f"row has {len(cells)} cells, the header "
                                                           f"{len(header.labels)}"))
        answers = []
        for index, code, label in questions:
            cell = cells[index] if index < len(cells) else None
            try:
                answers.append({"question_code": code, "question_label": label, "answer": _answer(cell)})
            except ValueError as exc:
                row.problems.append(Problem(label, cell, str(exc)))
        row.values.update(province_code=province, answers=answers)
        require(row, header, "response_id", "survey_year", "survey_date", "unit_code")
        if row.values["survey_year"] not in (None, year):
            row.problems.append(Problem(label_of(header, "survey_year"), row.values["survey_year"],
                                        f"survey year {row.values['survey_year']} in a file for {year}"))
        check_unit(row, header, "unit_code", units, row.values["survey_date"] or date(year, 12, 31), province)
        parsed.rows.append(row)
    parsed.rows.sort(key=lambda r: r.row_number)
    return parsed
