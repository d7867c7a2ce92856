"""The file registry (raw_meta.file_registry) and its audit trail (raw_meta.file_history):
which version of each source file is loaded, held, rejected or retracted, so that a file
loads once, an unchanged file is skipped and a changed one is judged again. Also which
files belong to which source, and a file's bytes read with their checksum.

Statuses of a registry row (the file's current state):
  loading    its registry row was committed before parsing; left behind only when the
             loader was killed on the file (the next run rejects it: no crash loop)
  loaded     the rows of version ``sha256`` are in raw_files
  rejected   version ``sha256`` is not the template (or crashed the loader); raw_files
             keeps the rows of ``loaded_sha256``, if any
  held       version ``sha256`` would remove loaded rows: not applied until
             `cchc files confirm`; raw_files keeps the rows of ``loaded_sha256``
  retracted  the file's rows were removed by `cchc retract`
History rows add the actions ``confirmed`` (a held version applied) and ``retried``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import duckdb

from ...settings import TIME_ZONE
from ..raw import FILE_HISTORY, FILE_REGISTRY, META_SCHEMA
from . import papi, par, sipas, treasury
from .parsing import TemplateError

# Each source module provides FOLDER, PATTERN (file name), EXPECTED_NAME, TABLE,
# period(match) -> (year, month | None) | None and parse(file, match, checks) -> ParsedFile.
SOURCES: dict[str, ModuleType] = {"treasury": treasury, "sipas": sipas, "par": par, "papi": papi}

REGISTRY_TABLE = f"{META_SCHEMA}.{FILE_REGISTRY.name}"
HISTORY_TABLE = f"{META_SCHEMA}.{FILE_HISTORY.name}"
STATUSES = ("loading", "loaded", "rejected", "held", "retracted")
ACTIONS = STATUSES + ("confirmed", "retried")
_CHUNK = 1 << 20


@dataclass
class RegistryEntry:
    source: str
    file_name: str
    sha256: str
    size_bytes: int
    status: str                 # one of STATUSES
    rows_loaded: int
    rows_quarantined: int
    load_id: str
    loaded_at: datetime
    message: str | None
    loaded_sha256: str | None = None


def current_entries(con: duckdb.DuckDBPyConnection, source: str | None = None) -> dict[str, RegistryEntry]:
    names = ", ".join(c.name for c in FILE_REGISTRY.columns)
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    rows = con.execute(f"SELECT {names} FROM {REGISTRY_TABLE} {where} ORDER BY source, file_name", params).fetchall()
    return {r[1]: RegistryEntry(*r) for r in rows}


def record(con: duckdb.DuckDBPyConnection, entry: RegistryEntry, action: str | None = None) -> None:
    """Replace the file's registry row and append the change to the history (``action``
    when it differs from the status: 'confirmed'). Call inside a transaction."""
    values = asdict(entry)
    names = [c.name for c in FILE_REGISTRY.columns]
    con.execute(f"INSERT OR REPLACE INTO {REGISTRY_TABLE} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [values[n] for n in names])
    record_history(con, entry, action or entry.status)


def record_history(con: duckdb.DuckDBPyConnection, entry: RegistryEntry, status: str) -> None:
    con.execute(f"INSERT INTO {HISTORY_TABLE} (source, file_name, sha256, status, rows_loaded, rows_quarantined, "
                "load_id, message, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [entry.source, entry.file_name, entry.sha256, status, entry.rows_loaded, entry.rows_quarantined,
                 entry.load_id, entry.message, entry.loaded_at])


def next_time(previous: RegistryEntry | None) -> datetime:
    """Now (local, to the microsecond), but always after the row's previous change:
    loaded_at increases with every action on a file (the nightly build compares it)."""
    now = datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None)
    return max(now, previous.loaded_at + timedelta(microseconds=1)) if previous else now


def discover(drop_dir: Path, source: ModuleType) -> list[Path]:
    """The source's files in its folder, in name order; hidden and temporary files (a
    file being written, Excel's '~$' lock files) are not files yet."""
    folder = drop_dir / source.FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".tmp"))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileChangedError(TemplateError):
    """The file's bytes changed between its checksum and its parsing (still being copied)."""


@dataclass
class SourceFile:
    """A dropped file: its name in the registry (path relative to the drop folder), size
    and checksum, and its bytes, read whole (workbooks) or line by line (CSVs, so that
    memory stays bounded). Reading checks that the bytes are those of the checksum."""

    name: str
    size: int
    sha256: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def at(cls, path: Path, name: str) -> SourceFile:
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return cls(name, size, digest.hexdigest(), path)

    @classmethod
    def of_bytes(cls, data: bytes, name: str) -> SourceFile:
        return cls(name, len(data), sha256_of(data), data=data)

    def read_bytes(self) -> bytes:
        data = self.data if self.data is not None else self.path.read_bytes()
        self._check(sha256_of(data))
        return data

    def lines(self) -> Iterator[bytes]:
        """The file's lines (split after b'\\n', kept), checked against the checksum at the end."""
        digest = hashlib.sha256()
        with (self.path.open("rb") if self.data is None else io.BytesIO(self.data)) as handle:
            for line in handle:
                digest.update(line)
                yield line
        self._check(digest.hexdigest())

    def _check(self, digest: str) -> None:
        if digest != self.sha256:
            raise FileChangedError(f"{self.name}: the file changed while it was being read (still being copied?); "
                                   "it is read again on the next run")

