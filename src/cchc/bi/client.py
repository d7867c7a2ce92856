"""A small client of Superset's REST API (login, CSRF token, chart data, SQL Lab, import),
used by the tests and for checking a running instance."""

from __future__ import annotations

import io
import json
import zipfile

import requests


class SupersetClient:
    def __init__(self, base_url: str, username: str | None = None, password: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        if username:
            self.login(username, password or "")

    def login(self, username: str, password: str) -> None:
        # JWT for the API; the CSRF token (tied to the session cookie) for every write.
        response = self.session.post(f"{self.base_url}/api/v1/security/login", timeout=60,
                                     json={"username": username, "password": password, "provider": "db",
                                           "refresh": False})
        response.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self.session.get(f"{self.base_url}/api/v1/security/csrf_token/", timeout=60)
        csrf.raise_for_status()
        self.session.headers["X-CSRFToken"] = csrf.json()["result"]
        self.session.headers["Referer"] = self.base_url

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(f"{self.base_url}{path}", timeout=120, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(f"{self.base_url}{path}", timeout=120, **kwargs)

    def list_all(self, resource: str, columns: list[str]) -> list[dict]:
        query = {"columns": columns, "page_size": 100, "page": 0}
        rows: list[dict] = []
        while True:
            response = self.get(f"/api/v1/{resource}/", params={"q": json.dumps(query)})
            response.raise_for_status()
            batch = response.json()["result"]
            rows += batch
            if len(batch) < query["page_size"]:
                return rows
            query["page"] += 1

    def chart_data(self, chart_id: int) -> requests.Response:
        """The chart's saved query, run through the chart data API."""
        return self.get(f"/api/v1/chart/{chart_id}/data/", params={"format": "json", "type": "full"})

    def sql(self, database_id: int, statement: str) -> requests.Response:
        return self.post("/api/v1/sqllab/execute/", json={
            "database_id": database_id, "sql": statement, "runAsync": False, "schema": "marts",
            "client_id": None, "queryLimit": 1000, "select_as_cta": False, "expand_data": True})

    def import_assets(self, bundle_files: dict[str, str]) -> requests.Response:
        """Import a bundle (relative path -> YAML) through /api/v1/assets/import/."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for rel, text in bundle_files.items():
                archive.writestr(f"bundle/{rel}", text)
        return self.post("/api/v1/assets/import/",
                         files={"bundle": ("bundle.zip", buffer.getvalue(), "application/zip")})

