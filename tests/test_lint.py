"""Habits that keep the code carry-on-able, checked on every run: ruff over the Python,
sqlfluff (dbt templater: the SQL that runs) over the models, and business SQL only in dbt."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Where Python may hold SQL: loading data into the raw layer (extract, reference), the
# simulated source systems, copying the published snapshot, backups (catalog queries: what a
# database holds), the filters' first value (the query Superset's filter list runs, ordered
# by the dbt metric it names: no rule of its own), the benchmark's hand-written peers, and the
# Spark hand-over (copying tables to and from Parquet, comparing two builds row for row).
# Everything a dashboard, a quality check, an alert or the demo shows is a dbt model: the
# rest of the package and the DAGs hold none.
SQL_ALLOWED = ("src/cchc/extract", "src/cchc/reference", "src/cchc/sources", "src/cchc/simulator",
               "src/cchc/publish.py", "src/cchc/backup.py", "src/cchc/bi/filter_defaults.py", "src/cchc/bench",
               "src/cchc/spark")
SQL_FREE = ("src/cchc", "dags")
# Upper-case keywords, as SQL is written in strings here (prose says "select ... from" too);
# reading a whole dbt-built table (`SELECT * FROM schema.table`) is not a rule.
SQL_STATEMENT = re.compile(r"\b(SELECT|WITH)\b[\s\S]{0,400}?\bFROM\b|\bCREATE\s+(OR\s+REPLACE\s+)?(TABLE|VIEW)\b")
PLAIN_READ = re.compile(r"SELECT \* FROM\b")


def _run(*command: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_python_passes_ruff():
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_pass_sqlfluff(tmp_path):
    # The dbt templater compiles every model; the throwaway warehouse keeps it off real data.
    result = _run(str(BIN / "sqlfluff"), "lint", "models", "--processes", "2", "--disable-progress-bar",
                  cwd=ROOT / "dbt_project", env={"CCHC_WAREHOUSE": str(tmp_path / "lint.duckdb")})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_no_business_sql_outside_dbt():
    offenders = []
    allowed = [ROOT / path for path in SQL_ALLOWED]
    for scope in SQL_FREE:
        for file in sorted((ROOT / scope).rglob("*.py")):
            if any(file.is_relative_to(path) for path in allowed):
                continue
            for match in SQL_STATEMENT.finditer(file.read_text(encoding="utf-8")):
                if PLAIN_READ.fullmatch(match.group(0)):
                    continue
                offenders.append(f"{file.relative_to(ROOT)}: {match.group(0)[:80]!r}")
    sql_files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.sql")
                 if not p.is_relative_to(ROOT / "dbt_project") and not p.is_relative_to(ROOT / "bench") and ".venv" not in p.parts and "data" not in p.parts]
    assert not offenders and not sql_files, "\n".join(offenders + sql_files)
