"""The data dictionary: dbt docs generated from the built warehouse and served on localhost."""

from __future__ import annotations

import json

import pytest
import requests
from conftest import free_port

from cchc.dbt_docs import DocsServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def docs(built_warehouse):
    """The generated page and the dbt target folder it was made from: the demo's, which
    generates them (cchc.dbt_docs.generate_docs) from the built warehouse (conftest.first_run)."""
    docs = built_warehouse.parent / "docs"
    return docs / "index.html", docs / "target"


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
