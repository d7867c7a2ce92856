{#- Dataset rpt_commune_map: communes with coordinates and their yearly on-time rate band
    (seed reporting_on_time_bands); is_active_unit marks the communes in force at the
    year's end, the map's one point per current unit. -#}
select
    u.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
    u.latitude,
    u.longitude,
    cast(extract(year from k.period_start) as bigint) as year,
    {{ unit_is_active('u', 'k.period_start', 'year') }} as is_active_unit,
    {{ unit_status('u', 'k.period_start', 'year') }},
    k.on_time_rate / 100 as on_time_share,
    coalesce((select b.band_label from {{ ref('reporting_on_time_bands') }} as b
              where b.lower_bound_pct <= k.on_time_rate
              order by b.lower_bound_pct desc limit 1),
             {{ label_vi('on_time_band', "'no_dossiers'") }}) as on_time_band
from {{ ref('dim_unit') }} as u
join {{ ref('mart_dossier_kpis_unit') }} as k using (unit_key)
where u.unit_level = 'commune' and k.period_type = 'year' and u.latitude is not null
