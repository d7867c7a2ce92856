"""The dashboards' datasets and metrics as dbt defines them: read from dbt's
``manifest.json``, one Superset dataset per reporting model (``models/marts/reporting``).

dbt is the one home of every business rule the dashboards show. A reporting model holds
the rows a dataset shows (labels included); its YAML says what each column is
(``description``, ``data_type``, ``meta.label``: the Vietnamese label) and, in the model's
``config.meta``, the time column (``main_dttm_col``) and the metrics. A metric is declared,
not written as SQL, so it cannot drift from the mart's own definition:

- ``sum: [a, b]``: SUM(a + b), a count;
- ``numerator: [...]`` and ``denominator: [...]``: a rate, the ratio of the sums (never an
  average of rates), blank when the denominator sums to 0; ``mart_rate`` names the mart
  column it equals at the mart's grain (tests compare them on a real build);
- ``count: "*"``, ``count_distinct: col``, ``avg: col``, ``max: col``, ``min: col``, ``median: col``.

This module turns them into Superset metric expressions; ``cchc.bi.bundle`` writes the
physical datasets (``schema: reporting``) with them.

Why our own generator rather than preset-cli's ``superset sync dbt-core``: preset-cli is not
in our locked environments (it pins its own Superset client and dependencies, which
conflict with the pipeline's), it syncs into a live server whereas we review a committed
bundle as YAML and import it at start-up, and it would not know our metric declarations
(it reads dbt's semantic-layer metrics, which need MetricFlow, also not installed). The
manifest is plain JSON; reading it is a few dozen lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

REPORTING_SCHEMA = "reporting"
PROJECT = "cchc"
# Aggregates over one column; the metric kinds with a list of columns are handled apart.
SINGLE_COLUMN = {"count_distinct": "COUNT(DISTINCT {})", "avg": "AVG({})", "max": "MAX({})", "min": "MIN({})",
                 "median": "MEDIAN({})"}
SPEC_KEYS = {"label", "format", "description", "mart_rate"}


class SemanticError(ValueError):
    """A reporting model's YAML declares something the generator cannot turn into Superset."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # upper case, as Superset shows DuckDB types
    label: str
    description: str


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    expression: str
    d3format: str | None
    spec: dict = field(hash=False, compare=False)

    @property
    def is_rate(self) -> bool:
        return "numerator" in self.spec


@dataclass(frozen=True)
class DatasetModel:
    """A reporting model, i.e. a physical Superset dataset."""
    name: str
    schema: str
    description: str
    columns: tuple[Column, ...]
    metrics: dict[str, Metric] = field(hash=False)
    main_dttm_col: str | None = None

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def unit_scoped(self) -> bool:
        """Row-level security applies: the rows belong to units."""
        return "unit_key" in self.column_names()


def _sum(columns: list[str]) -> str:
    return f"SUM({' + '.join(columns)})"


def metric_expression(spec: dict) -> str:
    """The Superset (SQL) expression of a declared metric."""
    kinds = set(spec) - SPEC_KEYS
    if kinds == {"numerator", "denominator"}:
        return f"{_sum(spec['numerator'])} * 1.0 / NULLIF({_sum(spec['denominator'])}, 0)"
    if kinds == {"sum"}:
        return _sum(spec["sum"])
    if kinds == {"count"}:
        return "COUNT(*)" if spec["count"] == "*" else f"COUNT({spec['count']})"
    if len(kinds) == 1 and (kind := kinds.pop()) in SINGLE_COLUMN:
        return SINGLE_COLUMN[kind].format(spec[kind])
    raise SemanticError(f"unknown metric declaration {spec}")


def metric_columns(spec: dict) -> set[str]:
    columns: set[str] = set()
    for key, value in spec.items():
        if key in SPEC_KEYS or value == "*":
            continue
        columns |= set(value) if isinstance(value, list) else {value}
    return columns


def _dataset(node: dict) -> DatasetModel:
    meta = node["config"].get("meta") or {}
    columns = []
    for name, column in node["columns"].items():
        label = (column.get("config", {}).get("meta") or column.get("meta") or {}).get("label")
        if not label or not column.get("data_type"):
            raise SemanticError(f"{node['name']}.{name}: meta.label and data_type are required")
        columns.append(Column(name, column["data_type"].upper(), label, column.get("description") or ""))
    names = {c.name for c in columns}
    metrics = {}
    for name, spec in (meta.get("metrics") or {}).items():
        if unknown := metric_columns(spec) - names:
            raise SemanticError(f"{node['name']}.{name}: unknown columns {sorted(unknown)}")
        metrics[name] = Metric(name, spec["label"], metric_expression(spec), spec.get("format"), spec)
    dttm = meta.get("main_dttm_col")
    if dttm and dttm not in names:
        raise SemanticError(f"{node['name']}: main_dttm_col {dttm} is not a column")
    return DatasetModel(node["name"], node["schema"], node.get("description") or "", tuple(columns), metrics, dttm)


def reporting_models(manifest: dict) -> dict[str, DatasetModel]:
    """Every model of schema `reporting`, by name (= table name), in name order."""
    nodes = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["package_name"] == PROJECT and n["schema"] == REPORTING_SCHEMA]
    return {d.name: d for d in sorted(map(_dataset, nodes), key=lambda d: d.name)}


def read_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def parse_manifest(settings=None) -> Path:  # type: ignore[no-untyped-def]
    """`dbt parse` of the project (no warehouse needed); returns the manifest's path."""
    from ..settings import load_settings
    from ..transform import checked, run_dbt

    settings = settings or load_settings()
    target = settings.data_dir / "dbt_parse"
    checked(run_dbt(settings, ["parse"], target_dir=target, timeout=600))
    return target / "target" / "manifest.json"


_LOADED: dict[str, dict[str, DatasetModel]] = {}


def load_models(manifest_path: Path | None = None) -> dict[str, DatasetModel]:
    """The reporting models of `manifest_path`, or of a fresh `dbt parse` (once per process)."""
    key = str(manifest_path or "")
    if key not in _LOADED:
        _LOADED[key] = reporting_models(read_manifest(manifest_path or parse_manifest()))
    return _LOADED[key]
