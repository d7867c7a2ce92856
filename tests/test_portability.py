"""The Spark portability guard (cchc.portability, issue 17): each DuckDB-only construct is
found in a small query and portable SQL passes; every model's compiled SQL matches the
baseline of known findings (dbt_project/portability_baseline.yml), which only shrinks."""

from __future__ import annotations

import json

import duckdb
import pytest

from cchc.portability import (
    BASELINE,
    TRAPS,
    against_baseline,
    baseline_problems,
    findings_in_sql,
    load_baseline,
    project_findings,
    report,
)

# One query per construct, written as a model would write it; each must be found.
TRAP_QUERIES = {
    "regexp_replace 'g' flag": r"select regexp_replace(name, '[ ]+', ' ', 'g') from t",
    "regexp_replace without 'g'": "select regexp_replace(name, 'a', 'b') from t",
    "regexp options argument": "select regexp_extract(name, 'a(b)', 1, 'i') from t",
    "backslash in string literal": r"select regexp_matches(name, '\d+') from t",
    "// integer division": "select (month - 1) // 3 + 1 from t",
    "decimal-literal division": "select months / 12.0 from t",
    "quantile_cont": "select quantile_cont(score, 0.5) from t",
    "strftime": "select strftime(day, '%Y-%m') from t",
    "varchar cast": "select cast(code as varchar), code::text from t",
    "timestamptz cast": "select cast(updated_at as timestamptz) from t",
    "timezone()": "select timezone('Asia/Ho_Chi_Minh', updated_at) from t",
    "last_value(... ignore nulls)": "select last_value(name ignore nulls) over (order by day) from t",
    "qualify": "select id from t qualify row_number() over (partition by id order by day desc) = 1",
    "1-based list index": "select string_split(code, '-')[1] from t",
    "nfc_normalize": "select nfc_normalize(name) from t",
    "getvariable": "select getvariable('as_of') from t",
    "json_exists": "select json_exists(record, '$.line') from t",
    "json extraction": "select record ->> 'name', json_extract(record, '$.line') from t",
    "json_keys": "select json_keys(record) from t",
    "arg_max / arg_min": "select arg_max(name, day) from t",
    "list_filter / list_transform": "select list_transform(names, lambda x: upper(x)) from t",
    "lambda syntax": "select list_filter(names, lambda x: x <> '') from t",
    "unnest": "select unnest(names) from t",
    "range() list": "select range(1, 13) from t",
    "string_split": "select string_split(code, '.') from t",
    "strpos": "select strpos(name, ' ') from t",
    "struct literal": "select {'name': name, 'day': day}, struct_pack(code := code) from t",
    "select * exclude": "select * exclude (name) from t",
}

PORTABLE = """
with latest as (
    select
        unit_key,
        cast(score as decimal(6, 2)) as score,
        cast(code as string) as code,
        cast(updated_at as timestamp) as loaded_at,
        cast(day as date) as day,
        coalesce(name, '') as name,
        name as text,
        regexp_replace(name, '^UBND ', '') as short_name,
        date_trunc('month', day) as month_start,
        months / 12 as years,
        months / 12e0 as years_too,
        cast(floor(months / 3) as integer) as quarters,
        row_number() over (partition by unit_key order by updated_at desc nulls last) as recency,
        case when score > 50 then 'cao' else 'thấp' end as level,
        count(*) filter (where score > 50) over (partition by unit_key) as high_scores,
        bool_or(score > 90) over (partition by unit_key) as any_high,
        to_json(record) as payload
    from source
    where day >= current_date - interval 30 day
)
select unit_key, percentile_cont(0.5) within group (order by score) as median_score
from latest where recency = 1 group by unit_key
"""


def test_the_queries_are_duckdb_sql():
    """What the guard flags is SQL DuckDB runs (so the project may hold it), and the portable
    query runs too."""
    con = duckdb.connect()
    con.execute("create table t as select 'a  b' as name, 3 as month, 14 as months, 1.5 as score, "
                "current_date as day, 'x-y' as code, now() as updated_at, 1 as id, "
                "'{\"line\": 1}'::json as record, ['a', ''] as names")
    con.execute("create table source as select 'u' as unit_key, * exclude (id, names) from t")
    for sql in [*TRAP_QUERIES.values(), PORTABLE]:
        con.execute(sql).fetchall()


def test_each_trap_is_found_in_a_query():
    assert set(TRAP_QUERIES) == set(TRAPS), "every trap has its query"
    missed = {construct: [f.construct for f in findings_in_sql(sql)] for construct, sql in TRAP_QUERIES.items()
              if construct not in {f.construct for f in findings_in_sql(sql)}}
    assert missed == {}


def test_portable_sql_passes():
    assert findings_in_sql(PORTABLE) == []


@pytest.mark.parametrize("sql, construct", [
    # a DuckDB function sqlglot knows but writes otherwise for Spark (not in TRAPS)
    ("select array_length(names) from t", "ArraySize"),
    # a DuckDB name of a function Spark spells otherwise (sqlglot's tree keeps the function only)
    ("select list_contains(names, 'a') from t", "list_contains()"),
    # a function sqlglot does not know
    ("select array_to_string_with_zeros(names) from t", "array_to_string_with_zeros()"),
])
def test_constructs_not_listed_are_caught_too(sql, construct):
    findings = findings_in_sql(sql, "m")
    assert [f.construct for f in findings] == [construct]
    assert findings[0].reason


def test_what_dbt_cross_database_macros_render_is_no_finding():
    """dbt.split_part is string_split(...)[n] on DuckDB; dbt-spark writes its own. The
    model's own string_split is still found."""
    split_part = "select string_split(code, '.')[1] from t"
    assert {f.construct for f in findings_in_sql(split_part)} == {"1-based list index", "string_split"}
    assert findings_in_sql(split_part, "m", frozenset({"split_part"})) == []
    own = split_part.replace(" from", ", string_split(name, ' ') from")
    assert [f.construct for f in findings_in_sql(own, "m", frozenset({"split_part"}))] == ["string_split"]


def test_the_report_lists_each_model_then_the_constructs():
    findings = findings_in_sql(TRAP_QUERIES["strftime"], "b") + findings_in_sql(TRAP_QUERIES["qualify"], "a")
    assert report(sorted(findings)).splitlines() == [
        "a", f"  qualify: {TRAPS['qualify']}", "b", f"  strftime: {TRAPS['strftime']}",
        "2 models use 2 DuckDB-only constructs: qualify, strftime"]


def test_the_baseline_comparison_reports_new_findings_and_gone_entries():
    findings = findings_in_sql(TRAP_QUERIES["strftime"] + "; " + TRAP_QUERIES["qualify"], "m")
    new, gone = against_baseline(findings, {"m": {"strftime": "why"}, "other": {"qualify": "why"}})
    assert [f.construct for f in new] == ["qualify"]
    assert gone == ["other: qualify"]
    problems = baseline_problems(findings, {"m": {"strftime": "why"}, "other": {"qualify": "why"}})
    assert "adapter.dispatch" in problems[0] and "remove it from portability_baseline.yml" in problems[1]


def test_every_baseline_entry_says_why():
    assert all(why and why.strip() for constructs in load_baseline().values() for why in constructs.values())


def test_models_add_no_duckdb_only_sql(compiled_manifest):
    """A model's new DuckDB-only construct fails here; so does a baseline entry that is
    fixed (remove it: the baseline only shrinks)."""
    problems = baseline_problems(project_findings(compiled_manifest), load_baseline(BASELINE))
    assert problems == [], "\n".join(problems)


def test_the_guard_catches_a_model_gaining_or_losing_a_construct(compiled_manifest):
    """dim_date (baseline: `//` and strftime) given a quantile_cont and stripped of its
    integer division: one new finding, one baseline entry to remove."""
    altered = json.loads(json.dumps(compiled_manifest))
    node = next(n for n in altered["nodes"].values() if n["resource_type"] == "model" and n["name"] == "dim_date")
    assert "//" in node["compiled_code"]
    node["compiled_code"] = node["compiled_code"].replace("//", "/").replace(
        "select", "select quantile_cont(1, 0.5) over () as median_one,", 1)
    problems = baseline_problems(project_findings(altered), load_baseline())
    assert len(problems) == 2, problems
    assert problems[0].startswith("dim_date: quantile_cont (") and "adapter.dispatch" in problems[0]
    assert problems[1] == "dim_date: // integer division: no longer found, remove it from portability_baseline.yml"
