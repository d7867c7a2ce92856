"""Reconciliation of the nightly extraction: dossiers extracted per unit and day against the
one-stop-shop system's own daily counts (``raw_oss.daily_counts``, the figures the national
portal publishes).

Checked on the raw layer, right after the extraction and before dbt, so a gap is reported
against what was actually received from the source, whatever staging later does with it.
The window is the source's reconciliation window (``CCHC_OSS_RECONCILE_DAYS``, the days
whose counts are re-read every night), up to the day before the run: the run's own day is
still filling.

Severity: a mismatch is a *warning* (alert, the run still publishes). The usual cause is
records that reach the source late with a back-dated update time; the overlap window of the
next extractions picks most of them up, and blocking the whole province's dashboards for a
few dossiers of one unit would do more harm than showing them a day late. The alert names
the units and days so the operator can widen ``CCHC_OSS_OVERLAP_DAYS`` or re-extract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

RECONCILE_SQL = """
WITH latest AS (          -- the latest version of each dossier the source sent
    SELECT dossier_id,
           arg_max(unit_key, updated_at) AS unit_key,
           CAST(substr(arg_max(received_at, updated_at), 1, 10) AS DATE) AS day
    FROM raw_oss.dossiers
    GROUP BY dossier_id
), extracted AS (
    SELECT unit_key, day, count(*) AS extracted FROM latest
    WHERE day BETWEEN $first AND $last GROUP BY ALL
), source AS (
    SELECT unit_key, CAST(day AS DATE) AS day, sum(received) AS reported FROM raw_oss.daily_counts
    WHERE CAST(day AS DATE) BETWEEN $first AND $last GROUP BY ALL
)
SELECT unit_key, day, coalesce(s.reported, 0) AS reported, coalesce(e.extracted, 0) AS extracted
FROM source s FULL JOIN extracted e USING (unit_key, day)
ORDER BY unit_key, day
"""

UNIT_NAMES_SQL = """
SELECT unit_key, name FROM reference.admin_units
UNION ALL SELECT department_key, name FROM reference.departments
"""


@dataclass(frozen=True)
class Mismatch:
    unit_key: str
    day: date
    reported: int    # the source's own count
    extracted: int   # distinct dossiers in the raw layer


@dataclass
class ReconciliationReport:
    first_day: date
    last_day: date
    compared: int = 0                       # unit-days compared
    mismatches: list[Mismatch] = field(default_factory=list)
    unit_names: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def units(self) -> list[str]:
        return sorted({m.unit_key for m in self.mismatches})

    def unit_label(self, unit_key: str) -> str:
        name = self.unit_names.get(unit_key)
        return f"{name} ({unit_key})" if name else unit_key

    def text_vi(self, limit: int = 20) -> str:
        period = f"{self.first_day:%d/%m/%Y}-{self.last_day:%d/%m/%Y}"
        if self.ok:
            return f"Đối soát số hồ sơ {period}: khớp {self.compared:,} đơn vị-ngày."
        missing = sum(max(0, m.reported - m.extracted) for m in self.mismatches)
        extra = sum(max(0, m.extracted - m.reported) for m in self.mismatches)
        lines = [f"Đối soát số hồ sơ {period}: {len(self.mismatches):,} đơn vị-ngày lệch / {self.compared:,} "
                 f"(thiếu {missing:,}, thừa {extra:,} hồ sơ so với số liệu của hệ thống một cửa), "
                 f"{len(self.units)} đơn vị:"]
        for m in self.mismatches[:limit]:
            lines.append(f"  - {self.unit_label(m.unit_key)}, ngày {m.day:%d/%m/%Y}: hệ thống báo {m.reported}, "
                         f"đã trích xuất {m.extracted}")
        if len(self.mismatches) > limit:
            lines.append(f"  … và {len(self.mismatches) - limit:,} đơn vị-ngày khác")
        return "\n".join(lines)


def reconcile_counts(warehouse: Path, today: date, days: int) -> ReconciliationReport:
    """Compare extracted dossiers per unit and day with the source's daily counts for the
    `days` days before `today`. Opens the warehouse read-only: call it only while no other
    process writes the file (the DAG runs it in the writer pool)."""
    last = today - timedelta(days=1)
    first = today - timedelta(days=days)
    report = ReconciliationReport(first, last)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw_oss'").fetchall()}
        missing = {"dossiers", "daily_counts"} - tables
        if missing:
            raise RuntimeError(f"{warehouse}: raw_oss.{', raw_oss.'.join(sorted(missing))} missing: "
                               "has the one-stop-shop extraction run?")
        rows = con.execute(RECONCILE_SQL, {"first": first, "last": last}).fetchall()
        report.compared = len(rows)
        report.mismatches = [Mismatch(*row) for row in rows if row[2] != row[3]]
        if report.mismatches:
            schemas = {s for (s,) in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
            if "reference" in schemas:
                report.unit_names = dict(con.execute(UNIT_NAMES_SQL).fetchall())
    return report
