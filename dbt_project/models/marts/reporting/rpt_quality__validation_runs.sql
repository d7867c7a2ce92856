{#- Dataset rpt_quality__validation_runs: one row per validation run (`cchc validate`): its
    checks (an expectation's summary row, unit_key NULL, is one check; the unit rows only
    detail its failures), how many passed, and the figure the dashboard shows ("20/20
    kiểm tra đạt"). A view: the validation step appends results after the build. -#}
{{ config(materialized='view') }}
with checks as (

    select run_id, validated_at, success
    from {{ source('quality_results', 'validation_results') }}
    where unit_key is null

),

runs as (

    select
        run_id,
        max(validated_at) as validated_at,
        count(*) as checks,
        sum(case when success then 1 else 0 end) as checks_passed
    from checks
    group by run_id

)

select
    run_id,
    validated_at,
    cast(validated_at as date) as validated_date,
    {{ year_month_columns('validated_at', 'bigint') }},
    cast(checks as bigint) as checks,
    cast(checks_passed as bigint) as checks_passed,
    cast(checks - checks_passed as bigint) as checks_failed,
    cast(checks_passed as string) || '/' || cast(checks as string) || ' kiểm tra đạt' as checks_label,
    'Lượt kiểm tra ngày ' || {{ format_date_vi('validated_at') }} as run_label
from runs
