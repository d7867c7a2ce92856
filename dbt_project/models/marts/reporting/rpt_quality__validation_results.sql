{#- Dataset rpt_quality__validation_results: every Great Expectations result. A view: the
    validation step appends results after the build. -#}
{{ config(materialized='view') }}
select
    r.run_id,
    r.validated_at,
    cast(r.validated_at as date) as validated_date,
    {{ year_month_columns('r.validated_at', 'bigint') }},
    {{ month_label('r.validated_at') }} as month_label,
    r.suite,
    r.expectation,
    r.unit_key,
    coalesce(u.unit_name, r.unit_name) as unit_name,
    cast(r.observed_value as string) as observed_value,
    {{ label_vi('severity', 'r.severity') }} as severity,
    r.success,
    r.message_vi,
    case when r.success then 0 else 1 end as failed_check,
    -- the "missing or wrong data per unit" list: a unit's failing rows, not the summaries
    not r.success and r.unit_key is not null as is_unit_failure
from {{ source('quality_results', 'validation_results') }} as r
left join {{ ref('dim_unit') }} as u on u.unit_key = r.unit_key
