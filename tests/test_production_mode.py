"""Production (CCHC_ENV=production) refuses to start with a missing, public demo or short
secret, and says which variable, never its value. Superset's side is in test_superset*.py."""

from __future__ import annotations

import pytest
from conftest import run_cchc

from cchc.credentials import SECRETS, InsecureConfigurationError, require_production_secrets, secret

STRONG = {name: f"a-long-enough-{name.lower()}-value-0123456789" for name in SECRETS}


def production(**overrides: str) -> dict[str, str]:
    return {"CCHC_ENV": "production", **STRONG, **overrides}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_secret_is_checked(monkeypatch, name):
    for variable, value in production().items():
        monkeypatch.setenv(variable, value)
    assert secret(name) == STRONG[name]
    for bad, why in ((SECRETS[name].demo_value, "public demo value"), ("q7#Zk", "shorter than"), ("", "not set")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(InsecureConfigurationError, match=f"{name} .*{why}") as refused:
            require_production_secrets(*SECRETS)
        assert "q7#Zk" not in str(refused.value)  # the value is never repeated


def test_the_demo_runs_on_its_documented_defaults(monkeypatch):
    monkeypatch.delenv("CCHC_ENV", raising=False)
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    require_production_secrets(*SECRETS)
    assert secret("CCHC_PII_KEY") == SECRETS["CCHC_PII_KEY"].demo_value


@pytest.mark.parametrize("command, variable", [
    (("extract", "oss"), "CCHC_PII_KEY"),
    (("airflow", "init"), "CCHC_AIRFLOW_PASSWORD"),
    (("demo",), "CCHC_SUPERSET_DEMO_PASSWORD"),
])
def test_commands_refuse_a_demo_secret_in_production(tmp_path, command, variable):
    demo_value = SECRETS[variable].demo_value
    result = run_cchc(*command, env=production(**{variable: demo_value}, CCHC_DATA_DIR=str(tmp_path)), check=False)
    assert result.returncode == 2
    assert "refuses to start" in result.stderr and variable in result.stderr
    assert demo_value not in result.stderr.replace(variable, "")
    assert not (tmp_path / "airflow").exists() and not (tmp_path / "warehouse").exists()
