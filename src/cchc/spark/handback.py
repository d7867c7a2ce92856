"""What Spark built, back in DuckDB: the runner's Parquet (``<export_dir>/<schema>/<name>/``)
loaded as tables of a DuckDB file with the same schemas and names, so validation,
publication, dashboards and analysts read one DuckDB file however the marts were
computed; and the row-for-row comparison of two such builds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb


def load_exports(export_dir: Path, warehouse: Path) -> dict[str, int]:
    """Every exported relation as a table of `warehouse` (replaced); rows per relation."""
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse)) as con:
        for folder in sorted(p for p in export_dir.glob("*/*") if p.is_dir()):
            schema, name = folder.parent.name, folder.name
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{name}" AS '
                        f"SELECT * FROM read_parquet('{folder}/*.parquet')")
            counts[f"{schema}.{name}"] = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
    return counts


@dataclass
class Difference:
    relation: str
    problem: str
    examples: list = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.relation}: {self.problem}" + (f" (e.g. {self.examples[:3]})" if self.examples else "")


def _normalised(value):
    """A value as both engines' types compare: decimals and floats as float, timestamps
    without zone as datetime, dates as date; anything else as it is."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return value


def _equal(left, right, rel_tol: float) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return math.isclose(float(left), float(right), rel_tol=rel_tol, abs_tol=1e-12)
    return left == right


def compare_relation(con: duckdb.DuckDBPyConnection, relation: str, expected: str, actual: str,
                     rel_tol: float = 1e-9) -> Difference | None:
    """Compare two relations of `con` row for row (as multisets): the same columns and,
    sorted the same way, equal rows, floats to `rel_tol` relative. None when equal."""
    def columns(rel: str) -> list[str]:
        return [r[0] for r in con.execute(f"DESCRIBE {rel}").fetchall()]

    left_columns, right_columns = columns(expected), columns(actual)
    if left_columns != right_columns:
        return Difference(relation, f"columns differ: {left_columns} vs {right_columns}")
    quoted = ", ".join(f'"{c}"' for c in left_columns)
    # Fast path: the same rows exactly (as multisets, types cast to the expected side's).
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {expected}").fetchall()}
    cast = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in left_columns)
    try:
        exact = con.execute(f"SELECT count(*) FROM ((SELECT {quoted} FROM {expected} EXCEPT ALL SELECT {cast} FROM {actual}) "
                            f"UNION ALL (SELECT {cast} FROM {actual} EXCEPT ALL SELECT {quoted} FROM {expected}))").fetchone()[0]
    except duckdb.Error:
        exact = None  # a value of one side that the other's type cannot hold: compare them one by one
    if exact == 0:
        return None
    # Sort on text forms: the same value sorts the same whatever its type on each side.
    order = ", ".join(f'CAST("{c}" AS VARCHAR) NULLS FIRST' for c in left_columns)
    left = con.execute(f"SELECT {quoted} FROM {expected} ORDER BY {order}").fetchall()
    right = con.execute(f"SELECT {quoted} FROM {actual} ORDER BY {order}").fetchall()
    if len(left) != len(right):
        return Difference(relation, f"{len(left)} rows vs {len(right)}")
    mismatched = []
    for a, b in zip(left, right, strict=True):
        if not all(_equal(_normalised(x), _normalised(y), rel_tol) for x, y in zip(a, b, strict=True)):
            mismatched.append((a, b))
    if mismatched:
        return Difference(relation, f"{len(mismatched)} of {len(left)} rows differ", mismatched)
    return None


def compare_builds(spark_warehouse: Path, duckdb_warehouse: Path, relations, rel_tol: float = 1e-9,
                   ) -> dict[str, Difference | None]:
    """Each of `relations` ('schema.name') of the handed-back `spark_warehouse` compared with
    the same relation of `duckdb_warehouse` (compare_relation); None where equal."""
    with duckdb.connect(str(spark_warehouse), read_only=True) as con:
        con.execute(f"ATTACH '{duckdb_warehouse}' AS duckdb_build (READ_ONLY)")
        return {relation: compare_relation(con, relation, f"duckdb_build.{relation}", relation, rel_tol)
                for relation in sorted(relations)}
