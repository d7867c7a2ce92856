"""Incremental extraction from the one-stop-shop API into the raw layer, with dlt.

Why dlt: its REST client brings the cursor paginator, bearer auth and retries with
exponential backoff on 429/5xx (honouring Retry-After); its pipeline state is stored in
the warehouse too, so a fresh machine resumes where the last run stopped; pages go in as
Arrow tables and load as Parquet (its fast path). Each run re-reads an overlap window before
the watermark (the latest ``updated_at`` seen) to catch late updates. The watermark lives
in dlt's resource state, which only advances when a load completes, so an interrupted run
is simply run again: nothing is lost, and the merge on (id, updated_at) adds no duplicates.

Raw tables (schema ``raw_oss``) keep every version of a record the source sent, as sent,
plus load metadata: ``_dlt_load_id`` (load id), ``_source``, ``_page`` (page number in the
run), ``_extracted_at`` (local time). Staging keeps the latest version per record.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import dlt
import pyarrow as pa
from dlt.common.runtime.collector import LogCollector, TqdmCollector
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ..settings import TIME_ZONE

log = logging.getLogger(__name__)

DATASET = "raw_oss"
SOURCE_NAME = "oss_api"
DOSSIER_TIMESTAMPS = ("received_at", "due_at", "supplement_requested_at", "supplement_received_at",
                      "suspended_at", "resumed_at", "finished_at", "rejected_at", "withdrawn_at",
                      "apology_letter_at", "paid_online_at", "updated_at")


@dataclass(frozen=True)
class OssSettings:
    base_url: str = "http://127.0.0.1:8765"
    token: str = "demo-oss-token"
    overlap_days: float = 2.0   # re-read this much before the watermark: late updates
    page_size: int = 1000
    reconcile_days: int = 35     # daily counts are re-read this far back every run
    history_start: date = date(2022, 1, 1)
    max_attempts: int = 6       # per request, transient errors included
    backoff_factor: float = 1.0  # seconds, doubled at each retry
    max_retry_delay: float = 30.0

    @classmethod
    def from_env(cls) -> "OssSettings":
        env = os.environ
        default = cls()
        return cls(
            # The demo's own API listens on CCHC_OSS_PORT.
            base_url=env.get("CCHC_OSS_URL", f"http://127.0.0.1:{env.get('CCHC_OSS_PORT', '8765')}"),
            token=env.get("CCHC_OSS_TOKEN", default.token),
            overlap_days=float(env.get("CCHC_OSS_OVERLAP_DAYS", default.overlap_days)),
            page_size=int(env.get("CCHC_OSS_PAGE_SIZE", default.page_size)),
            reconcile_days=int(env.get("CCHC_OSS_RECONCILE_DAYS", default.reconcile_days)),
            history_start=date.fromisoformat(env.get("CCHC_HISTORY_START", default.history_start.isoformat())),
            max_attempts=int(env.get("CCHC_OSS_MAX_ATTEMPTS", default.max_attempts)),
            backoff_factor=float(env.get("CCHC_OSS_BACKOFF_SECONDS", default.backoff_factor)),
        )


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
# offset; staging types them.
SCHEMAS = {
    "dossiers": _schema(
        ("dossier_id", "updated_at"), ("dossier_id", "unit_key", "procedure_code", "channel", "status", *DOSSIER_TIMESTAMPS,
         "applicant_name", "applicant_id_number", "applicant_phone"),
        booleans=("input_digitised", "reused_digitised_data", "output_digitised"), integers=("fee_amount",)),
    "feedback": _schema(
        ("feedback_id", "updated_at"),
        ("feedback_id", "unit_key", "dossier_id", "topic", "status", "received_at", "due_at", "handled_at",
         "updated_at"), booleans=("is_satisfied",)),
    "daily_counts": _schema(("unit_key", "day"), ("unit_key", "day"),
                            integers=("received", "received_online", "finished")),
}


@dlt.source(name="oss")
def oss_source(settings: OssSettings, today: date):
    session = Client(request_max_attempts=settings.max_attempts, request_backoff_factor=settings.backoff_factor,
                     request_max_retry_delay=settings.max_retry_delay, raise_for_status=False).session
    client = RESTClient(
        base_url=settings.base_url.rstrip("/") + "/api/v1/",
        auth=BearerTokenAuth(settings.token),
        paginator=JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor"),
        data_selector="items",
        session=session,
    )
    extracted_at = _now_local()
    overlap = timedelta(days=settings.overlap_days)

    def pages(resource: str, path: str, params: dict[str, Any], cursor: str) -> Iterator[pa.Table]:
        """Pages as Arrow tables (dlt's fast path); advances the watermark in the
        resource's state, which dlt commits only with a completed load."""
        state = dlt.current.resource_state()
        schema = SCHEMAS[resource]
        for number, page in enumerate(client.paginate(path, params={**params, "limit": settings.page_size}), 1):
            if not page:
                continue
            records = [{**r, "_source": SOURCE_NAME, "_page": number, "_extracted_at": extracted_at} for r in page]
            state["watermark"] = max(state.get("watermark") or "", max(r[cursor] for r in page))
            yield pa.Table.from_pylist(records, schema=schema)

    def since(default: str) -> str:
        watermark = dlt.current.resource_state().get("watermark")
        if not watermark:
            return default
        return (datetime.fromisoformat(watermark) - overlap).isoformat()

    metadata = {"_extracted_at": {"data_type": "timestamp", "timezone": False}}
    initial = datetime.combine(settings.history_start, datetime.min.time()).isoformat() + "+07:00"

    @dlt.resource(name="dossiers", primary_key=("dossier_id", "updated_at"), write_disposition="merge", columns=metadata)
    def dossiers():
        yield from pages("dossiers", "dossiers", {"updated_since": since(initial)}, "updated_at")

    @dlt.resource(name="feedback", primary_key=("feedback_id", "updated_at"), write_disposition="merge", columns=metadata)
    def feedback():
        yield from pages("feedback", "feedback", {"updated_since": since(initial)}, "updated_at")

    @dlt.resource(name="daily_counts", primary_key=("unit_key", "day"), write_disposition="merge", columns=metadata)
    def daily_counts():
        # The counts of recent days still change (late entries, finishing): re-read a
        # reconciliation window every run, whatever the dossiers' overlap.
        first_run = not dlt.current.resource_state().get("watermark")
        date_from = max(settings.history_start, today - timedelta(days=settings.reconcile_days))
        date_from = settings.history_start if first_run else date_from
        yield from pages("daily_counts", "daily-counts", {"date_from": date_from.isoformat(), "date_to": today.isoformat()}, "day")

    return dossiers, feedback, daily_counts


@dataclass(frozen=True)
class ExtractSummary:
    load_id: str | None
    rows: dict[str, int]


def extract_oss(warehouse_path: Path, pipelines_dir: Path, settings: OssSettings | None = None,
                today: date | None = None) -> ExtractSummary:
    settings = settings or OssSettings.from_env()
    today = today or (_now_local().date())
    # Arrow pages skip dlt's row normaliser; ask it to stamp the load id all the same.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    pipeline = dlt.pipeline(
        pipeline_name="cchc_oss", destination=dlt.destinations.duckdb(str(warehouse_path)),
        dataset_name=DATASET, pipelines_dir=str(pipelines_dir),
        # Large loads show progress: a bar on a terminal, a log line every 30 s otherwise.
        progress=TqdmCollector() if sys.stderr.isatty() else LogCollector(log_period=30, logger=log,
                                                                           dump_system_stats=False),
    )
    info = pipeline.run(oss_source(settings, today), loader_file_format="parquet")
    rows = dict(pipeline.last_trace.last_normalize_info.row_counts) if pipeline.last_trace.last_normalize_info else {}
    rows = {k: v for k, v in rows.items() if not k.startswith("_dlt")}
    load_id = info.loads_ids[-1] if info.loads_ids else None
    log.info("one-stop-shop extraction %s: %s", load_id, rows)
    return ExtractSummary(load_id, rows)
