"""Start and stop Superset from the pipeline environment.

Superset lives in its own environment (``.venv/superset``, SQLAlchemy 1.4), so everything
here runs it in subprocesses: ``cchc.bi.provision`` (migrate the SQLite metadata, roles,
import the bundle, row-level security, the demo users outside production), then gunicorn
serving the app. Both load ``superset/superset_config.py``, which locks every DuckDB
connection to the serving snapshot (``cchc.bi.lockdown``).

    from cchc.bi.server import SupersetServer
    server = SupersetServer(settings, port=8088).start()
    ...
    server.stop()
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ..credentials import SECRETS, require_production_secrets
from ..local_server import ChildProcess, start_process
from ..settings import Settings
from .lockdown import SERVING_PATH_VARIABLE

log = logging.getLogger(__name__)

# The secrets Superset's processes read; the platform's others (the PII key, the source API
# token, Airflow's password) are left out of their environment.
SUPERSET_SECRETS = ("CCHC_SUPERSET_SECRET_KEY", "CCHC_SUPERSET_PASSWORD", "CCHC_SUPERSET_DEMO_PASSWORD")


class SupersetError(RuntimeError):
    pass


class SupersetServer(ChildProcess):
    def __init__(self, settings: Settings, port: int = 8088, host: str = "127.0.0.1",
                 serving_path: Path | None = None, home: Path | None = None, workers: int = 2) -> None:
        # Two gunicorn workers (as in the image): a dashboard asks for all its charts at once,
        # and one worker answers them one after the other under its interpreter lock.
        self.settings = settings
        self.port = port
        self.host = host
        self.serving_path = Path(serving_path or settings.serving_path)
        self.home = Path(home or settings.superset_home)
        self.workers = workers

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def venv_bin(self) -> Path:
        root = Path(os.environ.get("CCHC_VENV_ROOT", self.settings.project_root / ".venv"))
        return root / "superset" / "bin"

    @property
    def bundle_dir(self) -> Path:
        return self.settings.project_root / "superset" / "bundle"

    @property
    def log_file(self) -> Path:
        return self.home / "superset.log"

    def env(self) -> dict[str, str]:
        """The environment of Superset's processes. With CCHC_ENV=production, raises
        cchc.credentials.InsecureConfigurationError naming each missing, demo or short secret
        before anything starts (superset_config.py checks again, for other ways to start)."""
        require_production_secrets("CCHC_SUPERSET_SECRET_KEY", "CCHC_SUPERSET_PASSWORD")
        pythonpath = [str(self.settings.project_root / "src"), os.environ.get("PYTHONPATH", "")]
        inherited = {k: v for k, v in os.environ.items() if k not in SECRETS or k in SUPERSET_SECRETS}
        return {**inherited,
                "SUPERSET_CONFIG_PATH": str(self.settings.project_root / "superset" / "superset_config.py"),
                "CCHC_SUPERSET_HOME": str(self.home), SERVING_PATH_VARIABLE: str(self.serving_path),
                "FLASK_APP": "superset",
                "PYTHONPATH": os.pathsep.join(p for p in pythonpath if p), "PYTHONUNBUFFERED": "1"}

    def provision(self, *, skip_access: bool = False) -> None:
        """Migrate the metadata, import the bundle, roles, users and RLS (idempotent)."""
        if not self.serving_path.exists():
            raise SupersetError(f"serving database {self.serving_path} does not exist: run `cchc publish` first")
        if not (self.venv_bin / "python").exists():
            raise SupersetError(f"no Superset environment at {self.venv_bin}: run `scripts/bootstrap.sh superset`")
        self.home.mkdir(parents=True, exist_ok=True)
        args = [str(self.venv_bin / "python"), "-m", "cchc.bi.provision", "--bundle", str(self.bundle_dir),
                "--serving", str(self.serving_path)]
        with self.log_file.open("a", encoding="utf-8") as out:
            result = subprocess.run(args + (["--skip-access"] if skip_access else []), env=self.env(),
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=600)
        if result.returncode != 0:
            raise SupersetError(f"Superset provisioning failed ({result.returncode}); see {self.log_file}:\n"
                                + _tail(self.log_file))

    def start(self, timeout: float = 300) -> SupersetServer:
        self.provision()
        log.info("starting Superset on %s (log %s)", self.url, self.log_file)
        out = self.log_file.open("a", encoding="utf-8")
        self.process = start_process(
            [str(self.venv_bin / "gunicorn"), "--bind", f"{self.host}:{self.port}", "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--limit-request-line", "0",
             "--limit-request-field_size", "0", "superset.app:create_app()"],
            env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()  # the workers gunicorn forked may outlive it
                raise SupersetError(f"Superset exited ({self.process.returncode}); see {self.log_file}:\n"
                                    + _tail(self.log_file))
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
                    if response.status == 200:
                        log.info("Superset is up at %s", self.url)
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        self.stop()
        raise TimeoutError(f"Superset did not answer on {self.url}/health within {timeout:.0f} s; see {self.log_file}")

    def browse(self, user: str, password: str, dashboards: list[str], out: Path, *options: str,
               timeout: float = 600) -> list[dict]:
        """Open the dashboards in headless Chromium as `user` (cchc.bi.browser, in Superset's
        environment, one login): its JSON report per dashboard opened."""
        args = [str(self.venv_bin / "python"), "-m", "cchc.bi.browser", "--url", self.url, "--user", user,
                "--password", password, "--out", str(out), *options,
                *[arg for slug in dashboards for arg in ("--dashboard", slug)]]
        result = subprocess.run(args, env=self.env(), capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, check=False)
        reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        if not reports:
            raise SupersetError(f"the browser opened no dashboard ({result.returncode}):\n{result.stderr[-3000:]}")
        return reports

    def __enter__(self) -> SupersetServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def temporary_server(settings: Settings, serving_path: Path | None = None, port: int | None = None,
                     workers: int = 2) -> Iterator[SupersetServer]:
    """A Superset of its own (metadata in a temporary folder, a free port unless given) on a
    published snapshot, stopped and removed on exit: for the benchmark and the screenshots."""
    with tempfile.TemporaryDirectory(prefix="cchc-superset-") as home, \
            SupersetServer(settings, port=port or free_port(), serving_path=serving_path, home=Path(home),
                           workers=workers) as server:
        yield server


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
