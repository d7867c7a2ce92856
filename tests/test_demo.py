"""The main job on the embedded default, as `make demo` runs it: reference data, simulated
sources, the one-stop-shop API, extract-load into the raw layer."""

from __future__ import annotations

import re

import duckdb
import pytest
from conftest import run_cchc

pytestmark = pytest.mark.slow


def test_demo_loads_everything_and_a_second_run_adds_nothing(demo_run):
    env, first, warehouse = demo_run
    assert "Demo province 42 (Tỉnh Hà Tĩnh)" in first and "69 communes from 01/07/2025" in first
    simulated = int(re.search(r"Simulated \S+: ([\d,]+) dossiers", first).group(1).replace(",", ""))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        manifest = dict(con.execute("SELECT table_name, row_count FROM reference.load_manifest").fetchall())
        for table, count in manifest.items():
            assert f"{table:<22} {count:>8,} rows" in first
        dossiers = con.execute("SELECT count(DISTINCT dossier_id) FROM raw_oss.dossiers").fetchone()[0]
        files = dict(con.execute("SELECT source, sum(rows_loaded) FROM raw_meta.file_registry GROUP BY 1").fetchall())
        quarantined = con.execute("SELECT count(*) FROM raw_meta.quarantine").fetchone()[0]
    assert dossiers == simulated > 50_000
    assert set(files) == {"treasury", "sipas", "par", "papi"} and all(files.values())
    assert quarantined == 0  # the clean demo injects no faults
    for source, rows in files.items():
        assert re.search(rf"{source}: \d+ files loaded, 0 unchanged, 0 rejected; {rows:,} rows loaded, 0 quarantined",
                         first)

    second = run_cchc("demo", env=env).stdout
    for source in files:
        assert re.search(rf"{source}: 0 files loaded, \d+ unchanged, 0 rejected; 0 rows loaded", second)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT dossier_id) FROM raw_oss.dossiers").fetchone()[0] == dossiers
        assert con.execute("SELECT count(*) FROM reference.load_manifest").fetchone()[0] == len(manifest)
