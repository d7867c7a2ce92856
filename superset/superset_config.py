"""Superset configuration for the CCHC dashboards (loaded through SUPERSET_CONFIG_PATH).

Everything that differs between a laptop, CI and the province's server comes from
environment variables; the defaults are for the demo only and are documented in the README.
"""

import os
from pathlib import Path

# Metadata (users, roles, charts) in an embedded SQLite file under the platform's data folder.
SUPERSET_HOME = Path(os.environ.get("CCHC_SUPERSET_HOME", Path(__file__).resolve().parents[1] / "data" / "superset"))
SQLALCHEMY_DATABASE_URI = f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(SUPERSET_HOME)

# Demo default only: a real deployment sets CCHC_SUPERSET_SECRET_KEY (the start-up refuses the
# default when CCHC_ENV=production).
SECRET_KEY = os.environ.get("CCHC_SUPERSET_SECRET_KEY", "cchc-demo-secret-key-change-me")

APP_NAME = "CCHC - Cải cách hành chính"

# No anonymous access: the Public role stays empty.
PUBLIC_ROLE_LIKE = None
AUTH_ROLE_PUBLIC = "Public"

# Vietnamese number and date formats: 1.234,56 and dd/mm/yyyy.
D3_FORMAT = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]}
D3_TIME_FORMAT = {
    "dateTime": "%d/%m/%Y %H:%M:%S",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["SA", "CH"],
    "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
    "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
    "months": [f"Tháng {m}" for m in range(1, 13)],
    "shortMonths": [f"Th{m}" for m in range(1, 13)],
}

FEATURE_FLAGS = {
    # Dashboard access follows dataset access (roles grant datasets), so no per-dashboard
    # role lists to keep in step; datasets and RLS clauses are plain SQL (no Jinja).
    "DASHBOARD_RBAC": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
}

# The map draws communes as points; there is no internet for tiles, so no base map.
MAPBOX_API_KEY = os.environ.get("MAPBOX_API_KEY", "")

# Results are small (one province); no cache server to run.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# The one process serves localhost only; Talisman's CSP would block nothing we use but
# needs HTTPS to be meaningful, so it is left to the reverse proxy of a real deployment.
TALISMAN_ENABLED = False
WTF_CSRF_ENABLED = True
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
