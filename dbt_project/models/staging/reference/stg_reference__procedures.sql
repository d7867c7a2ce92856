with source as (

    select * from {{ source('reference', 'procedures') }}

),

renamed as (

    select
        procedure_code,
        {{ nfc('procedure_name') }} as procedure_name,
        field_code,
        level as competent_level,
        level_2025 as competent_level_2025,
        cast(deadline_working_days as integer) as deadline_working_days,
        cast(is_fee_bearing as boolean) as is_fee_bearing,
        online_form,
        {{ nfc('note') }} as note

    from source

)

select * from renamed
