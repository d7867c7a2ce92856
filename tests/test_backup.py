"""`cchc backup` and `cchc restore` on real files: a DuckDB warehouse, a snapshot made by
`publish`, the metadata databases in SQLite (the demo) and in a real PostgreSQL server (the
deployment), restored into an emptied installation and compared with what was backed up."""

from __future__ import annotations

import filecmp
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from glob import glob
from pathlib import Path

import duckdb
import pytest
from conftest import free_port_in

from cchc import cli
from cchc.credentials import SECRETS
from cchc.publish import publish

LOCATIONS = ("CCHC_WAREHOUSE", "CCHC_SERVING_DIR", "CCHC_AIRFLOW_HOME", "CCHC_SUPERSET_HOME",
             "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "CCHC_SUPERSET_DATABASE_URI")


# ---------------------------------------------------------------- a small installation

def _make_warehouse(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(duckdb.connect(str(path))) as con:
        con.execute("CREATE SCHEMA raw; CREATE SCHEMA marts; CREATE SCHEMA reporting")
        con.execute("CREATE TABLE raw.oss_dossiers AS SELECT range AS id, 'HS-' || range AS code FROM range(500)")
        con.execute("CREATE TABLE marts.fct_unit_month AS SELECT range % 7 AS unit, count(*) AS dossiers "
                    "FROM range(1000) GROUP BY ALL")
        con.execute("COMMENT ON TABLE marts.fct_unit_month IS 'Hồ sơ theo đơn vị và tháng'")
        con.execute("CREATE VIEW reporting.v_units AS SELECT unit, dossiers FROM marts.fct_unit_month")


def _make_sqlite(path: Path, tables: dict[str, tuple[str, list[tuple]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA journal_mode=WAL")  # as Airflow's and Superset's
        for table, (columns, rows) in tables.items():
            con.execute(f"CREATE TABLE {table} ({columns})")
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        con.commit()


# Airflow's and Superset's tables that the reports count, and their schema revisions.
AIRFLOW_ROWS = {"alembic_version": ("version_num", [("d2f4e1b3c5a7",)]),
                "dag_run": ("id, dag_id, run_id, state",
                            [(i, "cchc_nightly", f"scheduled__2026-11-{i:02d}", "success") for i in range(1, 4)]),
                "task_instance": ("id, task_id, state", [(i, "dbt_build", "success") for i in range(1, 4)])}
SUPERSET_ROWS = {"alembic_version": ("version_num", [("4b2a8c9d3e1f",)]),
                 "dashboards": ("id, dashboard_title", [(1, "Tổng quan CCHC"), (2, "Xếp hạng đơn vị")]),
                 "slices": ("id, slice_name", [(i, f"chart {i}") for i in range(5)]),
                 "ab_user": ("id, username, password", [(1, "admin", "pbkdf2:sha256:600000$salt$hash")])}


@pytest.fixture()
def data(tmp_path, monkeypatch) -> Path:
    """A data folder as the demo leaves it; the environment points cchc at it."""
    data = tmp_path / "data"
    warehouse = data / "warehouse" / "cchc.duckdb"
    _make_warehouse(warehouse)
    publish(warehouse, data / "serving", label="manual")
    _make_sqlite(data / "airflow" / "airflow.db", AIRFLOW_ROWS)
    _make_sqlite(data / "superset" / "superset.db", SUPERSET_ROWS)
    for name in LOCATIONS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CCHC_DATA_DIR", str(data))
    return data


def duckdb_content(path: Path) -> dict:
    with closing(duckdb.connect(str(path), read_only=True)) as con:
        return {(schema, table, comment): sorted(con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
                for schema, table, comment in con.execute(
                    "SELECT schema_name, table_name, comment FROM duckdb_tables() ORDER BY ALL").fetchall()}


def sqlite_content(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as con:
        return list(con.iterdump())


def content(data: Path) -> dict:
    return {"warehouse": duckdb_content(data / "warehouse" / "cchc.duckdb"),
            "serving": (os.readlink(data / "serving" / "cchc.duckdb"), duckdb_content(data / "serving" / "cchc.duckdb")),
            "airflow": sqlite_content(data / "airflow" / "airflow.db"),
            "superset": sqlite_content(data / "superset" / "superset.db")}


def run(capsys, *args: str) -> tuple[int, str]:
    status = cli.main(list(args))
    out = capsys.readouterr()
    return status, out.out + out.err


def take_backup(capsys, dest: Path) -> Path:
    status, output = run(capsys, "backup", str(dest))
    assert status == 0, output
    (folder,) = dest.iterdir()
    assert output.strip().endswith(f"backup written to {folder}")
    return folder


# ---------------------------------------------------------------- SQLite metadata (the demo)

def test_backup_then_restore_brings_back_the_same_content(data, tmp_path, capsys):
    before = content(data)
    folder = take_backup(capsys, tmp_path / "backups")

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "cchc-backup" and manifest["version"] == 1
    assert manifest["created"].endswith("+07:00")  # Asia/Ho_Chi_Minh
    assert {"cchc", "duckdb", "python"} <= set(manifest["versions"])
    parts = manifest["parts"]
    assert parts["airflow"]["rows"] == {"dag_run": 3, "task_instance": 3}
    assert parts["airflow"]["versions"]["alembic"] == "d2f4e1b3c5a7"
    assert parts["superset"]["rows"] == {"dashboards": 2, "slices": 5, "ab_user": 1}
    assert parts["serving"]["file"] == os.path.basename(before["serving"][0])
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json", *(p["file"] for p in parts.values())])
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}

    shutil.rmtree(data)  # everything lost
    status, output = run(capsys, "restore", str(folder))
    assert status == 0, output
    for what in ("warehouse:", "serving snapshot:", "Airflow metadata:", "Superset metadata:"):
        assert f"restored {what}" in output
    assert "3 dag_run" in output and "2 dashboards" in output
    assert content(data) == before
    assert (data / "serving" / "cchc.duckdb").is_symlink()


def test_restore_refuses_a_non_empty_target_unless_forced(data, tmp_path, capsys):
    folder = take_backup(capsys, tmp_path / "backups")
    before = content(data)
    with closing(duckdb.connect(str(data / "warehouse" / "cchc.duckdb"))) as con:
        con.execute("DELETE FROM raw.oss_dossiers WHERE id < 100")
    changed = content(data)

    status, output = run(capsys, "restore", str(folder))
    assert status == 2
    for target in ("warehouse", "serving link", "Airflow metadata", "Superset metadata"):
        assert target in output
    assert "--force" in output
    assert content(data) == changed  # nothing touched

    status, output = run(capsys, "restore", str(folder), "--force")
    assert status == 0, output
    assert content(data) == before


def test_the_warehouse_is_copied_only_when_no_writer_holds_it(data, tmp_path, capsys):
    warehouse = data / "warehouse" / "cchc.duckdb"
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); "
                               "sys.stdin.read()", str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    try:
        assert writer.stdout.readline() == "open\n"
        started = time.monotonic()
        status, output = run(capsys, "backup", str(tmp_path / "backups"), "--wait", "1")
        assert status == 2 and "is in use by another process" in output and str(warehouse) in output
        assert time.monotonic() - started >= 1
        assert list((tmp_path / "backups").iterdir()) == []  # no partial backup left
    finally:
        writer.communicate("")
    # A writer that died without closing leaves a WAL: its commits are in the backup.
    subprocess.run([sys.executable, "-c", "import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
                    "con.execute('INSERT INTO raw.oss_dossiers VALUES (9999, ?)', ['HS-late']); os._exit(0)",
                    str(warehouse)], check=True)
    assert warehouse.with_name("cchc.duckdb.wal").exists()
    folder = take_backup(capsys, tmp_path / "backups")
    with closing(duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)) as con:
        assert con.execute("SELECT code FROM raw.oss_dossiers WHERE id = 9999").fetchall() == [("HS-late",)]
    assert not (folder / "warehouse.duckdb.wal").exists()


def _flip_byte(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))


def _edit_manifest(change):
    def edit(folder: Path) -> None:
        path = folder / "manifest.json"
        manifest = json.loads(path.read_text())
        change(manifest)
        path.write_text(json.dumps(manifest))
    return edit


DAMAGE = {
    "changed byte": (lambda f: _flip_byte(f / "warehouse.duckdb"),
                     ["warehouse.duckdb: SHA-256 differs from field 'parts.warehouse.sha256'"]),
    "truncated file": (lambda f: os.truncate(f / "airflow.sqlite", 1024),
                       ["airflow.sqlite has 1,024 bytes, field 'parts.airflow.bytes'"]),
    "missing file": (lambda f: (f / "superset.sqlite").unlink(),
                     ["superset.sqlite is missing (field 'parts.superset.file'"]),
    "no manifest": (lambda f: (f / "manifest.json").unlink(), ["manifest.json is missing", "did not finish"]),
    "other version": (_edit_manifest(lambda m: m.update(version=2)), ["field 'version' is 2", "reads version 1"]),
    "missing field": (_edit_manifest(lambda m: m["parts"]["serving"].pop("sha256")),
                      ["field 'parts.serving.sha256': Field required"]),
    "path outside": (_edit_manifest(lambda m: m["parts"]["airflow"].update(file="../airflow.sqlite")),
                     ["field 'parts.airflow.file': String should match pattern"]),
    "not json": (lambda f: (f / "manifest.json").write_text("{"), ["manifest.json: not valid JSON"]),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_or_partial_backup_is_refused_before_anything_is_restored(data, tmp_path, capsys, damage):
    folder = take_backup(capsys, tmp_path / "backups")
    shutil.rmtree(data)
    change, messages = DAMAGE[damage]
    change(folder)
    status, output = run(capsys, "restore", str(folder))
    assert status == 2
    for message in messages:
        assert message in output
    assert output.count("\n") == 1 and "Traceback" not in output
    assert not data.exists()


def test_bad_input_is_named(data, tmp_path, capsys, monkeypatch):
    status, output = run(capsys, "restore", str(tmp_path / "nowhere"))
    assert (status, output) == (2, f"error: backup folder {tmp_path / 'nowhere'} does not exist\n")

    folder = take_backup(capsys, tmp_path / "earlier")
    shutil.rmtree(data)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://airflow:x@127.0.0.1:17599/airflow")
    status, output = run(capsys, "restore", str(folder))
    assert status == 2 and ("Airflow metadata: the backup holds a sqlite database, the target "
                            "($AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) is postgresql") in output
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "mysql://airflow@127.0.0.1/airflow")
    status, output = run(capsys, "restore", str(folder))
    assert status == 2 and "$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN names a mysql database" in output
    assert not data.exists()

    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    assert run(capsys, "restore", str(folder))[0] == 0
    (data / "superset" / "superset.db").unlink()
    status, output = run(capsys, "backup", str(tmp_path / "backups"))
    assert status == 2
    assert f"Superset metadata: {data / 'superset' / 'superset.db'} does not exist ($CCHC_SUPERSET_DATABASE_URI)" \
        in output
    assert list((tmp_path / "backups").iterdir()) == []


def _runs(settings) -> list[dict]:
    from cchc.orchestration import runtime

    output = runtime.airflow(settings, "dags", "list-runs", "cchc_nightly", "--output", "json").stdout
    return json.loads(output[output.index("[{"):])


@pytest.mark.slow
def test_the_demo_restored_elsewhere_keeps_its_run_history_dashboards_and_data(demo_run, tmp_path, capsys,
                                                                              monkeypatch):
    """Real schemas: the session's demo (a green nightly run, Superset provisioned), backed
    up and restored into another data folder, read back through Airflow's own CLI."""
    from cchc.settings import load_settings

    source = Path(demo_run[0]["CCHC_DATA_DIR"])
    for name in LOCATIONS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CCHC_DATA_DIR", str(source))
    history = _runs(load_settings())
    folder = take_backup(capsys, tmp_path / "backups")

    restored = tmp_path / "restored"
    monkeypatch.setenv("CCHC_DATA_DIR", str(restored))
    status, output = run(capsys, "restore", str(folder))
    assert status == 0, output
    assert history and history[0]["state"] == "success"
    assert _runs(load_settings()) == history
    assert sqlite_content(restored / "superset" / "superset.db") == sqlite_content(source / "superset" / "superset.db")
    assert filecmp.cmp(restored / "serving" / "cchc.duckdb", source / "serving" / "cchc.duckdb", shallow=False)
    count = "SELECT count(*), count(DISTINCT dossier_id) FROM raw_oss.dossiers"
    with closing(duckdb.connect(str(source / "warehouse" / "cchc.duckdb"), read_only=True)) as con:
        expected = con.execute(count).fetchall()
    with closing(duckdb.connect(str(restored / "warehouse" / "cchc.duckdb"), read_only=True)) as con:
        assert con.execute(count).fetchall() == expected


# ---------------------------------------------------------------- PostgreSQL metadata (the deployment)

PG_BIN = sorted(glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
PG_TABLES = {"airflow": AIRFLOW_ROWS, "superset": SUPERSET_ROWS}


class Postgres:
    """A throwaway PostgreSQL server on 127.0.0.1 (as `nobody` when the tests run as root:
    the server refuses root)."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="cchc-pg-"))
        self.port = free_port_in(range(17500, 17600))
        self.superuser_password = "pg-super-Wq8tZ"
        self.account = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            self.account = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        pwfile = self.root / "pw"
        pwfile.write_text(self.superuser_password)
        if self.account:
            os.chown(pwfile, self.account["user"], self.account["group"])
        bin_dir = Path(PG_BIN[-1])
        subprocess.run([bin_dir / "initdb", "-D", self.root / "data", "-U", "postgres", f"--pwfile={pwfile}",
                        "--auth=scram-sha-256", "--no-locale", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, **self.account)
        self.log = open(self.root / "server.log", "wb")
        self.process = subprocess.Popen(
            [bin_dir / "postgres", "-D", self.root / "data", "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", "unix_socket_directories=", "-c", "fsync=off"], stdout=self.log, stderr=subprocess.STDOUT,
            **self.account)
        deadline = time.monotonic() + 60
        while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode != 0:
            assert self.process.poll() is None and time.monotonic() < deadline, (self.root / "server.log").read_text()
            time.sleep(0.2)

    def url(self, user: str, password: str, database: str) -> str:
        return f"postgresql+psycopg2://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, *, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        env = {**os.environ, "PGPASSWORD": password or self.superuser_password}
        return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", user, "-d", database, "-c", sql], env=env, check=True, capture_output=True,
                              text=True).stdout

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _pg_content(server: Postgres, name: str, password: str) -> dict[str, str]:
    return {table: server.psql(f"SELECT * FROM {table} ORDER BY 1", database=name, user=name, password=password)
            for table in PG_TABLES[name]}


@pytest.mark.skipif(not PG_BIN or not shutil.which("pg_dump"), reason="needs Debian's postgresql")
def test_postgresql_metadata_round_trip_without_a_password_in_sight(data, tmp_path, capsys, monkeypatch):
    server = Postgres()
    try:
        passwords = {name: f"{name}-Pw-7hXq2mNc" for name in PG_TABLES}
        for name, tables in PG_TABLES.items():
            server.psql(f"CREATE ROLE {name} LOGIN PASSWORD '{passwords[name]}'")
            server.psql(f"CREATE DATABASE {name} OWNER {name}")
            for table, (columns, rows) in tables.items():
                columns = ", ".join(f"{c} text" for c in columns.split(", "))
                values = ", ".join("(" + ", ".join(f"'{v}'" for v in row) + ")" for row in rows)
                server.psql(f"CREATE TABLE {table} ({columns}); INSERT INTO {table} VALUES {values}",
                            database=name, user=name, password=passwords[name])
        monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", server.url("airflow", passwords["airflow"], "airflow"))
        monkeypatch.setenv("CCHC_SUPERSET_DATABASE_URI", server.url("superset", passwords["superset"], "superset"))
        before = {name: _pg_content(server, name, passwords[name]) for name in PG_TABLES}

        status, output = run(capsys, "backup", str(tmp_path / "backups"))
        assert status == 0, output
        (folder,) = (tmp_path / "backups").iterdir()
        manifest = (folder / "manifest.json").read_text()
        parts = json.loads(manifest)["parts"]
        assert parts["airflow"]["kind"] == "postgresql" and parts["airflow"]["file"] == "airflow.pgdump"
        assert parts["airflow"]["source"] == f"postgresql+psycopg2://airflow@127.0.0.1:{server.port}/airflow"
        assert parts["superset"]["rows"] == {"dashboards": 2, "slices": 5, "ab_user": 1}
        assert "pg_dump" in parts["superset"]["versions"] and "server" in parts["superset"]["versions"]

        # `docker compose down -v`, then the init script's empty databases
        shutil.rmtree(data)
        for name in PG_TABLES:
            server.psql(f"DROP DATABASE {name}")
            server.psql(f"CREATE DATABASE {name} OWNER {name}")
        status, restored = run(capsys, "restore", str(folder))
        assert status == 0, restored
        assert "restored Airflow metadata: postgresql+psycopg2://airflow@127.0.0.1" in restored
        assert {name: _pg_content(server, name, passwords[name]) for name in PG_TABLES} == before

        # Restored again over itself: refused, then replaced with --force (pg_restore --clean).
        status, refused = run(capsys, "restore", str(folder))
        assert status == 2 and "Airflow metadata postgresql+psycopg2://airflow@127.0.0.1" in refused
        server.psql("DELETE FROM dag_run", database="airflow", user="airflow", password=passwords["airflow"])
        status, forced = run(capsys, "restore", str(folder), "--force")
        assert status == 0, forced
        assert {name: _pg_content(server, name, passwords[name]) for name in PG_TABLES} == before

        for text in (manifest, output, restored, refused, forced):
            for secret in (*passwords.values(), server.superuser_password):
                assert secret not in text
    finally:
        server.stop()


def test_no_secret_reaches_the_manifest_or_the_output(data, tmp_path, capsys, monkeypatch):
    values = {name: f"{name.lower()}-value-4Kp9sQ2x" for name in SECRETS}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CCHC_SUPERSET_DATABASE_URI",
                       f"sqlite:///{data / 'superset' / 'superset.db'}?check_same_thread=false&key={values['CCHC_PII_KEY']}")
    status, output = run(capsys, "backup", str(tmp_path / "backups"))
    assert status == 0, output
    (folder,) = (tmp_path / "backups").iterdir()
    text = output + (folder / "manifest.json").read_text()
    for value in (*values.values(), *(s.demo_value for s in SECRETS.values())):
        assert value not in text
