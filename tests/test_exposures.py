"""The Superset dashboards are declared to dbt as exposures, generated from the bundle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cchc.bi.exposures import exposures_path, model_names, render_exposures

ROOT = Path(__file__).resolve().parents[1]


def test_committed_exposures_match_the_bundle():
    committed = exposures_path(ROOT / "dbt_project").read_text(encoding="utf-8")
    assert committed == render_exposures(ROOT / "superset" / "bundle", model_names(ROOT / "dbt_project")), (
        "dbt exposures are stale: run `cchc exposures`")


def test_every_dashboard_is_an_exposure_with_its_reporting_models():
    dashboards = {yaml.safe_load(p.read_text(encoding="utf-8"))["slug"]
                  for p in (ROOT / "superset" / "bundle" / "dashboards").glob("*.yaml")}
    exposures = yaml.safe_load(exposures_path(ROOT / "dbt_project").read_text(encoding="utf-8"))["exposures"]
    assert {e["url"].rstrip("/").rsplit("/", 1)[1] for e in exposures} == dashboards
    rankings = next(e for e in exposures if e["name"] == "superset_cchc_xep_hang")
    assert "ref('rpt_unit_rankings')" in rankings["depends_on"]
    assert all(ref.startswith("ref('rpt_") for e in exposures for ref in e["depends_on"])


@pytest.mark.slow
def test_dbt_parses_the_exposures(tmp_path):
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "ls", "--resource-type", "exposure", "--output", "json", "--output-keys", "name depends_on",
         "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--quiet"],
        capture_output=True, text=True, timeout=300, env={"CCHC_WAREHOUSE": str(tmp_path / "w.duckdb"),
                                                          "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    listed = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    rankings = next(e for e in listed if e["name"] == "superset_cchc_xep_hang")
    assert "model.cchc.rpt_unit_rankings" in rankings["depends_on"]["nodes"]
