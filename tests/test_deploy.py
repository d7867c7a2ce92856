"""The docker-compose deployment without a Docker daemon: the files validate with the
installed compose, every long-running service has a health check, no secret has a default,
and production refuses demo secrets in the containers' commands. The stack itself:
test_deploy_stack.py (slow)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_cchc, run_superset_config

from cchc.credentials import SECRETS
from cchc.deploy.docker import apt_mirror, compose_program
from cchc.orchestration.runtime import airflow_env
from cchc.settings import load_settings

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.ci.yml")
DEMO_ENV = {s.name: s.demo_value for s in SECRETS.values()}


def _compose_config(tmp_path: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess:
    program = compose_program()
    if program is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed (make test installs docker-compose)")
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}  # only the env file counts
    return subprocess.run([*program, "--project-directory", str(ROOT), "--env-file", str(env_file),
                           *[a for f in files for a in ("-f", str(ROOT / f))], "--profile", "demo", "config"],
                          capture_output=True, text=True, env=clean, timeout=120, cwd=tmp_path)


def test_compose_files_validate(tmp_path):
    for files in (COMPOSE_FILES[:1], COMPOSE_FILES):
        result = _compose_config(tmp_path, DEMO_ENV, *files)
        assert result.returncode == 0, result.stderr
    merged = yaml.safe_load(result.stdout)["services"]
    assert {s.get("network_mode") for s in merged.values()} == {"host"}  # CI: never a bridge address
    assert merged["oss"]["profiles"] == ["demo"]


def test_a_missing_secret_stops_compose_naming_it(tmp_path):
    for name in DEMO_ENV:
        result = _compose_config(tmp_path, {k: v for k, v in DEMO_ENV.items() if k != name}, COMPOSE_FILES[0])
        assert result.returncode != 0 and name in result.stderr, (name, result.stderr)


def _services(file: str = COMPOSE_FILES[0]) -> dict[str, dict]:
    return yaml.safe_load((ROOT / file).read_text())["services"]


def test_every_long_running_service_has_a_health_check():
    services = _services()
    long_running = {name for name, s in services.items() if s.get("restart") != "no"}
    assert long_running >= {"postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                            "superset", "docs", "oss"}
    assert not [name for name in long_running if not services[name].get("healthcheck", {}).get("test")]
    assert all(services[name]["restart"] == "unless-stopped" for name in long_running)


def test_no_secret_has_a_default():
    for file in COMPOSE_FILES:
        uses = re.findall(r"\$\{(\w+)([^}]*)\}", (ROOT / file).read_text())
        secret_uses = [(name, rest) for name, rest in uses if name in SECRETS]
        assert {name for name, _ in secret_uses} <= set(SECRETS)
        assert [f"{name}{rest}" for name, rest in secret_uses if not rest.startswith(":?")] == [], file
    assert {name for name, _ in re.findall(r"\$\{(\w+)([^}]*)\}", (ROOT / COMPOSE_FILES[0]).read_text())} >= set(SECRETS)


def test_airflow_keeps_a_deployments_metadata_database(monkeypatch):
    settings = load_settings()
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", raising=False)
    assert airflow_env(settings)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")
    url = "postgresql+psycopg2://airflow:x@postgres:5432/airflow"
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", url)
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "http://airflow-apiserver:8080/execution/")
    env = airflow_env(settings)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == url
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"


def test_containers_refuse_demo_database_passwords_in_production(tmp_path):
    strong = {name: f"a-long-enough-{name.lower()}-value-0123456789" for name in SECRETS}
    variable = "CCHC_POSTGRES_AIRFLOW_PASSWORD"
    env = {**strong, "CCHC_ENV": "production", "CCHC_DATA_DIR": str(tmp_path), variable: SECRETS[variable].demo_value,
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://airflow:x@127.0.0.1:1/airflow"}
    result = run_cchc("airflow", "run", "version", env=env, check=False)
    assert result.returncode == 2 and "refuses to start" in result.stderr and variable in result.stderr
    assert run_cchc("airflow", "run", "version", env={**env, variable: strong[variable]}).stdout.split()[-1].startswith("3.")

    variable = "CCHC_POSTGRES_SUPERSET_PASSWORD"
    result = run_superset_config({**strong, "CCHC_ENV": "production", variable: "cchc-demo-superset-db",
                                  "CCHC_SUPERSET_DATABASE_URI": "postgresql+psycopg2://superset:x@127.0.0.1:1/superset"})
    assert result.returncode != 0 and variable in result.stderr.splitlines()[-1]


def test_apt_mirror_of_the_host():
    one_line = "# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n"
    deb822 = ("Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\n"
              "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n")
    assert apt_mirror([one_line]) == "http://mirror.example/debian"
    assert apt_mirror([deb822]) == "http://mirror.example/debian"
    assert apt_mirror(["deb http://security.example/debian-security bookworm-security main\n"]) is None


def test_compose_command_names_project_files_and_profiles(tmp_path):
    from cchc.deploy.docker import Compose

    compose = Compose(ROOT, "cchc-ci", tmp_path / "ci.env", COMPOSE_FILES, ("demo",), program=["docker-compose"])
    assert compose.command("up", "-d") == [
        "docker-compose", "--project-directory", str(ROOT), "-p", "cchc-ci", "--env-file", str(tmp_path / "ci.env"),
        "-f", str(ROOT / COMPOSE_FILES[0]), "-f", str(ROOT / COMPOSE_FILES[1]), "--profile", "demo", "up", "-d"]
    assert compose.with_profiles("tools").command("ps")[-5:] == ["--profile", "demo", "--profile", "tools", "ps"]
