{#- Each unit's yearly indicators against the targets named in the documents (seed
    indicator_targets): the value, the target that applies (macro most_specific_target), and the gap in
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

applicable as (

    {{ most_specific_target("(select indicator_code, province_code, peer_group, indicator_year as target_year from scoped)") }}

)

select
    scoped.indicator_code,
    scoped.unit_key,
    scoped.peer_group,
    scoped.province_code,
    scoped.indicator_year,
    scoped.indicator_value,
    applicable.target_pct,
    scoped.indicator_value - applicable.target_pct as gap_pct,
    scoped.indicator_value >= applicable.target_pct as is_target_met,
    applicable.source_document
from scoped
join applicable
    on applicable.indicator_code = scoped.indicator_code
    and {{ null_safe_equal("applicable.province_code", "scoped.province_code") }}
    and {{ null_safe_equal("applicable.peer_group", "scoped.peer_group") }}
    and applicable.target_year = scoped.indicator_year
