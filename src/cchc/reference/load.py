"""Load the committed reference tables into the DuckDB warehouse, in one transaction.

Either every reference table is replaced and checked (types, primary keys, row counts,
checksums) or the warehouse is left as it was.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from ..settings import TIME_ZONE, private_dir
from ..warehouse_lock import connect_when_free
from .build import SCHEMA_FILE
from .tables import ReferenceDataError

SCHEMA = "reference"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_reference(warehouse_path: Path, reference_dir: Path, *, wait_seconds: float = 0) -> dict[str, int]:
    """Replace schema ``reference`` in the warehouse; return row counts by table. Waits up to
    `wait_seconds` for another process writing the warehouse to let go."""
    schema_path = reference_dir / SCHEMA_FILE
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceDataError(f"{schema_path}: not found; run `make reference`") from None

    tables = schema["tables"]
    for table in tables:
        csv_path = reference_dir / f"{table['name']}.csv"
        if not csv_path.exists():
            raise ReferenceDataError(f"{csv_path}: missing; run `make reference`")
        digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
        if digest != table["sha256"]:
            raise ReferenceDataError(
                f"{csv_path}: checksum differs from {SCHEMA_FILE}; reference CSVs are generated, "
                "edit seeds/sources/ and run `make reference`")

    private_dir(warehouse_path.parent)
    loaded_at = datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None)
    counts: dict[str, int] = {}
    con = connect_when_free(warehouse_path, wait_seconds)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for table in tables:
            counts[table["name"]] = _load_table(con, table, reference_dir / f"{table['name']}.csv")
        con.execute(f"""
            CREATE OR REPLACE TABLE {SCHEMA}.load_manifest (
                table_name VARCHAR PRIMARY KEY, row_count BIGINT, csv_sha256 VARCHAR,
                loaded_at TIMESTAMP)""")
        con.executemany(
            f"INSERT INTO {SCHEMA}.load_manifest VALUES (?, ?, ?, ?)",
            [(t["name"], counts[t["name"]], t["sha256"], loaded_at) for t in tables])
        con.execute(f"COMMENT ON TABLE {SCHEMA}.load_manifest IS "
                    f"{_literal('What the last reference load replaced (local time Asia/Ho_Chi_Minh)')}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return counts


def _load_table(con: duckdb.DuckDBPyConnection, table: dict, csv_path: Path) -> int:
    name = f"{SCHEMA}.{_ident(table['name'])}"
    columns = ", ".join(f"{_literal(c['name'])}: {_literal(c['type'])}" for c in table["columns"])
    con.execute(
        f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv({_literal(str(csv_path))}, "
        f"header = true, auto_detect = false, columns = {{{columns}}}, nullstr = '', "
        f"encoding = 'utf-8')")
    count = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    if count != table["row_count"]:
        raise ReferenceDataError(f"{csv_path}: {count} rows loaded, {SCHEMA_FILE} says {table['row_count']}")
    key = ", ".join(_ident(k) for k in table["primary_key"])
    duplicates = con.execute(
        f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    if duplicates:
        raise ReferenceDataError(f"{csv_path}: {duplicates} duplicate values of primary key ({key})")
    con.execute(f"COMMENT ON TABLE {name} IS {_literal(table['description'])}")
    for column in table["columns"]:
        con.execute(f"COMMENT ON COLUMN {name}.{_ident(column['name'])} IS {_literal(column['description'])}")
    return count
