"""Shared fixtures: the project's settings and a real DuckDB warehouse loaded through the
real command line, once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cchc.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
CCHC = [sys.executable, "-m", "cchc.cli"]


def run_cchc(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*CCHC, *args], cwd=ROOT, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=2400, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"cchc {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    """A DuckDB file with schema 'reference', loaded by `cchc reference load`."""
    path = tmp_path_factory.mktemp("warehouse") / "cchc.duckdb"
    run_cchc("reference", "load", "--warehouse", str(path))
    return path


@pytest.fixture(scope="session")
def compiled_manifest(tmp_path_factory) -> dict:
    """dbt's manifest after `dbt compile` of the whole project on the DuckDB target (a
    fresh empty warehouse: nothing is built; about 20 s): the nodes as parsed, and each
    model's compiled SQL. Shared by the structure checks and the Spark portability guard."""
    from cchc.portability import compiled_manifest as compile_project

    return compile_project(load_settings(), tmp_path_factory.mktemp("dbt_compile"))


@pytest.fixture()
def sql(warehouse):
    """Run a query read-only against the loaded warehouse; returns all rows."""
    con = duckdb.connect(str(warehouse), read_only=True)

    def query(statement: str, *params):
        return con.execute(statement, list(params)).fetchall()

    yield query
    con.close()


def scalar(sql, statement: str, *params):
    return sql(statement, *params)[0][0]


def run_superset_config(env: dict[str, str], *names: str) -> subprocess.CompletedProcess:
    """Load superset_config.py the way Superset does, in Superset's environment, without our
    PYTHONPATH or CCHC_ variables (as gunicorn started by hand or a container would), with
    `env`; its last line of output: the values of `names` as JSON."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_") and k != "PYTHONPATH"}
    python = Path(os.environ.get("CCHC_VENV_ROOT", ROOT / ".venv")) / "superset" / "bin" / "python"
    probe = "import json, runpy, sys; c = runpy.run_path(sys.argv[1]); print(json.dumps({n: c[n] for n in sys.argv[2:]}))"
    return subprocess.run([str(python), "-c", probe, str(ROOT / "superset" / "superset_config.py"), *names],
                          env={**environ, **env}, capture_output=True, text=True, timeout=120)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_in(ports: range) -> int:
    """A port of ``ports`` free on 127.0.0.1 (tried in random order: tests running side by
    side rarely pick the same)."""
    import random
    import socket

    for port in random.sample(ports, len(ports)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@pytest.fixture()
def oss_server_factory(tmp_path):
    """Start real one-stop-shop API processes over a simulated database; stopped after the test."""
    from cchc.sources.oss.process import OssServer

    servers = []

    def start(db: Path, **kwargs) -> OssServer:
        server = OssServer(db, free_port(), log_file=tmp_path / f"oss-{len(servers)}.log", **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`cchc demo` run once into its own data folder (about 1.5 minutes): its environment,
    its output and its warehouse file. What this first run made is kept aside at once (see
    first_run), before a test can run the demo again in the same folder."""
    data = tmp_path_factory.mktemp("demo") / "data"
    env = {"CCHC_DATA_DIR": str(data), **{f"CCHC_{name}_PORT": str(free_port())
                                           for name in ("OSS", "AIRFLOW", "DOCS", "SUPERSET")}}
    result = run_cchc("demo", env=env)
    keep_first_run(data, first_run(data))
    return env, result.stdout, data / "warehouse" / "cchc.duckdb"


def first_run(demo_data: Path) -> Path:
    """Where demo_run keeps what the demo's first run made (the fixtures below read it
    instead of making it again): ``cchc.duckdb``, the warehouse as its nightly run left it
    (extract, `dbt build`, validation, publication); ``target``, ``logs`` and ``state``, that
    build's dbt folder (run_results.json, manifest.json, the saved state); ``serving``, the
    snapshot it published."""
    return demo_data.parent / "first_run"


def keep_first_run(demo_data: Path, keep: Path) -> None:
    keep.mkdir()
    shutil.copy(demo_data / "warehouse" / "cchc.duckdb", keep / "cchc.duckdb")
    for name in ("target", "logs", "state"):
        shutil.copytree(demo_data / "dbt" / name, keep / name)
    shutil.copytree(demo_data / "serving", keep / "serving", symlinks=True)


@pytest.fixture(scope="session")
def built_warehouse(demo_run) -> Path:
    """The demo warehouse after a real `dbt build` of the whole project: its first nightly
    run's (no saved state: every seed, model and test), then validated; that build's dbt
    target (run_results.json, manifest.json), logs and state lie beside it (first_run). A
    build of our own would repeat it: the same data, project and settings. Tests read it; a
    test that writes must copy it first."""
    return first_run(Path(demo_run[0]["CCHC_DATA_DIR"])) / "cchc.duckdb"


@pytest.fixture(scope="session")
def tu_ky_warehouse(demo_run, tmp_path_factory):
    """test_tu_ky_2022's warehouse (its make_tu_ky_warehouse), built once for it and
    test_report: (the warehouse, the district procedures by sector, the 2022 communes)."""
    from test_tu_ky_2022 import make_tu_ky_warehouse

    return make_tu_ky_warehouse(demo_run[2], tmp_path_factory.mktemp("tu_ky"))


class AlertReceivers:
    """A real SMTP server (aiosmtpd) and a real HTTP webhook receiver on random local
    ports, with what they received; `env` points cchc.alerts at them."""

    def __init__(self):
        self.emails: list = []
        self.posts: list[dict] = []
        self.env: dict[str, str] = {}


@pytest.fixture()
def alert_receivers():
    import email
    import json
    import threading
    from email import policy
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from aiosmtpd.controller import Controller

    receivers = AlertReceivers()

    class Mailbox:
        async def handle_DATA(self, server, session, envelope):
            receivers.emails.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self):
            receivers.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    receivers.env = {"CCHC_ALERT_SMTP_HOST": "127.0.0.1", "CCHC_ALERT_SMTP_PORT": str(smtp.port),
                     "CCHC_ALERT_FROM": "pipeline@cchc.test", "CCHC_ALERT_EMAIL_TO": "ops@cchc.test,lead@cchc.test",
                     "CCHC_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{http.server_address[1]}/hook"}
    yield receivers
    http.shutdown()
    http.server_close()
    smtp.stop()


@pytest.fixture(scope="session")
def published_serving(built_warehouse) -> Path:
    """The serving folder the demo's first nightly run published (cchc.publish) from the
    built warehouse after its real validation (so `quality.validation_results` exists);
    returns the serving link."""
    return built_warehouse.parent / "serving" / "cchc.duckdb"


@pytest.fixture(scope="session")
def superset_server(published_serving, tmp_path_factory):
    """A real Superset (gunicorn) on a random port over the published serving database, with
    its own metadata; started once per session (about 1.5 minutes)."""
    from cchc.bi.server import SupersetServer

    server = SupersetServer(load_settings(), port=free_port(), serving_path=published_serving,
                            home=tmp_path_factory.mktemp("superset")).start()
    yield server
    server.stop()
