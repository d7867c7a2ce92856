"""Step logic of the nightly pipeline, without Airflow: the run report that decides the
run's single alert, the run's day. (The extraction's reconciliation is the validation's
`reconciliation` suite: tests/test_quality*.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cchc.orchestration import nightly

TODAY = date(2025, 8, 16)


def test_run_day_is_the_local_day_of_the_logical_date():
    # 01:00 in Hà Nội is 18:00 UTC the day before.
    assert nightly.run_day(datetime(2025, 8, 15, 18, 0, tzinfo=UTC)) == date(2025, 8, 16)


STATES_OK = {t: "success" for t in nightly.STEP_NAMES_VI}


def test_a_clean_run_sends_nothing():
    report = nightly.run_report("cchc_nightly", "r1", TODAY, STATES_OK, {}, {t: [] for t in STATES_OK}, [])
    assert report == nightly.RunReport(False, None, None)


def test_a_failed_source_gives_one_failure_report_naming_the_step_and_what_did_not_run():
    states = {**STATES_OK, "extract_oss": "failed",
              "dbt_build": "upstream_failed", "validate": "upstream_failed", "publish": "upstream_failed"}
    report = nightly.run_report("cchc_nightly", "scheduled__2025-08-16", TODAY, states,
                                {"extract_oss": "HTTPError: 503 Server Error"},
                                {"extract_treasury": ["Nguồn treasury: 1 tệp bị từ chối"]}, [])
    assert report.failed
    assert report.subject == "[CCHC] Lỗi pipeline hằng đêm ngày 16/08/2025: Trích xuất nguồn oss"
    assert "scheduled__2025-08-16" in report.body and "THẤT BẠI" in report.body
    assert "Bước lỗi: Trích xuất nguồn oss (extract_oss)\n  HTTPError: 503 Server Error" in report.body
    assert "Không chạy do bước trước lỗi: Biến đổi dữ liệu (dbt build), Kiểm tra chất lượng dữ liệu" in report.body
    assert "Nguồn treasury: 1 tệp bị từ chối" in report.body  # warnings of the same run travel along


def test_warnings_of_a_published_run_give_one_warning_report_with_the_units():
    report = nightly.run_report("cchc_nightly", "r2", TODAY, STATES_OK, {},
                                {"extract_sipas": ["Nguồn sipas: 1 tệp bị từ chối"], "validate": ["SIPAS: thiếu phiếu"]},
                                ["Phường Thành Sen (2025:18073)"])
    assert not report.failed
    assert report.subject == "[CCHC] Cảnh báo dữ liệu ngày 16/08/2025"
    assert "đã công bố" in report.body and "Trích xuất nguồn sipas: Nguồn sipas: 1 tệp bị từ chối" in report.body
    assert "Kiểm tra chất lượng dữ liệu: SIPAS: thiếu phiếu" in report.body
    assert "Đơn vị liên quan: Phường Thành Sen (2025:18073)" in report.body


def test_run_url_quotes_the_run_id():
    assert (nightly.run_url("http://localhost:8080/", "cchc_nightly", "manual__2025-08-16T01:00:00+07:00")
            == "http://localhost:8080/dags/cchc_nightly/runs/manual__2025-08-16T01%3A00%3A00%2B07%3A00")


def test_unknown_source_is_refused(settings):
    with pytest.raises(ValueError, match="unknown source 'ftp'"):
        nightly.extract_source(settings, "ftp", TODAY)
