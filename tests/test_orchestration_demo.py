"""`cchc demo` starts Airflow and the first nightly run is green (uses the session's demo run)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_the_nightly_dag_green_and_publishes(demo_run):
    env, output, warehouse = demo_run
    port = env["CCHC_AIRFLOW_PORT"]
    assert f"Airflow: http://localhost:{port} (login admin / " in output
    assert "Alerts: e-mail: tắt (đặt CCHC_ALERT_SMTP_HOST, CCHC_ALERT_EMAIL_TO)" in output
    run = re.search(r"Nightly pipeline cchc_nightly: run (\S+) (\w+) \((\S+)\)", output)
    assert run and run.group(2) == "SUCCESS", output[-3000:]
    assert run.group(3).startswith(f"http://localhost:{port}/dags/cchc_nightly/runs/")
    serving = Path(env["CCHC_DATA_DIR"]) / "serving" / "cchc.duckdb"
    assert serving.is_symlink()
    with duckdb.connect(str(serving), read_only=True) as con:
        dossiers = con.execute("SELECT count(*) FROM marts.fct_dossier").fetchone()[0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute("SELECT count(DISTINCT dossier_id) FROM raw_oss.dossiers").fetchone()[0]
    assert dossiers == raw > 50_000


def test_demo_serves_the_data_dictionary_and_the_dashboards(demo_run):
    env, output, _ = demo_run
    # Printed only once each server answered on its port.
    assert f"dbt docs (data dictionary): http://127.0.0.1:{env['CCHC_DOCS_PORT']}" in output
    assert f"Superset: http://127.0.0.1:{env['CCHC_SUPERSET_PORT']} (login admin / " in output
    docs = Path(env["CCHC_DATA_DIR"]) / "dbt_docs" / "index.html"
    assert "model.cchc.mart_unit_rankings" in docs.read_text(encoding="utf-8")
