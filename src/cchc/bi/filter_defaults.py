"""The dashboards' filter defaults, answered by the serving snapshot each time it changes.

A period or unit-status filter opens on the first value of its list in the order of a metric
its dbt model declares (``sortMetric``: the last complete month, the units in force...).
Superset can do that in the browser (``defaultToFirstItem``), but then every chart waits for
the filters' own queries before asking for its data: on the 2-core machine that wait was a
third of a dashboard's load (bench/README.md). So the filters carry a plain default value
instead, and this module writes it: the same query the filter's list runs (the filter's
dataset and pre-filters, grouped by its column, ordered by the metric's SQL, which Superset
imported from dbt), first row only. The bundle still holds no date: the value comes from the
snapshot, and dbt decides it every night.

Runs INSIDE Superset's environment: by ``cchc.bi.provision`` after the bundle import, and in
every gunicorn worker before the first request that sees a new serving snapshot (the serving
link moved) or rewritten dashboards (an import: ``install``), so a publish moves the defaults
on without a restart. A filter the snapshot cannot answer (no rows) keeps no default: it
then filters nothing, never an empty page.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any
from uuid import UUID

log = logging.getLogger(__name__)

# Operators of the filters' simple pre-filters (cchc.bi.bundle) -> SQL with one parameter.
OPERATORS = {"==": "= :value", "!=": "<> :value", "IS TRUE": "IS TRUE", "IS FALSE": "IS FALSE",
             "IS NULL": "IS NULL", "IS NOT NULL": "IS NOT NULL"}
RETRY_AFTER_S = 60  # after a failed refresh, the next try waits this long (not every request)


def default_mask(column: str, value: Any) -> dict:
    """What Superset's select filter stores for a chosen value (its own data mask shape)."""
    if value is None:
        return {"extraFormData": {}, "filterState": {}, "ownState": {}}
    return {"extraFormData": {"filters": [{"col": column, "op": "IN", "val": [value]}]},
            "filterState": {"value": [value], "label": str(value)}, "ownState": {}}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def first_value_sql(table: str, schema: str | None, column: str, metric_sql: str, ascending: bool,
                    prefilters: list[dict]) -> tuple[str, dict]:
    """SQL (and its parameters) of the first value of a filter's list."""
    where, params = [], {}
    for n, prefilter in enumerate(prefilters):
        operator = prefilter.get("operator")
        if prefilter.get("expressionType") != "SIMPLE" or operator not in OPERATORS:
            raise ValueError(f"unsupported pre-filter of the filter on {table}.{column}: {prefilter}")
        where.append(f"{_quote(prefilter['subject'])} {OPERATORS[operator].replace(':value', f':p{n}')}")
        if ":value" in OPERATORS[operator]:
            params[f"p{n}"] = prefilter.get("comparator")
    source = f"{_quote(schema)}.{_quote(table)}" if schema else _quote(table)
    sql = (f"SELECT {_quote(column)} AS value FROM {source}"
           + (f" WHERE {' AND '.join(where)}" if where else "")
           + f" GROUP BY 1 ORDER BY {metric_sql} {'ASC' if ascending else 'DESC'} NULLS LAST, 1 LIMIT 1")
    return sql, params


def apply_defaults() -> dict[str, dict[str, Any]]:
    """Write every sorted filter's default (its list's first value) into the dashboards;
    returns {dashboard slug: {filter name: value}}. Writes only what changed."""
    from sqlalchemy import text
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.dashboard import Dashboard

    from superset import db

    answered: dict[tuple, Any] = {}
    chosen: dict[str, dict[str, Any]] = {}
    for dashboard in db.session.query(Dashboard).all():
        metadata = json.loads(dashboard.json_metadata or "{}")
        changed = False
        for spec in metadata.get("native_filter_configuration", []):
            metric_name = spec.get("sortMetric")
            if spec.get("filterType") != "filter_select" or not metric_name or not spec.get("targets"):
                continue
            target = spec["targets"][0]
            column = target["column"]["name"]
            ascending = bool(spec.get("controlValues", {}).get("sortAscending", True))
            prefilters = spec.get("adhoc_filters") or []
            # the bundle names the dataset by UUID; the import stores its id instead
            dataset_key = ("id", target["datasetId"]) if "datasetId" in target else ("uuid", target["datasetUuid"])
            key = (dataset_key, column, metric_name, ascending, json.dumps(prefilters, sort_keys=True))
            if key not in answered:
                field, value = dataset_key
                dataset = db.session.query(SqlaTable).filter_by(
                    **{field: value if field == "id" else UUID(value)}).one()
                metric = next(m for m in dataset.metrics if m.metric_name == metric_name)
                sql, params = first_value_sql(dataset.table_name, dataset.schema, column, metric.expression,
                                              ascending, prefilters)
                with dataset.database.get_sqla_engine() as engine, engine.connect() as connection:
                    row = connection.execute(text(sql), params).first()
                answered[key] = None if row is None else row[0]
            value = answered[key]
            chosen.setdefault(dashboard.slug, {})[spec.get("name", column)] = value
            mask = default_mask(column, value)
            if spec.get("defaultDataMask") != mask:
                spec["defaultDataMask"] = mask
                changed = True
        if changed:
            dashboard.json_metadata = json.dumps(metadata)
    db.session.commit()
    return chosen


def _dashboards_version() -> tuple:
    """What changes when a dashboard is written (an import, an edit): count and last change."""
    from sqlalchemy import func
    from superset.models.dashboard import Dashboard

    from superset import db

    return tuple(db.session.query(func.count(Dashboard.id), func.max(Dashboard.changed_on)).one())


def install(app, serving_link: str) -> None:  # type: ignore[no-untyped-def]
    """Refresh the defaults before the first request each worker serves on a new snapshot,
    or after the dashboards were written (a bundle import puts back the bundle's empty
    defaults). Writing the defaults changes the dashboards once more; the next check then
    finds nothing to write and the state settles."""
    state = {"seen": None, "retry_at": 0.0}
    lock = threading.Lock()

    @app.before_request
    def refresh_filter_defaults() -> None:
        if time.monotonic() < state["retry_at"]:
            return
        snapshot = os.path.realpath(serving_link)
        with lock:
            try:
                seen = (snapshot, _dashboards_version())
                if seen == state["seen"]:
                    return
                chosen = apply_defaults()
                seen = (snapshot, _dashboards_version())
            except Exception:  # a request must not fail for it; the filters keep their last default
                from superset import db

                db.session.rollback()
                state["retry_at"] = time.monotonic() + RETRY_AFTER_S
                log.exception("filter defaults not refreshed for %s; next try in %d s", snapshot, RETRY_AFTER_S)
                return
            state["seen"] = seen
            log.info("filter defaults for %s: %s", os.path.basename(snapshot), chosen)
