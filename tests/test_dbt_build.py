"""`dbt build` of the whole project on the demo warehouse: every model and test passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")

pytestmark = pytest.mark.slow


def dbt(command: list[str], warehouse: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DBT), *command, "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
         "--target-path", str(target / "target"), "--log-path", str(target / "logs")],
        env={**os.environ, "CCHC_WAREHOUSE": str(warehouse)}, capture_output=True, text=True, timeout=1800,
        stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def built(demo_run, tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt")
    warehouse = work / "cchc.duckdb"
    shutil.copy(demo_run[2], warehouse)
    result = dbt(["build"], warehouse, work)
    return result, json.loads((work / "target" / "run_results.json").read_text()), warehouse, work


def test_dbt_build_passes_every_model_and_test(built):
    result, run_results, _, _ = built
    failures = [(r["unique_id"], r["status"], r.get("message")) for r in run_results["results"]
                if r["status"] not in ("success", "pass")]
    assert result.returncode == 0 and not failures, (failures, result.stdout[-4000:])
    kinds = {r["unique_id"].split(".")[0] for r in run_results["results"]}
    assert {"model", "test", "seed"} <= kinds


def test_every_model_has_a_primary_key_test(built):
    work = built[3]
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    tested = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata", {}).get("name") in (
                "unique", "unique_combination_of_columns"):
            tested.update(node["depends_on"]["nodes"])
    models = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")}
    assert models - tested == set()


def test_personal_data_does_not_leave_raw(built):
    import duckdb

    warehouse = built[2]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute("""
            SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns
            -- raw_* (raw_oss_staging is dlt's merge staging) and reference are the inputs
            WHERE table_schema NOT LIKE 'raw%' AND table_schema <> 'reference'
              AND (column_name ILIKE '%phone%' OR column_name ILIKE '%applicant_name%'
                   OR column_name ILIKE '%respondent_name%' OR column_name = 'applicant_id_number')""").fetchall()
    assert columns == []
