"""The data dictionary: dbt docs generated from the built warehouse (by the nightly run's
step, as the deployment does) and served on localhost."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import requests
from conftest import free_port

from cchc.dbt_docs import DocsServer
from cchc.orchestration import nightly
from cchc.settings import load_settings
from cchc.transform import DbtBuildError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def docs_settings(built_warehouse, tmp_path_factory):
    """Settings whose build warehouse is a copy of the built one (dbt opens it read-write)."""
    work = tmp_path_factory.mktemp("docs")
    warehouse = work / "cchc.duckdb"
    shutil.copy(built_warehouse, warehouse)
    return load_settings().relocated(work / "data", warehouse_override=warehouse)


@pytest.fixture(scope="module")
def docs(docs_settings):
    """The page the nightly run's step generated and the dbt target folder it was made from."""
    result = nightly.dbt_docs(docs_settings)
    page = docs_settings.dbt_docs_dir / "index.html"
    assert result.lines == [f"đã tạo từ điển dữ liệu {page}"] and not result.warnings
    return page, docs_settings.data_dir / "dbt_docs_build" / "target"


def test_docs_are_generated_from_the_warehouse_and_served(docs):
    page, _ = docs
    server = DocsServer(page.parent, free_port()).start()
    try:
        html = requests.get(server.url, timeout=10).text
    finally:
        server.stop()
    # The static page embeds the manifest (descriptions) and the catalogue (columns read
    # from the warehouse).
    assert "model.cchc.mart_dossier_kpis_area" in html
    assert "Every unit is also an area of its own" in html
    assert '"digitisation_tracked_received"' in html


def test_every_mart_column_of_the_catalogue_is_described(docs):
    """The data dictionary describes every column the warehouse has in the marts: the
    catalogue (columns read from the warehouse) against the manifest's descriptions."""
    _, target = docs
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    marts = [uid for uid, node in manifest.items()
             if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")]
    assert marts and all(uid in catalog for uid in marts)
    undescribed = sorted(f"{manifest[uid]['name']}.{column}" for uid in marts for column in catalog[uid]["columns"]
                         if not manifest[uid]["columns"].get(column, {}).get("description", "").strip())
    assert undescribed == []


def test_the_nightly_step_documents_the_published_marts(docs):
    """What the deployment's docs service serves at /dbt/: one page with the manifest and
    the catalogue inlined (`--static`), the marts the dashboards read among them."""
    page, target = docs
    html = page.read_text()
    assert "model.cchc.mart_unit_rankings" in html
    assert "model.cchc.mart_unit_rankings" in json.loads((target / "catalog.json").read_text())["nodes"]


def test_a_failed_generation_fails_the_step_and_keeps_the_served_page(docs, docs_settings):
    """Another process holding the build warehouse's lock: dbt cannot open it, the step
    raises (the task fails, the run report warns) and the page served stays as it was."""
    page, _ = docs
    before = page.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "time.sleep(600)", str(docs_settings.warehouse_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DbtBuildError, match="(?s)dbt docs generate failed.*Could not set lock"):
            nightly.dbt_docs(docs_settings)
    finally:
        holder.kill()
        holder.wait()
    assert page.read_bytes() == before
