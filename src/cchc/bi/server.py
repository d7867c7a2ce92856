"""Start and stop Superset from the pipeline environment.

Superset lives in its own environment (``.venv/superset``, SQLAlchemy 1.4), so everything
here runs it in subprocesses: ``cchc.bi.provision`` (migrate the SQLite metadata, roles,
import the bundle, demo users, row-level security), then gunicorn serving the app.

    from cchc.bi.server import SupersetServer
    server = SupersetServer(settings, port=8088).start()
    ...
    server.stop()
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..settings import Settings

log = logging.getLogger(__name__)

DEMO_SECRET_KEY = "cchc-demo-secret-key-change-me"  # the default in superset/superset_config.py


class SupersetError(RuntimeError):
    pass


class SupersetServer:
    def __init__(self, settings: Settings, port: int = 8088, host: str = "127.0.0.1",
                 serving_path: Path | None = None, home: Path | None = None, workers: int = 1) -> None:
        self.settings = settings
        self.port = port
        self.host = host
        self.serving_path = Path(serving_path or settings.serving_path)
        self.home = Path(home or settings.superset_home)
        self.workers = workers
        self.process: subprocess.Popen | None = None

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
        if os.environ.get("CCHC_ENV") == "production":
            if os.environ.get("CCHC_SUPERSET_SECRET_KEY", DEMO_SECRET_KEY) == DEMO_SECRET_KEY:
                raise SupersetError("CCHC_ENV=production needs CCHC_SUPERSET_SECRET_KEY (the demo key is public)")
            if os.environ.get("CCHC_SUPERSET_PASSWORD", "admin") == "admin":
                raise SupersetError("CCHC_ENV=production needs CCHC_SUPERSET_PASSWORD (not the demo 'admin')")
        pythonpath = [str(self.settings.project_root / "src"), os.environ.get("PYTHONPATH", "")]
        return {**os.environ,
                "SUPERSET_CONFIG_PATH": str(self.settings.project_root / "superset" / "superset_config.py"),
                "CCHC_SUPERSET_HOME": str(self.home), "FLASK_APP": "superset",
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

    def start(self, timeout: float = 300) -> "SupersetServer":
        self.provision()
        log.info("starting Superset on %s (log %s)", self.url, self.log_file)
        out = self.log_file.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(self.venv_bin / "gunicorn"), "--bind", f"{self.host}:{self.port}", "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--limit-request-line", "0",
             "--limit-request-field_size", "0", "superset.app:create_app()"],
            env=self.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
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

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's master and its workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> "SupersetServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
