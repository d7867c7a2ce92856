{#- Dataset rpt_unit_ranking_extremes: the top and the bottom var ranking_chart_units
    current units of each peer group, per indicator and period (mart_unit_ranking_board),
    one row per unit and end, with the label the ranking dashboard's bar charts print:
    "<position>. <unit name>" over its rank change ("▲ 3 bậc"); position 1 is the best of
    the top and the worst of the bottom. A name longer than 14 characters is broken at
    its first space from just before the middle: five labels share a half-width chart's
    axis. -#}
{%- set ends = {'top': ('top_position', 'is_top_n'), 'bottom': ('bottom_position', 'is_bottom_n')} %}

with units as (

    select
        unit_key,
        unit_name,
        {{ integer_divide("length(unit_name)", 2) }} - 1 as middle,
        case when length(unit_name) > 14
            then {{ dbt.position("' '", "substr(unit_name, " ~ integer_divide("length(unit_name)", 2) ~ " - 1)") }}
        end as space_from_middle
    from {{ ref('dim_unit') }}

),

labelled as (

    select
        unit_key,
        unit_name,
        case when space_from_middle > 0
            then substr(unit_name, 1, middle + space_from_middle - 2) || chr(10)
                 || substr(unit_name, middle + space_from_middle)
            else unit_name
        end as unit_label
    from units

)

{%- for end, (position, flag) in ends.items() %}
select
    b.indicator_code,
    {{ label_vi('indicator', 'b.indicator_code') }} as indicator_name,
    b.period_type,
    b.period_start,
    cast(extract(year from b.period_start) as bigint) as year,
    case when b.period_type = 'month' then cast(extract(month from b.period_start) as bigint) end as month,
    b.unit_key,
    u.unit_name,
    b.peer_group as peer_group_code,
    {{ label_vi('peer_group', 'b.peer_group') }} as peer_group,
    '{{ end }}' as ranking_end,
    b.{{ position }} as chart_position,
    cast(b.{{ position }} as string) || '. ' || u.unit_label || chr(10) || b.rank_change_symbol as chart_label,
    b.indicator_value,
    b.province_median_value,
    b.classification_name,
    b.unit_rank,
    b.units_ranked,
    b.rank_change_symbol,
    b.is_headline_indicator,
    b.is_latest_period
from {{ ref('mart_unit_ranking_board') }} as b
join labelled as u using (unit_key)
where b.is_current_unit and b.{{ flag }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
