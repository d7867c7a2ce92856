"""The whole nightly DAG, run with `airflow dags test` against a running one-stop-shop API
over a short simulated period (01/06-22/08/2025), night after night on one warehouse:

1. first night, the source is down for the first try: the task retries, the run succeeds
   and publishes;
2. the same night again: the marts do not change;
3. a week later, with a reader querying the serving database all along: dossiers that were
   in progress on the first night show up finished, the reader never fails and only ever
   sees a complete snapshot;
4. the source stays down: the run fails, nothing is published, one alert reaches a real
   SMTP server and a real webhook receiver.

The tests build on each other in file order (one warehouse, like the province's).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
import requests
from conftest import free_port

from cchc.orchestration.nightly import SOURCES
from cchc.orchestration.runtime import dags_test, init_airflow
from cchc.publish import current_snapshot
from cchc.reference.load import load_reference
from cchc.settings import Settings
from cchc.simulator.config import preset
from cchc.simulator.run import simulate
from cchc.sources.oss.process import OssServer

pytestmark = pytest.mark.slow

FIRST_NIGHT = "2025-08-16T01:00:00"
A_WEEK_LATER = "2025-08-23T01:00:00"
NEXT_NIGHT = "2025-08-24T01:00:00"
HISTORY_START = date(2025, 6, 1)


@dataclass
class Pipeline:
    settings: Settings
    server: OssServer
    root: Path

    @property
    def metadata(self) -> Path:
        return self.settings.airflow_home / "airflow.db"

    def airflow_rows(self, sql: str, *params) -> list[tuple]:
        """Read Airflow's metadata (SQLite) read-only, as an operator would."""
        with sqlite3.connect(f"file:{self.metadata}?mode=ro", uri=True, timeout=30) as con:
            return con.execute(sql, params).fetchall()

    def night(self, as_of: str, alerts_env: dict[str, str]) -> tuple[str, str, dict[str, tuple[str, int]]]:
        """Set the source's clock, run the DAG for that night; (run id, state, task -> (state, tries))."""
        self.server.admin("clock", {"as_of": as_of})
        result = dags_test(self.settings, f"{as_of}+07:00", env={
            "CCHC_OSS_URL": self.server.url, "CCHC_HISTORY_START": HISTORY_START.isoformat(),
            "CCHC_TASK_RETRIES": "1", "CCHC_RETRY_DELAY_SECONDS": "3",
            "CCHC_OSS_MAX_ATTEMPTS": "2", "CCHC_OSS_BACKOFF_SECONDS": "0.05", **alerts_env})
        (self.root / f"dags-test-{as_of[:10]}-{time.time():.0f}.log").write_text(result.output)
        assert result.state, result.output[-3000:]
        run_id, state = result.run_id, result.state
        tasks = {t: (s, n) for t, s, n in self.airflow_rows(
            "SELECT task_id, state, try_number FROM task_instance WHERE run_id = ?", run_id)}
        return run_id, state, tasks


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, settings):
    root = tmp_path_factory.mktemp("nightly")
    data = root / "data"
    ours = settings.relocated(data, warehouse_override=None)
    assert ours.serving_dir.is_relative_to(data) and ours.airflow_home.is_relative_to(data)
    load_reference(ours.warehouse_path, ours.reference_dir)
    simulate(preset("demo", start=HISTORY_START, end=date(2025, 8, 22)), ours.simulation_dir, ours.reference_dir)
    server = OssServer(ours.oss_db, free_port(), as_of=FIRST_NIGHT, log_file=root / "oss.log").start()
    try:
        init_airflow(ours, password="test-password")
        yield Pipeline(ours, server, root)
    finally:
        server.stop()


def serving(pipeline, sql: str) -> list[tuple]:
    with duckdb.connect(str(pipeline.settings.serving_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _same_float(value):
    # DuckDB sums doubles in parallel, in no fixed order: the last bits of a float can
    # differ between two builds of the same data. Compare to 12 significant digits.
    return float(f"{value:.12g}") if isinstance(value, float) else value


def marts(pipeline) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted; without `extracted_at` (when the pipeline read a record,
    not what the record says); floats to 12 significant digits."""
    with duckdb.connect(str(pipeline.settings.serving_path), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' "
                                            "ORDER BY 1").fetchall()]
        result = {}
        for table in tables:
            columns = [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = "
                                                 "'marts' AND table_name = ?", [table]).fetchall()]
            keep = ", ".join(f'"{c}"' for c in columns if c != "extracted_at")
            rows = con.execute(f'SELECT {keep} FROM marts."{table}" ORDER BY ALL').fetchall()
            result[table] = [tuple(_same_float(v) for v in row) for row in rows]
        return result


def source_daily_total(server, date_to: str) -> int:
    total, cursor = 0, None
    while True:
        params = {"date_from": HISTORY_START.isoformat(), "date_to": date_to, "limit": 5000,
                  **({"cursor": cursor} if cursor else {})}
        body = requests.get(f"{server.url}/api/v1/daily-counts", params=params, timeout=60,
                            headers={"Authorization": "Bearer demo-oss-token"}).json()
        total += sum(item["received"] for item in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return total


def test_first_night_survives_a_transient_outage_and_publishes(pipeline, alert_receivers):
    pipeline.server.admin("faults", {"outage": True})
    lifted = threading.Event()

    def lift_outage_when_the_first_try_failed():
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not lifted.is_set():
            if pipeline.metadata.exists() and pipeline.airflow_rows(
                    "SELECT 1 FROM task_instance WHERE task_id = 'extract_oss' AND state = 'up_for_retry'"):
                pipeline.server.admin("faults", {"outage": False})
                lifted.set()
            time.sleep(0.2)

    watcher = threading.Thread(target=lift_outage_when_the_first_try_failed, daemon=True)
    watcher.start()
    run_id, state, tasks = pipeline.night(FIRST_NIGHT, alert_receivers.env)
    lifted.set()
    watcher.join()

    assert state == "success", tasks
    assert tasks["extract_oss"] == ("success", 2)  # failed once on the outage, then succeeded
    assert all(tasks[f"extract_{s}"] == ("success", 1) for s in SOURCES if s != "oss")
    assert {t: s for t, (s, _) in tasks.items()} == {t: "success" for t in tasks}
    snapshot = current_snapshot(pipeline.settings.serving_dir)
    assert snapshot is not None and snapshot.name.endswith(".duckdb")
    [(dossiers,)] = serving(pipeline, "SELECT count(*) FROM marts.fct_dossier")
    assert dossiers == source_daily_total(pipeline.server, "2025-08-16") > 1000
    # No failure alert; a published run alerts only for warnings (at most once).
    assert len(alert_receivers.emails) == len(alert_receivers.posts) <= 1
    assert all(m["Subject"].startswith("[CCHC] Cảnh báo") for m in alert_receivers.emails)


def test_rerunning_the_same_night_changes_nothing(pipeline, alert_receivers):
    before_snapshot = current_snapshot(pipeline.settings.serving_dir)
    before = marts(pipeline)
    _, state, tasks = pipeline.night(FIRST_NIGHT, alert_receivers.env)
    assert state == "success", tasks
    assert current_snapshot(pipeline.settings.serving_dir) != before_snapshot  # published again
    after = marts(pipeline)
    assert after.keys() == before.keys() and len(before) > 10
    for table in before:
        assert after[table] == before[table], table


READER = r"""
import json, os, sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
while not os.path.exists(stop):
    try:
        with duckdb.connect(path, read_only=True) as con:
            tables = [t for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1").fetchall()]
            counts = {t: con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0] for t in tables}
            print(json.dumps({"at": time.time(), "target": os.path.realpath(path), "counts": counts}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
    time.sleep(0.05)
"""


def snapshot_counts(pipeline) -> dict[str, int]:
    return {t: len(rows) for t, rows in marts(pipeline).items()}


def test_late_status_changes_arrive_and_readers_only_see_complete_snapshots(pipeline, alert_receivers):
    in_progress = {d for (d,) in serving(pipeline, "SELECT dossier_id FROM marts.fct_dossier "
                                                   "WHERE status = 'in_progress'")}
    before = snapshot_counts(pipeline)
    stop, log = pipeline.root / "stop-reader", pipeline.root / "reader.log"
    with open(log, "w") as out:  # a file, not a pipe: a full pipe would block the reader
        reader = subprocess.Popen([sys.executable, "-c", READER, str(pipeline.settings.serving_path), str(stop)],
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            _, state, tasks = pipeline.night(A_WEEK_LATER, alert_receivers.env)
            time.sleep(5)  # let the reader see the result (the run may end soon after publishing)
        finally:
            stop.touch()
            reader.wait(timeout=60)
            stop.unlink()
    output = log.read_text()
    assert state == "success", tasks
    after = snapshot_counts(pipeline)
    assert after != before  # a week of new dossiers

    observations = [json.loads(line) for line in output.splitlines()]
    assert len(observations) > 50
    assert [o for o in observations if "error" in o] == []
    seen = [o["counts"] for o in observations]
    assert all(counts in (before, after) for counts in seen)  # never a partial snapshot
    assert seen[0] == before and after in seen  # the reader saw the switch

    status = dict(serving(pipeline, "SELECT dossier_id, status FROM marts.fct_dossier"))
    finished_since = {d for d in in_progress if status[d] == "finished"}
    assert finished_since and len(finished_since) > len(in_progress) / 10


def test_a_source_that_stays_down_fails_the_run_publishes_nothing_and_alerts_once(pipeline, alert_receivers):
    published = current_snapshot(pipeline.settings.serving_dir)
    published_stat = os.stat(published)
    pipeline.server.admin("faults", {"outage": True})
    try:
        run_id, state, tasks = pipeline.night(NEXT_NIGHT, alert_receivers.env)
    finally:
        pipeline.server.admin("faults", {"outage": False})

    assert state == "failed"
    assert tasks["extract_oss"] == ("failed", 2)
    assert all(tasks[f"extract_{s}"][0] == "success" for s in SOURCES if s != "oss")  # the others still load
    assert {t: tasks[t][0] for t in ("dbt_build", "validate", "publish")} == {
        t: "upstream_failed" for t in ("dbt_build", "validate", "publish")}
    assert tasks["report"] == ("failed", 1)
    # The previous snapshot stays current and untouched.
    assert current_snapshot(pipeline.settings.serving_dir) == published
    assert os.stat(published).st_mtime_ns == published_stat.st_mtime_ns

    [mail] = alert_receivers.emails
    [post] = alert_receivers.posts
    assert mail["Subject"] == post["subject"] == "[CCHC] Lỗi pipeline hằng đêm ngày 24/08/2025: Trích xuất nguồn oss"
    body = mail.get_content()
    for text in (body, post["text"]):
        assert run_id in text and "Trích xuất nguồn oss (extract_oss)" in text
        assert "503" in text  # the source's answer
        assert "Không chạy do bước trước lỗi" in text and "Công bố kho phục vụ" in text
    assert post["run_url"].startswith("http://localhost:") and "/dags/cchc_nightly/runs/" in post["run_url"]
