"""The locked environments: what is installed is exactly what the lock files say, each
environment's main tool starts, and the bootstrap skips an environment that is up to date."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_ROOT = Path(os.environ.get("CCHC_VENV_ROOT", ROOT / ".venv"))
ENVIRONMENTS = ["pipeline", "superset", "spark"]
# The environments that open the warehouse (the Spark one reads and writes Parquet only).
DUCKDB_ENVIRONMENTS = ["pipeline", "superset"]

pytestmark = pytest.mark.slow


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _run(*cmd: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_installed_packages_equal_the_lock(name):
    lock = _pins((ROOT / "envs" / name / "requirements.lock").read_text().splitlines())
    freeze = _run(str(VENV_ROOT / "tools" / "bin" / "uv"), "pip", "freeze",
                  "--python", str(VENV_ROOT / name / "bin" / "python"))
    assert freeze.returncode == 0, freeze.stderr
    installed = _pins(freeze.stdout.splitlines())
    assert installed == lock


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_dependencies_are_consistent(name):
    check = _run(str(VENV_ROOT / "tools" / "bin" / "uv"), "pip", "check",
                 "--python", str(VENV_ROOT / name / "bin" / "python"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_same_duckdb_everywhere():
    """DuckDB 2.x files are not readable by older releases: one version in every environment."""
    versions = {
        name: _run(str(VENV_ROOT / name / "bin" / "python"), "-c", "import duckdb; print(duckdb.__version__)").stdout.strip()
        for name in DUCKDB_ENVIRONMENTS
    }
    assert len(set(versions.values())) == 1 and versions["pipeline"], versions


def test_pipeline_tools_start():
    airflow = _run(str(VENV_ROOT / "pipeline" / "bin" / "airflow"), "version",
                   env={"AIRFLOW_HOME": str(ROOT / "data" / "test-airflow-home")})
    assert airflow.returncode == 0 and airflow.stdout.strip().startswith("3."), airflow.stderr[-2000:]
    dbt = _run(str(VENV_ROOT / "pipeline" / "bin" / "dbt"), "--version")
    assert dbt.returncode == 0 and "duckdb" in dbt.stdout and re.search(r"installed: 1\.11\.", dbt.stdout), dbt.stdout
    gx = _run(str(VENV_ROOT / "pipeline" / "bin" / "python"), "-c",
              "import great_expectations as gx; print(gx.__version__)")
    assert gx.returncode == 0 and gx.stdout.startswith("1."), gx.stderr[-2000:]


def test_spark_tools_start():
    """dbt with the Spark adapter (1.11, as the pipeline's dbt) and the Java Spark runs on."""
    dbt = _run(str(VENV_ROOT / "spark" / "bin" / "dbt"), "--version")
    assert dbt.returncode == 0 and "spark" in dbt.stdout and re.search(r"installed: 1\.11\.", dbt.stdout), dbt.stdout
    java = _run("java", "-version")
    assert java.returncode == 0 and re.search(r'version "17\.', java.stderr), java.stderr


def test_superset_cli_starts():
    """Superset 6.1's CLI crashes without rich and flask-caching<2.4: the lock must carry them."""
    result = _run(str(VENV_ROOT / "superset" / "bin" / "superset"), "version",
                  env={"SUPERSET_SECRET_KEY": secrets.token_urlsafe(32)})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "6.1" in result.stdout


def test_bootstrap_skips_up_to_date_environments():
    result = _run(str(ROOT / "scripts" / "bootstrap.sh"), *ENVIRONMENTS)
    assert result.returncode == 0, result.stderr
    for name in ENVIRONMENTS:
        assert f"{name} environment up to date" in result.stderr
    assert "syncing" not in result.stderr
