"""A one-off writer started while another process writes the warehouse (as `airflow-init`'s
reference load beside a night's task) waits for it, a bounded time, on a real DuckDB file
held by a real second process."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from cchc.reference.load import load_reference
from cchc.settings import load_settings
from cchc.warehouse_lock import WarehouseBusyError

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS held AS SELECT 1 AS x")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold(path, seconds: float) -> subprocess.Popen:
    """Another process holding `path` read-write for `seconds`; returns once it holds it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_the_reference_load_waits_for_the_other_writer(tmp_path):
    warehouse = tmp_path / "cchc.duckdb"
    holder = hold(warehouse, 4)
    started = time.monotonic()
    counts = load_reference(warehouse, load_settings().reference_dir, wait_seconds=120)
    assert time.monotonic() - started >= 2 and holder.wait(timeout=30) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reference.admin_units").fetchone()[0] == counts["admin_units"] > 0


def test_a_writer_that_waited_too_long_names_the_file_and_changes_nothing(tmp_path):
    warehouse = tmp_path / "cchc.duckdb"
    holder = hold(warehouse, 30)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError, match=r"cchc\.duckdb: another process is writing it .* 1 s"):
            load_reference(warehouse, load_settings().reference_dir, wait_seconds=1)
        assert 1 <= time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schemas = {row[0] for row in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    assert "reference" not in schemas
