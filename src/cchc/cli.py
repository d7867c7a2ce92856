"""Command-line entry point: ``cchc <command>``. Airflow tasks and the Makefile call these
commands; nothing here is specific to either."""

import contextlib
import functools
import inspect
import logging
import os
import shlex
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import typer

from .settings import TIME_ZONE, Settings, load_settings

OPENAPI_PATH = "docs/sources/oss-openapi.json"

# Exit status of `cchc validate` when a critical expectation failed: publishing must not go on.
EXIT_CRITICAL = 4

# Plain click help and one-line errors (no Rich panels, no pretty tracebacks): what the
# Airflow logs, the Makefile and CI keep.
_PLAIN = {"rich_markup_mode": None, "pretty_exceptions_enable": False, "add_completion": False,
          "no_args_is_help": True}
app = typer.Typer(name="cchc", help=__doc__, **_PLAIN)


def _group(name: str, help: str) -> typer.Typer:
    group = typer.Typer(**_PLAIN)
    app.add_typer(group, name=name, help=help)
    return group


def _command(group: typer.Typer, name: str, help: str):
    """Register ``handler(settings, **options)`` as ``group``'s command ``name``: typer reads
    the options from the handler's signature; ``settings`` is the one object main() loaded
    (the context's ``obj``)."""
    def register(handler):
        @functools.wraps(handler)
        def command(ctx: typer.Context, **options):
            return handler(ctx.obj, **options)

        context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
        signature = inspect.signature(handler)
        command.__signature__ = signature.replace(parameters=[context, *list(signature.parameters.values())[1:]])
        group.command(name, help=help)(command)
        return handler
    return register


def _flag(name: str, help: str):
    """A boolean option that is only ever switched on (typer's default is a --x/--no-x pair)."""
    return typer.Option(name, help=help)


Warehouse = Annotated[Path | None, typer.Option(help="DuckDB file (default: $CCHC_WAREHOUSE)")]
BuildWarehouse = Annotated[Path | None, typer.Option(help="build DuckDB file (default: $CCHC_WAREHOUSE)")]
# Ports default to the settings' CCHC_*_PORT (None here: resolved when the command runs).
Port = int | None
FileArg = Annotated[str, typer.Argument(help="path relative to the drop folder ('treasury/KBNN_42_2024_03.xlsx'), "
                                              "a path, or the bare file name")]

reference = _group("reference", "reference data")
oss = _group("oss", "the one-stop-shop system")
files = _group("files", "the file drops' registry (raw_meta.file_registry)")
docs = _group("docs", "the data dictionary (dbt docs)")
superset = _group("superset", "the dashboards (Apache Superset)")
airflow = _group("airflow", "the nightly pipeline (Apache Airflow)")


# ---------------------------------------------------------------- reference data, sources, extract-load

@_command(reference, "build", "regenerate seeds/reference/ from the sources")
def _reference_build(settings: Settings,
                     check: Annotated[bool, _flag("--check", "fail if seeds/reference/ is out of date")] = False) -> int:
    from .reference.build import build_reference_tables, stale_files, write_reference

    tables = build_reference_tables(settings)
    if check:
        stale = stale_files(settings, tables)
        if stale:
            print(f"seeds/reference is out of date with its sources: {', '.join(stale)}; "
                  "run `make reference`", file=sys.stderr)
            return 1
        print("seeds/reference is up to date with its sources")
        return 0
    for path in write_reference(settings, tables):
        print(f"wrote {path.relative_to(settings.project_root)}")
    return 0


@_command(reference, "load", "load seeds/reference/ into the warehouse")
def _reference_load(settings: Settings, warehouse: Warehouse = None,
                    wait: Annotated[float, typer.Option(
                        help="seconds to wait while another process (a nightly task) writes the warehouse")] = 600,
                    ) -> int:
    from .reference.load import load_reference

    warehouse = warehouse or settings.warehouse_path
    counts = load_reference(warehouse, settings.reference_dir, wait_seconds=wait)
    for table, count in counts.items():
        print(f"reference.{table}: {count:,} rows")
    print(f"loaded into {warehouse}")
    return 0


@_command(app, "simulate", "generate the source systems' data (deterministic)")
def _simulate(settings: Settings,
              preset: Annotated[str, typer.Option(help="demo (default), full or faulty")] = "demo",
              seed: int | None = None,
              scale: Annotated[float | None, typer.Option(help="share of a province's real volume (full = 1.0)")] = None,
              start: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD (default 2022-01-01)")] = None,
              end: Annotated[str | None, typer.Option(
                  help="last day, YYYY-MM-DD (default yesterday, Asia/Ho_Chi_Minh)")] = None,
              province: Annotated[list[str] | None, typer.Option(help="province code (repeatable; default 42)")] = None,
              out: Annotated[Path | None, typer.Option(help="output folder (default data/sources)")] = None) -> int:
    from .simulator.config import preset as simulation_preset
    from .simulator.run import simulate

    config = simulation_preset(preset, seed=seed, scale=scale,
                               start=date.fromisoformat(start) if start else None,
                               end=date.fromisoformat(end) if end else None,
                               provinces=tuple(province) if province else None)
    result = simulate(config, out or settings.simulation_dir, settings.reference_dir)
    print(f"one-stop-shop database: {result.oss_db} ({result.dossiers:,} dossiers, {result.feedback:,} feedback)")
    print(f"file drops: {result.drop_dir}")
    print(f"manifest: {result.manifest_path} ({result.faults:,} injected faults)")
    return 0


@_command(oss, "serve", "serve the one-stop-shop API over the simulated database")
def _oss_serve(settings: Settings,
               db: Annotated[Path | None, typer.Option(help="database (default data/sources/oss/oss.sqlite)")] = None,
               host: Annotated[str, typer.Option(envvar="CCHC_OSS_HOST")] = "127.0.0.1",
               port: Port = None,
               as_of: Annotated[str | None, typer.Option(help="the service's clock (default now); ISO 8601")] = None,
               error_rate: Annotated[float, typer.Option(envvar="CCHC_OSS_ERROR_RATE",
                                                         help="share of requests answered 429/503")] = 0.0) -> int:
    from .local_server import sigterm_as_interrupt
    from .sources.oss.api import serve

    # Uvicorn shuts down gracefully on SIGTERM, then raises it again: exit 0, as the other services.
    with sigterm_as_interrupt(), contextlib.suppress(KeyboardInterrupt):
        serve(db or settings.oss_db, host, port or settings.oss_port,
              token=os.environ.get("CCHC_OSS_TOKEN", "demo-oss-token"),
              admin_token=os.environ.get("CCHC_OSS_ADMIN_TOKEN", "demo-oss-admin"),
              as_of=as_of, error_rate=error_rate, instance=settings.oss_instance)
    return 0


@_command(oss, "openapi", f"write the API's OpenAPI document (default {OPENAPI_PATH})")
def _oss_openapi(settings: Settings, out: Path | None = None) -> int:
    from .sources.oss.openapi import write_openapi

    print(f"wrote {write_openapi(out or settings.project_root / OPENAPI_PATH)}")
    return 0


@_command(app, "extract", "extract-load sources into the raw layer")
def _extract(settings: Settings, source: Literal["oss", "treasury", "sipas", "par", "papi", "files", "all"],
             warehouse: Warehouse = None) -> int:
    from .extract.run import extract

    results = extract(settings, source, warehouse=warehouse)
    for line in results.report_lines():
        print(line)
    return 0 if results.ok else 3


# ---------------------------------------------------------------- file drops: registry commands

def _file_result(entry, summary) -> int:
    print(f"{entry.file_name}: {entry.status} ({entry.rows_loaded:,} rows loaded, "
          f"{entry.rows_quarantined:,} quarantined)")
    for message in summary.messages:
        print(f"  {message}")
    return 0 if entry.status == "loaded" else 3


@_command(files, "status", "print the registry: each file's status, rows and message")
def _files_status(settings: Settings, source: Literal["treasury", "sipas", "par", "papi"] | None = None,
                  warehouse: Warehouse = None) -> int:
    from .extract.files import actions

    entries = actions.status(warehouse or settings.warehouse_path, source)
    print(f"{'source':<9} {'file':<34} {'status':<10} {'rows':>7} {'quar.':>6}  changed at        message")
    for e in entries:
        print(f"{e.source:<9} {e.file_name:<34} {e.status:<10} {e.rows_loaded:>7,} {e.rows_quarantined:>6,}  "
              f"{e.loaded_at:%d/%m/%Y %H:%M}  {e.message or ''}")
    return 0


@_command(files, "confirm", "apply a held file (a version that removes loaded rows), if the file is still the "
                            "version held")
def _files_confirm(settings: Settings, file: FileArg, warehouse: Warehouse = None) -> int:
    from .extract.files import actions

    return _file_result(*actions.confirm(warehouse or settings.warehouse_path, settings.drop_dir, file))


@_command(files, "retry", "load a file again now: after a crash, a rejection or a retraction")
def _files_retry(settings: Settings, file: FileArg, warehouse: Warehouse = None) -> int:
    from .extract.files import actions

    return _file_result(*actions.retry(warehouse or settings.warehouse_path, settings.drop_dir, file))


@_command(app, "retract", "remove a file's rows from raw_files and raw_meta.quarantine (registry status 'retracted'; "
                          "not loaded again unless it changes or `cchc files retry` is run)")
def _retract(settings: Settings, file: Annotated[str, typer.Argument(help="as for `cchc files retry`")],
             reason: Annotated[str | None, typer.Option(help="why, kept in the registry and its history")] = None,
             warehouse: Warehouse = None) -> int:
    from .extract.files import actions

    entry = actions.retract(warehouse or settings.warehouse_path, settings.drop_dir, file, reason)
    print(f"{entry.file_name}: {entry.status}: {entry.message}")
    return 0


# ---------------------------------------------------------------- build, validate, publish

@_command(app, "build", "dbt build of the whole warehouse project")
def _build(settings: Settings, warehouse: Warehouse = None,
           full_refresh: Annotated[bool, _flag("--full-refresh", "rebuild incremental models from scratch")] = False,
           select: Annotated[str | None, typer.Option(help="dbt node selection")] = None,
           changed: Annotated[bool, _flag(
               "--changed", "the nightly build: only what is downstream of sources loaded since the last successful "
                            "--changed build (everything the first time, from scratch after a code change or a "
                            "reference reload)")] = False) -> int:
    from .transform import dbt_build, dbt_build_changed

    if changed:
        if select:
            raise SystemExit("cchc build: --changed picks its own selection; leave out --select")
        result = dbt_build_changed(settings, warehouse=warehouse, full_refresh=full_refresh)
    else:
        result = dbt_build(settings, warehouse=warehouse, full_refresh=full_refresh, select=select)
    print(result.summary())
    return 0


@_command(app, "publish", "publish the marts to the read-only serving database")
def _publish(settings: Settings, warehouse: BuildWarehouse = None,
             serving_dir: Annotated[Path | None, typer.Option(
                 help="serving folder (default: $CCHC_SERVING_DIR or data/serving)")] = None,
             label: Annotated[str | None, typer.Option(
                 help="suffix of the snapshot's file name (e.g. the run id)")] = None) -> int:
    from .publish import publish

    print(f"published {publish(warehouse or settings.warehouse_path, serving_dir or settings.serving_dir, label=label)}")
    return 0


@_command(app, "validate", "data-quality suites (Great Expectations); exit 4 on a critical failure")
def _validate(settings: Settings, warehouse: BuildWarehouse = None,
              run_id: Annotated[str, typer.Option(help="run id recorded with the results")] = "manual",
              as_of: Annotated[str | None, typer.Option(
                  help="validation day YYYY-MM-DD (default: today, Asia/Ho_Chi_Minh)")] = None,
              suite: Annotated[list[str] | None, typer.Option(
                  help="run only this suite (repeatable), e.g. reconciliation: extracted dossiers per unit and day "
                       "against the source's daily counts")] = None) -> int:
    from .quality import run_validations

    report = run_validations(settings, warehouse, run_id=run_id,
                             as_of=date.fromisoformat(as_of) if as_of else None,
                             suites=tuple(suite) if suite else None)
    print(report.alert_text_vi())
    print(f"{report.results_written} results appended to quality.validation_results; Data Docs: {report.data_docs_path}")
    return 0 if report.ok_to_publish else EXIT_CRITICAL


# ---------------------------------------------------------------- services: docs, Superset, Airflow
# In the foreground until Ctrl+C or SIGTERM, which stop every process they started; exit 0.

@_command(docs, "generate", "generate the static dbt docs page (data/dbt_docs)")
def _docs_generate(settings: Settings, warehouse: Warehouse = None) -> int:
    from .dbt_docs import generate_docs

    print(f"wrote {generate_docs(settings, warehouse=warehouse)}")
    return 0


@_command(docs, "serve", "serve the generated page on localhost")
def _docs_serve(settings: Settings, port: Port = None,
                host: Annotated[str, typer.Option(envvar="CCHC_DOCS_HOST",
                                                  help="address to listen on (a container: 0.0.0.0)")] = "127.0.0.1",
                directory: Annotated[Path | None, typer.Option(help="folder served (default data/dbt_docs)")] = None
                ) -> int:
    from .dbt_docs import DocsServer
    from .local_server import serve_in_foreground

    server = DocsServer(directory or settings.dbt_docs_dir, port or settings.docs_port, host)
    return serve_in_foreground(server, lambda: print(f"dbt docs: {server.url} (Ctrl+C or SIGTERM to stop)",
                                                      flush=True))


@_command(superset, "bundle", "write superset/bundle/ from cchc.bi.bundle")
def _superset_bundle(settings: Settings,
                     check: Annotated[bool, _flag("--check", "fail if superset/bundle/ is out of date")] = False) -> int:
    from .bi.bundle import bundle_files, read_bundle, write_bundle

    bundle_dir = settings.project_root / "superset" / "bundle"
    if not check:
        print(f"wrote {len(write_bundle(bundle_dir))} files to {bundle_dir}")
        return 0
    if read_bundle(bundle_dir) != bundle_files():
        print("superset/bundle is out of date with cchc.bi.bundle; run `cchc superset bundle`", file=sys.stderr)
        return 1
    print("superset/bundle is up to date")
    return 0


@_command(superset, "provision", "migrate metadata, import the bundle, roles, users, RLS (no server)")
def _superset_provision(settings: Settings, port: Port = None) -> int:
    from .bi.server import SupersetServer

    server = SupersetServer(settings, port=port or settings.superset_port)
    server.provision()
    print(f"Superset metadata ready in {server.home}")
    return 0


@_command(superset, "serve", "provision, then serve Superset until Ctrl+C")
def _superset_serve(settings: Settings, port: Port = None) -> int:
    from .bi.server import SupersetServer
    from .credentials import is_production
    from .local_server import serve_in_foreground

    server = SupersetServer(settings, port=port or settings.superset_port)
    demo_users = "" if is_production() else "; demo users lanhdao, donvi, phantich, chatluong / $CCHC_SUPERSET_DEMO_PASSWORD"
    return serve_in_foreground(server, lambda: print(
        f"Superset: {server.url} (admin / $CCHC_SUPERSET_PASSWORD{demo_users}); Ctrl+C or SIGTERM to stop", flush=True))


@_command(superset, "screenshots", "one PNG per dashboard: default view, as lanhdao, 1600 px wide, whole page")
def _superset_screenshots(settings: Settings,
                          out: Annotated[Path, typer.Option(help="folder of the PNGs")] = Path("docs/images"),
                          url: Annotated[str | None, typer.Option(
                              help="a running Superset (e.g. the demo's); default: start one on the snapshot")] = None,
                          serving: Annotated[Path | None, typer.Option(
                              help="the published snapshot (default: $CCHC_SERVING_DIR/cchc.duckdb)")] = None) -> int:
    from urllib.parse import urlsplit

    from .bi.bundle import DASHBOARDS
    from .bi.server import SupersetServer, temporary_server
    from .credentials import secret

    out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if url:
            server = SupersetServer(settings, port=urlsplit(url).port or 80, host=urlsplit(url).hostname or "")
        else:
            server = stack.enter_context(temporary_server(settings, serving_path=serving))
        reports = server.browse("lanhdao", secret("CCHC_SUPERSET_DEMO_PASSWORD"), [d.slug for d in DASHBOARDS],
                                out.resolve() / "dashboard.png", "--full-page")
    for report in reports:
        problems = report["errors"] + [f"empty: {t['text'][:60]!r}" for t in report["texts"] if t["empty"]]
        print(f"{report['screenshot']}: {report['charts']} charts" + (f"; {problems}" if problems else ""))
    return 0 if all(not r["errors"] and r["rendered"] == r["charts"] for r in reports) else 1


@_command(airflow, "init", "metadata database, admin password, warehouse-writer pool (idempotent)")
def _airflow_init(settings: Settings, port: Port = None) -> int:
    from .orchestration import runtime

    runtime.init_airflow(settings)
    print(f"Airflow ready in {settings.airflow_home} (pool {runtime.WRITER_POOL})")
    return 0


@_command(airflow, "serve", "init, then API server/UI, scheduler and DAG processor until Ctrl+C")
def _airflow_serve(settings: Settings, port: Port = None) -> int:
    from .local_server import serve_in_foreground
    from .orchestration import runtime

    runtime.init_airflow(settings)
    services = runtime.AirflowServices(settings, port or settings.airflow_port)
    return serve_in_foreground(services, lambda: print(
        f"Airflow: {services.url} (admin / $CCHC_AIRFLOW_PASSWORD, demo default '{runtime.DEFAULT_PASSWORD}'); "
        "Ctrl+C or SIGTERM to stop", flush=True))


@_command(airflow, "test", "init, then one whole run of cchc_nightly in this process (airflow dags test)")
def _airflow_test(settings: Settings, port: Port = None,
                  logical_date: Annotated[str | None, typer.Option(
                      "--date", help="logical date, ISO 8601 (default: now)")] = None) -> int:
    from .orchestration import runtime

    logical_date = logical_date or datetime.now(ZoneInfo(TIME_ZONE)).replace(microsecond=0).isoformat()

    runtime.init_airflow(settings)
    result = runtime.dags_test(settings, logical_date)
    print(result.output[-6000:])
    print(f"{runtime.DAG_ID} {logical_date}: run {result.run_id} {result.state or 'did not finish'}")
    return 0 if result.state == "success" else 4


@_command(airflow, "run", "replace this process by `airflow ARGS` with the platform's environment (containers)")
def _airflow_run(settings: Settings, args: Annotated[list[str], typer.Argument(help="e.g. scheduler, api-server")],
                 port: Port = None) -> int:
    from .orchestration import runtime

    runtime.exec_airflow(settings, args, port or settings.airflow_port)
    return 0  # not reached


@_command(airflow, "env", "print the environment for running the `airflow` command on this data folder")
def _airflow_env(settings: Settings, port: Port = None) -> int:
    from .orchestration import runtime

    for name, value in runtime.airflow_env(settings, port or settings.airflow_port).items():
        if name.startswith(("AIRFLOW", "CCHC_")):
            print(f"export {name}={shlex.quote(value)}")
    return 0


# ---------------------------------------------------------------- the rest

@_command(app, "report", "write the periodic CCHC report (Word and Excel, in Vietnamese) from the serving snapshot")
def _report(settings: Settings,
            period: Annotated[str, typer.Option(help="a year (2022), a quarter (2022-Q4) or a month (2022-12)")],
            area: Annotated[str | None, typer.Option(
                help="a province or district unit key, e.g. legacy:298 (default: the province served)")] = None,
            out: Annotated[Path, typer.Option(help="output folder")] = Path("."),
            serving: Annotated[Path | None, typer.Option(
                help="serving database (default: $CCHC_SERVING_DIR/cchc.duckdb)")] = None) -> int:
    from .report import parse_period, write_report

    files = write_report(serving or settings.serving_path, parse_period(period), out, area)
    print(f"{files.area_name}, {period}: wrote {files.docx} and {files.xlsx} "
          f"({', '.join(str(n) for n in files.rows.values())} rows in {len(files.rows)} tables)")
    return 0


@_command(app, "exposures", "write dbt exposures for the Superset dashboards")
def _exposures(settings: Settings) -> int:
    from .bi.exposures import write_exposures

    print(f"wrote {write_exposures(settings.project_root)}")
    return 0


@_command(app, "portability", "the DuckDB-only SQL of each dbt model (what a Spark target lacks), against "
                                "dbt_project/portability_baseline.yml; exit 1 on a difference")
def _portability(settings: Settings) -> int:
    import tempfile

    from .portability import baseline_problems, compiled_manifest, load_baseline, project_findings, report

    logging.getLogger("sqlglot").setLevel(logging.WARNING)  # its INFO lines (index offsets) are no findings
    with tempfile.TemporaryDirectory(prefix="cchc-portability-") as work:  # dbt compile's output, not kept
        findings = project_findings(compiled_manifest(settings, Path(work)))
    print(report(findings))
    problems = baseline_problems(findings, load_baseline())
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


spark = _group("spark", "the dbt project on Apache Spark (local mode, .venv/spark)")


@_command(spark, "compare", "build models on Spark from the build warehouse's raw layer and compare them with "
                            "the warehouse's own build row for row; exit 1 on a failure or a difference")
def _spark_compare(settings: Settings, warehouse: BuildWarehouse = None,
                   select: Annotated[str | None, typer.Option(help="dbt node selection (default: every model)")] = None,
                   work_dir: Annotated[Path | None, typer.Option(
                       help="Spark's working folder (default data/spark)")] = None) -> int:
    from .spark.build import spark_build
    from .spark.handback import compare_builds

    warehouse = warehouse or settings.warehouse_path
    built = spark_build(settings, warehouse, work_dir or settings.data_dir / "spark",
                        ["run", *(["--select", *select.split()] if select else [])])
    for uid, status in sorted(built.failed.items()):
        print(f"{uid}: {status} on Spark", file=sys.stderr)
    compared = compare_builds(built.warehouse, warehouse, built.tables)
    for relation, difference in compared.items():
        print(f"{relation}: {built.tables[relation]:,} rows, " + ("equal" if difference is None else str(difference)))
    differences = sum(difference is not None for difference in compared.values())
    print(f"{len(built.tables)} models compared, {differences} differ, {len(built.failed)} failed on Spark")
    return 1 if differences or built.failed else 0


@_command(app, "demo", "run the main job on the embedded default")
def _demo(settings: Settings) -> int:
    from .demo import run_demo

    return run_demo(settings)


@_command(app, "backup", "back up the warehouse, the serving snapshot and Airflow's and Superset's metadata "
                         "databases into a new folder DEST/cchc-backup-<time>")
def _backup(settings: Settings,
            dest: Annotated[Path, typer.Argument(help="folder that receives the backup (keep it off the data volume)")],
            wait: Annotated[float, typer.Option(
                help="seconds to wait for a pipeline step that is writing the warehouse")] = 600) -> int:
    from .backup import backup

    outcome = backup(settings, dest, wait=wait)
    for line in outcome.lines:
        print(line)
    print(f"backup written to {outcome.folder}")
    return 0


@_command(app, "restore", "check a backup's files against its manifest, then restore the warehouse, the serving "
                          "snapshot and both metadata databases (stop Airflow and Superset first)")
def _restore(settings: Settings,
             backup: Annotated[Path, typer.Argument(help="a folder written by `cchc backup`")],
             force: Annotated[bool, _flag("--force", "replace a warehouse, snapshot link or metadata database "
                                                     "that is already there")] = False) -> int:
    from .backup import restore

    for line in restore(settings, backup, force=force):
        print(f"restored {line}")
    print(f"restore of {backup} complete")
    return 0


# typer takes lists of Enum, not of Literal
BenchScale = Enum("BenchScale", {name: name for name in ("ci", "province", "national", "dashboards")}, type=str)
BenchStep = Enum("BenchStep", {name: name for name in ("floor", "pandas")}, type=str)


@_command(app, "bench", "benchmark a named scale, or the dashboards' load in a browser (bench/README.md)")
def _bench(settings: Settings, scale: list[BenchScale],
           work_root: Annotated[Path, typer.Option(
               help="generated data and warehouse go to <work-root>/bench-<scale>")] = Path("/tmp"),
           results_dir: Annotated[Path | None, typer.Option(help="default: bench/results")] = None,
           skip: Annotated[list[BenchStep] | None, typer.Option(help="leave out a comparison")] = None,
           keep_data: Annotated[bool, _flag("--keep-data", "keep the generated files and warehouse")] = False,
           base_warehouse: Annotated[Path | None, typer.Option(
               help="warehouse with the reference data, copied (default: $CCHC_WAREHOUSE)")] = None,
           dossiers: Annotated[int | None, typer.Option(
               help="override the scale's volume (recorded in the results)")] = None,
           step_timeout: Annotated[int, typer.Option(help="seconds before a step is killed")] = 4 * 3600,
           serving: Annotated[Path | None, typer.Option(
               help="dashboards: the published snapshot (default: $CCHC_SERVING_DIR/cchc.duckdb)")] = None,
           repeats: Annotated[int, typer.Option(help="dashboards: timed reopenings of each after the first")] = 20,
           note: Annotated[str, typer.Option(help="dashboards: a remark recorded with the results")] = "",
           key: Annotated[str, typer.Option(
               help="dashboards: the results' key in the day's file (a second run of the day beside the first)")]
           = "dashboards") -> int:
    from .bench.harness import RESULTS_DIR, run_scale

    results_dir = results_dir or RESULTS_DIR
    steps = {"floor", "pandas"} - {step.value for step in skip or []}
    for one in scale:
        if one.value == "dashboards":
            from .bench import dashboards

            dashboards.run(settings, serving=serving, repeats=repeats, results_dir=results_dir, note=note, key=key)
            continue
        run_scale(one.value, work_root=work_root, results_dir=results_dir, steps=steps,
                  keep_data=keep_data, timeout=step_timeout, base_warehouse=base_warehouse, dossiers=dossiers)
    print(f"results in {results_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from .publish import PublishError
    from .reference.tables import ReferenceDataError
    from .transform import DbtBuildError

    logging.basicConfig(level=os.environ.get("CCHC_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return app(args=argv, prog_name="cchc", obj=load_settings(), standalone_mode=False)
    except typer.TyperException as exc:  # bad usage (click's errors): the usage line and a one-line message
        exc.show()
        return exc.exit_code
    except (ReferenceDataError, DbtBuildError, PublishError, ValueError, FileNotFoundError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
