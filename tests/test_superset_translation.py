"""Superset's own interface in Vietnamese on the running server (the session's Superset, no
other start): the language pack it serves, and, in one browser session, every English
Superset message left on the login page, the home page, the dashboard list, every
dashboard and SQL Lab."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import requests

from cchc.bi import translations as tr
from cchc.bi.bundle import DASHBOARDS

ADMIN_PASSWORD = os.environ.get("CCHC_SUPERSET_PASSWORD", "admin")


@pytest.mark.slow
def test_language_pack_endpoint_serves_our_catalogue_before_login(superset_server):
    """Anonymous (the login page fetches it before anyone logs in): the pack compiled from
    the .po; the page's bootstrap data asks for Vietnamese."""
    anonymous = requests.Session()
    response = anonymous.get(f"{superset_server.url}/superset/language_pack/vi/", timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.json() == tr.language_pack(tr.load())
    login_page = anonymous.get(f"{superset_server.url}/login/", timeout=30).text
    assert "&#34;locale&#34;: &#34;vi&#34;" in login_page
    # Nothing else opened to anonymous visitors by the grant.
    assert anonymous.get(f"{superset_server.url}/api/v1/dashboard/", timeout=30).status_code == 401


@pytest.mark.slow
def test_no_superset_text_is_left_in_english(superset_server, tmp_path):
    """Translation coverage (issue #15): the strings a user sees, visible text and
    placeholder/title/aria-label, that are one of the installed Superset's English messages
    (its messages.pot or its frontend's t() calls). Our data (Vietnamese names and labels,
    figures) is never one; only exact messages are flagged."""
    result = subprocess.run(
        [str(superset_server.venv_bin / "python"), "-m", "cchc.bi.ui_strings", "--url", superset_server.url,
         "--user", "admin", "--password", ADMIN_PASSWORD, "--sqllab",
         *[arg for dashboard in DASHBOARDS for arg in ("--dashboard", dashboard.slug)]],
        env=superset_server.env(), capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = json.loads(result.stdout.strip().splitlines()[-1])["pages"]
    # The pages did load, in Vietnamese (an empty page has no English either).
    assert set(pages) == {"login", "welcome", "dashboard-list", "sqllab", *(f"dashboard:{d.slug}" for d in DASHBOARDS)}
    assert {"Tên đăng nhập:", "Mật khẩu:"} <= set(pages["login"])
    for dashboard in DASHBOARDS:
        assert {dashboard.title, "Bộ lọc và điều khiển", "Bảng điều khiển"} <= set(pages[f"dashboard:{dashboard.slug}"])
    assert {"Chạy", "Kết quả"} <= set(pages["sqllab"])

    translations = tr.package_translations(superset_server.venv_bin / "python")
    msgids = tr.superset_msgids(translations) | tr.frontend_msgids(translations)
    catalog = tr.load()
    english = {page: found for page, shown in pages.items() if (found := tr.untranslated(shown, msgids, catalog))}
    assert english == {}, "Superset text shown in English; add it to superset/translations/vi/LC_MESSAGES/messages.po"
