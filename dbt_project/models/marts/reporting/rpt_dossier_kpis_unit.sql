{#- Dataset rpt_dossier_kpis_unit: dossier counts per unit and month. Only counts: the
    dashboards' rates are ratios of their sums (metrics in _reporting__models.yml). -#}
select
    k.period_start,
    {{ year_month_columns('k.period_start') }},
    k.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
    {{ dossier_count_columns('k') }}
from {{ ref('mart_dossier_kpis_unit') }} as k
join {{ ref('dim_unit') }} as u using (unit_key)
where k.period_type = 'month'
