"""dbt exposures for the Superset dashboards, derived from the committed bundle
(``superset/bundle/``): each dashboard and the reporting models its charts' datasets are
(physical datasets: ``schema`` and ``table_name`` name the model). dbt docs then show which dashboards a model feeds, and
``dbt build --select +exposure:<name>`` rebuilds what one dashboard needs.

Written to ``dbt_project/models/exposures/_superset__exposures.yml`` by
``cchc superset exposures``; a test fails when the committed file differs from the bundle.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HEADER = ("# Generated from superset/bundle/ by `cchc superset exposures`; do not edit by hand.\n"
          "# One exposure per Superset dashboard, depending on the reporting models its datasets are.\n")


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dataset_tables(dataset: dict) -> set[tuple[str, str]]:
    if dataset.get("sql"):  # the reporting layer holds every query: a dataset is a table
        raise ValueError(f"dataset {dataset['table_name']} is virtual (has SQL); make it a dbt reporting model")
    return {(dataset.get("schema") or "main", dataset["table_name"])}


def _chart_uuids(position: dict) -> list[str]:
    return [node["meta"]["uuid"] for node in position.values()
            if isinstance(node, dict) and node.get("type") == "CHART" and node.get("meta", {}).get("uuid")]


def build_exposures(bundle_dir: Path, models: set[str], base_url: str = "http://localhost:8088") -> dict:
    """The exposures YAML document. `models` are the dbt model names: a dataset's table that
    is a model becomes a ref(); anything else is listed in the description only."""
    datasets = {d["uuid"]: d for d in map(_load, sorted((bundle_dir / "datasets").rglob("*.yaml")))}
    charts = {c["uuid"]: c for c in map(_load, sorted((bundle_dir / "charts").glob("*.yaml")))}
    exposures = []
    for dashboard in map(_load, sorted((bundle_dir / "dashboards").glob("*.yaml"))):
        tables: set[tuple[str, str]] = set()
        for chart_uuid in _chart_uuids(dashboard["position"]):
            tables |= _dataset_tables(datasets[charts[chart_uuid]["dataset_uuid"]])
        refs = sorted(table for schema, table in tables if table in models)
        others = sorted(f"{schema}.{table}" for schema, table in tables if table not in models)
        description = f"Superset dashboard «{dashboard['dashboard_title']}»."
        if others:
            description += f" Also reads {', '.join(others)} (written outside dbt)."
        exposures.append({
            "name": "superset_" + dashboard["slug"].replace("-", "_"),
            "label": dashboard["dashboard_title"],
            "type": "dashboard",
            "maturity": "medium",
            "url": f"{base_url}/superset/dashboard/{dashboard['slug']}/",
            "description": description,
            "depends_on": [f"ref('{model}')" for model in refs],
            "owner": {"name": "Sở Nội vụ - Phòng Cải cách hành chính"},
        })
    return {"version": 2, "exposures": exposures}


def render_exposures(bundle_dir: Path, models: set[str]) -> str:
    return HEADER + yaml.safe_dump(build_exposures(bundle_dir, models), allow_unicode=True, sort_keys=False, width=100)


def model_names(dbt_project_dir: Path) -> set[str]:
    return {path.stem for path in (dbt_project_dir / "models").rglob("*.sql")}


def exposures_path(dbt_project_dir: Path) -> Path:
    return dbt_project_dir / "models" / "exposures" / "_superset__exposures.yml"


def write_exposures(project_root: Path) -> Path:
    dbt_project = project_root / "dbt_project"
    path = exposures_path(dbt_project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_exposures(project_root / "superset" / "bundle", model_names(dbt_project)), encoding="utf-8")
    return path
