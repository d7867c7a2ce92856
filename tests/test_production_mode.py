"""Production (CCHC_ENV=production) refuses to start with a missing, public demo or short
secret, and says which variable, never its value. Superset's side is in test_superset*.py;
here its configuration's production-only parts: the Redis password, the Content-Security-Policy."""

from __future__ import annotations

import json

import pytest
from conftest import run_cchc, run_superset_config

from cchc.credentials import SECRETS, InsecureConfigurationError, require_production_secrets, secret, with_password

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


def test_superset_reaches_redis_with_its_password_and_refuses_the_demo_one():
    env = production(CCHC_REDIS_URL="redis://redis:6379/0", CCHC_REDIS_PASSWORD="p@ss:w/rd%-0123456789")
    result = run_superset_config(env, "REDIS_URL", "RATELIMIT_STORAGE_URI")
    assert result.returncode == 0, result.stderr[-2000:]
    url = "redis://:p%40ss%3Aw%2Frd%25-0123456789@redis:6379/0"  # URL-quoted: any character is safe
    assert json.loads(result.stdout.splitlines()[-1]) == {"REDIS_URL": url, "RATELIMIT_STORAGE_URI": url}
    assert with_password("redis://127.0.0.1:17379/0", None) == "redis://127.0.0.1:17379/0"
    demo = SECRETS["CCHC_REDIS_PASSWORD"].demo_value
    result = run_superset_config({**env, "CCHC_REDIS_PASSWORD": demo})
    assert result.returncode != 0 and "CCHC_REDIS_PASSWORD holds the public demo value" in result.stderr
    assert demo not in result.stderr.replace("CCHC_REDIS_PASSWORD", "")


# What a policy may name that is no host: the page's own origin, inline data, keywords.
NOT_A_HOST = {"'self'", "'none'", "'unsafe-inline'", "'strict-dynamic'", "blob:", "data:"}


def test_superset_in_production_has_a_content_security_policy_naming_no_other_host():
    names = ("TALISMAN_ENABLED", "TALISMAN_CONFIG", "THEME_FONT_URL_ALLOWED_DOMAINS")
    result = run_superset_config(production(), *names)
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads(result.stdout.splitlines()[-1])
    assert config["TALISMAN_ENABLED"] is True
    policy = config["TALISMAN_CONFIG"]["content_security_policy"]
    sources = {source for value in policy.values() for source in ([value] if isinstance(value, str) else value)}
    assert sources <= NOT_A_HOST, sources - NOT_A_HOST  # no Scarf pixel, tiles, CDNs
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == "'none'"
    assert policy["script-src"] == ["'self'", "'strict-dynamic'"]  # no inline or eval'd script without nonce
    assert config["TALISMAN_CONFIG"]["content_security_policy_nonce_in"] == ["script-src"]
    assert config["THEME_FONT_URL_ALLOWED_DOMAINS"] == []
    demo = run_superset_config({}, "TALISMAN_ENABLED")
    assert json.loads(demo.stdout.splitlines()[-1]) == {"TALISMAN_ENABLED": False}
