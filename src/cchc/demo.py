"""The main job on the embedded default: what ``make demo`` runs.

For now it loads the reference data into the DuckDB warehouse and reports what is there;
the source simulator, the nightly pipeline and the dashboards join it as they land.
"""

from __future__ import annotations

import duckdb

from .reference.load import load_reference
from .settings import Settings


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
    return 0


DEMO_PROVINCE_SUMMARY = """
SELECT
    (SELECT name FROM reference.admin_units WHERE scheme = '2025' AND level = 'province' AND code = ?),
    (SELECT count(*) FROM reference.admin_units WHERE scheme = 'legacy' AND level = 'district' AND province_code = ?),
    (SELECT count(*) FROM reference.admin_units WHERE scheme = 'legacy' AND level = 'commune' AND province_code = ?),
    (SELECT count(*) FROM reference.admin_units WHERE scheme = '2025' AND level = 'commune' AND province_code = ?),
    (SELECT count(*) FROM reference.departments WHERE scheme = 'dept_2025')
"""
