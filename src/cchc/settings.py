"""Configuration: one typed object read from the environment (``CCHC_*`` variables) with
pydantic-settings, so a wrong value fails at start-up naming the variable, and one place
decides what reaches dbt (``Settings.dbt_vars``), the quality suites and the dashboards.

Every path can be overridden by an environment variable so the same code runs on a laptop,
in CI and on the province's server. Secrets are not here: see ``cchc.credentials``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TIME_ZONE = "Asia/Ho_Chi_Minh"


def _project_root() -> Path:
    # src/cchc/settings.py -> repository root
    return Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """The platform's configuration. Field ``x`` is read from ``CCHC_X`` (aliases name the
    older variable where it differs); ``model_copy(update=...)`` derives a variant (tests)."""

    model_config = SettingsConfigDict(env_prefix="CCHC_", frozen=True, populate_by_name=True,
                                      extra="ignore")

    project_root: Path = Field(default_factory=_project_root, validation_alias="CCHC_HOME")
    data_dir_override: Path | None = Field(None, validation_alias="CCHC_DATA_DIR")
    warehouse_override: Path | None = Field(None, validation_alias="CCHC_WAREHOUSE")
    # The demo province (GSO code): the simulator generates it, the dashboards highlight it.
    demo_province_code: str = Field("42", validation_alias="CCHC_PROVINCE_CODE",
                                    pattern=r"^[0-9]{2}$")
    drop_dir_override: Path | None = Field(None, validation_alias="CCHC_DROP_DIR")
    serving_dir_override: Path | None = Field(None, validation_alias="CCHC_SERVING_DIR")
    superset_home_override: Path | None = Field(None, validation_alias="CCHC_SUPERSET_HOME")
    airflow_home_override: Path | None = Field(None, validation_alias="CCHC_AIRFLOW_HOME")
    # Retries of the nightly pipeline's tasks (transient source errors); the first delay is
    # doubled at each retry (exponential backoff), at most 30 min.
    task_retries: int = Field(3, ge=0)
    retry_delay_seconds: float = Field(300, ge=0)
    # The days of the one-stop-shop's daily counts re-read and reconciled every night: the
    # extractor, the reconciliation model and its quality suite read this one value.
    oss_reconcile_days: int = Field(35, ge=1, le=400)
    # The one-stop-shop API the extraction reads (cchc.extract.oss); no URL: the demo's own
    # API on oss_port.
    oss_url: str | None = Field(None, pattern=r"^https?://\S+$")
    # The instance id the demo's API was started with: every answer must carry it.
    oss_instance: str | None = None
    # Days re-read before the newest update time seen (late, back-dated updates).
    oss_overlap_days: float = Field(2.0, ge=0, le=365)
    oss_page_size: int = Field(1000, ge=1, le=5000)  # the API's largest page
    # The first day a fresh warehouse extracts.
    history_start: date = date(2022, 1, 1)
    # Attempts per request (transient errors included); the first delay doubles at each retry.
    oss_max_attempts: int = Field(6, ge=1, le=20)
    oss_backoff_seconds: float = Field(1.0, ge=0, le=60)
    # Local ports of the demo's services.
    oss_port: int = Field(8765, ge=1, le=65535)
    airflow_port: int = Field(8080, ge=1, le=65535)
    superset_port: int = Field(8088, ge=1, le=65535)
    docs_port: int = Field(8081, ge=1, le=65535)

    @field_validator("project_root", mode="before")
    @classmethod
    def _root_default(cls, value):
        return value or _project_root()

    @field_validator("oss_url", "oss_instance", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return value or None  # an empty variable (VAR= in a unit file) means unset

    # --- derived locations (an override variable wins) ---------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.data_dir_override or self.project_root / "data"

    @property
    def warehouse_path(self) -> Path:
        """The build warehouse dbt writes (raw, staging, intermediate, marts, quality)."""
        return self.warehouse_override or self.data_dir / "warehouse" / "cchc.duckdb"

    def dbt_vars(self) -> dict[str, object]:
        """The configuration the dbt project's SQL reads (``--vars``): the single route from
        the environment to the models, so a figure never depends on who ran dbt."""
        return {"province_code": self.demo_province_code, "oss_reconcile_days": self.oss_reconcile_days,
                "local_time_zone": TIME_ZONE}

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
        return self.drop_dir_override or self.simulation_dir / "drop"

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
        return self.serving_dir_override or self.data_dir / "serving"

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
        return self.superset_home_override or self.data_dir / "superset"

    @property
    def airflow_home(self) -> Path:
        """AIRFLOW_HOME of the nightly pipeline: configuration, SQLite metadata, logs."""
        return self.airflow_home_override or self.data_dir / "airflow"

    @property
    def sources_dir(self) -> Path:
        """Curated inputs the reference builder reads (departments, procedure catalogue)."""
        return self.seeds_dir / "sources"

    def relocated(self, data_dir: Path, **changes) -> Settings:
        """A copy whose data (warehouse included, unless given) lives under ``data_dir``."""
        return self.model_copy(update={"data_dir_override": Path(data_dir), **changes})


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


class ConfigurationError(ValueError):
    """An environment variable holds a value the platform cannot use."""


def env_name(field: str) -> str:
    """The environment variable of a settings field (errors name fields by their alias)."""
    if field not in Settings.model_fields:
        return field
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"CCHC_{field.upper()}"


def load_settings() -> Settings:
    """The settings of this process's environment; a malformed variable raises
    ConfigurationError naming the variable and what is wrong with it."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"{env_name(str(e['loc'][0]))}={e.get('input')!r}: {e['msg']}"
                             for e in error.errors())
        raise ConfigurationError(f"invalid configuration: {problems}") from None
