"""Incremental extraction from the one-stop-shop API into the raw layer, with dlt.

Why dlt: its REST client brings the cursor paginator, bearer auth and retries with
exponential backoff on 429/5xx (honouring Retry-After); its pipeline state is stored in
the warehouse too, so a fresh machine resumes where the last run stopped; pages go in as
Arrow tables and load as Parquet (its fast path). Dossiers and feedback use dlt's incremental
cursor on ``updated_at`` with a lag (``CCHC_OSS_OVERLAP_DAYS``): each run asks for the records
changed since the newest update time seen less the lag, so late, back-dated updates are
caught. The cursor lives in dlt's resource state, which only advances when a load completes,
so an interrupted run is simply run again: nothing is lost, and the merge on (id, updated_at)
adds no duplicates (dlt leaves deduplicating a lagged range to it). Daily counts re-read a
reconciliation window before the run's day instead.

Raw tables (schema ``raw_oss``) keep every version of a record the source sent, as sent
except for personal data (see cchc.personal_data): applicants' names and phones are dropped
as each page arrives and the ID number is replaced by a keyed hash, so neither the
warehouse nor dlt's working files ever hold them. Load metadata: ``_dlt_load_id`` (load id), ``_source``, ``_page`` (page number in the
run), ``_extracted_at`` (local time). Staging keeps the latest version per record.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dlt
import pyarrow as pa
import pyarrow.compute as pc
import requests
from dlt.common.runtime.collector import LogCollector, TqdmCollector
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ..credentials import secret
from ..personal_data import pii_key, pseudonymise
from ..settings import TIME_ZONE, Settings, load_settings, private_dir
from ..sources.oss import INSTANCE_HEADER

log = logging.getLogger(__name__)

DATASET = "raw_oss"
SOURCE_NAME = "oss_api"
DOSSIER_TIMESTAMPS = ("received_at", "due_at", "supplement_requested_at", "supplement_received_at",
                      "suspended_at", "resumed_at", "finished_at", "rejected_at", "withdrawn_at",
                      "apology_letter_at", "paid_online_at", "updated_at")


def _default(field: str) -> Any:
    return Settings.model_fields[field].default


@dataclass(frozen=True)
class OssSettings:
    """What the extraction needs; ``from_settings`` is the route from the CCHC_* variables."""

    base_url: str = "http://127.0.0.1:8765"
    token: str = "demo-oss-token"
    # The instance id the demo's own API was started with (CCHC_OSS_INSTANCE): when set, every
    # answer must carry it, so the extraction never loads another server's data by mistake.
    expected_instance: str | None = None
    overlap_days: float = _default("oss_overlap_days")  # the cursor's lag: late, back-dated updates
    page_size: int = _default("oss_page_size")
    reconcile_days: int = _default("oss_reconcile_days")  # daily counts re-read this far back every run
    history_start: date = _default("history_start")
    max_attempts: int = _default("oss_max_attempts")  # per request, transient errors included
    backoff_factor: float = _default("oss_backoff_seconds")  # seconds, doubled at each retry
    max_retry_delay: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OssSettings:
        return cls(
            # The demo's own API listens on CCHC_OSS_PORT.
            base_url=settings.oss_url or f"http://127.0.0.1:{settings.oss_port}",
            token=secret("CCHC_OSS_TOKEN"),
            expected_instance=settings.oss_instance,
            overlap_days=settings.oss_overlap_days,
            page_size=settings.oss_page_size,
            reconcile_days=settings.oss_reconcile_days,
            history_start=settings.history_start,
            max_attempts=settings.oss_max_attempts,
            backoff_factor=settings.oss_backoff_seconds,
        )

    @classmethod
    def from_env(cls) -> OssSettings:
        """From this process's CCHC_* variables (a bad value raises ConfigurationError)."""
        return cls.from_settings(load_settings())


def _now_local() -> datetime:
    return datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None, microsecond=0)


def _schema(keys: tuple[str, ...], strings: tuple[str, ...], booleans: tuple[str, ...] = (),
            integers: tuple[str, ...] = ()) -> pa.Schema:
    # Primary-key columns are declared non-null, as dlt's schema has them.
    fields = [pa.field(n, pa.string(), nullable=n not in keys) for n in strings]
    fields += [pa.field(n, pa.bool_()) for n in booleans] + [pa.field(n, pa.int64()) for n in integers]
    return pa.schema(fields + [pa.field("_source", pa.string()), pa.field("_page", pa.int64()),
                               pa.field("_extracted_at", pa.timestamp("s"))])


# Raw keeps the values as the API sent them: timestamps stay ISO 8601 text with their
# offset; staging types them. Only the columns listed here are written: anything else the
# API sends (the applicant's name and phone among them) never leaves the page in memory.
SCHEMAS = {
    "dossiers": _schema(
        ("dossier_id", "updated_at"), ("dossier_id", "unit_key", "procedure_code", "channel", "status", *DOSSIER_TIMESTAMPS,
         "applicant_id_hash"),
        booleans=("input_digitised", "reused_digitised_data", "output_digitised"), integers=("fee_amount",)),
    "feedback": _schema(
        ("feedback_id", "updated_at"),
        ("feedback_id", "unit_key", "dossier_id", "topic", "status", "received_at", "due_at", "handled_at",
         "updated_at"), booleans=("is_satisfied",)),
    "daily_counts": _schema(("unit_key", "day"), ("unit_key", "day"),
                            integers=("received", "received_online", "finished")),
}


# Raw columns that older versions wrote and that now stay empty (personal data).
RETIRED_PERSONAL_COLUMNS = ("applicant_name", "applicant_id_number", "applicant_phone")


class WrongServerError(RuntimeError):
    """The API answering is not the instance the extraction was told to expect."""


def check_instance(response, expected: str) -> None:
    """Raise WrongServerError unless ``response`` comes from the instance ``expected``."""
    found = response.headers.get(INSTANCE_HEADER)
    if found != expected:
        raise WrongServerError(
            f"{response.url.split('?')[0]} answers as instance {found or '(none)'}, not {expected}: another "
            "server holds the one-stop-shop API's port; nothing was loaded from it")


def _pseudonymised(page: list[dict], key: bytes) -> list[dict]:
    """Dossier records with the ID number replaced by its keyed hash (the schema then keeps
    only the declared columns, so names and phones are not written)."""
    return [{**r, "applicant_id_hash": pseudonymise(r.get("applicant_id_number"), key)} for r in page]


# The API's update times: local time to the second with the +07:00 offset. dlt compares a
# text cursor as text, which orders them as times only while every value has this shape.
CURSOR_SHAPE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$"


def _checked_cursor(table: pa.Table) -> pa.Table:
    bad = pc.invert(pc.match_substring_regex(table["updated_at"], CURSOR_SHAPE))
    if pc.any(bad).as_py():
        example = table.filter(bad)["updated_at"][0].as_py()
        raise ValueError(f"the API sent updated_at {example!r}, not local time with +07:00: the incremental "
                         "cursor compares them as text, so nothing was loaded")
    return table


def _initial_cursor(settings: OssSettings, resource_state: dict) -> str:
    """Where a resource's cursor starts when dlt holds none: at the history start, or, for a
    warehouse extracted before dlt's cursor was used, its old ``watermark`` less the lag, the
    window that version would have re-read (nothing re-extracted, nothing skipped)."""
    watermark = resource_state.get("watermark")
    if watermark and "incremental" not in resource_state:
        return (datetime.fromisoformat(watermark) - timedelta(days=settings.overlap_days)).isoformat(timespec="seconds")
    return datetime.combine(settings.history_start, datetime.min.time()).isoformat() + "+07:00"


@dlt.source(name="oss")
def oss_source(settings: OssSettings, today: date, key: bytes | None = None):
    """``key``: of the applicants' ID hashes (default: CCHC_PII_KEY's)."""
    session = Client(request_max_attempts=settings.max_attempts, request_backoff_factor=settings.backoff_factor,
                     request_max_retry_delay=settings.max_retry_delay, raise_for_status=False).session
    key = key or pii_key()
    client = RESTClient(
        base_url=settings.base_url.rstrip("/") + "/api/v1/",
        auth=BearerTokenAuth(settings.token),
        paginator=JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor"),
        data_selector="items",
        session=session,
    )
    extracted_at = _now_local()

    def pages(resource: str, path: str, params: dict[str, Any]) -> Iterator[pa.Table]:
        """Pages as Arrow tables (dlt's fast path), personal data already dropped."""
        schema = SCHEMAS[resource]
        for number, page in enumerate(client.paginate(path, params={**params, "limit": settings.page_size}), 1):
            if settings.expected_instance:
                check_instance(page.response, settings.expected_instance)
            if not page:
                continue
            if resource == "dossiers":
                page = _pseudonymised(page, key)
            records = [{**r, "_source": SOURCE_NAME, "_page": number, "_extracted_at": extracted_at} for r in page]
            yield pa.Table.from_pylist(records, schema=schema)

    metadata = {"_extracted_at": {"data_type": "timestamp", "timezone": False}}
    lag = round(settings.overlap_days * 86400)  # seconds, dlt's unit for a datetime cursor
    resources_state = dlt.current.source_state().get("resources", {})

    def changes(name: str, id_column: str):
        """Records changed since dlt's cursor on ``updated_at``, less its lag (late, back-dated
        updates are re-read; the merge on (id, updated_at) keeps one row per version)."""
        cursor = dlt.sources.incremental(
            "updated_at", initial_value=_initial_cursor(settings, resources_state.get(name, {})), lag=lag,
            # the API's updated_since is strictly later; no Airflow interval replaces the cursor
            range_start="open", allow_external_schedulers=False)

        @dlt.resource(name=name, primary_key=(id_column, "updated_at"), write_disposition="merge", columns=metadata)
        def resource(updated_at=cursor):
            dlt.current.resource_state().pop("watermark", None)  # migrated (see _initial_cursor)
            yield from (_checked_cursor(table) for table in pages(name, name, {"updated_since": updated_at.start_value}))
        return resource

    @dlt.resource(name="daily_counts", primary_key=("unit_key", "day"), write_disposition="merge", columns=metadata)
    def daily_counts():
        # The counts of recent days still change (late entries, finishing): re-read the
        # reconciliation window before today every run. Not dlt's incremental: the window is
        # anchored on the run's day, not on the newest day seen, and a day's counts carry no
        # update time to be a cursor. The state only tells the first run (whole history).
        state = dlt.current.resource_state()
        date_from = max(settings.history_start, today - timedelta(days=settings.reconcile_days))
        date_from = date_from if state.get("watermark") else settings.history_start
        params = {"date_from": date_from.isoformat(), "date_to": today.isoformat()}
        for table in pages("daily_counts", "daily-counts", params):
            state["watermark"] = max(state.get("watermark") or "", pc.max(table["day"]).as_py())
            yield table

    dossiers, feedback = changes("dossiers", "dossier_id"), changes("feedback", "feedback_id")
    return dossiers, feedback, daily_counts


@dataclass(frozen=True)
class ExtractSummary:
    load_id: str | None
    rows: dict[str, int]
    # Loads an earlier, interrupted run had left pending, completed first: load id -> rows.
    resumed: dict[str, dict[str, int]] = field(default_factory=dict)

    def report(self, load: str = "load", resumed: str = "resumed interrupted load",
               nothing_new: str = "nothing new") -> str:
        """One line: the resumed loads, then this run's load and its rows per table (the
        words can be given in another language)."""
        def counts(rows: dict[str, int]) -> str:
            return ", ".join(f"{table} {n:,}" for table, n in sorted(rows.items())) or nothing_new
        earlier = "".join(f"{resumed} {load_id}: {counts(rows)}; " for load_id, rows in self.resumed.items())
        return f"{earlier}{load} {self.load_id}: {counts(self.rows)}"


def extract_oss(warehouse_path: Path, pipelines_dir: Path, settings: OssSettings | None = None,
                today: date | None = None) -> ExtractSummary:
    settings = settings or OssSettings.from_env()
    key = pii_key()  # production refuses a missing or demo key before anything is written
    today = today or (_now_local().date())
    # Arrow pages skip dlt's row normaliser; ask it to stamp the load id all the same.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # A load's files do not outlive it on disk: dlt deletes a package's files once loaded
    # (they hold no personal data anyway; raw_oss_staging keeps the last load's rows, which
    # the duplicate check reads).
    dlt.config["load.delete_completed_jobs"] = True
    private_dir(pipelines_dir)
    pipeline = dlt.pipeline(
        pipeline_name="cchc_oss", destination=dlt.destinations.duckdb(str(warehouse_path)),
        dataset_name=DATASET, pipelines_dir=str(pipelines_dir),
        # Large loads show progress: a bar on a terminal, a log line every 30 s otherwise.
        progress=TqdmCollector() if sys.stderr.isatty() else LogCollector(log_period=30, logger=log,
                                                                           dump_system_stats=False),
    )
    if settings.expected_instance:  # fail before anything is written; every page is checked too
        check_instance(requests.get(settings.base_url.rstrip("/") + "/health", timeout=30),
                       settings.expected_instance)
    resumed = _finish_pending_loads(pipeline, warehouse_path)
    info = pipeline.run(oss_source(settings, today, key), loader_file_format="parquet")
    rows = dict(pipeline.last_trace.last_normalize_info.row_counts) if pipeline.last_trace.last_normalize_info else {}
    rows = {k: v for k, v in rows.items() if not k.startswith("_dlt")}
    load_id = info.loads_ids[-1] if info and info.loads_ids else None
    scrub_retired_personal_columns(warehouse_path)
    prune_loaded_packages(Path(pipeline.working_dir))
    summary = ExtractSummary(load_id, rows, resumed)
    log.info("one-stop-shop extraction: %s", summary.report())
    return summary


def _finish_pending_loads(pipeline, warehouse_path: Path) -> dict[str, dict[str, int]]:
    """Load what an interrupted run left behind (extracted or normalised packages) first.
    dlt's `run` would load only those and return without asking the source for anything
    new, which would put the night's data a night late."""
    if not pipeline.has_pending_data:
        return {}
    log.warning("completing the load packages an interrupted extraction left pending")
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    info = pipeline.load()
    load_ids = list(info.loads_ids) if info else []
    if not load_ids:
        return {}
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return {load_id: {table: n for table in SCHEMAS
                          if (n := _rows_of_load(con, table, load_id))} for load_id in load_ids}


def _rows_of_load(con, table: str, load_id: str) -> int:
    try:
        return con.execute(f"SELECT count(*) FROM {DATASET}.{table} WHERE _dlt_load_id = ?", [load_id]).fetchone()[0]
    except Exception:  # duckdb.CatalogException: the table was not created by that load
        return 0


def scrub_retired_personal_columns(warehouse_path: Path) -> int:
    """Warehouses extracted by earlier versions hold applicants' names, phones and ID numbers
    in raw_oss.dossiers: replace the ID number by its keyed hash and empty the three columns
    (they stay, empty, because dlt's schema knows them). Returns the rows scrubbed."""
    import duckdb

    key = pii_key()
    with duckdb.connect(str(warehouse_path)) as con:
        present = {c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = 'dossiers'",
            [DATASET]).fetchall()}
        retired = [c for c in RETIRED_PERSONAL_COLUMNS if c in present]
        if not retired:
            return 0
        con.create_function("cchc_pseudonymise", lambda v: pseudonymise(v, key), ["VARCHAR"], "VARCHAR",
                            null_handling="special")
        hashed = ("applicant_id_hash = coalesce(applicant_id_hash, cchc_pseudonymise(applicant_id_number)), "
                  if "applicant_id_number" in retired else "")
        emptied = ", ".join(f"{c} = NULL" for c in retired)
        any_left = " OR ".join(f"{c} IS NOT NULL" for c in retired)
        scrubbed = con.execute(f"UPDATE {DATASET}.dossiers SET {hashed}{emptied} WHERE {any_left}").fetchone()[0]
    if scrubbed:
        log.warning("scrubbed personal data from %d rows of %s.dossiers written by an earlier version", scrubbed,
                    DATASET)
    return scrubbed


def prune_loaded_packages(working_dir: Path) -> None:
    """Completed load packages keep only dlt's bookkeeping (their data files are deleted as
    they load); remove the folders of completed loads altogether, older ones included."""
    import shutil

    loaded = working_dir / "load" / "loaded"
    if loaded.is_dir():
        for package in loaded.iterdir():
            shutil.rmtree(package, ignore_errors=True)
