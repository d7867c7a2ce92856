"""Loading the file drops into the raw layer: real files from the simulator, a real DuckDB
warehouse with the reference data. Counts, idempotence, reloads, resume after a crash,
quarantine of every bad row, rejection of files that are not the template, encodings, and
reading by labels rather than positions."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

import cchc.extract.files.treasury as treasury_loader
from cchc.extract.files import default_limits, load_file_drops
from cchc.extract.files import par as par_loader
from cchc.extract.files import sipas as sipas_loader
from cchc.extract.files.cells import day_month_year, number
from cchc.extract.files.csvfile import csv_lines
from cchc.extract.files.parsing import Checks, TemplateError, UnitDirectory
from cchc.extract.files.registry import SourceFile
from cchc.extract.raw import local_now
from cchc.reference.load import load_reference
from cchc.settings import load_settings
from cchc.simulator.config import preset
from cchc.simulator.files import build_context, generate_file_drops
from cchc.simulator.files import par as par_source
from cchc.simulator.files import sipas as sipas_source
from cchc.simulator.files import treasury as treasury_source
from cchc.simulator.units import latent_quality, load_units

CONFIG = preset("faulty", start=date(2025, 1, 1), end=date(2025, 12, 31))
RAW_TABLES = {"treasury": "treasury_disbursement", "sipas": "sipas_responses", "par": "par_scores",
              "papi": "papi_province_year"}
ROW_FAULTS = ("malformed_row", "duplicate_row", "wrong_encoding")


def simulate_drops(config, drop_dir: Path):
    """The simulator's files for ``config`` in ``drop_dir``: (context, manifest)."""
    reference_dir = load_settings().reference_dir
    units = load_units(reference_dir, config.provinces, config.seed)
    quality = latent_quality(units, config.seed, range(2020, config.end.year + 1))
    manifest = generate_file_drops(config, units, quality, drop_dir)
    return build_context(config, units, quality, drop_dir, reference_dir), manifest


@pytest.fixture(scope="module")
def drops(tmp_path_factory):
    """A year of files with every fault on: (context, manifest)."""
    return simulate_drops(CONFIG, tmp_path_factory.mktemp("drop"))


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory) -> Path:
    # Not 'reference.duckdb': the file name becomes a catalog that clashes with schema 'reference'.
    path = tmp_path_factory.mktemp("reference") / "cchc.duckdb"
    load_reference(path, load_settings().reference_dir)
    return path


@pytest.fixture()
def warehouse(reference_db, tmp_path) -> Path:
    """A fresh warehouse holding only the reference data."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(reference_db, path)
    return path


@pytest.fixture(scope="module")
def loaded(drops, reference_db, tmp_path_factory):
    """Everything loaded once: (warehouse, summaries)."""
    path = tmp_path_factory.mktemp("loaded") / "warehouse.duckdb"
    shutil.copy(reference_db, path)
    return path, load_file_drops(path, drops[0].drop_dir)


def checks_on(reference_db: Path) -> Checks:
    with duckdb.connect(str(reference_db), read_only=True) as con:
        return Checks(UnitDirectory.from_warehouse(con), default_limits(), local_now().date())


def parse_bytes(module, data: bytes, name: str, checks: Checks):
    """A source module's parse of in-memory bytes, its rows as a list."""
    parsed = module.parse(SourceFile.of_bytes(data, name), module.PATTERN.fullmatch(Path(name).name), checks)
    parsed.rows = list(parsed.rows)
    return parsed


def query(path: Path, statement: str, *params):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(statement, list(params)).fetchall()


def snapshot(path: Path) -> dict:
    """Per file: registry row (without times and load ids) and row counts."""
    registry = {(r[0], r[1]): r[2:] for r in query(
        path, "SELECT source, file_name, sha256, status, rows_loaded, rows_quarantined, message "
              "FROM raw_meta.file_registry")}
    counts = {table: dict(query(path, f"SELECT _source_file, count(*) FROM raw_files.{table} GROUP BY 1"))
              for table in RAW_TABLES.values()}
    quarantined = dict(query(path, "SELECT file_name, count(*) FROM raw_meta.quarantine GROUP BY 1"))
    return {"registry": registry, "counts": counts, "quarantine": quarantined}


def copy_drops(drops, tmp_path: Path) -> Path:
    target = tmp_path / "drop"
    shutil.copytree(drops[0].drop_dir, target)
    return target


# ---------------------------------------------------------------- loading everything

def test_counts_equal_generated_rows(drops, loaded):
    context, manifest = drops
    path, summaries = loaded
    faulty_rows = {s: sum(1 for e in manifest if e["source"] == s and e["fault"] in ROW_FAULTS) for s in RAW_TABLES}
    generated = {
        "treasury": sum(len(r.rows) for r in treasury_source.plan_reports(context, "42")),
        "sipas": sum(len(e.rows) for e in sipas_source.plan_exports(context, "42")),
        "par": sum(len(rows) for b in par_source.plan_workbooks(context, "42") for rows in b.sheets.values()),
        "papi": 882,
    }
    files = {"treasury": 12, "sipas": 1, "par": 1, "papi": 1}
    for source, table in RAW_TABLES.items():
        summary = summaries[source]
        assert (summary.files_loaded, summary.files_skipped, summary.files_rejected) == (files[source], 0, 0)
        assert summary.rows_loaded == generated[source] - faulty_rows[source], source
        assert summary.rows_quarantined == faulty_rows[source], source
        assert query(path, f"SELECT count(*) FROM raw_files.{table}")[0][0] == summary.rows_loaded
    # The registry agrees with the tables, file by file.
    state = snapshot(path)
    for (source, file_name), (_, status, rows, held, _) in state["registry"].items():
        assert status == "loaded"
        assert state["counts"][RAW_TABLES[source]].get(file_name, 0) == rows
        assert query(path, "SELECT count(DISTINCT (sheet, row_number)) FROM raw_meta.quarantine "
                           "WHERE file_name = ?", file_name)[0][0] == held


def test_second_run_loads_nothing(drops, loaded):
    path, _ = loaded
    before = snapshot(path)
    again = load_file_drops(path, drops[0].drop_dir)
    assert all(s.files_loaded == 0 and s.files_rejected == 0 and s.rows_loaded == 0 for s in again.values())
    assert sum(s.files_skipped for s in again.values()) == 15
    assert snapshot(path) == before


def test_every_bad_row_is_quarantined_with_its_reason(drops, loaded):
    _, manifest = drops
    path, _ = loaded
    held = {}
    for file_name, sheet, row, field, reason in query(
            path, "SELECT file_name, sheet, row_number, field, reason FROM raw_meta.quarantine"):
        held.setdefault((file_name, row), []).append((sheet, field, reason))
    expected = [e for e in manifest if e["fault"] in ROW_FAULTS]
    assert {(e["file"], e["row"]) for e in expected} == set(held)  # nothing missing, nothing extra
    for entry in expected:
        problems = held[(entry["file"], entry["row"])]
        assert all(sheet == entry["sheet"] for sheet, _, _ in problems)
        reasons = " | ".join(reason for _, _, reason in problems)
        if entry["fault"] == "duplicate_row":
            assert re.fullmatch(rf"duplicate of row \d+ in {entry['file']}( \(sheet '.+'\))?", reasons), reasons
        elif entry["fault"] == "wrong_encoding":
            assert "not valid UTF-8" in reasons and "byte offset" in reasons
        else:
            assert [field for _, field, _ in problems] == [entry["field"]], (entry, problems)
            assert re.search(r"not a number|not on the 1-5 scale|not a (calendar date|date in dd/mm/yyyy)|"
                             r"not in the reference tables|not valid on \d{2}/\d{2}/\d{4}", reasons), reasons
    record = query(path, "SELECT raw_record FROM raw_meta.quarantine WHERE source = 'sipas' AND field = 'Mã đơn vị' "
                         "LIMIT 1")[0][0]
    assert '"Mã phiếu"' in record and '"Mã đơn vị": "legacy:99999"' in record


def test_raw_layer_conventions(loaded):
    path, _ = loaded
    meta = ["_load_id", "_source", "_source_file", "_source_sheet", "_source_row", "_loaded_at"]
    for source, table in RAW_TABLES.items():
        columns = [r[0] for r in query(path, "SELECT column_name FROM information_schema.columns WHERE "
                                             "table_schema = 'raw_files' AND table_name = ? ORDER BY ordinal_position",
                                       table)]
        assert columns[-6:] == meta and all(re.fullmatch(r"[a-z0-9_]+", c) for c in columns)
        load_ids, loaded_at = query(path, f"SELECT list(DISTINCT _load_id), max(_loaded_at) FROM raw_files.{table}")[0]
        assert len(load_ids) == 1 and re.fullmatch(rf"{source}-\d{{8}}T\d{{6}}-[0-9a-f]{{8}}", load_ids[0])
        assert abs(loaded_at - local_now()) < timedelta(minutes=10)  # local time, not UTC
    assert query(path, "SELECT count(*) FROM raw_files.treasury_disbursement WHERE _source_sheet IS NULL")[0][0] == 0
    assert query(path, "SELECT count(*) FROM raw_files.sipas_responses WHERE _source_sheet IS NOT NULL")[0][0] == 0
    answers = query(path, "SELECT answers[1] FROM raw_files.sipas_responses LIMIT 1")[0][0]
    assert answers["question_code"] == "TC1.1" and answers["answer"] in range(1, 6)


# ---------------------------------------------------------------- changes and interruptions

def test_changed_file_reloads_and_replaces_its_rows(drops, warehouse, reference_db, tmp_path):
    drop_dir = copy_drops(drops, tmp_path)
    load_file_drops(warehouse, drop_dir)
    before = snapshot(warehouse)
    path = drop_dir / "sipas" / "SIPAS_42_2025.csv"
    lines = path.read_bytes().split(b"\r\n")
    corrected = [i for i, line in enumerate(lines) if b",Nam," in line][:20]
    for i in corrected:  # the survey team corrects 20 respondents' gender
        lines[i] = lines[i].replace(b",Nam,", ",Nữ,".encode())
    path.write_bytes(b"\r\n".join(lines))

    summaries = load_file_drops(warehouse, drop_dir)
    assert summaries["sipas"].files_loaded == 1
    assert sum(s.files_loaded for s in summaries.values()) == 1
    assert any("changed since" in m for m in summaries["sipas"].messages)
    after = snapshot(warehouse)
    file_name = "sipas/SIPAS_42_2025.csv"
    assert after["registry"][("sipas", file_name)][0] != before["registry"][("sipas", file_name)][0]
    assert after["counts"]["treasury_disbursement"] == before["counts"]["treasury_disbursement"]
    # The reloaded file holds exactly what a first load of the new version holds.
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(reference_db, fresh)
    load_file_drops(fresh, drop_dir, sources=["sipas"])
    expected = snapshot(fresh)
    assert after["counts"]["sipas_responses"] == expected["counts"]["sipas_responses"]
    assert after["quarantine"][file_name] == expected["quarantine"][file_name]
    assert query(warehouse, "SELECT count(*) FROM raw_files.sipas_responses WHERE gender = 'Nữ'") == \
        query(fresh, "SELECT count(*) FROM raw_files.sipas_responses WHERE gender = 'Nữ'")


def test_a_row_resent_in_another_file_is_a_duplicate(drops, warehouse, tmp_path):
    drop_dir = copy_drops(drops, tmp_path)
    load_file_drops(warehouse, drop_dir, sources=["sipas"])
    response, row_number = query(warehouse, "SELECT response_id, _source_row FROM raw_files.sipas_responses "
                                            "ORDER BY _source_row LIMIT 1")[0]
    lines = (drop_dir / "sipas" / "SIPAS_42_2025.csv").read_bytes().split(b"\r\n")
    header, row = (next(csv.reader([lines[i].decode("utf-8-sig")])) for i in (0, row_number - 1))
    assert row[0] == response
    row[1], row[2] = "2026", row[2].replace("2025", "2026")  # sent again with next year's export
    resent = io.StringIO()
    csv.writer(resent, lineterminator="\r\n").writerows([header, row])
    (drop_dir / "sipas" / "SIPAS_42_2026.csv").write_bytes(resent.getvalue().encode("utf-8-sig"))

    summary = load_file_drops(warehouse, drop_dir, sources=["sipas"])["sipas"]
    assert (summary.files_loaded, summary.rows_loaded, summary.rows_quarantined) == (1, 0, 1)
    assert query(warehouse, "SELECT field, value, reason FROM raw_meta.quarantine WHERE file_name = ?",
                 "sipas/SIPAS_42_2026.csv") == [
        ("Mã phiếu", response, f"duplicate of row {row_number} in sipas/SIPAS_42_2025.csv")]


def test_an_exception_rejects_that_file_and_the_others_load(drops, loaded, warehouse, monkeypatch):
    original = treasury_loader.parse
    calls = []

    def fail_on_second_file(file, *args):
        calls.append(file.name)
        if len(calls) == 2:
            raise KeyError("0912345678")  # a value in the exception must not reach any message
        return original(file, *args)

    monkeypatch.setattr(treasury_loader, "parse", fail_on_second_file)
    summary = load_file_drops(warehouse, drops[0].drop_dir)["treasury"]
    assert (summary.files_loaded, summary.files_rejected) == (11, 1)
    [(status, message)] = query(warehouse, "SELECT status, message FROM raw_meta.file_registry WHERE file_name = ?",
                                calls[1])
    assert status == "rejected" and "(KeyError)" in message and "0912345678" not in message
    assert f"cchc files retry {calls[1]}" in message

    monkeypatch.undo()
    assert load_file_drops(warehouse, drops[0].drop_dir)["treasury"].files_skipped == 12  # not tried again
    from cchc.extract.files.actions import retry

    entry, _ = retry(warehouse, drops[0].drop_dir, calls[1])
    assert entry.status == "loaded"
    assert snapshot(warehouse) == snapshot(loaded[0])


# ---------------------------------------------------------------- files that are not the template

def _treasury_with_label(source: Path, target: Path, old: str, new: str, title: tuple[str, str] | None = None):
    workbook = load_workbook(source)
    for row in workbook.active.iter_rows(max_row=12):
        for cell in row:
            if cell.value == old:
                cell.value = new
            elif title and cell.value == title[0]:
                cell.value = title[1]
    workbook.save(target)


def test_wrong_template_is_rejected_whole_and_the_rest_loads(drops, warehouse, tmp_path):
    drop_dir = copy_drops(drops, tmp_path)
    january = drop_dir / "treasury" / "KBNN_42_2025_01.xlsx"
    december = drop_dir / "treasury" / "KBNN_42_2024_12.xlsx"
    _treasury_with_label(january, december, "Mã chủ đầu tư", "Mã CĐT", ("Tháng 01 năm 2025", "Tháng 12 năm 2024"))
    shutil.copy(january, drop_dir / "treasury" / "KBNN_42_2025.xlsx")
    other = Workbook()
    other.active.title = "Sheet1"
    other.active.append(["STT", "Mã đơn vị", "Điểm"])
    other.save(drop_dir / "par" / "PAR_42_2026.xlsx")

    summaries = load_file_drops(warehouse, drop_dir)
    treasury, par = summaries["treasury"], summaries["par"]
    assert (treasury.files_loaded, treasury.files_rejected) == (12, 2)
    assert (par.files_loaded, par.files_rejected) == (1, 1)
    assert summaries["sipas"].files_loaded == 1 and summaries["papi"].files_loaded == 1
    messages = " | ".join(treasury.messages + par.messages)
    assert re.search(r"treasury/KBNN_42_2024_12\.xlsx, sheet '.+': not the expected template, header labels "
                     r"missing: 'Mã chủ đầu tư'", messages), messages
    assert "treasury/KBNN_42_2025.xlsx: file name does not match KBNN_<province>_<yyyy>_<mm>.xlsx" in messages
    assert "par/PAR_42_2026.xlsx: peer-group sheet(s) missing: 'Sở, ban, ngành', 'UBND cấp xã' (expected for " \
           "2026: 'Sở, ban, ngành', 'UBND cấp xã'; found: 'Sheet1')" in messages
    registry = dict(query(warehouse, "SELECT file_name, status FROM raw_meta.file_registry"))
    assert sorted(f for f, s in registry.items() if s == "rejected") == [
        "par/PAR_42_2026.xlsx", "treasury/KBNN_42_2024_12.xlsx", "treasury/KBNN_42_2025.xlsx"]
    assert query(warehouse, "SELECT count(*) FROM raw_files.treasury_disbursement WHERE report_year = 2024")[0][0] == 0

    # Unchanged, a rejected file is not tried again; corrected, it loads.
    assert load_file_drops(warehouse, drop_dir)["treasury"].files_skipped == 14
    _treasury_with_label(january, december, "Mã chủ đầu tư", "Mã chủ đầu tư", ("Tháng 01 năm 2025", "Tháng 12 năm 2024"))
    fixed = load_file_drops(warehouse, drop_dir)["treasury"]
    assert fixed.files_loaded == 1 and fixed.rows_loaded > 100
    assert query(warehouse, "SELECT status FROM raw_meta.file_registry WHERE file_name = ?",
                 "treasury/KBNN_42_2024_12.xlsx") == [("loaded",)]


def test_title_period_must_match_the_file_name(drops, reference_db):
    data = (drops[0].drop_dir / "treasury" / "KBNN_42_2025_03.xlsx").read_bytes()
    with pytest.raises(TemplateError, match="the title says tháng 03 năm 2025, the file name 04/2025"):
        parse_bytes(treasury_loader, data, "treasury/KBNN_42_2025_04.xlsx", checks_on(reference_db))


def test_sipas_file_in_another_encoding_is_rejected_with_the_byte_offset(drops, warehouse, tmp_path):
    drop_dir = copy_drops(drops, tmp_path)
    export = sipas_source.plan_exports(drops[0], "42")[0]
    export.cp1258_unit = None
    text = sipas_source.render_export(export)[0][3:].decode("utf-8")
    (drop_dir / "sipas" / "SIPAS_42_2024.csv").write_bytes(sipas_source.encode_cp1258(text))
    summary = load_file_drops(warehouse, drop_dir, sources=["sipas"])["sipas"]
    assert (summary.files_loaded, summary.files_rejected) == (1, 1)
    assert re.search(r"sipas/SIPAS_42_2024\.csv: not valid UTF-8: byte 0x[0-9A-F]{2} at offset \d+ "
                     r"\(line 1, the header\)", summary.messages[0]), summary.messages


def test_lines_in_another_encoding_are_quarantined_by_row():
    head = "\ufeffMã phiếu,Tên\r\n1,Hà Tĩnh\r\n".encode()
    data = head + sipas_source.encode_cp1258("2,Kỳ Anh\r\n") + "3,Thạch Hà\r\n".encode()
    lines = list(csv_lines(SourceFile.of_bytes(data, "x.csv").lines(), "x.csv"))
    assert [line.number for line in lines if line.cells is not None] == [1, 2, 4]
    # 'ỳ' is 'y' and a combining grave accent (0xCC) in cp1258: the fifth byte of the line.
    assert [(line.number, line.bad_offset) for line in lines if line.cells is None] == [(3, len(head) + 4)]


# ---------------------------------------------------------------- labels, numbers, dates, units

def test_columns_are_read_by_label_not_position(drops, reference_db):
    context, _ = drops
    checks = checks_on(reference_db)
    extra = ("(Kèm theo Công văn số 123/KBNN-KSC)", "Số liệu đến hết ngày cuối tháng")

    report = treasury_source.plan_reports(context, "42")[6]
    moved_order = ("project_name", "investor_name", "investor_code", "project_code", "stt", "rate",
                   "disbursed_month", "disbursed_ytd", "plan_pm", "plan_total")
    default = parse_bytes(treasury_loader, treasury_source.render_report(report, "Hà Tĩnh")[0], report.name, checks)
    moved = parse_bytes(treasury_loader, treasury_source.render_report(
        report, "Hà Tĩnh", treasury_source.Layout(moved_order, extra))[0], report.name, checks)
    assert len(default.rows) >= 100
    assert [r.values for r in moved.rows] == [r.values for r in default.rows]
    assert moved.rows[0].row_number == default.rows[0].row_number + len(extra)

    book = par_source.plan_workbooks(context, "42")[0]
    default = parse_bytes(par_loader, par_source.render_workbook(book, "Hà Tĩnh"), book.name, checks)
    moved = parse_bytes(par_loader, par_source.render_workbook(book, "Hà Tĩnh", par_source.Layout(
        tuple(reversed(par_source.COLUMNS)), extra)), book.name, checks)
    assert [r.values for r in moved.rows] == [r.values for r in default.rows]

    export = sipas_source.plan_exports(context, "42")[0]
    export.cp1258_unit = None
    data = sipas_source.render_export(export)[0]
    shuffled = io.StringIO()
    shuffled.write("\r\n".join([*extra, "", ""]))
    csv.writer(shuffled).writerows(list(reversed(r)) for r in csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    default = parse_bytes(sipas_loader, data, export.name, checks)
    moved = parse_bytes(sipas_loader, shuffled.getvalue().encode("utf-8"), export.name, checks)

    def by_code(parsed):  # answers in the order of the columns: compare them by question code
        codes = parsed.expand["answers"][1][0]
        return [{**r.values, "answers": sorted(zip(codes, r.values["answers"]))} for r in parsed.rows]
    assert by_code(moved) == by_code(default)


def test_vietnamese_numbers():
    assert number("1.234.567") == 1234567
    assert number("1.234,567") == Decimal("1234.567")
    assert number("1234,5") == Decimal("1234.5")
    assert number("-2.500") == -2500
    assert number("1.234") == 1234  # a lone dot before three digits groups thousands
    assert number("12.5") == Decimal("12.5")   # any other single dot is a decimal point
    assert number(1234.567) == Decimal("1234.567") and number(None) is None and number("  ") is None
    for bad in ("1.2.3,4", "abc", "12,34,5", "1,234.5"):
        with pytest.raises(ValueError, match="is not a number"):
            number(bad)


def test_dates_day_month_year():
    assert day_month_year("05/03/2024") == date(2024, 3, 5)
    assert day_month_year("5/3/2024") == date(2024, 3, 5)
    assert day_month_year(datetime(2024, 3, 5, 8, 30)) == date(2024, 3, 5)
    with pytest.raises(ValueError, match="not a calendar date"):
        day_month_year("31/02/2024")
    with pytest.raises(ValueError, match="not a date in dd/mm/yyyy form"):
        day_month_year("2024-13-01")


def test_unit_codes_are_checked_for_the_date(reference_db):
    units = UnitDirectory.from_warehouse(duckdb.connect(str(reference_db), read_only=True))
    assert units.problem("legacy:449", date(2025, 6, 30), "42") is None
    assert units.problem("legacy:449", date(2025, 7, 31), "42") == \
        "unit code 'legacy:449' is not valid on 31/07/2025 (valid ... - 30/06/2025)"
    assert units.problem("dept_2025:SNV", date(2025, 2, 1)).startswith("unit code 'dept_2025:SNV' is not valid")
    assert units.problem("legacy:99999", date(2024, 1, 1)) == "unit code 'legacy:99999' is not in the reference tables"
    assert "belongs to province" in units.problem("2025:00004", date(2025, 8, 1), "42")


def test_loading_needs_the_reference_data(drops, tmp_path):
    with pytest.raises(RuntimeError, match="cchc reference load"):
        load_file_drops(tmp_path / "empty.duckdb", drops[0].drop_dir)
    with pytest.raises(ValueError, match="unknown file sources"):
        load_file_drops(tmp_path / "empty.duckdb", drops[0].drop_dir, sources=["oss"])
