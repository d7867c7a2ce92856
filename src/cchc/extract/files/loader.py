"""One file through the loader: skipped, rejected, held or loaded, with its registry row
and history.

A new or changed version is judged: rejected whole when its name, size or period is
impossible; else its registry row is committed with status 'loading' before it is
parsed (a loader killed on it leaves that row, and the next run rejects the file instead
of crashing on it every night); then it is parsed into the scratch (writer.Scratch), and
either held (it would remove loaded rows: not applied until `cchc files confirm`) or
applied with its registry row in one transaction. An exception while loading one file
rejects that file (the message names the exception type, never a cell value) and the
other files still load.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from ..raw import RawTable, in_transaction
from .cells import dmy
from .parsing import Checks, TemplateError, after_today, period_text
from .registry import SOURCES, RegistryEntry, SourceFile, current_entries, next_time, record
from .writer import Scratch

log = logging.getLogger(__name__)


@dataclass
class FileLoadSummary:
    source: str
    files_loaded: int = 0
    files_skipped: int = 0      # unchanged since they were loaded, rejected or retracted
    files_rejected: int = 0
    files_held: int = 0         # held now: new holds and those still waiting for `cchc files confirm`
    rows_loaded: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)


def retry_hint(file_name: str) -> str:
    return f"`cchc files retry {file_name}`"


class FileLoader:
    """Loads files into one warehouse connection (not inside a transaction)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, warehouse_path: Path, drop_dir: Path, checks: Checks):
        self.con, self.drop_dir, self.checks = con, drop_dir, checks
        self.scratch = Scratch(con, warehouse_path)

    def close(self) -> None:
        self.scratch.close()

    def load(self, source: str, path: Path, load_id: str, summary: FileLoadSummary, *, force: bool = False,
             confirm: bool = False) -> RegistryEntry:
        """Load one file unless it is unchanged (``force``: judge it again anyway;
        ``confirm``: apply it even if it removes loaded rows)."""
        file = SourceFile.at(path, path.relative_to(self.drop_dir).as_posix())
        previous = current_entries(self.con, source).get(file.name)
        if previous and previous.sha256 == file.sha256 and not force:
            return self._unchanged(previous, summary)
        entry = RegistryEntry(source, file.name, file.sha256, file.size, "loading",
                              previous.rows_loaded if previous else 0, previous.rows_quarantined if previous else 0,
                              load_id, next_time(previous), None, previous.loaded_sha256 if previous else None)
        module = SOURCES[source]
        try:
            match = self._admissible(module, path, file)
            self._commit(lambda: record(self.con, entry))
            parsed = module.parse(file, match, self.checks)
            table: RawTable = module.TABLE
            self.scratch.fill(table, parsed)
            self.scratch.sort_out(table, file.name)
            loss = None if confirm else self.scratch.losses(table, file.name)
            if loss:
                return self._hold(entry, loss.describe(), summary)
            return self._apply(entry, table, parsed, previous, summary, "confirmed" if confirm else None)
        except TemplateError as exc:
            return self._reject(entry, str(exc), summary)  # the message starts with the file's name
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            log.error("%s: %s while loading; stack (no values):\n%s", file.name, type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)))
            return self._reject(entry, f"{file.name}: the loader failed on this file ({type(exc).__name__}); "
                                       f"tell the platform team, then run {retry_hint(file.name)}", summary)

    def _admissible(self, module, path: Path, file: SourceFile):
        """The file name's match; TemplateError for a file not worth reading."""
        match = module.PATTERN.fullmatch(path.name)
        if match is None:
            raise TemplateError(f"{file.name}: file name does not match {module.EXPECTED_NAME}")
        limit = self.checks.limits.max_file_bytes
        if file.size > limit:
            raise TemplateError(f"{file.name}: {file.size / 2**20:,.1f} MB, larger than the limit of "
                                f"{limit / 2**20:,.0f} MB ({self.checks.limits.source}); not read")
        try:
            period = module.period(match)
        except TemplateError as exc:
            raise TemplateError(f"{file.name}: {exc}") from None
        if period and after_today(*period, self.checks.today):
            unit = "month" if period[1] else "year"
            current = period_text(self.checks.today.year, self.checks.today.month if period[1] else None)
            raise TemplateError(f"{file.name}: the file is for {period_text(*period)}, after the current {unit} "
                                f"({current}): a wrong period in its name?")
        return match

    def _unchanged(self, previous: RegistryEntry, summary: FileLoadSummary) -> RegistryEntry:
        if previous.status == "loading":
            entry = replace(previous, loaded_at=next_time(previous))
            return self._reject(entry, f"{previous.file_name}: the loader stopped while loading this version on "
                                       f"{previous.loaded_at:%d/%m/%Y %H:%M} (killed or crashed, e.g. out of memory) "
                                       f"and does not try it again by itself: see the loader's log, then run "
                                       f"{retry_hint(previous.file_name)}", summary)
        if previous.status == "held":
            summary.files_held += 1
            summary.messages.append(f"still held: {previous.message}")
        else:
            summary.files_skipped += 1
        return previous

    def _reject(self, entry: RegistryEntry, message: str, summary: FileLoadSummary) -> RegistryEntry:
        self._rollback()
        entry = replace(entry, status="rejected", message=message + _kept(entry))
        self._commit(lambda: record(self.con, entry))
        summary.files_rejected += 1
        summary.messages.append(f"rejected: {entry.message}")
        return entry

    def _hold(self, entry: RegistryEntry, loss: str, summary: FileLoadSummary) -> RegistryEntry:
        entry = replace(entry, status="held", loaded_at=next_time(entry), message=(
            f"{entry.file_name}: this version was not applied (held): {loss}; the loaded rows are kept. Check "
            f"with the sender, then run `cchc files confirm {entry.file_name}` to apply it, or drop a corrected "
            "file"))
        self._commit(lambda: record(self.con, entry))
        summary.files_held += 1
        summary.messages.append(f"held: {entry.message}")
        return entry

    def _apply(self, entry: RegistryEntry, table: RawTable, parsed, previous: RegistryEntry | None,
               summary: FileLoadSummary, action: str | None) -> RegistryEntry:
        entry = replace(entry, status="loaded", loaded_at=next_time(entry), loaded_sha256=entry.sha256,
                        message="; ".join(parsed.notes) or None)

        def write() -> None:
            entry.rows_loaded, entry.rows_quarantined = self.scratch.apply(
                table, parsed, entry.source, entry.file_name, entry.load_id, entry.loaded_at)
            record(self.con, entry, action)

        self._commit(write)
        summary.files_loaded += 1
        summary.rows_loaded += entry.rows_loaded
        summary.rows_quarantined += entry.rows_quarantined
        if previous and previous.loaded_sha256:
            summary.messages.append(f"{entry.file_name}: changed since {dmy(previous.loaded_at)}, reloaded "
                                    f"({previous.rows_loaded} rows replaced by {entry.rows_loaded})")
        if entry.rows_quarantined:
            rows = "row" if entry.rows_quarantined == 1 else "rows"
            summary.messages.append(f"{entry.file_name}: {entry.rows_quarantined} {rows} quarantined")
        summary.messages.extend(parsed.notes)
        return entry

    def _commit(self, work: Callable[[], None]) -> None:
        in_transaction(self.con, work)

    def _rollback(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass  # no transaction open


def _kept(entry: RegistryEntry) -> str:
    if not entry.loaded_sha256 or not entry.rows_loaded:
        return ""
    return f"; the {entry.rows_loaded:,} rows of the version loaded before are kept"
