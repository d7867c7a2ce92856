{#- Dossier KPIs per unit × field × period (month and year): flows counted in the period,
    stocks at its start (carried over) and end (in progress, in progress overdue), and the
    rates of domain.md §3 at full precision. With var report_period_end the period holding
    that day is counted up to its end (its closing stock measured then), later ones dropped. -#}

with flows as (

    select * from {{ ref('fct_dossier_kpi_flows') }}

),

stocks as (

    select * from {{ ref('fct_dossier_kpi_stocks') }}

),

{% set grains = ['month', 'year'] %}
period_keys as (
    select unit_key, field_code, period_type, period_start from flows
    {%- for grain in grains %}
    union
    -- a period whose only activity is dossiers carried into or through it
    select unit_key, field_code, '{{ grain }}', {{ period_start('boundary_date', grain) }} from stocks
    union
    select unit_key, field_code, '{{ grain }}', {{ period_start('boundary_date - 1', grain) }} from stocks
    {%- endfor %}
),

as_of as (

    select cast(max(extracted_at) as date) as as_of_date from {{ ref('fct_dossier') }}

),

periods as (

    select
        period_keys.*,
        case period_type
            {%- for grain in grains %}
            when '{{ grain }}' then {{ period_end('period_start', grain) }}
            {%- endfor %}
        end as period_end
    from period_keys
    cross join as_of
    -- no period after the data's as-of day or the reporting period's end (open dossiers
    -- reach the year end's boundary)
    where period_keys.period_start <= as_of.as_of_date
    {%- if report_period_end() is not none %}
      and period_keys.period_start <= {{ report_period_end() }}
    {%- endif %}

),

counts as (

    select
        periods.unit_key,
        periods.field_code,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        {%- for name, _, _ in dossier_flow_measures() %}
        coalesce(flows.{{ name }}, 0) as {{ name }},
        {%- endfor %}
        coalesce(opening.open_dossiers, 0) as carried_over,
        coalesce(closing.open_dossiers, 0) as in_progress_at_end,
        coalesce(closing.overdue_dossiers, 0) as in_progress_overdue_at_end
    from periods
    left join flows
        on flows.unit_key = periods.unit_key
        and flows.field_code = periods.field_code
        and flows.period_type = periods.period_type
        and flows.period_start = periods.period_start
    left join stocks as opening
        on opening.unit_key = periods.unit_key
        and opening.field_code = periods.field_code
        and opening.boundary_date = periods.period_start
    left join stocks as closing
        on closing.unit_key = periods.unit_key
        and closing.field_code = periods.field_code
        and closing.boundary_date = periods.period_end

)

select
    *,
    {{ dossier_kpi_rates() }}
from counts
