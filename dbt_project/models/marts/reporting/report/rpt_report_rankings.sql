{#- Periodic report (cchc report), rankings with the rank change: the area's units (macro
    area_scopes) in mart_unit_rankings, for a month, a quarter (its last month's ranking)
    or a year. -#}
with area_rankings as (

    select
        scopes.area_unit_key,
        r.*
    from {{ ref('mart_unit_rankings') }} as r
    join {{ area_scopes() }} as scopes
        on scopes.member_unit_key = r.unit_key
        and scopes.unit_scope <> 'all'

),

periods as (

    select *, period_type as report_period_type, period_start as report_period_start
    from area_rankings
    union all
    select *, 'quarter', cast(period_start - interval 2 month as date)
    from area_rankings
    where period_type = 'month' and extract(month from period_start) % 3 = 0

)

select
    r.area_unit_key,
    r.report_period_type as period_type,
    r.report_period_start as period_start,
    r.period_start as ranked_period_start,
    r.indicator_code,
    {{ label_vi('indicator', 'r.indicator_code') }} as indicator_name,
    r.unit_key,
    u.unit_name,
    r.peer_group as peer_group_code,
    {{ label_vi('peer_group', 'r.peer_group') }} as peer_group,
    r.indicator_value,
    r.is_ranked,
    r.unit_rank,
    r.units_ranked,
    r.list_position,
    r.previous_rank,
    r.rank_change,
    r.rank_change_label,
    r.rank_label_vi as rank_label
from periods as r
join {{ ref('dim_unit') }} as u on u.unit_key = r.unit_key
