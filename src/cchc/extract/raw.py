"""Raw-layer conventions of the warehouse.

- Schema ``raw_files``: one table per file source. A row keeps what the source sent
  (values typed by parsing, Vietnamese labels mapped to English snake_case columns) plus
  the load metadata columns ``_load_id``, ``_source``, ``_source_file``, ``_source_sheet``,
  ``_source_row`` and ``_loaded_at``.
- Schema ``raw_meta``: ``file_registry`` (one current row per source file: checksum,
  status, counts, message) and ``quarantine`` (every row held back, with the file, sheet,
  row number, field, value and the reason in plain words, and the whole record as JSON).
- ``load_id`` = '<source>-<yyyymmddThhmmss>-<8 hex>'; times are local (Asia/Ho_Chi_Minh),
  stored as naive TIMESTAMPs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ..settings import TIME_ZONE

RAW_SCHEMA = "raw_files"
META_SCHEMA = "raw_meta"


@dataclass(frozen=True)
class RawColumn:
    name: str
    sql_type: str
    description: str
    json_structure: str | None = None  # nested values travel as JSON text, cast with from_json


META_COLUMNS = (
    RawColumn("_load_id", "VARCHAR", "Load that wrote the row: '<source>-<yyyymmddThhmmss>-<8 hex>'"),
    RawColumn("_source", "VARCHAR", "Source system: treasury, sipas, par, papi"),
    RawColumn("_source_file", "VARCHAR", "File path relative to the drop folder, e.g. 'sipas/SIPAS_42_2024.csv'"),
    RawColumn("_source_sheet", "VARCHAR", "Worksheet name (NULL for CSV files)"),
    RawColumn("_source_row", "INTEGER", "1-based row number in the sheet or CSV file (CSV header = row 1)"),
    RawColumn("_loaded_at", "TIMESTAMP", "When the row was loaded, local time Asia/Ho_Chi_Minh"),
)


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    columns: tuple[RawColumn, ...]
    key: tuple[str, ...]        # natural key: a second row with the same key is a duplicate
    key_label: str              # how the source labels its key, for quarantine messages

    @property
    def qualified(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def all_columns(self) -> tuple[RawColumn, ...]:
        return self.columns + META_COLUMNS


FILE_REGISTRY = RawTable(
    "file_registry", "One current row per source file: what was last done with it",
    (RawColumn("source", "VARCHAR", "Source system"),
     RawColumn("file_name", "VARCHAR", "Path relative to the drop folder"),
     RawColumn("sha256", "VARCHAR", "Checksum of the file's bytes when last seen"),
     RawColumn("size_bytes", "BIGINT", "File size"),
     RawColumn("status", "VARCHAR", "loaded | rejected"),
     RawColumn("rows_loaded", "INTEGER", "Rows written to raw_files by the last load"),
     RawColumn("rows_quarantined", "INTEGER", "Rows held back in raw_meta.quarantine by the last load"),
     RawColumn("load_id", "VARCHAR", "Load that processed this version"),
     RawColumn("loaded_at", "TIMESTAMP", "When, local time Asia/Ho_Chi_Minh"),
     RawColumn("message", "VARCHAR", "Why the file was rejected, or notes on what was skipped")),
    key=("source", "file_name"), key_label="file")

QUARANTINE = RawTable(
    "quarantine", "Source rows held back from raw_files, with the reason; replaced when their file reloads",
    (RawColumn("load_id", "VARCHAR", "Load that quarantined the row"),
     RawColumn("source", "VARCHAR", "Source system"),
     RawColumn("file_name", "VARCHAR", "Path relative to the drop folder"),
     RawColumn("sheet", "VARCHAR", "Worksheet (NULL for CSV)"),
     RawColumn("row_number", "INTEGER", "1-based row in the sheet or file (CSV header = row 1)"),
     RawColumn("field", "VARCHAR", "Header label of the offending cell, as in the file (NULL: the whole row)"),
     RawColumn("value", "VARCHAR", "The offending value as sent"),
     RawColumn("reason", "VARCHAR", "What is wrong, in plain words"),
     RawColumn("raw_record", "JSON", "The whole row as sent: header label -> value"),
     RawColumn("quarantined_at", "TIMESTAMP", "When, local time Asia/Ho_Chi_Minh")),
    key=(), key_label="")


@dataclass
class Problem:
    field: str | None
    value: Any
    reason: str


@dataclass
class ParsedRow:
    """One data row of a source file: typed values by raw column name, the record as sent
    (label -> cell) and whatever is wrong with it."""

    sheet: str | None
    row_number: int
    values: dict[str, Any]
    raw_record: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ParsedFile:
    rows: list[ParsedRow]
    notes: list[str] = field(default_factory=list)  # e.g. sheets ignored


def local_now() -> datetime:
    return datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None, microsecond=0)


def new_load_id(source: str, at: datetime) -> str:
    return f"{source}-{at:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_table(con: duckdb.DuckDBPyConnection, schema: str, table: RawTable, columns: Iterable[RawColumn],
                 primary_key: tuple[str, ...] = ()) -> None:
    """Create the table if missing; refuse to write into one whose columns differ."""
    columns = list(columns)
    name = f"{schema}.{table.name}"
    existing = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position", [schema, table.name]).fetchall()
    if existing:
        if [c for c, _ in existing] != [c.name for c in columns]:
            raise RuntimeError(
                f"{name} has columns {[c for c, _ in existing]}, this version of the loader writes "
                f"{[c.name for c in columns]}; drop the table and its raw_meta.file_registry rows to reload")
        return
    definition = ", ".join(f"{_ident(c.name)} {c.sql_type}" for c in columns)
    key = f", PRIMARY KEY ({', '.join(primary_key)})" if primary_key else ""
    con.execute(f"CREATE TABLE {name} ({definition}{key})")
    con.execute(f"COMMENT ON TABLE {name} IS {_literal(table.description)}")
    for column in columns:
        con.execute(f"COMMENT ON COLUMN {name}.{_ident(column.name)} IS {_literal(column.description)}")


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, tables: Iterable[RawTable]) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    ensure_table(con, META_SCHEMA, FILE_REGISTRY, FILE_REGISTRY.columns, FILE_REGISTRY.key)
    ensure_table(con, META_SCHEMA, QUARANTINE, QUARANTINE.columns)
    for table in tables:
        ensure_table(con, RAW_SCHEMA, table, table.all_columns)


_PANDAS_TYPES = {"TINYINT": "Int64", "SMALLINT": "Int64", "INTEGER": "Int64", "BIGINT": "Int64",
                 "DOUBLE": "Float64", "BOOLEAN": "boolean"}


def _pandas_type(sql_type: str) -> str:
    if sql_type.startswith("DECIMAL"):
        return "Float64"
    return _PANDAS_TYPES.get(sql_type, "object")


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def insert_rows(con: duckdb.DuckDBPyConnection, qualified: str, columns: Iterable[RawColumn],
                rows: list[dict[str, Any]]) -> None:
    """Insert dicts by column name through a typed DataFrame (NULLs stay NULL, nested
    values go in as JSON and are cast by DuckDB)."""
    if not rows:
        return
    columns = list(columns)
    frame = pd.DataFrame({
        c.name: pd.array([to_json(r.get(c.name)) if c.json_structure and r.get(c.name) is not None
                          else r.get(c.name) for r in rows], dtype=_pandas_type(c.sql_type))
        for c in columns})
    select = ", ".join(f"from_json({_ident(c.name)}, {_literal(c.json_structure)}) AS {_ident(c.name)}"
                       if c.json_structure else _ident(c.name) for c in columns)
    con.register("_raw_rows", frame)
    try:
        con.execute(f"INSERT INTO {qualified} BY NAME SELECT {select} FROM _raw_rows")
    finally:
        con.unregister("_raw_rows")


def existing_keys(con: duckdb.DuckDBPyConnection, table: RawTable, keys: list[tuple],
                  other_than: str) -> dict[tuple, tuple[str, str | None, int]]:
    """Rows of other files with the same natural key: key -> (file, sheet, row)."""
    if not keys or not table.key:
        return {}
    frame = pd.DataFrame(keys, columns=list(table.key), dtype=object)
    on = " AND ".join(f"t.{_ident(k)} IS NOT DISTINCT FROM k.{_ident(k)}" for k in table.key)
    con.register("_new_keys", frame)
    try:
        found = con.execute(
            f"SELECT {', '.join(f't.{_ident(k)}' for k in table.key)}, t._source_file, t._source_sheet, "
            f"t._source_row FROM {table.qualified} t JOIN _new_keys k ON {on} WHERE t._source_file <> ? "
            f"ORDER BY ALL DESC", [other_than]).fetchall()
    finally:
        con.unregister("_new_keys")
    # Ordered descending so the first (lowest) file and row of each key win.
    return {tuple(r[:-3]): tuple(r[-3:]) for r in found}
