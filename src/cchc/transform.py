"""Running dbt: one `dbt build` over the whole project, in its own process.

One process, because DuckDB allows a single writer: dbt's threads share that process's
connection, whereas one process per model (cosmos' default) would fight over the file lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .settings import Settings


class DbtBuildError(RuntimeError):
    """dbt failed: the message names the failing nodes."""


@dataclass
class DbtResult:
    returncode: int
    stdout: str
    target_dir: Path
    results: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [(r["unique_id"], r["status"], (r.get("message") or "").strip())
                for r in self.results if r["status"] not in ("success", "pass", "skipped", "no-op")]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for r in self.results:
            kinds[r["unique_id"].split(".")[0]] = kinds.get(r["unique_id"].split(".")[0], 0) + 1
        counts = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
        return f"dbt {'passed' if self.ok else 'FAILED'}: {counts}"


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def run_dbt(settings: Settings, command: list[str], *, warehouse: Path | None = None,
            target_dir: Path | None = None, extra_env: dict[str, str] | None = None,
            timeout: int = 6 * 3600) -> DbtResult:
    """Run `dbt <command>` on the project against `warehouse` (default: the settings')."""
    warehouse = warehouse or settings.warehouse_path
    target_dir = target_dir or settings.data_dir / "dbt"
    target_dir.mkdir(parents=True, exist_ok=True)
    project = settings.dbt_project_dir
    run_results = target_dir / "target" / "run_results.json"
    run_results.unlink(missing_ok=True)
    proc = subprocess.run(
        [dbt_executable(), *command, "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(target_dir / "target"), "--log-path", str(target_dir / "logs")],
        env={**os.environ, "CCHC_WAREHOUSE": str(warehouse), **(extra_env or {})},
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=project)
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    return DbtResult(proc.returncode, proc.stdout + proc.stderr, target_dir, results)


def dbt_build(settings: Settings, *, warehouse: Path | None = None, full_refresh: bool = False,
              select: str | None = None, target_dir: Path | None = None) -> DbtResult:
    """`dbt build` (seeds, models, tests in dependency order); raises DbtBuildError on failure."""
    command = ["build"] + (["--full-refresh"] if full_refresh else []) + (["--select", select] if select else [])
    result = run_dbt(settings, command, warehouse=warehouse, target_dir=target_dir)
    if not result.ok:
        failing = "; ".join(f"{uid} {status}: {message[:300]}" for uid, status, message in result.failures[:10])
        raise DbtBuildError(f"dbt build failed ({result.returncode}): {failing or result.stdout[-2000:]}")
    return result
