{#- One row per dossier, current state: the procedure's attributes, the channel group,
    timeliness, and durations in working days (the calendar's working_day_seq turns
    working-day arithmetic into a subtraction). -#}

with dossiers as (

    select * from {{ ref('stg_oss__dossiers') }}

),

procedures as (

    select * from {{ ref('stg_reference__procedures') }}

),

fields as (

    select * from {{ ref('stg_reference__procedure_fields') }}

),

calendar as (

    select calendar_date, working_day_seq from {{ ref('stg_reference__calendar_days') }}

),

enriched as (

    select
        dossiers.dossier_id,
        -- the unit that held the code sent on the day the dossier was received
        {{ unit_version_key('dossiers.unit_key') }} as unit_key,
        dossiers.procedure_code,
        procedures.field_code,
        fields.sector_code,
        procedures.deadline_working_days,
        procedures.is_fee_bearing,
        procedures.online_form,
        dossiers.channel,
        case dossiers.channel
            when 'truc_tuyen_toan_trinh' then 'toan_trinh'
            when 'truc_tuyen_mot_phan' then 'mot_phan'
            else dossiers.channel
        end as channel_group,
        dossiers.is_online,
        dossiers.status,
        dossiers.received_at,
        cast(dossiers.received_at as date) as received_date,
        dossiers.due_at,
        dossiers.finished_at,
        cast(dossiers.finished_at as date) as finished_date,
        coalesce(dossiers.finished_at, dossiers.rejected_at, dossiers.withdrawn_at) as closed_at,
        dossiers.rejected_at,
        dossiers.withdrawn_at,
        -- the waiting intervals, which stop the clock (macro dossier_is_overdue)
        dossiers.supplement_requested_at,
        dossiers.supplement_received_at,
        dossiers.suspended_at,
        dossiers.resumed_at,
        {{ dossier_timeliness('dossiers.finished_at', 'dossiers.due_at') }} as timeliness,
        finished_day.working_day_seq - received_day.working_day_seq as processing_working_days,
        dossiers.has_apology_letter,
        dossiers.apology_letter_at,
        dossiers.is_input_digitised,
        dossiers.is_reused_digitised_data,
        dossiers.is_output_digitised,
        dossiers.fee_amount,
        dossiers.is_paid_online,
        dossiers.updated_at,
        dossiers.extracted_at
    from dossiers
    {{ unit_version_join('dossiers.unit_key', 'cast(dossiers.received_at as date)') }}
    left join procedures on procedures.procedure_code = dossiers.procedure_code
    left join fields on fields.field_code = procedures.field_code
    left join calendar as received_day on received_day.calendar_date = cast(dossiers.received_at as date)
    left join calendar as finished_day on finished_day.calendar_date = cast(dossiers.finished_at as date)

)

select * from enriched
