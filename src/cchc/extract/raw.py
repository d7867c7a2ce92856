"""Raw-layer conventions of the warehouse.

- Schema ``raw_files``: one table per file source. A row keeps what the source sent
  (values typed by parsing, Vietnamese labels mapped to English snake_case columns) plus
  the load metadata columns ``_load_id``, ``_source``, ``_source_file``, ``_source_sheet``,
  ``_source_row`` and ``_loaded_at``. Personal data is never written.
- Schema ``raw_meta``: ``file_registry`` (one current row per source file: checksum,
  status, counts, message), ``file_history`` (every change of a registry row: the audit
  trail) and ``quarantine`` (every row held back, with the file, sheet, row number,
  field, value, the reason in plain words, the row's unit code and the record as JSON,
  personal and unknown columns withheld).
- ``load_id`` = '<source>-<yyyymmddThhmmss>-<8 hex>'; times are local (Asia/Ho_Chi_Minh),
  stored as naive TIMESTAMPs.
- Tables of older versions are migrated in place: columns added at the end, retired
  columns (personal data) dropped.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
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
    scratch_type: str | None = None  # how the loader's scratch table holds it, if not as sql_type


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
    unit_column: str | None = None   # the row's unit (or investor) code: raw_meta.quarantine.unit_code
    retired: tuple[str, ...] = ()    # columns of older versions, dropped from existing tables

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
     RawColumn("sha256", "VARCHAR", "Checksum of the file version last seen: the one loaded, held, rejected, "
               "retracted or being loaded"),
     RawColumn("size_bytes", "BIGINT", "Size of that version"),
     RawColumn("status", "VARCHAR", "loading | loaded | rejected | held | retracted "
               "(see docs/sources/file-layouts.md)"),
     RawColumn("rows_loaded", "INTEGER", "Rows of this file now in raw_files"),
     RawColumn("rows_quarantined", "INTEGER", "Rows of this file now in raw_meta.quarantine"),
     RawColumn("load_id", "VARCHAR", "Load (or operator action) that last changed this row"),
     RawColumn("loaded_at", "TIMESTAMP", "When this row last changed (any action), local time Asia/Ho_Chi_Minh; "
               "increases with every change"),
     RawColumn("message", "VARCHAR", "What was done and why: rejection, hold, retraction reason, notes"),
     RawColumn("loaded_sha256", "VARCHAR", "Checksum of the version whose rows are in raw_files now (NULL: none)")),
    key=("source", "file_name"), key_label="file")

FILE_HISTORY = RawTable(
    "file_history", "Every change of a file_registry row, appended: the audit trail of the file loads",
    (RawColumn("source", "VARCHAR", "Source system"),
     RawColumn("file_name", "VARCHAR", "Path relative to the drop folder"),
     RawColumn("sha256", "VARCHAR", "Checksum of the file version concerned"),
     RawColumn("status", "VARCHAR", "loading | loaded | rejected | held | confirmed | retracted | retried"),
     RawColumn("rows_loaded", "INTEGER", "Rows of the file in raw_files after the change"),
     RawColumn("rows_quarantined", "INTEGER", "Rows of the file in raw_meta.quarantine after the change"),
     RawColumn("load_id", "VARCHAR", "Load or operator action"),
     RawColumn("message", "VARCHAR", "The registry message of the change"),
     RawColumn("recorded_at", "TIMESTAMP", "When, local time Asia/Ho_Chi_Minh")),
    key=(), key_label="")

QUARANTINE = RawTable(
    "quarantine", "Source rows held back from raw_files, with the reason; replaced when their file reloads",
    (RawColumn("load_id", "VARCHAR", "Load that quarantined the row"),
     RawColumn("source", "VARCHAR", "Source system"),
     RawColumn("file_name", "VARCHAR", "Path relative to the drop folder"),
     RawColumn("sheet", "VARCHAR", "Worksheet (NULL for CSV)"),
     RawColumn("row_number", "INTEGER", "1-based row in the sheet or file (CSV header = row 1)"),
     RawColumn("field", "VARCHAR", "Header label of the offending cell, as in the file (NULL: the whole row)"),
     RawColumn("value", "VARCHAR", "The offending value as sent (NULL: the whole row, or withheld)"),
     RawColumn("reason", "VARCHAR", "What is wrong, in plain words (never quotes a personal value)"),
     RawColumn("raw_record", "JSON", "The row as sent, header label -> value, values of personal and "
               "non-template columns withheld; NULL when the row could not be split into cells"),
     RawColumn("quarantined_at", "TIMESTAMP", "When, local time Asia/Ho_Chi_Minh"),
     RawColumn("unit_code", "VARCHAR", "The row's unit (investor) code as sent, when the row could be read "
               "that far; NULL otherwise")),
    key=(), key_label="")


@dataclass
class Problem:
    field: str | None
    value: Any
    reason: str


@dataclass
class ParsedRow:
    """One data row of a source file: typed values by raw column name, the record as sent
    (label -> cell, personal values withheld), its unit code and whatever is wrong with it."""

    sheet: str | None
    row_number: int
    values: dict[str, Any]
    raw_record: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    unit_code: str | None = None


@dataclass
class ParsedFile:
    """A parsed file: its rows (an iterator for large files: read once, in order), notes
    for the registry (e.g. sheets ignored; complete once the rows are consumed) and SQL
    for raw columns the scratch table holds in another form (column -> expression over
    the scratch column, parameters)."""

    rows: Iterable[ParsedRow]
    notes: list[str] = field(default_factory=list)
    expand: dict[str, tuple[str, list]] = field(default_factory=dict)


def local_now() -> datetime:
    return datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None, microsecond=0)


def new_load_id(source: str, at: datetime) -> str:
    return f"{source}-{at:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _comment(con: duckdb.DuckDBPyConnection, name: str, column: RawColumn) -> None:
    con.execute(f"COMMENT ON COLUMN {name}.{ident(column.name)} IS {literal(column.description)}")


def ensure_table(con: duckdb.DuckDBPyConnection, schema: str, table: RawTable, columns: Iterable[RawColumn],
                 primary_key: tuple[str, ...] = ()) -> list[str]:
    """Create the table if missing. An existing table of an older version is migrated in
    place (retired columns dropped, new columns added at the end); one whose columns
    differ otherwise is refused. Returns the names of the columns added."""
    columns = list(columns)
    name = f"{schema}.{table.name}"
    existing = [c for c, in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, table.name]).fetchall()]
    if existing:
        for retired in [c for c in existing if c in table.retired]:
            con.execute(f"ALTER TABLE {name} DROP COLUMN {ident(retired)}")
            existing.remove(retired)
        wanted = [c.name for c in columns]
        if existing != wanted[:len(existing)]:
            raise RuntimeError(
                f"{name} has columns {existing}, this version of the loader writes {wanted}; "
                "drop the table and its raw_meta.file_registry rows to reload")
        added = columns[len(existing):]
        for column in added:
            con.execute(f"ALTER TABLE {name} ADD COLUMN {ident(column.name)} {column.sql_type}")
            _comment(con, name, column)
        return [c.name for c in added]
    definition = ", ".join(f"{ident(c.name)} {c.sql_type}" for c in columns)
    key = f", PRIMARY KEY ({', '.join(primary_key)})" if primary_key else ""
    con.execute(f"CREATE TABLE {name} ({definition}{key})")
    con.execute(f"COMMENT ON TABLE {name} IS {literal(table.description)}")
    for column in columns:
        _comment(con, name, column)
    return []


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, tables: Iterable[RawTable]) -> dict[str, list[str]]:
    """The raw and meta tables, created or migrated; table name -> columns added."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    added = {FILE_REGISTRY.name: ensure_table(con, META_SCHEMA, FILE_REGISTRY, FILE_REGISTRY.columns,
                                              FILE_REGISTRY.key),
             FILE_HISTORY.name: ensure_table(con, META_SCHEMA, FILE_HISTORY, FILE_HISTORY.columns),
             QUARANTINE.name: ensure_table(con, META_SCHEMA, QUARANTINE, QUARANTINE.columns)}
    for table in tables:
        added[table.name] = ensure_table(con, RAW_SCHEMA, table, table.all_columns)
    return added


def in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], Any]) -> Any:
    """Run ``work`` in one transaction: committed if it returns, rolled back if it raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        result = work()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _transport(value: Any) -> Any:
    """A value on its way into DuckDB: text, cast there to the column's type, so that a
    decimal stays exact (never a float) and a timestamp stays naive; lists as they are."""
    if value is None or isinstance(value, (str, list)):
        return value
    if isinstance(value, dict):
        return to_json(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def insert_rows(con: duckdb.DuckDBPyConnection, qualified: str, columns: Iterable[RawColumn],
                rows: list[dict[str, Any]]) -> None:
    """Insert dicts by column name: every value travels as text (or a list) and is cast by
    DuckDB to the column's type (scratch_type where given)."""
    if not rows:
        return
    columns = list(columns)
    frame = pd.DataFrame({c.name: pd.Series([_transport(r.get(c.name)) for r in rows], dtype=object)
                          for c in columns})
    select = ", ".join(f"CAST({ident(c.name)} AS {c.scratch_type or c.sql_type}) AS {ident(c.name)}"
                       for c in columns)
    con.register("_raw_rows", frame)
    try:
        con.execute(f"INSERT INTO {qualified} BY NAME SELECT {select} FROM _raw_rows")
    finally:
        con.unregister("_raw_rows")
