"""The main job on the embedded default: what ``make demo`` runs.

Loads the reference data, simulates the demo province's source systems (Hà Tĩnh,
2022-01-01 to yesterday), starts the one-stop-shop API on localhost, extracts every source
into the raw layer and reports what was loaded and quarantined. On a terminal the API keeps
serving until Ctrl+C; otherwise (CI, scripts) it stops when the load is done. The nightly
pipeline, dbt docs and the dashboards join it as they land.
"""

from __future__ import annotations

import os
import sys
import time

import duckdb
import requests

from .extract.run import extract
from .reference.load import load_reference
from .settings import Settings
from .simulator.config import preset
from .simulator.run import simulate
from .sources.oss.process import OssServer


def run_demo(settings: Settings) -> int:
    counts = load_reference(settings.warehouse_path, settings.reference_dir)
    print(f"Kho dữ liệu / warehouse: {settings.warehouse_path}")
    print("Reference data loaded (schema 'reference'):")
    for table, count in counts.items():
        print(f"  {table:<22} {count:>8,} rows")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        summary = con.execute(DEMO_PROVINCE_SUMMARY, [settings.demo_province_code] * 4).fetchone()
    name, districts, legacy_communes, communes, departments = summary
    print(f"Demo province {settings.demo_province_code} ({name}): {districts} districts and "
          f"{legacy_communes} communes until 30/06/2025; {communes} communes from 01/07/2025; "
          f"{departments} departments scored from 01/03/2025.")

    config = preset("demo", provinces=(settings.demo_province_code,))
    result = simulate(config, settings.simulation_dir, settings.reference_dir)
    print(f"Simulated {config.start:%d/%m/%Y}-{config.end:%d/%m/%Y}: {result.dossiers:,} dossiers, "
          f"{result.feedback:,} feedback records; files in {result.drop_dir}")

    port = int(os.environ.get("CCHC_OSS_PORT", "8765"))
    server = OssServer(settings.oss_db, port, token=os.environ.get("CCHC_OSS_TOKEN", "demo-oss-token"),
                       log_file=settings.data_dir / "logs" / "oss-api.log")
    (settings.data_dir / "logs").mkdir(parents=True, exist_ok=True)
    _check_port_free(server)
    server.start()
    results = None
    print(f"One-stop-shop API: {server.url}/docs (token: $CCHC_OSS_TOKEN, demo default 'demo-oss-token')")
    try:
        results = extract(settings, "all")
        print("Raw layer:")
        for line in results.report_lines():
            print(f"  {line}")
        if sys.stdin.isatty() and not os.environ.get("CI"):
            print("Serving; press Ctrl+C to stop.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0 if results and results.ok else 3


def _check_port_free(server: OssServer) -> None:
    """A demo API left running by an earlier `make demo` serves the old data: refuse clearly."""
    try:
        requests.get(f"{server.url}/health", timeout=1)
    except requests.RequestException:
        return
    raise RuntimeError(f"port {server.port} is already in use (an earlier demo still running?); "
                       "stop it or set CCHC_OSS_PORT")


DEMO_PROVINCE_SUMMARY = """
SELECT
    (SELECT name FROM reference.admin_units WHERE scheme = '2025' AND level = 'province' AND code = ?),
    (SELECT count(*) FROM reference.admin_units WHERE scheme = 'legacy' AND level = 'district' AND province_code = ?),
    (SELECT count(*) FROM reference.admin_units WHERE scheme = 'legacy' AND level = 'commune' AND province_code = ?),
    (SELECT count(*) FROM reference.admin_units WHERE scheme = '2025' AND level = 'commune' AND province_code = ?),
    (SELECT count(*) FROM reference.departments WHERE scheme = 'dept_2025')
"""
