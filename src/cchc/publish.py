"""Publishing: copy what readers need from the build warehouse into a new read-only
snapshot file, then switch the serving link to it in one atomic rename.

Readers (Superset, analysts) open ``<serving_dir>/cchc.duckdb`` read-only. It is a symbolic
link to ``snapshots/cchc-<stamp>.duckdb``; a reader that opened the previous snapshot keeps
reading it (an open file survives its unlinking on POSIX), a reader that opens after the
rename sees the new one: never a half-built state, never a lock held against the pipeline.
Only the published schemas are copied (marts, the dashboards' reporting models, the periodic
report's tables (schema report) and data-quality results, no raw or staging, so no personal
data), a fraction of the warehouse.
Views are copied as tables of their rows at publication: the snapshot is frozen anyway, and
a view would need what it reads (seeds, sources) in the snapshot too. A failed publish removes its partial
snapshot and leaves the link as it was.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from .settings import TIME_ZONE

log = logging.getLogger(__name__)

PUBLISHED_SCHEMAS = ("marts", "reporting", "report", "quality")
# Schemas whose views are published too, as tables of their rows: the dashboards' reporting
# views. The quality schema's views (qa_*) are the validation's inputs, evaluated as of the
# validation day: only its result tables are published.
VIEWS_PUBLISHED = ("reporting",)
SNAPSHOT_PATTERN = re.compile(r"^cchc-\d{8}T\d{6}\d*(-[\w.]+)?\.duckdb$")


class PublishError(RuntimeError):
    pass


def publish(warehouse: Path, serving_dir: Path, *, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
            label: str | None = None, keep: int = 3) -> Path:
    """Snapshot `schemas` of `warehouse` into `serving_dir` and make it current; returns the
    snapshot path. `keep` snapshots are kept (the current one and recent ones, for readers
    still holding them open)."""
    snapshots = serving_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(ZoneInfo(TIME_ZONE)).strftime("%Y%m%dT%H%M%S%f")
    suffix = f"-{re.sub(r'[^0-9A-Za-z_.]+', '_', label)}" if label else ""
    snapshot = snapshots / f"cchc-{stamp}{suffix}.duckdb"
    try:
        tables = _copy_schemas(warehouse, snapshot, schemas)
        fsync(snapshot)
        switch_serving_link(serving_dir, snapshot)
    except BaseException:
        snapshot.unlink(missing_ok=True)
        raise
    log.info("published %d tables (%s) to %s", tables, ", ".join(schemas), snapshot)
    _prune(snapshots, snapshot, keep)
    return snapshot


def switch_serving_link(serving_dir: Path, snapshot: Path) -> None:
    """Point ``<serving_dir>/cchc.duckdb`` at ``snapshot`` (in ``snapshots/``) in one atomic
    rename: readers see the old or the new snapshot, never neither."""
    link = serving_dir / "cchc.duckdb"
    tmp_link = serving_dir / f".cchc.duckdb.{os.getpid()}.tmp"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("snapshots") / snapshot.name)
    os.replace(tmp_link, link)
    fsync(serving_dir)


def current_snapshot(serving_dir: Path) -> Path | None:
    link = serving_dir / "cchc.duckdb"
    return link.resolve() if link.is_symlink() and link.exists() else None


def _copy_schemas(warehouse: Path, snapshot: Path, schemas: tuple[str, ...]) -> int:
    if not warehouse.exists():
        raise PublishError(f"build warehouse {warehouse} does not exist")
    con = duckdb.connect(str(snapshot))
    try:
        con.execute(f"ATTACH '{warehouse}' AS build (READ_ONLY)")
        present = {s for (s,) in con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'build'").fetchall()}
        if "marts" in schemas and "marts" not in present:
            raise PublishError(f"{warehouse} has no 'marts' schema: has dbt build run?")
        count = 0
        con.execute("BEGIN")
        for schema in (s for s in schemas if s in present):
            con.execute(f'CREATE SCHEMA "{schema}"')
            tables = con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'build' AND schema_name = ? "
                "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = 'build' AND schema_name = ? "
                "AND NOT internal AND ? ORDER BY 1", [schema, schema, schema in VIEWS_PUBLISHED]).fetchall()
            for (table,) in tables:
                con.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM build."{schema}"."{table}"')
                count += 1
            # Comments travel with the tables and their columns (CREATE TABLE AS drops them),
            # so analysts see the data dictionary (dbt's persist_docs) in SQL Lab.
            copied = {table for (table,) in tables}
            for (table, comment) in con.execute(
                    "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'build' "
                    "AND schema_name = ? AND comment IS NOT NULL UNION ALL SELECT view_name, comment FROM duckdb_views() "
                    "WHERE database_name = 'build' AND schema_name = ? AND comment IS NOT NULL",
                    [schema, schema]).fetchall():
                if table in copied:
                    con.execute(f'COMMENT ON TABLE "{schema}"."{table}" IS ' + _quote(comment))
            for (table, column, comment) in con.execute(
                    "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = 'build' "
                    "AND schema_name = ? AND comment IS NOT NULL", [schema]).fetchall():
                if table in copied:
                    con.execute(f'COMMENT ON COLUMN "{schema}"."{table}"."{column}" IS ' + _quote(comment))
        con.execute("COMMIT")
        con.execute("DETACH build")
        con.execute("CHECKPOINT")
        return count
    finally:
        con.close()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(snapshots: Path, current: Path, keep: int) -> None:
    files = sorted((p for p in snapshots.iterdir() if SNAPSHOT_PATTERN.match(p.name)), key=lambda p: p.name)
    for old in [p for p in files if p != current][: max(0, len(files) - keep)]:
        old.unlink(missing_ok=True)
        log.info("removed old snapshot %s", old.name)
