"""The operator's commands on one dropped file, each through the registry and its history:

- confirm   apply a held version (one that removes loaded rows), if the file in the drop
            folder is still that version (`cchc files confirm FILE`);
- retry     load a file again whatever its registry says: after a crash ('loading'), a
            rejection, a retraction (`cchc files retry FILE`);
- retract   remove a file's rows from raw_files and raw_meta.quarantine in one transaction
            (`cchc retract FILE --reason TEXT`); the file is not loaded again until it
            changes or is retried;
- status    the registry (`cchc files status`).
A FILE is named as in the registry ('treasury/KBNN_42_2024_03.xlsx'), by its path, or
by its bare name.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..raw import META_SCHEMA, QUARANTINE, in_transaction, local_now, new_load_id
from . import open_loader, open_warehouse
from .loader import FileLoadSummary, retry_hint
from .registry import SOURCES, RegistryEntry, SourceFile, current_entries, next_time, record


class FileActionError(ValueError):
    """The command cannot be done on this file (the message says why)."""


def resolve(drop_dir: Path, name: str) -> tuple[str, str]:
    """(source, registry file name) of a file named by its path, registry name or bare name."""
    path = Path(name)
    if path.exists():
        try:
            name = path.resolve().relative_to(Path(drop_dir).resolve()).as_posix()
        except ValueError:
            raise FileActionError(f"{name} is not in the drop folder {drop_dir}") from None
    name = name.replace("\\", "/").removeprefix("./")
    if "/" not in name:
        folders = [m.FOLDER for m in SOURCES.values() if m.PATTERN.fullmatch(name)]
        name = f"{folders[0]}/{name}" if folders else name
    for source, module in SOURCES.items():
        if name.startswith(module.FOLDER + "/"):
            return source, name
    raise FileActionError(f"{name}: not a file of a source folder ({', '.join(m.FOLDER for m in SOURCES.values())})")


def _entry(entries: dict[str, RegistryEntry], file_name: str) -> RegistryEntry:
    if file_name not in entries:
        raise FileActionError(f"{file_name}: not in raw_meta.file_registry (never seen by `cchc extract`)")
    return entries[file_name]


def _present(drop_dir: Path, file_name: str) -> Path:
    path = Path(drop_dir) / file_name
    if not path.is_file():
        raise FileActionError(f"{file_name}: not in the drop folder {drop_dir}")
    return path


def confirm(warehouse: Path, drop_dir: Path, name: str) -> tuple[RegistryEntry, FileLoadSummary]:
    """Apply the held version of a file."""
    source, file_name = resolve(drop_dir, name)
    with open_loader(warehouse, drop_dir) as loader:
        entry = _entry(current_entries(loader.con, source), file_name)
        if entry.status != "held":
            raise FileActionError(f"{file_name}: status '{entry.status}', not held: nothing to confirm")
        path = _present(drop_dir, file_name)
        if SourceFile.at(path, file_name).sha256 != entry.sha256:
            raise FileActionError(f"{file_name}: the file changed since it was held; the next `cchc extract "
                                  f"{source}` judges the new version")
        summary = FileLoadSummary(source)
        return loader.load(source, path, new_load_id(source, local_now()), summary, force=True, confirm=True), summary


def retry(warehouse: Path, drop_dir: Path, name: str) -> tuple[RegistryEntry, FileLoadSummary]:
    """Load a file again, judged like a new version (it may be held)."""
    source, file_name = resolve(drop_dir, name)
    with open_loader(warehouse, drop_dir) as loader:
        path = _present(drop_dir, file_name)
        load_id = new_load_id(source, local_now())
        previous = current_entries(loader.con, source).get(file_name)
        if previous:  # recorded as a change of its own: loaded_at moves on, the status stays until the load
            asked = replace(previous, load_id=load_id, loaded_at=next_time(previous),
                            message=f"{file_name}: retry asked (status was '{previous.status}'); {previous.message}")
            in_transaction(loader.con, lambda: record(loader.con, asked, "retried"))
        summary = FileLoadSummary(source)
        return loader.load(source, path, load_id, summary, force=True), summary


def retract(warehouse: Path, drop_dir: Path, name: str, reason: str | None) -> RegistryEntry:
    """Remove a file's rows and quarantine entries; registry status 'retracted'."""
    source, file_name = resolve(drop_dir, name)
    table = SOURCES[source].TABLE
    with open_warehouse(warehouse) as con:
        entry = _entry(current_entries(con, source), file_name)
        if entry.status == "retracted":
            raise FileActionError(f"{file_name}: already retracted ({entry.message})")
        at = next_time(entry)

        def remove() -> RegistryEntry:
            rows = con.execute(f"DELETE FROM {table.qualified} WHERE _source_file = ?", [file_name]).fetchone()[0]
            held = con.execute(f"DELETE FROM {META_SCHEMA}.{QUARANTINE.name} WHERE source = ? AND file_name = ?",
                               [source, file_name]).fetchone()[0]
            retracted = replace(entry, status="retracted", rows_loaded=0, rows_quarantined=0, loaded_sha256=None,
                                load_id=new_load_id(source, at), loaded_at=at, message=(
                                    f"{file_name}: retracted on {at:%d/%m/%Y %H:%M}: {reason or 'no reason given'} "
                                    f"({rows:,} rows and {held:,} quarantine entries removed); not loaded again "
                                    f"unless the file changes or {retry_hint(file_name)} is run"))
            record(con, retracted)
            return retracted

        return in_transaction(con, remove)


def status(warehouse: Path, source: str | None = None) -> list[RegistryEntry]:
    with open_warehouse(warehouse) as con:
        return list(current_entries(con, source).values())
