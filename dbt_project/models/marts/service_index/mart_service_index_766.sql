{#- The service index of Quyết định 766/QĐ-TTg per unit × period: the five groups' points
    (maxima 18 / 20 / 22 / 22 / 18) and the total. Indicators without data in the period
    are left out: total_points_available is the maximum the unit could reach with the
    indicators it has, and index_points rescales the total to 100 over it. -#}

with indicators as (

    select * from {{ ref('mart_service_index_766_indicators') }}

)

select
    unit_key,
    period_type,
    period_start,
    {%- for group in ['cong_khai', 'tien_do', 'so_hoa', 'truc_tuyen', 'hai_long'] %}
    sum(case when group_code = '{{ group }}' then points end) as {{ group }}_points,
    {%- endfor %}
    sum(points) as total_points,
    sum(case when rate is not null then max_points end) as total_points_available,
    {{ pct('sum(points)', 'sum(case when rate is not null then max_points end)') }} as index_points,
    sum(case when rate is null then 1 else 0 end) as indicators_without_data
from indicators
group by 1, 2, 3
