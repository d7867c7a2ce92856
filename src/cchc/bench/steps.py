"""The measured steps. Each runs in its own child process (`python -m cchc.bench.steps
<step> <json kwargs> <result file>`), so the parent reads that process tree's peak
memory from wait4() and one step's caches cannot flatter the next."""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from ..settings import load_settings
from .generate import RAW_COLUMNS, GenerationSpec, generate

FLOOR_SQL = Path(__file__).resolve().parents[3] / "bench" / "floor.sql"


def duckdb_settings(con: duckdb.DuckDBPyConnection, resources: dict) -> None:
    con.execute(f"set memory_limit = '{resources['memory_limit']}'")
    con.execute(f"set threads = {int(resources['threads'])}")
    con.execute(f"set temp_directory = '{resources['temp_directory']}'")
    con.execute("set preserve_insertion_order = false")
    con.execute("set enable_progress_bar = false")


def step_generate(spec: dict, out_dir: str, reference_db: str, resources: dict) -> dict:
    spec = GenerationSpec(tuple(spec["provinces"]), date.fromisoformat(spec["start"]),
                          date.fromisoformat(spec["end"]), int(spec["dossiers"]))
    return generate(spec, Path(out_dir), Path(reference_db), memory_limit=resources["memory_limit"],
                    threads=int(resources["threads"]), temp_dir=Path(resources["temp_directory"]))


def step_load(warehouse: str, parquet_dir: str, mode: str, resources: dict) -> dict:
    """Parquet → raw_oss.dossiers in the raw layer's shape. 'replace': the table becomes the
    files' rows (a first full load); 'merge': versions are merged on dossier_id × updated_at
    as the dlt extraction does (a re-sent version only moves _extracted_at forward)."""
    con = duckdb.connect(warehouse)
    try:
        duckdb_settings(con, resources)
        columns = ", ".join(RAW_COLUMNS)
        files = f"read_parquet('{parquet_dir}/*/*.parquet', hive_partitioning = false)"
        con.execute("begin")
        if mode == "replace":
            con.execute("delete from raw_oss.dossiers")
            # the demo's feedback points at demo dossiers, which the generated ones replace
            con.execute("delete from raw_oss.feedback")
        else:
            con.execute(f"create temp table incoming as select {columns} from {files}")
            con.execute("""delete from raw_oss.dossiers as raw using incoming
                           where raw.dossier_id = incoming.dossier_id and raw.updated_at = incoming.updated_at""")
            files = "incoming"
        con.execute(f"insert into raw_oss.dossiers ({columns}) select {columns} from {files}")
        con.execute("commit")
        rows = con.execute("select count(*) from raw_oss.dossiers").fetchone()[0]
        con.execute("checkpoint")
        return {"raw_rows": rows}
    finally:
        con.close()


def _settings(work_dir: str, warehouse: str):
    return load_settings().relocated(Path(work_dir), warehouse_override=Path(warehouse))


def step_dbt_build(work_dir: str, warehouse: str, full_refresh: bool) -> dict:
    """The history's full build, or the night's build as the nightly DAG runs it (only what
    changed since the full build: cchc.transform.dbt_build_changed)."""
    from ..transform import dbt_build_changed
    result = dbt_build_changed(_settings(work_dir, warehouse), warehouse=Path(warehouse),
                               target_dir=Path(work_dir) / "dbt", full_refresh=full_refresh)
    slowest = sorted(result.results, key=lambda r: -(r.get("execution_time") or 0))[:8]
    statuses: dict[str, int] = {}
    for r in result.results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {"nodes": len(result.results), "statuses": statuses,
            "warnings": [r["unique_id"] for r in result.results if r["status"] == "warn"],
            "slowest_nodes": [[r["unique_id"], round(r.get("execution_time") or 0, 2)] for r in slowest]}


def step_validate(work_dir: str, warehouse: str, as_of: str | None = None) -> dict:
    from ..quality import run_validations
    # as_of: the morning after the generated data's last day, so freshness is judged as
    # on that night, not against today's clock
    report = run_validations(_settings(work_dir, warehouse), warehouse=Path(warehouse), run_id="bench",
                             as_of=date.fromisoformat(as_of) if as_of else None)
    return {"critical_failures": len(report.critical_failures), "warnings": len(report.warnings),
            "ok_to_publish": report.ok_to_publish}


def step_publish(warehouse: str, serving_dir: str) -> dict:
    from ..publish import publish
    snapshot = publish(Path(warehouse), Path(serving_dir), label="bench", keep=1)
    return {"snapshot": str(snapshot), "snapshot_bytes": snapshot.stat().st_size}


def step_queries(serving_db: str, queries_sql: str, repeats: int) -> dict:
    """p95 latency of each dashboard query on the published snapshot, opened read-only as
    Superset opens it (one connection, queries run one after another)."""
    con = duckdb.connect(serving_db, read_only=True)
    try:
        out = {}
        for name, sql in json.loads(queries_sql).items():
            con.execute(sql).fetchall()  # first run warms the buffer pool, as a live dashboard's is
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                times.append(time.perf_counter() - started)
            times.sort()
            out[name] = {"p95_s": round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], 4),
                         "median_s": round(statistics.median(times), 4)}
        return out
    finally:
        con.close()


def step_floor(warehouse: str, out_db: str, resources: dict) -> dict:
    """The hand-written floor: bench/floor.sql in one DuckDB session, no orchestration."""
    Path(out_db).unlink(missing_ok=True)
    con = duckdb.connect(out_db)
    try:
        duckdb_settings(con, resources)
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(FLOOR_SQL.read_text())
        return {"kpi_rows": con.execute("select count(*) from floor_dossier_kpis").fetchone()[0]}
    finally:
        con.close()


def step_pandas(parquet_dirs: list[str], reference_db: str, provinces: list[str] | None) -> dict:
    from .pandas_path import dossier_kpis_pandas
    kpis, rows = dossier_kpis_pandas([Path(p) for p in parquet_dirs], Path(reference_db), provinces)
    return {"kpi_rows": len(kpis), "dossier_versions_read": rows}


STEPS = {name[5:]: fn for name, fn in globals().items() if name.startswith("step_")}


def main(argv: list[str]) -> int:
    name, kwargs, result_file = argv[0], json.loads(argv[1]), Path(argv[2])
    result = STEPS[name](**kwargs)
    result_file.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
