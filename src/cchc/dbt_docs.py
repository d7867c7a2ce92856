"""The data dictionary for analysts: dbt's documentation site, generated as one static
page (`dbt docs generate --static`: models, columns, tests, lineage and the catalogue of
the warehouse) and served on localhost.

A static file server, not `dbt docs serve`, so serving needs no dbt process and no
connection to the warehouse: the catalogue is read once, when the page is generated.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .local_server import ChildProcess, ensure_port_free, start_process, wait_until_answering
from .settings import Settings
from .transform import DbtBuildError, run_dbt


def generate_docs(settings: Settings, *, warehouse: Path | None = None, out_dir: Path | None = None) -> Path:
    """Generate the static documentation page into `out_dir` (default data/dbt_docs);
    returns its index.html. Opens the warehouse: run it when no other process writes it."""
    out_dir = out_dir or settings.dbt_docs_dir
    work = settings.data_dir / "dbt_docs_build"
    result = run_dbt(settings, ["docs", "generate", "--static"], warehouse=warehouse, target_dir=work)
    page = work / "target" / "static_index.html"
    if result.returncode != 0 or not page.exists():
        raise DbtBuildError(f"dbt docs generate failed ({result.returncode}): {result.stdout[-2000:]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page, out_dir / "index.html.tmp")
    (out_dir / "index.html.tmp").replace(out_dir / "index.html")
    return out_dir / "index.html"


class DocsServer(ChildProcess):
    """A static HTTP server over the generated documentation folder."""

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1"):
        self.directory, self.port, self.host = directory, port, host

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20) -> DocsServer:
        ensure_port_free(self.host, self.port, "dbt docs server", "CCHC_DOCS_PORT")
        self.process = start_process(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", self.host, "--directory", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_answering(self.process, self.url, timeout, "dbt docs server")
        return self
