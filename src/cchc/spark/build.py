"""Build the dbt project on Spark from a DuckDB build warehouse's raw layer and hand the
result back as a DuckDB file (the pipeline's side; cchc.spark.runner is Spark's side).

    raw tables (DuckDB) --raw.export_raw--> Parquet --runner: dbt --target spark-->
    models' Parquet --handback.load_exports--> DuckDB file
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings, private_dir
from ..transform import die_with_parent, with_vars
from .handback import load_exports
from .raw import export_raw


class SparkBuildError(RuntimeError):
    """The Spark build could not run or did not report."""


@dataclass
class SparkBuild:
    success: bool             # dbt's: every selected node passed
    nodes: dict[str, str]     # unique id -> status
    raw_rows: dict[str, int]  # source table -> rows handed to Spark
    tables: dict[str, int]    # relation -> rows handed back (models that built)
    warehouse: Path           # the DuckDB file holding them
    log: str

    @property
    def failed(self) -> dict[str, str]:
        return {uid: status for uid, status in self.nodes.items() if status not in ("success", "pass")}


def spark_python(settings: Settings) -> Path:
    """The Spark environment's interpreter (`scripts/bootstrap.sh spark`); CCHC_SPARK_PYTHON
    overrides it."""
    path = Path(os.environ.get("CCHC_SPARK_PYTHON") or settings.project_root / ".venv" / "spark" / "bin" / "python")
    if not path.exists():
        raise SparkBuildError(f"{path}: no Spark environment; run `scripts/bootstrap.sh spark`")
    return path


def spark_build(settings: Settings, source_warehouse: Path, work_dir: Path, dbt_command: list[str],
                *, seed: bool = True, timeout: int = 3 * 3600) -> SparkBuild:
    """Run `dbt <dbt_command>` (e.g. ['run', '--select', ...]) on Spark in local mode over
    `source_warehouse`'s raw layer, after `dbt seed` unless `seed` is false, in `work_dir`
    (raw/, spark/, dbt/, export/ and spark.duckdb, what built, handed back). The settings'
    vars are passed as on DuckDB."""
    # The raw layer's copy and Spark's tables: the owner's only, as the build warehouse.
    private_dir(work_dir)
    raw_dir, export_dir = work_dir / "raw", work_dir / "export"
    shutil.rmtree(export_dir, ignore_errors=True)  # only this run's models are handed back
    raw_rows = export_raw(source_warehouse, settings.dbt_project_dir, raw_dir)
    proc = subprocess.run(
        [str(spark_python(settings)), "-m", "cchc.spark.runner", "--project-dir", str(settings.dbt_project_dir),
         "--spark-dir", str(work_dir / "spark"), "--raw-dir", str(raw_dir), "--target-dir", str(work_dir / "dbt"),
         "--export-dir", str(export_dir), *(["--seed"] if seed else []), "--", *with_vars(settings, dbt_command)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent(os.getpid()))
    log = proc.stdout + proc.stderr
    reports = [line for line in proc.stdout.splitlines() if line.startswith('{"success"')]
    if not reports:
        raise SparkBuildError(f"the Spark runner reported nothing ({proc.returncode}): {log[-3000:]}")
    report = json.loads(reports[-1])
    warehouse = work_dir / "spark.duckdb"
    warehouse.unlink(missing_ok=True)
    tables = load_exports(export_dir, warehouse) if export_dir.exists() else {}
    return SparkBuild(report["success"], report["nodes"], raw_rows, tables, warehouse, log)
