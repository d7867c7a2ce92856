"""Step logic of the nightly pipeline, without Airflow: reconciliation on a real DuckDB raw
layer, the run report that decides the run's single alert, the run's day."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pytest

from cchc.orchestration import nightly
from cchc.orchestration.reconcile import reconcile_counts

TODAY = date(2025, 8, 16)


@pytest.fixture()
def raw_layer(tmp_path):
    """A raw layer as the extraction writes it: every version of a dossier, the source's
    own daily counts, and the unit names."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw_oss; CREATE SCHEMA reference")
        con.execute("CREATE TABLE raw_oss.dossiers (dossier_id VARCHAR, unit_key VARCHAR, received_at VARCHAR, "
                    "updated_at VARCHAR, status VARCHAR)")
        con.execute("CREATE TABLE raw_oss.daily_counts (unit_key VARCHAR, day VARCHAR, received BIGINT)")
        con.execute("CREATE TABLE reference.admin_units (unit_key VARCHAR, name VARCHAR)")
        con.execute("CREATE TABLE reference.departments (department_key VARCHAR, name VARCHAR)")
        con.execute("INSERT INTO reference.admin_units VALUES ('2025:18073', 'Phường Thành Sen')")
        con.execute("INSERT INTO reference.departments VALUES ('dept_2025:SNV', 'Sở Nội vụ')")
        con.execute("""INSERT INTO raw_oss.dossiers VALUES
            -- two versions of one dossier count once
            ('A1', '2025:18073', '2025-08-14T08:00:00+07:00', '2025-08-14T08:00:00+07:00', 'in_progress'),
            ('A1', '2025:18073', '2025-08-14T08:00:00+07:00', '2025-08-15T09:00:00+07:00', 'finished'),
            ('A2', '2025:18073', '2025-08-14T23:59:00+07:00', '2025-08-14T23:59:00+07:00', 'in_progress'),
            ('B1', 'dept_2025:SNV', '2025-08-15T10:00:00+07:00', '2025-08-15T10:00:00+07:00', 'in_progress'),
            -- outside the window (today is still filling; before the window)
            ('C1', '2025:18073', '2025-08-16T00:30:00+07:00', '2025-08-16T00:30:00+07:00', 'in_progress'),
            ('C2', '2025:18073', '2025-06-01T08:00:00+07:00', '2025-06-01T08:00:00+07:00', 'finished')""")
    return path


def set_counts(path, rows):
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM raw_oss.daily_counts")
        con.executemany("INSERT INTO raw_oss.daily_counts VALUES (?, ?, ?)", rows)


def test_counts_that_match_reconcile(raw_layer):
    set_counts(raw_layer, [("2025:18073", "2025-08-14", 2), ("dept_2025:SNV", "2025-08-15", 1),
                           ("2025:18073", "2025-08-16", 7), ("2025:18073", "2025-06-01", 9)])
    report = reconcile_counts(raw_layer, TODAY, days=35)
    assert (report.first_day, report.last_day) == (date(2025, 7, 12), date(2025, 8, 15))
    assert report.ok and report.compared == 2
    assert "khớp 2 đơn vị-ngày" in report.text_vi() and "12/07/2025-15/08/2025" in report.text_vi()


def test_missing_and_unexpected_dossiers_are_named_by_unit_and_day(raw_layer):
    # The source counts 3 on the 14th (one never extracted) and nothing for the department.
    set_counts(raw_layer, [("2025:18073", "2025-08-14", 3), ("2025:18073", "2025-08-13", 1)])
    report = reconcile_counts(raw_layer, TODAY, days=35)
    assert not report.ok
    assert [(m.unit_key, m.day, m.reported, m.extracted) for m in report.mismatches] == [
        ("2025:18073", date(2025, 8, 13), 1, 0), ("2025:18073", date(2025, 8, 14), 3, 2),
        ("dept_2025:SNV", date(2025, 8, 15), 0, 1)]
    text = report.text_vi()
    assert "Phường Thành Sen (2025:18073), ngày 14/08/2025: hệ thống báo 3, đã trích xuất 2" in text
    assert "Sở Nội vụ (dept_2025:SNV), ngày 15/08/2025" in text
    assert "thiếu 2, thừa 1" in text


def test_reconciliation_refuses_a_warehouse_without_the_extraction(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(RuntimeError, match="raw_oss.daily_counts, raw_oss.dossiers missing"):
        reconcile_counts(path, TODAY, days=35)


def test_run_day_is_the_local_day_of_the_logical_date():
    # 01:00 in Hà Nội is 18:00 UTC the day before.
    assert nightly.run_day(datetime(2025, 8, 15, 18, 0, tzinfo=timezone.utc)) == date(2025, 8, 16)


STATES_OK = {t: "success" for t in nightly.STEP_NAMES_VI}


def test_a_clean_run_sends_nothing():
    report = nightly.run_report("cchc_nightly", "r1", TODAY, STATES_OK, {}, {t: [] for t in STATES_OK}, [])
    assert report == nightly.RunReport(False, None, None)


def test_a_failed_source_gives_one_failure_report_naming_the_step_and_what_did_not_run():
    states = {**STATES_OK, "extract_oss": "failed", "reconcile": "upstream_failed",
              "dbt_build": "upstream_failed", "validate": "upstream_failed", "publish": "upstream_failed"}
    report = nightly.run_report("cchc_nightly", "scheduled__2025-08-16", TODAY, states,
                                {"extract_oss": "HTTPError: 503 Server Error"},
                                {"extract_treasury": ["Nguồn treasury: 1 tệp bị từ chối"]}, [])
    assert report.failed
    assert report.subject == "[CCHC] Lỗi pipeline hằng đêm ngày 16/08/2025: Trích xuất nguồn oss"
    assert "scheduled__2025-08-16" in report.body and "THẤT BẠI" in report.body
    assert "Bước lỗi: Trích xuất nguồn oss (extract_oss)\n  HTTPError: 503 Server Error" in report.body
    assert "Không chạy do bước trước lỗi: Đối soát số hồ sơ, Biến đổi dữ liệu (dbt build)" in report.body
    assert "Nguồn treasury: 1 tệp bị từ chối" in report.body  # warnings of the same run travel along


def test_warnings_of_a_published_run_give_one_warning_report_with_the_units():
    report = nightly.run_report("cchc_nightly", "r2", TODAY, STATES_OK, {},
                                {"reconcile": ["Đối soát: lệch"], "validate": ["SIPAS: thiếu phiếu"]},
                                ["Phường Thành Sen (2025:18073)"])
    assert not report.failed
    assert report.subject == "[CCHC] Cảnh báo dữ liệu ngày 16/08/2025"
    assert "đã công bố" in report.body and "Đối soát số hồ sơ: Đối soát: lệch" in report.body
    assert "Kiểm tra chất lượng dữ liệu: SIPAS: thiếu phiếu" in report.body
    assert "Đơn vị liên quan: Phường Thành Sen (2025:18073)" in report.body


def test_run_url_quotes_the_run_id():
    assert (nightly.run_url("http://localhost:8080/", "cchc_nightly", "manual__2025-08-16T01:00:00+07:00")
            == "http://localhost:8080/dags/cchc_nightly/runs/manual__2025-08-16T01%3A00%3A00%2B07%3A00")


def test_unknown_source_is_refused(settings):
    with pytest.raises(ValueError, match="unknown source 'ftp'"):
        nightly.extract_source(settings, "ftp", TODAY)
