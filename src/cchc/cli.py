"""Command-line entry point: ``cchc <command>``. Airflow tasks and the Makefile call these
commands; nothing here is specific to either."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path

from .settings import Settings, load_settings

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
          as_of=args.as_of, error_rate=args.error_rate)
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
    from .transform import dbt_build

    result = dbt_build(settings, warehouse=Path(args.warehouse) if args.warehouse else None,
                       full_refresh=args.full_refresh, select=args.select)
    print(result.summary())
    return 0


def _cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from .publish import publish

    snapshot = publish(Path(args.warehouse) if args.warehouse else settings.warehouse_path,
                       Path(args.serving_dir) if args.serving_dir else settings.serving_dir, label=args.label)
    print(f"published {snapshot}")
    return 0


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from .demo import run_demo

    return run_demo(settings)


def build_parser() -> argparse.ArgumentParser:
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
    serve.add_argument("--port", type=int, default=int(os.environ.get("CCHC_OSS_PORT", "8765")))
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

    build = commands.add_parser("build", help="dbt build of the whole warehouse project")
    build.add_argument("--warehouse", help="DuckDB file (default: $CCHC_WAREHOUSE)")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    build.add_argument("--select", help="dbt node selection")
    build.set_defaults(handler=_cmd_build)

    publish = commands.add_parser("publish", help="publish the marts to the read-only serving database")
    publish.add_argument("--warehouse", help="build DuckDB file (default: $CCHC_WAREHOUSE)")
    publish.add_argument("--serving-dir", help="serving folder (default: $CCHC_SERVING_DIR or data/serving)")
    publish.add_argument("--label", help="suffix of the snapshot's file name (e.g. the run id)")
    publish.set_defaults(handler=_cmd_publish)

    demo = commands.add_parser("demo", help="run the main job on the embedded default")
    demo.set_defaults(handler=_cmd_demo)
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
