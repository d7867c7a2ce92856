"""Every secret the platform reads, in one place: its environment variable, its public demo
value, and the rule that production refuses to start with a demo value.

The demo (anything but ``CCHC_ENV=production``) runs on documented, public defaults so a
newcomer needs no setup. In production each secret must be set, must not be the demo
value and must be long enough; the check names the variable, never its value. Only the
standard library is used: Superset's configuration (another virtual environment) imports
this module too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PRODUCTION = "production"


@dataclass(frozen=True)
class Secret:
    name: str           # environment variable
    demo_value: str     # public: in the README and the code
    min_length: int     # in production
    purpose: str


SECRETS: dict[str, Secret] = {s.name: s for s in (
    Secret("CCHC_PII_KEY", "cchc-demo-pii-key", 32,
           "key of the HMAC that replaces applicants' ID numbers at extraction"),
    Secret("CCHC_OSS_TOKEN", "demo-oss-token", 16, "bearer token of the one-stop-shop API"),
    Secret("CCHC_AIRFLOW_PASSWORD", "cchc-admin", 12, "Airflow's admin password"),
    Secret("CCHC_SUPERSET_SECRET_KEY", "cchc-demo-secret-key-change-me", 32,
           "Superset's session-signing key"),
    Secret("CCHC_SUPERSET_PASSWORD", "admin", 12, "Superset's admin password"),
    # The deployment's PostgreSQL (docker-compose.yml): one user per metadata database. They
    # go into connection URLs: use URL-safe characters (letters, digits, - and _).
    Secret("CCHC_POSTGRES_AIRFLOW_PASSWORD", "cchc-demo-airflow-db", 16, "PostgreSQL password of Airflow's metadata"),
    Secret("CCHC_POSTGRES_SUPERSET_PASSWORD", "cchc-demo-superset-db", 16,
           "PostgreSQL password of Superset's metadata"),
    # The deployment's Redis (Superset's shared cache, filter state and login rate limits).
    Secret("CCHC_REDIS_PASSWORD", "cchc-demo-redis", 16, "password of Superset's Redis"),
    # Only the demo creates the demo users (lanhdao, donvi, phantich, chatluong).
    Secret("CCHC_SUPERSET_DEMO_PASSWORD", "demo-cchc", 12, "password of the demo users (demo only)"),
)}


class InsecureConfigurationError(RuntimeError):
    """Production was asked to start with a missing, demo or too short secret."""


def is_production() -> bool:
    return os.environ.get("CCHC_ENV", "").strip().lower() == PRODUCTION


def problem(name: str) -> str | None:
    """Why the secret ``name`` may not be used in production, or None."""
    spec = SECRETS[name]
    value = os.environ.get(name)
    if not value:
        return f"{name} is not set ({spec.purpose})"
    if value == spec.demo_value:
        return f"{name} holds the public demo value ({spec.purpose})"
    if len(value) < spec.min_length:
        return f"{name} is shorter than {spec.min_length} characters ({spec.purpose})"
    return None


def require_production_secrets(*names: str) -> None:
    """In production, raise InsecureConfigurationError naming every secret of ``names`` that
    is missing, a demo value or too short; do nothing in the demo."""
    if not is_production():
        return
    problems = [p for p in (problem(n) for n in names) if p]
    if problems:
        raise InsecureConfigurationError(
            "CCHC_ENV=production refuses to start: " + "; ".join(problems)
            + ". Provide the secrets through the environment (see docs/security.md).")


def with_password(url: str, password: str | None) -> str:
    """``url`` (redis://host:port/db) with ``password`` as its password, URL-quoted, so any
    character is safe; ``url`` unchanged without a password."""
    from urllib.parse import quote, urlsplit, urlunsplit

    if not password:
        return url
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]  # already quoted in the URL; any password there is replaced
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def secret(name: str) -> str:
    """The secret's value: the environment's, or the demo value outside production.
    In production a missing or demo value raises InsecureConfigurationError."""
    require_production_secrets(name)
    return os.environ.get(name) or SECRETS[name].demo_value
