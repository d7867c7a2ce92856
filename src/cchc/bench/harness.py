"""Benchmark harness (issue #8): generate a named scale, run the measured steps, write
bench/results/<date>.json and <date>.md.

Every step runs in a child process; wall time is the parent's clock around it and peak
memory is the child tree's maximum resident set (wait4's ru_maxrss covers the child and
every descendant it waited for, e.g. the dbt process under the build step). Results are
written after each step, so a run cut short still leaves what it measured.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..settings import load_settings
from . import report

REPO = Path(__file__).resolve().parents[3]
RESULTS_DIR = REPO / "bench" / "results"
BENCH_END = date(2026, 11, 20)  # a Friday: the night benchmarked is a working day
HA_TINH = "42"
# 2025 province codes (34): the national year lies wholly after the 01/07/2025 reorganisation.
NATIONAL = ("01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37", "38",
            "40", "42", "44", "46", "48", "51", "52", "56", "66", "68", "75", "79", "80", "82", "86", "91",
            "92", "96")


@dataclass(frozen=True)
class Scale:
    name: str
    description: str
    provinces: tuple[str, ...]
    start: date
    end: date
    dossiers: int
    pandas_provinces: tuple[str, ...] | None = None  # None: all (else extrapolated by rows)
    query_repeats: int = 20
    resources: dict = field(default_factory=lambda: {"memory_limit": "10GB", "threads": 2})


SCALES = {
    "ci": Scale("ci", "Hà Tĩnh, 80 days at 2% volume (CI smoke scale)", (HA_TINH,),
                date(2026, 9, 1), BENCH_END, 12_000, query_repeats=5),
    "province": Scale("province", "Hà Tĩnh, full history 01/01/2022→20/11/2026 at full volume, "
                      "then one night (20/11/2026)", (HA_TINH,), date(2022, 1, 1), BENCH_END, 5_000_000),
    "national": Scale("national", "34 provinces, one year 21/11/2025→20/11/2026 (≈100 M dossiers), "
                      "then one night", NATIONAL, date(2025, 11, 21), BENCH_END, 100_000_000,
                      pandas_provinces=("42", "44")),
}

# Representative dashboard queries, timed on the published snapshot until the Superset
# datasets exist (see bench/README.md).
DASHBOARD_QUERIES = {
    "ranking_on_time_latest_year": """
        select unit_key, indicator_value, unit_rank, rank_change_label from marts.mart_unit_rankings
        where period_type = 'year' and period_start = (select max(period_start) from marts.mart_unit_rankings where period_type = 'year')
        order by peer_group, indicator_code, unit_rank""",
    "kpi_by_unit_month": """
        select unit_key, period_start, received_total, finished_total, on_time_rate, online_share, input_digitisation_rate
        from marts.mart_dossier_kpis_unit where period_type = 'month' order by unit_key, period_start""",
    "kpi_province_month": """
        select period_start, sum(received_total) as received, sum(finished_early + finished_on_time) * 100.0 / nullif(sum(finished_total), 0) as on_time_rate
        from marts.mart_dossier_kpis where period_type = 'month' group by period_start order by period_start""",
    "service_index_766_year": """
        select unit_key, period_start, total_points, index_points from marts.mart_service_index_766
        where period_type = 'year' order by total_points desc""",
    "disbursement_curve": """
        select year_month, disbursed_ytd_mvnd, disbursement_rate_pct, expected_rate_pct, projected_year_end_rate_pct
        from marts.mart_disbursement_province_monthly order by year_month""",
    "dossiers_late_by_field_30d": """
        select field_code, timeliness, count(*) as dossiers from marts.fct_dossier
        where finished_date >= (select max(finished_date) - 30 from marts.fct_dossier) group by all""",
}


def machine_info() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1),
            "python": platform.python_version(), "duckdb": _duckdb_version(), "os": platform.platform()}


def _duckdb_version() -> str:
    import duckdb
    return duckdb.__version__


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def write_results(results_dir: Path, key: str, record: dict, day: str | None = None) -> Path:
    """Put `record` under `key` in the day's results/<day>.json (other runs of the day kept)
    and rewrite the day's markdown."""
    day = day or datetime.now(UTC).date().isoformat()
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{day}.json"
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs[key] = record
    path.write_text(json.dumps(runs, indent=2, ensure_ascii=False, default=str) + "\n")
    (results_dir / f"{day}.md").write_text(report.markdown(runs, day), encoding="utf-8")
    return path


class Run:
    """One scale's run: steps, their measurements, and the results file kept up to date."""

    def __init__(self, scale: Scale, work_dir: Path, results_dir: Path, timeout: int):
        self.scale, self.work, self.results_dir, self.timeout = scale, work_dir, results_dir, timeout
        # a run at a reduced volume is kept beside the full-volume one: national-10M
        reduced = scale.dossiers != SCALES[scale.name].dossiers
        self.key = f"{scale.name}-{scale.dossiers / 1e6:g}M" if reduced else scale.name
        self.day = datetime.now(UTC).date().isoformat()
        resources = dict(scale.resources)
        resources.setdefault("temp_directory", str(work_dir / "duckdb_tmp"))
        self.resources = resources
        self.record = {
            "scale": scale.name, "description": scale.description,
            "parameters": {**asdict(scale), "start": scale.start.isoformat(), "end": scale.end.isoformat()},
            "machine": machine_info(), "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_start": list(os.getloadavg()), "duckdb_resources": resources, "steps": {},
        }

    # -- one measured step in a child process ----------------------------------------
    def step(self, name: str, fn: str, **kwargs) -> dict | None:
        result_file = self.work / f".step-{name}.json"
        result_file.unlink(missing_ok=True)
        env = {**os.environ, "CCHC_DUCKDB_MEMORY_LIMIT": self.resources["memory_limit"],
               "CCHC_DUCKDB_THREADS": str(self.resources["threads"]),
               "CCHC_DUCKDB_TEMP_DIRECTORY": self.resources["temp_directory"]}
        log = (self.work / f"{name}.log").open("w")
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "cchc.bench.steps", fn, json.dumps(kwargs), str(result_file)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = started + self.timeout
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        log.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
        entry = {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
                 "ok": proc.returncode == 0, "load_average": list(os.getloadavg())}
        if proc.returncode == 0 and result_file.exists():
            entry["result"] = json.loads(result_file.read_text())
        else:
            tail = (self.work / f"{name}.log").read_text(errors="replace")[-1500:]
            entry["error"] = (f"timed out after {self.timeout}s; " if wall >= self.timeout else "") + tail
        self.record["steps"][name] = entry
        self.save()
        print(f"[bench {self.scale.name}] {name}: {entry['wall_s']} s, {entry['peak_rss_mib']} MiB, "
              f"{'ok' if entry['ok'] else 'FAILED'}", flush=True)
        return entry.get("result") if entry["ok"] else None

    def not_measured(self, name: str, why: str) -> None:
        self.record["steps"][name] = {"ok": None, "not_measured": why}
        self.save()

    def save(self) -> None:
        self.record["load_average_end"] = list(os.getloadavg())
        self.record["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_results(self.results_dir, self.key, self.record, self.day)

    # -- the whole sequence -----------------------------------------------------------
    def execute(self, steps: set[str], base_warehouse: Path | None = None) -> dict:
        base = base_warehouse or load_settings().warehouse_path
        self.work.mkdir(parents=True, exist_ok=True)
        Path(self.resources["temp_directory"]).mkdir(parents=True, exist_ok=True)
        warehouse = self.work / "warehouse" / "cchc.duckdb"
        serving = self.work / "serving"
        data = self.work / "parquet"
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        # The base: reference data and the small raw sources (files, feedback) of the
        # demo warehouse; the dossiers are replaced by the generated ones.
        shutil.copyfile(base, warehouse)
        reference = self.work / "reference.duckdb"
        shutil.copyfile(base, reference)
        spec = {"provinces": list(self.scale.provinces), "start": self.scale.start.isoformat(),
                "end": self.scale.end.isoformat(), "dossiers": self.scale.dossiers}
        res = dict(self.resources)
        if self.step("generate", "generate", spec=spec, out_dir=str(data), reference_db=str(reference), resources=res) is None:
            return self.record
        wh = str(warehouse)
        self.step("load_history", "load", warehouse=wh, parquet_dir=str(data / "history"), mode="replace", resources=res)
        # The comparisons run on the same input as the full build (the history), before it,
        # so that a long build cut short still leaves the floor and pandas figures.
        if "floor" in steps:
            self.step("floor_sql", "floor", warehouse=wh, out_db=str(self.work / "floor.duckdb"), resources=res)
        if "pandas" in steps:
            provinces = list(self.scale.pandas_provinces) if self.scale.pandas_provinces else None
            self.step("pandas_kpis", "pandas", parquet_dirs=[str(data / "history")],
                      reference_db=str(reference), provinces=provinces)
        self.step("dbt_build_full", "dbt_build", work_dir=str(self.work), warehouse=wh, full_refresh=True)
        self._validate_publish("history", wh, serving)
        self.record["warehouse_bytes_history"] = dir_bytes(warehouse)
        self.step("load_night", "load", warehouse=wh, parquet_dir=str(data / "night"), mode="merge", resources=res)
        self.step("dbt_build_incremental", "dbt_build", work_dir=str(self.work), warehouse=wh, full_refresh=False)
        self._validate_publish("night", wh, serving)
        self.record["warehouse_bytes"] = dir_bytes(warehouse)
        self.record["parquet_bytes"] = dir_bytes(data)
        self.save()
        snapshot = serving / "cchc.duckdb"
        if snapshot.exists():
            self.record["serving_bytes"] = dir_bytes(snapshot.resolve())
            self.step("dashboard_queries", "queries", serving_db=str(snapshot.resolve()),
                      queries_sql=json.dumps(DASHBOARD_QUERIES), repeats=self.scale.query_repeats)
        self.record["load_average_end"] = list(os.getloadavg())
        self.save()
        return self.record

    def _validate_publish(self, phase: str, warehouse: str, serving: Path) -> None:
        try:
            import cchc.quality  # noqa: F401  (written in parallel; measured once it exists)
            night = self.scale.end if phase == "history" else self.scale.end + timedelta(days=1)
            self.step(f"validate_{phase}", "validate", work_dir=str(self.work), warehouse=warehouse,
                      as_of=night.isoformat())
        except ImportError:
            self.not_measured(f"validate_{phase}", "cchc.quality not available")
        self.step(f"publish_{phase}", "publish", warehouse=warehouse, serving_dir=str(serving))


def run_scale(name: str, *, work_root: Path = Path("/tmp"), results_dir: Path = RESULTS_DIR,
              steps: set[str] = frozenset({"floor", "pandas"}), keep_data: bool = False,
              timeout: int = 4 * 3600, base_warehouse: Path | None = None,
              dossiers: int | None = None) -> dict:
    """Run one named scale end to end; returns the record also written to results_dir.
    `base_warehouse` (default: the settings' warehouse) gives the reference data and the
    small raw sources; it is copied, never written."""
    scale = SCALES[name]
    if dossiers:  # a fraction of the scale's volume, recorded as such in the results
        scale = replace(scale, dossiers=dossiers,
                        description=f"{scale.description}; volume reduced to {dossiers:,} dossiers")
    work = work_root / f"bench-{name}"
    if work.exists():
        shutil.rmtree(work)
    try:
        return Run(scale, work, results_dir, timeout).execute(set(steps), base_warehouse)
    finally:
        if not keep_data:
            shutil.rmtree(work, ignore_errors=True)
