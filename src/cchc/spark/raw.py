"""The raw layer as Parquet for Spark: every table a dbt source names, copied from the
DuckDB build warehouse (read-only) into ``<raw_dir>/<schema>/<table>/``.

Tables with a load id (``_dlt_load_id`` of the API extraction, ``_load_id`` of dropped
files) are partitioned by it (Hive-style ``_load_id=…`` folders), so a cluster reads a
night's load alone. Each export is written beside the previous one and swapped in by a
rename per table: a reader sees the old or the new table, never half of one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

LOAD_ID_COLUMNS = ("_dlt_load_id", "_load_id")


@dataclass(frozen=True)
class SourceTable:
    schema: str
    name: str


def source_tables(project_dir: Path) -> list[SourceTable]:
    """The tables the dbt project's sources name (models/**/_*__sources.yml)."""
    tables = []
    for path in sorted(project_dir.glob("models/**/*sources.yml")):
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources", []):
            schema = source.get("schema", source["name"])
            tables += [SourceTable(schema, table.get("identifier", table["name"])) for table in source["tables"]]
    return tables


def export_raw(warehouse: Path, project_dir: Path, raw_dir: Path) -> dict[str, int]:
    """Write every source table of `warehouse` as Parquet under `raw_dir`; rows per table.
    A source table the warehouse lacks is an error naming it (Spark would fail later, less
    clearly)."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = {(s, t) for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        missing = [f"{t.schema}.{t.name}" for t in source_tables(project_dir) if (t.schema, t.name) not in present]
        if missing:
            raise FileNotFoundError(f"{warehouse}: source tables missing: {', '.join(missing)}")
        for table in source_tables(project_dir):
            relation = f'"{table.schema}"."{table.name}"'
            columns = [r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()]
            partition = next((c for c in LOAD_ID_COLUMNS if c in columns), None)
            final = raw_dir / table.schema / table.name
            fresh = final.with_name(f".{table.name}.new")
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.parent.mkdir(parents=True, exist_ok=True)
            rows = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
            if partition and rows:
                con.execute(f"COPY {relation} TO '{fresh}' (FORMAT parquet, PARTITION_BY ({partition}))")
            else:
                # An empty table still needs its columns: one file with the schema.
                fresh.mkdir()
                con.execute(f"COPY {relation} TO '{fresh / 'part-0.parquet'}' (FORMAT parquet)")
            old = final.with_name(f".{table.name}.old")
            if final.exists():
                final.rename(old)
            fresh.rename(final)
            shutil.rmtree(old, ignore_errors=True)
            counts[f"{table.schema}.{table.name}"] = rows
    finally:
        con.close()
    return counts
