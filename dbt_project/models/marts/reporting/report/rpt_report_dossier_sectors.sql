{#- Periodic report (cchc report), dossiers by field (lĩnh vực: the sectors of
    mart_dossier_kpis_sector) and level: an area's dossiers received and the online
    share per scope (macro area_scopes), sector and month, quarter or year. -#}
with scoped as (

    select
        scopes.area_unit_key,
        scopes.unit_scope,
        kpis.*
    from {{ ref('mart_dossier_kpis_sector') }} as kpis
    join {{ area_scopes() }} as scopes on scopes.member_unit_key = kpis.unit_key

),

by_period as (

    {{ report_periods('scoped', ['area_unit_key', 'unit_scope', 'sector_code', 'sector_name']) }}

)

select
    k.area_unit_key,
    k.unit_scope,
    {{ report_scope_name('k.unit_scope', 'a.unit_level') }} as scope_name,
    k.sector_code,
    k.sector_name,
    k.period_type,
    k.period_start,
    cast(k.received_total as bigint) as received_total,
    cast(k.received_toan_trinh + k.received_mot_phan as bigint) as received_online,
    k.online_share
from by_period as k
join {{ ref('dim_unit') }} as a on a.unit_key = k.area_unit_key
