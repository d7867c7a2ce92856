"""The deployment for real (issue 16): dockerd (started here when none runs), the images
built from the repository on a Debian base made with debootstrap when none can be pulled,
the stack brought up with the CI override (host networking, 17xxx ports, demo mode), every
health check, the nightly run through Airflow's REST API with the scheduler restarted in the
middle, the data dictionary it generated served at /dbt/, a chart's figure through Superset's
API (Redis with its password) against the serving snapshot, RLS for `donvi`; then
everything removed. Every phase is timed and printed.

Set CCHC_KEEP_DOCKER_IMAGES=1 to keep the images (and the build cache) between local runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
import requests
from conftest import ROOT

from cchc.bi.bundle import CHARTS_BY_KEY
from cchc.bi.client import SupersetClient
from cchc.bi.provision import DEMO_UNIT_KEY
from cchc.bi.semantic import load_models, metric_expression
from cchc.credentials import SECRETS
from cchc.deploy.docker import BASE_IMAGE, Compose, ensure_base_image, ensure_dockerd, trust_host_ca
from cchc.orchestration.nightly import DAG_ID
from cchc.orchestration.runtime import AirflowServices
from cchc.settings import load_settings

pytestmark = pytest.mark.slow

PROJECT = "cchc-ci"
AIRFLOW_PORT, SUPERSET_PORT, DOCS_PORT = 17080, 17088, 17081   # docker-compose.ci.yml
# Up first; Superset's init waits for the first published snapshot (the nightly run).
PIPELINE_SERVICES = ["postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                     "docs", "oss"]
SUPERSET_SERVICES = ["superset"]
DEMO = {name: s.demo_value for name, s in SECRETS.items()}


class Timings(dict):
    @contextmanager
    def phase(self, name: str):
        start = time.monotonic()
        try:
            yield
        finally:
            self[name] = round(time.monotonic() - start, 1)
            print(f"[deploy] {name}: {self[name]} s", flush=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (shutil.which("dockerd") and shutil.which("debootstrap")):
        pytest.fail("docker.io and debootstrap are needed (envs/system-packages.txt; `make test` installs them)")
    work = tmp_path_factory.mktemp("deploy")
    timings = Timings()
    with timings.phase("dockerd"):
        dockerd = ensure_dockerd(work / "dockerd.log")
    with timings.phase("base image"):
        made_base = ensure_base_image(BASE_IMAGE, work)
    trust_host_ca(ROOT)
    backups = work / "backups"
    backups.mkdir()
    backups.chmod(0o777)  # written by the containers' user
    env_file = work / "ci.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**DEMO, "CCHC_BASE_IMAGE": BASE_IMAGE,
                                                        "CCHC_IMAGE_TAG": "ci", "CCHC_BACKUP_DIR": backups}.items()))
    compose = Compose(ROOT, PROJECT, env_file, ("docker-compose.yml", "docker-compose.ci.yml"), ("demo",))
    try:
        compose.run("down", "-v", "--remove-orphans")  # what an interrupted run left
        with timings.phase("build"):
            compose.run("build")
        with timings.phase("up (pipeline services)"):
            compose.run("up", "-d", *PIPELINE_SERVICES)
            compose.wait_healthy(PIPELINE_SERVICES)
        yield compose, timings, backups
    finally:
        logs = compose.run("logs", "--no-color", "--tail", "200", check=False)
        (work / "compose.log").write_text(logs.stdout + logs.stderr)
        with timings.phase("down"):
            keep = os.environ.get("CCHC_KEEP_DOCKER_IMAGES")
            compose.run("down", "-v", "--remove-orphans", *([] if keep else ["--rmi", "all"]), check=False)
            if made_base and not keep:
                subprocess.run(["docker", "image", "rm", BASE_IMAGE], capture_output=True)
        (ROOT / "docker" / "ca-certificates" / "host.crt").unlink(missing_ok=True)
        if dockerd:
            dockerd.terminate()
            dockerd.wait(60)
        print(f"[deploy] timings (s): {json.dumps(timings)}", flush=True)


def _task_states(airflow: AirflowServices, token: str, run_id: str) -> dict[str, str | None]:
    instances = airflow.api("GET", f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances", token)
    return {ti["task_id"]: ti["state"] for ti in instances["task_instances"]}


def _serving_snapshot(compose: Compose) -> Path:
    """The published snapshot as the serving volume holds it (read on the host, read-only)."""
    volume = json.loads(subprocess.run(["docker", "volume", "inspect", f"{PROJECT}_serving"], capture_output=True,
                                       text=True, check=True).stdout)[0]["Mountpoint"]
    return (Path(volume) / "cchc.duckdb").resolve()


def test_the_stack_runs_the_nightly_pipeline_and_serves_the_dashboards(stack):
    compose, timings, backups = stack
    airflow = AirflowServices(load_settings(), AIRFLOW_PORT)
    token = airflow.token(DEMO["CCHC_AIRFLOW_PASSWORD"])

    with timings.phase("nightly run (scheduler restarted mid-run)"):
        run_id = airflow.trigger(token)
        deadline = time.monotonic() + 600
        while "running" not in _task_states(airflow, token, run_id).values():
            assert time.monotonic() < deadline, "no task of the run started"
            time.sleep(2)
        compose.run("restart", "airflow-scheduler")
        compose.wait_healthy(["airflow-scheduler"])
        state = airflow.wait(token, run_id, timeout=2400)
    states = _task_states(airflow, token, run_id)
    assert state == "success" and states["dbt_docs"] == "success", states

    # The data dictionary the run generated, as the docs service serves it: one static page
    # with dbt's manifest and catalogue inlined.
    page = requests.get(f"http://127.0.0.1:{DOCS_PORT}/dbt/", timeout=30)
    assert page.ok and "model.cchc.mart_unit_rankings" in page.text, page.status_code

    with timings.phase("up (Superset: init, then gunicorn)"):
        compose.run("up", "-d")
        compose.wait_healthy(PIPELINE_SERVICES + SUPERSET_SERVICES)

    with timings.phase("Superset: a figure and RLS"):
        chart = CHARTS_BY_KEY["dossier_overdue_total"]
        metric = chart.metrics[0]
        expression = metric_expression(load_models()[chart.dataset].metrics[metric].spec)
        with duckdb.connect(str(_serving_snapshot(compose)), read_only=True) as con:
            expected = con.execute(f"SELECT {expression} FROM reporting.{chart.dataset}").fetchone()[0]
            unit_name = con.execute("SELECT unit_name FROM marts.dim_unit WHERE unit_key = ?",
                                    [DEMO_UNIT_KEY]).fetchone()[0]
        url = f"http://127.0.0.1:{SUPERSET_PORT}"
        leader = SupersetClient(url, "lanhdao", DEMO["CCHC_SUPERSET_DEMO_PASSWORD"])
        charts = {row["slice_name"]: row["id"] for row in leader.list_all("chart", ["id", "slice_name"])}
        response = leader.chart_data(charts[chart.title])
        assert response.ok, response.text[:500]
        figure = response.json()["result"][0]["data"][0][metric]
        assert expected and figure == expected

        # RLS: the unit's user gets only its own unit's rows of a unit-scoped list.
        by_unit = next(c for c in CHARTS_BY_KEY.values() if c.dataset == chart.dataset and "unit_name" in c.columns)
        unit = SupersetClient(url, "donvi", DEMO["CCHC_SUPERSET_DEMO_PASSWORD"])
        everyone = {r["unit_name"] for r in leader.chart_data(charts[by_unit.title]).json()["result"][0]["data"]}
        mine = {r["unit_name"] for r in unit.chart_data(charts[by_unit.title]).json()["result"][0]["data"]}
        assert mine <= {unit_name} and len(everyone) > 1, (mine, len(everyone))

    # Backup, then an empty stack (`down -v`: every volume gone), restore, up: the same figure
    # through Superset and the same run in Airflow's history.
    with timings.phase("backup, down -v, restore, up"):
        tools = compose.with_profiles("tools")
        tools.run("run", "--rm", "backup", "cchc", "backup", "/backups")
        (backup,) = [p for p in backups.iterdir() if p.name.startswith("cchc-backup-")]
        manifest = json.loads((backup / "manifest.json").read_text())
        assert set(manifest["parts"]) >= {"warehouse", "serving", "airflow", "superset"}, manifest["parts"]
        compose.run("down", "-v")
        compose.run("up", "-d", "postgres")  # its init makes the two empty databases
        compose.wait_healthy(["postgres"])
        restored = tools.run("run", "--rm", "backup", "cchc", "restore", f"/backups/{backup.name}").stdout
        assert "restore of" in restored, restored
        compose.run("up", "-d", *PIPELINE_SERVICES)
        compose.wait_healthy(PIPELINE_SERVICES)
        compose.run("up", "-d")
        compose.wait_healthy(PIPELINE_SERVICES + SUPERSET_SERVICES)
    leader = SupersetClient(url, "lanhdao", DEMO["CCHC_SUPERSET_DEMO_PASSWORD"])
    assert {row["slice_name"]: row["id"] for row in leader.list_all("chart", ["id", "slice_name"])} == charts
    assert leader.chart_data(charts[chart.title]).json()["result"][0]["data"][0][metric] == figure
    token = airflow.token(DEMO["CCHC_AIRFLOW_PASSWORD"])
    assert airflow.api("GET", f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}", token)["state"] == "success"
