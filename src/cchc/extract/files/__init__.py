"""Load the file drops (treasury, SIPAS, PAR, PAPI) into the warehouse's raw layer.

Each new or changed file is judged on its own (loader.FileLoader): rejected whole when it
is not the template, held when it would remove rows already loaded, else loaded: its rows
go to raw_files.<table>, its bad rows to raw_meta.quarantine and its registry row to
raw_meta.file_registry (with the change in raw_meta.file_history), all in one
transaction. An unchanged file is skipped. A crash loses at most the file in progress:
run again to resume (a file that killed the loader is rejected, not tried again). The
operator's commands on one file (confirm, retry, retract, status) are in .actions.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from ...settings import load_settings
from ..raw import ensure_raw_schema, local_now, new_load_id
from .limits import LIMITS_FILE, Limits
from .loader import FileLoader, FileLoadSummary
from .migrate import migrate
from .parsing import Checks, UnitDirectory
from .registry import SOURCES, discover
from .writer import connect

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int, str], None]  # (source, files done, files in all, file name)


def default_limits() -> Limits:
    return Limits.load(load_settings().sources_dir / LIMITS_FILE)


@contextmanager
def open_warehouse(warehouse_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse, its raw and meta tables created or migrated (all
    four sources, always); closed after."""
    con = connect(warehouse_path)
    try:
        migrate(con, ensure_raw_schema(con, [module.TABLE for module in SOURCES.values()]))
        yield con
    finally:
        con.close()


@contextmanager
def open_loader(warehouse_path: Path, drop_dir: Path, limits: Limits | None = None,
                today: date | None = None) -> Iterator[FileLoader]:
    """A FileLoader on the warehouse (limits default to seeds/sources/loader_limits.yaml,
    today to the local date); closed after."""
    limits = limits or default_limits()
    with open_warehouse(warehouse_path) as con:
        checks = Checks(UnitDirectory.from_warehouse(con), limits, today or local_now().date())
        loader = FileLoader(con, Path(warehouse_path), Path(drop_dir), checks)
        try:
            yield loader
        finally:
            loader.close()


def load_file_drops(warehouse_path: Path, drop_dir: Path, sources: list[str] | None = None,
                    progress: Progress | None = None, limits: Limits | None = None) -> dict[str, FileLoadSummary]:
    """Load every new or changed file of ``sources`` (default: all four) found under
    ``drop_dir/<source>/``. The warehouse must hold the reference data (unit codes);
    ``limits`` default to seeds/sources/loader_limits.yaml."""
    names = list(sources or SOURCES)
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown file sources {unknown}, expected some of {sorted(SOURCES)}")
    drop_dir = Path(drop_dir)
    summaries = {name: FileLoadSummary(name) for name in names}
    with open_loader(warehouse_path, drop_dir, limits) as loader:
        work = []
        for name in names:
            files = discover(drop_dir, SOURCES[name])
            if not files:
                summaries[name].messages.append(f"no files in {drop_dir / SOURCES[name].FOLDER}")
            work += [(name, path) for path in files]
        report = progress or _default_progress(len(work))
        load_ids = {name: new_load_id(name, local_now()) for name in names}
        for done, (name, path) in enumerate(work, start=1):
            loader.load(name, path, load_ids[name], summaries[name])
            report(name, done, len(work), path.relative_to(drop_dir).as_posix())
    for summary in summaries.values():
        log.info("%s: %d files loaded, %d unchanged, %d rejected, %d held; %d rows loaded, %d quarantined",
                 summary.source, summary.files_loaded, summary.files_skipped, summary.files_rejected,
                 summary.files_held, summary.rows_loaded, summary.rows_quarantined)
    return summaries


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


__all__ = ["FileLoadSummary", "load_file_drops", "open_loader", "open_warehouse"]
