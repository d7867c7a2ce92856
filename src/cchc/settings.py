"""Where things live. Every path can be overridden by an environment variable so the
same code runs on a laptop, in CI and on the province's server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TIME_ZONE = "Asia/Ho_Chi_Minh"


def _project_root() -> Path:
    # src/cchc/settings.py -> repository root
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    project_root: Path
    data_dir: Path
    warehouse_path: Path
    demo_province_code: str

    @property
    def seeds_dir(self) -> Path:
        return self.project_root / "seeds"

    @property
    def reference_dir(self) -> Path:
        """Generated reference tables (committed, loaded into the warehouse)."""
        return self.seeds_dir / "reference"

    @property
    def simulation_dir(self) -> Path:
        """Where the simulator writes the source systems' data (one-stop-shop database,
        file drops, manifest)."""
        return self.data_dir / "sources"

    @property
    def drop_dir(self) -> Path:
        """Drop folders the file extractors read: <drop_dir>/<source>/."""
        return Path(os.environ.get("CCHC_DROP_DIR", self.simulation_dir / "drop"))

    @property
    def oss_db(self) -> Path:
        return self.simulation_dir / "oss" / "oss.sqlite"

    @property
    def dlt_dir(self) -> Path:
        """dlt's local pipeline working folder (its state is also kept in the warehouse)."""
        return self.data_dir / "dlt"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_root / "dbt_project"

    @property
    def serving_dir(self) -> Path:
        """Published read-only snapshots of the marts (see cchc.publish)."""
        return Path(os.environ.get("CCHC_SERVING_DIR", self.data_dir / "serving"))

    @property
    def serving_path(self) -> Path:
        """What Superset and analysts open, read-only: a symbolic link to the current snapshot."""
        return self.serving_dir / "cchc.duckdb"

    @property
    def dbt_docs_dir(self) -> Path:
        """The generated dbt documentation site (data dictionary), served by the demo."""
        return self.data_dir / "dbt_docs"

    @property
    def quality_dir(self) -> Path:
        """Great Expectations output: Data Docs and validation artefacts."""
        return self.data_dir / "quality"

    @property
    def superset_home(self) -> Path:
        """Superset's SQLite metadata (users, roles, imported dashboards) and its log."""
        return Path(os.environ.get("CCHC_SUPERSET_HOME", self.data_dir / "superset"))

    @property
    def airflow_home(self) -> Path:
        """AIRFLOW_HOME of the nightly pipeline: configuration, SQLite metadata, logs."""
        return Path(os.environ.get("CCHC_AIRFLOW_HOME", self.data_dir / "airflow"))

    @property
    def task_retries(self) -> int:
        """Retries of the nightly pipeline's tasks (transient source errors)."""
        return int(os.environ.get("CCHC_TASK_RETRIES", "3"))

    @property
    def retry_delay_seconds(self) -> float:
        """First retry delay; doubled at each retry (exponential backoff), at most 30 min."""
        return float(os.environ.get("CCHC_RETRY_DELAY_SECONDS", "300"))

    @property
    def sources_dir(self) -> Path:
        """Curated inputs the reference builder reads (departments, procedure catalogue)."""
        return self.seeds_dir / "sources"


def private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (0700): the build warehouse (raw layer),
    dlt's working files, dbt's logs and Airflow's home (its passwords and JWT secret) are no
    business of other accounts on the server."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except PermissionError:  # a folder someone else owns (a mounted volume): theirs to set
        pass
    return path


def load_settings() -> Settings:
    root = Path(os.environ.get("CCHC_HOME", _project_root()))
    data_dir = Path(os.environ.get("CCHC_DATA_DIR", root / "data"))
    warehouse = Path(os.environ.get("CCHC_WAREHOUSE", data_dir / "warehouse" / "cchc.duckdb"))
    return Settings(
        project_root=root,
        data_dir=data_dir,
        warehouse_path=warehouse,
        demo_province_code=os.environ.get("CCHC_PROVINCE_CODE", "42"),
    )
