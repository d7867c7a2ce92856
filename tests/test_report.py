"""`cchc report`: the periodic CCHC report (issue #15), Word and Excel, from the serving
snapshot. The Tứ Kỳ 2022 fixture (tests/test_tu_ky_2022.py: the demo warehouse plus a
district's dossiers whose totals equal the published report) is built, published, and the
report generated from the snapshot must print the published figures (docs/domain.md §10),
read back from the .docx and the .xlsx with their own libraries."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import date

import pytest
from conftest import run_cchc
from docx import Document
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook
from test_tu_ky_2022 import DISTRICT

from cchc.publish import publish
from cchc.report import parse_period
from cchc.report.build import shown
from cchc.settings import load_settings
from cchc.transform import run_dbt

# The published figures (domain.md §10) as the report prints them: rates half up.
LEVELS = [["Cấp huyện", "8.682", "6.989", "80,50"], ["Cấp xã", "51.856", "35.716", "68,88"],
          ["Tổng các cấp", "60.538", "42.705", "70,54"]]
DIGITISATION = {"Cấp huyện": ["2.122", "1.893", "89,21", "2.264", "1.658", "73,23"],
                "Cấp xã": ["34.351", "31.289", "91,09", "33.751", "16.585", "49,14"]}
DISTRICT_SECTORS = {("6.468", "5.036", "77,86"), ("524", "524", "100,00"), ("625", "507", "81,12"),
                    ("998", "855", "85,67"), ("9", "9", "100,00"), ("52", "52", "100,00"), ("1", "1", "100,00"),
                    ("5", "5", "100,00")}


@pytest.mark.parametrize(("text", "expected"), [
    ("2022", ("year", date(2022, 1, 1), date(2022, 12, 31), "năm 2022")),
    ("2022-Q4", ("quarter", date(2022, 10, 1), date(2022, 12, 31), "quý IV năm 2022")),
    ("2022-q1", ("quarter", date(2022, 1, 1), date(2022, 3, 31), "quý I năm 2022")),
    ("2022-12", ("month", date(2022, 12, 1), date(2022, 12, 31), "tháng 12/2022")),
    ("2024-02", ("month", date(2024, 2, 1), date(2024, 2, 29), "tháng 02/2024")),
])
def test_periods(text, expected):
    period = parse_period(text)
    assert (period.period_type, period.start, period.end, period.label_vi) == expected


@pytest.mark.parametrize("text", ["22", "2022-Q5", "2022-13", "2022-1", "Q4-2022", "2022/12", ""])
def test_a_bad_period_is_refused_naming_it(text):
    with pytest.raises(ValueError, match="--period"):
        parse_period(text)


def test_numbers_are_shown_the_vietnamese_way():
    assert [shown(1234567, "count"), shown(80.49988481916609, "pct"), shown(0.005, "pct"), shown(126767.0, "amount"),
            shown(None, "pct")] == ["1.234.567", "80,50", "0,01", "126.767,000", ""]


def test_bad_period_exits_2_with_one_line():
    result = run_cchc("report", "--period", "2022-Q5", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --period '2022-Q5': expected a year (2022), a quarter (2022-Q4) or a month (2022-12)"]


def test_a_missing_serving_snapshot_is_refused(tmp_path):
    result = run_cchc("report", "--period", "2022", check=False, env={"CCHC_SERVING_DIR": str(tmp_path)})
    assert result.returncode == 2 and "no serving snapshot" in result.stderr and "cchc publish" in result.stderr


@pytest.fixture(scope="module")
def tu_ky_report(tu_ky_warehouse, tmp_path_factory):
    """The fixture's warehouse with the report's tables built (and the rankings, which read the
    area's dossiers), published; `cchc report` on the snapshot for Tứ Kỳ (legacy:298) in 2022
    and for the default area, the province served, in 2023 (the demo's PAR scores; 2022 is
    the data's first year, without rank changes)."""
    # A copy: the Tứ Kỳ fixture is the session's, and this builds more models into it.
    work = tmp_path_factory.mktemp("tu_ky_report")
    warehouse = work / "cchc.duckdb"
    shutil.copy(tu_ky_warehouse[0], warehouse)
    result = run_dbt(load_settings(), ["build", "--select", "mart_unit_rankings", "path:models/marts/reporting/report",
                                       "--exclude", "test_type:unit"], warehouse=warehouse, target_dir=work)
    assert result.returncode == 0 and not result.failures, (result.failures, result.stdout[-3000:])
    serving = work / "serving"
    publish(warehouse, serving)
    documents = {}
    for area, period in ((DISTRICT, "2022"), (None, "2023")):
        out = work / f"report-{area or 'province'}"
        printed = run_cchc("report", "--period", period, *(["--area", area] if area else []), "--out", str(out),
                           env={"CCHC_SERVING_DIR": str(serving)}).stdout
        documents[area] = (Document(str(next(out.glob("*.docx")))), load_workbook(next(out.glob("*.xlsx"))), printed)
    assert "Huyện Tứ Kỳ" in documents[DISTRICT][2]
    return documents


def docx_table(document, title_prefix: str) -> list[list[str]]:
    """The rows (header excluded) of the table under the heading starting with `title_prefix`;
    [] when the section has none (its note instead)."""
    body = list(document.element.body.iterchildren())
    heading = next(i for i, el in enumerate(body)
                   if el.tag.endswith("}p") and Paragraph(el, document).text.startswith(title_prefix))
    for element in body[heading + 1:]:
        if element.tag.endswith("}tbl"):
            table = next(t for t in document.tables if t._element is element)
            return [[cell.text for cell in row.cells] for row in table.rows][1:]
        if element.tag.endswith("}p") and Paragraph(element, document).style.name.startswith("Heading"):
            return []
    return []


@pytest.mark.slow
def test_the_report_prints_the_published_dossier_figures(tu_ky_report):
    document = tu_ky_report[DISTRICT][0]
    assert docx_table(document, "1.") == LEVELS
    digitisation = {row[0]: row[1:] for row in docx_table(document, "3.")}
    assert {level: digitisation[level] for level in DIGITISATION} == DIGITISATION
    assert digitisation["Tổng các cấp"][5] == "50,65"
    sectors = docx_table(document, "2.")
    assert {tuple(row[2:]) for row in sectors if row[0] == "Cấp huyện"} == DISTRICT_SECTORS
    assert [row[2:] for row in sectors if row[0] == "Cấp xã"] == [["51.856", "35.716", "68,88"]]  # one field: Tư pháp


@pytest.mark.slow
def test_the_workbook_holds_the_same_figures_as_numbers(tu_ky_report):
    workbook = tu_ky_report[DISTRICT][1]
    levels = workbook.worksheets[0]
    header = next(i for i, row in enumerate(levels.iter_rows(values_only=True), start=1) if row[0] == "Cấp")
    rows = [list(r) for r in levels.iter_rows(min_row=header + 1, values_only=True)]
    assert rows == [["Cấp huyện", 8682, 6989, 80.5], ["Cấp xã", 51856, 35716, 68.88], ["Tổng các cấp", 60538, 42705, 70.54]]
    assert levels.cell(row=header + 1, column=4).number_format == "0.00"
    digitisation = {r[0]: r[1:] for r in workbook.worksheets[2].iter_rows(values_only=True) if r[0] in ("Cấp huyện", "Cấp xã")}
    assert digitisation == {"Cấp huyện": (2122, 1893, 89.21, 2264, 1658, 73.23),
                            "Cấp xã": (34351, 31289, 91.09, 33751, 16585, 49.14)}


@pytest.mark.slow
def test_the_report_is_vietnamese_nfc_and_has_every_section(tu_ky_report):
    document, workbook, _ = tu_ky_report[DISTRICT]
    text = "\n".join(p.text for p in document.paragraphs) + "".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert unicodedata.normalize("NFC", text) == text
    assert "BÁO CÁO KẾT QUẢ CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2022" in text
    assert "kỳ báo cáo từ 01/01/2022 đến 31/12/2022" in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert [h.split(" ")[0] for h in headings] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert len(workbook.worksheets) == 6
    # The fixture has no PAR scores or investment for Tứ Kỳ: the sections say so.
    assert "Chưa có kết quả Chỉ số CCHC của năm (công bố vào năm sau)." in text and docx_table(document, "5.") == []


@pytest.mark.slow
def test_par_classification_with_the_downgrade_reason_and_rankings(tu_ky_report):
    """The province served (default area), 2023: its units' PAR classes, each downgrade with
    its reason; rankings with the rank change against 2022."""
    document = tu_ky_report[None][0]
    par = docx_table(document, "5.")
    assert par and all(row[3] for row in par)
    downgraded = [row for row in par if row[6]]
    assert downgraded and all(row[6].startswith("Chỉ số ") and " nhưng lĩnh vực " in row[6] for row in downgraded)
    rankings = docx_table(document, "6.")
    assert rankings and any(row[5].startswith(("tăng", "giảm")) for row in rankings)
