"""Run the one-stop-shop API as a separate process (the demo and the tests use it the way
the pipeline uses a real system: over HTTP on localhost)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import requests

from ...local_server import ChildProcess, ensure_port_free, start_process, wait_until_answering
from . import INSTANCE_HEADER


class OssServer(ChildProcess):
    """``instance``: the id the server sends back with every answer (default: a new random
    one); give the extraction the same id (CCHC_OSS_INSTANCE) and it refuses to load data
    from any other server that might answer on the port."""

    def __init__(self, db: Path, port: int, token: str = "demo-oss-token", admin_token: str = "demo-oss-admin",
                 as_of: str | None = None, error_rate: float = 0.0, log_file: Path | None = None,
                 instance: str | None = None):
        self.db, self.port, self.token, self.admin_token = db, port, token, admin_token
        self.as_of, self.error_rate, self.log_file = as_of, error_rate, log_file
        self.instance = instance or secrets.token_hex(8)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> OssServer:
        command = [sys.executable, "-m", "cchc.cli", "oss", "serve", "--db", str(self.db),
                   "--port", str(self.port), "--error-rate", str(self.error_rate)]
        if self.as_of:
            command += ["--as-of", self.as_of]
        env = {**os.environ, "CCHC_OSS_TOKEN": self.token, "CCHC_OSS_ADMIN_TOKEN": self.admin_token,
               "CCHC_OSS_INSTANCE": self.instance}
        ensure_port_free("127.0.0.1", self.port, "one-stop-shop API", "CCHC_OSS_PORT")
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        self.process = start_process(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        wait_until_answering(self.process, f"{self.url}/health", timeout, "one-stop-shop API",
                             f"; see {self.log_file}" if self.log_file else "",
                             is_ours=lambda response: response.headers.get(INSTANCE_HEADER) == self.instance)
        return self

    def admin(self, path: str, body: dict) -> dict:
        response = requests.put(f"{self.url}/admin/{path}", json=body, timeout=120,
                                headers={"Authorization": f"Bearer {self.admin_token}"})
        response.raise_for_status()
        return response.json()

    def __enter__(self) -> OssServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
