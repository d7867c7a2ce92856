{#- Dataset rpt_unit_rankings: every unit's rank per indicator, peer group and period. -#}
select
    r.indicator_code,
    {{ label_vi('indicator', 'r.indicator_code') }} as indicator_name,
    -- a unit's dashboard shows each indicator's latest month and year side by side
    {{ label_vi('indicator', 'r.indicator_code') }} || ', '
    || case when r.period_type = 'month'
            then 'tháng ' || lpad(cast(extract(month from r.period_start) as string), 2, '0') || '/'
            else 'năm '
       end || cast(extract(year from r.period_start) as string) as indicator_period_label,
    r.period_type,
    r.period_start,
    cast(extract(year from r.period_start) as bigint) as year,
    case when r.period_type = 'month' then cast(extract(month from r.period_start) as bigint) end as month,
    case when r.period_type = 'month' then {{ month_label('r.period_start') }} end as month_label,
    r.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'r.peer_group') }} as peer_group,
    {{ unit_status('u', 'r.period_start', 'r.period_type') }},
    r.indicator_value,
    r.unit_rank,
    r.units_ranked,
    r.previous_rank,
    r.rank_change,
    coalesce(r.rank_change_label,
             case when r.is_ranked and r.previous_rank is null then {{ label_vi('rank_change', "'new'") }} end)
        as rank_change_label,
    r.rank_label_vi as rank_label,
    b.classification_name,
    b.province_median_value,
    b.is_latest_period,
    b.is_current_unit
from {{ ref('mart_unit_rankings') }} as r
join {{ ref('dim_unit') }} as u using (unit_key)
join {{ ref('mart_unit_ranking_board') }} as b using (indicator_code, period_type, period_start, unit_key)
