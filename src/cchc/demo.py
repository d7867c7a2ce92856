"""The main job on the embedded default: what ``make demo`` runs.

Loads the reference data, simulates the demo province's source systems (Hà Tĩnh,
2022-01-01 to yesterday), starts the one-stop-shop API on localhost, extracts every source
into the raw layer and reports what was loaded and quarantined; then starts Airflow on
localhost (CCHC_AIRFLOW_PORT, default 8080; login admin / CCHC_AIRFLOW_PASSWORD) and runs
the nightly DAG once (dbt build, validation, publication), waiting until it is green, and
reports the province's units as the marts count them (dbt model dim_province); then
generates the data dictionary (dbt docs, CCHC_DOCS_PORT, default 8081) and starts Superset
on the published serving database (CCHC_SUPERSET_PORT, default 8088). On a terminal the
services keep serving until Ctrl+C; otherwise (CI, scripts) they are checked and stopped
when the run is done. SIGTERM stops them too: nothing outlives the demo.
"""

from __future__ import annotations

import os
import sys
import time

import duckdb

from .alerts import describe_channels
from .bi.server import SupersetServer
from .credentials import SECRETS, require_production_secrets, secret
from .dbt_docs import DocsServer, generate_docs
from .extract.run import extract
from .local_server import ensure_port_free, sigterm_as_interrupt
from .orchestration.nightly import DAG_ID, run_url
from .orchestration.runtime import DEFAULT_PASSWORD, AirflowServices, init_airflow
from .reference.load import load_reference
from .settings import Settings, private_dir
from .simulator.config import preset
from .simulator.run import simulate
from .sources.oss.process import OssServer


def run_demo(settings: Settings) -> int:
    require_production_secrets(*SECRETS)  # CCHC_ENV=production: no demo secret anywhere
    # A terminated demo must stop its servers (the `finally` below), like Ctrl+C does.
    with sigterm_as_interrupt():
        return _run_demo(settings)


def _run_demo(settings: Settings) -> int:
    counts = load_reference(settings.warehouse_path, settings.reference_dir)
    print(f"Kho dữ liệu / warehouse: {settings.warehouse_path}")
    print("Reference data loaded (schema 'reference'):")
    for table, count in counts.items():
        print(f"  {table:<22} {count:>8,} rows")

    config = preset("demo", provinces=(settings.demo_province_code,))
    result = simulate(config, settings.simulation_dir, settings.reference_dir)
    print(f"Simulated {config.start:%d/%m/%Y}-{config.end:%d/%m/%Y}: {result.dossiers:,} dossiers, "
          f"{result.feedback:,} feedback records; files in {result.drop_dir}")

    port = settings.oss_port
    server = OssServer(settings.oss_db, port, token=secret("CCHC_OSS_TOKEN"),
                       log_file=private_dir(settings.data_dir / "logs") / "oss-api.log")
    server.start()
    # The extraction (here and in Airflow's tasks) loads only from this server's answers.
    os.environ["CCHC_OSS_INSTANCE"] = server.instance
    results = None
    print(f"One-stop-shop API: {server.url}/docs (token: $CCHC_OSS_TOKEN, demo default 'demo-oss-token')")
    airflow = None
    run_state = None
    services: list = []
    try:
        results = extract(settings, "all")
        print("Raw layer:")
        for line in results.report_lines():
            print(f"  {line}")
        airflow = _start_airflow(settings)
        run_state = _first_nightly_run(settings, airflow)
        if run_state == "success":
            services = _start_readers(settings)
        if sys.stdin.isatty() and not os.environ.get("CI"):
            print("Serving; press Ctrl+C to stop.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for service in services:
            service.stop()
        if airflow:
            airflow.stop()
        server.stop()
    if not (results and results.ok):
        return 3
    return 0 if run_state in (None, "success") else 4


def _start_airflow(settings: Settings) -> AirflowServices:
    """Airflow's API server (UI with login), scheduler and DAG processor; SQLite metadata."""
    port = settings.airflow_port
    ensure_port_free("127.0.0.1", port, "Airflow", "CCHC_AIRFLOW_PORT")
    init_airflow(settings)
    return AirflowServices(settings, port).start()


def _first_nightly_run(settings: Settings, airflow: AirflowServices) -> str:
    """Log in, run the nightly DAG once (extract, dbt build, validate, publish)
    and wait for it; returns the run's state."""
    password_hint = ("$CCHC_AIRFLOW_PASSWORD" if os.environ.get("CCHC_AIRFLOW_PASSWORD")
                     else f"demo default '{DEFAULT_PASSWORD}', set CCHC_AIRFLOW_PASSWORD to change it")
    print(f"Airflow: {airflow.url} (login admin / {password_hint})")
    print(f"Alerts: {describe_channels()}")
    token = airflow.token()
    run_id = airflow.trigger(token)
    print(f"Nightly pipeline {DAG_ID}: run {run_id} triggered; waiting for it "
          "(extract, dbt build, validate, publish) ...", flush=True)
    state = airflow.wait(token, run_id)
    print(f"Nightly pipeline {DAG_ID}: run {run_id} {state.upper()} "
          f"({run_url(airflow.url, DAG_ID, run_id)})")
    if state == "success":
        print(f"Serving database (read-only snapshot of the marts): {settings.serving_path}")
        _print_province(settings)
    return state


def _print_province(settings: Settings) -> None:
    """The served province as the marts count it (dbt model marts.dim_province), read from
    the serving snapshot the nightly run just published."""
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        cursor = con.execute("SELECT * FROM marts.dim_province")
        province = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    print(f"Demo province {province['province_code']} ({province['unit_name']}): "
          f"{province['legacy_district_count']} districts and {province['legacy_commune_count']} communes "
          f"until 30/06/2025; {province['commune_count']} communes from 01/07/2025; "
          f"{province['department_count']} departments scored from 01/03/2025.")


def _start_readers(settings: Settings) -> list:
    """What analysts and leaders open once the warehouse is published: the data dictionary
    and the dashboards (which read the serving snapshot, read-only)."""
    docs_port = settings.docs_port
    superset_port = settings.superset_port
    ensure_port_free("127.0.0.1", superset_port, "Superset", "CCHC_SUPERSET_PORT")
    services = []
    try:
        # The night's dbt_docs task writes the page; generated here only when there is none
        # (the nightly run is over and the DAG waits for 01:00: nobody writes the warehouse).
        page = settings.dbt_docs_dir / "index.html"
        if not page.exists():
            page = generate_docs(settings)
        services.append(DocsServer(page.parent, docs_port).start())
        print(f"dbt docs (data dictionary): {services[-1].url}")
        print("Superset: provisioning (roles, demo users, row-level security, dashboards) ...", flush=True)
        services.append(SupersetServer(settings, port=superset_port).start())
        password = "$CCHC_SUPERSET_PASSWORD" if os.environ.get("CCHC_SUPERSET_PASSWORD") else "demo default 'admin'"
        print(f"Superset: {services[-1].url} (login admin / {password}; demo users lanhdao, donvi, phantich, "
              "chatluong / $CCHC_SUPERSET_DEMO_PASSWORD, demo default 'demo-cchc')")
    except BaseException:
        for service in services:
            service.stop()
        raise
    return services
