"""Command-line entry point: ``cchc <command>``. Airflow tasks and the Makefile call these
commands; nothing here is specific to either."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .settings import TIME_ZONE, Settings, load_settings

OPENAPI_PATH = "docs/sources/oss-openapi.json"


def _cmd_reference_build(args: argparse.Namespace, settings: Settings) -> int:
    from .reference.build import build_reference_tables, stale_files, write_reference

    tables = build_reference_tables(settings)
    if args.check:
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


def _cmd_reference_load(args: argparse.Namespace, settings: Settings) -> int:
    from .reference.load import load_reference

    warehouse = Path(args.warehouse) if args.warehouse else settings.warehouse_path
    counts = load_reference(warehouse, settings.reference_dir)
    for table, count in counts.items():
        print(f"reference.{table}: {count:,} rows")
    print(f"loaded into {warehouse}")
    return 0


def _cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from .simulator.config import preset
    from .simulator.run import simulate

    config = preset(args.preset, seed=args.seed, scale=args.scale,
                    start=date.fromisoformat(args.start) if args.start else None,
                    end=date.fromisoformat(args.end) if args.end else None,
                    provinces=tuple(args.province) if args.province else None)
    out = Path(args.out) if args.out else settings.simulation_dir
    result = simulate(config, out, settings.reference_dir)
    print(f"one-stop-shop database: {result.oss_db} ({result.dossiers:,} dossiers, {result.feedback:,} feedback)")
    print(f"file drops: {result.drop_dir}")
    print(f"manifest: {result.manifest_path} ({result.faults:,} injected faults)")
    return 0


def _cmd_oss_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .sources.oss.api import serve

    serve(Path(args.db) if args.db else settings.oss_db, args.host, args.port,
          token=os.environ.get("CCHC_OSS_TOKEN", "demo-oss-token"),
          admin_token=os.environ.get("CCHC_OSS_ADMIN_TOKEN", "demo-oss-admin"),
          as_of=args.as_of, error_rate=args.error_rate, instance=os.environ.get("CCHC_OSS_INSTANCE") or None)
    return 0


def _cmd_oss_openapi(args: argparse.Namespace, settings: Settings) -> int:
    from .sources.oss.openapi import write_openapi

    path = write_openapi(Path(args.out) if args.out else settings.project_root / OPENAPI_PATH)
    print(f"wrote {path}")
    return 0


def _cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from .extract.run import extract

    results = extract(settings, args.source, warehouse=Path(args.warehouse) if args.warehouse else None)
    for line in results.report_lines():
        print(line)
    return 0 if results.ok else 3


def _cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from .transform import dbt_build, dbt_build_changed

    warehouse = Path(args.warehouse) if args.warehouse else None
    if args.changed:
        if args.select:
            raise SystemExit("cchc build: --changed picks its own selection; leave out --select")
        result = dbt_build_changed(settings, warehouse=warehouse, full_refresh=args.full_refresh)
    else:
        result = dbt_build(settings, warehouse=warehouse, full_refresh=args.full_refresh, select=args.select)
    print(result.summary())
    return 0


def _cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from .publish import publish

    snapshot = publish(Path(args.warehouse) if args.warehouse else settings.warehouse_path,
                       Path(args.serving_dir) if args.serving_dir else settings.serving_dir, label=args.label)
    print(f"published {snapshot}")
    return 0


# Exit status of `cchc validate` when a critical expectation failed: publishing must not go on.
EXIT_CRITICAL = 4


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from .quality import run_validations

    report = run_validations(settings, Path(args.warehouse) if args.warehouse else None, run_id=args.run_id,
                             as_of=date.fromisoformat(args.as_of) if args.as_of else None,
                             suites=tuple(args.suite) if args.suite else None)
    print(report.alert_text_vi())
    print(f"{report.results_written} results appended to quality.validation_results; Data Docs: {report.data_docs_path}")
    return 0 if report.ok_to_publish else EXIT_CRITICAL


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from .bench.harness import RESULTS_DIR, run_scale

    steps = {"floor", "pandas"} - set(args.skip or [])
    for scale in args.scale:
        run_scale(scale, work_root=Path(args.work_root), results_dir=Path(args.results_dir or RESULTS_DIR),
                  steps=steps, keep_data=args.keep_data, timeout=args.step_timeout,
                  base_warehouse=Path(args.base_warehouse) if args.base_warehouse else None,
                  dossiers=args.dossiers)
    print(f"results in {args.results_dir or RESULTS_DIR}")
    return 0


def _cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from .dbt_docs import DocsServer, generate_docs

    if args.action == "generate":
        print(f"wrote {generate_docs(settings, warehouse=Path(args.warehouse) if args.warehouse else None)}")
        return 0
    server = DocsServer(settings.dbt_docs_dir, args.port).start()
    print(f"dbt docs: {server.url} (Ctrl+C to stop)")
    _serve_until_interrupted(server)
    return 0


def _serve_until_interrupted(server) -> None:
    """Wait on a started server's process until Ctrl+C, then stop it."""
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _cmd_superset(args: argparse.Namespace, settings: Settings) -> int:
    from .bi.bundle import bundle_files, read_bundle, write_bundle
    from .bi.server import SupersetServer

    bundle_dir = settings.project_root / "superset" / "bundle"
    if args.action == "bundle":
        if args.check:
            if read_bundle(bundle_dir) != bundle_files():
                print("superset/bundle is out of date with cchc.bi.bundle; run `cchc superset bundle`", file=sys.stderr)
                return 1
            print("superset/bundle is up to date")
            return 0
        print(f"wrote {len(write_bundle(bundle_dir))} files to {bundle_dir}")
        return 0
    server = SupersetServer(settings, port=args.port)
    if args.action == "provision":
        server.provision()
        print(f"Superset metadata ready in {server.home}")
        return 0
    from .credentials import is_production

    server.start()
    demo_users = "" if is_production() else "; demo users lanhdao, donvi, phantich, chatluong / $CCHC_SUPERSET_DEMO_PASSWORD"
    print(f"Superset: {server.url} (admin / $CCHC_SUPERSET_PASSWORD{demo_users}); Ctrl+C to stop")
    _serve_until_interrupted(server)
    return 0


def _cmd_airflow(args: argparse.Namespace, settings: Settings) -> int:
    from .orchestration import runtime

    if args.action == "env":
        for name, value in runtime.airflow_env(settings, args.port).items():
            if name.startswith(("AIRFLOW", "CCHC_")):
                print(f"export {name}={shlex.quote(value)}")
        return 0
    runtime.init_airflow(settings)
    if args.action == "init":
        print(f"Airflow ready in {settings.airflow_home} (pool {runtime.WRITER_POOL})")
        return 0
    if args.action == "test":
        result = runtime.dags_test(settings, args.date)
        print(result.output[-6000:])
        print(f"{runtime.DAG_ID} {args.date}: run {result.run_id} {result.state or 'did not finish'}")
        return 0 if result.state == "success" else 4
    services = runtime.AirflowServices(settings, args.port).start()
    print(f"Airflow: {services.url} (admin / $CCHC_AIRFLOW_PASSWORD, demo default '{runtime.DEFAULT_PASSWORD}'); "
          "Ctrl+C to stop")
    services.serve_until_interrupted()
    return 0


def _cmd_exposures(args: argparse.Namespace, settings: Settings) -> int:
    from .bi.exposures import write_exposures

    print(f"wrote {write_exposures(settings.project_root)}")
    return 0


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from .demo import run_demo

    return run_demo(settings)


# ---------------------------------------------------------------- file drops: registry commands

def _file_result(entry, summary) -> int:
    print(f"{entry.file_name}: {entry.status} ({entry.rows_loaded:,} rows loaded, "
          f"{entry.rows_quarantined:,} quarantined)")
    for message in summary.messages:
        print(f"  {message}")
    return 0 if entry.status == "loaded" else 3


def _cmd_files(args: argparse.Namespace, settings: Settings) -> int:
    from .extract.files import actions

    warehouse = Path(args.warehouse) if args.warehouse else settings.warehouse_path
    if args.action == "confirm":
        return _file_result(*actions.confirm(warehouse, settings.drop_dir, args.file))
    if args.action == "retry":
        return _file_result(*actions.retry(warehouse, settings.drop_dir, args.file))
    entries = actions.status(warehouse, args.source)
    print(f"{'source':<9} {'file':<34} {'status':<10} {'rows':>7} {'quar.':>6}  changed at        message")
    for e in entries:
        print(f"{e.source:<9} {e.file_name:<34} {e.status:<10} {e.rows_loaded:>7,} {e.rows_quarantined:>6,}  "
              f"{e.loaded_at:%d/%m/%Y %H:%M}  {e.message or ''}")
    return 0


def _cmd_retract(args: argparse.Namespace, settings: Settings) -> int:
    from .extract.files import actions

    entry = actions.retract(Path(args.warehouse) if args.warehouse else settings.warehouse_path,
                            settings.drop_dir, args.file, args.reason)
    print(f"{entry.file_name}: {entry.status}: {entry.message}")
    return 0


def _add_file_parsers(commands) -> None:
    """`cchc files status|confirm|retry` and `cchc retract`: the file registry's commands."""
    files = commands.add_parser("files", help="the file drops' registry (raw_meta.file_registry)").add_subparsers(
        dest="action", required=True)
    status = files.add_parser("status", help="print the registry: each file's status, rows and message")
    status.add_argument("--source", choices=["treasury", "sipas", "par", "papi"])
    confirm = files.add_parser("confirm", help="apply a held file (a version that removes loaded rows), if the "
                                               "file is still the version held")
    retry = files.add_parser("retry", help="load a file again now: after a crash, a rejection or a retraction")
    for sub in (confirm, retry):
        sub.add_argument("file", help="path relative to the drop folder ('treasury/KBNN_42_2024_03.xlsx'), a path, "
                                      "or the bare file name")
    for sub in (status, confirm, retry):
        sub.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
        sub.set_defaults(handler=_cmd_files)
    retract = commands.add_parser("retract", help="remove a file's rows from raw_files and raw_meta.quarantine "
                                                  "(registry status 'retracted'; not loaded again unless it changes "
                                                  "or `cchc files retry` is run)")
    retract.add_argument("file", help="as for `cchc files retry`")
    retract.add_argument("--reason", help="why, kept in the registry and its history")
    retract.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
    retract.set_defaults(handler=_cmd_retract)


def build_parser() -> argparse.ArgumentParser:
    settings = load_settings()  # defaults shown in --help come from the environment
    parser = argparse.ArgumentParser(prog="cchc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    reference = commands.add_parser("reference", help="reference data").add_subparsers(
        dest="action", required=True)
    build = reference.add_parser("build", help="regenerate seeds/reference/ from the sources")
    build.add_argument("--check", action="store_true", help="fail if seeds/reference/ is out of date")
    build.set_defaults(handler=_cmd_reference_build)
    load = reference.add_parser("load", help="load seeds/reference/ into the warehouse")
    load.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
    load.set_defaults(handler=_cmd_reference_load)

    simulate = commands.add_parser("simulate", help="generate the source systems' data (deterministic)")
    simulate.add_argument("--preset", default="demo", help="demo (default), full or faulty")
    simulate.add_argument("--seed", type=int)
    simulate.add_argument("--scale", type=float, help="share of a province's real volume (full = 1.0)")
    simulate.add_argument("--start", help="first day, YYYY-MM-DD (default 2022-01-01)")
    simulate.add_argument("--end", help="last day, YYYY-MM-DD (default yesterday, Asia/Ho_Chi_Minh)")
    simulate.add_argument("--province", action="append", help="province code (repeatable; default 42)")
    simulate.add_argument("--out", help="output folder (default data/sources)")
    simulate.set_defaults(handler=_cmd_simulate)

    oss = commands.add_parser("oss", help="the one-stop-shop system").add_subparsers(dest="action", required=True)
    serve = oss.add_parser("serve", help="serve the one-stop-shop API over the simulated database")
    serve.add_argument("--db", help="database (default data/sources/oss/oss.sqlite)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=settings.oss_port)
    serve.add_argument("--as-of", help="the service's clock (default now); ISO 8601")
    serve.add_argument("--error-rate", type=float, default=float(os.environ.get("CCHC_OSS_ERROR_RATE", "0")),
                       help="share of requests answered 429/503")
    serve.set_defaults(handler=_cmd_oss_serve)
    openapi = oss.add_parser("openapi", help=f"write the API's OpenAPI document (default {OPENAPI_PATH})")
    openapi.add_argument("--out")
    openapi.set_defaults(handler=_cmd_oss_openapi)

    extract = commands.add_parser("extract", help="extract-load sources into the raw layer")
    extract.add_argument("source", choices=["oss", "treasury", "sipas", "par", "papi", "files", "all"])
    extract.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
    extract.set_defaults(handler=_cmd_extract)
    _add_file_parsers(commands)

    build = commands.add_parser("build", help="dbt build of the whole warehouse project")
    build.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    build.add_argument("--select", help="dbt node selection")
    build.add_argument("--changed", action="store_true",
                       help="the nightly build: only what is downstream of sources loaded since the last "
                            "successful --changed build (everything the first time, from scratch after a code "
                            "change or a reference reload)")
    build.set_defaults(handler=_cmd_build)

    publish = commands.add_parser("publish", help="publish the marts to the read-only serving database")
    publish.add_argument("--warehouse", help="build DuckDB file (default: $CCHC_WAREHOUSE)")
    publish.add_argument("--serving-dir", help="serving folder (default: $CCHC_SERVING_DIR or data/serving)")
    publish.add_argument("--label", help="suffix of the snapshot's file name (e.g. the run id)")
    publish.set_defaults(handler=_cmd_publish)

    validate = commands.add_parser("validate", help="data-quality suites (Great Expectations); exit 4 on a critical failure")
    validate.add_argument("--warehouse", help="build DuckDB file (default: $CCHC_WAREHOUSE)")
    validate.add_argument("--run-id", default="manual", help="run id recorded with the results")
    validate.add_argument("--as-of", help="validation day YYYY-MM-DD (default: today, Asia/Ho_Chi_Minh)")
    validate.add_argument("--suite", action="append",
                          help="run only this suite (repeatable), e.g. reconciliation: extracted dossiers per unit "
                               "and day against the source's daily counts")
    validate.set_defaults(handler=_cmd_validate)

    docs = commands.add_parser("docs", help="the data dictionary (dbt docs)").add_subparsers(
        dest="action", required=True)
    docs_generate = docs.add_parser("generate", help="generate the static dbt docs page (data/dbt_docs)")
    docs_generate.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
    docs_generate.set_defaults(handler=_cmd_docs)
    docs_serve = docs.add_parser("serve", help="serve the generated page on localhost")
    docs_serve.add_argument("--port", type=int, default=settings.docs_port)
    docs_serve.set_defaults(handler=_cmd_docs)

    superset = commands.add_parser("superset", help="the dashboards (Apache Superset)").add_subparsers(
        dest="action", required=True)
    superset_bundle = superset.add_parser("bundle", help="write superset/bundle/ from cchc.bi.bundle")
    superset_bundle.add_argument("--check", action="store_true", help="fail if superset/bundle/ is out of date")
    superset_bundle.set_defaults(handler=_cmd_superset)
    for action, text in (("provision", "migrate metadata, import the bundle, roles, users, RLS (no server)"),
                         ("serve", "provision, then serve Superset until Ctrl+C")):
        sub = superset.add_parser(action, help=text)
        sub.add_argument("--port", type=int, default=settings.superset_port)
        sub.set_defaults(handler=_cmd_superset)

    exposures = commands.add_parser("exposures", help="write dbt exposures for the Superset dashboards")
    exposures.set_defaults(handler=_cmd_exposures)

    demo = commands.add_parser("demo", help="run the main job on the embedded default")
    demo.set_defaults(handler=_cmd_demo)

    airflow = commands.add_parser("airflow", help="the nightly pipeline (Apache Airflow)").add_subparsers(
        dest="action", required=True)
    for action, text in (("init", "metadata database, admin password, warehouse-writer pool (idempotent)"),
                         ("serve", "init, then API server/UI, scheduler and DAG processor until Ctrl+C"),
                         ("test", "init, then one whole run of cchc_nightly in this process (airflow dags test)"),
                         ("env", "print the environment for running the `airflow` command on this data folder")):
        sub = airflow.add_parser(action, help=text)
        sub.add_argument("--port", type=int, default=settings.airflow_port)
        if action == "test":
            sub.add_argument("--date", default=datetime.now(ZoneInfo(TIME_ZONE)).replace(microsecond=0).isoformat(),
                             help="logical date, ISO 8601 (default: now)")
        sub.set_defaults(handler=_cmd_airflow)

    bench = commands.add_parser("bench", help="benchmark a named scale (bench/README.md)")
    bench.add_argument("scale", nargs="+", choices=["ci", "province", "national"])
    bench.add_argument("--work-root", default="/tmp", help="generated data and warehouse go to <work-root>/bench-<scale>")
    bench.add_argument("--results-dir", help="default: bench/results")
    bench.add_argument("--skip", action="append", choices=["floor", "pandas"], help="leave out a comparison")
    bench.add_argument("--keep-data", action="store_true", help="keep the generated files and warehouse")
    bench.add_argument("--base-warehouse", help="warehouse with the reference data, copied (default: $CCHC_WAREHOUSE)")
    bench.add_argument("--dossiers", type=int, help="override the scale's volume (recorded in the results)")
    bench.add_argument("--step-timeout", type=int, default=4 * 3600, help="seconds before a step is killed")
    bench.set_defaults(handler=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .publish import PublishError
    from .reference.tables import ReferenceDataError
    from .transform import DbtBuildError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("CCHC_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args, load_settings())
    except (ReferenceDataError, DbtBuildError, PublishError, ValueError, FileNotFoundError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
