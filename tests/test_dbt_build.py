"""`dbt build` of the whole project on the demo warehouse: every model and test passes."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(built_warehouse):
    work = built_warehouse.parent
    return None, json.loads((work / "target" / "run_results.json").read_text()), built_warehouse, work


def test_dbt_build_passes_every_model_and_test(built):
    _, run_results, _, _ = built
    failures = [(r["unique_id"], r["status"], r.get("message")) for r in run_results["results"]
                if r["status"] not in ("success", "pass", "no-op")]
    assert not failures, failures
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
