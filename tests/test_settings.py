"""The typed settings: read from CCHC_* variables, a bad value named, and the one route to
dbt's vars."""

from __future__ import annotations

import json

import pytest

from cchc.settings import ConfigurationError, load_settings
from cchc.transform import with_vars


def test_variables_are_read_typed_and_derived(monkeypatch, tmp_path):
    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CCHC_OSS_RECONCILE_DAYS", "40")
    monkeypatch.setenv("CCHC_PROVINCE_CODE", "01")
    settings = load_settings()
    assert settings.oss_reconcile_days == 40
    assert settings.warehouse_path == tmp_path / "warehouse" / "cchc.duckdb"
    assert settings.serving_dir == tmp_path / "serving"
    assert settings.dbt_vars()["province_code"] == "01"


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("CCHC_OSS_PORT", "tám nghìn")
    monkeypatch.setenv("CCHC_PROVINCE_CODE", "4")
    with pytest.raises(ConfigurationError) as error:
        load_settings()
    assert "CCHC_OSS_PORT='tám nghìn'" in str(error.value)
    assert "CCHC_PROVINCE_CODE='4'" in str(error.value)


def test_dbt_gets_the_settings_vars_under_the_callers(monkeypatch):
    monkeypatch.setenv("CCHC_OSS_RECONCILE_DAYS", "12")
    command = with_vars(load_settings(), ["build", "--vars", "{report_period_end: '2022-12-30'}", "--select", "x"])
    assert command[:3] == ["build", "--select", "x"] and command[3] == "--vars"
    passed = json.loads(command[4])
    assert passed["oss_reconcile_days"] == 12 and passed["report_period_end"] == "2022-12-30"
    assert passed["local_time_zone"] == "Asia/Ho_Chi_Minh"


def test_the_extraction_settings_are_read_typed(monkeypatch):
    from datetime import date

    from cchc.extract.oss import OssSettings

    monkeypatch.setenv("CCHC_OSS_URL", "https://motcua.example.gov.vn")
    monkeypatch.setenv("CCHC_OSS_INSTANCE", "")
    monkeypatch.setenv("CCHC_OSS_OVERLAP_DAYS", "3.5")
    monkeypatch.setenv("CCHC_HISTORY_START", "2023-01-01")
    monkeypatch.setenv("CCHC_OSS_BACKOFF_SECONDS", "0.5")
    oss = OssSettings.from_env()
    assert (oss.base_url, oss.expected_instance, oss.overlap_days) == ("https://motcua.example.gov.vn", None, 3.5)
    assert (oss.history_start, oss.backoff_factor, oss.page_size) == (date(2023, 1, 1), 0.5, 1000)


@pytest.mark.parametrize(("variable", "value"), [
    ("CCHC_OSS_PAGE_SIZE", "0"), ("CCHC_OSS_OVERLAP_DAYS", "hai"), ("CCHC_HISTORY_START", "01/01/2022"),
    ("CCHC_OSS_MAX_ATTEMPTS", "-1"), ("CCHC_OSS_URL", "motcua.example.gov.vn")])
def test_a_bad_extraction_setting_fails_before_anything_is_extracted(monkeypatch, tmp_path, variable, value):
    from cchc.extract.oss import extract_oss

    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"{variable}={value!r}"):
        extract_oss(tmp_path / "w.duckdb", tmp_path / "dlt")
    assert not (tmp_path / "w.duckdb").exists()
