"""The rows of one file version on their way to the raw layer.

Parsed rows are written in batches to a scratch database attached next to the warehouse,
each batch committed, so memory stays bounded whatever the file's length (a transaction
that holds a whole large file keeps it in memory). There, in SQL: duplicates (a natural
key seen earlier in the file, or loaded from another file: the first is kept) join the
quarantined rows, and the loaded rows the version would remove are counted. Then the
version is applied to raw_files and raw_meta.quarantine inside the file's transaction,
or dropped (a held version). The scratch file is removed at the end; one left behind by
a killed loader is removed by the next.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ..raw import META_SCHEMA, QUARANTINE, ParsedFile, ParsedRow, RawColumn, RawTable, ident, insert_rows, literal

SCRATCH = "cchc_load_scratch"
BATCH_ROWS = 2000
# DuckDB's memory for the loader's connection (it spills beyond): the loader's peak stays
# well under a gigabyte on any file. CCHC_DUCKDB_MEMORY_LIMIT overrides it, as for dbt.
MEMORY_LIMIT = "256MB"

ROW_META = (RawColumn("_seq", "BIGINT", "Order of the row in the file"),
            RawColumn("_sheet", "VARCHAR", "Sheet"), RawColumn("_row", "INTEGER", "Row number"),
            RawColumn("_unit_code", "VARCHAR", "Unit code as sent"),
            RawColumn("_raw_record", "JSON", "Row as sent, personal values withheld"))
PROBLEM_COLUMNS = tuple(c for c in QUARANTINE.columns
                        if c.name in ("sheet", "row_number", "field", "value", "reason", "raw_record", "unit_code"))
PROBLEM_SCRATCH = [*PROBLEM_COLUMNS, ROW_META[0]]
QUARANTINE_TABLE = f"{META_SCHEMA}.{QUARANTINE.name}"


@dataclass
class Loss:
    """Loaded rows of a file that its new version would remove."""

    rows: int                   # loaded rows whose key the new version does not load
    rows_before: int
    units_gone: list[str]       # units with loaded rows and none in the new version
    units_affected: list[str]   # units of the rows that would go
    units_before: int

    def describe(self) -> str:
        units = self.units_gone or self.units_affected
        examples = ", ".join(units[:5]) + (f" and {len(units) - 5} more" if len(units) > 5 else "")
        which = (f"{len(self.units_gone)} of its {self.units_before} units would disappear entirely"
                 if self.units_gone else f"rows of {len(self.units_affected)} units")
        return (f"{self.rows:,} of the {self.rows_before:,} loaded rows would disappear"
                + (f" ({which}: {examples})" if units else ""))


def connect(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse_path))
    con.execute(f"SET memory_limit = {literal(os.environ.get('CCHC_DUCKDB_MEMORY_LIMIT') or MEMORY_LIMIT)}")
    con.execute("SET enable_progress_bar = false")
    return con


class Scratch:
    """The scratch database of one loader connection (one file at a time)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, warehouse_path: Path):
        self.con = con
        # The warehouse is locked by this connection: any scratch file next to it is stale.
        for stale in warehouse_path.parent.glob(f".{warehouse_path.name}.scratch*"):
            stale.unlink()
        self.path = warehouse_path.with_name(f".{warehouse_path.name}.scratch.duckdb")
        con.execute(f"ATTACH {literal(str(self.path))} AS {SCRATCH}")

    def close(self) -> None:
        self.con.execute(f"DETACH {SCRATCH}")
        for leftover in self.path.parent.glob(f"{self.path.name}*"):
            leftover.unlink()

    def fill(self, table: RawTable, parsed: ParsedFile) -> None:
        """Write the parsed rows: good ones to scratch.rows, one entry per problem to
        scratch.problems."""
        row_columns = [*table.columns, *ROW_META]
        self._create("rows", row_columns)
        self._create("problems", PROBLEM_SCRATCH)
        rows: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for seq, row in enumerate(parsed.rows):
            if row.problems:
                problems += _problems(row, seq)
            else:
                rows.append({**row.values, "_seq": seq, "_sheet": row.sheet, "_row": row.row_number,
                             "_unit_code": row.unit_code, "_raw_record": row.raw_record})
            if len(rows) >= BATCH_ROWS:
                rows = self._flush("rows", row_columns, rows)
            if len(problems) >= BATCH_ROWS:
                problems = self._flush("problems", PROBLEM_SCRATCH, problems)
        self._flush("rows", row_columns, rows)
        self._flush("problems", PROBLEM_SCRATCH, problems)

    def _create(self, name: str, columns: list[RawColumn]) -> None:
        definition = ", ".join(f"{ident(c.name)} {c.scratch_type or c.sql_type}" for c in columns)
        self.con.execute(f"CREATE OR REPLACE TABLE {SCRATCH}.{name} ({definition})")

    def _flush(self, name: str, columns: list[RawColumn], batch: list[dict]) -> list:
        insert_rows(self.con, f"{SCRATCH}.{name}", columns, batch)
        return []

    def sort_out(self, table: RawTable, file_name: str) -> None:
        """Move duplicates from scratch.rows to scratch.problems: a key seen earlier in the
        file, or loaded from another file (the lowest file, sheet and row is named)."""
        keys = ", ".join(ident(k) for k in table.key)
        on = _same_key(table, "r", "f", "IS NOT DISTINCT FROM")
        value = "concat_ws(', ', " + ", ".join(f"CAST(r.{ident(k)} AS VARCHAR)" for k in table.key) + ")"
        self.con.execute(f"CREATE OR REPLACE TABLE {SCRATCH}.duplicates (_seq BIGINT, value VARCHAR, reason VARCHAR)")
        self.con.execute(
            f"INSERT INTO {SCRATCH}.duplicates SELECT r._seq, {value}, {_duplicate_of('f')} "
            f"FROM {SCRATCH}.rows r JOIN (SELECT {keys}, min(_seq) AS first_seq, arg_min(_row, _seq) AS row_, "
            f"arg_min(_sheet, _seq) AS sheet_, ? AS file_ FROM {SCRATCH}.rows GROUP BY ALL HAVING count(*) > 1) f "
            f"ON {on} AND r._seq > f.first_seq", [file_name])
        self.con.execute(
            f"INSERT INTO {SCRATCH}.duplicates SELECT r._seq, {value}, {_duplicate_of('f')} "
            f"FROM {SCRATCH}.rows r JOIN (SELECT DISTINCT ON ({keys}) {keys}, _source_file AS file_, "
            f"_source_sheet AS sheet_, _source_row AS row_ FROM {table.qualified} t "
            f"WHERE _source_file <> ? AND EXISTS (SELECT 1 FROM {SCRATCH}.rows r WHERE {_same_key(table, 'r', 't')}) "
            f"ORDER BY {keys}, _source_file, _source_sheet NULLS FIRST, _source_row) f ON {on} "
            f"WHERE r._seq NOT IN (SELECT _seq FROM {SCRATCH}.duplicates)", [file_name])
        self.con.execute(
            f"INSERT INTO {SCRATCH}.problems SELECT r._sheet, r._row, ?, d.value, d.reason, r._raw_record, "
            f"r._unit_code, r._seq FROM {SCRATCH}.rows r JOIN {SCRATCH}.duplicates d USING (_seq)", [table.key_label])
        self.con.execute(f"DELETE FROM {SCRATCH}.rows WHERE _seq IN (SELECT _seq FROM {SCRATCH}.duplicates)")

    def losses(self, table: RawTable, file_name: str) -> Loss | None:
        """The loaded rows of ``file_name`` whose key the new version does not load, if any."""
        absent = f"NOT EXISTS (SELECT 1 FROM {SCRATCH}.rows r WHERE {_same_key(table, 'r', 't')})"
        source = f"FROM {table.qualified} t WHERE t._source_file = ?"
        before, lost = self.con.execute(f"SELECT count(*), count(*) FILTER (WHERE {absent}) {source}",
                                        [file_name]).fetchone()
        if not lost:
            return None
        if not table.unit_column:
            return Loss(lost, before, [], [], 0)
        unit = f"t.{ident(table.unit_column)}"
        units_before, affected = self.con.execute(
            f"SELECT count(DISTINCT {unit}), list(DISTINCT {unit} ORDER BY {unit}) FILTER (WHERE {absent}) {source}",
            [file_name]).fetchone()
        gone = [u for u, in self.con.execute(
            f"SELECT DISTINCT {unit} {source} AND {unit} NOT IN (SELECT _unit_code FROM {SCRATCH}.rows "
            f"WHERE _unit_code IS NOT NULL) ORDER BY 1", [file_name]).fetchall()]
        return Loss(lost, before, gone, [u for u in affected or [] if u is not None], units_before)

    def apply(self, table: RawTable, parsed: ParsedFile, source: str, file_name: str, load_id: str,
              at: datetime) -> tuple[int, int]:
        """Replace the file's raw rows and quarantine entries by the scratch's (inside the
        file's transaction). Returns (rows loaded, rows quarantined)."""
        self.con.execute(f"DELETE FROM {table.qualified} WHERE _source_file = ?", [file_name])
        self.con.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ? AND file_name = ?", [source, file_name])
        columns, params = [], []
        for column in table.columns:
            expression, values = parsed.expand.get(column.name, (ident(column.name), []))
            columns.append(f"CAST({expression} AS {column.sql_type}) AS {ident(column.name)}")
            params += values
        self.con.execute(
            f"INSERT INTO {table.qualified} BY NAME SELECT {', '.join(columns)}, ? AS _load_id, ? AS _source, "
            f"? AS _source_file, _sheet AS _source_sheet, _row AS _source_row, ? AS _loaded_at FROM {SCRATCH}.rows",
            [*params, load_id, source, file_name, at])
        self.con.execute(
            f"INSERT INTO {QUARANTINE_TABLE} BY NAME SELECT ? AS load_id, ? AS source, ? AS file_name, sheet, "
            f"row_number, field, value, reason, raw_record, ? AS quarantined_at, unit_code FROM {SCRATCH}.problems",
            [load_id, source, file_name, at])
        return self.con.execute(
            f"SELECT (SELECT count(*) FROM {SCRATCH}.rows), "
            f"(SELECT count(DISTINCT (sheet, row_number)) FROM {SCRATCH}.problems)").fetchone()


def _same_key(table: RawTable, left: str, right: str, equals: str = "=") -> str:
    return " AND ".join(f"{left}.{ident(k)} {equals} {right}.{ident(k)}" for k in table.key)


def _duplicate_of(alias: str) -> str:
    return (f"'duplicate of row ' || {alias}.row_ || ' in ' || {alias}.file_ "
            f"|| coalesce(' (sheet ''' || {alias}.sheet_ || ''')', '')")


def _problems(row: ParsedRow, seq: int) -> list[dict[str, Any]]:
    return [{"sheet": row.sheet, "row_number": row.row_number, "field": p.field,
             "value": None if p.value is None else str(p.value), "reason": p.reason,
             "raw_record": row.raw_record, "unit_code": row.unit_code, "_seq": seq} for p in row.problems]
