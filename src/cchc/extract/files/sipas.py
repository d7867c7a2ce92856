"""SIPAS survey exports (SIPAS_<province>_<yyyy>.csv) -> raw_files.sipas_responses, one
row per respondent with the answers as a list of (question code, label, answer).

Question columns are recognised by their label, a question code followed by its text
('TC1.1 Nơi ngồi chờ ...'), so a questionnaire with more or fewer questions still loads;
a question of an element the warehouse does not know, or a code twice, rejects the file.
The respondent's name and phone (and any other personal column) are never read nor
stored. The file is read as a stream (csvfile); lines that are not valid UTF-8 or do not
split into the header's cells are quarantined by row number.
"""

from __future__ import annotations

import re
from datetime import date

from ..raw import ParsedFile, Problem, RawColumn, RawTable
from .cells import day_month_year, text, whole_number
from .csvfile import csv_rows, open_csv
from .parsing import (
    Checks,
    Column,
    TemplateError,
    add_problem,
    check_range,
    check_unit,
    parse_row,
    require,
    withheld_note,
)

FOLDER = "sipas"
PATTERN = re.compile(r"SIPAS_(?P<province>\d{2})_(?P<year>\d{4})\.csv")
EXPECTED_NAME = "SIPAS_<province>_<yyyy>.csv"
QUESTION = re.compile(r"^(?P<code>(?P<element>[A-Z]{2,3})\d+\.\d+)\s+\S")

COLUMNS = [
    Column("response_id", "Mã phiếu", "VARCHAR", text, "Questionnaire id (mã phiếu), unique"),
    Column("survey_year", "Năm", "INTEGER", whole_number, "Survey year as written in the row"),
    Column("survey_date", "Ngày khảo sát", "DATE", day_month_year, "Interview date"),
    Column("unit_code", "Mã đơn vị", "VARCHAR", text, "Unit key of the unit whose service was rated"),
    Column("unit_name", "Tên đơn vị", "VARCHAR", text, "Unit name as written"),
    Column("service_field", "Lĩnh vực", "VARCHAR", text, "Procedure field (lĩnh vực) of the service used"),
    Column("respondent_name", "Họ và tên", "VARCHAR", description="Respondent's name: personal data, never stored",
           required=False, personal=True),
    Column("phone_number", "Số điện thoại", "VARCHAR", description="Respondent's phone: personal data, never stored",
           required=False, personal=True),
    Column("gender", "Giới tính", "VARCHAR", text, "Nam / Nữ"),
    Column("age_group", "Nhóm tuổi", "VARCHAR", text, "Age group as written"),
]
ANSWER_TYPE = "STRUCT(question_code VARCHAR, question_label VARCHAR, answer TINYINT)[]"
# The scratch table holds only the answers (TINYINT[]); code and label come from the header.
ANSWERS_SQL = ("list_transform(list_zip(?::VARCHAR[], ?::VARCHAR[], answers), "
               "lambda a: {'question_code': a[1], 'question_label': a[2], 'answer': a[3]})")

TABLE = RawTable(
    "sipas_responses", "SIPAS survey responses, one row per respondent, as exported by the survey team "
    "(personal data not stored)",
    (RawColumn("province_code", "VARCHAR", "Province of the export (from the file name)"),
     *(RawColumn(c.name, c.sql_type, c.description) for c in COLUMNS if not c.personal),
     RawColumn("answers", ANSWER_TYPE, "One entry per question column: code ('TC1.1'; letters and first "
               "number = element), full label, answer 1-5 (NULL: left blank)", scratch_type="TINYINT[]")),
    key=("response_id",), key_label="Mã phiếu", unit_column="unit_code",
    retired=("respondent_name", "phone_number"))


def period(match: re.Match) -> tuple[int, None]:
    return int(match["year"]), None


def is_question(label: str) -> bool:
    return QUESTION.match(label) is not None


def parse(file, match: re.Match, checks: Checks) -> ParsedFile:
    province, year = match["province"], int(match["year"])
    limits = checks.limits
    header, lines = open_csv(file, COLUMNS, extra=is_question, extra_name="question columns such as 'TC1.1 ...'")
    questions = [(i, QUESTION.match(label)) for i, label in enumerate(header.labels) if is_question(label)]
    _check_questions(file.name, [q for _, q in questions], limits.question_elements)
    scale = {str(i): i for i in range(int(limits.answer_scale.low), int(limits.answer_scale.high) + 1)}

    def parse_line(number: int, cells: list[str]):
        row = parse_row(None, number, cells, header, COLUMNS, unit="unit_code")
        answers = []
        for index, question in questions:
            try:
                answers.append(_answer(cells[index], scale, limits.answer_scale))
            except ValueError as exc:
                row.problems.append(Problem(question.string, cells[index], str(exc)))
                answers.append(None)
        row.values.update(province_code=province, answers=answers)
        require(row, header, "response_id", "survey_year", "survey_date", "unit_code")
        _check_period(row, header, year, checks.today)
        check_range(row, header, ["gender"], limits.genders, "gender")
        check_range(row, header, ["age_group"], limits.age_groups, "age group")
        check_unit(row, header, "unit_code", checks.units, row.values["survey_date"] or date(year, 12, 31), province)
        return row

    return ParsedFile(csv_rows(lines, header, parse_line), withheld_note(file.name, header, COLUMNS),
                      {"answers": (ANSWERS_SQL, [[q["code"] for _, q in questions], [q.string for _, q in questions]])})


def _answer(cell: str, scale: dict[str, int], bounds) -> int | None:
    value = cell.strip()
    if not value or value in scale:  # the usual case, without the general number parser
        return scale.get(value)
    try:
        number = whole_number(value)
    except ValueError:
        number = None
    if number is None or number not in bounds:
        raise ValueError(f"answer '{value}' is not on the {bounds} scale")
    return number


def _check_questions(where: str, questions: list[re.Match], elements: tuple[str, ...]) -> None:
    """Every question of a known element, each code once: the marts know only these, and
    a code twice would make two answers of one question."""
    unknown = sorted({q.string for q in questions if q["element"] not in elements})
    if unknown:
        raise TemplateError(f"{where}: question columns of an unknown element: "
                            + ", ".join(f"'{label}'" for label in unknown)
                            + f" (known: {', '.join(elements)}; see loader_limits.yaml)")
    codes = [q["code"] for q in questions]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise TemplateError(f"{where}: question codes appear more than once: {', '.join(twice)}")


def _check_period(row, header, year: int, today: date) -> None:
    survey_year, survey_date = row.values["survey_year"], row.values["survey_date"]
    if survey_year not in (None, year):
        add_problem(row, header, "survey_year", f"survey year {survey_year} in a file for {year}")
    if survey_date is not None and survey_date.year != year:
        add_problem(row, header, "survey_date", f"survey date {survey_date:%d/%m/%Y} is outside the survey year {year}")
    elif survey_date is not None and survey_date > today:
        add_problem(row, header, "survey_date", f"survey date {survey_date:%d/%m/%Y} is in the future")
