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


SUMMARIES = {"extract_oss": "oss 1,234 dòng", "extract_treasury": "treasury 12 dòng",
             "dbt_build": "dbt passed: 120 models, 400 tests", "validate": "Kiểm tra chất lượng: 20/20 kiểm tra đạt",
             "publish": "công bố cchc__r1.duckdb"}


def test_a_clean_run_sends_nothing_and_logs_one_line():
    report = nightly.run_report("cchc_nightly", "r1", TODAY, STATES_OK, {}, {t: [] for t in STATES_OK}, [],
                                SUMMARIES)
    assert (report.failed, report.subject, report.body) == (False, None, None)
    assert report.summary == (
        "Lượt chạy r1 của cchc_nightly (dữ liệu ngày 16/08/2025) thành công: trích xuất oss 1,234 dòng, "
        "treasury 12 dòng; dbt passed: 120 models, 400 tests; Kiểm tra chất lượng: 20/20 kiểm tra đạt; "
        "công bố cchc__r1.duckdb")


def test_the_summary_of_a_run_with_warnings_counts_them_and_a_failed_run_has_none():
    warned = nightly.run_report("cchc_nightly", "r1", TODAY, STATES_OK, {},
                                {"extract_sipas": ["a", "b"], "validate": ["c"]}, [], SUMMARIES)
    assert warned.summary.startswith("Lượt chạy r1 của cchc_nightly (dữ liệu ngày 16/08/2025) thành công, 3 cảnh báo: ")
    failed = nightly.run_report("cchc_nightly", "r1", TODAY, {**STATES_OK, "publish": "failed"}, {}, {}, [], SUMMARIES)
    assert failed.failed and failed.summary is None


def test_the_validation_log_is_one_line_per_suite_with_the_failing_checks_by_title(settings):
    from cchc.quality.report import CheckFailure
    from cchc.quality.suites import load_suites

    suites = load_suites(settings.project_root / "expectations")
    first, second = suites[0], suites[1]
    failing = first.datasets[0].expectations[0]
    person = "Nguyễn Văn A 0912345678"  # whatever a message carries stays out of the log
    failures = [CheckFailure(first.name, failing.name, "critical", ["U1", "U2"], f"{failing.title_vi}: {person}")]
    lines = nightly.validation_lines(failures, suites)
    total = sum(len(d.expectations) for s in suites for d in s.datasets)
    count = sum(len(d.expectations) for d in first.datasets)
    assert len(lines) == len(suites) + 1
    assert lines[0] == f"Kiểm tra chất lượng: {total - 1}/{total} kiểm tra đạt"
    assert lines[1] == (f"Bộ kiểm tra {first.name} ({first.title_vi}): {count - 1}/{count} đạt; "
                        f"không đạt: {failing.title_vi} (nghiêm trọng, 2 đơn vị)")
    count = sum(len(d.expectations) for d in second.datasets)
    assert lines[2] == f"Bộ kiểm tra {second.name} ({second.title_vi}): {count}/{count} đạt"
    assert all("\n" not in line and person not in line for line in lines)


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


def test_a_failed_data_dictionary_is_a_warning_of_a_published_run():
    """The docs run after publication: their failure must not report the night as failed
    (nor claim the previous snapshot is still served)."""
    report = nightly.run_report("cchc_nightly", "r3", TODAY, {**STATES_OK, "dbt_docs": "failed"},
                                {"dbt_docs": "DbtBuildError: dbt docs generate failed (2)"}, {}, [], SUMMARIES)
    assert not report.failed and "THẤT BẠI" not in report.body
    assert report.subject == "[CCHC] Cảnh báo dữ liệu ngày 16/08/2025"
    assert ("Tạo từ điển dữ liệu (dbt docs): lỗi sau khi công bố, bản công bố mới vẫn được dùng: "
            "DbtBuildError: dbt docs generate failed (2)") in report.body
    not_run = nightly.run_report("cchc_nightly", "r3", TODAY,
                                 {**STATES_OK, "publish": "failed", "dbt_docs": "upstream_failed"}, {}, {}, [])
    assert not_run.failed and "Không chạy do bước trước lỗi: Tạo từ điển dữ liệu (dbt docs)" in not_run.body


def test_run_url_quotes_the_run_id():
    assert (nightly.run_url("http://localhost:8080/", "cchc_nightly", "manual__2025-08-16T01:00:00+07:00")
            == "http://localhost:8080/dags/cchc_nightly/runs/manual__2025-08-16T01%3A00%3A00%2B07%3A00")


def test_unknown_source_is_refused(settings):
    with pytest.raises(ValueError, match="unknown source 'ftp'"):
        nightly.extract_source(settings, "ftp", TODAY)
