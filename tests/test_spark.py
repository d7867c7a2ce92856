"""The dbt project on Apache Spark (issue 17): the whole project is built on Spark in local
mode (dbt-spark's session method, .venv/spark) from the demo warehouse's raw layer handed
over as Parquet, handed back to DuckDB, and compared with DuckDB's build of the same data
row for row (floats to 1e-9 relative). The models that do not build on Spark yet are
listed with why (portability_baseline.yml, spark_pending). The pieces of the hand-over
are checked on their own, fast."""

from __future__ import annotations

import duckdb
import pytest

from cchc.portability import spark_pending
from cchc.spark.handback import compare_builds, compare_relation, load_exports
from cchc.spark.raw import export_raw, source_tables


@pytest.fixture(scope="module")
def spark_run(built_warehouse, settings, tmp_path_factory):
    """`dbt seed` and `dbt run` of the whole project on Spark, in one Spark session, and the
    hand-back (about 4 minutes on 2 idle cores: the JVM's start and the seeds 0.6, the
    models 2.1, writing them out 1)."""
    from cchc.spark.build import spark_build

    return spark_build(settings, built_warehouse, tmp_path_factory.mktemp("spark"), ["run"])


@pytest.mark.slow
def test_every_model_builds_on_spark_but_the_listed_ones(spark_run, built_warehouse):
    failed = {uid.split(".")[-1] for uid in spark_run.failed}
    pending = set(spark_pending())
    assert failed <= pending, ("fails on Spark and is not in spark_pending", sorted(failed - pending),
                               spark_run.log[-3000:])
    assert not pending - failed, ("builds on Spark now: remove from spark_pending", sorted(pending - failed))
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        models = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name IN ('staging', 'intermediate', 'marts', "
            "'reporting', 'report', 'seeds') UNION SELECT view_name FROM duckdb_views() "
            "WHERE schema_name IN ('staging', 'intermediate', 'marts', 'reporting', 'report', 'quality')").fetchall()}
    handed_back = {relation.split(".")[1] for relation in spark_run.tables}
    # Every model and seed DuckDB built came back from Spark, the pending ones aside.
    assert models - pending <= handed_back, sorted(models - pending - handed_back)


@pytest.mark.slow
def test_spark_builds_what_duckdb_builds_row_for_row(spark_run, built_warehouse):
    compared = compare_builds(spark_run.warehouse, built_warehouse, spark_run.tables)
    differences = [str(difference) for difference in compared.values() if difference]
    assert not differences, "\n".join(differences)
    # Real data went through: the largest tables are not empty.
    assert spark_run.tables["marts.fct_dossier"] > 1000 and spark_run.tables["staging.stg_sipas__answers"] > 1000
    assert spark_run.tables["seeds.indicator_targets"] > 0


@pytest.mark.slow
def test_the_raw_layer_is_handed_over_as_parquet_partitioned_by_load(built_warehouse, settings, tmp_path):
    raw = tmp_path / "raw"
    counts = export_raw(built_warehouse, settings.dbt_project_dir, raw)
    assert set(counts) == {f"{t.schema}.{t.name}" for t in source_tables(settings.dbt_project_dir)}
    dossiers = raw / "raw_oss" / "dossiers"
    assert all(p.name.startswith("_dlt_load_id=") for p in dossiers.iterdir())
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        expected = con.execute("SELECT count(*), count(DISTINCT dossier_id) FROM raw_oss.dossiers").fetchone()
        read_back = duckdb.sql(f"SELECT count(*), count(DISTINCT dossier_id) FROM read_parquet('{dossiers}/*/*.parquet')").fetchall()[0]
    assert read_back == expected and counts["raw_oss.dossiers"] == expected[0] > 0
    # An empty source table still has its columns (raw_meta.quarantine is empty in the demo).
    quarantine = duckdb.sql(f"SELECT * FROM read_parquet('{raw / 'raw_meta' / 'quarantine'}/*.parquet')")
    assert "reason" in quarantine.columns
    # A second export replaces the first; nothing half-written is left beside it.
    export_raw(built_warehouse, settings.dbt_project_dir, raw)
    assert not [p for p in (raw / "raw_oss").iterdir() if p.name.startswith(".")]


def test_a_missing_source_table_is_named(tmp_path, settings):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(FileNotFoundError, match=r"empty\.duckdb: source tables missing: raw_oss\.dossiers"):
        export_raw(empty, settings.dbt_project_dir, tmp_path / "raw")


def test_the_comparison_finds_a_changed_value_a_missing_row_and_a_float_beyond_tolerance(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE a AS SELECT * FROM (VALUES (1, 'x', 0.1::DOUBLE), (2, 'y', 1e9::DOUBLE)) t(k, s, f)")
    con.execute("CREATE TABLE same AS SELECT k, s, f * (1 + 1e-12) AS f FROM a ORDER BY k DESC")
    con.execute("CREATE TABLE changed AS SELECT k, CASE k WHEN 2 THEN 'z' ELSE s END AS s, f FROM a")
    con.execute("CREATE TABLE fewer AS SELECT * FROM a WHERE k = 1")
    con.execute("CREATE TABLE drifted AS SELECT k, s, f * (1 + 1e-6) AS f FROM a")
    con.execute("CREATE TABLE renamed AS SELECT k, s, f AS g FROM a")
    assert compare_relation(con, "t", "a", "same") is None
    assert "1 of 2 rows differ" in str(compare_relation(con, "t", "a", "changed"))
    assert "2 rows vs 1" in str(compare_relation(con, "t", "a", "fewer"))
    assert "2 of 2 rows differ" in str(compare_relation(con, "t", "a", "drifted"))
    assert "columns differ" in str(compare_relation(con, "t", "a", "renamed"))


def test_exports_are_loaded_back_as_duckdb_tables(tmp_path):
    folder = tmp_path / "export" / "marts" / "dim_x"
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 1 AS id, 'Hòa' AS name) TO '{folder / 'part-0.parquet'}' (FORMAT parquet)")
    assert load_exports(tmp_path / "export", tmp_path / "back.duckdb") == {"marts.dim_x": 1}
    with duckdb.connect(str(tmp_path / "back.duckdb"), read_only=True) as con:
        assert con.execute("SELECT name FROM marts.dim_x").fetchall() == [("Hòa",)]
