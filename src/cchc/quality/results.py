"""The validation history in the build warehouse (published with the marts):

quality.validation_results  every result of every run, appended: one summary row per
                            expectation (unit_key NULL) and one row per failing unit/row
quality.unit_data_gaps      the latest run's failing rows per unit, for the dashboard's
                            "missing data" table (replaced every run)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from .suites import ExpectationSpec

RESULTS_DDL = """
CREATE SCHEMA IF NOT EXISTS quality;
CREATE TABLE IF NOT EXISTS quality.validation_results (
    run_id VARCHAR NOT NULL,
    validated_at TIMESTAMP NOT NULL,   -- local time, Asia/Ho_Chi_Minh
    as_of DATE NOT NULL,
    suite VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    expectation_type VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    unit_key VARCHAR,                  -- NULL on an expectation's summary row
    unit_name VARCHAR,
    observed_value VARCHAR,
    message_vi VARCHAR,
    checked_rows INTEGER,
    failed_rows INTEGER
);
COMMENT ON TABLE quality.validation_results IS 'Kết quả kiểm tra chất lượng dữ liệu (Great Expectations), mọi lượt chạy';
"""

GAPS_SQL = """
CREATE OR REPLACE TABLE quality.unit_data_gaps AS
SELECT r.run_id, r.validated_at, r.as_of, r.unit_key, r.unit_name, u.peer_group,
       r.suite, r.expectation, r.severity, r.observed_value, r.message_vi
FROM quality.validation_results AS r
LEFT JOIN marts.dim_unit AS u ON r.unit_key = u.unit_key
WHERE r.run_id = ? AND r.validated_at = ? AND NOT r.success AND r.unit_key IS NOT NULL
ORDER BY r.severity, r.suite, r.expectation, r.unit_key;
COMMENT ON TABLE quality.unit_data_gaps IS 'Đơn vị thiếu hoặc sai dữ liệu theo lượt kiểm tra mới nhất';
"""


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
    con.execute("BEGIN")
    try:
        con.execute(RESULTS_DDL)
        if not frame.empty:
            con.register("new_results", frame)
            con.execute("INSERT INTO quality.validation_results BY NAME SELECT * FROM new_results")
            con.unregister("new_results")
        for statement in GAPS_SQL.split(";\n"):
            if statement.strip():
                con.execute(statement, [run_id, validated_at] if "?" in statement else [])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(frame)
