"""The nightly build selects only what changed (dbt's source_status / state selectors),
recounts only the KPI slices that changed (issue #4), and still gives exactly what a
full rebuild gives, including when a night's versions correct earlier ones: a finished
date moved to another month, a finished dossier reopened, a dossier re-filed under a
procedure of another field or sent to another unit, and a month whose only dossier moves
out of it (its row must disappear, not stay with stale counts)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from cchc.settings import load_settings
from cchc.transform import (
    dbt_build,
    dbt_build_changed,
    fresher_sources,
    missing_relations,
    modified_nodes,
    run_dbt,
    save_project_state,
    vars_changed,
)

KPI_TABLES = ["staging.stg_oss__dossier_versions", "staging.stg_oss__dossiers", "marts.fct_dossier",
              "intermediate.fct_dossier_kpi_flows", "intermediate.fct_dossier_kpi_stocks",
              "marts.mart_dossier_kpis", "marts.mart_dossier_kpis_unit", "marts.mart_dossier_kpis_sector",
              "marts.mart_dossier_kpis_area"]


def full_rebuild_beside(incremental: Path, work: Path) -> duckdb.DuckDBPyConnection:
    """A copy of `incremental` with the dossier path rebuilt from scratch, opened read-only
    with the incremental warehouse attached as `inc`."""
    full = work / "full.duckdb"
    shutil.copy(incremental, full)
    dbt_build(load_settings(), warehouse=full, full_refresh=True, target_dir=work / "dbt-full",
              select="stg_oss__dossier_versions+")
    con = duckdb.connect(str(full), read_only=True)
    con.execute(f"attach '{incremental}' as inc (read_only)")
    return con


def assert_same_rows(con: duckdb.DuckDBPyConnection, table: str, other: str) -> None:
    """`table` and `other` hold the same rows, duplicates included."""
    for left, right in [(table, other), (other, table)]:
        extra = con.execute(f"select * from (select * from {left} except all select * from {right}) limit 3").fetchall()
        assert not extra, f"{left} has rows {right} has not: {extra}"


def append_corrections(warehouse: Path) -> dict[str, list[str]]:
    """Append one night of versions to raw_oss.dossiers the way the extraction does (new
    updated_at, a later _extracted_at, a new load id) that correct earlier versions.
    Returns the dossier ids of each kind of correction."""
    con = duckdb.connect(str(warehouse))
    try:
        night = con.execute("select max(_extracted_at) + interval 1 day from raw_oss.dossiers").fetchone()[0]
        con.execute("""create temp table latest as
                       select * from raw_oss.dossiers
                       qualify row_number() over (partition by dossier_id order by updated_at desc, _extracted_at desc) = 1""")

        def pick(where: str, n: int) -> list[str]:
            return [r[0] for r in con.execute(
                f"select dossier_id from latest where {where} order by hash(dossier_id) limit {n}").fetchall()]

        finished = "status = 'finished' and finished_at < '2026-09-01'"
        kinds = {kind: pick(f"{finished} and hash(dossier_id) % 5 = {n}", 40)
                 for n, kind in enumerate(["finished_moved", "reopened", "other_field", "other_unit"])}
        # a dossier alone in its unit × field × month (its receipt is the month's only
        # event): moving it out must remove the month's row
        lonely = con.execute("""
            select latest.dossier_id
            from intermediate.fct_dossier_kpi_flows as flows
            join staging.stg_reference__procedures as procedures on procedures.field_code = flows.field_code
            join latest on latest.procedure_code = procedures.procedure_code
                and latest.unit_key = flows.unit_key
                and substr(latest.received_at, 1, 7) = strftime(flows.period_start, '%Y-%m')
            where flows.period_type = 'month' and flows.received_total = 1
              and flows.finished_total + flows.rejected + flows.withdrawn + flows.apology_letters = 0
              and latest.status = 'finished' and hash(latest.dossier_id) % 5 = 4
            order by 1 limit 3""").fetchall()
        kinds["alone_in_month"] = [r[0] for r in lonely]
        assert all(kinds.values()), kinds
        # a procedure of another field, and another unit of the same level, to move dossiers to
        other_procedure = """(select procedure_code from staging.stg_reference__procedures as p
                              where p.field_code <> (select field_code from staging.stg_reference__procedures
                                                     where procedure_code = latest.procedure_code)
                              order by procedure_code limit 1)"""
        other_unit = """(select unit_key from latest as l where l.unit_key <> latest.unit_key
                         and split_part(l.unit_key, ':', 1) = split_part(latest.unit_key, ':', 1)
                         order by unit_key limit 1)"""
        shifted = "strftime(cast(cast({c} as timestamptz) + interval 45 day as timestamptz) at time zone 'Asia/Ho_Chi_Minh', '%Y-%m-%dT%H:%M:%S+07:00')"
        changes = {
            "finished_moved": {"finished_at": shifted.format(c="finished_at"),
                               "due_at": shifted.format(c="due_at")},
            "reopened": {"finished_at": "null", "status": "'in_progress'", "output_digitised": "false"},
            "other_field": {"procedure_code": other_procedure},
            "other_unit": {"unit_key": other_unit},
            "alone_in_month": {c: shifted.format(c=c) for c in ("received_at", "due_at", "finished_at")},
        }
        columns = [r[0] for r in con.execute("describe raw_oss.dossiers").fetchall()]
        for n, (kind, ids) in enumerate(kinds.items()):
            values = {**changes[kind],
                      "updated_at": f"strftime(cast('{night}' as timestamp) - interval {n + 1} minute, '%Y-%m-%dT%H:%M:%S+07:00')",
                      "_extracted_at": f"cast('{night}' as timestamp)", "_dlt_load_id": "'night-corrections'"}
            select = ", ".join(f"{values[c]} as {c}" if c in values else c for c in columns)
            id_list = ", ".join(f"'{i}'" for i in ids)
            con.execute(f"insert into raw_oss.dossiers ({', '.join(columns)}) "
                        f"select {select} from latest where dossier_id in ({id_list})")
        return kinds
    finally:
        con.close()


@pytest.fixture(scope="module")
def nightly(built_warehouse, tmp_path_factory):
    """Four nightly builds (cchc.transform.dbt_build_changed) of a copy of the built
    warehouse: the first (no saved state: everything), a second with no new data, a third
    after a night of corrections (the warehouse is copied then, for the comparisons), a
    fourth after reference data was reloaded. Returns the work folder, the copy after the
    corrections, the corrected dossiers of each kind and, per build, its results.
    The first is the demo's first nightly run (conftest.first_run: dbt_build_changed on
    the data copied here, with no saved state), not run again: its results are read and
    its saved state goes with the copy (a byte copy: the same warehouse)."""
    work = tmp_path_factory.mktemp("nightly")
    warehouse = work / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    first_night = built_warehouse.parent
    state = shutil.copytree(first_night / "state", work / "dbt" / "state")
    (state / "warehouse").write_text(str(warehouse.resolve()))
    settings = load_settings()
    built = [{r["unique_id"]: r for r in json.loads((first_night / "target" / "run_results.json").read_text())["results"]}]
    for night in range(1, 4):
        if night == 2:
            kinds = append_corrections(warehouse)
        if night == 3:
            shutil.copy(warehouse, work / "after_corrections.duckdb")
            with duckdb.connect(str(warehouse)) as con:
                con.execute("update reference.load_manifest set loaded_at = loaded_at + interval 1 day")
        result = dbt_build_changed(settings, warehouse=warehouse, target_dir=work / "dbt")
        built.append({r["unique_id"]: r for r in result.results})
    return work, work / "after_corrections.duckdb", kinds, built


@pytest.mark.slow
def test_the_nightly_build_selects_only_what_changed(nightly):
    _, _, _, (first, quiet, corrected, reference_reloaded) = nightly
    models = lambda nodes: {n.split(".")[-1] for n in nodes if n.startswith("model.")}  # noqa: E731
    assert {"stg_sipas__answers", "mart_papi_province_year", "fct_dossier"} <= models(first)
    # no new data: only what has no freshness to compare (the daily counts) is rebuilt, and
    # the data-quality views (computed as of the day they are read) with their tests
    quality = {p.stem for p in (load_settings().dbt_project_dir / "models" / "quality").glob("qa_*.sql")}
    assert models(quiet) == {"stg_oss__daily_counts", "int_quality__unit_day_counts", *quality}
    # new dossier versions: the dossier path, its KPIs, rankings and the indicators built on them
    assert {"stg_oss__dossier_versions", "fct_dossier", "fct_dossier_kpi_flows", "mart_dossier_kpis",
            "mart_service_index_766", "mart_unit_rankings"} <= models(corrected)
    assert not {"stg_sipas__answers", "mart_sipas_index", "mart_par_index", "mart_papi_province_year",
                "fct_disbursement_monthly", "dim_unit"} & models(corrected)
    assert any(n.startswith("test.") and "fct_dossier" in n for n in corrected)
    # new reference data: everything, from scratch
    assert models(reference_reloaded) == models(first)


@pytest.mark.slow
def test_incremental_kpis_equal_a_full_rebuild_after_corrections(nightly):
    work, incremental, kinds, _ = nightly
    con = full_rebuild_beside(incremental, work)
    for table in KPI_TABLES:
        assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0, table
        assert_same_rows(con, table, f"inc.{table}")

    # the corrections took effect: the reopened dossiers are in progress, the lonely months are gone
    reopened = ", ".join(f"'{i}'" for i in kinds["reopened"])
    assert con.execute(f"select count(*) from marts.fct_dossier where dossier_id in ({reopened}) "
                       "and finished_at is null").fetchone()[0] == len(kinds["reopened"])
    lonely = ", ".join(f"'{i}'" for i in kinds["alone_in_month"])
    emptied = con.execute(f"""
        select count(*) from (
            select distinct v.unit_key, p.field_code, cast(date_trunc('month', v.received_at) as date) as month
            from staging.stg_oss__dossier_versions as v
            join staging.stg_reference__procedures as p using (procedure_code)
            where v.dossier_id in ({lonely}) and not v.is_latest_version) as old_months
        join inc.intermediate.fct_dossier_kpi_flows as flows
          on flows.unit_key = old_months.unit_key and flows.field_code = old_months.field_code
         and flows.period_type = 'month' and flows.period_start = old_months.month""").fetchone()[0]
    assert emptied == 0


@pytest.mark.slow
def test_a_warehouse_missing_a_built_table_is_not_trusted_with_the_saved_state(nightly):
    """A warehouse recreated (or a table dropped) since the saved state would make a
    changed-only build skip models whose tables are gone: dbt_build_changed checks the
    state's tables first and builds everything when one is missing."""
    work, warehouse, _, _ = nightly
    manifest = work / "dbt" / "state" / "manifest.json"
    assert missing_relations(warehouse, manifest) == []
    damaged = work / "damaged.duckdb"
    shutil.copy(warehouse, damaged)
    with duckdb.connect(str(damaged)) as con:
        con.execute("drop table seeds.par_classification_bands")
    assert missing_relations(damaged, manifest) == ["seeds.par_classification_bands"]


@pytest.mark.slow
def test_tables_built_before_the_watermark_columns_recount_on_their_first_incremental_build(nightly):
    """Upgrading: flows and stocks tables made before latest_extracted_at / measured_at
    existed get the columns appended and recount everything, matching a full rebuild."""
    work, warehouse, _, _ = nightly
    upgraded = work / "upgraded.duckdb"
    shutil.copy(warehouse, upgraded)
    with duckdb.connect(str(upgraded)) as con:
        con.execute("alter table intermediate.fct_dossier_kpi_flows drop column latest_extracted_at")
        con.execute("alter table intermediate.fct_dossier_kpi_stocks drop column latest_extracted_at")
        con.execute("alter table intermediate.fct_dossier_kpi_stocks drop column measured_at")
    dbt_build(load_settings(), warehouse=upgraded, target_dir=work / "dbt-upgrade",
              select="fct_dossier_kpi_flows fct_dossier_kpi_stocks")
    con = duckdb.connect(str(upgraded), read_only=True)
    con.execute(f"attach '{warehouse}' as inc (read_only)")
    for table in ["intermediate.fct_dossier_kpi_flows", "intermediate.fct_dossier_kpi_stocks"]:
        assert_same_rows(con, table, f"inc.{table}")


def test_reference_reloads_and_var_changes_are_detected(tmp_path):
    """What makes the nightly build start from scratch, besides a change of the models
    (below): a source newly loaded (reference data among them) and a var changed, in
    dbt_project.yml or in the settings (--vars), which dbt's state comparison does not see."""
    def snapshot(path: Path, loads: dict[str, str]) -> Path:
        path.write_text(json.dumps({"results": [{"unique_id": uid, "max_loaded_at": at} for uid, at in loads.items()]}))
        return path
    before = snapshot(tmp_path / "before.json", {"source.cchc.oss.dossiers": "2026-11-20T01:30:00+00:00",
                                                 "source.cchc.reference.procedures": "2026-11-01T08:00:00+00:00"})
    after = snapshot(tmp_path / "after.json", {"source.cchc.oss.dossiers": "2026-11-21T01:30:00.5+00:00",
                                               "source.cchc.reference.procedures": "2026-11-01T08:00:00+00:00",
                                               "source.cchc.par.par_scores": "2026-11-21T01:00:00+00:00"})
    assert fresher_sources(before, after) == {"source.cchc.oss.dossiers", "source.cchc.par.par_scores"}
    copy, state = project_copy(tmp_path)
    assert vars_changed(copy, state)  # no vars saved: a state of an earlier version
    save_project_state(copy, state, before)  # any file stands for the manifest here
    assert not vars_changed(copy, state)
    assert vars_changed(copy.model_copy(update={"oss_reconcile_days": copy.oss_reconcile_days + 1}), state)
    edit(copy.dbt_project_dir / "dbt_project.yml", "ranking_min_dossiers: 20", "ranking_min_dossiers: 21")
    assert vars_changed(copy, state)


@pytest.mark.slow
def test_dbt_state_comparison_finds_changed_computation_not_docs_or_tests(tmp_path):
    """dbt's state:modified (cchc.transform.modified_nodes) against the saved manifest:
    descriptions, tests and the project's README change nothing computed; a model's SQL, a
    macro (the models calling it), a seed's CSV and a config in dbt_project.yml do."""
    copy, state = project_copy(tmp_path)
    parsed = run_dbt(copy, ["parse"], warehouse=tmp_path / "w.duckdb", target_dir=tmp_path / "dbt")
    assert parsed.returncode == 0, parsed.stdout[-2000:]
    save_project_state(copy, state, tmp_path / "dbt" / "target" / "manifest.json")
    nodes = json.loads((state / "manifest.json").read_text())["nodes"]
    changed = lambda: modified_nodes(copy, state, warehouse=tmp_path / "w.duckdb", target_dir=tmp_path / "dbt")  # noqa: E731
    root = copy.dbt_project_dir
    edit(root / "README.md", "\n", "\nA note.\n")
    edit(root / "models" / "quality" / "_quality__models.yml", "description: Newest day with data",
         "description: Newest day with data (edited)\n        data_tests: [not_null]")
    assert changed() == []
    edit(root / "models" / "marts" / "scoring" / "mart_papi_province_year.sql", "select", "select 1 as added,")
    edit(root / "macros" / "dossiers.sql", "{% macro dossier_timeliness(finished_at, due_at) -%}",
         "{% macro dossier_timeliness(finished_at, due_at) -%} /* changed */")
    edit(root / "seeds" / "reporting_labels.csv", "Cấp xã", "Cấp xã (edited)")
    edit(root / "dbt_project.yml", "small build's time).\n        +materialized: table",
         "small build's time).\n        +materialized: view")
    sipas = {uid for uid, n in nodes.items() if n["resource_type"] == "model" and n["fqn"][1:3] == ["staging", "sipas"]}
    assert set(changed()) == {"model.cchc.mart_papi_province_year", "model.cchc.int_dossiers__enriched",
                              "seed.cchc.reporting_labels", *sipas}


def project_copy(tmp_path: Path):
    """Settings for a copy of the dbt project under `tmp_path`, and an empty state folder."""
    settings = load_settings()
    copy = settings.model_copy(update={"project_root": tmp_path / "project"})
    shutil.copytree(settings.dbt_project_dir, copy.dbt_project_dir,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (state := tmp_path / "state").mkdir()
    return copy, state


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
