"""The suites as reviewed in expectations/: thresholds (config.yml) and suites
(suites/<suite>.yml: per dataset, GX expectations with their severity and Vietnamese
wording in `meta`). A dataset is the dbt model `quality.qa_<dataset>`
(dbt_project/models/quality): every business rule lives in dbt, the suites only judge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SEVERITIES = ("critical", "warning")


class SuiteDefinitionError(ValueError):
    """A suite file is not as expected: the message names the file and the entry."""


@dataclass(frozen=True)
class ExpectationSpec:
    suite: str
    dataset: str
    name: str
    type: str
    kwargs: dict
    meta: dict

    @property
    def severity(self) -> str:
        return self.meta["severity"]

    @property
    def title_vi(self) -> str:
        return self.meta["title_vi"]


DATASET_SCHEMA = "quality"
DATASET_PREFIX = "qa_"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    unit_columns: tuple[str, ...]
    expectations: tuple[ExpectationSpec, ...]

    @property
    def model(self) -> str:
        """The dbt model computing the dataset (dbt_project/models/quality/<model>.sql)."""
        return DATASET_PREFIX + self.name

    @property
    def relation(self) -> str:
        return f"{DATASET_SCHEMA}.{self.model}"


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    title_vi: str
    datasets: tuple[DatasetSpec, ...]


def load_config(expectations_dir: Path) -> dict:
    return yaml.safe_load((expectations_dir / "config.yml").read_text(encoding="utf-8")) or {}


def load_suites(expectations_dir: Path, only: tuple[str, ...] | None = None) -> list[SuiteSpec]:
    suites = []
    for path in sorted((expectations_dir / "suites").glob("*.yml")):
        suite = _parse_suite(path)
        if only is None or suite.name in only:
            suites.append(suite)
    if only is not None and {s.name for s in suites} != set(only):
        raise SuiteDefinitionError(f"unknown suite(s): {sorted(set(only) - {s.name for s in suites})}")
    return suites


def _parse_suite(path: Path) -> SuiteSpec:
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        name = body["suite"]
        datasets = []
        for dataset, spec in body["datasets"].items():
            expectations = []
            for entry in spec["expectations"]:
                meta = dict(entry["meta"])
                if meta.get("severity") not in SEVERITIES:
                    raise SuiteDefinitionError(f"{path}: expectation '{entry.get('name')}' needs meta.severity "
                                               f"in {SEVERITIES}, got {meta.get('severity')!r}")
                if not meta.get("title_vi"):
                    raise SuiteDefinitionError(f"{path}: expectation '{entry['name']}' needs meta.title_vi")
                expectations.append(ExpectationSpec(name, dataset, entry["name"], entry["type"],
                                                    dict(entry["kwargs"]), meta))
            datasets.append(DatasetSpec(dataset, tuple(spec["unit_columns"]), tuple(expectations)))
    except KeyError as missing:
        raise SuiteDefinitionError(f"{path}: missing key {missing}") from None
    return SuiteSpec(name, body.get("title_vi", name), tuple(datasets))
