"""Running dbt: one `dbt build` over the whole project, in its own process.

One process, because DuckDB allows a single writer: dbt's threads share that process's
connection, whereas one process per model (cosmos' default) would fight over the file lock.

The nightly build (`dbt_build_changed`) builds only what changed, with dbt's own state
selector rather than bookkeeping of ours: `source_status:fresher+` (the nodes downstream
of a source whose newest load is later than at the last successful build, from `dbt
source freshness` snapshots). Inside the selection, the dossier models are incremental.
A change of what the project computes (dbt's `state:modified` against the last build's
manifest, plus the vars, which dbt's comparison does not see) or of reference data
rebuilds everything from scratch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from .settings import Settings, private_dir


class DbtBuildError(RuntimeError):
    """dbt failed: the message names the failing nodes."""


@dataclass
class DbtResult:
    returncode: int
    stdout: str
    target_dir: Path
    results: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        """Nodes that failed; a test of severity warn that finds rows is a warning, not a failure."""
        return [(r["unique_id"], r["status"], (r.get("message") or "").strip())
                for r in self.results if r["status"] not in ("success", "pass", "skipped", "no-op", "warn")]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for r in self.results:
            kinds[r["unique_id"].split(".")[0]] = kinds.get(r["unique_id"].split(".")[0], 0) + 1
        counts = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
        return f"dbt {'passed' if self.ok else 'FAILED'}: {counts}"


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def run_dbt(settings: Settings, command: list[str], *, warehouse: Path | None = None,
            target_dir: Path | None = None, extra_env: dict[str, str] | None = None,
            timeout: int = 6 * 3600) -> DbtResult:
    """Run `dbt <command>` on the project against `warehouse` (default: the settings')."""
    warehouse = warehouse or settings.warehouse_path
    target_dir = target_dir or settings.data_dir / "dbt"
    private_dir(target_dir)  # dbt's logs and compiled SQL
    project = settings.dbt_project_dir
    run_results = target_dir / "target" / "run_results.json"
    run_results.unlink(missing_ok=True)
    proc = subprocess.run(
        [dbt_executable(), *with_vars(settings, command), "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(target_dir / "target"), "--log-path", str(target_dir / "logs")],
        env={**os.environ, "CCHC_WAREHOUSE": str(warehouse), **(extra_env or {})},
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=project,
        preexec_fn=die_with_parent(os.getpid()))
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    return DbtResult(proc.returncode, proc.stdout + proc.stderr, target_dir, results)


def with_vars(settings: Settings, command: list[str]) -> list[str]:
    """``command`` with the settings' dbt vars (``--vars``), merged under any the caller gave:
    the environment reaches the project's SQL by this route only."""
    command = list(command)
    given: dict = {}
    if "--vars" in command:
        at = command.index("--vars")
        given = yaml.safe_load(command[at + 1]) or {}
        del command[at:at + 2]
    return [*command, "--vars", json.dumps({**settings.dbt_vars(), **given}, default=str)]  # dates as ISO text


def die_with_parent(parent_pid: int):
    """A `preexec_fn` for a child that must not outlive the process starting it: the kernel
    sends the child SIGTERM when that process dies, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG), so a killed `cchc build` or Airflow task never leaves dbt holding
    the warehouse's write lock. Elsewhere it does nothing."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:  # the parent died before the line above
            os._exit(1)
    return arm


def checked(result: DbtResult) -> DbtResult:
    """The result of a passing build; DbtBuildError naming the failing nodes otherwise."""
    if not result.ok:
        failing = "; ".join(f"{uid} {status}: {message[:300]}" for uid, status, message in result.failures[:10])
        raise DbtBuildError(f"dbt build failed ({result.returncode}): {failing or result.stdout[-2000:]}")
    return result


def dbt_build(settings: Settings, *, warehouse: Path | None = None, full_refresh: bool = False,
              select: str | None = None, target_dir: Path | None = None) -> DbtResult:
    """`dbt build` (seeds, models, tests in dependency order); raises DbtBuildError on failure."""
    command = ["build"] + (["--full-refresh"] if full_refresh else []) + (["--select", select] if select else [])
    return checked(run_dbt(settings, command, warehouse=warehouse, target_dir=target_dir))


# Sources without a freshness check (no load time to compare): always rebuilt downstream.
# The data-quality datasets (views computed as of the day they are read) too: cheap, and
# their tests then check every night's data, whichever sources moved (qa_oss_duplicates
# reads dlt's staging copy of the last load, which has no freshness either).
ALWAYS_BUILT = ("source:oss.daily_counts+", "path:models/quality")
# New reference data (a procedure moved to another field, a unit's parent changed) changes
# how every dossier is counted, not only the night's: the build starts from scratch.
REBUILD_ALL_SOURCES = "source.cchc.reference."
STATE_FILES = ("manifest.json", "sources.json")
# What dbt's state comparison counts as a change of what a model or seed computes: its SQL
# or CSV, its configs (dbt_project.yml's included), the macros it calls (recursively), its
# contract, its relation. Not its descriptions (state:modified.persisted_descriptions, which
# plain state:modified includes under persist_docs) nor its tests: they change no table.
COMPUTATION_CHANGES = ("state:modified.body", "state:modified.configs", "state:modified.macros",
                       "state:modified.contract", "state:modified.relation")
# The vars the last build ran with: dbt's state comparison compares the SQL as written,
# before `var()` is rendered, so a var changed in dbt_project.yml or by --vars (the
# settings') goes unseen (dbt 1.11); the saved state keeps them for this complement.
VARS_FILE = "vars.json"


def dbt_build_changed(settings: Settings, *, warehouse: Path | None = None,
                      target_dir: Path | None = None, full_refresh: bool = False) -> DbtResult:
    """The nightly `dbt build`: only the nodes downstream of a source that received data
    since the last successful build of this warehouse (dbt's `source_status:fresher+`
    against that build's `dbt source freshness` snapshot), plus those downstream of the
    sources without a freshness check (ALWAYS_BUILT); the incremental models inside do
    the rest. Everything is rebuilt from scratch (--full-refresh) when what the project
    computes changed since that build (incremental tables would otherwise mix old and new
    logic): a model or seed dbt's state comparison finds modified (modified_nodes: SQL, CSV,
    configs, macros; not docs or tests) or the vars (vars_changed: dbt_project.yml's and the
    settings'), or when reference data was reloaded; everything is built (without refresh) when
    there is no usable saved state: none, saved for another warehouse, or a warehouse
    lacking a table that build made (e.g. recreated since). The state is saved after a
    successful build only, so a failed night is caught up the next. `full_refresh`:
    rebuild everything from scratch. Raises DbtBuildError on failure."""
    warehouse = (warehouse or settings.warehouse_path).resolve()
    target_dir = target_dir or settings.data_dir / "dbt"
    state = target_dir / "state"
    snapshot = target_dir / "target" / "sources.json"
    snapshot.unlink(missing_ok=True)
    freshness = run_dbt(settings, ["source", "freshness"], warehouse=warehouse, target_dir=target_dir)
    # A stale source makes `dbt source freshness` exit 1 (the validation step reports it);
    # only a snapshot that could not be taken at all means the selection cannot be trusted.
    if not snapshot.exists():
        raise DbtBuildError(f"dbt source freshness wrote no sources.json ({freshness.returncode}): "
                            f"{freshness.stdout[-2000:]}")
    state.mkdir(parents=True, exist_ok=True)
    fresh_snapshot = state / "sources.current.json"
    shutil.copyfile(snapshot, fresh_snapshot)
    has_state = (all((state / name).exists() for name in STATE_FILES)
                 and (state / "warehouse").exists() and (state / "warehouse").read_text() == str(warehouse)
                 and not missing_relations(warehouse, state / "manifest.json"))
    if has_state and not full_refresh:
        full_refresh = (vars_changed(settings, state)
                        or any(uid.startswith(REBUILD_ALL_SOURCES)
                               for uid in fresher_sources(state / "sources.json", fresh_snapshot))
                        or bool(modified_nodes(settings, state, warehouse=warehouse, target_dir=target_dir)))
    if full_refresh or not has_state:
        command = ["build"] + (["--full-refresh"] if full_refresh else [])
    else:
        command = ["build", "--select", " ".join(("source_status:fresher+", *ALWAYS_BUILT)), "--state", str(state)]
    result = checked(run_dbt(settings, command, warehouse=warehouse, target_dir=target_dir))
    save_project_state(settings, state, target_dir / "target" / "manifest.json")
    shutil.move(fresh_snapshot, state / "sources.json")
    (state / "warehouse").write_text(str(warehouse))
    return result


def save_project_state(settings: Settings, state: Path, manifest: Path) -> None:
    """Keep what the next build compares its project with: the build's manifest (dbt's
    --state) and the vars it ran with (VARS_FILE)."""
    shutil.copyfile(manifest, state / "manifest.json")
    (state / VARS_FILE).write_text(project_vars(settings))


def modified_nodes(settings: Settings, state: Path, *, warehouse: Path | None = None,
                   target_dir: Path | None = None) -> list[str]:
    """The unique ids of the models and seeds whose computation differs from the build
    whose manifest `state` holds (dbt ls --select COMPUTATION_CHANGES --state): changed or
    new SQL, CSV contents, configs, macros called. Raises DbtBuildError when dbt cannot tell."""
    listed = run_dbt(settings, ["ls", "--quiet", "--resource-type", "model", "--resource-type", "seed",
                                "--output", "json", "--output-keys", "unique_id",
                                "--select", *COMPUTATION_CHANGES, "--state", str(state)],
                     warehouse=warehouse, target_dir=target_dir)
    if listed.returncode != 0:
        raise DbtBuildError(f"dbt ls --select state:modified failed ({listed.returncode}): {listed.stdout[-2000:]}")
    return sorted(json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line.startswith("{"))


def project_vars(settings: Settings) -> str:
    """The vars the project's SQL reads, as JSON: dbt_project.yml's under the settings' --vars."""
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return json.dumps({**(project.get("vars") or {}), **settings.dbt_vars()}, sort_keys=True, default=str)


def vars_changed(settings: Settings, state: Path) -> bool:
    """The vars differ from those of the build that saved `state` (or it saved none)."""
    saved = state / VARS_FILE
    return not saved.exists() or saved.read_text() != project_vars(settings)


def fresher_sources(previous: Path, current: Path) -> set[str]:
    """The sources whose newest load in the `current` freshness snapshot (sources.json) is
    later than in `previous`, or that `previous` did not have."""
    def loaded(path: Path) -> dict[str, datetime]:
        return {r["unique_id"]: datetime.fromisoformat(r["max_loaded_at"])
                for r in json.loads(path.read_text())["results"] if r.get("max_loaded_at")}
    before, now = loaded(previous), loaded(current)
    return {uid for uid, at in now.items() if uid not in before or at > before[uid]}


def missing_relations(warehouse: Path, manifest: Path) -> list[str]:
    """The seeds and table models of a build's manifest that the warehouse does not hold."""
    import duckdb

    nodes = json.loads(manifest.read_text())["nodes"].values()
    expected = {f"{n['schema']}.{n.get('alias') or n['name']}" for n in nodes
                if n["resource_type"] in ("model", "seed") and n["config"].get("materialized") != "ephemeral"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        existing = {f"{schema}.{name}" for schema, name in
                    con.execute("select table_schema, table_name from information_schema.tables").fetchall()}
    return sorted(expected - existing)
