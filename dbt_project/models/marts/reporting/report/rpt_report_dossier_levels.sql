{#- Periodic report (cchc report), dossiers by level: an area's dossiers received, the
    online share and the digitisation of inputs and outputs per scope (its own one-stop
    shop, each level of its units, all) and month, quarter or year. -#}
with by_period as (

    {{ report_periods(ref('mart_dossier_kpis_area'), ['area_unit_key', 'unit_scope']) }}

)

select
    k.area_unit_key,
    a.unit_name as area_name,
    k.unit_scope,
    {{ report_scope_name('k.unit_scope', 'a.unit_level') }} as scope_name,
    case k.unit_scope when 'own' then 1 when 'department' then 2 when 'district' then 3
        when 'commune' then 4 else 5 end as scope_order,
    k.period_type,
    k.period_start,
    cast(k.received_total as bigint) as received_total,
    cast(k.received_toan_trinh + k.received_mot_phan as bigint) as received_online,
    k.online_share,
    cast(k.digitisation_tracked_received as bigint) as digitisation_tracked_received,
    cast(k.input_digitised as bigint) as input_digitised,
    k.input_digitisation_rate,
    cast(k.digitisation_tracked_finished as bigint) as digitisation_tracked_finished,
    cast(k.output_digitised as bigint) as output_digitised,
    k.output_digitisation_rate
from by_period as k
join {{ ref('dim_unit') }} as a on a.unit_key = k.area_unit_key
