"""Load the file drops (treasury, SIPAS, PAR, PAPI) into the warehouse's raw layer.

Each new or changed file is parsed and written in its own transaction: its rows go to
raw_files.<table>, its bad rows to raw_meta.quarantine, and its registry row to
raw_meta.file_registry, all or nothing. A changed file replaces its previous rows and
quarantine entries; an unchanged one is skipped; a file that is not the expected template
is rejected whole and the others still load. A crash loses at most the file in progress:
run again to resume.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from ..raw import (META_SCHEMA, QUARANTINE, ParsedFile, ParsedRow, RawTable, ensure_raw_schema, existing_keys,
                   insert_rows, local_now, new_load_id, to_json)
from .parsing import TemplateError, UnitDirectory, dmy
from .registry import SOURCES, RegistryEntry, current_entries, discover, record, sha256_of

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int, str], None]  # (source, files done, files in all, file name)


@dataclass
class FileLoadSummary:
    source: str
    files_loaded: int = 0
    files_skipped: int = 0      # unchanged since they were loaded (or rejected)
    files_rejected: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)


def load_file_drops(warehouse_path: Path, drop_dir: Path, sources: list[str] | None = None,
                    progress: Progress | None = None) -> dict[str, FileLoadSummary]:
    """Load every new or changed file of ``sources`` (default: all four) found under
    ``drop_dir/<source>/``. The warehouse must hold the reference data (unit codes)."""
    names = list(sources or SOURCES)
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown file sources {unknown}, expected some of {sorted(SOURCES)}")
    drop_dir = Path(drop_dir)
    summaries = {name: FileLoadSummary(name) for name in names}
    con = duckdb.connect(str(warehouse_path))
    try:
        ensure_raw_schema(con, [module.TABLE for module in SOURCES.values()])  # all four, always
        units = UnitDirectory.from_warehouse(con)
        work = []
        for name in names:
            files = discover(drop_dir, SOURCES[name])
            if not files:
                summaries[name].messages.append(f"no files in {drop_dir / SOURCES[name].FOLDER}")
            work += [(name, path) for path in files]
        report = progress or _default_progress(len(work))
        started = {name: local_now() for name in names}
        load_ids = {name: new_load_id(name, started[name]) for name in names}
        registry = {name: current_entries(con, name) for name in names}
        for done, (name, path) in enumerate(work, start=1):
            file_name = path.relative_to(drop_dir).as_posix()
            _load_file(con, name, path, file_name, units, load_ids[name], registry[name], summaries[name])
            report(name, done, len(work), file_name)
    finally:
        con.close()
    for summary in summaries.values():
        log.info("%s: %d files loaded, %d unchanged, %d rejected; %d rows loaded, %d quarantined", summary.source,
                 summary.files_loaded, summary.files_skipped, summary.files_rejected, summary.rows_loaded,
                 summary.rows_quarantined)
    return summaries


def _load_file(con: duckdb.DuckDBPyConnection, source: str, path: Path, file_name: str, units: UnitDirectory,
               load_id: str, registry: dict[str, RegistryEntry], summary: FileLoadSummary) -> None:
    data = path.read_bytes()
    digest = sha256_of(data)
    previous = registry.get(file_name)
    if previous and previous.sha256 == digest:
        summary.files_skipped += 1
        return
    module = SOURCES[source]
    entry = RegistryEntry(source, file_name, digest, len(data), "loaded", 0, 0, load_id, local_now(), None)
    match = module.PATTERN.fullmatch(path.name)
    try:
        if match is None:
            raise TemplateError(f"{file_name}: file name does not match {module.EXPECTED_NAME}")
        parsed = module.parse(data, file_name, match, units)
    except TemplateError as exc:
        entry.status, entry.message = "rejected", str(exc)  # the message starts with the file's name
        if previous and previous.status == "loaded":
            entry.message += (f"; the rows of the version loaded on {dmy(previous.loaded_at)} "
                              f"({previous.load_id}) are kept")
        _in_transaction(con, lambda: record(con, entry))
        summary.files_rejected += 1
        summary.messages.append(f"rejected: {entry.message}")
        return

    table: RawTable = module.TABLE

    def write() -> None:
        rows, held = _sort_out(con, table, source, file_name, parsed, load_id, entry.loaded_at)
        con.execute(f"DELETE FROM {table.qualified} WHERE _source_file = ?", [file_name])
        con.execute(f"DELETE FROM {META_SCHEMA}.{QUARANTINE.name} WHERE source = ? AND file_name = ?",
                    [source, file_name])
        insert_rows(con, table.qualified, table.all_columns, rows)
        insert_rows(con, f"{META_SCHEMA}.{QUARANTINE.name}", QUARANTINE.columns, held)
        entry.rows_loaded = len(rows)
        entry.rows_quarantined = len({(h["sheet"], h["row_number"]) for h in held})
        entry.message = "; ".join(parsed.notes) or None
        record(con, entry)

    _in_transaction(con, write)
    registry[file_name] = entry
    summary.files_loaded += 1
    summary.rows_loaded += entry.rows_loaded
    summary.rows_quarantined += entry.rows_quarantined
    if previous:
        summary.messages.append(f"{file_name}: changed since {dmy(previous.loaded_at)}, reloaded "
                                f"({previous.rows_loaded} rows replaced by {entry.rows_loaded})")
    if entry.rows_quarantined:
        rows = "row" if entry.rows_quarantined == 1 else "rows"
        summary.messages.append(f"{file_name}: {entry.rows_quarantined} {rows} quarantined")
    summary.messages.extend(parsed.notes)


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], None]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        work()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _sort_out(con: duckdb.DuckDBPyConnection, table: RawTable, source: str, file_name: str, parsed: ParsedFile,
              load_id: str, loaded_at) -> tuple[list[dict], list[dict]]:
    """Good rows for the raw table, and quarantine entries: rows with problems, and rows
    whose natural key was already seen (earlier in this file, or in another file)."""
    good: dict[tuple, ParsedRow] = {}
    held: list[dict] = []

    def hold(row: ParsedRow, field_label, value, reason: str) -> None:
        held.append({"load_id": load_id, "source": source, "file_name": file_name, "sheet": row.sheet,
                     "row_number": row.row_number, "field": field_label,
                     "value": None if value is None else str(value), "reason": reason,
                     "raw_record": to_json(row.raw_record), "quarantined_at": loaded_at})

    def where(sheet, row_number, other_file) -> str:
        return f"row {row_number} in {other_file}" + (f" (sheet '{sheet}')" if sheet else "")

    for row in parsed.rows:
        if row.problems:
            for problem in row.problems:
                hold(row, problem.field, problem.value, problem.reason)
            continue
        key = tuple(row.values[k] for k in table.key)
        if key in good:
            first = good[key]
            hold(row, table.key_label, ", ".join(map(str, key)),
                 f"duplicate of {where(first.sheet, first.row_number, file_name)}")
            continue
        good[key] = row
    for key, (other_file, sheet, row_number) in existing_keys(con, table, list(good), file_name).items():
        row = good.pop(key)
        hold(row, table.key_label, ", ".join(map(str, key)),
             f"duplicate of {where(sheet, row_number, other_file)}")
    meta = {"_load_id": load_id, "_source": source, "_source_file": file_name, "_loaded_at": loaded_at}
    rows = [{**row.values, **meta, "_source_sheet": row.sheet, "_source_row": row.row_number}
            for row in sorted(good.values(), key=lambda r: (r.sheet or "", r.row_number))]
    held.sort(key=lambda h: (h["sheet"] or "", h["row_number"]))
    return rows, held


def _default_progress(total: int) -> Progress:
    """A progress bar on a terminal; a log line every tenth of the files otherwise."""
    if sys.stderr.isatty() and total:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="loading files", unit="file")

        def update(source: str, done: int, total: int, file_name: str) -> None:
            bar.set_postfix_str(file_name, refresh=False)
            bar.update(1)
            if done == total:
                bar.close()
        return update

    step = max(1, total // 10)

    def log_line(source: str, done: int, total: int, file_name: str) -> None:
        if done % step == 0 or done == total:
            log.info("loaded %d/%d files (%s)", done, total, file_name)
    return log_line


__all__ = ["FileLoadSummary", "load_file_drops"]
