"""Running Airflow for the project: AIRFLOW_HOME under the data folder, configuration by
environment variables (no airflow.cfg to keep in sync), SQLite metadata with the
LocalExecutor (Airflow 3's embedded default: nothing to install or run besides Airflow),
the Simple auth manager with one ``admin`` user whose password comes from
``CCHC_AIRFLOW_PASSWORD``, and helpers to start the API server, scheduler and DAG
processor, trigger a run and wait for it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ..credentials import SECRETS, require_production_secrets, secret
from ..local_server import start_process, stop_processes
from ..settings import TIME_ZONE, Settings, private_dir
from .nightly import DAG_ID, WRITER_POOL

DEFAULT_PASSWORD = SECRETS["CCHC_AIRFLOW_PASSWORD"].demo_value   # demo only
# What Airflow and the nightly tasks it runs read: production refuses to start without them.
PIPELINE_SECRETS = ("CCHC_AIRFLOW_PASSWORD", "CCHC_PII_KEY", "CCHC_OSS_TOKEN")


def require_pipeline_secrets() -> None:
    """In production: the pipeline's secrets, and the metadata database's password when a
    deployment puts the metadata on PostgreSQL (the URL carries it)."""
    database = ("CCHC_POSTGRES_AIRFLOW_PASSWORD",) if os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") else ()
    require_production_secrets(*PIPELINE_SECRETS, *database)


def admin_password() -> str:
    return secret("CCHC_AIRFLOW_PASSWORD")
ADMIN_USER = "admin"


def airflow_executable() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _secret(home: Path, name: str) -> str:
    """A secret generated once per AIRFLOW_HOME: every Airflow process must share it (the
    API server signs the tokens the task runners present)."""
    path = home / f".{name}"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


# What a deployment may set in the environment (docker-compose.yml: PostgreSQL metadata,
# the API server reached by its service name, listening on every interface of its container,
# the scheduler's health endpoint); unset, the embedded defaults below apply.
DEPLOYMENT_SETTINGS = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API__HOST",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK",
)


def airflow_env(settings: Settings, port: int = 8080) -> dict[str, str]:
    """Environment for every Airflow process (and the tasks it runs) of this data folder."""
    home = settings.airflow_home
    defaults = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.project_root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": TIME_ZONE,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__API__SECRET_KEY": _secret(home, "api_secret_key"),
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret(home, "jwt_secret"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        # The pipeline's own settings travel to the task processes.
        "CCHC_DATA_DIR": str(settings.data_dir),
        "CCHC_WAREHOUSE": str(settings.warehouse_path),
        "CCHC_SERVING_DIR": str(settings.serving_dir),
        "CCHC_HOME": str(settings.project_root),
    }
    return {**defaults, **{name: os.environ[name] for name in DEPLOYMENT_SETTINGS if os.environ.get(name)}}


def exec_airflow(settings: Settings, args: list[str], port: int = 8080) -> None:
    """Replace this process by `airflow <args>` with this data folder's environment: the
    containers' command (`cchc airflow run scheduler`), so that Airflow is PID 1's child no
    more and gets the container's signals itself. In production, refuses to start without
    the pipeline's secrets."""
    require_pipeline_secrets()
    os.execve(airflow_executable(), [airflow_executable(), *args], airflow_env(settings, port))


def airflow(settings: Settings, *args: str, port: int = 8080, timeout: int = 900,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run an `airflow` command for this data folder; raises with its output when it fails."""
    proc = subprocess.run([airflow_executable(), *args], env=airflow_env(settings, port), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def init_airflow(settings: Settings, password: str | None = None) -> Path:
    """Idempotent: metadata database, the admin password, the warehouse-writer pool.
    In production, refuses to go on with a missing or demo secret."""
    require_pipeline_secrets()
    home = private_dir(settings.airflow_home)
    password = password or admin_password()
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({ADMIN_USER: password}))
    passwords.chmod(0o600)
    airflow(settings, "db", "migrate")
    airflow(settings, "pools", "set", WRITER_POOL, "1",
            "Một tiến trình ghi kho DuckDB tại một thời điểm / one writer of the build warehouse")
    return home


RUN_FINISHED = re.compile(r"DagRun Finished: dag_id=\S+, logical_date=[^,]*, run_id=([^,]+), .*?\bstate=(\w+)")


@dataclass
class DagTestResult:
    returncode: int
    output: str
    run_id: str | None   # None when the run never finished (the output says why)
    state: str | None    # success / failed


def dags_test(settings: Settings, logical_date: str, *, env: dict[str, str] | None = None,
              timeout: int = 1800) -> DagTestResult:
    """`airflow dags test cchc_nightly <logical_date>`: one whole run, its tasks one after
    the other in this process (no scheduler needed), retries included."""
    proc = subprocess.run([airflow_executable(), "dags", "test", DAG_ID, logical_date],
                          env={**airflow_env(settings), **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    output = proc.stdout + proc.stderr
    finished = RUN_FINISHED.search(output)
    return DagTestResult(proc.returncode, output, *(finished.groups() if finished else (None, None)))


@dataclass
class AirflowServices:
    """API server (UI, login), scheduler and DAG processor as child processes."""

    settings: Settings
    port: int = 8080
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, timeout: float = 180) -> AirflowServices:
        logs = self.settings.airflow_home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = airflow_env(self.settings, self.port)
        for component in (["api-server", "--port", str(self.port)], ["scheduler"], ["dag-processor"]):
            with open(logs / f"{component[0]}.log", "ab") as log_file:
                self.processes.append(start_process([airflow_executable(), *component], env=env, stdout=log_file,
                                                    stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [p for p in self.processes if p.poll() is not None]
            if dead:
                self.stop()
                raise RuntimeError(f"Airflow {dead[0].args[1]} exited ({dead[0].returncode}); see {logs}")
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(1)
        self.stop()
        raise TimeoutError(f"Airflow API server did not answer on {self.url} within {timeout:.0f} s; see {logs}")

    def token(self, password: str | None = None) -> str:
        """Log in as admin (what the UI does): a JWT for the REST API."""
        password = password or admin_password()
        response = requests.post(f"{self.url}/auth/token", json={"username": ADMIN_USER, "password": password},
                                 timeout=30)
        response.raise_for_status()
        return response.json()["access_token"]

    def api(self, method: str, path: str, token: str, **kwargs) -> dict:
        response = requests.request(method, f"{self.url}/api/v2/{path}", timeout=60,
                                    headers={"Authorization": f"Bearer {token}"}, **kwargs)
        response.raise_for_status()
        return response.json()

    def trigger(self, token: str, timeout: float = 180) -> str:
        """Unpause the nightly DAG and trigger a run now; returns its run id."""
        deadline = time.monotonic() + timeout
        while True:  # the DAG processor needs a moment to parse the DAG the first time
            try:
                self.api("PATCH", f"dags/{DAG_ID}", token, json={"is_paused": False})
                break
            except requests.HTTPError as exc:
                if exc.response.status_code != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(2)
        run = self.api("POST", f"dags/{DAG_ID}/dagRuns", token, json={"logical_date": None})
        return run["dag_run_id"]

    def wait(self, token: str, run_id: str, timeout: float = 1800) -> str:
        """Wait until the run finishes; returns its state (success / failed)."""
        from urllib.parse import quote

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.api("GET", f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}", token)["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(3)
        raise TimeoutError(f"run {run_id} of {DAG_ID} still running after {timeout:.0f} s")

    def stop(self) -> None:
        stop_processes(self.processes)
        self.processes.clear()
