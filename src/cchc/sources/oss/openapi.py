"""The API's OpenAPI document, committed under docs/ so its contract is reviewed as a diff
(a test fails when the code and the committed document disagree)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import store
from .api import create_app


def openapi_document() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "oss.sqlite"
        store.create(db).close()  # an empty database: the document does not depend on data
        app = create_app(db, token="-", admin_token="-", as_of="2000-01-01T00:00:00")
        document = app.openapi()
        app.state.service.con.close()
    return document


def render() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_openapi(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


__all__ = ["openapi_document", "render", "write_openapi"]
