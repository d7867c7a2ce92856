"""The file loaders against what a red team sent them (issue #13): every bad input is
reproduced with the simulator's own renderers (or by editing its files), loaded into a real
DuckDB warehouse by the real loader, and the safe outcome asserted. For every load, the
data rows of the file are all accounted for: rows loaded + rows quarantined."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import cycle, islice
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import ROOT, run_cchc
from openpyxl import load_workbook
from test_file_extract import query, reference_db, simulate_drops, warehouse  # noqa: F401 - fixtures

from cchc.extract.files import actions, default_limits, load_file_drops, open_warehouse
from cchc.extract.files.cells import to_scale
from cchc.extract.files.limits import LIMITS_FILE, Limits
from cchc.extract.files.par import SHEETS, expected_sheets
from cchc.extract.files.parsing import Checks, UnitDirectory
from cchc.extract.files.personal import WITHHELD_PERSONAL, WITHHELD_UNKNOWN, is_personal_label
from cchc.extract.files.sipas import COLUMNS as SIPAS_COLUMNS
from cchc.extract.raw import local_now
from cchc.extract.run import extract
from cchc.orchestration.nightly import extract_source
from cchc.reference.tables import ReferenceDataError
from cchc.settings import load_settings
from cchc.simulator.config import preset
from cchc.simulator.files import par as par_source
from cchc.simulator.files import sipas as sipas_source
from cchc.simulator.files import treasury as treasury_source

# Two PAR years (2024 with districts, 2025 without), two SIPAS years, 14 treasury months.
CONFIG = preset("demo", start=date(2024, 11, 1), end=date(2025, 12, 31))


@pytest.fixture()
def today() -> date:
    """Today in Vietnam, read when the test starts: a suite started before midnight (VN)
    runs these tests after it, and a date taken at import would be yesterday's."""
    return local_now().date()


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    return simulate_drops(CONFIG, tmp_path_factory.mktemp("drop"))[0]


@pytest.fixture()
def drop(tmp_path) -> Path:
    """An empty drop folder: a test puts in it only the files it needs."""
    folder = tmp_path / "drop"
    for source in ("treasury", "sipas", "par", "papi"):
        (folder / source).mkdir(parents=True)
    return folder


def registry(path: Path, file_name: str) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute("SELECT * FROM raw_meta.file_registry WHERE file_name = ?", [file_name])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    return dict(zip(names, row)) if row else {}


def held_rows(path: Path, file_name: str) -> list[tuple]:
    """(row, field, value, reason, raw_record, unit_code) of a file's quarantine entries."""
    return query(path, "SELECT row_number, field, value, reason, raw_record, unit_code FROM raw_meta.quarantine "
                       "WHERE file_name = ? ORDER BY row_number, field", file_name)


def assert_accounted(path: Path, file_name: str, data_rows: int) -> dict:
    """Every data row of the file is loaded or quarantined, and the registry says so."""
    entry = registry(path, file_name)
    table = {"treasury": "treasury_disbursement", "sipas": "sipas_responses", "par": "par_scores",
             "papi": "papi_province_year"}[entry["source"]]
    loaded = query(path, f"SELECT count(*) FROM raw_files.{table} WHERE _source_file = ?", file_name)[0][0]
    quarantined = query(path, "SELECT count(DISTINCT (sheet, row_number)) FROM raw_meta.quarantine "
                              "WHERE file_name = ?", file_name)[0][0]
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (loaded, quarantined)
    assert loaded + quarantined == data_rows, (loaded, quarantined, data_rows)
    return entry


def warehouse_text(path: Path) -> str:
    """Every value of every raw and meta table, as text (to look for personal data)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_schema IN ('raw_files', 'raw_meta')").fetchall()
        return "\n".join(str(con.execute(f"SELECT * FROM {s}.{t}").fetchall()) for s, t in tables)


# ---------------------------------------------------------------- sources rendered with changes

def treasury_report(context, year: int, month: int):
    return next(r for r in treasury_source.plan_reports(context, "42") if (r.year, r.month) == (year, month))


def put_treasury(drop: Path, report, name: str | None = None) -> str:
    data, _ = treasury_source.render_report(report, "Hà Tĩnh")
    file_name = f"treasury/{name or report.name}"
    (drop / file_name).write_bytes(data)
    return file_name


def par_book(context, year: int):
    return next(b for b in par_source.plan_workbooks(context, "42") if b.year == year)


def put_par(drop: Path, book, name: str | None = None) -> str:
    file_name = f"par/{name or book.name}"
    (drop / file_name).write_bytes(par_source.render_workbook(book, "Hà Tĩnh"))
    return file_name


def sipas_export(context, year: int):
    export = next(e for e in sipas_source.plan_exports(context, "42") if e.year == year)
    return export


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------- 1. personal data

def personal_values(data: bytes) -> set[str]:
    """Names and phone numbers in a SIPAS export, however its columns are labelled."""
    lines = data.decode("utf-8-sig", "replace").split("\r\n")
    header = next(csv.reader([lines[0]]))
    columns = [i for i, label in enumerate(header) if is_personal_label(label)]
    values = set()
    for line in lines[1:]:
        cells = next(csv.reader([line])) if line else []
        values |= {cells[i] for i in columns if i < len(cells) and len(cells[i]) > 6}
    return values


def test_template_personal_columns_are_recognised_as_personal():
    personal = [c for c in SIPAS_COLUMNS if c.personal]
    assert [c.label for c in personal] == ["Họ và tên", "Số điện thoại"]
    assert all(is_personal_label(c.label) for c in personal)
    for label in ("Họ tên", "SĐT", "Điện thoại", "Email", "CCCD", "Số CCCD", "CMND", "Địa chỉ", "So dien thoai",
                  "Số điện thoại liên hệ"):
        assert is_personal_label(label), label
    assert not is_personal_label("Mã đơn vị") and not is_personal_label("Tên đơn vị")


def test_a_name_with_unquoted_commas_leaks_nothing(context, warehouse, drop, caplog):
    export = sipas_export(context, 2025)
    export.cp1258_unit = None
    row = export.rows[0]
    row[6], row[7] = "Nguyễn, Văn, An", "0912345678"
    rendered = csv_bytes(export.header, export.rows)
    # The export tool did not quote the name: its commas shift every later cell by two.
    rendered = rendered.replace('"Nguyễn, Văn, An"'.encode(), "Nguyễn, Văn, An".encode())
    (drop / "sipas" / export.name).write_bytes(rendered)

    caplog.set_level("DEBUG")
    summary = load_file_drops(warehouse, drop, ["sipas"])["sipas"]
    file_name = f"sipas/{export.name}"
    assert_accounted(warehouse, file_name, len(export.rows))
    width = len(export.header)
    assert held_rows(warehouse, file_name) == [
        (2, None, None, f"row has {width + 2} cells and the header {width} (likely an unquoted comma in a value); "
                        "the source must resend it", None, None)]
    everything = "\n".join([warehouse_text(warehouse), *summary.messages, caplog.text])
    for value in personal_values(rendered) | {"0912345678", "Nguyễn, Văn, An"}:
        assert value not in everything, value
    columns = [c for c, in query(warehouse, "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_name = 'sipas_responses'")]
    assert "respondent_name" not in columns and "phone_number" not in columns


def test_personal_columns_under_other_labels_are_withheld(context, warehouse, drop):
    export = sipas_export(context, 2025)
    export.cp1258_unit = None
    relabel = {"Họ và tên": "Họ tên", "Số điện thoại": "SĐT"}
    header = [relabel.get(label, label) for label in export.header] + ["Email", "Số CCCD", "Địa chỉ", "Ghi chú"]
    rows = [row + [f"nguoi{i}@mail.vn", f"04209{i:07d}", f"Thôn {i}, xã Kỳ Lợi", f"gọi lại 09{i:08d}"]
            for i, row in enumerate(export.rows)]
    rows[0][2] = "31/02/2025"  # a bad date: the row goes to quarantine with its record
    data = csv_bytes(header, rows)
    (drop / "sipas" / export.name).write_bytes(data)

    summary = load_file_drops(warehouse, drop, ["sipas"])["sipas"]
    file_name = f"sipas/{export.name}"
    assert_accounted(warehouse, file_name, len(rows))
    [(_, field, value, reason, record, unit)] = held_rows(warehouse, file_name)
    assert (field, value, unit) == ("Ngày khảo sát", "31/02/2025", rows[0][3])
    record = json.loads(record)
    assert [record[k] for k in ("Họ tên", "SĐT", "Email", "Số CCCD", "Địa chỉ")] == [WITHHELD_PERSONAL] * 5
    assert record["Ghi chú"] == WITHHELD_UNKNOWN and record["Mã đơn vị"] == rows[0][3]
    assert f"{file_name}: columns not in the template, values not stored: 'Họ tên' (personal data), 'SĐT' (personal " \
           "data), 'Email' (personal data), 'Số CCCD' (personal data), 'Địa chỉ' (personal data), 'Ghi chú'" \
           in summary.messages, summary.messages
    everything = warehouse_text(warehouse) + "\n".join(summary.messages)
    for row in rows[:50]:
        for value in row[6:8] + row[-4:]:
            assert value not in everything, value


def _old_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The raw and meta tables as the loader of commit bfa8512 created them, with personal data."""
    con.execute("CREATE SCHEMA raw_files; CREATE SCHEMA raw_meta")
    con.execute("CREATE TABLE raw_meta.file_registry (source VARCHAR, file_name VARCHAR, sha256 VARCHAR, "
                "size_bytes BIGINT, status VARCHAR, rows_loaded INTEGER, rows_quarantined INTEGER, load_id VARCHAR, "
                "loaded_at TIMESTAMP, message VARCHAR, PRIMARY KEY (source, file_name))")
    con.execute("CREATE TABLE raw_meta.quarantine (load_id VARCHAR, source VARCHAR, file_name VARCHAR, sheet VARCHAR, "
                "row_number INTEGER, field VARCHAR, value VARCHAR, reason VARCHAR, raw_record JSON, "
                "quarantined_at TIMESTAMP)")
    meta = ("_load_id VARCHAR, _source VARCHAR, _source_file VARCHAR, _source_sheet VARCHAR, _source_row INTEGER, "
            "_loaded_at TIMESTAMP")
    con.execute("CREATE TABLE raw_files.sipas_responses (province_code VARCHAR, response_id VARCHAR, "
                "survey_year INTEGER, survey_date DATE, unit_code VARCHAR, unit_name VARCHAR, service_field VARCHAR, "
                "respondent_name VARCHAR, phone_number VARCHAR, gender VARCHAR, age_group VARCHAR, answers "
                f"STRUCT(question_code VARCHAR, question_label VARCHAR, answer TINYINT)[], {meta})")
    con.execute("INSERT INTO raw_files.sipas_responses VALUES ('42', '42-2023-000001', 2023, '2023-08-02', "
                "'legacy:449', 'UBND', 'Hộ tịch', 'Trần Thị Hoa', '0987654321', 'Nữ', '25-34', [], 'sipas-x', "
                "'sipas', 'sipas/SIPAS_42_2023.csv', NULL, 2, '2024-01-01 00:00:00')")
    con.execute("INSERT INTO raw_meta.file_registry VALUES ('sipas', 'sipas/SIPAS_42_2023.csv', 'abc', 10, 'loaded', "
                "1, 2, 'sipas-x', '2024-01-01 00:00:00', NULL)")
    record = {"Mã phiếu": "42-2023-000002", "Mã đơn vị": "legacy:99999", "Họ và tên": "Lê Văn Tám",
              "Số điện thoại": "0911222333", "Ghi chú": "nhà số 5"}
    shifted = {"Mã phiếu": "42-2023-000003", "Ngày khảo sát": "0944555666"}
    for field, value, reason, raw in (
            ("Mã đơn vị", "legacy:99999", "unit code 'legacy:99999' is not in the reference tables", record),
            ("Ngày khảo sát", "0944555666", "'0944555666' is not a date in dd/mm/yyyy form", shifted),
            (None, "39", "row has 39 cells, the header 37", shifted),
            (None, "Lê,Văn", "line is not valid UTF-8 (byte offset 9)", {"line": "4,Lê,Văn,0977888999"})):
        con.execute("INSERT INTO raw_meta.quarantine VALUES ('sipas-x', 'sipas', 'sipas/SIPAS_42_2023.csv', NULL, ?, "
                    "?, ?, ?, ?, '2024-01-01 00:00:00')",
                    [3 if raw is shifted else 2 if raw is record else 4, field, value, reason, json.dumps(raw)])


def test_tables_of_an_older_loader_are_migrated_in_place(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        _old_tables(con)
    with open_warehouse(warehouse):
        pass
    columns = {t: [c for c, in query(warehouse, "SELECT column_name FROM information_schema.columns WHERE "
                                                "table_name = ? ORDER BY ordinal_position", t)]
               for t in ("sipas_responses", "file_registry", "quarantine", "file_history")}
    assert "respondent_name" not in columns["sipas_responses"] and "phone_number" not in columns["sipas_responses"]
    assert columns["file_registry"][-1] == "loaded_sha256" and columns["quarantine"][-1] == "unit_code"
    assert columns["file_history"][:4] == ["source", "file_name", "sha256", "status"]
    assert query(warehouse, "SELECT response_id FROM raw_files.sipas_responses") == [("42-2023-000001",)]
    assert query(warehouse, "SELECT loaded_sha256 FROM raw_meta.file_registry") == [("abc",)]
    text = warehouse_text(warehouse)
    for value in ("Trần Thị Hoa", "0987654321", "Lê Văn Tám", "0911222333", "nhà số 5", "0944555666", "0977888999"):
        assert value not in text, value
    rows = query(warehouse, "SELECT row_number, field, value, reason, raw_record, unit_code FROM raw_meta.quarantine "
                            "ORDER BY row_number")
    assert rows[0][:3] == (2, "Mã đơn vị", "legacy:99999") and rows[0][5] == "legacy:99999"
    assert json.loads(rows[0][4])["Họ và tên"] == WITHHELD_PERSONAL
    assert rows[1] == (3, None, None, "row has 39 cells and the header 37 (likely an unquoted comma in a value); the "
                                      "source must resend it", None, None)
    assert rows[2][:2] == (4, None) and rows[2][2] is None and rows[2][4] is None and len(rows) == 3


# ---------------------------------------------------------------- 2. PAR peer-group sheets

def test_par_sheets_expected_agree_with_the_simulator(context, reference_db, today):
    with duckdb.connect(str(reference_db), read_only=True) as con:
        checks = Checks(UnitDirectory.from_warehouse(con), default_limits(), today)
    for book in par_source.plan_workbooks(context, "42"):
        assert {par_source.SHEETS[g] for g in book.sheets} == set(expected_sheets(checks, "42", book.year))
    assert expected_sheets(checks, "42", 2024) == list(SHEETS)
    assert expected_sheets(checks, "42", 2025) == ["Sở, ban, ngành", "UBND cấp xã"]


def test_a_renamed_par_sheet_rejects_the_workbook(context, warehouse, drop, reference_db):
    file_name = put_par(drop, par_book(context, 2025))
    workbook = load_workbook(drop / file_name)
    workbook["UBND cấp xã"].title = "Cap xa"
    workbook.save(drop / file_name)
    summary = load_file_drops(warehouse, drop, ["par"])["par"]
    assert (summary.files_loaded, summary.files_rejected) == (0, 1)
    entry = registry(warehouse, file_name)
    assert entry["status"] == "rejected" and entry["rows_loaded"] == 0
    assert entry["message"] == (
        "par/PAR_42_2025.xlsx: peer-group sheet(s) missing: 'UBND cấp xã' (expected for 2025: 'Sở, ban, ngành', "
        "'UBND cấp xã'; found: 'Sở, ban, ngành', 'Cap xa'); sheet 'Cap xa' looks like 'UBND cấp xã' (diacritics or "
        "words differ): rename it")
    assert query(warehouse, "SELECT count(*) FROM raw_files.par_scores")[0][0] == 0


def test_a_par_sheet_without_rows_rejects_the_workbook(context, warehouse, drop):
    book = par_book(context, 2024)
    book.sheets["district"] = []
    file_name = put_par(drop, book)
    load_file_drops(warehouse, drop, ["par"])
    assert registry(warehouse, file_name)["message"] == (
        "par/PAR_42_2024.xlsx, sheet 'UBND cấp huyện': no score rows under the header (the sheet of a peer group "
        "that has units in 2024)")


# ---------------------------------------------------------------- 3. one bad cell, not a failed build

# Staging columns with a not_null test -> the raw column the loader must never leave NULL
# (None: computed in staging from another column checked here, or a load metadata column).
NOT_NULL = {
    "stg_treasury__disbursements": ("treasury_disbursement", {
        "province_code": "province_code", "report_year": "report_year", "report_month": "report_month",
        "project_code": "project_code", "investor_unit_key": "investor_code", "plan_total_mvnd": "plan_total",
        "disbursed_in_month_mvnd": "disbursed_month", "disbursed_ytd_mvnd": "disbursed_ytd", "load_id": "_load_id",
        "source_file": "_source_file"}),
    "stg_par__scores": ("par_scores", {
        "province_code": "province_code", "score_year": "score_year", "unit_key": "unit_code",
        "criterion_code": "criterion_code", "peer_group": "peer_group", "field_number": "criterion_code",
        "field_name": "field_name", "max_points": "max_points", "appraised_points": "appraised_score",
        "load_id": "_load_id"}),
    "stg_sipas__responses": ("sipas_responses", {
        "response_id": "response_id", "province_code": "province_code", "survey_year": "survey_year",
        "survey_date": "survey_date", "unit_key": "unit_code", "load_id": "_load_id", "source_file": "_source_file"}),
    "stg_sipas__answers": ("sipas_responses", {
        "response_id": "response_id", "question_code": None, "element_code": None, "element_number": None,
        "question_number": None, "unit_key": "unit_code", "is_answered": None, "is_satisfied": None}),
    "stg_papi__province_scores": ("papi_province_year", {
        "papi_province_id": "province_id", "score_year": "year", "province_name": "province_vi",
        "province_name_key": "province_vi"}),
}


def staging_not_null() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "dbt_project" / "models" / "staging").glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            for column in model.get("columns", []):
                if any(t == "not_null" or (isinstance(t, dict) and "not_null" in t)
                       for t in column.get("data_tests", [])):
                    found.setdefault(model["name"], set()).add(column["name"])
    return found


def test_every_staging_not_null_is_enforced_by_the_loader(context, warehouse, drop):
    tested = staging_not_null()
    for model, (_, columns) in NOT_NULL.items():
        assert tested[model] == set(columns), f"{model}: the staging tests changed, update the loader and NOT_NULL"
    # A formula without its cached value, an empty amount, an empty appraised score.
    report = treasury_report(context, 2025, 11)
    report.rows[0].overrides["disbursed_ytd"] = "=H12+I12"
    report.rows[1].overrides["plan_total"] = None
    report.rows[2].overrides["disbursed_month"] = ""
    treasury = put_treasury(drop, report)
    book = par_book(context, 2025)
    book.sheets["commune"][0].appraised_score = None
    par = put_par(drop, book)
    load_file_drops(warehouse, drop, ["treasury", "par"])
    assert_accounted(warehouse, treasury, len(report.rows))
    assert_accounted(warehouse, par, sum(len(rows) for rows in book.sheets.values()))
    reasons = [r[3] for r in held_rows(warehouse, treasury)]
    assert len(reasons) == 3 and all("it may be a formula without a saved value: open the file in Excel, save it"
                                     in r for r in reasons), reasons
    assert "'Giải ngân / Lũy kế từ đầu năm' is empty" in reasons[0]
    [(_, field, _, reason, _, unit)] = held_rows(warehouse, par)
    assert field == "Điểm thẩm định" and reason.startswith("'Điểm thẩm định' is empty") and unit.startswith("2025:")
    for table, columns in NOT_NULL.values():
        for raw in {c for c in columns.values() if c}:
            assert query(warehouse, f"SELECT count(*) FROM raw_files.{table} WHERE {raw} IS NULL")[0][0] == 0, raw


# ---------------------------------------------------------------- 4. a version that removes rows is held

def test_an_empty_month_is_held_not_applied(context, warehouse, tmp_path, monkeypatch, today):
    drop = tmp_path / "full"
    shutil.copytree(context.drop_dir, drop)
    load_file_drops(warehouse, drop)
    report = treasury_report(context, 2025, 6)
    file_name = f"treasury/{report.name}"
    before = registry(warehouse, file_name)
    units = sorted({r.investor.unit_key for r in report.rows})
    report.rows = []  # the treasury re-sends the month as an empty template
    put_treasury(drop, report)

    monkeypatch.setenv("CCHC_DROP_DIR", str(drop))
    monkeypatch.setenv("CCHC_WAREHOUSE", str(warehouse))
    step = extract_source(load_settings(), "treasury", today)
    entry = registry(warehouse, file_name)
    assert entry["status"] == "held" and entry["rows_loaded"] == before["rows_loaded"] > 100
    assert entry["loaded_sha256"] == before["sha256"] != entry["sha256"] and entry["loaded_at"] > before["loaded_at"]
    assert f"{before['rows_loaded']:,} of the {before['rows_loaded']:,} loaded rows would disappear ({len(units)} of " \
           f"its {len(units)} units would disappear entirely: {', '.join(units[:5])} and" in entry["message"]
    assert f"`cchc files confirm {file_name}`" in entry["message"]
    assert query(warehouse, "SELECT count(*) FROM raw_files.treasury_disbursement WHERE _source_file = ?",
                 file_name)[0][0] == before["rows_loaded"]
    assert "1 tệp bị giữ lại" in step.lines[0]
    assert len(step.warnings) == 1 and "1 tệp bị giữ lại chưa áp dụng" in step.warnings[0]
    assert "held: treasury/KBNN_42_2025_06.xlsx: this version was not applied" in step.warnings[0]
    # Still held (and reported) on the next run, not judged again.
    again = extract(load_settings(), "treasury")
    assert not again.ok and "1 held" in again.lines[0] and "still held" in again.lines[1]

    confirmed, _ = actions.confirm(warehouse, drop, file_name)
    assert (confirmed.status, confirmed.rows_loaded) == ("loaded", 0)
    assert query(warehouse, "SELECT status FROM raw_meta.file_history WHERE file_name = ? ORDER BY recorded_at",
                 file_name) == [("loading",), ("loaded",), ("loading",), ("held",), ("loading",), ("confirmed",)]
    assert_accounted(warehouse, file_name, 0)


def test_a_new_version_supersedes_a_held_one(context, warehouse, drop):
    export = sipas_export(context, 2025)
    file_name = f"sipas/{export.name}"
    (drop / file_name).write_bytes(sipas_source.render_export(export)[0])
    load_file_drops(warehouse, drop, ["sipas"])
    rows = export.rows
    export.rows = rows[:-300]  # resent with 300 responses fewer: held
    (drop / file_name).write_bytes(sipas_source.render_export(export)[0])
    assert load_file_drops(warehouse, drop, ["sipas"])["sipas"].files_held == 1
    assert "300 of the" in registry(warehouse, file_name)["message"]
    with pytest.raises(actions.FileActionError, match="changed since it was held"):
        export.rows = rows[:-200]
        (drop / file_name).write_bytes(sipas_source.render_export(export)[0])
        actions.confirm(warehouse, drop, file_name)
    assert "200 of the" in (load_file_drops(warehouse, drop, ["sipas"])["sipas"].messages[0])
    export.rows = rows + [[f"42-2025-9{i:05d}", *row[1:]] for i, row in enumerate(rows[:10])]  # 10 more: loads
    (drop / file_name).write_bytes(sipas_source.render_export(export)[0])
    summary = load_file_drops(warehouse, drop, ["sipas"])["sipas"]
    assert summary.files_loaded == 1 and registry(warehouse, file_name)["status"] == "loaded"
    assert_accounted(warehouse, file_name, len(export.rows))


# ---------------------------------------------------------------- 5. no row skipped without a trace

def test_odd_treasury_rows_are_quarantined_not_skipped(context, warehouse, drop):
    report = treasury_report(context, 2025, 9)
    report.rows[3].overrides.update(stt="1a", project_code="DA 01 mới")
    report.rows[4].overrides.update(stt=None, project_code=None)
    report.rows[5].overrides.update({k: None for k in treasury_source.COLUMNS} | {"project_name": "Ghi chú: tạm tính"})
    file_name = put_treasury(drop, report)
    load_file_drops(warehouse, drop, ["treasury"])
    assert_accounted(warehouse, file_name, len(report.rows))
    assert [reason for _, _, _, reason, _, _ in held_rows(warehouse, file_name)] == [
        "'DA 01 mới' does not look like a project code", "'Mã dự án' is empty",
        "not a project row: no 'Mã dự án' and no figures, and not a total, investor group, column-number or "
        "signature row"]


def test_the_known_rows_around_a_table_are_not_data(context, warehouse, drop):
    report = treasury_report(context, 2025, 10)
    treasury = put_treasury(drop, report)
    book = par_book(context, 2024)
    par = put_par(drop, book)
    load_file_drops(warehouse, drop, ["treasury", "par"])
    assert assert_accounted(warehouse, treasury, len(report.rows))["rows_quarantined"] == 0
    assert assert_accounted(warehouse, par, sum(len(r) for r in book.sheets.values()))["rows_quarantined"] == 0


def test_a_par_row_with_content_but_no_codes_is_quarantined(context, warehouse, drop):
    book = par_book(context, 2025)
    file_name = put_par(drop, book)
    workbook = load_workbook(drop / file_name)
    sheet = workbook["Sở, ban, ngành"]
    sheet.cell(row=9, column=2).value = None   # Mã đơn vị
    sheet.cell(row=9, column=5).value = None   # Mã tiêu chí
    sheet.cell(row=10, column=2).value = None
    for column in range(1, 10):                # a note instead of a score row
        sheet.cell(row=11, column=column).value = "Ghi chú: chấm lại" if column == 3 else None
    workbook.save(drop / file_name)
    load_file_drops(warehouse, drop, ["par"])
    assert_accounted(warehouse, file_name, sum(len(r) for r in book.sheets.values()))
    reasons = {(row, reason) for row, _, _, reason, _, _ in held_rows(warehouse, file_name)}
    assert reasons == {(9, "'Mã đơn vị' is empty"), (9, "'Mã tiêu chí' is empty"), (10, "'Mã đơn vị' is empty"),
                       (11, "not a score row: no 'Mã đơn vị' or 'Mã tiêu chí' and no points, and not a total or "
                            "signature row")}


# ---------------------------------------------------------------- 6. implausible values

def test_implausible_treasury_values_are_quarantined(context, warehouse, drop, reference_db, tmp_path):
    report = treasury_report(context, 2025, 12)
    bad = {0: {"disbursed_month": -5.0}, 1: {"plan_total": "999.999.999.999"}, 2: {"rate": 1000},
           3: {"disbursed_ytd": 10 ** 6 * 9.0, "rate": None}, 4: {"disbursed_month": 10 ** 6 * 8.0, "rate": None}}
    for index, overrides in bad.items():
        report.rows[index].overrides.update(overrides)
    file_name = put_treasury(drop, report)
    load_file_drops(warehouse, drop, ["treasury"])
    assert_accounted(warehouse, file_name, len(report.rows))
    reasons = [reason for _, _, _, reason, _, _ in held_rows(warehouse, file_name)]
    for expected in (r"^negative amount -5\.000$",
                     r"^999999999999\.000 triệu đồng is above the ceiling of 10000000 triệu đồng \(loader_limits.yaml\)$",
                     r"^rate \(%\) 1000\.00 is outside 0-100$",
                     r"^year-to-date 9000000\.000 is above the year's plan \d+\.\d{3} \(rate outside 0-100%\)$",
                     r"^disbursed in the month 8000000\.000 is above the year-to-date \d+\.\d{3}$"):
        assert any(re.match(expected, r) for r in reasons), (expected, reasons)
    # The ceiling is the limits file's, not the code's.
    stricter = replace(default_limits(), amount_ceiling=Decimal(100))
    other = tmp_path / "other.duckdb"
    shutil.copy(reference_db, other)
    load_file_drops(other, drop, ["treasury"], limits=stricter)
    assert any("above the ceiling of 100 triệu đồng" in r[3] for r in held_rows(other, file_name))


def test_files_for_a_future_period_are_rejected(context, warehouse, drop, today):
    next_year = today.year + 1
    month = (today.replace(day=1) + timedelta(days=32))
    report = treasury_report(context, 2025, 12)
    treasury = put_treasury(drop, report, f"KBNN_42_{month.year}_{month.month:02d}.xlsx")
    sipas = f"sipas/SIPAS_42_{next_year}.csv"
    (drop / sipas).write_bytes(sipas_source.render_export(sipas_export(context, 2025))[0])
    par = put_par(drop, par_book(context, 2025), f"PAR_42_{next_year}.xlsx")
    summaries = load_file_drops(warehouse, drop, ["treasury", "sipas", "par"])
    assert all(s.files_rejected == 1 and s.rows_loaded == 0 for s in summaries.values())
    assert registry(warehouse, treasury)["message"] == (
        f"{treasury}: the file is for {month.month:02d}/{month.year}, after the current month "
        f"({today.month:02d}/{today.year}): a wrong period in its name?")
    for file_name in (sipas, par):
        assert f"the file is for {next_year}, after the current year ({today.year})" in \
            registry(warehouse, file_name)["message"]


def test_sipas_dates_outside_the_survey_year_or_in_the_future_are_quarantined(context, warehouse, drop, today):
    export = sipas_export(context, 2025)
    export.cp1258_unit = None
    export.rows[0][2] = "15/08/2024"
    this_year = [[f"{r[0]}x", str(today.year), *r[2:]] for r in export.rows[:3]]
    future = today + timedelta(days=2)  # still ahead if midnight (VN) passes during the test
    this_year[0][2] = future.strftime("%d/%m/%Y")
    this_year[1][2] = this_year[2][2] = today.strftime("%d/%m/%Y")
    (drop / "sipas" / export.name).write_bytes(csv_bytes(export.header, export.rows))
    (drop / "sipas" / f"SIPAS_42_{today.year}.csv").write_bytes(csv_bytes(export.header, this_year))
    load_file_drops(warehouse, drop, ["sipas"])
    assert_accounted(warehouse, f"sipas/{export.name}", len(export.rows))
    assert {r[:2] for r in held_rows(warehouse, f"sipas/{export.name}")} == {(2, "Ngày khảo sát"), (2, "Mã đơn vị")}
    assert "survey date 15/08/2024 is outside the survey year 2025" in [r[3] for r in held_rows(
        warehouse, f"sipas/{export.name}")]
    held = [r[3] for r in held_rows(warehouse, f"sipas/SIPAS_42_{today.year}.csv")]
    if future.year == today.year:
        assert held == [f"survey date {future:%d/%m/%Y} is in the future"]


def test_papi_years_in_the_future_and_out_of_range_scores_are_quarantined(warehouse, drop, today):
    next_year = today.year + 1
    seed = (load_settings().sources_dir / "papi" / "agg_province_year.csv").read_text(encoding="utf-8")
    lines = seed.splitlines()
    future = lines[1].split(",")
    future[4] = str(next_year)
    wrong = lines[2].split(",")
    wrong[5], wrong[-1] = "11.5", "Cao"
    (drop / "papi" / "agg_province_year.csv").write_text("\n".join([*lines, ",".join(future), ",".join(wrong)]) + "\n",
                                                         encoding="utf-8")
    load_file_drops(warehouse, drop, ["papi"])
    entry = assert_accounted(warehouse, "papi/agg_province_year.csv", len(lines) + 1)
    assert entry["rows_quarantined"] == 2
    reasons = [r[3] for r in held_rows(warehouse, "papi/agg_province_year.csv")]
    assert reasons == [f"year {next_year} is in the future", "dimension score 11.5 is outside 1-10",
                       "tier 'Cao' is not one of: Cao nhất, TB cao, TB thấp, Thấp nhất"]
    # The float goes in as the nearest double of its text, no other rounding.
    assert query(warehouse, "SELECT d1 FROM raw_files.papi_province_year WHERE _source_row = 2") == [(4.876205,)]


def test_a_malformed_limits_file_is_a_clear_error(tmp_path):
    good = yaml.safe_load((load_settings().sources_dir / LIMITS_FILE).read_text(encoding="utf-8"))
    path = tmp_path / LIMITS_FILE
    for change, message in (
            (lambda d: d["treasury"].update(amount_ceiling_mvnd="ten million"),
             r"loader_limits.yaml: treasury: field 'amount_ceiling_mvnd' must be int or float, got 'ten million'"),
            (lambda d: d["treasury"].update(rate_pct={"min": 100, "max": 0}),
             r"loader_limits.yaml: treasury.rate_pct: min 100 is above max 0"),
            (lambda d: d["sipas"].pop("genders"), r"loader_limits.yaml: sipas: missing field 'genders'"),
            (lambda d: d.pop("papi"), r"loader_limits.yaml: missing field 'papi'")):
        data = json.loads(json.dumps(good))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ReferenceDataError, match=message):
            Limits.load(path)
    assert Limits.load(load_settings().sources_dir / LIMITS_FILE).amount_ceiling == Decimal(10_000_000)


# ---------------------------------------------------------------- 7. exact decimals

def test_points_with_three_decimals_are_quarantined_and_sums_are_exact(context, warehouse, drop):
    book = par_book(context, 2025)
    rows = book.sheets["department"]
    rows[0].appraised_score, rows[1].appraised_score = 2.695, 1.005
    for row in rows[2:6]:
        row.appraised_score = 0.1  # 0.1 + 0.2 is not 0.3 in binary floating point
    rows[6].appraised_score = 0.2
    file_name = put_par(drop, book)
    load_file_drops(warehouse, drop, ["par"])
    assert_accounted(warehouse, file_name, sum(len(r) for r in book.sheets.values()))
    assert [(r[2], r[3]) for r in held_rows(warehouse, file_name)] == [
        ("2.695", "'2.695' has more than 2 decimals"), ("1.005", "'1.005' has more than 2 decimals")]
    loaded = query(warehouse, "SELECT appraised_score, sum(appraised_score) OVER () FROM raw_files.par_scores WHERE "
                              "_source_sheet = 'Sở, ban, ngành' ORDER BY _source_row")
    assert loaded[0][0] == Decimal("0.10") and loaded[4][0] == Decimal("0.20")
    assert loaded[0][1] == sum(Decimal(str(r.appraised_score)) for r in rows[2:]).quantize(Decimal("0.01"))


def test_amounts_round_half_up_to_the_column():
    for value, expected in (("1234.5675", "1234.568"), ("0.0005", "0.001"), ("2.0004999", "2.000"),
                            (repr(0.1 + 0.2), "0.300"), ("-1.0005", "-1.001")):
        assert to_scale(Decimal(value), 18, 3, True, value) == Decimal(expected)
    assert to_scale(Decimal("2.70"), 6, 2, False, "2.70") == Decimal("2.70")
    with pytest.raises(ValueError, match="has more than 2 decimals"):
        to_scale(Decimal("2.695"), 6, 2, False, "2.695")
    with pytest.raises(ValueError, match="too large for this column"):
        to_scale(Decimal("9999.995"), 6, 2, True, "9999.995")


def test_treasury_amounts_reach_the_warehouse_exactly(context, warehouse, drop):
    report = treasury_report(context, 2025, 12)
    report.rows[0].overrides.update(plan_total=123456.7895, plan_pm=0.1 + 0.2, disbursed_month=1.0005,
                                    disbursed_ytd="1.234,5675")
    file_name = put_treasury(drop, report)
    load_file_drops(warehouse, drop, ["treasury"])
    assert_accounted(warehouse, file_name, len(report.rows))
    assert query(warehouse, "SELECT plan_total, plan_pm_assigned, disbursed_month, disbursed_ytd FROM "
                            "raw_files.treasury_disbursement WHERE project_code = ?", report.rows[0].project.code) == [
        (Decimal("123456.790"), Decimal("0.300"), Decimal("1.001"), Decimal("1234.568"))]


# ---------------------------------------------------------------- 8. crash safety and memory

KILL_ON = """
import os, signal, sys
import cchc.extract.files.sipas as sipas
from cchc.extract.files import load_file_drops

def die(file, *args):
    os.kill(os.getpid(), signal.SIGKILL)  # the kernel's OOM killer, as far as the loader can tell

sipas.parse = die
load_file_drops(sys.argv[1], sys.argv[2])
"""


def test_a_file_that_killed_the_loader_is_rejected_then_retried(context, warehouse, tmp_path):
    drop = tmp_path / "full"
    shutil.copytree(context.drop_dir, drop)
    killed = subprocess.run([sys.executable, "-c", KILL_ON, str(warehouse), str(drop)], cwd=ROOT, timeout=600)
    assert killed.returncode == -9
    first = sorted(p.name for p in (drop / "sipas").iterdir())[0]
    file_name = f"sipas/{first}"
    assert registry(warehouse, file_name)["status"] == "loading"

    summaries = load_file_drops(warehouse, drop)
    entry = registry(warehouse, file_name)
    assert entry["status"] == "rejected" and summaries["sipas"].files_rejected == 1
    assert entry["message"].startswith(f"{file_name}: the loader stopped while loading this version on ")
    assert entry["message"].endswith(f"run `cchc files retry {file_name}`")
    assert summaries["sipas"].files_loaded == 1 and summaries["par"].files_loaded == 2  # the others load
    assert load_file_drops(warehouse, drop)["sipas"].files_skipped == 2  # not tried again by itself
    assert not list(warehouse.parent.glob(".warehouse.duckdb.scratch*"))

    result = run_cchc("files", "retry", str(drop / file_name), "--warehouse", str(warehouse),
                      env={"CCHC_DROP_DIR": str(drop)})
    assert f"{file_name}: loaded" in result.stdout
    assert registry(warehouse, file_name)["status"] == "loaded"
    statuses = [s for s, in query(warehouse, "SELECT status FROM raw_meta.file_history WHERE file_name = ? "
                                             "ORDER BY recorded_at", file_name)]
    assert statuses == ["loading", "rejected", "retried", "loading", "loaded"]


def test_a_file_over_the_size_limit_is_rejected_unread(context, warehouse, drop):
    export = sipas_export(context, 2025)
    (drop / "sipas" / export.name).write_bytes(sipas_source.render_export(export)[0])
    summary = load_file_drops(warehouse, drop, ["sipas"], limits=replace(default_limits(), max_file_bytes=1000))
    assert summary["sipas"].files_rejected == 1
    assert re.fullmatch(r"sipas/SIPAS_42_2025\.csv: [\d.]+ MB, larger than the limit of 0 MB \(loader_limits.yaml\); "
                        r"not read", registry(warehouse, f"sipas/{export.name}")["message"])


MEASURE = """
import json, resource, subprocess, sys
loader = ("from cchc.extract.files import load_file_drops; import json, sys; "
          "s = load_file_drops(sys.argv[1], sys.argv[2], ['sipas'])['sipas']; "
          "print(json.dumps([s.files_loaded, s.rows_loaded, s.rows_quarantined]))")
done = subprocess.run([sys.executable, "-c", loader, *sys.argv[1:]], capture_output=True, text=True, check=True)
print(json.dumps({"counts": json.loads(done.stdout), "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@pytest.mark.slow
def test_a_300000_row_export_loads_in_bounded_memory(context, warehouse, tmp_path):
    export = sipas_export(context, 2025)
    export.cp1258_unit = None
    drop = tmp_path / "big"
    (drop / "sipas").mkdir(parents=True)
    rows = 300_000
    with (drop / "sipas" / export.name).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(export.header)
        for i, row in enumerate(islice(cycle(export.rows), rows), start=1):
            writer.writerow([f"42-2025-{i:06d}", *row[1:]])
    # The wrapper's only child is the loader: RUSAGE_CHILDREN is the loader's peak.
    measured = subprocess.run([sys.executable, "-c", MEASURE, str(warehouse), str(drop)], cwd=ROOT, timeout=1800,
                              capture_output=True, text=True, check=True, env={**os.environ, "CCHC_LOG_LEVEL": "WARNING"})
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    assert result["counts"][0] == 1
    assert result["counts"][1] + result["counts"][2] == rows
    assert_accounted(warehouse, f"sipas/{export.name}", rows)
    assert result["peak_kb"] < 1024 * 1024, f"peak RSS {result['peak_kb'] / 1024:.0f} MiB"


# ---------------------------------------------------------------- 9. retract, history, status, commands

def test_retract_then_retry_through_the_commands(context, warehouse, tmp_path):
    drop = tmp_path / "full"
    shutil.copytree(context.drop_dir, drop)
    load_file_drops(warehouse, drop, ["treasury"])
    file_name = "treasury/KBNN_42_2025_03.xlsx"
    loaded = registry(warehouse, file_name)
    env = {"CCHC_DROP_DIR": str(drop)}
    result = run_cchc("retract", "KBNN_42_2025_03.xlsx", "--reason", "gửi nhầm tháng", "--warehouse", str(warehouse),
                      env=env)
    assert f"{file_name}: retracted" in result.stdout
    entry = registry(warehouse, file_name)
    assert (entry["status"], entry["rows_loaded"], entry["rows_quarantined"]) == ("retracted", 0, 0)
    assert entry["loaded_at"] > loaded["loaded_at"] and entry["loaded_sha256"] is None
    assert f"gửi nhầm tháng ({loaded['rows_loaded']:,} rows and 0 quarantine entries removed)" in entry["message"]
    assert query(warehouse, "SELECT count(*) FROM raw_files.treasury_disbursement WHERE _source_file = ?",
                 file_name)[0][0] == 0
    assert load_file_drops(warehouse, drop, ["treasury"])["treasury"].files_skipped == 14  # not loaded again

    status = run_cchc("files", "status", "--source", "treasury", "--warehouse", str(warehouse), env=env).stdout
    assert re.search(rf"treasury +{re.escape(file_name)} +retracted +0 +0", status), status
    again = run_cchc("retract", file_name, "--warehouse", str(warehouse), env=env, check=False)
    assert again.returncode == 2 and "already retracted" in again.stderr
    confirm = run_cchc("files", "confirm", file_name, "--warehouse", str(warehouse), env=env, check=False)
    assert confirm.returncode == 2 and "status 'retracted', not held: nothing to confirm" in confirm.stderr

    run_cchc("files", "retry", file_name, "--warehouse", str(warehouse), env=env)
    final = assert_accounted(warehouse, file_name, loaded["rows_loaded"] + loaded["rows_quarantined"])
    assert final["status"] == "loaded" and final["rows_loaded"] == loaded["rows_loaded"]
    history = query(warehouse, "SELECT status, recorded_at FROM raw_meta.file_history WHERE file_name = ? "
                               "ORDER BY recorded_at", file_name)
    assert [s for s, _ in history] == ["loading", "loaded", "retracted", "retried", "loading", "loaded"]
    times = [at for _, at in history]
    assert times[-1] == final["loaded_at"] and len(set(times[:3])) == 3 and times == sorted(times)
