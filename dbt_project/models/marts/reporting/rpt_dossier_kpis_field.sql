{#- Dataset rpt_dossier_kpis_field: dossier counts per unit, field (lĩnh vực) and month. -#}
with fields as (

    select distinct field_code, field_name from {{ ref('dim_procedure') }}

)

select
    k.period_start,
    {{ year_month_columns('k.period_start') }},
    k.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
    coalesce(f.field_name, k.field_code) as field_name,
    {{ dossier_count_columns('k') }}
from {{ ref('mart_dossier_kpis') }} as k
join {{ ref('dim_unit') }} as u using (unit_key)
left join fields as f using (field_code)
where k.period_type = 'month'
