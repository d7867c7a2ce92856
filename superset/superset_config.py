"""Superset configuration for the CCHC dashboards (loaded through SUPERSET_CONFIG_PATH).

Everything that differs between a laptop, CI and the province's server comes from
environment variables; the defaults are for the demo only and are documented in the README.
"""

import os
import sys
from pathlib import Path

# cchc.credentials and cchc.bi.lockdown (standard library only) are shared with the pipeline;
# a Superset started without our PYTHONPATH (gunicorn by hand, a container) finds them too.
_SRC = str(Path(__file__).resolve().parents[1] / "src")
if _SRC not in sys.path:
    sys.path.append(_SRC)

from cchc.bi import lockdown  # noqa: E402
from cchc.credentials import is_production, require_production_secrets, secret, with_password  # noqa: E402

# Here and not only in cchc.bi.server: however Superset is started, CCHC_ENV=production
# refuses a missing, public demo or short secret key or admin password, naming the variable.
# A deployment's PostgreSQL metadata (CCHC_SUPERSET_DATABASE_URI) carries its password; its
# Redis (CCHC_REDIS_URL) needs CCHC_REDIS_PASSWORD.
_DATABASE_URI = os.environ.get("CCHC_SUPERSET_DATABASE_URI")
_REDIS_URL = os.environ.get("CCHC_REDIS_URL")
require_production_secrets("CCHC_SUPERSET_SECRET_KEY", "CCHC_SUPERSET_PASSWORD",
                           *(["CCHC_POSTGRES_SUPERSET_PASSWORD"] if _DATABASE_URI else []),
                           *(["CCHC_REDIS_PASSWORD"] if _REDIS_URL else []))

# Metadata (users, roles, charts): the deployment's PostgreSQL (docker-compose.yml), else an
# embedded SQLite file under the platform's data folder.
SUPERSET_HOME = Path(os.environ.get("CCHC_SUPERSET_HOME", Path(__file__).resolve().parents[1] / "data" / "superset"))
SQLALCHEMY_DATABASE_URI = _DATABASE_URI or f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(SUPERSET_HOME)

# The public demo key outside production (signs sessions: whoever knows it can forge one).
SECRET_KEY = secret("CCHC_SUPERSET_SECRET_KEY")

APP_NAME = "CCHC - Cải cách hành chính"

# No anonymous access: the Public role gets only Superset's language pack (provisioning),
# so that the login page is in Vietnamese too.
PUBLIC_ROLE_LIKE = None
AUTH_ROLE_PUBLIC = "Public"

# Vietnamese by default. Superset (Flask-AppBuilder's locale selector) takes the locale of
# the session, set by the language menu (/lang/<code>), else BABEL_DEFAULT_LOCALE; the
# browser's Accept-Language is not consulted. The catalogue is the project's
# (superset/translations/vi), installed into the Superset package by cchc.bi.translations.
BABEL_DEFAULT_LOCALE = "vi"
LANGUAGES = {
    "vi": {"flag": "vn", "name": "Tiếng Việt"},
    "en": {"flag": "us", "name": "English"},
}

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
    # A dashboard opens for the roles cchc.bi.provision gives it: those that read every
    # dataset it shows. Without it, any role reading one dataset of a dashboard could open
    # it and get "Data error" boxes for the others.
    "DASHBOARD_RBAC": True,
    # Datasets and RLS clauses are plain SQL. Jinja in SQL Lab and in charts would hand
    # every user Superset's template context (current user, URL parameters, macros).
    "ENABLE_TEMPLATE_PROCESSING": False,
    # A chart's ad hoc SQL (metrics, filters, columns: any user who can explore) may not
    # hold a subquery: it could read tables the user's datasets do not expose.
    "ALLOW_ADHOC_SUBQUERY": False,
    # The "superset" engine queries Superset's own metadata (users, password hashes).
    "ENABLE_SUPERSET_META_DB": False,
    # Neither is used; both add ways in (guest tokens, SSH from the server).
    "EMBEDDED_SUPERSET": False,
    "SSH_TUNNELING": False,
}

# --- the analytics connection: the serving snapshot, read-only, DuckDB locked -------------
# Every engine Superset creates (SQL Lab, charts, "test connection", schema browsing) goes
# through both hooks, whatever URI or extra an admin saved: the validator refuses any engine
# or file but DuckDB on the serving link, the mutator re-applies DuckDB's lock (no file
# access, no ATTACH/COPY/INSTALL/LOAD, no SET) and the per-connection memory, thread and
# spill limits of CCHC_SUPERSET_DUCKDB_*. See cchc.bi.lockdown.
SERVING_PATH = os.environ.get(lockdown.SERVING_PATH_VARIABLE) or str(
    Path(__file__).resolve().parents[1] / "data" / "serving" / "cchc.duckdb")
lockdown.resource_limits()  # a bad limit stops the start-up, not the first query


def DB_SQLA_URI_VALIDATOR(uri):  # noqa: N802 (Superset's name)
    lockdown.check_uri(uri, SERVING_PATH)


def DB_CONNECTION_MUTATOR(uri, params, username, security_manager, source):  # noqa: N802
    return lockdown.lock(uri, params)


# The filters' defaults (the last complete month, the units in force) are values the serving
# snapshot gives: each worker writes them into the dashboards before the first request it
# serves on a new snapshot (cchc.bi.filter_defaults).
def FLASK_APP_MUTATOR(app):  # noqa: N802 (Superset's name)
    from cchc.bi import filter_defaults

    filter_defaults.install(app, SERVING_PATH)


# sqlite and shillelagh (both read the server's files) stay refused as connections (default).
PREVENT_UNSAFE_DB_CONNECTIONS = True
# Accounts are created by provisioning or an admin, never by self-registration.
AUTH_USER_REGISTRATION = False

# The map draws communes as points; there is no internet for tiles, so no base map.
MAPBOX_API_KEY = os.environ.get("MAPBOX_API_KEY", "")

# Results are small (one province): the demo runs no cache server. A deployment's several
# gunicorn workers share Redis (CCHC_REDIS_URL) for what must be the same in every worker:
# metadata cache, dashboards' filter state, explore's form data, the login rate limits.
# The password is added here, URL-quoted, so it may hold any character.
REDIS_URL = with_password(_REDIS_URL, os.environ.get("CCHC_REDIS_PASSWORD")) if _REDIS_URL else None
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
if REDIS_URL:
    CACHE_CONFIG = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": REDIS_URL, "CACHE_DEFAULT_TIMEOUT": 300,
                    "CACHE_KEY_PREFIX": "cchc_cache_"}
    FILTER_STATE_CACHE_CONFIG = {**CACHE_CONFIG, "CACHE_KEY_PREFIX": "cchc_filter_",
                                 "CACHE_DEFAULT_TIMEOUT": 90 * 24 * 3600}
    EXPLORE_FORM_DATA_CACHE_CONFIG = {**CACHE_CONFIG, "CACHE_KEY_PREFIX": "cchc_explore_",
                                      "CACHE_DEFAULT_TIMEOUT": 7 * 24 * 3600}
    RATELIMIT_STORAGE_URI = REDIS_URL
# Chart data and filter values, in files under SUPERSET_HOME shared by the workers: a query
# takes milliseconds, but a chart request without the cache spends most of a second in
# Superset building, running and post-processing it. The snapshot is read-only, and the
# cache's keys carry the snapshot the serving link points to, so a publish is seen at the
# next load (cchc.bi.cache); the timeout only bounds the disk used by superseded snapshots.
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "cchc.bi.cache.SnapshotFileSystemCache",
    "CACHE_DIR": str(SUPERSET_HOME / "data_cache"),
    "CACHE_SERVING_LINK": SERVING_PATH,
    "CACHE_DEFAULT_TIMEOUT": 24 * 3600,
    "CACHE_THRESHOLD": 5000,
}

# Content-Security-Policy (Flask-Talisman) in production: Superset 6.1's own policy (scripts
# by nonce, no plugins, no foreign base) less every external host it allows (the Scarf
# telemetry pixel, map tiles, Mapbox, font CDNs, a documentation CDN): the province's server
# reaches no internet, and a browser should send nothing elsewhere. (The Scarf pixel is built
# into 6.1's frontend bundle: the policy's img-src is what keeps browsers from fetching it.)
# HTTPS and its redirect, secure cookies: the reverse proxy's (README, "Deploy on a server").
# The demo serves plain HTTP on localhost to one user: Talisman stays off there.
TALISMAN_ENABLED = is_production()
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
# Themes may not load fonts from the internet either (6.1 allows four font hosts).
THEME_FONT_URL_ALLOWED_DOMAINS = []
WTF_CSRF_ENABLED = True
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
