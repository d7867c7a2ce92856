"""HTTP API of the one-stop-shop system (FastAPI; OpenAPI at /openapi.json, docs at /docs).

- Bearer-token auth on every /api/v1 endpoint.
- Keyset (cursor) pagination ordered by (updated_at, id): stable while the data changes.
- ``updated_since``: records whose last change is strictly later (incremental extraction).
- ``/api/v1/daily-counts``: what the system itself counts per unit and day, the figures
  the national portal publishes and the pipeline reconciles against.
- Configurable transient errors (429 / 503) and outages, to exercise the extractor's retries.
- ``/admin``: move the service's clock (the state it shows is "as of" it) and set faults;
  guarded by a separate admin token.

All times are local (Asia/Ho_Chi_Minh) and returned as ISO 8601 with the +07:00 offset.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from ...settings import TIME_ZONE
from . import INSTANCE_HEADER, store

LOCAL = ZoneInfo(TIME_ZONE)
OFFSET = "+07:00"
API_VERSION = "1.0.0"
MAX_PAGE = 5000


Since = Annotated[datetime | None, Query(description="Only records changed strictly after this time "
                                                 "(ISO 8601; without an offset: local time)")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _check(request: Request, credentials: HTTPAuthorizationCredentials | None, kind: str) -> None:
    if credentials is None or credentials.credentials != request.app.state.tokens[kind]:
        raise HTTPException(401, "invalid or missing token", headers={"WWW-Authenticate": "Bearer"})


def require_token(request: Request, credentials: Credentials) -> None:
    _check(request, credentials, "api")


def require_admin(request: Request, credentials: Credentials) -> None:
    _check(request, credentials, "admin")


class Dossier(BaseModel):
    dossier_id: str = Field(description="Mã hồ sơ")
    unit_key: str = Field(description="Receiving unit, scheme-qualified code ('2025:18073', 'dept_2025:SNV')")
    procedure_code: str
    channel: str = Field(description="truc_tiep | truc_tuyen_toan_trinh | truc_tuyen_mot_phan | bcci")
    status: str = Field(description="in_progress | waiting_for_supplement | suspended | finished | rejected | withdrawn")
    received_at: str
    due_at: str = Field(description="Ngày hẹn trả; restarts when requested supplementary papers arrive")
    supplement_requested_at: str | None = None
    supplement_received_at: str | None = None
    suspended_at: str | None = None
    resumed_at: str | None = None
    finished_at: str | None = None
    rejected_at: str | None = None
    withdrawn_at: str | None = None
    apology_letter_at: str | None = Field(None, description="Thư xin lỗi issued for a late dossier")
    input_digitised: bool
    reused_digitised_data: bool
    output_digitised: bool | None = Field(None, description="Set once the dossier is finished")
    fee_amount: int | None = Field(None, description="Fee in VND; null when the procedure has none")
    paid_online_at: str | None = None
    applicant_name: str | None = Field(None, description="Personal data")
    applicant_id_number: str | None = Field(None, description="Personal data (CCCD)")
    applicant_phone: str | None = Field(None, description="Personal data")
    updated_at: str = Field(description="Last change; the incremental cursor")


class Feedback(BaseModel):
    feedback_id: str
    unit_key: str
    dossier_id: str | None
    topic: str
    status: str = Field(description="open | handled")
    received_at: str
    due_at: str
    handled_at: str | None
    is_satisfied: bool | None
    updated_at: str


class DailyCount(BaseModel):
    unit_key: str
    day: date
    received: int
    received_online: int
    finished: int


class Page(BaseModel):
    as_of: str = Field(description="The system's clock: the state shown is as of this time")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class DossierPage(Page):
    items: list[Dossier]


class FeedbackPage(Page):
    items: list[Feedback]


class DailyCountPage(Page):
    items: list[DailyCount]


class Clock(BaseModel):
    as_of: datetime


class Faults(BaseModel):
    error_rate: float = Field(0.0, ge=0, le=1, description="Share of API requests answered 429 or 503")
    outage: bool = Field(False, description="Answer every API request 503")
    fail_after_requests: int | None = Field(None, ge=0, description="Outage after this many more successful requests")


def local_text(value: datetime | str) -> str:
    """A timestamp as the database stores it: local time, 'YYYY-MM-DDTHH:MM:SS'."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def now_local() -> str:
    return datetime.now(LOCAL).replace(tzinfo=None).isoformat(timespec="seconds")


def _with_offset(row: dict[str, Any], time_fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: (f"{v}{OFFSET}" if k in time_fields and v else v) for k, v in row.items()}


def _encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode_cursor(cursor: str, size: int) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, json.JSONDecodeError):
        raise HTTPException(400, "invalid cursor") from None
    if not isinstance(values, list) or len(values) != size:
        raise HTTPException(400, "invalid cursor")
    return values


class Service:
    """The service's state: database connection, clock and injected faults."""

    def __init__(self, db_path: Path, state_path: Path, as_of: str, faults: Faults, seed: int = 0):
        self.lock = threading.Lock()
        self.con = store.open_state(db_path, state_path)
        self.faults = faults
        self.random = random.Random(seed)
        self.set_clock(as_of)

    def set_clock(self, as_of: str) -> None:
        with self.lock:
            store.materialise(self.con, as_of)
            self.as_of = as_of

    def query(self, sql: str, params: dict) -> list[dict]:
        with self.lock:
            return [dict(r) for r in self.con.execute(sql, params).fetchall()]

    def failure(self) -> JSONResponse | None:
        """A transient or permanent error to answer instead of data, if faults say so."""
        with self.lock:
            faults = self.faults
            if faults.fail_after_requests is not None:
                if faults.fail_after_requests == 0:
                    faults.outage = True
                else:
                    faults.fail_after_requests -= 1
            if faults.outage:
                return JSONResponse({"detail": "service unavailable"}, status_code=503)
            if faults.error_rate and self.random.random() < faults.error_rate:
                if self.random.random() < 0.5:
                    return JSONResponse({"detail": "too many requests"}, status_code=429, headers={"Retry-After": "1"})
                return JSONResponse({"detail": "temporarily unavailable"}, status_code=503)
        return None


def create_app(db_path: Path, token: str, admin_token: str, as_of: str | None = None,
               faults: Faults | None = None, state_path: Path | None = None, seed: int = 0,
               instance: str | None = None) -> FastAPI:
    """``instance``: an id sent back in the X-OSS-Instance header of every answer, so the
    process that started this server can tell it from another one on the same port."""
    service = Service(db_path, state_path or db_path.with_name(db_path.stem + ".state.sqlite"),
                      local_text(as_of) if as_of else now_local(), faults or Faults(), seed)
    app = FastAPI(
        title="Hệ thống thông tin giải quyết TTHC — one-stop-shop API (simulated)",
        version=API_VERSION,
        description=__doc__,
    )
    app.state.service = service
    app.state.tokens = {"api": token, "admin": admin_token}
    @app.middleware("http")
    async def inject_faults(request: Request, call_next):
        response = None
        if request.url.path.startswith("/api/"):
            response = service.failure()
        response = response or await call_next(request)
        if instance:
            response.headers[INSTANCE_HEADER] = instance
        return response

    def page(table: str, key: tuple[str, ...], where: str, params: dict, cursor: str | None, limit: int,
             time_fields: tuple[str, ...], exclude: tuple[str, ...] = ()) -> dict:
        order = ", ".join(key)
        if cursor:
            after = _decode_cursor(cursor, len(key))
            where += f" AND ({order}) > ({', '.join(f':c{i}' for i in range(len(key)))})"
            params.update({f"c{i}": v for i, v in enumerate(after)})
        rows = service.query(f"SELECT * FROM {table} WHERE {where} ORDER BY {order} LIMIT :limit",
                             {**params, "limit": limit + 1})
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode_cursor([rows[-1][k] for k in key]) if more else None
        items = [_with_offset({k: v for k, v in r.items() if k not in exclude}, time_fields) for r in rows]
        return {"as_of": f"{service.as_of}{OFFSET}", "next_cursor": next_cursor, "items": items}

    @app.get("/health", tags=["system"])
    def health() -> dict:
        return {"status": "ok", "as_of": f"{service.as_of}{OFFSET}"}

    @app.get("/api/v1/dossiers", response_model=DossierPage, dependencies=[Depends(require_token)], tags=["data"])
    def dossiers(updated_since: Since = None, limit: Limit = 1000, cursor: Cursor = None) -> dict:
        """Dossiers in (updated_at, dossier_id) order. A record can appear twice when the
        source duplicates it; consumers deduplicate on dossier_id and updated_at."""
        since = local_text(updated_since) if updated_since else ""
        time_fields = tuple(f for f in Dossier.model_fields if f.endswith("_at"))
        return page("dossier_state", ("updated_at", "dossier_id", "copy_no"), "updated_at > :since",
                    {"since": since}, cursor, limit, time_fields, exclude=("copy_no",))

    @app.get("/api/v1/feedback", response_model=FeedbackPage, dependencies=[Depends(require_token)], tags=["data"])
    def feedback(updated_since: Since = None, limit: Limit = 1000, cursor: Cursor = None) -> dict:
        """Feedback (phản ánh, kiến nghị) records in (updated_at, feedback_id) order."""
        since = local_text(updated_since) if updated_since else ""
        time_fields = ("received_at", "due_at", "handled_at", "updated_at")
        return page("feedback_state", ("updated_at", "feedback_id"), "updated_at > :since",
                    {"since": since}, cursor, limit, time_fields)

    @app.get("/api/v1/daily-counts", response_model=DailyCountPage, dependencies=[Depends(require_token)],
             tags=["data"])
    def daily_counts(date_from: date, date_to: date, limit: Limit = 1000, cursor: Cursor = None) -> dict:
        """Dossiers received (and received online) and finished per unit and day, as the
        system counts them: the reconciliation figures."""
        if date_to < date_from:
            raise HTTPException(422, "date_to is before date_from")
        return page("daily_counts", ("day", "unit_key"), "day BETWEEN :date_from AND :date_to",
                    {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}, cursor, limit, ())

    @app.put("/admin/clock", dependencies=[Depends(require_admin)], tags=["admin"])
    def set_clock(clock: Clock) -> dict:
        service.set_clock(local_text(clock.as_of))
        return {"as_of": f"{service.as_of}{OFFSET}"}

    @app.put("/admin/faults", dependencies=[Depends(require_admin)], tags=["admin"])
    def set_faults(faults: Faults) -> Faults:
        with service.lock:
            service.faults = faults
        return faults

    return app


def serve(db_path: Path, host: str, port: int, token: str, admin_token: str, as_of: str | None = None,
          error_rate: float = 0.0, instance: str | None = None) -> None:
    import uvicorn

    app = create_app(db_path, token, admin_token, as_of=as_of, faults=Faults(error_rate=error_rate),
                     instance=instance)
    uvicorn.run(app, host=host, port=port, log_level="warning")
