"""Build every reference table from its source and write them to seeds/reference/.

``_schema.json`` beside the CSV files records each table's description, typed columns,
primary key, row count and checksum: the warehouse loader reads it, and refuses a CSV whose
checksum no longer matches (edited by hand instead of rebuilt).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from ..settings import Settings
from .admin_units import build_admin_unit_tables
from .calendar import build_calendar_table
from .departments import build_department_tables
from .procedures import build_procedure_tables
from .tables import ReferenceTable

SCHEMA_FILE = "_schema.json"


def build_reference_tables(settings: Settings) -> list[ReferenceTable]:
    departments, department_lineage = build_department_tables(
        settings.sources_dir / "departments.yaml", settings.demo_province_code)
    current_departments = {r["code"] for r in departments.rows if r["scheme"] == "dept_2025"}
    return [
        *build_admin_unit_tables(settings.sources_dir / "admin_unit_changes.yaml"),
        build_calendar_table(),
        departments,
        department_lineage,
        *build_procedure_tables(settings.sources_dir / "procedure_catalogue.yaml", current_departments),
    ]


def render(tables: list[ReferenceTable]) -> dict[str, str]:
    """File name -> content for every file of seeds/reference/."""
    files = {f"{t.name}.csv": t.to_csv() for t in tables}
    schema = {
        "tables": [
            {
                "name": t.name,
                "description": t.description,
                "primary_key": list(t.primary_key),
                "columns": [asdict(c) for c in t.columns],
                "row_count": len(t.rows),
                "sha256": hashlib.sha256(files[f"{t.name}.csv"].encode("utf-8")).hexdigest(),
            }
            for t in tables
        ]
    }
    files[SCHEMA_FILE] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return files


def write_reference(settings: Settings, tables: list[ReferenceTable]) -> list[Path]:
    directory = settings.reference_dir
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in render(tables).items():
        path = directory / name
        path.write_text(content, encoding="utf-8", newline="")
        written.append(path)
    return written


def stale_files(settings: Settings, tables: list[ReferenceTable]) -> list[str]:
    """Files of seeds/reference/ that differ from what the sources produce now."""
    stale = []
    for name, content in render(tables).items():
        path = settings.reference_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    return stale
