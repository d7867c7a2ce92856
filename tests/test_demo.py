"""The main job on the embedded default, as `make demo` runs it."""

from __future__ import annotations

import duckdb

from conftest import run_cchc


def test_demo_loads_reference_data_and_reports_it(tmp_path):
    warehouse = tmp_path / "cchc.duckdb"
    result = run_cchc("demo", env={"CCHC_WAREHOUSE": str(warehouse)})
    assert "Demo province 42 (Tỉnh Hà Tĩnh)" in result.stdout
    assert "69 communes from 01/07/2025" in result.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = dict(con.execute("SELECT table_name, row_count FROM reference.load_manifest").fetchall())
        for table, count in loaded.items():
            assert f"{table:<22} {count:>8,} rows" in result.stdout
        assert con.execute("SELECT count(*) FROM reference.admin_units").fetchone()[0] == loaded["admin_units"]


def test_demo_is_repeatable(tmp_path):
    """Running the main job twice replaces the reference data, never duplicates it."""
    warehouse = tmp_path / "cchc.duckdb"
    env = {"CCHC_WAREHOUSE": str(warehouse)}
    run_cchc("demo", env=env)
    run_cchc("demo", env=env)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        manifest = dict(con.execute("SELECT table_name, row_count FROM reference.load_manifest").fetchall())
        actual = {t: con.execute(f"SELECT count(*) FROM reference.{t}").fetchone()[0] for t in manifest}
    assert actual == manifest
