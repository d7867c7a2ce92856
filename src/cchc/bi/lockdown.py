"""What every Superset connection to DuckDB is allowed to do: read the published serving
snapshot, nothing else. Loaded by ``superset/superset_config.py`` (hooks
``DB_SQLA_URI_VALIDATOR`` and ``DB_CONNECTION_MUTATOR``, which Superset calls for every
engine it creates: SQL Lab, charts, "test connection", metadata browsing) and by
``cchc.bi.bundle`` (the URI written into Superset's metadata).

Why DuckDB's own settings rather than SQL filtering: DuckDB reaches the file system through
table functions (``read_csv``, ``read_text``, ``glob``...), ``ATTACH``, ``COPY ... TO``,
``EXPORT DATABASE``, ``INSTALL`` / ``LOAD`` and persistent secrets; a list of forbidden
statements would miss the next one. ``enable_external_access=false`` refuses them all in
the engine, ``lock_configuration=true`` refuses every later ``SET`` / ``RESET`` (so no query
can switch the access back on or raise its memory limit), and ``access_mode=read_only``
refuses writes to the snapshot. duckdb-engine hands the URI's query to ``duckdb.connect``'s
config, i.e. before the first statement runs.

Only the standard library: the module runs in the pipeline and in Superset's environment.
"""

from __future__ import annotations

import os
import re
from typing import Any

# The lock itself: the same in the committed bundle, in Superset's metadata and on every
# connection (the mutator re-applies it, whatever an admin wrote into the database's URI).
DUCKDB_LOCK = {"access_mode": "read_only", "enable_external_access": "false", "lock_configuration": "true"}

# Per connection (Superset opens one per query): environment variable -> (DuckDB setting,
# demo default, accepted form). The lock keeps a query from raising them.
RESOURCE_LIMITS = {
    "CCHC_SUPERSET_DUCKDB_MEMORY_LIMIT": ("memory_limit", "2GB", r"\d+(\.\d+)?\s*[KMGT]i?B"),
    "CCHC_SUPERSET_DUCKDB_THREADS": ("threads", "2", r"[1-9]\d*"),
    # Spilling goes to <serving>.tmp: bounded, so a runaway sort cannot fill the disk.
    "CCHC_SUPERSET_DUCKDB_TEMP_LIMIT": ("max_temp_directory_size", "10GB", r"\d+(\.\d+)?\s*[KMGT]i?B"),
}

SERVING_PATH_VARIABLE = "CCHC_SUPERSET_SERVING_PATH"


class ForbiddenConnection(ValueError):
    """A connection Superset may not open: another engine, another file, a bad limit."""


def resource_limits(environ: dict[str, str] | None = None) -> dict[str, str]:
    """DuckDB settings for memory, threads and spill size, from the environment."""
    environ = os.environ if environ is None else environ
    limits = {}
    for variable, (setting, default, pattern) in RESOURCE_LIMITS.items():
        value = environ.get(variable, "").strip() or default
        if not re.fullmatch(pattern, value, flags=re.IGNORECASE):
            raise ForbiddenConnection(f"{variable}={value!r} is not a valid {setting} (e.g. {default})")
        limits[setting] = value
    return limits


def connection_config(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The URI query of every connection: the lock plus the resource limits."""
    return {**resource_limits(environ), **DUCKDB_LOCK}


def check_uri(uri: Any, serving_path: str) -> None:
    """Refuse any URI but DuckDB on the serving link (``uri``: a SQLAlchemy URL).

    The path is compared as written, not resolved: the serving link is what the publisher
    switches atomically, and the snapshot it points to changes every night."""
    database = uri.database or ""
    if uri.drivername != "duckdb" or os.path.normpath(database) != os.path.normpath(serving_path):
        raise ForbiddenConnection(
            f"this Superset reads only the serving snapshot duckdb:///{serving_path} "
            f"(set by {SERVING_PATH_VARIABLE}); refused {uri.drivername}:///{database}")


def lock(uri: Any, params: dict[str, Any], environ: dict[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
    """The URI and engine parameters with the lock enforced.

    The query is replaced, not merged: an ``enable_external_access=true`` or a MotherDuck
    token written into the database's URI is dropped. The engine parameters come from the
    database's ``extra`` (an admin may edit it) and SQLAlchemy lets ``connect_args``
    override what the URI says (``database``, duckdb-engine's ``url_config``,
    ``preload_extensions``), so only the pool class is kept. That drops Superset's
    per-source DuckDB user agent too, on purpose: DuckDB refuses a second connection to an
    open file with another configuration, so a chart and a SQL Lab query at the same time
    need identical ones."""
    safe: dict[str, Any] = {"connect_args": {}}
    if "poolclass" in params:
        safe["poolclass"] = params["poolclass"]
    return uri.set(query=connection_config(environ)), safe
