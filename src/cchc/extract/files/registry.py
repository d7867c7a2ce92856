"""The file registry (raw_meta.file_registry): which version of each source file was
loaded or rejected, so a file loads once, an unchanged file is skipped and a changed one
reloads. Also which files belong to which source."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType

import duckdb

from ..raw import FILE_REGISTRY, META_SCHEMA
from . import papi, par, sipas, treasury

# Each source module provides FOLDER, PATTERN (file name), EXPECTED_NAME, TABLE and
# parse(data, file_name, match, units) -> ParsedFile. Looked up at call time.
SOURCES: dict[str, ModuleType] = {"treasury": treasury, "sipas": sipas, "par": par, "papi": papi}

REGISTRY_TABLE = f"{META_SCHEMA}.{FILE_REGISTRY.name}"


@dataclass
class RegistryEntry:
    source: str
    file_name: str
    sha256: str
    size_bytes: int
    status: str                 # loaded | rejected
    rows_loaded: int
    rows_quarantined: int
    load_id: str
    loaded_at: datetime
    message: str | None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(drop_dir: Path, source: ModuleType) -> list[Path]:
    """The source's files in its folder, in name order; hidden and temporary files (a
    file being written, Excel's '~$' lock files) are not files yet."""
    folder = drop_dir / source.FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".tmp"))


def current_entries(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, RegistryEntry]:
    rows = con.execute(f"SELECT * FROM {REGISTRY_TABLE} WHERE source = ?", [source]).fetchall()
    return {r[1]: RegistryEntry(*r) for r in rows}


def record(con: duckdb.DuckDBPyConnection, entry: RegistryEntry) -> None:
    """Replace the file's registry row (call inside the file's transaction)."""
    placeholders = ", ".join("?" for _ in FILE_REGISTRY.columns)
    con.execute(f"INSERT OR REPLACE INTO {REGISTRY_TABLE} VALUES ({placeholders})", list(astuple(entry)))
