{#- Rankings of units within their province and peer group (departments, districts,
    communes) for every headline indicator and period (domain.md §11): higher is better;
    ties share a rank and the next rank is skipped (1, 2, 2, 4); rank change = previous
    rank − current rank ("tăng / giảm N bậc").

    Ranking basis a leader can trust (domain.md §11, "Ranking at small volumes"):
    - a dossier rate ranks a unit only when its denominator in the period (`volume`)
      reaches var ranking_min_dossiers; below it the unit is listed unranked ("chưa xếp
      hạng"), so one dossier does not move a commune by dozens of places;
    - values are compared at display precision (var ranking_value_decimals): units shown
      with the same value share the rank, flagged is_tied and labelled "Đồng hạng N";
      there is no further tie-break, list_position only orders the list (higher volume,
      then unit code);
    - the rank change compares two ranked periods only.

    A unit born in a reorganisation (the 2025 one, or an earlier merger or transfer to
    another district: domain.md §2) has no previous rank of its own, and a rank among 209
    legacy communes does not compare with one among 69 new communes. Explicit
    method: for such a unit, `predecessors_previous_value` is the mean of its
    predecessors' values in the previous period (dim_unit_lineage, partial predecessors
    included), and `value_change_vs_predecessors` the difference; no rank change is shown. -#}

{%- set volume_of = {
    'on_time_rate': 'received_total + carried_over' if var('on_time_convention') == 'b' else 'finished_total',
    'online_share': 'received_total',
    'output_digitisation_rate': 'digitisation_tracked_finished',
} %}

with indicator_values as (

    -- volume: the dossiers a rate is computed on (NULL for scored indices, always ranked)
    select 'par_index' as indicator_code, unit_key, 'year' as period_type,
           {{ year_start('score_year') }} as period_start, index_pct as indicator_value,
           cast(null as bigint) as volume
    from {{ ref('mart_par_index') }}
    -- a unit with missing or held-back scores is not ranked (mart_par_index.is_complete)
    where is_complete
    union all
    select 'sipas', unit_key, 'year', {{ year_start('survey_year') }}, sipas_pct, null
    from {{ ref('mart_sipas_index') }}
    union all
    -- the service index is computed on the unit's dossiers: their number is its volume
    select 'service_index_766', service_index.unit_key, service_index.period_type, service_index.period_start, service_index.index_points,
           coalesce(kpis.received_total + kpis.carried_over, 0)
    from {{ ref('mart_service_index_766') }} as service_index
    left join {{ ref('mart_dossier_kpis_unit') }} as kpis
        on kpis.unit_key = service_index.unit_key
        and kpis.period_type = service_index.period_type
        and kpis.period_start = service_index.period_start
    {%- for kpi, volume in volume_of.items() %}
    union all
    select '{{ kpi }}', unit_key, period_type, period_start, {{ kpi }}, {{ volume }}
    from {{ ref('mart_dossier_kpis_unit') }}
    {%- endfor %}

),

scoped as (

    select
        indicator_values.*,
        units.peer_group,
        units.province_code,
        -- a year of the reorganisation has units of both schemes: each ranks among its own
        units.scheme,
        -- compared at display precision: values shown equal share a rank
        round(indicator_values.indicator_value, {{ var('ranking_value_decimals') }}) as ranked_value,
        coalesce(indicator_values.volume >= {{ var('ranking_min_dossiers') }}, true) as is_ranked
    from indicator_values
    join {{ ref('dim_unit') }} as units using (unit_key)
    where indicator_values.indicator_value is not null
      and units.peer_group in ('department', 'district', 'commune')

),

ranked as (

    {%- set peers = 'indicator_code, province_code, scheme, peer_group, period_type, period_start' %}
    select
        *,
        case when is_ranked then rank() over (partition by {{ peers }}, is_ranked order by ranked_value desc) end as unit_rank,
        case when is_ranked then count(*) over (partition by {{ peers }}, is_ranked, ranked_value) > 1 else false end as is_tied,
        count(case when is_ranked then 1 end) over (partition by {{ peers }}) as units_ranked,
        row_number() over (
            partition by {{ peers }}
            order by is_ranked desc, ranked_value desc, volume desc nulls last, unit_key asc
        ) as list_position,
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
    ranked.volume,
    ranked.is_ranked,
    ranked.unit_rank,
    ranked.is_tied,
    case
        when not ranked.is_ranked then 'Chưa xếp hạng (dưới {{ var('ranking_min_dossiers') }} hồ sơ)'
        when ranked.is_tied then 'Đồng hạng ' || cast(ranked.unit_rank as string)
        else 'Hạng ' || cast(ranked.unit_rank as string)
    end as rank_label_vi,
    ranked.units_ranked,
    ranked.list_position,
    previous.unit_rank as previous_rank,
    previous.indicator_value as previous_value,
    previous.unit_rank - ranked.unit_rank as rank_change,
    case when ranked.is_ranked
        then {{ rank_change_label_vi('previous.unit_rank - ranked.unit_rank') }}
        else 'chưa xếp hạng'
    end as rank_change_label,
    predecessor_values.predecessors_previous_value,
    predecessor_values.predecessors_with_value,
    case when previous.unit_key is null
        then ranked.indicator_value - predecessor_values.predecessors_previous_value
    end as value_change_vs_predecessors
from ranked
left join ranked as previous
    -- a rank change compares two ranked periods only
    on ranked.is_ranked
    and previous.is_ranked
    and previous.indicator_code = ranked.indicator_code
    and previous.unit_key = ranked.unit_key
    and previous.period_type = ranked.period_type
    and previous.period_start = ranked.previous_period_start
left join predecessor_values
    on predecessor_values.indicator_code = ranked.indicator_code
    and predecessor_values.unit_key = ranked.unit_key
    and predecessor_values.period_type = ranked.period_type
    and predecessor_values.period_start = ranked.period_start
