"""Superset cannot be used to leave the published serving snapshot (issue #13): DuckDB's file
access and configuration are locked on every connection, whoever logs in and whatever an
admin saves; non-admins cannot create or test connections, upload files or run ad hoc
subqueries; production refuses the demo secrets and retires the demo users."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, run_superset_config
from sqlalchemy.engine import make_url
from test_superset import ADMIN_PASSWORD, DEMO_PASSWORD, admin  # noqa: F401 (the fixture)

from cchc.bi import lockdown
from cchc.bi.bundle import database_uri
from cchc.bi.client import SupersetClient
from cchc.bi.provision import DEMO_UNIT_KEY, DEMO_USERS, rls_name, unit_role_name
from cchc.credentials import InsecureConfigurationError

SQL_LAB_USERS = ("admin", "phantich")
LOGINS = ("admin", "lanhdao", "donvi", "phantich", "chatluong")
MARKER = "MARKER-CCCD-001234567890"
# What refuses: DuckDB's lock (file access, extensions, SET), its read-only mode, or
# SQL Lab's own DML guard.
REFUSALS = ("disabled by configuration", "disabled through configuration", "configuration has been locked",
            "read-only", "DML_NOT_ALLOWED")
STRONG = {"CCHC_SUPERSET_SECRET_KEY": "k" * 48, "CCHC_SUPERSET_PASSWORD": "a-strong-admin-password"}


def _password(username: str) -> str:
    return ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD


@pytest.fixture()
def other_duckdb(tmp_path) -> Path:
    """A real DuckDB file that is not the serving snapshot, like the build warehouse."""
    path = tmp_path / "build.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE applicants AS SELECT ? AS id_number, 'Nguyễn Văn A' AS full_name", [MARKER])
    con.close()
    return path


# --- the lock itself (no server) -------------------------------------------------------------

def test_the_lock_replaces_whatever_the_metadata_says(tmp_path, other_duckdb):
    serving = tmp_path / "serving.duckdb"
    duckdb.connect(str(serving)).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    # What an admin could save: the access switched back on, connect_args overriding the
    # file and duckdb-engine's URL config, an extension to preload.
    uri = make_url(f"duckdb:///{serving}?enable_external_access=true&access_mode=read_write")
    params = {"poolclass": object, "connect_args": {
        "database": str(other_duckdb), "url_config": {"enable_external_access": "true"}, "preload_extensions": ["httpfs"],
        "config": {"enable_external_access": True, "custom_user_agent": "Apache Superset"}}}
    locked, safe = lockdown.lock(uri, params, environ={"CCHC_SUPERSET_DUCKDB_MEMORY_LIMIT": "512MB"})
    assert dict(locked.query) == {**lockdown.DUCKDB_LOCK, "memory_limit": "512MB", "threads": "2",
                                  "max_temp_directory_size": "10GB"}
    assert safe == {"poolclass": object, "connect_args": {}}
    con = duckdb.connect(locked.database, config=dict(locked.query))  # what duckdb-engine does with the query
    # A second query at the same time (a chart while SQL Lab runs) gets the same instance.
    duckdb.connect(locked.database, config=dict(locked.query)).close()
    try:
        assert con.execute("SELECT x FROM t").fetchone() == (1,)
        for statement in (f"ATTACH '{other_duckdb}' AS o", "SELECT * FROM read_csv('/etc/passwd')",
                          f"COPY (SELECT 1) TO '{tmp_path / 'x.py'}'", "SET memory_limit = '100GB'"):
            with pytest.raises(duckdb.Error, match="|".join(REFUSALS)):
                con.execute(statement)
    finally:
        con.close()
    assert not (tmp_path / "x.py").exists()


def test_only_duckdb_on_the_serving_link_is_allowed(tmp_path):
    serving = str(tmp_path / "serving" / "cchc.duckdb")
    lockdown.check_uri(make_url(database_uri(serving)), serving)
    lockdown.check_uri(make_url(f"duckdb:///{tmp_path}/serving/../serving/cchc.duckdb"), serving)
    for refused in (f"duckdb:///{tmp_path}/build.duckdb", "duckdb:///:memory:", "duckdb:///md:cchc",
                    f"sqlite:///{tmp_path}/x.db", "postgresql://u:p@10.0.0.1/db"):
        with pytest.raises(lockdown.ForbiddenConnection, match="CCHC_SUPERSET_SERVING_PATH"):
            lockdown.check_uri(make_url(refused), serving)


def test_resource_limits_come_from_the_environment():
    assert lockdown.resource_limits({"CCHC_SUPERSET_DUCKDB_THREADS": "4"})["threads"] == "4"
    for variable, bad in (("CCHC_SUPERSET_DUCKDB_THREADS", "0"), ("CCHC_SUPERSET_DUCKDB_MEMORY_LIMIT", "lots"),
                          ("CCHC_SUPERSET_DUCKDB_TEMP_LIMIT", "1GB'; SET x=1")):
        with pytest.raises(lockdown.ForbiddenConnection, match=variable):
            lockdown.resource_limits({variable: bad})


def _import_superset_config(**env: str) -> subprocess.CompletedProcess:
    return run_superset_config(env)


def test_superset_config_refuses_demo_secrets_in_production():
    assert _import_superset_config().returncode == 0  # the demo needs no setup
    for variable in STRONG:
        for value in ("", "cchc-demo-secret-key-change-me" if "KEY" in variable else "admin", "short"):
            result = _import_superset_config(CCHC_ENV="production", **{**STRONG, variable: value})
            assert result.returncode != 0 and "InsecureConfigurationError" in result.stderr, result.stderr[-500:]
            assert variable in result.stderr.splitlines()[-1]
    result = _import_superset_config(CCHC_ENV="production", **STRONG)
    assert result.returncode == 0, result.stderr[-2000:]


def test_superset_server_refuses_demo_secrets_in_production(monkeypatch, settings):
    from cchc.bi.server import SupersetServer

    monkeypatch.setenv("CCHC_ENV", "production")
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CCHC_SUPERSET_SECRET_KEY", "cchc-demo-secret-key-change-me")
    with pytest.raises(InsecureConfigurationError, match="CCHC_SUPERSET_SECRET_KEY holds the public demo value"):
        SupersetServer(settings).env()
    monkeypatch.setenv("CCHC_SUPERSET_SECRET_KEY", STRONG["CCHC_SUPERSET_SECRET_KEY"])
    monkeypatch.delenv("CCHC_SUPERSET_PASSWORD")
    with pytest.raises(InsecureConfigurationError, match="CCHC_SUPERSET_PASSWORD is not set"):
        SupersetServer(settings).env()
    monkeypatch.setenv("CCHC_SUPERSET_PASSWORD", STRONG["CCHC_SUPERSET_PASSWORD"])
    monkeypatch.setenv("CCHC_PII_KEY", "p" * 40)
    env = SupersetServer(settings, serving_path=Path("/srv/serving/cchc.duckdb")).env()
    assert env["CCHC_SUPERSET_SECRET_KEY"] == STRONG["CCHC_SUPERSET_SECRET_KEY"]
    assert env[lockdown.SERVING_PATH_VARIABLE] == "/srv/serving/cchc.duckdb"
    assert "CCHC_PII_KEY" not in env  # Superset has no use for the platform's other secrets


# --- a real server ---------------------------------------------------------------------------

def _refused(response) -> bool:
    return response.status_code >= 400 and any(r in response.text for r in REFUSALS)


@pytest.mark.slow
@pytest.mark.parametrize("username", LOGINS)
def test_sql_lab_cannot_leave_the_serving_snapshot(superset_server, admin, username, other_duckdb, tmp_path):
    database_id = admin.list_all("database", ["id"])[0]["id"]
    client = SupersetClient(superset_server.url, username, _password(username))
    target = tmp_path / "x.py"
    # SQL Lab runs a script's statements on one connection: each escape is followed by what
    # it would give away.
    escapes = [f"ATTACH '{other_duckdb}' AS build (READ_ONLY); SELECT * FROM build.applicants",
               "SELECT * FROM read_csv('/etc/passwd')", f"COPY (SELECT 1 AS x) TO '{target}'",
               "INSTALL httpfs", "LOAD httpfs",
               "SET enable_external_access = true; SELECT * FROM read_text('/etc/passwd')"]
    for statement in escapes:
        response = client.sql(database_id, statement)
        if username in SQL_LAB_USERS:
            assert _refused(response), (statement, response.status_code, response.text[:500])
        else:
            assert response.status_code in (401, 403), (statement, response.status_code, response.text[:300])
        assert MARKER not in response.text and "root:" not in response.text
    assert not target.exists()
    normal = client.sql(database_id, "SELECT count(*) AS n FROM marts.dim_unit")
    if username in SQL_LAB_USERS:
        assert normal.status_code == 200 and normal.json()["data"][0]["n"] > 0, normal.text[:300]
    else:
        assert normal.status_code in (401, 403)


@pytest.mark.slow
def test_metadata_holds_the_locked_uri(superset_server, admin):
    database_id = admin.list_all("database", ["id"])[0]["id"]
    connection = admin.get(f"/api/v1/database/{database_id}/connection").json()["result"]
    assert connection["sqlalchemy_uri"] == database_uri(superset_server.serving_path)
    assert not any(connection[flag] for flag in ("allow_dml", "allow_ctas", "allow_cvas", "allow_file_upload"))


@pytest.mark.slow
def test_an_admin_cannot_unlock_the_connection(superset_server, admin, other_duckdb):
    """Everything an admin can save about the database is overridden at connect time; only
    editing superset_config.py on the server changes the lock."""
    database_id = admin.list_all("database", ["id"])[0]["id"]
    url = f"{superset_server.url}/api/v1/database/{database_id}"
    saved = admin.get(f"/api/v1/database/{database_id}/connection").json()["result"]
    unlocked = {"sqlalchemy_uri": f"duckdb:///{superset_server.serving_path}?enable_external_access=true",
                "allow_dml": True, "extra": json.dumps({"engine_params": {"connect_args": {
                    "database": str(other_duckdb), "url_config": {"enable_external_access": "true"},
                    "config": {"enable_external_access": True, "lock_configuration": False}}}})}
    try:
        assert admin.session.put(url, json=unlocked, timeout=60).ok
        for statement in ("SELECT * FROM read_csv('/etc/passwd')", "SET lock_configuration = false",
                          f"ATTACH '{other_duckdb}' AS build", "CREATE TABLE marts.admin_scratch AS SELECT 1 AS x"):
            response = admin.sql(database_id, statement)
            assert _refused(response) and "DML_NOT_ALLOWED" not in response.text, (statement, response.text[:500])
        still_serving = admin.sql(database_id, "SELECT count(*) AS n FROM marts.dim_unit")  # not build.duckdb
        assert still_serving.status_code == 200, still_serving.text[:300]
        # Another file or engine is refused when saved, tested or created.
        assert not admin.session.put(url, json={"sqlalchemy_uri": f"duckdb:///{other_duckdb}"}, timeout=60).ok
        for path in ("/api/v1/database/test_connection/", "/api/v1/database/"):
            response = admin.post(path, json={"database_name": "build", "sqlalchemy_uri": f"duckdb:///{other_duckdb}"})
            assert response.status_code >= 400 and "CCHC_SUPERSET_SERVING_PATH" in response.text, response.text[:300]
    finally:
        restored = admin.session.put(url, json={"sqlalchemy_uri": saved["sqlalchemy_uri"], "extra": saved["extra"],
                                                "allow_dml": False}, timeout=60)
        assert restored.ok, restored.text[:300]
    assert len(admin.list_all("database", ["id"])) == 1


@pytest.mark.slow
@pytest.mark.parametrize("username", ("lanhdao", "donvi", "phantich", "chatluong"))
def test_non_admins_cannot_open_other_connections(superset_server, admin, username, other_duckdb):
    database_id = admin.list_all("database", ["id"])[0]["id"]
    client = SupersetClient(superset_server.url, username, _password(username))
    connection = {"database_name": "build", "sqlalchemy_uri": f"duckdb:///{other_duckdb}"}
    attempts = [
        client.post("/api/v1/database/test_connection/", json=connection),
        client.post("/api/v1/database/", json=connection),
        client.post("/api/v1/database/validate_parameters/", json={
            "engine": "duckdb", "configuration_method": "dynamic_form", "parameters": {"database": str(other_duckdb)}}),
        client.session.put(f"{superset_server.url}/api/v1/database/{database_id}", json={"allow_dml": True},
                           timeout=60),
        client.post(f"/api/v1/database/{database_id}/upload/", data={"type": "csv", "table_name": "t", "schema": "marts"},
                    files={"file": ("t.csv", b"x\n1\n", "text/csv")}),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts), [r.text[:200] for r in attempts]


@pytest.mark.slow
def test_chart_sql_cannot_hold_a_subquery(superset_server, admin):
    """Users without SQL Lab still write SQL: a chart's ad hoc metrics and filters."""
    dataset_id = next(row["id"] for row in admin.list_all("dataset", ["id", "table_name"])
                      if row["table_name"] == "rpt_unit_rankings")
    leader = SupersetClient(superset_server.url, "lanhdao", DEMO_PASSWORD)

    def query(expression: str):
        return leader.post("/api/v1/chart/data", json={
            "datasource": {"id": dataset_id, "type": "table"}, "force": True, "result_format": "json",
            "result_type": "full", "queries": [{"columns": [], "row_limit": 10, "metrics": [
                {"expressionType": "SQL", "sqlExpression": expression, "label": "x"}]}]})

    assert query("count(*)").ok
    refused = query("(SELECT count(*) FROM read_csv('/etc/passwd'))")
    assert refused.status_code == 400 and "sub-queries" in refused.text, refused.text[:300]


@pytest.mark.slow
def test_production_provisioning_retires_demo_access(superset_server, settings, monkeypatch, tmp_path):
    """Production started on metadata an earlier demo run (of an earlier version) left: the
    demo users cannot log in any more and hold no role, the demo unit's role and RLS filter
    are gone, the admin has the production password and the database the locked URI. Runs
    provisioning only, on a copy of the test server's metadata (no second server)."""
    from cchc.bi.server import SupersetServer

    home = tmp_path / "superset"
    home.mkdir()
    metadata = home / "superset.db"
    live, copy = sqlite3.connect(superset_server.home / "superset.db"), sqlite3.connect(metadata)
    live.backup(copy)
    live.close()
    # The URI versions before issue #13 wrote: read-only, file access on.
    copy.execute("UPDATE dbs SET sqlalchemy_uri = ?", [f"duckdb:///{superset_server.serving_path}?access_mode=read_only"])
    copy.commit()
    copy.close()
    monkeypatch.setenv("CCHC_ENV", "production")
    monkeypatch.delenv("CCHC_SUPERSET_UNIT_KEYS", raising=False)
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    SupersetServer(settings, serving_path=superset_server.serving_path, home=home).provision()

    con = sqlite3.connect(metadata)
    try:
        users = dict(con.execute("SELECT username, active FROM ab_user").fetchall())
        assert set(DEMO_USERS) <= set(users) and not any(users[u] for u in DEMO_USERS), users
        demo_roles = con.execute(
            f"SELECT count(*) FROM ab_user_role JOIN ab_user u ON u.id = user_id "
            f"WHERE u.username IN ({','.join('?' * len(DEMO_USERS))})", list(DEMO_USERS)).fetchone()[0]
        assert demo_roles == 0
        assert not con.execute("SELECT 1 FROM ab_role WHERE name = ?", [unit_role_name(DEMO_UNIT_KEY)]).fetchall()
        assert not con.execute("SELECT 1 FROM row_level_security_filters WHERE name = ?",
                               [rls_name(DEMO_UNIT_KEY)]).fetchall()
        assert con.execute("SELECT sqlalchemy_uri FROM dbs").fetchall() == [(database_uri(superset_server.serving_path),)]
        admin_hash = con.execute("SELECT password FROM ab_user WHERE username = 'admin'").fetchone()[0]
    finally:
        con.close()
    check = subprocess.run(
        [str(superset_server.venv_bin / "python"), "-c",
         "import sys; from werkzeug.security import check_password_hash as c; sys.exit(not c(sys.argv[1], sys.argv[2]))",
         admin_hash, STRONG["CCHC_SUPERSET_PASSWORD"]], timeout=60)
    assert check.returncode == 0, "the admin keeps the demo password"


CACHE_PROBE = """
import json, os, runpy, sys
from flask import Flask
from flask_caching import Cache

config = runpy.run_path(sys.argv[1])["DATA_CACHE_CONFIG"]
app = Flask("probe")
cache = Cache(app, config=config)
link = os.environ["CCHC_SUPERSET_SERVING_PATH"]

def publish(snapshot):  # what cchc.publish does: the link moved in one rename
    os.symlink(snapshot, link + ".new")
    os.replace(link + ".new", link)

seen = []
with app.app_context():
    publish("snapshots/a.duckdb")
    cache.set("chart", "rows of a")
    seen.append(cache.get("chart"))
    publish("snapshots/b.duckdb")
    seen.append(cache.get("chart"))
    cache.set("chart", "rows of b")
    seen.append(cache.get("chart"))
    publish("snapshots/a.duckdb")
    seen.append(cache.get("chart"))
print(json.dumps(seen))
"""


def test_chart_data_cache_is_kept_per_snapshot(tmp_path):
    """Superset's data cache as superset_config.py configures it: after a publish moves the
    serving link, a cached chart is not served from the previous snapshot."""
    (tmp_path / "serving").mkdir()
    python = Path(os.environ.get("CCHC_VENV_ROOT", ROOT / ".venv")) / "superset" / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_") and k != "PYTHONPATH"}
    result = subprocess.run(
        [str(python), "-c", CACHE_PROBE, str(ROOT / "superset" / "superset_config.py")], cwd=tmp_path,
        env={**environ, "CCHC_SUPERSET_HOME": str(tmp_path / "home"),
             "CCHC_SUPERSET_SERVING_PATH": str(tmp_path / "serving" / "cchc.duckdb")},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == ["rows of a", None, "rows of b", "rows of a"]
    assert any((tmp_path / "home" / "data_cache").iterdir())
