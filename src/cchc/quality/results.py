"""The validation history in the build warehouse (published with the marts):
`quality.validation_results`, every result of every run, appended: one summary row per
expectation (unit_key NULL) and one row per failing unit/row. dbt creates the table (macro
create_quality_result_tables, on-run-start) and the reporting models read it; this module
only appends the run's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from .suites import ExpectationSpec


@dataclass(frozen=True)
class ResultRow:
    spec: ExpectationSpec
    success: bool
    unit_key: str | None
    unit_name: str | None
    observed_value: str | None
    message_vi: str | None
    checked_rows: int
    failed_rows: int


def write_results(con: duckdb.DuckDBPyConnection, rows: list[ResultRow], *, run_id: str,
                  validated_at: datetime, as_of: date) -> int:
    frame = pd.DataFrame([{
        "run_id": run_id, "validated_at": validated_at, "as_of": as_of, "suite": r.spec.suite,
        "dataset": r.spec.dataset, "expectation": r.spec.name, "expectation_type": r.spec.type,
        "severity": r.spec.severity, "success": r.success, "unit_key": r.unit_key, "unit_name": r.unit_name,
        "observed_value": r.observed_value, "message_vi": r.message_vi, "checked_rows": r.checked_rows,
        "failed_rows": r.failed_rows} for r in rows])
    if frame.empty:
        return 0
    con.register("new_results", frame)
    try:
        con.execute("INSERT INTO quality.validation_results BY NAME SELECT * FROM new_results")
    except duckdb.CatalogException as error:
        raise RuntimeError("quality.validation_results is missing: run `dbt build` (its on-run-start "
                           "creates the result tables) before validating") from error
    finally:
        con.unregister("new_results")
    return len(frame)
