select
    procedures.procedure_code,
    procedures.procedure_name,
    procedures.field_code,
    fields.field_name,
    fields.sector_code,
    fields.sector_name,
    fields.department_key as managing_department_key,
    procedures.competent_level,
    procedures.competent_level_2025,
    procedures.deadline_working_days,
    procedures.is_fee_bearing,
    procedures.online_form
from {{ ref('stg_reference__procedures') }} as procedures
left join {{ ref('stg_reference__procedure_fields') }} as fields using (field_code)
