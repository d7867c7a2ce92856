{#- Dataset rpt_quality__dbt_test_results: every dbt test of every invocation, each test's
    latest result marked (is_latest_run): a nightly build runs only the tests of what it
    rebuilt, so "the latest invocation" would hide a failing test it did not select. A
    view: the results are written after the build. -#}
{{ config(materialized='view') }}
with results as (

    select * from {{ source('quality_results', 'dbt_test_results') }}

),

latest as (

    select test_unique_id, max(run_started_at) as run_started_at
    from results
    group by test_unique_id

)

select
    r.invocation_id,
    r.run_started_at,
    cast(r.run_started_at as date) as run_date,
    {{ year_month_columns('r.run_started_at', 'bigint') }},
    r.test_unique_id,
    r.test_name,
    r.test_type,
    coalesce(r.model_name, '') as model_name,
    r.column_name,
    {{ label_vi('severity', 'r.severity') }} as severity,
    r.status,
    {{ label_vi('test_status', 'r.status') }} as status_label,
    r.failures,
    r.execution_seconds,
    latest.test_unique_id is not null as is_latest_run,
    case when r.status = 'pass' then 1 else 0 end as passed_test,
    case when r.status = 'skipped' then 0 else 1 end as run_test,
    r.status in ('warn', 'fail', 'error') as is_failing
from results as r
left join latest
    on r.test_unique_id = latest.test_unique_id
    and r.run_started_at = latest.run_started_at
