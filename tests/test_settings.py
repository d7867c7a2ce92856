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
