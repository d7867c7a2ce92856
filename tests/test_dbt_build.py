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


def test_the_personal_data_key_is_in_no_dbt_file(built, demo_run):
    """The key of the applicants' ID hashes stays with the extractor: no compiled SQL,
    manifest, log or docs page of dbt holds it (with it, a hash of a 12-digit ID number
    is reversed in minutes)."""
    from cchc.credentials import secret

    key = secret("CCHC_PII_KEY").encode()
    folders = [built[3], demo_run[2].parents[1]]  # this build's target and logs; the demo's data folder
    holding = [p for folder in folders for p in folder.rglob("*")
               if p.is_file() and p.suffix in (".json", ".sql", ".log", ".html", ".txt", ".yml", "") and key in p.read_bytes()]
    assert holding == []


def test_a_killed_build_takes_dbt_with_it(built_warehouse, tmp_path):
    """`kill -9` of `cchc build` must not orphan dbt holding the warehouse's write lock."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    import duckdb
    import psutil

    warehouse = tmp_path / "cchc.duckdb"
    shutil.copy(built_warehouse, warehouse)
    build = subprocess.Popen([sys.executable, "-m", "cchc.cli", "build", "--warehouse", str(warehouse)],
                             env={**os.environ, "CCHC_DATA_DIR": str(tmp_path / "data")},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not psutil.Process(build.pid).children() and time.monotonic() < deadline:
        time.sleep(0.2)
    dbt = psutil.Process(build.pid).children()
    assert dbt, "dbt did not start"
    time.sleep(8)  # dbt is parsing or building: it holds the lock
    build.kill()
    build.wait()
    gone, alive = psutil.wait_procs(dbt, timeout=30)
    assert not alive, f"dbt outlived the killed build: {alive}"
    with duckdb.connect(str(warehouse)) as con:  # the write lock is free
        con.execute("CREATE TABLE main.lock_probe AS SELECT 1 AS x")
