{#- Rankings of units within their province and peer group (departments, districts,
    communes) for every headline indicator and period (domain.md §11): higher is better;
    ties share a rank and the next rank is skipped (1, 2, 2, 4); rank change = previous
    rank − current rank ("tăng / giảm N bậc").

    A unit born in the 2025 reorganisation has no previous rank of its own, and a rank
    among 209 legacy communes does not compare with one among 69 new communes. Explicit
    method: for such a unit, `predecessors_previous_value` is the mean of its
    predecessors' values in the previous period (dim_unit_lineage, partial predecessors
    included), and `value_change_vs_predecessors` the difference; no rank change is shown. -#}

with indicator_values as (

    select 'par_index' as indicator_code, unit_key, 'year' as period_type,
           {{ year_start('score_year') }} as period_start, index_pct as indicator_value
    from {{ ref('mart_par_index') }}
    -- a unit with missing or held-back scores is not ranked (mart_par_index.is_complete)
    where is_complete
    union all
    select 'sipas', unit_key, 'year', {{ year_start('survey_year') }}, sipas_pct
    from {{ ref('mart_sipas_index') }}
    union all
    select 'service_index_766', unit_key, period_type, period_start, index_points
    from {{ ref('mart_service_index_766') }}
    {%- for kpi in ['on_time_rate', 'online_share', 'output_digitisation_rate'] %}
    union all
    select '{{ kpi }}', unit_key, period_type, period_start, {{ kpi }}
    from {{ ref('mart_dossier_kpis_unit') }}
    {%- endfor %}

),

scoped as (

    select
        indicator_values.*,
        units.peer_group,
        units.province_code,
        -- a year of the reorganisation has units of both schemes: each ranks among its own
        units.scheme
    from indicator_values
    join {{ ref('dim_unit') }} as units using (unit_key)
    where indicator_values.indicator_value is not null
      and units.peer_group in ('department', 'district', 'commune')

),

ranked as (

    select
        *,
        rank() over (
            partition by indicator_code, province_code, scheme, peer_group, period_type, period_start
            order by indicator_value desc
        ) as unit_rank,
        count(*) over (
            partition by indicator_code, province_code, scheme, peer_group, period_type, period_start
        ) as units_ranked,
        {{ previous_period_start('period_start', 'period_type') }} as previous_period_start
    from scoped

),

predecessor_values as (

    select
        ranked.indicator_code,
        ranked.unit_key,
        ranked.period_type,
        ranked.period_start,
        avg(predecessor.indicator_value) as predecessors_previous_value,
        count(*) as predecessors_with_value
    from ranked
    join {{ ref('dim_unit_lineage') }} as lineage on lineage.successor_unit_key = ranked.unit_key
    join scoped as predecessor
        on predecessor.unit_key = lineage.predecessor_unit_key
        and predecessor.indicator_code = ranked.indicator_code
        and predecessor.period_type = ranked.period_type
        and predecessor.period_start = ranked.previous_period_start
    group by 1, 2, 3, 4

)

select
    ranked.indicator_code,
    ranked.province_code,
    ranked.scheme,
    ranked.peer_group,
    ranked.period_type,
    ranked.period_start,
    ranked.unit_key,
    ranked.indicator_value,
    ranked.unit_rank,
    ranked.units_ranked,
    previous.unit_rank as previous_rank,
    previous.indicator_value as previous_value,
    previous.unit_rank - ranked.unit_rank as rank_change,
    {{ rank_change_label_vi('previous.unit_rank - ranked.unit_rank') }} as rank_change_label,
    predecessor_values.predecessors_previous_value,
    predecessor_values.predecessors_with_value,
    case when previous.unit_key is null
        then ranked.indicator_value - predecessor_values.predecessors_previous_value
    end as value_change_vs_predecessors
from ranked
left join ranked as previous
    on previous.indicator_code = ranked.indicator_code
    and previous.unit_key = ranked.unit_key
    and previous.period_type = ranked.period_type
    and previous.period_start = ranked.previous_period_start
left join predecessor_values
    on predecessor_values.indicator_code = ranked.indicator_code
    and predecessor_values.unit_key = ranked.unit_key
    and predecessor_values.period_type = ranked.period_type
    and predecessor_values.period_start = ranked.period_start
