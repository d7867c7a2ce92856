{#- Each unit's yearly indicators against the targets named in the documents (seed
    indicator_targets): the value, the target that applies (the most specific one: the
    province's own before a peer group's before one for all units), and the gap in
    percentage points (value − target; negative = below target). -#}

with yearly_values as (

    {%- for kpi in ['online_share', 'online_payment_rate', 'output_digitisation_rate'] %}
    select '{{ kpi }}' as indicator_code, unit_key, cast(extract(year from period_start) as integer) as indicator_year, {{ kpi }} as indicator_value
    from {{ ref('mart_dossier_kpis_unit') }}
    where period_type = 'year'
    union all
    {%- endfor %}
    select 'sipas_index', unit_key, survey_year, sipas_pct
    from {{ ref('mart_sipas_index') }}
    union all
    -- the year's last reported month
    select 'disbursement_rate', investor_unit_key, report_year, disbursement_rate_pct
    from {{ ref('mart_disbursement_investor_monthly') }}
    {{ latest_per_key(['investor_unit_key', 'report_year'], 'report_month desc') }}

),

scoped as (

    select yearly_values.*, units.peer_group, units.province_code
    from yearly_values
    join {{ ref('dim_unit') }} as units using (unit_key)
    where yearly_values.indicator_value is not null

),

candidates as (

    select
        scoped.*,
        targets.target_pct,
        targets.source_document,
        row_number() over (
            partition by scoped.indicator_code, scoped.unit_key, scoped.indicator_year
            order by (targets.province_code is not null) desc, (targets.peer_group <> 'all') desc
        ) as specificity_rank
    from scoped
    join {{ ref('indicator_targets') }} as targets
        on targets.indicator_code = scoped.indicator_code
        and targets.peer_group in ('all', scoped.peer_group)
        and (targets.province_code is null or targets.province_code = scoped.province_code)
        and scoped.indicator_year >= targets.year_from
        and (targets.year_to is null or scoped.indicator_year <= targets.year_to)

)

select
    indicator_code,
    unit_key,
    peer_group,
    province_code,
    indicator_year,
    indicator_value,
    target_pct,
    indicator_value - target_pct as gap_pct,
    indicator_value >= target_pct as is_target_met,
    source_document
from candidates
where specificity_rank = 1
