"""Data-quality suites (expectations/, cchc.quality): their definitions, the report's
publishing rule, and a real run on the clean demo warehouse (every suite passes) and on
stale data (a critical failure stops publishing, `cchc validate` exits 4)."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
from conftest import run_cchc

from cchc.quality import CheckFailure, ValidationReport, run_validations
from cchc.quality.suites import SEVERITIES, SuiteDefinitionError, load_config, load_suites

SUITES = {"dossier_feed_completeness", "reconciliation", "yearly_completeness", "validity", "freshness_volume"}


def test_every_suite_is_defined_with_severities_and_parameters(settings):
    suites = load_suites(settings.project_root / "expectations")
    assert {s.name for s in suites} == SUITES
    config = load_config(settings.project_root / "expectations")
    models = settings.dbt_project_dir / "models" / "quality"
    datasets = {dataset.model for suite in suites for dataset in suite.datasets}
    # Every dataset is a dbt model of models/quality, and every model there is a dataset.
    assert datasets == {p.stem for p in models.glob("qa_*.sql")}
    assert not (settings.project_root / "expectations" / "datasets").exists()
    for suite in suites:
        for dataset in suite.datasets:
            assert dataset.relation == f"quality.{dataset.model}"
            for spec in dataset.expectations:
                assert spec.severity in SEVERITIES and spec.title_vi
                for value in spec.kwargs.values():
                    if isinstance(value, dict):
                        assert value["$PARAMETER"] in config, (spec.name, value)


def test_a_suite_without_severity_is_refused(settings, tmp_path):
    shutil.copytree(settings.project_root / "expectations", tmp_path / "e")
    path = tmp_path / "e" / "suites" / "reconciliation.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("severity: warning", "severity: fatal", 1),
                    encoding="utf-8")
    with pytest.raises(SuiteDefinitionError, match=r"reconciliation.yml: expectation 'received_counts_match'.*fatal"):
        load_suites(tmp_path / "e")


def test_only_critical_failures_stop_publishing():
    warning = CheckFailure("validity", "no_bad_dates", "warning", ["2025:18682"], "Dòng dữ liệu có ngày sai: Xã Yên Hòa")
    critical = CheckFailure("validity", "dossier_received_before_finished", "critical", ["2025:18073"],
                            "Hồ sơ có ngày giải quyết trước ngày tiếp nhận: Phường Thành Sen")
    assert ValidationReport("r", [warning]).ok_to_publish
    blocked = ValidationReport("r", [warning, critical])
    assert not blocked.ok_to_publish and blocked.critical_failures == [critical] and blocked.warnings == [warning]
    text = blocked.alert_text_vi()
    assert "KHÔNG công bố" in text and "Phường Thành Sen" in text and "Xã Yên Hòa" in text


@pytest.fixture(scope="module")
def clean_warehouse(built_warehouse, tmp_path_factory):
    copy = tmp_path_factory.mktemp("quality-clean") / "cchc.duckdb"
    shutil.copy(built_warehouse, copy)
    return copy


@pytest.mark.slow
def test_every_suite_passes_on_clean_demo_data(settings, clean_warehouse, tmp_path, caplog):
    local = settings.relocated(tmp_path)
    # As of the day the demo's night validated it: the data stop the day before, and a suite
    # still running after midnight (Vietnam) would find them a day older than the night did.
    with duckdb.connect(str(clean_warehouse), read_only=True) as con:
        (as_of,) = con.execute("SELECT max(as_of) FROM quality.validation_results").fetchone()
    with caplog.at_level(logging.INFO):
        report = run_validations(local, clean_warehouse, run_id="clean", as_of=as_of)
    # the log stays readable: our summary, not GX's set-up chatter
    assert [r.getMessage() for r in caplog.records if r.name.startswith("great_expectations")
            and r.levelno < logging.WARNING] == []
    assert any(r.name == "cchc.quality.run" for r in caplog.records)
    assert report.failures == [], report.alert_text_vi()
    assert report.ok_to_publish
    assert (tmp_path / "quality" / "data_docs" / "index.html").exists()
    with duckdb.connect(str(clean_warehouse), read_only=True) as con:
        suites = {r[0] for r in con.execute("SELECT DISTINCT suite FROM quality.validation_results "
                                            "WHERE run_id = 'clean' AND success").fetchall()}
        assert suites == SUITES
        assert con.execute("SELECT count(*) FROM quality.validation_results WHERE run_id = 'clean' "
                           "AND NOT success").fetchone()[0] == 0
        checked = con.execute("SELECT sum(checked_rows) FROM quality.validation_results WHERE run_id = 'clean' "
                              "AND expectation = 'received_counts_match' AND unit_key IS NULL").fetchone()[0]
        assert checked > 1000  # the reconciliation really compared unit-days


@pytest.mark.slow
def test_stale_data_is_critical_and_stops_publishing(clean_warehouse, tmp_path):
    with duckdb.connect(str(clean_warehouse), read_only=True) as con:
        latest = con.execute("SELECT max(count_date) FROM staging.stg_oss__daily_counts").fetchone()[0]
        before = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'quality' "
                             "AND table_name = 'validation_results'").fetchone()[0] and \
            con.execute("SELECT count(*) FROM quality.validation_results").fetchone()[0]
    as_of = latest + timedelta(days=4)
    result = run_cchc("validate", "--warehouse", str(clean_warehouse), "--run-id", "stale", "--as-of",
                      as_of.isoformat(), env={"CCHC_DATA_DIR": str(tmp_path)}, check=False)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "KHÔNG công bố dữ liệu" in result.stdout and "oss_daily_counts" in result.stdout
    with duckdb.connect(str(clean_warehouse), read_only=True) as con:
        rows = con.execute("SELECT expectation, severity, unit_key FROM quality.validation_results "
                           "WHERE run_id = 'stale' AND NOT success AND unit_key IS NOT NULL").fetchall()
        # The history is appended, not replaced.
        after = con.execute("SELECT count(*) FROM quality.validation_results WHERE run_id <> 'stale'").fetchone()[0]
    assert ("data_within_source_freshness", "critical", "oss_daily_counts") in rows
    assert after == before


@pytest.mark.slow
def test_a_reconciliation_gap_is_named_by_unit_and_day(clean_warehouse, tmp_path):
    """The one reconciliation (dbt model qa_unit_day_reconciliation, suite reconciliation):
    a day whose source count differs from the extracted dossiers is a warning naming the
    unit and the day."""
    from cchc.settings import load_settings

    warehouse = tmp_path / "gap.duckdb"
    shutil.copy(clean_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        unit, day, source = con.execute(
            "SELECT unit_key, count_date, source_received FROM intermediate.int_quality__unit_day_counts "
            "WHERE source_received > 0 ORDER BY count_date DESC, unit_key LIMIT 1").fetchone()
        con.execute("UPDATE intermediate.int_quality__unit_day_counts SET source_received = source_received + 2 "
                    "WHERE unit_key = ? AND count_date = ?", [unit, day])
    local = load_settings().relocated(tmp_path)
    report = run_validations(local, warehouse, run_id="gap", as_of=day + timedelta(days=1), suites=("reconciliation",))
    assert report.ok_to_publish  # a warning: the next nights' overlap window usually picks them up
    [check] = report.warnings
    assert check.expectation == "received_counts_match" and check.units == [unit]
    assert f"ngày {day:%d/%m/%Y}: hệ thống {source + 2}, trích xuất {source}" in check.message_vi


@pytest.mark.slow
def test_dbt_stores_every_test_result_and_reads_the_reconciliation_window_from_the_environment(
        clean_warehouse, tmp_path, monkeypatch):
    """on-run-end keeps each test's result in quality.dbt_test_results (a failing test with
    its failures, in local time), and CCHC_OSS_RECONCILE_DAYS sets the reconciliation window."""
    from cchc.settings import load_settings
    from cchc.transform import run_dbt

    warehouse = tmp_path / "tests.duckdb"
    shutil.copy(clean_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        kinds = dict(con.execute("SELECT test_type, count(*) FROM quality.dbt_test_results GROUP BY ALL").fetchall())
        # A duplicated unit-day breaks the model's primary key.
        con.execute("INSERT INTO intermediate.int_quality__unit_day_counts "
                    "SELECT * FROM intermediate.int_quality__unit_day_counts LIMIT 1")
    assert kinds.keys() == {"generic", "singular", "unit"}  # the fixture's full build stored them all
    # The variable reaches dbt through the settings (Settings.dbt_vars), like the extractor's.
    monkeypatch.setenv("CCHC_OSS_RECONCILE_DAYS", "7")
    settings = load_settings()
    window = run_dbt(settings, ["run", "--select", "qa_unit_day_reconciliation"], warehouse=warehouse,
                     target_dir=tmp_path / "dbt")
    assert window.ok, window.stdout[-2000:]
    result = run_dbt(settings, ["test", "--select", "int_quality__unit_day_counts,test_type:data"],
                     warehouse=warehouse, target_dir=tmp_path / "dbt")
    assert result.returncode != 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(invocation, started, status, failures, model)] = con.execute(
            "SELECT invocation_id, run_started_at, status, failures, model_name FROM quality.dbt_test_results "
            "WHERE test_name LIKE 'unique_combination_of_columns_int_quality__unit_day_counts%' "
            "ORDER BY run_started_at DESC LIMIT 1").fetchall()
        first_day = con.execute("SELECT min(count_date) FROM quality.qa_unit_day_reconciliation").fetchone()[0]
    assert (status, failures, model) == ("fail", 1, "int_quality__unit_day_counts")
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    assert timedelta(0) <= now - started < timedelta(minutes=10)  # local time, not UTC
    assert invocation and first_day >= now.date() - timedelta(days=7)  # the window: the last 7 days, not 35
