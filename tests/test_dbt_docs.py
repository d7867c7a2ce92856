"""The data dictionary: dbt docs generated from the built warehouse and served on localhost."""

from __future__ import annotations

import shutil

import pytest
import requests

from cchc.dbt_docs import DocsServer, generate_docs
from cchc.settings import load_settings

from conftest import free_port

pytestmark = pytest.mark.slow


def test_docs_are_generated_from_the_warehouse_and_served(built_warehouse, tmp_path):
    warehouse = tmp_path / "cchc.duckdb"
    shutil.copy(built_warehouse, warehouse)  # dbt opens it read-write
    settings = load_settings().relocated(tmp_path / "data")
    page = generate_docs(settings, warehouse=warehouse)
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
