"""Backup and restore of what one night of the pipeline cannot rebuild: the build warehouse
(history, the file drops' registry, dlt's state), the serving snapshot the dashboards read,
and the metadata databases of Airflow (run history) and Superset (dashboards, users, roles).

A backup is one folder, ``cchc-backup-<local time>``, written under a hidden temporary name
and renamed once complete: one file per part and ``manifest.json`` (sizes, SHA-256,
versions, where each part came from; never a password). Restore checks every file against
the manifest before it touches anything.

- warehouse: copied while this process holds DuckDB's shared (read-only) lock on the file,
  which every writer (extract, dbt, validate, publish: one at a time through the Airflow
  pool) must take exclusively: no step can write during the copy, and a backup started
  while one writes waits for it.
- serving snapshot: never written again once published; restored beside any others and
  made current by publishing's own atomic link switch.
- metadata: SQLite through its online backup API (consistent while the services run);
  PostgreSQL with pg_dump's custom format and pg_restore, the password in the child's
  environment (PGPASSWORD), never on a command line or in a message.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import duckdb
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.engine import URL, make_url

from .publish import SNAPSHOT_PATTERN, current_snapshot, fsync, switch_serving_link
from .settings import TIME_ZONE, Settings, private_dir

MANIFEST = "manifest.json"
FORMAT = "cchc-backup"
VERSION = 1  # of the manifest and folder layout; restore reads only this version
WAREHOUSE_FILE = "warehouse.duckdb"
PG_TIMEOUT = 3600


class BackupError(RuntimeError):
    """A backup could not be taken, or a backup folder cannot be restored (the message
    names the file and, for the manifest, the field)."""


class Part(BaseModel):
    file: str = Field(pattern=r"^[\w-][\w.-]*$")  # a plain name inside the backup folder
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    kind: Literal["duckdb", "sqlite", "postgresql"]
    source: str                         # path or URL without password or query
    rows: dict[str, int] = {}           # what it holds, for the reports: tables, dag runs, dashboards
    versions: dict[str, str] = {}       # schema revision, server and pg_dump versions


class Parts(BaseModel):
    warehouse: Part
    serving: Part
    airflow: Part
    superset: Part


class Manifest(BaseModel):
    format: Literal["cchc-backup"]
    version: int
    created: datetime
    versions: dict[str, str]
    parts: Parts


@dataclass
class Outcome:
    folder: Path
    manifest: Manifest
    lines: list[str]


# ---------------------------------------------------------------- files

@contextmanager
def _about(what: str) -> Iterator[None]:
    """A database's or the file system's error as one line naming the part."""
    try:
        yield
    except (sqlite3.Error, duckdb.Error, OSError) as exc:
        raise BackupError(f"{what}: {exc}") from None


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _part(path: Path, kind: str, source: str, rows: dict[str, int], versions: dict[str, str] | None = None) -> Part:
    return Part(file=path.name, bytes=path.stat().st_size, sha256=_sha256(path), kind=kind, source=source,
                rows=rows, versions=versions or {})


def _replace_file(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` atomically (a temporary file beside it, then a rename)."""
    tmp = target.with_name(f".{target.name}.restore-{os.getpid()}")
    try:
        shutil.copyfile(source, tmp)
        fsync(tmp)
        os.replace(tmp, target)
        fsync(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {what}" for what, n in rows.items())


# ---------------------------------------------------------------- DuckDB: warehouse and snapshot

def _duckdb_tables(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()").fetchone()[0]


def _open_when_unlocked(path: Path, wait: float, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to ``wait`` seconds for a writer to let go of it."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise BackupError(f"the warehouse {path} is in use by another process (a pipeline step writing it, "
                                  f"waited {wait:.0f} s): try again after the nightly run") from None
            time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


def _backup_warehouse(warehouse: Path, folder: Path, wait: float) -> Part:
    if not warehouse.is_file():
        raise BackupError(f"the warehouse {warehouse} does not exist")
    dest = folder / WAREHOUSE_FILE
    with closing(_open_when_unlocked(warehouse, wait, read_only=True)) as con:
        tables = _duckdb_tables(con)
        shutil.copyfile(warehouse, dest)
        wal = warehouse.with_name(warehouse.name + ".wal")  # left by a writer that did not close
        if wal.exists():
            shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))
    # Fold any WAL into the copy: one self-contained file.
    with closing(duckdb.connect(str(dest))) as con:
        con.execute("CHECKPOINT")
    return _part(dest, "duckdb", str(warehouse), {"tables": tables})


def _backup_snapshot(serving_dir: Path, folder: Path) -> Part:
    snapshot = current_snapshot(serving_dir)
    if snapshot is None:
        raise BackupError(f"no serving snapshot: {serving_dir / 'cchc.duckdb'} does not point at one "
                          "(nothing published yet?)")
    dest = folder / snapshot.name
    shutil.copyfile(snapshot, dest)
    with closing(duckdb.connect(str(dest), read_only=True)) as con:
        tables = _duckdb_tables(con)
    return _part(dest, "duckdb", str(snapshot), {"tables": tables})


def _warehouse_in_place(warehouse: Path) -> str | None:
    if warehouse.exists() and warehouse.stat().st_size > 0:
        return f"the warehouse {warehouse} exists"
    return None


def _restore_warehouse(part: Part, folder: Path, warehouse: Path) -> str:
    private_dir(warehouse.parent)
    if warehouse.exists():
        # Refuse while a pipeline step has it open; closing it also folds its WAL back,
        # so no stale WAL is left beside the restored file.
        try:
            with closing(_open_when_unlocked(warehouse, 0, read_only=False)):
                pass
        except duckdb.Error:
            pass  # not a DuckDB file that opens: replaced all the same (--force)
    _replace_file(folder / part.file, warehouse)
    return f"warehouse: {warehouse} ({_size(part.bytes)}, {_rows(part.rows)})"


def _serving_in_place(serving_dir: Path) -> str | None:
    link = serving_dir / "cchc.duckdb"
    return f"the serving link {link} exists" if link.is_symlink() or link.exists() else None


def _restore_snapshot(part: Part, folder: Path, serving_dir: Path) -> str:
    snapshots = serving_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    target = snapshots / part.file
    if not (target.exists() and _sha256(target) == part.sha256):
        _replace_file(folder / part.file, target)
    switch_serving_link(serving_dir, target)
    return f"serving snapshot: {target.name} ({_rows(part.rows)}), now {serving_dir / 'cchc.duckdb'}"


# ---------------------------------------------------------------- metadata databases

def _public(url: URL) -> str:
    """The URL as the manifest and messages show it: no password, no query."""
    return URL.create(url.drivername, url.username, None, url.host, url.port,
                      url.database).render_as_string(hide_password=False)


class _Sqlite:
    kind = "sqlite"
    suffix = "sqlite"

    def __init__(self, url: URL):
        self.path = Path(url.database or "")
        self.display = str(self.path)

    def _connect(self, path: Path | None = None, *, read_only: bool = True) -> sqlite3.Connection:
        path = path or self.path
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True) if read_only else sqlite3.connect(path)

    def exists(self) -> bool:
        return self.path.is_file()

    def query(self, sql: str) -> list[tuple]:
        with closing(self._connect()) as con:
            return con.execute(sql).fetchall()

    def tables(self) -> set[str]:
        if not self.exists():
            return set()
        return {name for (name,) in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def versions(self) -> dict[str, str]:
        return {"sqlite": sqlite3.sqlite_version}

    def dump(self, dest: Path) -> None:
        with closing(self._connect()) as source, closing(sqlite3.connect(dest)) as copy:
            source.backup(copy)

    def load(self, file: Path) -> None:
        private_dir(self.path.parent)
        with closing(self._connect(file)) as source, closing(self._connect(read_only=False)) as target:
            source.backup(target)


class _Postgres:
    kind = "postgresql"
    suffix = "pgdump"

    def __init__(self, url: URL):
        self.url = url
        self.display = _public(url)

    def _env(self) -> dict[str, str]:
        url = self.url
        env = {**os.environ, "PGDATABASE": url.database or "", "PGCONNECT_TIMEOUT": "15"}
        for name, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGSSLMODE", url.query.get("sslmode"))):
            if value:
                env[name] = str(value)
        return env

    def _run(self, *args: str) -> str:
        try:
            proc = subprocess.run(args, env=self._env(), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=PG_TIMEOUT)
        except FileNotFoundError:
            raise BackupError(f"{args[0]} not found: install PostgreSQL's client programs "
                              "(Debian package postgresql-client)") from None
        if proc.returncode != 0:
            message = proc.stderr.strip()
            if self.url.password:
                message = message.replace(self.url.password, "***")
            raise BackupError(f"{args[0]} failed on {self.display}: {message}")
        return proc.stdout

    def exists(self) -> bool:
        return True  # the server says otherwise when asked

    def query(self, sql: str) -> list[tuple]:
        out = self._run("psql", "--no-psqlrc", "--tuples-only", "--no-align", "--field-separator=\t",
                        "--set=ON_ERROR_STOP=1", "--command", sql)
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def tables(self) -> set[str]:
        return {name for (name,) in self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")}

    def versions(self) -> dict[str, str]:
        return {"server": self.query("SHOW server_version")[0][0],
                "pg_dump": self._run("pg_dump", "--version").strip()}

    def dump(self, dest: Path) -> None:
        self._run("pg_dump", "--format=custom", f"--file={dest}")

    def load(self, file: Path) -> None:
        # One transaction: a failed restore leaves the database as it was. No owners or
        # grants: the objects belong to the user restoring, the database's own user.
        self._run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  f"--dbname={self.url.database}", str(file))


@dataclass(frozen=True)
class MetadataDb:
    part: str
    label: str
    variable: str                           # environment variable of its SQLAlchemy URL
    default: Callable[[Settings], str]      # the demo's SQLite file
    counted: tuple[str, ...]                # tables whose rows the reports give

    def url(self, settings: Settings) -> URL:
        return make_url(os.environ.get(self.variable) or self.default(settings))

    def open(self, settings: Settings) -> _Sqlite | _Postgres:
        url = self.url(settings)
        backend = url.get_backend_name()
        if backend == "sqlite":
            return _Sqlite(url)
        if backend == "postgresql":
            return _Postgres(url)
        raise BackupError(f"{self.label}: ${self.variable} names a {backend} database; "
                          "backup handles SQLite and PostgreSQL")

    def summary(self, db: _Sqlite | _Postgres) -> tuple[dict[str, int], dict[str, str]]:
        tables = db.tables()
        rows = {t: int(db.query(f'SELECT count(*) FROM "{t}"')[0][0]) for t in self.counted if t in tables}
        versions = db.versions()
        if "alembic_version" in tables:
            versions["alembic"] = ",".join(v for (v,) in db.query("SELECT version_num FROM alembic_version"))
        return rows, versions

    def backup(self, settings: Settings, folder: Path) -> Part:
        db = self.open(settings)
        if not db.exists():
            raise BackupError(f"{self.label}: {db.display} does not exist (${self.variable})")
        dest = folder / f"{self.part}.{db.suffix}"
        rows, versions = self.summary(db)
        db.dump(dest)
        return _part(dest, db.kind, db.display, rows, versions)

    def in_place(self, settings: Settings) -> str | None:
        db = self.open(settings)
        return f"{self.label} {db.display} has tables" if db.tables() else None

    def restore(self, settings: Settings, part: Part, folder: Path) -> str:
        db = self.open(settings)
        db.load(folder / part.file)
        rows, versions = self.summary(db)
        return f"{self.label}: {db.display} ({_rows(rows) or 'no rows counted'}; schema {versions.get('alembic', '?')})"

    def check_kind(self, settings: Settings, part: Part) -> None:
        db = self.open(settings)
        if db.kind != part.kind:
            raise BackupError(f"{self.label}: the backup holds a {part.kind} database, the target "
                              f"(${self.variable}) is {db.kind}: restore into the same kind of database")


METADATA = (
    MetadataDb("airflow", "Airflow metadata", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
               lambda s: f"sqlite:///{s.airflow_home / 'airflow.db'}", ("dag_run", "task_instance")),
    MetadataDb("superset", "Superset metadata", "CCHC_SUPERSET_DATABASE_URI",
               lambda s: f"sqlite:///{s.superset_home / 'superset.db'}?check_same_thread=false",
               ("dashboards", "slices", "ab_user")),
)


# ---------------------------------------------------------------- backup

def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__}
    for dist in ("cchc", "apache-airflow", "dbt-core"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def backup(settings: Settings, dest: Path, *, wait: float = 600) -> Outcome:
    """Write a new backup folder under ``dest``; returns it, its manifest and a line per part."""
    created = datetime.now(ZoneInfo(TIME_ZONE)).replace(microsecond=0)
    folder = Path(dest) / f"cchc-backup-{created:%Y%m%dT%H%M%S}"
    if folder.exists():
        raise BackupError(f"{folder} already exists")
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    private_dir(partial)  # the warehouse's raw layer and the metadata's password hashes
    try:
        parts = {}
        with _about(f"warehouse {settings.warehouse_path}"):
            parts["warehouse"] = _backup_warehouse(settings.warehouse_path, partial, wait)
        with _about(f"serving snapshot in {settings.serving_dir}"):
            parts["serving"] = _backup_snapshot(settings.serving_dir, partial)
        for db in METADATA:
            with _about(db.label):
                parts[db.part] = db.backup(settings, partial)
        manifest = Manifest(format=FORMAT, version=VERSION, created=created, versions=_versions(),
                            parts=Parts(**parts))
        (partial / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
        for file in partial.iterdir():
            file.chmod(0o600)
            fsync(file)
        os.rename(partial, folder)
        fsync(folder.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    lines = [f"{name}: {part.file} ({_size(part.bytes)}; {_rows(part.rows) or 'no rows counted'}) from {part.source}"
             for name, part in manifest.parts]
    return Outcome(folder, manifest, lines)


# ---------------------------------------------------------------- restore

def read_manifest(folder: Path) -> Manifest:
    """The folder's manifest, after checking every file it lists (size and SHA-256)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BackupError(f"backup folder {folder} does not exist")
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup, or one that did not finish")
    try:
        raw = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{path}: field 'format' is {raw.get('format') if isinstance(raw, dict) else None!r}, "
                          f"not {FORMAT!r}")
    if raw.get("version") != VERSION:
        raise BackupError(f"{path}: field 'version' is {raw.get('version')!r}; this cchc reads version {VERSION}")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"field '{'.'.join(str(x) for x in e['loc'])}': {e['msg']}" for e in error.errors())
        raise BackupError(f"{path}: {problems}") from None
    if not SNAPSHOT_PATTERN.match(manifest.parts.serving.file):
        raise BackupError(f"{path}: field 'parts.serving.file' is not a snapshot's name: {manifest.parts.serving.file!r}")
    for name, part in manifest.parts:
        file = folder / part.file
        if not file.is_file():
            raise BackupError(f"{file} is missing (field 'parts.{name}.file' of {MANIFEST}): incomplete backup")
        if file.stat().st_size != part.bytes:
            raise BackupError(f"{file} has {file.stat().st_size:,} bytes, field 'parts.{name}.bytes' of {MANIFEST} "
                              f"says {part.bytes:,}: the file is truncated or was changed")
        if _sha256(file) != part.sha256:
            raise BackupError(f"{file}: SHA-256 differs from field 'parts.{name}.sha256' of {MANIFEST}: "
                              "the file is damaged or was changed after the backup")
    return manifest


def restore(settings: Settings, folder: Path, *, force: bool = False) -> list[str]:
    """Check the backup, then put back the warehouse, the serving snapshot and both metadata
    databases; without ``force``, refuse if any target already holds something. Returns a
    line per part restored."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    parts = manifest.parts
    for db in METADATA:
        db.check_kind(settings, getattr(parts, db.part))
    occupied = [p for p in (_warehouse_in_place(settings.warehouse_path), _serving_in_place(settings.serving_dir),
                            *(db.in_place(settings) for db in METADATA)) if p]
    if occupied and not force:
        raise BackupError("refusing to overwrite: " + "; ".join(occupied) + ". Restore into an empty installation, "
                          "or pass --force to replace them")
    lines = []
    with _about(f"warehouse {settings.warehouse_path}"):
        lines.append(_restore_warehouse(parts.warehouse, folder, settings.warehouse_path))
    with _about(f"serving snapshot in {settings.serving_dir}"):
        lines.append(_restore_snapshot(parts.serving, folder, settings.serving_dir))
    for db in METADATA:
        with _about(db.label):
            lines.append(db.restore(settings, getattr(parts, db.part), folder))
    return lines
