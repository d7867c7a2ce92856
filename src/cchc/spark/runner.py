"""`dbt <command> --target spark` in local mode, then every model's rows as Parquet.

Run by the Spark environment's interpreter (``.venv/spark/bin/python -m
cchc.spark.runner``; cchc.spark.build starts it), which has dbt-spark and pyspark but not
the pipeline's packages: this module imports only the standard library, dbt and pyspark.

    python -m cchc.spark.runner --project-dir P --spark-dir S --raw-dir R \
        [--export-dir E] -- build --select ...

The build runs in this process (dbt's Python API), so the Spark session dbt-spark opened
(session method) is still here afterwards to write each model that built as
``<export-dir>/<schema>/<name>/`` Parquet (views included: their rows). Prints one JSON
line: dbt's success, the nodes' statuses and the exported tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path


def export_models(results, export_dir: Path) -> list[str]:
    """Every model and seed that built, as Parquet under `export_dir`; the relations written
    (not counted here: a view would be computed again; the hand-back counts the files)."""
    from pyspark.sql import SparkSession

    # The session dbt-spark opened in its worker thread (getActiveSession is per thread).
    spark = SparkSession.builder.getOrCreate()
    exported: list[str] = []
    for result in results:
        node = result.node
        if node.resource_type not in ("model", "seed") or str(result.status) != "success":
            continue
        relation = f"{node.schema}.{node.alias}"
        out = export_dir / node.schema / node.alias
        shutil.rmtree(out, ignore_errors=True)
        spark.table(relation).write.mode("overwrite").parquet(str(out))
        exported.append(relation)
    return exported


def _vars(dbt_args: list[str]) -> list[str]:
    """The --vars of a dbt command line, to pass to the seed run as well."""
    return dbt_args[dbt_args.index("--vars"):dbt_args.index("--vars") + 2] if "--vars" in dbt_args else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cchc.spark.runner")
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--spark-dir", type=Path, required=True, help="Spark's catalogue and tables")
    parser.add_argument("--raw-dir", type=Path, required=True, help="the raw layer as Parquet (cchc.spark.raw)")
    parser.add_argument("--target-dir", type=Path, required=True, help="dbt's target and logs")
    parser.add_argument("--export-dir", type=Path, help="write every model and seed that built here as Parquet")
    parser.add_argument("--seed", action="store_true", help="`dbt seed` first, in the same Spark session")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="-- then the dbt command")
    args = parser.parse_args(argv)
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    if not dbt_args:
        parser.error("no dbt command after --")

    from dbt.cli.main import dbtRunner

    for name in ("project_dir", "spark_dir", "raw_dir", "target_dir", "export_dir"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())  # before the chdir below
    args.spark_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CCHC_SPARK_DIR"] = str(args.spark_dir)
    os.environ["CCHC_SPARK_RAW_DIR"] = str(args.raw_dir)
    os.chdir(args.spark_dir)  # Spark and Derby write their scratch files to the working folder
    project = str(args.project_dir)
    common = ["--target", "spark", "--project-dir", project, "--profiles-dir", project,
              "--target-path", str(args.target_dir / "target"), "--log-path", str(args.target_dir / "logs")]
    commands = [["seed", *_vars(dbt_args)], dbt_args] if args.seed else [dbt_args]
    results, success, exceptions = [], True, []
    for command in commands:
        outcome = dbtRunner().invoke([*command, *common])
        results += list(getattr(outcome.result, "results", None) or [])
        success = success and outcome.success
        if outcome.exception is not None:
            exceptions.append(str(outcome.exception))
        if not outcome.success:
            break
    report = {"success": success, "exception": "; ".join(exceptions) or None,
              "nodes": {r.node.unique_id: str(r.status) for r in results}}
    if args.export_dir and results:  # what built, even when another node failed: the report says which
        report["exported"] = export_models(results, args.export_dir)
    print(json.dumps(report), flush=True)
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(main())
