"""Opening the build warehouse for writing from outside the nightly run.

DuckDB lets one process write a file at a time. Inside Airflow the writers take turns
through a one-slot pool; a one-off writer started beside it (``cchc reference load`` in the
stack's ``airflow-init``, run again by every ``docker compose up``) would otherwise fail at
once if it starts while a night's task holds the file. It waits instead, a bounded time.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

# DuckDB's message when another process holds the file ("Conflicting lock is held in …").
LOCK_HELD = "Could not set lock on file"


class WarehouseBusyError(RuntimeError):
    """Another process kept the warehouse longer than the writer would wait."""


def connect_when_free(warehouse_path: Path, wait_seconds: float, *,
                      poll_seconds: float = 2.0) -> duckdb.DuckDBPyConnection:
    """A read-write connection to `warehouse_path`, waiting up to `wait_seconds` while
    another process holds it; WarehouseBusyError (naming the file) after that. Any other
    failure to open is raised as it is."""
    deadline = time.monotonic() + wait_seconds
    waited = False
    while True:
        try:
            con = duckdb.connect(str(warehouse_path))
        except duckdb.IOException as error:
            if LOCK_HELD not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"{warehouse_path}: another process is writing it (the nightly run?) and did not "
                    f"let go within {wait_seconds:g} s; try again after it ends") from error
            if not waited:
                log.warning("%s: held by another process; waiting up to %g s", warehouse_path, wait_seconds)
                waited = True
            time.sleep(min(poll_seconds, max(deadline - time.monotonic(), 0)))
            continue
        if waited:
            log.info("%s: free, opened", warehouse_path)
        return con
