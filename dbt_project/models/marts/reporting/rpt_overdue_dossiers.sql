{#- Dataset rpt_overdue_dossiers: dossiers finished late, and dossiers in progress and
    overdue at the last extraction by the marts' one rule (macro dossier_is_overdue: past
    the due time and neither waiting for the applicant's papers nor suspended then), so the
    list and the overdue counts of mart_dossier_kpis agree. A view: a quiet night's build
    does not rebuild fct_dossier; publication freezes it into the snapshot. -#}
{{ config(materialized='view') }}
with as_of as (

    select max(extracted_at) as as_of from {{ ref('fct_dossier') }}

)

select
    d.dossier_id,
    d.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
    {{ year_month_columns('d.received_date', 'bigint') }},
    coalesce(p.procedure_name, d.procedure_code) as procedure_name,
    p.field_name,
    cast(d.received_at as date) as received_date,
    cast(d.due_at as date) as due_date,
    d.finished_date,
    {{ label_vi('overdue_status', "case when d.timeliness = 'late' then 'late' else 'overdue' end") }} as overdue_status,
    case when d.timeliness = 'late' then d.processing_working_days - d.deadline_working_days end as days_late
from {{ ref('fct_dossier') }} as d
join {{ ref('dim_unit') }} as u using (unit_key)
left join {{ ref('dim_procedure') }} as p using (procedure_code)
cross join as_of
where d.timeliness = 'late'
   or (d.status not in ('finished', 'rejected', 'withdrawn') and {{ dossier_is_overdue('d', 'as_of.as_of') }})
