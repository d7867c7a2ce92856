"""Command-line entry point: ``cchc <command>``. Airflow tasks and the Makefile call these
commands; nothing here is specific to either."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .settings import Settings, load_settings


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

    demo = commands.add_parser("demo", help="run the main job on the embedded default")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .reference.tables import ReferenceDataError

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, load_settings())
    except ReferenceDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
