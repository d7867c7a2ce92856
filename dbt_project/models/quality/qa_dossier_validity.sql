{#- Per unit: dossiers breaking the validity rules (one aggregate scan of fct_dossier;
    no dossier rows leave the database). -#}

select
    dossiers.unit_key,
    units.unit_name,
    count(*) as dossiers,
    count(*) filter (where dossiers.dossier_id is null or dossiers.procedure_code is null
                     or dossiers.channel is null or dossiers.status is null
                     or dossiers.received_at is null or dossiers.due_at is null) as missing_required_fields,
    count(*) filter (where dossiers.due_at < dossiers.received_at) as received_after_due,
    count(*) filter (where dossiers.finished_at < dossiers.received_at) as received_after_finished,
    count(*) filter (where units.unit_key is null
                     or dossiers.received_date < coalesce(units.valid_from, date '0001-01-01')
                     or dossiers.received_date > coalesce(units.valid_to, date '9999-12-31')) as unit_code_not_valid
from {{ ref('fct_dossier') }} as dossiers
left join {{ ref('dim_unit') }} as units on dossiers.unit_key = units.unit_key
group by all
order by dossiers.unit_key
